"""The Interactieve netwerklunch, live: the organiser previews and publishes a seating, moves people by hand;
participants see their table card, hosts see their guest list, and late joiners are seated at once — every open
page follows without a reload. Also axe-core on the pages with a seating, in Dutch and English."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.demo import CODE, SLUG, TABLES
from tests.browser.conftest import assert_not_reloaded, check_accessible, new_person

PARTICIPANT_PAGE = f"/e/{SLUG}"
ORGANISER_PAGE = f"/e/{SLUG}/organiser"
HOST_PAGE = f"/e/{SLUG}/host"
PRESENTER_PAGE = f"/e/{SLUG}/presenter"

HOST_OF = {table: host for table, host, _city, _topic in TABLES}  # table name -> host name
TABLE_OF = {host: table for table, host in HOST_OF.items()}
# Demo participants have a personal link; a late joiner's name must not collide with one of them.
LATE_JOINER = "Laura Laatkomer"


# Every test here publishes or changes a seating: each gets a server (and a database) of its own.
pytestmark = pytest.mark.own_server


# --- helpers ---------------------------------------------------------------------------------------------


def open_host(new_page, server, host: str, **kw):
    page = new_person(new_page, server, f"host:{host}", HOST_PAGE, **kw)
    expect(page.locator("#host-table-title")).to_have_text(TABLE_OF[host])
    return page


def seating_action(organiser, action: str, status: str | re.Pattern) -> None:
    """Press one of the seating buttons and wait for the answer to the POST in #seating-status."""
    organiser.locator(f'#seating-section button[name="action"][value="{action}"]').click()
    expect(organiser.locator("#seating-status")).to_have_text(status)


def preview_and_publish(organiser) -> None:
    seating_action(organiser, "preview", "Voorbeeld klaar. Deelnemers zien hun tafel zodra u publiceert.")
    expect(organiser.locator("#seating-panel .badge.warning")).to_have_text("voorbeeld: deelnemers zien dit nog niet")
    seating_action(organiser, "publish", "Gepubliceerd: alle deelnemers zien nu hun tafel.")
    expect(organiser.locator("#seating-panel .badge.success").first).to_have_text("gepubliceerd")


def group(organiser, table: str):
    """The organiser panel's <details> of one table."""
    return organiser.locator("#seating-panel details.table-group").filter(
        has=organiser.locator("summary > strong", has_text=re.compile(f"^{re.escape(table)}$")))


def guest_counts(organiser) -> dict[str, int]:
    """table name -> number of guests, read from the panel's summaries ("<table> · <host> · N gasten · …")."""
    counts = {}
    for table in HOST_OF:
        summary = group(organiser, table).locator("> summary").inner_text()
        found = re.search(r"· (\d+) gasten", summary)
        assert found, f"no guest count in the summary {summary!r}"
        counts[table] = int(found.group(1))
    return counts


def guests_of(organiser, table: str) -> list[str]:
    """The names at one table in the organiser panel (from each move button's visually hidden " – <name>")."""
    buttons = group(organiser, table).locator("> ul form.inline-form button[type=submit]")
    return [text.split("–", 1)[1].strip() for text in buttons.all_text_contents()]


def move_by_hand(organiser, name: str, from_table: str, to_table: str) -> None:
    details = group(organiser, from_table)
    if details.get_attribute("open") is None:
        details.locator("> summary").click()
    form = details.locator("> ul > li > form").filter(
        has=organiser.locator("button", has_text=re.compile(f"– {re.escape(name)}$")))
    expect(form).to_have_count(1)
    form.locator('select[name="table"]').select_option(label=to_table)
    form.locator("button[type=submit]").click()
    expect(organiser.locator("#seating-status")).to_have_text("Verplaatst.")


def guest_rows(host_page):
    return host_page.locator("#guest-list table tbody tr")


def guest_row(host_page, name: str):
    return guest_rows(host_page).filter(has=host_page.locator("td:first-child", has_text=re.compile(f"^{re.escape(name)}$")))


