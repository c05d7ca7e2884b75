"""The lunch hosts' talking points in a real browser: a host page opened before the debate fills in with what the
debate and the poll gave, without a reload (the questions' and the polls' parts are pushed on their own topics)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import SLUG, TABLES
from tests.browser.conftest import assert_not_reloaded, check_accessible, new_person, participant, post, sql

HOST = f"host:{TABLES[0][1]}"
ERIK = "participant:Erik van Dijk"
FATIMA = "participant:Fatima Bouzid"
MODERATOR = "moderator:Gespreksleider"

pytestmark = pytest.mark.own_server


def test_a_host_page_fills_in_with_the_debate_and_the_poll_live(new_page, server) -> None:
    host = new_person(new_page, server, HOST, f"/e/{SLUG}/host", bypass_csp=True)  # bypass: for axe-core
    debate = host.locator("#talking-points-questions")
    poll = host.locator("#talking-points-polls")
    expect(debate).to_contain_text("Nog geen vragen")
    expect(poll).to_contain_text("Nog geen uitslagen")

    erik, fatima = participant(new_page, server, ERIK), participant(new_page, server, FATIMA)
    console = new_person(new_page, server, MODERATOR, f"/e/{SLUG}/moderator")
    body = "Hoe zorgen we dat de G40 aan tafel zit bij de formatie?"
    post(erik.context.request, server, f"/e/{SLUG}/questions", {"body": body, "key": "talking-points-01-xxxxxxxx"})
    (question_id,), = sql(server, "SELECT id FROM question WHERE body = :b", b=body)
    for action in ("approve", "on_air", "answered"):
        post(console.context.request, server, f"/e/{SLUG}/moderator/questions/{question_id}", {"action": action})
    expect(debate).to_contain_text(f"Besproken in de uitzending: {body}")

    (poll_id,), = sql(server, "SELECT id FROM poll_question WHERE position = 1")
    (option_id, label), = sql(server, "SELECT id, label FROM poll_option WHERE question_id = :q AND position = 2",
                              q=poll_id)
    post(console.context.request, server, f"/e/{SLUG}/polls/{poll_id}/open")
    for voter in (erik, fatima):
        post(voter.context.request, server, f"/e/{SLUG}/polls/{poll_id}/vote", {"option": str(option_id)})
    expect(poll).to_contain_text("Nog geen uitslagen")  # an open question is no talking point yet
    post(console.context.request, server, f"/e/{SLUG}/polls/{poll_id}/close")
    expect(poll).to_contain_text(f"— {label} (2/2)")

    assert_not_reloaded(host)
    check_accessible(host, "the host page with talking points")
