"""The run of show (the moderators' and organiser's phase panel), the language switch, plurals and <time> markup.

The panel is one live fragment: every phase change reaches each organiser's and moderator's copy, and a click
made on a copy that had not yet caught up is refused (422) instead of moving the block on once more."""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest

from app.i18n import current_locale
from app.i18n import ngettext as py_ngettext
from app.templating import env
from tests.conftest import SLUG, query, sign_in
from tests.support.web import MODERATOR, ORGANISER, receive_until

ASSISTANT = "moderator:Assistent moderatie"
PARTICIPANT = "participant:Erik van Dijk"
PEOPLE = (ORGANISER, MODERATOR, ASSISTANT)


def parts(settings) -> dict[str, int]:
    return {kind: pid for pid, kind in query(settings, "SELECT id, kind FROM programme_part ORDER BY position")}


def where(settings) -> tuple:
    return query(settings, "SELECT status, current_part_id, phase_changed_at FROM event WHERE slug = :s", s=SLUG)[0]


def expected_on(html: str) -> str:
    """What the panel's step buttons expect (the hidden input of the previous/next form)."""
    form = re.search(r'<form id="phase-step".*?</form>', html, re.S)
    assert form, "no run of show on this page"
    return re.search(r'name="expected" value="([^"]*)"', form.group(0)).group(1)


def step(person, action: str, expected: str | None = None, **extra: str):
    data = {"action": action, **extra}
    if expected is not None:
        data["expected"] = expected
    return person.post(f"/e/{SLUG}/phase", data)


# --- expected-phase buttons --------------------------------------------------------------------------------


def test_every_phase_button_carries_the_phase_it_expects(settings, people):
    page = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert expected_on(page) == "before"
    panel = re.search(r'<section id="phase-control".*?</section>', page, re.S).group(0)
    # previous/next share one form; each "go to" form and the reset form carry it too
    assert panel.count('name="expected" value="before"') == 1 + len(parts(settings)) + 1
    answer = step(people[ORGANISER], "next", "before")
    assert answer.status_code == 200
    assert expected_on(answer.text) == str(parts(settings)["debate"])
    assert "Volgend onderdeel: Digitaal netwerken" in answer.text and 'aria-current="step"' in answer.text
    assert expected_on(people[ASSISTANT].get(f"/e/{SLUG}/moderator").text) == str(parts(settings)["debate"])


def test_a_stale_next_is_refused_and_changes_nothing(settings, people):
    # Both moderators' panels say "before the start"; the organiser starts the block first.
    stale = expected_on(people[MODERATOR].get(f"/e/{SLUG}/moderator").text)
    assert step(people[ORGANISER], "next", "before").status_code == 200
    before = where(settings)
    answer = step(people[MODERATOR], "next", stale)
    assert answer.status_code == 422
    assert ("Het blok is al verder gegaan naar Het G40Gesprek; kijk in het draaiboek en probeer het opnieuw."
            in answer.text)
    assert 'role="alert"' in answer.text
    assert where(settings) == before  # nothing moved, not even the debate clock
    # The refusal shows the panel as it now is, so the next click is the right one.
    assert expected_on(answer.text) == str(parts(settings)["debate"])
    assert step(people[MODERATOR], "next", expected_on(answer.text)).status_code == 200
    assert where(settings)[1] == parts(settings)["poll"]


@pytest.mark.parametrize(("moves", "message"), [
    (["next", "previous"], "Het blok staat weer vóór de start"),
    (["next", "next", "next", "next", "next"], "Het blok is al afgelopen"),
])
def test_a_stale_previous_is_refused_wherever_the_block_went(settings, people, moves, message):
    assert step(people[ORGANISER], "next", "before").status_code == 200
    stale = str(parts(settings)["debate"])
    for action in moves[1:]:
        current = expected_on(people[ORGANISER].get(f"/e/{SLUG}/organiser").text)
        assert step(people[ORGANISER], action, current).status_code == 200
    before = where(settings)
    answer = step(people[ASSISTANT], "previous", stale)
    assert answer.status_code == 422 and message in answer.text
    assert where(settings) == before


