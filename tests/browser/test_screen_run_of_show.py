"""The run of show on the screens that steer the block: the organiser and two moderators have it open; whoever
moves the phase, every other copy follows live (within a second or two), and a click on a copy that fell behind
is refused with a clear message instead of moving everyone once more."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, mark, new_person, open_online

ORGANISER_PAGE = f"/e/{SLUG}/organiser"
MODERATOR_PAGE = f"/e/{SLUG}/moderator"
FOLLOW_MS = 2_000  # "live": a phase change shows on every other screen within this
PARTS = ["Het G40Gesprek", "Digitaal netwerken", "Interactieve netwerklunch", "Blik op 2021"]


# The block must start before its start: a server of its own.
pytestmark = pytest.mark.own_server


def expect_at(page, kind: str, title: str | None, part_id: str) -> None:
    """The page's run of show shows the block at this part (or before/after it), buttons included."""
    panel = page.locator("#phase-control")
    expect(panel).to_have_attribute("data-phase", kind, timeout=FOLLOW_MS)
    if title is not None:
        expect(panel.locator("#phase-now")).to_contain_text(title, timeout=FOLLOW_MS)
        expect(panel.locator('li[aria-current="step"]')).to_contain_text(title, timeout=FOLLOW_MS)
    expect(panel.locator('#phase-step input[name="expected"]')).to_have_value(part_id, timeout=FOLLOW_MS)


def expect_leading(page, section_id: str) -> None:
    """The console's main column leads with this section (after the organiser's run of show), in the DOM itself,
    so the keyboard order is the order seen."""
    expect(page.locator("[data-leads-with-phase] > :not([data-stays-first])").first).to_have_id(
        section_id, timeout=FOLLOW_MS)


def frozen_moderator(new_page, server, key: str) -> tuple[object, dict]:
    """A moderator whose screen stops hearing from the server while ``frozen["on"]`` (a tab that fell behind: a
    slow network, a laptop that just woke up). Their clicks still reach the server."""
    page = new_page(label=key, bypass_csp=True, expected_statuses=(422,))
    frozen = {"on": False}

    def relay(ws) -> None:
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if frozen["on"] else ws.send(message))

    page.route_web_socket(re.compile(r"/ws/moderator/"), relay)
    open_online(page, server, key, MODERATOR_PAGE)
    mark(page)
    return page, frozen


def test_screen_run_of_show_follows_live_and_refuses_a_stale_click(new_page, server, assert_accessible) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    lead = new_person(new_page, server, "moderator:Gespreksleider", MODERATOR_PAGE)
    assistant, frozen = frozen_moderator(new_page, server, "moderator:Assistent moderatie")
    ids = organiser.eval_on_selector_all("#phase-control .phase-list > li", "items => items.map(li => li.id.slice(11))")
    assert len(ids) == len(PARTS)
    screens = (organiser, lead, assistant)
    # Each "go to" button names its part, read as one phrase (no stray space before a separator).
    expect(lead.get_by_role("button", name=f"Naar dit onderdeel – {PARTS[1]}", exact=True)).to_have_count(1)
    for page in screens:
        expect_at(page, "before", None, "before")
        expect(page.locator("#phase-now")).to_have_text("Het blok is nog niet begonnen")
        expect(page.locator("#phase-next")).to_have_text("Blok starten")

    # The organiser starts the block: both moderators' run of show follows, buttons and all.
    organiser.locator("#phase-next").click()
    for page in screens:
        expect_at(page, "debate", PARTS[0], ids[0])
        expect(page.locator("#phase-next")).to_have_text(f"Volgend onderdeel: {PARTS[1]}", timeout=FOLLOW_MS)
        expect(page.locator("#phase-control .badge")).to_have_count(1)

    # A moderator moves on: the organiser's and the other moderator's screens follow; the keyboard focus stays on
    # the button that was pressed (the panel is morphed, not replaced).
    lead.locator("#phase-next").focus()
    lead.keyboard.press("Enter")
    for page in screens:
        expect_at(page, "poll", PARTS[1], ids[1])
    expect(lead.locator("#phase-next")).to_be_focused()
    # The consoles lead with the running part: the poll's control comes first now.
    for page in (organiser, lead):
        expect_leading(page, "poll-control-section")

    # The assistant's screen falls behind; meanwhile the organiser jumps to the lunch.
    frozen["on"] = True
    organiser.locator(f"#phase-part-{ids[2]} button").click()
    expect_at(organiser, "lunch", PARTS[2], ids[2])
    expect_at(lead, "lunch", PARTS[2], ids[2])
    expect_leading(organiser, "seating-section")
    expect_leading(lead, "moderation")  # no lunch section here: the programme's order again
    expect(assistant.locator("#phase-control")).to_have_attribute("data-phase", "poll")  # still the old picture
    expect(assistant.locator("#phase-next")).to_have_text(f"Volgend onderdeel: {PARTS[2]}")

    # Its stale "next" is refused, says why, changes nothing, and the panel shows where the block really is.
    assistant.locator("#phase-next").click()
    alert = assistant.locator('#phase-control [role="alert"]')
    expect(alert).to_have_text(f"Het blok is al verder gegaan naar {PARTS[2]}; kijk in het draaiboek en probeer het "
                               "opnieuw.")
    expect_at(assistant, "lunch", PARTS[2], ids[2])
    run_page = organiser.context.request.get(ORGANISER_PAGE).text()
    assert 'data-phase="lunch"' in run_page and f'id="phase-part-{ids[2]}" class="is-current"' in run_page
    for page in (organiser, lead):
        expect(page.locator("#phase-control")).to_have_attribute("data-phase", "lunch")
    assert_accessible(assistant, "moderator console with a refused run-of-show click")

    # Heard from again, the assistant's screen follows the next change as before (and the alert is gone).
    frozen["on"] = False
    organiser.locator("#phase-next").click()
    for page in screens:
        expect_at(page, "closing", PARTS[3], ids[3])
        expect(page.locator("#phase-next")).to_have_text("Blok afsluiten", timeout=FOLLOW_MS)
    expect(alert).to_have_count(0)
    for page in screens:
        expect_leading(page, "agenda-control-section")
    # A page opened afresh leads with the running part too.
    fresh = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    expect_leading(fresh, "agenda-control-section")
    assert_not_reloaded(*screens)
