"""Digitaal netwerken, live: the moderator opens a poll question, participants vote from their own browsers, and
every chart (participants and presenter screen) shows the exact counts within a second — through the DOM (the
data table) and through what Plotly actually plotted. Also: a participant's choice survives a reload and a
reconnect, the pages stay accessible after live updates (Dutch and English), and the charts work under the
app's real Content Security Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import SLUG
from tests.browser.conftest import assert_not_reloaded, new_person, participant

PARTICIPANT_PAGE = f"/e/{SLUG}"
MODERATOR_PAGE = f"/e/{SLUG}/moderator"
PRESENTER_PAGE = f"/e/{SLUG}/presenter"
ORGANISER_PAGE = f"/e/{SLUG}/organiser"

MODERATOR = "moderator:Gespreksleider"
PRESENTER = "presenter:Presentatiescherm"
ORGANISER = "organiser:Secretariaat G40"
VOTERS = ["participant:Marieke Hendriks", "participant:Erik van Dijk", "participant:Fatima Bouzid",
          "participant:Jan de Boer", "participant:Lotte Mulder"]

POLL_PART = "Digitaal netwerken"
QUESTION_1 = "Hoe verhoudt deze online netwerkdag zich tot een fysieke netwerkdag?"
OPTIONS_1 = ["Beter", "Even goed", "Iets minder", "Veel minder"]
# app/locale/nl/LC_MESSAGES/messages.po: "Your vote has been saved. You can change it while the question is open."
VOTE_SAVED = "Uw stem is opgeslagen"
VOTE_SAVED_EN = "Your vote has been saved"
LIVE_WITHIN_MS = 1000
RECONNECT_TIMEOUT_MS = 20_000  # hx-ws backs off 0.5 s, 1 s, 2 s, 4 s … with jitter


# Votes of one test must not leak into the next (the counts are asserted exactly): a server per test.
pytestmark = pytest.mark.own_server


# --- helpers ----------------------------------------------------------------------------------------------




person = new_person  # (open a link as someone, online and marked)


def go_to_poll_phase(new_page, server, **kw) -> None:
    """As the organiser, jump the run of show to 'Digitaal netwerken' (the presenter shows results only then)."""
    organiser = person(new_page, server, ORGANISER, ORGANISER_PAGE, **kw)
    organiser.locator("#phase-control li", has_text=POLL_PART).get_by_role("button").click()
    expect(organiser.locator("#phase-control li", has=organiser.locator(".badge"))).to_contain_text(POLL_PART)
    expect(organiser.locator("#programme")).to_have_attribute("data-phase", "poll")


def for_question(action: str, prompt: str) -> re.Pattern:
    """A per-question button's accessible name: "<action> – <prompt>" (the prompt is in a visually hidden span)."""
    return re.compile(rf"^{re.escape(action)}\s*–\s*{re.escape(prompt)}$")


def open_question(console, prompt: str) -> None:
    """The moderator clicks the question's own open button; the polite confirmation says it is open."""
    console.evaluate("() => { document.getElementById('poll-action-status').textContent = ''; }")
    item = console.locator("#poll-control li.poll-question", has_text=prompt)
    item.get_by_role("button", name=for_question("Deze vraag openen", prompt)).click()
    expect(console.locator("#poll-action-status")).to_have_text("De vraag staat open.")
    expect(item.locator(".badge")).to_have_text("open")


def question_id(page) -> int:
    form = page.locator("#poll-question form.poll-form")
    expect(form).to_be_visible()
    return int(form.get_attribute("data-question"))


def choose(page, label: str) -> None:
    page.locator("#poll-question").get_by_label(label, exact=True).check()


def submit(page) -> None:
    page.locator("#poll-question form.poll-form button[type=submit]").click()


# In-page watchers: they record (Date.now(), the same clock in every browser context) the moment a condition first
# holds, so "within a second of the last status message" is measured where it happens, not when the test looks.
WATCH_STATUS = """([key, text]) => {
    window.__seen = window.__seen || {};
    delete window.__seen[key];
    const timer = setInterval(() => {
        const status = document.getElementById('poll-status');
        if (status && status.textContent.includes(text)) { window.__seen[key] = Date.now(); clearInterval(timer); }
    }, 5);
}"""