def test_goto_and_reset_are_idempotent(settings, people):
    lunch = parts(settings)["lunch"]
    assert step(people[ORGANISER], "goto", "before", part=str(lunch)).status_code == 200
    first = where(settings)
    # A second moderator clicks the same part a moment later (their panel still said "before"): the same place,
    # and the clock of the part does not restart.
    assert step(people[MODERATOR], "goto", "before", part=str(lunch)).status_code == 200
    assert where(settings) == first
    assert step(people[ORGANISER], "reset", str(lunch)).status_code == 200
    reset = where(settings)
    assert reset[0] == "before" and reset[1] is None
    assert step(people[ASSISTANT], "reset", str(lunch)).status_code == 200
    assert where(settings) == reset


def test_a_script_without_an_expectation_is_taken_at_its_word(settings, people):
    assert step(people[ORGANISER], "next").status_code == 200
    assert step(people[ORGANISER], "next").status_code == 200
    assert where(settings)[1] == parts(settings)["poll"]


def test_the_run_of_show_follows_live_on_every_moderator_and_organiser_screen(settings, people, demo, browser):
    erik = browser()
    sign_in(erik, demo[PARTICIPANT])
    with people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as mod, \
            people[ASSISTANT].websocket(f"/ws/moderator/{SLUG}") as assistant, \
            people[ORGANISER].websocket(f"/ws/organiser/{SLUG}") as organiser, \
            erik.websocket(f"/ws/participant/{SLUG}") as participant:
        for ws in (mod, assistant, organiser):
            snapshot = receive_until(ws, 'id="phase-control"')
            assert 'hx-swap-oob="outerMorph"' in snapshot and expected_on(snapshot) == "before"
        receive_until(participant, 'id="programme"')
        assert step(people[ORGANISER], "next", "before").status_code == 200
        debate = str(parts(settings)["debate"])
        for ws in (mod, assistant, organiser):
            pushed = receive_until(ws, 'id="phase-control" class="card phase-control" data-phase="debate"')
            assert expected_on(pushed) == debate and "Het G40Gesprek" in pushed
        receive_until(participant, 'data-phase="debate"')


def test_an_edit_of_the_programme_reaches_the_run_of_show(settings, people):
    with people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as mod:
        receive_until(mod, 'id="phase-control"')
        closing = parts(settings)["closing"]
        people[ORGANISER].post(f"/e/{SLUG}/organiser/parts/{closing}", {
            "kind": "closing", "title": "Blik op 2022", "starts_at": "13:15", "ends_at": "13:45", "description": ""})
        pushed = receive_until(mod, "Blik op 2022")
        assert 'id="phase-control"' in pushed and 'datetime="2026-12-04T13:45"' in pushed


# --- the language switch -----------------------------------------------------------------------------------


def next_field(html: str) -> str:
    form = re.search(r'<form class="lang-switch".*?</form>', html, re.S).group(0)
    return re.search(r'name="back" value="([^"]*)"', form).group(1).replace("&amp;", "&")


