"""Similar questions in the moderator's console, live in Chromium: a question that looks like an earlier one
arrives with "Lijkt op" and the earlier question, without a reload; one click merges them; the console can group
the questions into themes; and the console stays accessible (axe-core) with both open."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, check_accessible, new_person, participant

MODERATOR_PAGE = f"/e/{SLUG}/moderator"
FIRST = "Hoe zorgen we dat de regio een sterkere stem krijgt in Den Haag?"
ALIKE = "Hoe krijgt de regio een sterkere stem in Den Haag?"
OTHER = "Wat doen we aan het tekort aan betaalbare woningen voor jongeren?"
HOUSING = "Hoe krijgen jongeren een betaalbare woning in onze stad?"

pytestmark = pytest.mark.own_server  # the questions of one test must not reach the next


def ask(page, text: str) -> None:
    page.locator("#question-body").fill(text)
    page.locator('#ask-form button[type="submit"]').click()
    expect(page.locator("#question-body")).to_have_value("")


def queue_item(page, text: str):
    return page.locator("#moderation-queue li.queue-item", has=page.locator(".question-body", has_text=text))


def test_similar_question_arrives_with_lijkt_op_and_merges_in_one_click(new_page, server) -> None:
    erik = participant(new_page, server, "participant:Erik van Dijk")
    fatima = participant(new_page, server, "participant:Fatima Bouzid")
    console = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE, bypass_csp=True)
    ask(erik, FIRST)
    expect(queue_item(console, FIRST)).to_be_visible()
    started = time.monotonic()
    ask(fatima, ALIKE)
    similar = queue_item(console, ALIKE).locator(".similar")
    expect(similar).to_contain_text("Lijkt op")
    expect(similar).to_contain_text(FIRST)
    assert time.monotonic() - started < 5
    assert not queue_item(console, FIRST).locator(".similar").count()  # the earlier one points nowhere
    check_accessible(console, "the moderator console with a 'lijkt op' suggestion")
    similar.get_by_role("button", name="Samenvoegen met deze").click()
    expect(queue_item(console, ALIKE)).to_have_count(0)  # merged: gone from the queue
    expect(queue_item(console, FIRST)).to_be_visible()
    expect(fatima.locator("#my-questions")).to_contain_text("samengevoegd")  # the asker's own list follows
    assert_not_reloaded(console, erik, fatima)


def test_similar_themes_group_the_queue_on_request(new_page, server) -> None:
    erik = participant(new_page, server, "participant:Erik van Dijk")
    jan = participant(new_page, server, "participant:Jan de Boer")
    for page, text in ((erik, FIRST), (jan, ALIKE), (erik, OTHER), (jan, HOUSING)):
        ask(page, text)
    console = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE, bypass_csp=True)
    expect(queue_item(console, HOUSING)).to_be_visible()
    console.locator("#themes-panel summary").click()
    console.get_by_role("button", name="Groepeer de vragen nu").click()
    themes = console.locator("#themes ol.themes > li")
    expect(themes).to_have_count(2)
    expect(console.locator("#themes")).to_contain_text("2 vragen")
    check_accessible(console, "the moderator console with its themes open")
    assert_not_reloaded(console)
