"""Blik op 2021 in real browsers: during the closing part two participants (each in a browser of their own) pick
and propose themes, and the presenter's ranking (a third browser) follows live without a reload; the ranking is
whole and large on a 1280x720 and a 1920x1080 beamer without scrolling; the participant's and the presenter's
pages are axe-clean during the closing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, new_person, participant, post, sql
from tests.browser.test_screen_presenter import SIZES, fits, font_px

PRESENTER_PAGE = f"/e/{SLUG}/presenter"
PRESENTER = "presenter:Presentatiescherm"
ERIK, FATIMA = "participant:Erik van Dijk", "participant:Fatima Bouzid"
THEMES = ["Wonen en bouwen", "Jeugdzorg en het sociaal domein", "Klimaat en energie", "Bereikbaarheid",
          "Financiële verhoudingen"]
# Long labels, up to the 80 characters a theme may have: the board must still fit.
LONG_THEMES = ["Een eerlijke verdeling van het gemeentefonds, zodat steden hun taken aankunnen",
               "Betaalbare woningen voor jongeren, starters en ouderen in de middelgrote steden",
               "Jeugdzorg die werkt: minder wachtlijsten en meer ruimte voor de gemeenten zelf",
               "Klimaatadaptatie en de energietransitie in de wijken, samen met de bewoners",
               "Bereikbaarheid van de regio met openbaar vervoer, fiets en auto",
               "Werk en inkomen: iedereen doet mee op de arbeidsmarkt",
               "Veiligheid en ondermijning", "Cultuur", "Onderwijs en kansengelijkheid in de stad",
               "Gezondheid en preventie"]

# Phases, themes and picks of one test must not leak into the next: a server per test.
pytestmark = pytest.mark.own_server


class Closing:
    """The organiser (an API context, signed in) puts themes on the list and moves the block to the closing."""

    def __init__(self, new_page, server, themes: list[str]) -> None:
        self.server = server
        self.organiser = new_page(label="organiser").request
        for label in themes:
            post(self.organiser, server, f"/e/{SLUG}/agenda/themes", {"label": label})
        self.ids = dict(sql(server, "SELECT label, id FROM agenda_theme"))
        closing = sql(server, "SELECT id FROM programme_part WHERE kind = 'closing'")[0][0]
        post(self.organiser, server, f"/e/{SLUG}/phase", {"action": "goto", "part": str(closing)})

    def picks(self, playwright_instance, name: str, labels: list[str]) -> None:
        """Someone picks from a context of their own (no page), as their form posts it."""
        context = playwright_instance.request.new_context(base_url=self.server.base_url)
        try:
            assert context.get(self.server.links[f"participant:{name}"], max_redirects=0).status == 303
            form = "&".join(f"theme={self.ids[label]}" for label in labels)
            post(context, self.server, f"/e/{SLUG}/agenda/picks", form)
        finally:
            context.dispose()


def presenter(new_page, server, size: str = "720p", **kw):
    page = new_person(new_page, server, PRESENTER, PRESENTER_PAGE, **kw)
    page.set_viewport_size(SIZES[size])
    expect(page.locator("#presenter-stage")).to_have_attribute("data-phase", "closing")
    return page


def pick(page, *labels: str) -> None:
    """Tick exactly these themes in one's own form and save."""
    form = page.locator("#agenda-pick-form")
    for box in form.locator("input[type=checkbox]").all():
        box.uncheck()
    for label in labels:
        form.get_by_label(label, exact=True).check()
    page.locator("#agenda-save").click()


def board_rows(page):
    return page.locator("#agenda-board .agenda-bar-row")