def test_the_language_switch_returns_to_the_same_path_and_query(client, browser):
    me = browser()
    assert next_field(me.get("/?code=G40DEC").text) == "/?code=G40DEC"
    login = me.get(f"/organiser/login?next=/e/{SLUG}/organiser").text
    assert next_field(login) == f"/organiser/login?next=%2Fe%2F{SLUG}%2Forganiser"
    # ?lang= is left out: it would override the language chosen with the switch
    assert next_field(me.get("/?code=G40DEC&lang=nl").text) == "/?code=G40DEC"
    answer = me.post("/lang", {"lang": "en", "back": "/?code=G40DEC"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/?code=G40DEC"
    page = me.get(answer.headers["location"]).text
    assert '<html lang="en">' in page and 'value="G40DEC"' in page
    answer = me.post("/lang", {"lang": "nl", "next": f"/organiser/login?next=/e/{SLUG}/organiser&lang=en"},
                     follow_redirects=False)
    assert answer.headers["location"] == f"/organiser/login?next=%2Fe%2F{SLUG}%2Forganiser"
    assert f'name="next" value="/e/{SLUG}/organiser"' in me.get(answer.headers["location"]).text


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\x00/evil.example", "/ok\r\nSet-Cookie: x=1", "evil.example", "",
])
def test_the_language_switch_never_leaves_the_site(browser, target):
    for field in ("back", "next"):  # "next": what forms of an earlier version send
        answer = browser().post("/lang", {"lang": "en", field: target}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


# --- plurals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "one", "two"), [("nl", "1 stem", "2 stemmen"), ("en", "1 vote", "2 votes")])
def test_plurals_follow_the_count_in_templates_and_code(locale, one, two):
    template = env.from_string('{{ ngettext("%(num)s vote", "%(num)s votes", n) }}')
    named = env.from_string('{{ ngettext("%(num)s guest", "%(num)s guests", n) }} ({{ "x" }})')
    token = current_locale.set(locale)
    try:
        assert [template.render(n=1), template.render(n=2)] == [one, two]
        assert [py_ngettext("%(num)s vote", "%(num)s votes", n) for n in (1, 2)] == [one, two]
        assert named.render(n=1).startswith("1 ") and named.render(n=7).startswith("7 ")
        guests = [named.render(n=n) for n in (1, 2)]
        assert guests == (["1 gast (x)", "2 gasten (x)"] if locale == "nl" else ["1 guest (x)", "2 guests (x)"])
    finally:
        current_locale.reset(token)


def test_the_moderator_console_counts_votes_in_the_right_form(settings, people, demo, browser):
    erik, fatima = browser(), browser()
    sign_in(erik, demo[PARTICIPANT])
    sign_in(fatima, demo["participant:Fatima Bouzid"])
    erik.post(f"/e/{SLUG}/questions", {"body": "Hoe werken we samen met de provincie?", "key": ""})
    qid = query(settings, "SELECT id FROM question WHERE body = :b", b="Hoe werken we samen met de provincie?")[0][0]
    people[MODERATOR].post(f"/e/{SLUG}/moderator/questions/{qid}", {"action": "approve"})
    fatima.post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert "· 1 stem" in console and "1 stemmen" not in console
    erik.post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
    assert "· 2 stemmen" in people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    english = people[MODERATOR].get(f"/e/{SLUG}/moderator?lang=en").text
    assert "· 2 votes" in english


# --- the moderator console's lists -------------------------------------------------------------------------


def test_the_invite_list_puts_the_askers_of_approved_questions_first(settings, people, demo, browser):
    erik, jan = browser(), browser()
    sign_in(erik, demo[PARTICIPANT])
    sign_in(jan, demo["participant:Jan de Boer"])
    erik.post(f"/e/{SLUG}/questions", {"body": "Een goedgekeurde vraag van Erik", "key": ""})
    jan.post(f"/e/{SLUG}/questions", {"body": "Een anonieme vraag van Jan", "key": "", "anonymous": "1"})
    for body in ("Een goedgekeurde vraag van Erik", "Een anonieme vraag van Jan"):
        qid = query(settings, "SELECT id FROM question WHERE body = :b", b=body)[0][0]
        people[MODERATOR].post(f"/e/{SLUG}/moderator/questions/{qid}", {"action": "approve"})
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    select = re.search(r'<select id="invite-participant".*?</select>', console, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == ["Stelde een goedgekeurde vraag of een vraag uit de selectie",
                                              "Andere deelnemers"]
    assert "Erik van Dijk" in groups[0][1] and "Erik van Dijk" not in groups[1][1]
    # the anonymous asker is not singled out by name
    assert "Jan de Boer" not in groups[0][1] and "Jan de Boer" in groups[1][1]
    assert re.search(r'<select id="invite-participant" name="participant" required>\s*<option value="">', select)


def test_the_merge_list_tells_similar_questions_apart(settings, people, demo, browser):
    erik = browser()
    sign_in(erik, demo[PARTICIPANT])
    stem = ("Hoe zorgen we ervoor dat de samenwerking tussen de steden, de provincies en het Rijk ook na de "
            "verkiezingen van volgend jaar blijft bestaan, zeker als het gaat om wonen en werken")
    for ending in ("in de regio Noord?", "in de regio Zuid?"):
        erik.post(f"/e/{SLUG}/questions", {"body": f"{stem} {ending}", "key": ""})
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    options = re.findall(r'<select id="merge-\d+" name="into" class="merge-select">(.*?)</select>', console, re.S)
    assert options and any("regio Zuid" in o for o in options) and any("regio Noord" in o for o in options)
    assert "Erik van Dijk · 0 stemmen" in console


def test_empty_lists_are_said_in_a_paragraph_not_a_numbered_item(people):
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert re.search(r'<p class="muted">\s*Nog geen vragen\.\s*</p>', console)
    assert re.search(r'<p class="muted">\s*Er is nu niemand uitgenodigd\.\s*</p>|<p class="muted">[^<]*uitgenodigd',
                     console)
    assert not re.search(r"<li[^>]*>\s*Nog geen vragen", console)


def test_the_run_of_show_buttons_have_clean_accessible_names(people):
    page = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    panel = re.search(r'<section id="phase-control".*?</section>', page, re.S).group(0)
    # "Naar dit onderdeel – Digitaal netwerken": a separator that reads well whether or not the browser puts a
    # space before the (absolutely positioned, so block-level) hidden part; never "onderdeel : …"
    assert 'Naar dit onderdeel <span class="visually-hidden">– Digitaal netwerken</span>' in panel
    assert '<span class="visually-hidden">:' not in panel


# --- <time> elements ---------------------------------------------------------------------------------------

DATE = r"\d{4}-\d{2}-\d{2}"
TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?"
ZONE = r"(?:Z|[+-]\d{2}:?\d{2})"
DURATION = r"P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
VALID_TIME_VALUE = re.compile(
    rf"^(?:{DATE}|\d{{4}}-\d{{2}}|{TIME}|{DATE}[T ]{TIME}{ZONE}?|\d{{4}}|\d{{4}}-W\d{{2}}|{DURATION})$")


def valid_time_value(value: str) -> bool:
    """A valid date/time/duration string (HTML's <time>): the shape, and a real date and time."""
    value = value.strip()
    if not VALID_TIME_VALUE.match(value) or value in ("P", "PT"):
        return False
    try:
        if re.match(rf"^{DATE}$", value):
            date.fromisoformat(value)
        elif re.match(rf"^{DATE}[T ]", value):
            datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
        elif re.match(rf"^{TIME}$", value):
            datetime.strptime(value[:5], "%H:%M")
    except ValueError:
        return False
    return True


class TimeElements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str]] = []
        self._open: list[list] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "time":
            self._open.append([dict(attrs).get("datetime"), ""])

    def handle_data(self, data: str) -> None:
        for item in self._open:
            item[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "time" and self._open:
            datetime_attr, text = self._open.pop()
            self.found.append((datetime_attr, text))


def invalid_times(html: str) -> list[tuple[str | None, str]]:
    parser = TimeElements()
    parser.feed(html)
    return [(attr, text) for attr, text in parser.found
            if not (valid_time_value(attr) if attr is not None else valid_time_value(text))]


def test_valid_time_value_knows_valid_from_invalid():
    assert all(map(valid_time_value, ["2026-12-04", "11:30", "2026-12-04T11:30", "2026-12-04T11:30Z", "PT45M"]))
    assert not any(map(valid_time_value, ["11:30–12:15", "25:00", "2026-13-01", "4-12-2026", "P", "soon"]))


def test_every_time_element_on_every_page_of_every_role_is_valid(settings, people, demo, browser):
    erik, presenter, host = browser(), browser(), browser()
    sign_in(erik, demo[PARTICIPANT])
    sign_in(presenter, demo["presenter:Presentatiescherm"])
    sign_in(host, demo["host:Pieter Bakker"])
    organiser = people[ORGANISER]
    pages = [
        (erik, f"/e/{SLUG}"), (people[MODERATOR], f"/e/{SLUG}/moderator"), (presenter, f"/e/{SLUG}/presenter"),
        (host, f"/e/{SLUG}/host"), (organiser, f"/e/{SLUG}/organiser"), (organiser, "/organiser"),
        (organiser, f"/e/{SLUG}/organiser/setup"), (organiser, f"/e/{SLUG}/organiser/participants"),
        (organiser, f"/e/{SLUG}/organiser/links"), (organiser, f"/e/{SLUG}/organiser/afterwards"),
        (organiser, f"/e/{SLUG}/organiser/report"), (browser(), "/"), (browser(), "/privacy"),
        (browser(), "/toegankelijkheid"), (browser(), "/organiser/login"),
    ]
    seen = 0
    expected = "before"
    for _phase in range(6):  # before, the four parts, after
        for person, path in pages:
            answer = person.get(path)
            assert answer.status_code == 200, path
            assert not invalid_times(answer.text), (path, invalid_times(answer.text))
            seen += answer.text.count("<time")
        answer = step(organiser, "next", expected)
        expected = expected_on(answer.text) if answer.status_code == 200 else expected
    assert seen > 50  # the programme's times were there to check
    with people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as ws:
        pushed = receive_until(ws, 'id="phase-control"')
    assert "<time" in pushed and not invalid_times(pushed)
