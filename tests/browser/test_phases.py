"""The run of show, live: the organiser moves the phase and every open page follows without a reload — also
after the server has been restarted under a page that stayed open."""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, new_person

PARTICIPANT_PAGE = f"/e/{SLUG}"
ORGANISER_PAGE = f"/e/{SLUG}/organiser"
PRESENTER_PAGE = f"/e/{SLUG}/presenter"
RECONNECT_TIMEOUT_MS = 20_000  # hx-ws backs off 0.5 s, 1 s, 2 s, 4 s, 8 s … with ±30 % jitter


# These tests depend on the phase (and one stops the server): each gets a server of its own.
pytestmark = pytest.mark.own_server








def expect_phase(page, kind: str, title: str, section: str = "#programme") -> None:
    locator = page.locator(section)
    expect(locator).to_have_attribute("data-phase", kind)
    expect(locator.locator("h2")).to_have_text(title)


def test_organiser_moves_the_phase_and_two_participants_follow_live(new_page, server) -> None:
    marieke = new_person(new_page, server, "participant:Marieke Hendriks", PARTICIPANT_PAGE)
    erik = new_person(new_page, server, "participant:Erik van Dijk", PARTICIPANT_PAGE)
    screen = new_person(new_page, server, "presenter:Presentatiescherm", PRESENTER_PAGE)
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    for page in (marieke, erik):
        expect(page.locator("#programme")).to_have_attribute("data-phase", "before")
    expect(screen.locator("#presenter-stage")).to_have_attribute("data-phase", "before")

    next_button = organiser.locator('#phase-control button[name="action"][value="next"]')
    for kind, title in (("debate", "Het G40Gesprek"), ("poll", "Digitaal netwerken")):
        next_button.click()
        # The organiser's own control is swapped by htmx (the response to its POST) ...
        expect(organiser.locator("#phase-control .badge")).to_have_count(1)
        expect(organiser.locator("#phase-control li", has=organiser.locator(".badge"))).to_contain_text(title)
        # ... and everybody else's page follows over its WebSocket.
        for page in (marieke, erik, organiser):
            expect_phase(page, kind, title)
            expect(page.locator('#programme li[aria-current="step"]')).to_contain_text(title)
        expect_phase(screen, kind, title, section="#presenter-stage")

    assert_not_reloaded(marieke, erik, screen, organiser)
    for page in (marieke, erik, screen, organiser):
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def _set_phase_in_database(server, position: int) -> None:
    """Change the phase behind the app's back (the app is down): only a fresh snapshot can tell the page."""
    from sqlalchemy import text

    from app.db import Database
    from tests.browser.conftest import _off_the_loop

    async def change() -> None:
        db = Database(server.database_url)
        try:
            async with db.write() as session:
                part = (await session.execute(text(
                    "SELECT p.id FROM programme_part p JOIN event e ON e.id = p.event_id "
                    "WHERE e.slug = :slug AND p.position = :position"), {"slug": SLUG, "position": position})).scalar()
                await session.execute(text("UPDATE event SET status = 'live', current_part_id = :part WHERE slug = :slug"),
                                      {"part": part, "slug": SLUG})
        finally:
            await db.dispose()

    _off_the_loop(lambda: asyncio.run(change()))


def test_participant_page_reconnects_after_server_restart_and_is_current(new_page, server) -> None:
    participant = new_person(new_page, server, "participant:Fatima Bouzid", PARTICIPANT_PAGE, allow_ws_errors=True)
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE, allow_ws_errors=True)
    expect(participant.locator("#programme")).to_have_attribute("data-phase", "before")
    status = participant.locator("#live-status")

    server.stop()
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).not_to_have_text("")

    # While the server is down the organiser cannot use the UI; the phase changes in the database, so the page
    # can only learn it from the snapshot it gets when its socket reconnects.
    _set_phase_in_database(server, position=1)
    server.start()

    expect(status).to_have_attribute("data-state", "online", timeout=RECONNECT_TIMEOUT_MS)
    expect_phase(participant, "debate", "Het G40Gesprek")

    # The reconnected socket is subscribed again: a phase change through the app arrives live.
    response = organiser.request.post(
        server.url(f"/e/{SLUG}/phase"), form={"action": "next"}, headers={"Origin": server.base_url}
    )
    assert response.status == 200, response.text()
    expect_phase(participant, "poll", "Digitaal netwerken")
    expect(organiser.locator("#live-status")).to_have_attribute("data-state", "online", timeout=RECONNECT_TIMEOUT_MS)
    expect_phase(organiser, "poll", "Digitaal netwerken")
    assert_not_reloaded(participant, organiser)


def test_live_connection_starts_when_the_websocket_extension_arrives_late(new_page, server) -> None:
    """The page's scripts are deferred: htmx schedules its first pass over the page with setTimeout, so if
    hx-ws.js arrives a moment later (a slow connection, a cache miss) the extension must still connect the
    page's socket. Delay only that file, as a real network may."""
    page = new_page(label="participant, hx-ws.js late")

    def late(route) -> None:
        time.sleep(0.3)  # this handler runs on Playwright's dispatcher; the browser itself keeps going
        route.fallback()

    page.route("**/static/vendor/hx-ws-*.js", late)
    page.goto(server.links["participant:Jan de Boer"])
    expect(page).to_have_url(server.url(PARTICIPANT_PAGE))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