def test_agenda_two_participants_pick_and_the_presenter_ranks_live(new_page, server) -> None:
    Closing(new_page, server, THEMES)
    screen = presenter(new_page, server)
    erik = participant(new_page, server, ERIK, expected_statuses=(422,))  # he tries a fourth pick: refused
    fatima = participant(new_page, server, FATIMA)

    # The closing part's section leads the phone: right under the "now" header, before the debate's.
    for phone in (erik, fatima):
        expect(phone.locator("#part-closing-fold")).to_have_attribute("open", "")
        expect(phone.locator("#agenda-pick-form")).to_be_visible()
        assert phone.locator("#part-closing").bounding_box()["y"] < phone.locator("#part-debate").bounding_box()["y"]
    expect(board_rows(screen)).to_have_count(len(THEMES))
    expect(screen.locator("#agenda-board .agenda-board-meta strong")).to_have_text("0")

    pick(erik, "Jeugdzorg en het sociaal domein", "Bereikbaarheid")
    expect(erik.locator("#agenda-status")).to_have_text("Opgeslagen: u heeft 2 thema's gekozen.")
    expect(screen.locator("#agenda-board .agenda-board-meta strong")).to_have_text("1")
    # A tie goes to the theme that was on the list first.
    expect(board_rows(screen).nth(0).locator(".agenda-label")).to_have_text("Jeugdzorg en het sociaal domein")
    expect(board_rows(screen).nth(1).locator(".agenda-label")).to_have_text("Bereikbaarheid")

    pick(fatima, "Bereikbaarheid", "Klimaat en energie")
    expect(board_rows(screen).nth(0).locator(".agenda-label")).to_have_text("Bereikbaarheid")
    expect(board_rows(screen).nth(0).locator(".agenda-count")).to_have_text("2 keuzes")
    expect(board_rows(screen).nth(0).locator(".agenda-bar")).to_have_attribute("data-w", "100")
    expect(board_rows(screen).nth(1).locator(".agenda-bar")).to_have_attribute("data-w", "50")
    expect(screen.locator("#agenda-board .agenda-board-meta strong")).to_have_text("2")
    # Fatima's own ranking follows too; Erik's ticks are as he left them.
    expect(fatima.locator("#agenda-ranking .agenda-row").first).to_contain_text("Bereikbaarheid")
    expect(fatima.locator("#agenda-ranking .agenda-row").first).to_contain_text("2 keuzes")
    expect(erik.locator("#agenda-pick-form").get_by_label("Bereikbaarheid", exact=True)).to_be_checked()

    # Fatima proposes a theme of her own: on the screen and in Erik's form at once, and it counts as her pick.
    fatima.locator("#agenda-proposal").fill("Schone lucht in de binnenstad")
    fatima.locator("#agenda-propose").click()
    expect(fatima.locator("#agenda-status")).to_contain_text("Dank u: uw thema staat op de lijst")
    expect(fatima.locator("#agenda-proposal")).to_have_value("")
    expect(fatima.locator("#agenda-pick-form").get_by_label("Schone lucht in de binnenstad", exact=True)).to_be_checked()
    expect(screen.locator("#agenda-board .agenda-label", has_text="Schone lucht in de binnenstad")).to_be_visible()
    expect(erik.locator("#agenda-pick-form").get_by_label("Schone lucht in de binnenstad", exact=True)).not_to_be_checked()

    # A fourth tick is refused: the form comes back with the three picks that count.
    pick(erik, "Wonen en bouwen", "Klimaat en energie", "Bereikbaarheid", "Financiële verhoudingen")
    expect(erik.locator("#agenda-status")).to_contain_text("Kies hoogstens 3 thema's.")
    expect(erik.locator("#agenda-pick-form").get_by_label("Jeugdzorg en het sociaal domein", exact=True)).to_be_checked()
    expect(erik.locator("#agenda-pick-form").get_by_label("Wonen en bouwen", exact=True)).not_to_be_checked()
    assert sorted(r[0] for r in sql(server, "SELECT t.label FROM agenda_pick p JOIN agenda_theme t ON t.id = p.theme_id "
                                            "JOIN participant x ON x.id = p.participant_id WHERE x.name = 'Erik van Dijk'")) \
        == ["Bereikbaarheid", "Jeugdzorg en het sociaal domein"]
    assert_not_reloaded(screen, erik, fatima)


