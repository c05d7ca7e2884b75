"""axe-core (WCAG 2.0/2.1, levels A and AA) on every page, in Dutch (the default) and in English.

English is chosen the way a visitor chooses it: with the language button in the header (the choice is kept in
the session). Pages with a live socket are checked once the socket is open, and the participant and organiser
pages also after a live update. Contexts are created with ``bypass_csp=True`` only so that axe-core can be
injected as an inline script; see ``new_page`` in conftest.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import SLUG

LANGUAGES = ["nl", "en"]

# page id -> (how to get there: a path or a key of server.links, where it lands, has a live socket)
# The error page is answered with 403, which Chromium reports as a console error: expected there (and only there).
EXPECTED_STATUSES = {"error": (403,)}
PAGES = {
    "join": ("/", "/", False),
    "participant": ("participant:Jan de Boer", f"/e/{SLUG}", True),
    "moderator": ("moderator:Gespreksleider", f"/e/{SLUG}/moderator", True),
    "presenter": ("presenter:Presentatiescherm", f"/e/{SLUG}/presenter", True),
    "host": ("host:Annemiek de Vries", f"/e/{SLUG}/host", True),
    "organiser": ("organiser:Secretariaat G40", f"/e/{SLUG}/organiser", True),
    "privacy": ("/privacy", "/privacy", False),
    "accessibility-statement": ("/toegankelijkheid", "/toegankelijkheid", False),
    "error": ("/r/invalid-token-xxxxxxxxxxxxxxxx", "/r/invalid-token-xxxxxxxxxxxxxxxx", False),
}


def choose_language(page, lang: str) -> None:
    """Use the header's language switch (a form posting to /lang, which sends the visitor back)."""
    if page.locator("html").get_attribute("lang") == lang:
        return
    with page.expect_navigation():
        page.locator(f'.lang-switch button[name="lang"][value="{lang}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def open_page(page, server, target: str, lands_on: str, live: bool, lang: str) -> None:
    page.goto(server.links.get(target, target))
    expect(page).to_have_url(server.url(lands_on))
    choose_language(page, lang)
    expect(page).to_have_url(server.url(lands_on))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    if live:
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(new_page, server, assert_accessible, name: str, lang: str) -> None:
    target, lands_on, live = PAGES[name]
    page = new_page(bypass_csp=True, label=f"{name} ({lang})", expected_statuses=EXPECTED_STATUSES.get(name, ()))
    open_page(page, server, target, lands_on, live, lang)
    assert_accessible(page, f"{name} ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_join_page_with_errors_has_no_wcag_violations(new_page, server, assert_accessible, lang: str) -> None:
    page = new_page(bypass_csp=True, label=f"join with errors ({lang})", expected_statuses=(422,))
    open_page(page, server, "/", "/", False, lang)
    page.locator("#code").fill("NOPE99")
    page.locator("#name").fill("")
    with page.expect_navigation():
        page.locator('form[action="/join"] button[type="submit"]').click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator('[aria-invalid="true"]')).not_to_have_count(0)
    assert_accessible(page, f"join page after a failed submit ({lang})")


def organiser_in_before_phase(new_page, server):
    """The organiser, signed in, with the block reset to before its start (the server is shared by the module)."""
    organiser = new_page(bypass_csp=True, label="organiser")
    organiser.goto(server.links["organiser:Secretariaat G40"])
    expect(organiser.locator("#live-status")).to_have_attribute("data-state", "online")
    reset = organiser.locator('#phase-control button[name="action"][value="reset"]')
    reset.click()
    expect(organiser.locator("#phase-control .badge")).to_have_count(0)
    expect(organiser.locator("#programme")).to_have_attribute("data-phase", "before")
    return organiser


@pytest.mark.parametrize("lang", LANGUAGES)
def test_participant_page_after_a_live_update_has_no_wcag_violations(new_page, server, assert_accessible,
                                                                     lang: str) -> None:
    organiser = organiser_in_before_phase(new_page, server)
    participant = new_page(bypass_csp=True, label=f"participant ({lang})")
    open_page(participant, server, "participant:Noor van Leeuwen", f"/e/{SLUG}", True, lang)
    expect(participant.locator("#programme")).to_have_attribute("data-phase", "before")
    participant.evaluate("() => { window.__marker = 1; }")

    organiser.locator('#phase-control button[name="action"][value="next"]').click()
    programme = participant.locator("#programme")
    expect(programme).to_have_attribute("data-phase", "debate")
    expect(programme.locator("h2")).to_have_text("Het G40Gesprek")
    assert participant.evaluate("() => window.__marker") == 1, "the participant page reloaded"
    expect(participant.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(participant, f"participant page after a live phase change ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_organiser_page_after_changing_the_phase_has_no_wcag_violations(new_page, server, assert_accessible,
                                                                        lang: str) -> None:
    organiser = organiser_in_before_phase(new_page, server)
    choose_language(organiser, lang)
    expect(organiser.locator("#live-status")).to_have_attribute("data-state", "online")
    organiser.locator('#phase-control button[name="action"][value="next"]').click()
    expect(organiser.locator("#phase-control .badge")).to_have_count(1)
    expect(organiser.locator("#programme")).to_have_attribute("data-phase", "debate")
    assert_accessible(organiser, f"organiser page after changing the phase ({lang})")