# --- tests -----------------------------------------------------------------------------------------------


def test_table_publish_card_and_host_list(new_page, server) -> None:
    name = "Marieke Hendriks"
    participant = new_person(new_page, server, f"participant:{name}", PARTICIPANT_PAGE)
    hosts = {host: open_host(new_page, server, host) for host in TABLE_OF}  # all six: any table may be hers
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)

    card = participant.locator("#part-lunch #table-card")
    expect(card).to_contain_text("Uw tafel verschijnt hier zodra de organisator de tafelindeling heeft")
    expect(card.locator(".table-name")).to_have_count(0)
    for page in hosts.values():
        expect(page.locator("#guest-list")).to_contain_text("Nog geen gasten")

    seating_action(organiser, "preview", "Voorbeeld klaar. Deelnemers zien hun tafel zodra u publiceert.")
    expect(organiser.locator("#seating-panel .badge.warning")).to_have_text("voorbeeld: deelnemers zien dit nog niet")
    # A preview is for the organiser only: the participant's card still says "not published".
    expect(card.locator(".table-name")).to_have_count(0)

    seating_action(organiser, "publish", "Gepubliceerd: alle deelnemers zien nu hun tafel.")
    expect(card.locator(".table-name")).to_have_count(1)
    table = card.locator(".table-name").inner_text()
    assert table in HOST_OF, f"unknown table on the card: {table!r}"
    host = HOST_OF[table]
    expect(card).to_contain_text(f"Tafelhost: {host}")
    go = card.locator(f'form[method="post"][action="/e/{SLUG}/table/open"] button.button.big[type="submit"]')
    expect(go).to_be_visible()
    expect(go).to_have_accessible_name("Naar de videovergadering van uw tafel")
    # The organiser's panel agrees with the card.
    expect(organiser.locator("#seating-panel .badge.success").first).to_have_text("gepubliceerd")
    assert name in guests_of(organiser, table)

    # Her host sees her arrive on the guest list, not opened yet; the other hosts do not have her.
    row = guest_row(hosts[host], name)
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text("nog niet")
    mates = [n for n in guests_of(organiser, table) if n != name]
    expect(guest_rows(hosts[host])).to_have_count(len(mates) + 1)
    for other, page in hosts.items():
        if other != host:
            expect(guest_rows(page).first).to_be_visible()  # their lists arrived too
            expect(guest_row(page, name)).to_have_count(0)
    # ... and her card lists her table-mates.
    for mate in mates:
        expect(card.locator("ul.people")).to_contain_text(mate)

    assert_not_reloaded(participant, organiser, *hosts.values())

    # She presses the big button: a form post records it, and her browser goes on to her table's video meeting
    # (through a page of Samen's own: the CSP's form-action 'self' would block a redirect of the post itself to
    # another site). The video service is stubbed here, so the test never leaves 127.0.0.1. The host's "opened
    # the link" column turns to "ja" live.
    video = re.compile(r"^https://meet\.jit\.si/G40-Samen-")
    participant.route(video, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                                         body="<!doctype html><title>Video</title><p>Video</p>"))
    go.click()
    expect(participant).to_have_url(video)
    expect(row.locator("td").last).to_have_text("ja")
    expect(group(organiser, table).locator("li", has_text=name).locator(".badge.success")).to_have_text("link geopend")

    assert_not_reloaded(organiser, *hosts.values())