@pytest.mark.parametrize("size", ["720p", "1080p"])
def test_agenda_ranking_fits_the_beamer_without_scrolling(new_page, server, playwright_instance, size: str) -> None:
    closing = Closing(new_page, server, LONG_THEMES)
    closing.picks(playwright_instance, "Erik van Dijk", LONG_THEMES[:3])
    closing.picks(playwright_instance, "Fatima Bouzid", LONG_THEMES[1:3])
    closing.picks(playwright_instance, "Jan de Boer", [LONG_THEMES[2]])
    screen = presenter(new_page, server, size)
    height = SIZES[size]["height"]
    expect(board_rows(screen)).to_have_count(8)  # the top eight; the rest is named as a number
    expect(screen.locator("#agenda-board .agenda-more")).to_have_text("en nog 2 thema's")
    expect(board_rows(screen).nth(0).locator(".agenda-label")).to_have_text(LONG_THEMES[2])
    expect(board_rows(screen).nth(0).locator(".agenda-count")).to_have_text("3 keuzes")
    # With themes on the board, the part is a band of one line and its description gives way.
    expect(screen.locator("#presenter-stage .stage-text")).to_be_hidden()
    fits(screen, ["#stage-title", "#agenda-board .agenda-board-title", "#agenda-board .agenda-board-meta",
                  "#agenda-board .agenda-bar-row", "#agenda-board .agenda-count", "#agenda-board .agenda-more"],
         f"agenda, {size}")
    # Readable at the back of the room: the counts and the labels are large, and every bar row is on screen.
    assert font_px(screen, "#agenda-board .agenda-count") >= 0.025 * height, f"{size}: small counts"
    assert font_px(screen, "#agenda-board .agenda-label") >= 0.022 * height, f"{size}: small labels"
    last = board_rows(screen).nth(7).bounding_box()
    assert last["y"] + last["height"] <= height, f"{size}: the eighth row is below the screen"
    # A short list: larger rows, still whole.
    for label in LONG_THEMES[3:]:
        theme = closing.ids[label]
        post(closing.organiser, server, f"/e/{SLUG}/agenda/themes/{theme}", {"action": "hide"})
    expect(board_rows(screen)).to_have_count(3)
    fits(screen, ["#agenda-board .agenda-bar-row", "#agenda-board .agenda-count"], f"three themes, {size}")
    # Without themes the part itself is the screen again.
    for label in LONG_THEMES[:3]:
        post(closing.organiser, server, f"/e/{SLUG}/agenda/themes/{closing.ids[label]}", {"action": "hide"})
    expect(screen.locator("#agenda-board")).to_be_hidden()
    expect(screen.locator("#presenter-stage .stage-text")).to_be_visible()
    fits(screen, ["#stage-title", "#presenter-stage .stage-text"], f"closing without themes, {size}")


def test_agenda_pages_are_accessible_during_the_closing(new_page, server, playwright_instance,
                                                        assert_accessible) -> None:
    closing = Closing(new_page, server, THEMES)
    closing.picks(playwright_instance, "Jan de Boer", ["Bereikbaarheid", "Klimaat en energie"])
    # bypass_csp only so that axe-core can be injected (see new_page in conftest.py).
    phone = participant(new_page, server, ERIK, bypass_csp=True)
    screen = presenter(new_page, server, "1080p", bypass_csp=True)
    expect(board_rows(screen)).to_have_count(len(THEMES))
    failures = []
    for page, label in ((phone, "participant during the closing"), (screen, "presenter during the closing")):
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))
    # After a live update and an answer in the status region.
    pick(phone, "Wonen en bouwen")
    expect(phone.locator("#agenda-status")).to_have_text("Opgeslagen: u heeft 1 thema gekozen.")
    expect(board_rows(screen).nth(0).locator(".agenda-label")).to_have_text("Wonen en bouwen")  # first on the list
    for page, label in ((phone, "participant after a pick"), (screen, "presenter after a pick")):
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)