# The current counts as this page shows them: the data table's cells, the JSON island, and Plotly's own data.
READ_COUNTS = """(qid) => {
    const div = document.getElementById('chart-' + qid);
    const article = div && div.closest('article');
    const island = document.querySelector('script[type="application/json"][data-chart="chart-' + qid + '"]');
    let figure = null;
    try { figure = island ? JSON.parse(island.textContent) : null; } catch (e) { figure = null; }
    const plotted = div && div.data && div.data[0] ? div.data[0].x : null;
    const texts = (selector) => article ? [...article.querySelectorAll(selector)].map(c => c.textContent.trim()) : null;
    return {
        labels: texts('details.chart-table tbody tr th'),
        table: texts('details.chart-table tbody tr td:first-of-type'),
        counter: article ? (article.querySelector('p.counter strong') || {}).textContent : null,
        island: figure && figure.data && figure.data[0] ? figure.data[0].x : null,
        plotted: plotted && typeof plotted.length === 'number' ? Array.from(plotted) : plotted,
        plotted_labels: div && div.data && div.data[0] && div.data[0].y ? Array.from(div.data[0].y) : null,
        svg: div ? div.querySelectorAll('svg.main-svg').length : 0,
    };
}"""

WATCH_COUNTS = """([key, qid, expected, voters]) => {
    window.__seen = window.__seen || {};
    delete window.__seen[key];
    const same = (a, b) => Array.isArray(a) && a.length === b.length && a.every((v, i) => Number(v) === b[i]);
    const timer = setInterval(() => {
        const div = document.getElementById('chart-' + qid);
        const article = div && div.closest('article');
        if (!article || !div.data || !div.data[0]) return;
        const cells = [...article.querySelectorAll('details.chart-table tbody tr td:first-of-type')]
            .map(c => c.textContent.trim());
        const counter = (article.querySelector('p.counter strong') || {}).textContent;
        if (same(cells, expected) && same(Array.from(div.data[0].x || []), expected) && Number(counter) === voters) {
            window.__seen[key] = Date.now();
            clearInterval(timer);
        }
    }, 5);
}"""


def watch_counts(pages: dict, key: str, qid: int, expected: list[int]) -> None:
    for page in pages.values():
        page.evaluate(WATCH_COUNTS, [key, qid, expected, sum(expected)])


def seen_at(page, key: str, what: str, label: str) -> float:
    try:
        page.wait_for_function("(k) => window.__seen && window.__seen[k]", arg=key)
    except Exception as error:
        raise AssertionError(f"{label}: {what} never happened; the page shows {current(page, key)!r}") from error
    return page.evaluate("(k) => window.__seen[k]", key)


def current(page, key: str):
    qid = page.evaluate("() => { const d = document.querySelector('[id^=chart-]'); return d ? d.id.slice(6) : null; }")
    return page.evaluate(READ_COUNTS, qid) if qid else "(no chart)"


def assert_counts_everywhere(pages: dict, key: str, qid: int, expected: list[int], last_vote_ms: float) -> None:
    """Every page reached the expected counts (table, counter and plotted data) within a second of the last vote's
    confirmation, and still shows them now."""
    late, delays = [], {}
    for label, page in pages.items():
        at = seen_at(page, key, f"counts {expected}", label)
        delays[label] = round(at - last_vote_ms)
        if at - last_vote_ms > LIVE_WITHIN_MS:
            late.append(f"{label}: {at - last_vote_ms:.0f} ms after the last vote was confirmed")
    print(f"{expected}: shown this many ms after the last confirmation: {delays}")
    assert not late, f"charts showed {expected} later than {LIVE_WITHIN_MS} ms:\n  " + "\n  ".join(late)
    for label, page in pages.items():
        shown = page.evaluate(READ_COUNTS, qid)
        assert shown["labels"] == OPTIONS_1, f"{label}: table rows {shown['labels']!r}"
        assert shown["plotted_labels"] == OPTIONS_1, f"{label}: chart bars {shown['plotted_labels']!r}"
        assert [int(c) for c in shown["table"]] == expected, f"{label}: table {shown!r}"
        assert list(shown["plotted"]) == expected, f"{label}: plotted {shown!r}"
        assert list(shown["island"]) == expected, f"{label}: JSON island {shown!r}"
        assert int(shown["counter"]) == sum(expected), f"{label}: counter {shown!r}"
        assert shown["svg"] >= 1, f"{label}: no drawn chart (svg) in #chart-{qid}"