def test_table_button_works_without_javascript(chromium, new_page, server) -> None:
    """With script off (no htmx, no socket), the button is still a form that records the click and gets her to
    the video meeting: the forwarding page needs no script either."""
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    preview_and_publish(organiser)
    name = "Marieke Hendriks"
    # new_page() has no switch for script: a context of this test's own, with the same guard against requests
    # to other hosts (the stubbed video service aside), closed at the end.
    context = chromium.new_context(base_url=server.base_url, java_script_enabled=False, locale="nl-NL")
    elsewhere: list[str] = []
    video = re.compile(r"^https://meet\.jit\.si/G40-Samen-")

    def guard(route) -> None:
        if video.match(route.request.url):
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body="<!doctype html><title>Video</title><p>Video</p>")
        elif urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.fallback()
        else:
            elsewhere.append(route.request.url)
            route.abort("blockedbyclient")

    try:
        context.route("**/*", guard)
        page = context.new_page()
        page.goto(server.links[f"participant:{name}"])
        expect(page).to_have_url(server.url(PARTICIPANT_PAGE))
        table = page.locator("#table-card .table-name").inner_text()
        host = open_host(new_page, server, HOST_OF[table])
        row = guest_row(host, name)
        expect(row.locator("td").last).to_have_text("nog niet")
        page.locator(f'#table-card form[action="/e/{SLUG}/table/open"] button').click()
        expect(page).to_have_url(video)
        expect(row.locator("td").last).to_have_text("ja")
    finally:
        context.close()
    assert elsewhere == []
    assert_not_reloaded(organiser, host)


def test_table_late_joiner_appears_on_host_list_live(new_page, server) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    preview_and_publish(organiser)

    # Make exactly one table the smallest: move a guest away from a table that has the fewest guests.
    counts = guest_counts(organiser)
    assert sum(counts.values()) == 24, counts
    source = min(counts, key=lambda t: (counts[t], list(HOST_OF).index(t)))
    target = next(t for t in HOST_OF if t != source)
    moved = guests_of(organiser, source)[0]
    move_by_hand(organiser, moved, source, target)
    expect(group(organiser, source).locator("> summary")).to_contain_text(f"· {counts[source] - 1} gasten")
    counts = guest_counts(organiser)
    smallest = min(counts.values())
    assert [t for t, n in counts.items() if n == smallest] == [source], counts

    host = open_host(new_page, server, HOST_OF[source])
    expect(guest_rows(host)).to_have_count(counts[source])
    expect(guest_row(host, LATE_JOINER)).to_have_count(0)

    # The late joiner uses the code form on the home page; their join seats them at once (the page only reads).
    joiner = new_page(label="late joiner")
    joiner.goto(f"/?code={CODE}")
    expect(joiner.locator("#code")).to_have_value(CODE)
    joiner.locator("#name").fill(LATE_JOINER)
    joiner.locator("#municipality").select_option(label="Zwolle")
    with joiner.expect_navigation():
        joiner.locator('form[action="/join"] button[type="submit"]').click()
    expect(joiner).to_have_url(server.url(PARTICIPANT_PAGE))
    expect(joiner.locator("#live-status")).to_have_attribute("data-state", "online")
    card = joiner.locator("#table-card")
    expect(card.locator(".table-name")).to_have_text(source)
    expect(card).to_contain_text(f"Tafelhost: {HOST_OF[source]}")

    # Live on the organiser's panel and on the host's guest list of the (only) smallest table.
    expect(group(organiser, source).locator("> summary")).to_contain_text(f"· {counts[source] + 1} gasten")
    expect(group(organiser, source)).to_contain_text(LATE_JOINER)
    row = guest_row(host, LATE_JOINER)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("Zwolle")
    expect(row.locator("td").last).to_have_text("nog niet")
    expect(guest_rows(host)).to_have_count(counts[source] + 1)
    # Nobody else moved.
    for table, count in counts.items():
        if table != source:
            expect(group(organiser, table).locator("> summary")).to_contain_text(f"· {count} gasten")

    assert_not_reloaded(organiser, host)


