"""The organiser console, as a new organiser uses it: create an event from the dashboard, add a poll question,
import participants from a CSV file, add lunch tables, hand out a personal link, and run the day while a
participant follows live. Also axe-core on every organiser page (Dutch and English), the sign-in page and the
import preview with problems.

Elements are found by id, name, role and form action/field names rather than by visible (Dutch) text, so the
tests do not depend on translations in progress.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import check_accessible

EVENT_NAME = "Netwerkdag test"
CSV_GOOD = "naam;gemeente;functie\nAnna Jansen;Tilburg;wethouder\nBert de Vries;Zwolle;burgemeester\n"
# One good row, one row with a municipality that does not exist: a preview with an error summary (422).
CSV_BAD = "naam;gemeente;functie\nAnna Jansen;Tilburg;wethouder\nBert de Vries;Nergenshuizen;burgemeester\n"
POLL_PROMPT = "Hoe komt u vandaag naar de netwerkdag?"
POLL_OPTIONS = ["Met de trein", "Met de auto"]
TABLES = [  # name, topic, host, video link
    ("Tafel Noord", "Wonen", "Hanna Host", "https://meet.jit.si/test-1"),
    ("Tafel Zuid", "Werk", "Karel Gastheer", "https://meet.jit.si/test-2"),
]


def csv_file(text: str) -> dict:
    return {"name": "deelnemers.csv", "mimeType": "text/csv", "buffer": text.encode()}


def open_details(page, form_action_suffix: str) -> None:
    details = page.locator("details", has=page.locator(f'form[action$="{form_action_suffix}"]')).last
    if details.get_attribute("open") is None:
        details.locator("> summary").click()
    expect(details.locator(f'form[action$="{form_action_suffix}"]')).to_be_visible()


# --- 1. a new event from scratch -------------------------------------------------------------------------


# This test creates an event, participants and tables and moves the phase: a server of its own.
@pytest.mark.own_server
class TestOrganiserFromScratch:
    def test_organiser_sets_up_an_event_from_scratch_as_a_new_user_would(self, new_page, server) -> None:
        organiser = new_page(label="organiser (new event)")

        # The dashboard: a new event.
        organiser.goto("/organiser")
        expect(organiser.locator("html")).to_have_attribute("lang", "nl")
        day = (date.today() + timedelta(days=30)).isoformat()
        new_event = organiser.locator('form[action="/organiser/events"]')
        new_event.locator('input[name="name"]').fill(EVENT_NAME)
        new_event.locator('input[name="day"]').fill(day)
        new_event.locator('button[type="submit"]').click()
        slug = f"netwerkdag-test-{day}"
        expect(organiser).to_have_url(server.url(f"/e/{slug}/organiser/setup"))
        expect(organiser.locator("h1")).to_contain_text(EVENT_NAME)
        expect(organiser.locator('form[action$="/organiser/event"] input[name="name"]')).to_have_value(EVENT_NAME)
        expect(organiser.locator('form[action$="/organiser/event"] input[name="day"]')).to_have_value(day)

        # A poll question: single choice, two answers.
        open_details(organiser, "/organiser/polls")
        poll = organiser.locator(f'form[action="/e/{slug}/organiser/polls"]')
        poll.locator('input[name="prompt"]').fill(POLL_PROMPT)
        poll.locator('select[name="kind"]').select_option("single")
        poll.locator('textarea[name="options"]').fill("\n".join(POLL_OPTIONS))
        poll.locator('select[name="results"]').select_option("live")
        poll.locator('button[type="submit"]').click()
        # HX-Redirect reloads the set-up page: the question is listed with its answers, and the form is closed.
        question = organiser.locator('section[aria-labelledby="poll-setup-title"] ol > li', has_text=POLL_PROMPT)
        expect(question).to_have_count(1)
        expect(question).to_contain_text(", ".join(POLL_OPTIONS))
        expect(organiser.locator("#poll-setup-status")).to_have_text("")

        # Participants: import a CSV file, check the preview, confirm.
        organiser.locator(f'nav.organiser-nav a[href="/e/{slug}/organiser/participants"]').click()
        expect(organiser).to_have_url(server.url(f"/e/{slug}/organiser/participants"))
        upload = organiser.locator(f'form[action="/e/{slug}/organiser/import"]')
        upload.locator('input[type="file"][name="file"]').set_input_files(csv_file(CSV_GOOD))
        with organiser.expect_navigation():
            upload.locator('button[type="submit"]').click()
        expect(organiser).to_have_url(server.url(f"/e/{slug}/organiser/import"))
        expect(organiser.locator(".error-summary")).to_have_count(0)
        preview = organiser.locator('div.table-scroll[role="region"] table tbody tr')
        expect(preview).to_have_count(2)
        expect(preview.nth(0).locator("td").nth(1)).to_have_text("Anna Jansen")
        expect(preview.nth(0).locator("td").nth(2)).to_have_text("Tilburg")
        expect(preview.nth(1).locator("td").nth(1)).to_have_text("Bert de Vries")
        expect(preview.nth(1).locator("td").nth(2)).to_have_text("Zwolle")
        confirm = organiser.locator(f'form[action^="/e/{slug}/organiser/import/"]')
        with organiser.expect_navigation():
            confirm.locator('button[type="submit"]').click()
        expect(organiser).to_have_url(server.url(f"/e/{slug}/organiser/participants"))
        people = organiser.locator('section[aria-labelledby="people-title"] details > summary > strong')
        expect(people).to_have_text(["Anna Jansen", "Bert de Vries"])

        # The run page: two lunch tables, each with a host whose link is shown once.
        organiser.goto(f"/e/{slug}/organiser")
        expect(organiser.locator("#live-status")).to_have_attribute("data-state", "online")
        status = organiser.locator("#seating-status")
        for count, (name, topic, host, video) in enumerate(TABLES, start=1):
            open_details(organiser, f"/e/{slug}/tables/new")
            form = organiser.locator(f'form[action="/e/{slug}/tables/new"]')
            form.locator('input[name="name"]').fill(name)
            form.locator('input[name="capacity"]').fill("8")
            form.locator('input[name="video_url"]').fill(video)
            form.locator('input[name="topic"]').fill(topic)
            form.locator('input[name="host_name"]').fill(host)
            form.locator('select[name="host_municipality"]').select_option(index=count)
            before = status.inner_text()
            form.locator('button[type="submit"]').click()
            # The answer to this POST (not the previous table's): a new host link, once.
            expect(status).not_to_have_text(before)
            expect(status).to_contain_text(re.compile(re.escape(server.url("/r/")) + r"[\w-]{16,}"))
            expect(status.locator(".is-error")).to_have_count(0)
            # The seating panel follows over the WebSocket: the new table is listed (wait for it, so the next
            # round does not fill a form the live update is about to replace).
            tables = organiser.locator("#seating-panel details.table-group > summary > strong")
            expect(tables).to_have_text([t[0] for t in TABLES[:count]])
        # The host link is shown once and works: it opens the host page of that table.
        host_link = re.search(re.escape(server.url("/r/")) + r"[\w-]+", status.inner_text()).group(0)
        host_page = new_page(label="host of the second table")
        host_page.goto(host_link)
        expect(host_page).to_have_url(server.url(f"/e/{slug}/host"))
        expect(host_page.locator("#host-table-title")).to_have_text(TABLES[1][0])

        # The links page: Anna's personal link.
        organiser.locator(f'nav.organiser-nav a[href="/e/{slug}/organiser/links"]').click()
        expect(organiser).to_have_url(server.url(f"/e/{slug}/organiser/links"))
        rows = organiser.locator('section[aria-labelledby="person-links-title"] tbody tr')
        expect(rows).to_have_count(2)
        anna_row = rows.filter(has=organiser.locator("td:first-child", has_text=re.compile(r"^Anna Jansen$")))
        expect(anna_row).to_have_count(1)
        anna_link = anna_row.locator("input.link-field").input_value()
        assert re.fullmatch(re.escape(server.url("/j/")) + r"[\w-]{16,}", anna_link), anna_link

        # Anna opens it in her own browser: the participant page of the new event, live.
        anna = new_page(label="participant Anna Jansen")
        anna.goto(anna_link)
        expect(anna).to_have_url(server.url(f"/e/{slug}"))
        expect(anna.locator("#live-status")).to_have_attribute("data-state", "online")
        expect(anna.locator("#programme")).to_have_attribute("data-phase", "before")
        anna.evaluate("() => { window.__marker = 1; }")

        # The organiser starts the block; Anna's programme follows without a reload.
        organiser.goto(f"/e/{slug}/organiser")
        expect(organiser.locator("#live-status")).to_have_attribute("data-state", "online")
        organiser.locator('#phase-control button[name="action"][value="next"]').click()
        expect(organiser.locator("#phase-control .badge")).to_have_count(1)
        expect(anna.locator("#programme")).to_have_attribute("data-phase", "debate")
        expect(anna.locator('#programme li[aria-current="step"]')).to_contain_text("Het G40Gesprek")
        assert anna.evaluate("() => window.__marker") == 1, "the participant page reloaded"
        expect(anna.locator("#live-status")).to_have_attribute("data-state", "online")


# --- 2. accessibility of the organiser pages --------------------------------------------------------------

LANGUAGES = ["nl", "en"]
ORGANISER_PAGES = {
    "dashboard": "/organiser",
    "setup": f"/e/{SLUG}/organiser/setup",
    "participants": f"/e/{SLUG}/organiser/participants",
    "links": f"/e/{SLUG}/organiser/links",
    "links-print": f"/e/{SLUG}/organiser/links?print=1",
    "afterwards": f"/e/{SLUG}/organiser/afterwards",
    "report": f"/e/{SLUG}/organiser/report",
}


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(ORGANISER_PAGES))
def test_organiser_pages_have_no_axe_violations(new_page, server, name: str, lang: str) -> None:
    path = ORGANISER_PAGES[name]
    page = new_page(bypass_csp=True, label=f"organiser: {name} ({lang})")
    page.goto(with_lang(path, lang))
    expect(page).to_have_url(server.url(with_lang(path, lang)))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).not_to_have_text("")
    check_accessible(page, f"organiser {name} ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_organiser_login_page_has_no_axe_violations(new_page, server, lang: str) -> None:
    page = new_page(bypass_csp=True, label=f"login page ({lang})")  # not signed in
    page.goto(with_lang("/organiser/login", lang))
    expect(page).to_have_url(server.url(with_lang("/organiser/login", lang)))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator('form[action="/organiser/login"] input[name="password"]')).to_be_visible()
    check_accessible(page, f"organiser login page ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_organiser_import_preview_with_problems_has_no_axe_violations(new_page, server, lang: str) -> None:
    page = new_page(bypass_csp=True, label=f"organiser: import preview ({lang})", expected_statuses=(422,))
    # ?lang= on the first page sets the language for the session: the preview (a POST) speaks it too.
    page.goto(with_lang(f"/e/{SLUG}/organiser/participants", lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    upload = page.locator(f'form[action="/e/{SLUG}/organiser/import"]')
    upload.locator('input[type="file"][name="file"]').set_input_files(csv_file(CSV_BAD))
    with page.expect_navigation():
        upload.locator('button[type="submit"]').click()
    expect(page).to_have_url(server.url(f"/e/{SLUG}/organiser/import"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(1)
    expect(summary.locator("li")).to_contain_text("Nergenshuizen")
    # Nothing can be confirmed; the good row is still shown in the preview.
    expect(page.locator(f'form[action^="/e/{SLUG}/organiser/import/"]')).to_have_count(0)
    expect(page.locator('div.table-scroll[role="region"] table tbody tr')).to_have_count(1)
    check_accessible(page, f"organiser import preview with problems ({lang})")