# --- the flow ---------------------------------------------------------------------------------------------


def test_poll_five_participants_vote_and_every_chart_shows_the_exact_counts(new_page, server) -> None:
    go_to_poll_phase(new_page, server)
    console = person(new_page, server, MODERATOR, MODERATOR_PAGE)
    screen = person(new_page, server, PRESENTER, PRESENTER_PAGE)
    expect(screen.locator("#presenter-stage")).to_have_attribute("data-phase", "poll")
    voters = {key: participant(new_page, server, key) for key in VOTERS}
    for page in voters.values():
        expect(page.locator("#programme")).to_have_attribute("data-phase", "poll")
        expect(page.locator("#poll-question form.poll-form")).to_have_count(0)

    # The moderator opens question 1: every participant's form appears live.
    open_question(console, QUESTION_1)
    for page in voters.values():
        expect(page.locator("#poll-question legend")).to_have_text(QUESTION_1)
        expect(page.locator("#poll-question input[name=option][type=radio]")).to_have_count(4)
    qid = question_id(next(iter(voters.values())))
    screens = {**{key: page for key, page in voters.items()}, PRESENTER: screen}
    expect(screen.locator("#poll-results")).to_be_visible()
    expect(screen.locator(f"#chart-{qid} svg.main-svg").first).to_be_attached()

    # Five votes at (nearly) the same time: choose first, then submit on every page without waiting in between.
    choices = ["Beter", "Beter", "Beter", "Even goed", "Even goed"]
    for (_key, page), option in zip(voters.items(), choices, strict=True):
        choose(page, option)
        page.evaluate(WATCH_STATUS, ["voted", VOTE_SAVED])
    watch_counts(screens, "counts-1", qid, [3, 2, 0, 0])
    for page in voters.values():
        submit(page)
    last_vote = max(seen_at(page, "voted", "the vote confirmation", key) for key, page in voters.items())
    for page in voters.values():
        expect(page.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    assert_counts_everywhere(screens, "counts-1", qid, [3, 2, 0, 0], last_vote)

    # One participant changes their vote: every chart follows, the voter count stays 5.
    changer = voters[VOTERS[0]]
    changer.evaluate("() => { document.getElementById('poll-status').textContent = ''; }")
    changer.evaluate(WATCH_STATUS, ["changed", VOTE_SAVED])
    watch_counts(screens, "counts-2", qid, [2, 2, 1, 0])
    choose(changer, "Iets minder")
    submit(changer)
    changed = seen_at(changer, "changed", "the changed vote's confirmation", VOTERS[0])
    assert_counts_everywhere(screens, "counts-2", qid, [2, 2, 1, 0], changed)
    expect(changer.locator("#poll-question").get_by_label("Iets minder", exact=True)).to_be_checked()

    # The moderator's console counts voters too.
    expect(console.locator("#poll-control li.poll-question", has_text=QUESTION_1)).to_contain_text("5 deelnemers")

    # No Plotly mode bar (no "send to cloud", no logo, no English controls inside the chart's role="img");
    # the image export is Samen's own translated button beside the chart.
    for label, page in screens.items():
        expect(page.locator(f"#chart-{qid} .modebar")).to_have_count(0)
        button = page.locator(f'button[data-download-chart="chart-{qid}"]')
        expect(button).to_have_count(1)
        expect(button).to_contain_text("PNG")
        with page.expect_download() as download:
            button.click()
        assert download.value.suggested_filename.endswith(".png"), label

    assert_not_reloaded(console, *screens.values())
    for page in (console, *screens.values()):
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def test_poll_form_keeps_the_participants_choice_after_reconnect_or_reload(new_page, server) -> None:
    go_to_poll_phase(new_page, server, allow_ws_errors=True)
    console = person(new_page, server, MODERATOR, MODERATOR_PAGE, allow_ws_errors=True)
    fatima = participant(new_page, server, "participant:Fatima Bouzid", allow_ws_errors=True)
    open_question(console, QUESTION_1)
    question_id(fatima)
    choose(fatima, "Iets minder")
    submit(fatima)
    expect(fatima.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    expect(fatima.locator("#my-ballot")).not_to_have_attribute("data-ballots", "{}")
    option = fatima.locator("#poll-question").get_by_label("Iets minder", exact=True)

    # Reload: the form arrives without a ticked option; the personal #my-ballot ticks it.
    fatima.reload()
    expect(fatima.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(option).to_be_checked()
    for other in ("Beter", "Even goed", "Veel minder"):
        expect(fatima.locator("#poll-question").get_by_label(other, exact=True)).not_to_be_checked()

    # The moderator closes and reopens the question: the re-rendered form (pushed live) keeps the choice.
    fatima.evaluate("() => { window.__marker = 1; }")
    console.locator("#poll-control li.poll-question", has_text=QUESTION_1).get_by_role(
        "button", name=for_question("Stemming sluiten", QUESTION_1)).click()
    expect(fatima.locator("#poll-question form.poll-form")).to_have_count(0)
    console.locator("#poll-control li.poll-question", has_text=QUESTION_1).get_by_role(
        "button", name=for_question("Opnieuw openen", QUESTION_1)).click()
    expect(fatima.locator("#poll-question form.poll-form")).to_have_count(1)
    expect(option).to_be_checked()

    # Reconnect: the server restarts under the open page; the snapshot after reconnecting keeps the choice.
    status = fatima.locator("#live-status")
    server.stop()
    expect(status).to_have_attribute("data-state", "offline")
    server.start()
    expect(status).to_have_attribute("data-state", "online", timeout=RECONNECT_TIMEOUT_MS)
    expect(fatima.locator("#poll-question form.poll-form")).to_have_count(1)
    expect(option).to_be_checked()
    assert_not_reloaded(fatima)
    # Still exactly one vote, and it counts where it was cast.
    shown = fatima.evaluate(READ_COUNTS, question_id(fatima))
    assert [int(c) for c in shown["table"]] == [0, 0, 1, 0], shown


# --- accessibility ----------------------------------------------------------------------------------------


def test_poll_pages_have_no_axe_violations_after_updates(new_page, server, assert_accessible) -> None:
    # bypass_csp only so that axe-core can be injected (see new_page in conftest.py).
    go_to_poll_phase(new_page, server, bypass_csp=True)
    console = person(new_page, server, MODERATOR, MODERATOR_PAGE, bypass_csp=True)
    screen = person(new_page, server, PRESENTER, PRESENTER_PAGE, bypass_csp=True)
    marieke = participant(new_page, server, VOTERS[0], bypass_csp=True)
    erik = participant(new_page, server, VOTERS[1], bypass_csp=True)
    open_question(console, QUESTION_1)
    qid = question_id(marieke)
    choose(marieke, "Beter")
    submit(marieke)
    expect(marieke.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    choose(erik, "Veel minder")
    submit(erik)
    expect(erik.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    for page in (marieke, erik, screen):
        expect(page.locator(f"#chart-{qid}").locator("xpath=ancestor::article").locator("p.counter strong")).to_have_text("2")
        expect(page.locator(f"#chart-{qid} svg.main-svg").first).to_be_attached()
    assert_not_reloaded(marieke, erik, screen)

    failures = []
    for page, label in ((marieke, "participant page with an open question, after voting"),
                        (erik, "participant page, results updated live"),
                        (screen, "presenter screen with live poll results")):
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))

    # The same in English: ?lang=en is remembered for the page's live updates.
    marieke.goto(f"{PARTICIPANT_PAGE}?lang=en")
    screen.goto(f"{PRESENTER_PAGE}?lang=en")
    for page in (marieke, screen):
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
        page.evaluate("() => { window.__marker = 1; }")
    choose(erik, "Even goed")  # a live update after the English pages have loaded
    erik.evaluate("() => { document.getElementById('poll-status').textContent = ''; }")
    submit(erik)
    expect(erik.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    for page in (marieke, screen):
        article = page.locator(f"#chart-{qid}").locator("xpath=ancestor::article")
        expect(article.locator("details.chart-table tbody tr td:first-of-type")).to_have_text(["1", "1", "0", "0"])
        expect(article.locator("p.counter")).to_contain_text("voters")
        expect(page.locator(f"#chart-{qid} svg.main-svg").first).to_be_attached()
    expect(marieke.locator("#poll-question button[type=submit]")).to_have_text("Vote")
    expect(marieke.locator("#poll-question").get_by_label("Beter", exact=True)).to_be_checked()
    assert_not_reloaded(marieke, screen)
    for page, label in ((marieke, "participant page in English, after a live update"),
                        (screen, "presenter screen in English, after a live update")):
        try:
            assert_accessible(page, label)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


# --- the real CSP -----------------------------------------------------------------------------------------

RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' +
                      e.lineNumber + ' sample=' + JSON.stringify(e.sample));
});
"""


def test_poll_charts_work_under_the_content_security_policy(new_page, server) -> None:
    """No bypass_csp here: the page runs under the app's real CSP (script-src 'self'; style-src 'self').
    The conftest fails the test on any console error, and Chromium logs every CSP violation as one."""
    go_to_poll_phase(new_page, server)
    console = person(new_page, server, MODERATOR, MODERATOR_PAGE)
    open_question(console, QUESTION_1)

    jan = new_page(label=VOTERS[3])
    jan.add_init_script(RECORD_CSP_VIOLATIONS)
    response = jan.goto(server.links[VOTERS[3]])
    assert response is not None
    expect(jan).to_have_url(server.url(PARTICIPANT_PAGE))
    csp = jan.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert csp and "style-src 'self'" in csp and "script-src 'self'" in csp, f"unexpected CSP: {csp!r}"
    expect(jan.locator("#live-status")).to_have_attribute("data-state", "online")
    jan.evaluate("() => { window.__marker = 1; }")
    qid = question_id(jan)
    chart = jan.locator(f"#chart-{qid}")
    expect(chart.locator("svg.main-svg").first).to_be_attached()

    # A vote: the chart is redrawn live under the CSP too.
    choose(jan, "Even goed")
    submit(jan)
    expect(jan.locator("#poll-status")).to_contain_text(VOTE_SAVED)
    jan.wait_for_function("(qid) => { const d = document.getElementById('chart-' + qid);"
                          " return d && d.data && Array.from(d.data[0].x).join() === '0,1,0,0'; }", arg=qid)
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    assert chart.locator("g.trace.bars path").count() >= 1, "no bars drawn"
    assert_not_reloaded(jan)

    problems = []
    # What a blocked Plotly stylesheet looks like: its layers (the plot's svg and the overlay svgs) are no longer
    # stacked on one another but spill below the chart, and the mode bar sits in the flow as a grey strip.
    layout = jan.evaluate("""(qid) => {
        const div = document.getElementById('chart-' + qid);
        const box = div.getBoundingClientRect();
        const layers = [...div.querySelectorAll('svg.main-svg')].map(s => s.getBoundingClientRect());
        const modebar = div.querySelector('.modebar');
        return {chartBottom: box.bottom, layerTops: layers.map(r => Math.round(r.top)),
                lowest: Math.max(...layers.map(r => r.bottom)),
                modebar: modebar ? getComputedStyle(modebar).position : null};
    }""", qid)
    if len(set(layout["layerTops"])) != 1 or layout["lowest"] > layout["chartBottom"] + 1:
        problems.append(f"the chart's svg layers are not stacked (Plotly's CSS is missing): tops "
                        f"{layout['layerTops']}, lowest bottom {layout['lowest']:.0f} px, chart bottom "
                        f"{layout['chartBottom']:.0f} px")
    violations = jan.evaluate("() => window.__csp")
    if violations:
        inline_styles = jan.evaluate(
            "() => [...document.querySelectorAll('style')].map(s => (s.id || '(no id)') + ' ('"
            " + s.textContent.length + ' characters): ' + s.textContent.slice(0, 60))")
        problems.append("CSP violations on the participant page with a chart:\n    " + "\n    ".join(violations) +
                        "\n  <style> elements Plotly put in the document:\n    " + "\n    ".join(inline_styles))
    # The data table below the chart stays usable (nothing of the chart lies over it).
    summary = jan.locator(f"#chart-{qid}").locator("xpath=ancestor::article").locator("details.chart-table summary")
    try:
        summary.click(timeout=3000)
        expect(summary.locator("xpath=..")).to_have_attribute("open", "", timeout=3000)
    except Exception as error:  # noqa: BLE001 - collected with the other problems
        lines = str(error).splitlines()
        why = next((line.strip() for line in reversed(lines) if "intercepts pointer events" in line), lines[0])
        problems.append(f"the table's <summary> below the chart cannot be clicked: {why}")
    assert not problems, "\n".join(problems)