def test_table_manual_move_updates_both_hosts_live(new_page, server) -> None:
    first, second = "Tafel Stad en regio", "Tafel Eén overheid"
    assert HOST_OF[first] == "Annemiek de Vries" and HOST_OF[second] == "Pieter Bakker"
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE)
    preview_and_publish(organiser)
    annemiek = open_host(new_page, server, "Annemiek de Vries")
    pieter = open_host(new_page, server, "Pieter Bakker")

    at_first, at_second = guests_of(organiser, first), guests_of(organiser, second)
    assert at_first, "the first table has no guests to move"
    name = at_first[0]
    expect(guest_rows(annemiek)).to_have_count(len(at_first))
    expect(guest_rows(pieter)).to_have_count(len(at_second))
    expect(guest_row(annemiek, name)).to_have_count(1)
    expect(guest_row(pieter, name)).to_have_count(0)

    # The moved person has their page open too: their card follows.
    moved = new_person(new_page, server, f"participant:{name}", PARTICIPANT_PAGE)
    expect(moved.locator("#table-card .table-name")).to_have_text(first)

    move_by_hand(organiser, name, first, second)

    expect(guest_row(annemiek, name)).to_have_count(0)
    expect(guest_rows(annemiek)).to_have_count(len(at_first) - 1)
    expect(guest_row(pieter, name)).to_have_count(1)
    expect(guest_rows(pieter)).to_have_count(len(at_second) + 1)
    expect(moved.locator("#table-card .table-name")).to_have_text(second)
    expect(moved.locator("#table-card")).to_contain_text("Tafelhost: Pieter Bakker")
    # The organiser's panel shows the move (the panel arrives again over the socket).
    expect(group(organiser, second)).to_contain_text(name)
    assert name not in guests_of(organiser, first)

    assert_not_reloaded(organiser, annemiek, pieter, moved)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_table_pages_have_no_axe_violations(new_page, server, lang: str) -> None:
    organiser = new_person(new_page, server, "organiser:Secretariaat G40", ORGANISER_PAGE, bypass_csp=True,
                           lang=lang)
    organiser.locator('#seating-section button[name="action"][value="preview"]').click()
    expect(organiser.locator("#seating-status")).not_to_have_text("")
    expect(organiser.locator("#seating-panel .badge.warning")).to_be_visible()
    expect(organiser.locator("#seating-panel details.table-group[open] > ul > li").first).to_be_visible()
    check_accessible(organiser, f"organiser page with a seating preview ({lang})")

    participant = new_person(new_page, server, "participant:Jan de Boer", PARTICIPANT_PAGE, bypass_csp=True,
                             lang=lang)
    organiser.locator('#seating-section button[name="action"][value="publish"]').click()
    expect(organiser.locator("#seating-panel .badge.success").first).to_be_visible()
    expect(participant.locator("#table-card .table-name")).to_be_visible()
    expect(participant.locator("html")).to_have_attribute("lang", lang)
    check_accessible(participant, f"participant page with a published table card ({lang})")

    table = participant.locator("#table-card .table-name").inner_text()
    host = open_host(new_page, server, HOST_OF[table], bypass_csp=True, lang=lang)
    expect(guest_row(host, "Jan de Boer")).to_have_count(1)
    check_accessible(host, f"host page with a published guest list ({lang})")

    presenter = new_person(new_page, server, "presenter:Presentatiescherm", PRESENTER_PAGE, bypass_csp=True,
                           lang=lang)
    overview = presenter.locator("#tables-overview")
    expect(presenter.locator("#presenter-stage")).to_have_attribute("data-phase", "before")
    expect(overview).to_be_hidden()  # only shown during the lunch
    lunch = organiser.locator("#phase-control li", has_text="Interactieve netwerklunch")
    lunch.locator("button[type=submit]").click()
    expect(organiser.locator("#programme")).to_have_attribute("data-phase", "lunch")
    expect(presenter.locator("#presenter-stage")).to_have_attribute("data-phase", "lunch")
    expect(overview).to_be_visible()
    expect(overview.locator("ul.table-grid > li")).to_have_count(len(TABLES))
    check_accessible(presenter, f"presenter page in the lunch phase ({lang})")
    check_accessible(organiser, f"organiser page with a published seating in the lunch phase ({lang})")
    assert_not_reloaded(organiser, participant, host, presenter)
