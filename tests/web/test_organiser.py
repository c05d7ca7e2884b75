"""The organiser console over HTTP and WebSocket: signing in (throttling, TOTP, safe redirects), who may use it,
events, programme, poll questions, participants (by hand, import, per-person export and deletion), links
(revoking closes open pages), the export, the report, the purge, and the `samen` command."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from datetime import timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from app.db import utcnow
from app.demo import create_demo
from app.organiser import totp
from app.organiser.afterwards import purge_due
from tests.conftest import ORIGIN, SECRET, SLUG, _with_db, query, run, sign_in
from tests.support.web import (
    BASE,
    ERIK,
    FATIMA,
    GOOD_CSV,
    JAN,
    MODERATOR,
    ORGANISER,
    busy_day,
    busy_erik,
    create_account,
    demo_login,
    event_id,
    link_of,
    login,
    municipality_id,
    person_id,
    poll_question,
    post,
    scalar,
    signed_in_as_organiser,
    snapshot,
    upload,
)

PEOPLE = (ORGANISER, ERIK, FATIMA, JAN, MODERATOR)


# --- helpers -------------------------------------------------------------------------------------------


def role_link_id(settings, label: str) -> int:
    return scalar(settings, "SELECT id FROM role_link WHERE label = :l", l=label)


def counts(settings, *tables: str) -> dict[str, int]:
    return {t: scalar(settings, f"SELECT COUNT(*) FROM {t}") for t in tables}


def settled(app, identity: str) -> None:
    """Wait until the page of this identity has its whole first snapshot: from then on the socket waits for its
    close (while the snapshot is still being sent, pushes can reach it before a kick is acted upon)."""
    hub = app.state.hub
    for _ in range(500):
        pages = list(hub.by_identity.get(identity, ()))
        if pages and all(topic in page.delivered for page in pages for topic in page.topics):
            return
        time.sleep(0.01)
    raise AssertionError(f"the page of {identity} never got its snapshot")


def closed_with(ws, organiser, limit: int = 50) -> int | None:
    """After an action that should close the socket: move the block on (a push every open page receives), then
    read. The close code if the socket was closed first; None if the push arrived instead (it stayed open)."""
    organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
    try:
        for _ in range(limit):
            if 'id="programme"' in (message := ws.receive_text()) and 'data-phase="before"' not in message:
                return None
    except WebSocketDisconnect as closed:
        return closed.code
    raise AssertionError("neither closed nor pushed")


@pytest.fixture
def organiser(people):
    return people[ORGANISER]


# --- signing in ----------------------------------------------------------------------------------------


def test_login_page_is_public(client):
    page = client.get("/organiser/login?next=/e/x/organiser")
    assert page.status_code == 200
    assert 'id="username"' in page.text and 'id="password"' in page.text and 'id="code"' in page.text
    assert 'name="next" value="/e/x/organiser"' in page.text


def test_right_password_signs_in_and_goes_to_next(demo, browser):
    me = browser()
    username, password = demo_login(demo)
    response = login(me, username, password, next_url=f"/e/{SLUG}/organiser/setup")
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{SLUG}/organiser/setup"
    assert signed_in_as_organiser(me)
    assert me.get(f"/e/{SLUG}/organiser/setup").status_code == 200


@pytest.mark.parametrize("next_url", ["//evil.example", "//evil.example/organiser", "http://evil.example/",
                                      "https://evil.example", "/\\evil.example", "javascript:alert(1)", ""])
def test_login_never_redirects_off_site(demo, browser, next_url):
    me = browser()
    username, password = demo_login(demo)
    response = login(me, username, password, next_url=next_url)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/organiser"
    assert not location.startswith("//") and "evil" not in location
    # the same for the GET form's hidden field
    page = browser().get(f"/organiser/login?next={next_url}")
    assert "evil" not in page.text.split('name="next"')[1].split(">")[0]


@pytest.mark.parametrize("field", ["password", "username"])
def test_wrong_credentials_are_refused_without_a_session(settings, demo, browser, field):
    me = browser()
    username, password = demo_login(demo)
    wrong = {"username": username, "password": password, field: "niet-goed-geraden"}
    response = login(me, wrong["username"], wrong["password"])
    assert response.status_code == 422
    assert "location" not in response.headers
    assert 'role="alert"' in response.text
    assert not signed_in_as_organiser(me)
    assert me.get(f"/e/{SLUG}/organiser").status_code == 403


def test_wrong_passwords_slow_that_browser_down_but_never_lock_the_account(settings, demo, browser):
    """There is no account-wide lock (anyone who knows the name could keep it locked): five wrong passwords make
    that browser wait (its own budget for that name), nothing is written on the account, and another browser
    signs in at once. The waits and the owner's device cookie are proven in tests/web/test_throttle.py."""
    me = browser()
    username, password = demo_login(demo)
    for _ in range(5):
        assert login(me, username, "fout-wachtwoord").status_code == 422
        assert query(settings, "SELECT failed_logins, locked_until FROM organiser WHERE username = :u",
                     u=username) == [(0, None)]
    # this browser now waits, even with the right password (a refusal does not look at the password)
    refused = login(me, username, password)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert not signed_in_as_organiser(me)
    # another browser (another computer in the same city hall) is not locked out
    other = browser()
    assert login(other, username, password).status_code == 303
    assert signed_in_as_organiser(other)
    assert query(settings, "SELECT failed_logins, locked_until FROM organiser WHERE username = :u",
                 u=username) == [(0, None)]


def test_totp_account_needs_the_current_code(settings, demo, browser):
    secret = create_account(settings, "tweestaps", "een-lang-wachtwoord!", with_totp=True)
    assert secret
    me = browser()
    assert login(me, "tweestaps", "een-lang-wachtwoord!").status_code == 422
    assert not signed_in_as_organiser(me)
    assert login(me, "tweestaps", "een-lang-wachtwoord!", code="000000" if totp.code_at(secret, time.time()) != "000000"
                 else "111111").status_code == 422
    assert login(me, "tweestaps", "wrong-password!!", code=totp.code_at(secret, time.time())).status_code == 422
    assert not signed_in_as_organiser(me)
    ok = login(me, "tweestaps", "een-lang-wachtwoord!", code=totp.code_at(secret, time.time()), next_url="/organiser")
    assert ok.status_code == 303 and ok.headers["location"] == "/organiser"
    assert signed_in_as_organiser(me)
    # failures lock nothing on the account (the throttle counts per name and browser or address instead)
    assert query(settings, "SELECT failed_logins, locked_until FROM organiser WHERE username = 'tweestaps'") == [(0, None)]


def test_login_page_while_signed_in_redirects_and_logout_ends_the_session(demo, browser):
    me = browser()
    sign_in(me, demo[ORGANISER])
    again = me.get(f"/organiser/login?next=/e/{SLUG}/organiser/links", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/e/{SLUG}/organiser/links"
    off_site = me.get("/organiser/login?next=//evil.example", follow_redirects=False)
    assert off_site.status_code == 303 and off_site.headers["location"] == "/organiser"
    out = post(me, "/organiser/logout")
    assert out.status_code == 303 and out.headers["location"] == "/organiser/login"
    assert not signed_in_as_organiser(me)
    assert me.get(f"/e/{SLUG}/organiser").status_code == 403
    assert me.get("/organiser/login").status_code == 200


# --- who may use the console ---------------------------------------------------------------------------


def _routes(settings) -> tuple[list[str], list[tuple[str, dict]]]:
    """Every organiser route, with real ids and bodies that would change something if they were accepted."""
    erik = person_id(settings, "Erik van Dijk")
    part, poll = scalar(settings, "SELECT MIN(id) FROM programme_part"), scalar(settings, "SELECT MIN(id) FROM poll_question")
    link = role_link_id(settings, "Gespreksleider")
    batch = scalar(settings, "SELECT MAX(id) FROM import_batch")
    table = scalar(settings, "SELECT MIN(id) FROM lunch_table")
    zwolle = str(municipality_id(settings, "Zwolle"))
    gets = ["/organiser", "/organiser?archived=1", BASE, f"{BASE}/setup", f"{BASE}/participants",
            f"{BASE}/participants/{erik}/export", f"{BASE}/links", f"{BASE}/links?print=1", f"{BASE}/links.csv",
            f"{BASE}/afterwards", f"{BASE}/export.zip", f"{BASE}/report"]
    posts = [
        ("/organiser/events", {"name": "Gekaapt", "day": "2027-01-01"}),
        (f"{BASE}/event", {"name": "Gekaapt", "day": "2027-01-01", "default_locale": "en"}),
        (f"{BASE}/duplicate", {}),
        (f"{BASE}/archive", {"archived": "1"}),
        (f"{BASE}/parts", {"kind": "other", "title": "Extra", "starts_at": "14:00", "ends_at": "15:00"}),
        (f"{BASE}/parts/{part}", {"delete": "1"}),
        (f"{BASE}/polls", {"kind": "words", "prompt": "Gekaapt?", "results": "live"}),
        (f"{BASE}/polls/{poll}", {"delete": "1"}),
        (f"{BASE}/participants/new", {"name": "Indringer", "municipality": zwolle}),
        (f"{BASE}/participants/{erik}", {"delete": "1"}),
        (f"{BASE}/import", {"file": "naam;gemeente\nIndringer;Zwolle\n"}),
        (f"{BASE}/import/{batch}", {}),
        (f"{BASE}/links/new", {"role": "moderator", "label": "Indringer"}),
        (f"{BASE}/links/participant/{erik}", {"action": "revoke"}),
        (f"{BASE}/links/role/{link}", {"action": "reissue"}),
        (f"{BASE}/purge", {"confirm": "G40DEC", "early": "1"}),
        (f"{BASE}/api-token", {}),
        (f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "1"}),
        (f"/e/{SLUG}/tables/move", {"participant": str(erik), "table": str(table)}),
        (f"/e/{SLUG}/tables/new", {"name": "Tafel Indringer", "capacity": "8", "video_url": "", "topic": "",
                                   "host_name": "", "host_municipality": ""}),
        (f"{BASE}/settings", {}),  # would switch pre-moderation and anonymous questions off
    ]
    return gets, posts


@pytest.mark.parametrize("who", [None, ERIK, MODERATOR, "presenter:Presentatiescherm", "host:Pieter Bakker"])
def test_only_a_signed_in_organiser_may_use_the_console(settings, demo, browser, who):
    organiser = browser()
    sign_in(organiser, demo[ORGANISER])
    assert upload(organiser, f"{BASE}/import", GOOD_CSV).status_code == 200  # a batch waiting for confirmation
    organiser.post(f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "1"})
    me = browser()
    if who:
        sign_in(me, demo[who])
    gets, posts = _routes(settings)
    before = snapshot(settings)
    for url in gets:
        response = me.get(url, follow_redirects=False)
        assert response.status_code == 403, (url, response.status_code)
        assert "Erik van Dijk" not in response.text and "G40DEC" not in response.text, url
    for url, data in posts:
        response = post(me, url, data)
        assert response.status_code == 403, (url, response.status_code)
    assert upload(me, f"{BASE}/import", GOOD_CSV).status_code == 403
    assert snapshot(settings) == before
    # and the socket of the organiser's console stays shut
    with pytest.raises(WebSocketDisconnect), me.websocket(f"/ws/organiser/{SLUG}") as ws:
        ws.receive_text()


def test_a_session_for_an_unknown_or_deleted_account_is_not_an_organiser(settings, demo, browser):
    me = browser()
    sign_in(me, demo[ORGANISER])
    assert signed_in_as_organiser(me)

    async def remove(db):
        from sqlalchemy import text

        async with db.write() as session:
            await session.execute(text("DELETE FROM organiser"))

    run(_with_db(settings, remove))
    assert me.get("/organiser", follow_redirects=False).status_code == 403
    assert post(me, "/organiser/events", {"name": "Na verwijderen", "day": "2027-01-01"}).status_code == 403
    assert scalar(settings, "SELECT COUNT(*) FROM event") == 1


# --- events --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "day"), [("", "2027-03-01"), ("   ", "2027-03-01"), ("Nieuwe dag", "1 maart"),
                                           ("Nieuwe dag", ""), ("Nieuwe dag", "2027-13-01"), ("x" * 121, "2027-03-01")])
def test_creating_an_event_validates_and_writes_nothing_on_error(settings, organiser, name, day):
    before = snapshot(settings)
    response = post(organiser, "/organiser/events", {"name": name, "day": day})
    assert response.status_code == 422
    assert snapshot(settings) == before


def test_creating_an_event_gives_the_block_programme_and_a_unique_code_and_slug(settings, organiser):
    first = post(organiser, "/organiser/events", {"name": "Netwerkdag Maart", "day": "2027-03-01",
                                                  "premoderation": "1", "default_locale": "nl"})
    second = post(organiser, "/organiser/events", {"name": "Netwerkdag Maart", "day": "2027-03-01",
                                                   "allow_anonymous": "1", "default_locale": "en"})
    assert first.status_code == 303 and second.status_code == 303
    rows = query(settings, "SELECT id, slug, code, status, premoderation, allow_anonymous, default_locale, day "
                           "FROM event WHERE slug != :s ORDER BY id", s=SLUG)
    assert len(rows) == 2
    (id1, slug1, code1, status1, pre1, anon1, locale1, day1), (id2, slug2, code2, _s, pre2, anon2, locale2, _d) = rows
    assert first.headers["location"] == f"/e/{slug1}/organiser/setup"
    assert second.headers["location"] == f"/e/{slug2}/organiser/setup"
    assert slug1 != slug2 and slug1.startswith("netwerkdag-maart") and re.fullmatch(r"[a-z0-9-]+", slug2)
    codes = [c for (c,) in query(settings, "SELECT code FROM event")]
    assert len(set(codes)) == 3
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code1) and re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code2)
    assert (status1, pre1, anon1, locale1, str(day1)) == ("before", 1, 0, "nl", "2027-03-01")
    assert (pre2, anon2, locale2) == (0, 1, "en")
    for eid in (id1, id2):
        parts = query(settings, "SELECT position, kind FROM programme_part WHERE event_id = :e ORDER BY position", e=eid)
        assert parts == [(1, "debate"), (2, "poll"), (3, "lunch"), (4, "closing")]
    assert organiser.get(first.headers["location"]).status_code == 200
    assert f'href="/e/{slug1}/organiser"' in organiser.get("/organiser").text


def test_editing_the_event_settings(settings, organiser):
    response = post(organiser, f"{BASE}/event", {"name": "Netwerkdag (verplaatst)", "day": "2026-12-11",
                                                 "allow_anonymous": "1", "default_locale": "en"})
    assert response.status_code == 200
    [(name, day, premoderation, anonymous, locale, slug, code)] = query(
        settings, "SELECT name, day, premoderation, allow_anonymous, default_locale, slug, code FROM event")
    # str(day): SQLite hands back text, PostgreSQL a date; booleans compare equal to 0/1 on both
    assert (name, str(day), premoderation, anonymous, locale, slug, code) == (
        "Netwerkdag (verplaatst)", "2026-12-11", 0, 1, "en", SLUG, "G40DEC")
    before = snapshot(settings)
    for bad in ({"name": "", "day": "2026-12-11"}, {"name": "Goed", "day": "morgen"},
                {"name": "Goed", "day": "2026-12-11", "default_locale": "fr"}):
        assert post(organiser, f"{BASE}/event", bad).status_code == 422
    assert snapshot(settings) == before
    assert post(organiser, "/e/bestaat-niet/organiser/event", {"name": "X", "day": "2026-12-11"}).status_code == 404


def test_duplicating_copies_the_setup_but_no_people(settings, organiser, people):
    source = event_id(settings)
    qid, options = poll_question(settings, 1)
    assert people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/open").status_code == 200
    assert people[ERIK].post(f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[0])}).status_code == 200
    response = post(organiser, f"{BASE}/duplicate")
    assert response.status_code == 303
    (copy, slug, code, day, status), = query(settings, "SELECT id, slug, code, day, status FROM event WHERE id != :e",
                                             e=source)
    assert response.headers["location"] == f"/e/{slug}/organiser/setup"
    assert slug != SLUG and code != "G40DEC" and str(day) == "2026-12-11" and status == "before"

    def parts(eid: int) -> list[tuple]:
        return query(settings, "SELECT position, kind, title, starts_at, ends_at, description FROM programme_part "
                               "WHERE event_id = :e ORDER BY position", e=eid)

    def polls(eid: int) -> list[tuple]:
        rows = query(settings, "SELECT id, position, kind, prompt, results, max_choices, scale_min, scale_max, "
                               "scale_min_label, scale_max_label FROM poll_question WHERE event_id = :e ORDER BY position",
                     e=eid)
        return [(*row[1:], tuple(label for (label,) in query(
            settings, "SELECT label FROM poll_option WHERE question_id = :q ORDER BY position", q=row[0])))
            for row in rows]

    def tables(eid: int) -> list[tuple]:
        return query(settings, "SELECT name, capacity, video_url, topic FROM lunch_table WHERE event_id = :e "
                               "ORDER BY name", e=eid)

    assert parts(copy) == parts(source) and len(parts(copy)) == 4
    assert polls(copy) == polls(source) and len(polls(copy)) == 6
    assert sum(len(p[-1]) for p in polls(copy)) == 4 + 5 + 5
    assert tables(copy) == tables(source) and len(tables(copy)) == 6
    assert query(settings, "SELECT COUNT(*) FROM lunch_table WHERE event_id = :e AND host_link_id IS NOT NULL",
                 e=copy) == [(0,)]
    assert query(settings, "SELECT DISTINCT status FROM poll_question WHERE event_id = :e", e=copy) == [("draft",)]
    for table in ("participant", "role_link"):
        assert scalar(settings, f"SELECT COUNT(*) FROM {table} WHERE event_id = :e", e=copy) == 0
    assert scalar(settings, "SELECT COUNT(*) FROM poll_ballot b JOIN poll_question q ON q.id = b.question_id "
                            "WHERE q.event_id = :e", e=copy) == 0
    assert organiser.get(response.headers["location"]).status_code == 200


def test_archive_hides_an_event_from_the_dashboard_until_restored(settings, organiser):
    link = f'href="/e/{SLUG}/organiser"'
    assert link in organiser.get("/organiser").text
    assert post(organiser, f"{BASE}/archive", {"archived": "1"}).status_code == 200
    assert scalar(settings, "SELECT archived_at FROM event") is not None
    assert link not in organiser.get("/organiser").text
    archived = organiser.get("/organiser?archived=1").text
    assert link in archived
    assert post(organiser, f"{BASE}/archive", {"archived": "0"}).status_code == 200
    assert scalar(settings, "SELECT archived_at FROM event") is None
    assert link in organiser.get("/organiser").text


# --- programme -----------------------------------------------------------------------------------------


def parts_of(settings, eid: int | None = None) -> list[tuple]:
    return query(settings, "SELECT id, position, kind, title, starts_at, ends_at, description FROM programme_part "
                           "WHERE event_id = :e ORDER BY position", e=eid or event_id(settings))


def test_programme_parts_add_edit_delete(settings, organiser):
    added = post(organiser, f"{BASE}/parts", {"kind": "other", "title": "Borrel", "starts_at": "13.30",
                                              "ends_at": "14:00", "description": "Napraten"})
    assert added.status_code == 303 and added.headers["location"] == f"{BASE}/setup"
    last = parts_of(settings)[-1]
    assert last[1:] == (5, "other", "Borrel", "13:30", "14:00", "Napraten")
    edited = post(organiser, f"{BASE}/parts/{last[0]}", {"kind": "closing", "title": "Borrel en afsluiting",
                                                          "starts_at": "13:30", "ends_at": "14:15"})
    assert edited.status_code == 303
    assert parts_of(settings)[-1][1:] == (5, "closing", "Borrel en afsluiting", "13:30", "14:15", "")
    assert "Borrel en afsluiting" in organiser.get(f"{BASE}/setup").text
    assert post(organiser, f"{BASE}/parts/{last[0]}", {"delete": "1"}).status_code == 303
    assert len(parts_of(settings)) == 4 and last[0] not in [p[0] for p in parts_of(settings)]


@pytest.mark.parametrize(("starts_at", "ends_at", "kind", "title"), [
    ("25:00", "26:00", "other", "Te laat"), ("11:30", "24:00", "other", "Middernacht"),
    ("12:00", "11:00", "other", "Achterstevoren"), ("12:00", "12:00", "other", "Geen tijd"),
    ("12", "13", "other", "Geen minuten"), ("12:00", "13:00", "banquet", "Onbekend soort"),
    ("12:00", "13:00", "other", ""), ("12:00", "13:00", "other", "x" * 121)])
def test_bad_programme_parts_are_refused_and_change_nothing(settings, organiser, starts_at, ends_at, kind, title):
    before = parts_of(settings)
    data = {"kind": kind, "title": title, "starts_at": starts_at, "ends_at": ends_at}
    assert post(organiser, f"{BASE}/parts", data).status_code == 422
    assert post(organiser, f"{BASE}/parts/{before[0][0]}", data).status_code == 422
    assert parts_of(settings) == before


def test_parts_of_another_event_and_the_running_part_are_protected(settings, organiser):
    post(organiser, "/organiser/events", {"name": "Andere dag", "day": "2027-05-01"})
    other = scalar(settings, "SELECT id FROM event WHERE slug != :s", s=SLUG)
    foreign = parts_of(settings, other)[0][0]
    before = snapshot(settings)
    good = {"kind": "other", "title": "Gekaapt", "starts_at": "10:00", "ends_at": "11:00"}
    assert post(organiser, f"{BASE}/parts/{foreign}", good).status_code == 422
    assert post(organiser, f"{BASE}/parts/{foreign}", {"delete": "1"}).status_code == 422
    assert post(organiser, f"{BASE}/parts/99999", {"delete": "1"}).status_code == 422
    assert snapshot(settings) == before
    # the running part cannot be removed
    assert organiser.post(f"/e/{SLUG}/phase", {"action": "next"}).status_code == 200
    running = scalar(settings, "SELECT current_part_id FROM event WHERE slug = :s", s=SLUG)
    assert running == parts_of(settings)[0][0]
    assert post(organiser, f"{BASE}/parts/{running}", {"delete": "1"}).status_code == 422
    assert running in [p[0] for p in parts_of(settings)]
    # a part that is not running can go
    assert post(organiser, f"{BASE}/parts/{parts_of(settings)[-1][0]}", {"delete": "1"}).status_code == 303
    assert len(parts_of(settings)) == 3


# --- poll questions ------------------------------------------------------------------------------------


def polls_of(settings) -> list[tuple]:
    return query(settings, "SELECT id, position, kind, prompt, status, max_choices, scale_min, scale_max, "
                           "scale_min_label, scale_max_label, results FROM poll_question ORDER BY position")


def options_of(settings, qid: int) -> list[str]:
    return [label for (label,) in query(settings, "SELECT label FROM poll_option WHERE question_id = :q ORDER BY position",
                                        q=qid)]


def test_poll_questions_of_each_kind_can_be_added(settings, organiser):
    single = post(organiser, f"{BASE}/polls", {"kind": "single", "prompt": "Koffie of thee?",
                                               "options": "Koffie\n\n  Thee  \nWater\n", "results": "after_close"})
    assert single.status_code == 303 and single.headers["location"] == f"{BASE}/setup"
    qid, position, kind, prompt, status, *_rest, results = polls_of(settings)[-1]
    assert (position, kind, prompt, status, results) == (7, "single", "Koffie of thee?", "draft", "after_close")
    assert options_of(settings, qid) == ["Koffie", "Thee", "Water"]
    assert post(organiser, f"{BASE}/polls", {"kind": "multiple", "prompt": "Welke?", "options": "A\nB\nC",
                                             "max_choices": "2", "results": "live"}).status_code == 303
    assert polls_of(settings)[-1][5] == 2
    scale = post(organiser, f"{BASE}/polls", {"kind": "scale", "prompt": "Hoe tevreden?", "options": "genegeerd\nook",
                                              "scale_min_label": "Niet", "scale_max_label": "Zeer", "results": "live"})
    assert scale.status_code == 303
    qid, _p, kind, _pr, _s, _m, low, high, low_label, high_label, _r = polls_of(settings)[-1]
    assert (kind, low, high, low_label, high_label) == ("scale", 1, 5, "Niet", "Zeer")
    assert options_of(settings, qid) == []
    words = post(organiser, f"{BASE}/polls", {"kind": "words", "prompt": "Eén woord?", "results": "presenter_only"})
    assert words.status_code == 303
    qid, *_ = polls_of(settings)[-1]
    assert polls_of(settings)[-1][2] == "words" and options_of(settings, qid) == []
    setup = organiser.get(f"{BASE}/setup").text
    assert "Koffie of thee?" in setup and "Eén woord?" in setup


@pytest.mark.parametrize("data", [
    {"kind": "single", "prompt": "Eén optie?", "options": "Alleen deze"},
    {"kind": "single", "prompt": "Geen opties?", "options": "\n \n"},
    {"kind": "multiple", "prompt": "Dertien?", "options": "\n".join(f"Optie {n}" for n in range(13))},
    {"kind": "single", "prompt": "Te lang?", "options": "Kort\n" + "x" * 121},
    {"kind": "single", "prompt": "", "options": "A\nB"},
    {"kind": "ranking", "prompt": "Onbekend soort?", "options": "A\nB"},
    {"kind": "words", "prompt": "Onbekende modus?", "results": "never"},
])
def test_bad_poll_questions_are_refused(settings, organiser, data):
    before = snapshot(settings)
    assert post(organiser, f"{BASE}/polls", {"results": "live", **data}).status_code == 422
    assert snapshot(settings) == before


def test_twelve_options_is_the_most_a_choice_question_may_have(settings, organiser):
    options = "\n".join(f"Optie {n}" for n in range(12))
    assert post(organiser, f"{BASE}/polls", {"kind": "single", "prompt": "Twaalf?", "options": options,
                                             "results": "live"}).status_code == 303
    assert len(options_of(settings, polls_of(settings)[-1][0])) == 12
    assert post(organiser, f"{BASE}/polls", {"kind": "single", "prompt": "Twee?", "options": "Ja\nNee",
                                             "results": "live"}).status_code == 303


def test_draft_questions_can_be_removed_opened_ones_cannot(settings, organiser, people):
    assert post(organiser, f"{BASE}/polls", {"kind": "single", "prompt": "Weg ermee?", "options": "Ja\nNee",
                                             "results": "live"}).status_code == 303
    draft = polls_of(settings)[-1][0]
    assert post(organiser, f"{BASE}/polls/{draft}", {"delete": "1"}).status_code == 303
    assert draft not in [q[0] for q in polls_of(settings)]
    assert query(settings, "SELECT COUNT(*) FROM poll_option WHERE question_id = :q", q=draft) == [(0,)]
    qid, options = poll_question(settings, 1)
    assert organiser.post(f"/e/{SLUG}/polls/{qid}/open").status_code == 200
    people[ERIK].post(f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[1])})
    before = snapshot(settings)
    assert post(organiser, f"{BASE}/polls/{qid}", {"delete": "1"}).status_code == 422
    organiser.post(f"/e/{SLUG}/polls/{qid}/close")
    after_close = snapshot(settings)
    assert post(organiser, f"{BASE}/polls/{qid}", {"delete": "1"}).status_code == 422
    assert snapshot(settings) == after_close
    assert before["poll_ballot"] == after_close["poll_ballot"] and len(before["poll_ballot"]) == 1
    assert post(organiser, f"{BASE}/polls/99999", {"delete": "1"}).status_code == 422


# --- participants --------------------------------------------------------------------------------------


def person_data(settings, name: str) -> tuple:
    return query(settings, "SELECT name, municipality_id, organisation, role_title, email, topic FROM participant "
                           "WHERE name = :n", n=name)[0]


def test_adding_a_participant_by_hand_gives_them_a_link(settings, organiser):
    zwolle = municipality_id(settings, "Zwolle")
    response = post(organiser, f"{BASE}/participants/new", {
        "name": "  Nieuwe   Deelnemer ", "municipality": str(zwolle), "role_title": "Wethouder",
        "email": "nieuw@zwolle.nl", "topic": "Wonen", "organisation": ""})
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}/participants"
    assert person_data(settings, "Nieuwe Deelnemer") == ("Nieuwe Deelnemer", zwolle, "", "Wethouder", "nieuw@zwolle.nl",
                                                         "Wonen")
    assert post(organiser, f"{BASE}/participants/new", {"name": "Van Buiten", "municipality": "other",
                                                        "organisation": "VNG"}).status_code == 303
    assert person_data(settings, "Van Buiten")[:3] == ("Van Buiten", None, "VNG")
    assert query(settings, "SELECT COUNT(*) FROM participant WHERE name IN ('Nieuwe Deelnemer', 'Van Buiten') "
                           "AND invite_token_hash IS NOT NULL AND link_key IS NOT NULL") == [(2,)]
    page = organiser.get(f"{BASE}/participants").text
    assert "Nieuwe Deelnemer" in page and "nieuw@zwolle.nl" in page
    link = link_of(organiser.get(f"{BASE}/links").text, "Nieuwe Deelnemer")
    assert link and link.startswith("/j/")


@pytest.mark.parametrize("fields", [
    {"name": "Onbekende Stad", "municipality": "99999"},
    {"name": "Geen Stad", "municipality": ""},
    {"name": "Slecht Adres", "municipality": "ZWOLLE", "email": "geen-adres"},
    {"name": "Slecht Adres", "municipality": "ZWOLLE", "email": "a@b"},
    {"name": "", "municipality": "ZWOLLE"},
    {"name": "x" * 81, "municipality": "ZWOLLE"},
    {"name": "Geen Organisatie", "municipality": "other", "organisation": ""},
], ids=["unknown-municipality", "no-municipality", "bad-email", "email-without-domain", "no-name", "long-name",
        "other-without-organisation"])
def test_bad_participants_by_hand_are_refused_and_nothing_is_written(settings, organiser, fields):
    fields = {**fields, "municipality": str(municipality_id(settings, "Zwolle")) if fields["municipality"] == "ZWOLLE"
              else fields["municipality"]}
    before = snapshot(settings)
    response = post(organiser, f"{BASE}/participants/new", fields)
    assert response.status_code == 422
    assert snapshot(settings) == before


def test_editing_a_participant(settings, organiser):
    erik = person_id(settings, "Erik van Dijk")
    arnhem = municipality_id(settings, "Arnhem")
    response = post(organiser, f"{BASE}/participants/{erik}", {
        "name": "Erik van Dijk-Smit", "municipality": str(arnhem), "role_title": "Wethouder",
        "email": "e.vandijk@arnhem.nl", "topic": "Wonen en wijken"})
    assert response.status_code == 303
    assert query(settings, "SELECT name, municipality_id, role_title, email, topic FROM participant WHERE id = :i",
                 i=erik) == [("Erik van Dijk-Smit", arnhem, "Wethouder", "e.vandijk@arnhem.nl", "Wonen en wijken")]
    before = snapshot(settings)
    assert post(organiser, f"{BASE}/participants/{erik}", {"name": "", "municipality": str(arnhem)}).status_code == 422
    assert post(organiser, f"{BASE}/participants/99999", {"name": "Niemand", "municipality": str(arnhem)}).status_code \
        == 422
    assert snapshot(settings) == before


def test_per_person_export_holds_their_data_and_no_one_elses(settings, organiser, people):
    erik, mine, hers, poll = busy_erik(settings, people)
    post(organiser, f"{BASE}/participants/{erik}", {"name": "Erik van Dijk",
                                                    "municipality": str(municipality_id(settings, "Nijmegen")),
                                                    "email": "erik@nijmegen.nl", "role_title": "Burgemeester"})
    response = organiser.get(f"{BASE}/participants/{erik}/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    data = json.loads(response.text)
    assert data["name"] == "Erik van Dijk" and data["email"] == "erik@nijmegen.nl"
    assert data["municipality_or_organisation"] == "Nijmegen" and data["role"] == "Burgemeester"
    assert [q["text"] for q in data["questions"]] == ["Vraag van Erik"]
    assert data["upvoted_questions"] == [hers]
    assert [a["question"] for a in data["poll_answers"]] == [poll]
    assert len(data["lunch_tables"]) == 1
    for other in ("Fatima", "Jan de Boer", "Vraag van Fatima", "Marieke"):
        assert other not in response.text
    assert organiser.get(f"{BASE}/participants/99999/export").status_code == 404


def test_deleting_a_participant_keeps_anonymous_traces_only(app, settings, organiser, people):
    erik, mine, hers, poll = busy_erik(settings, people)
    ballots_before = scalar(settings, "SELECT COUNT(*) FROM poll_ballot")
    choices_before = scalar(settings, "SELECT COUNT(*) FROM poll_choice")
    seats_before = scalar(settings, "SELECT COUNT(*) FROM seat")
    erik_ballot = scalar(settings, "SELECT id FROM poll_ballot WHERE participant_id = :p", p=erik)
    with people[ERIK].websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
        settled(app, f"participant:{erik}")
        response = post(organiser, f"{BASE}/participants/{erik}", {"delete": "1"})
        assert response.status_code == 303
        assert closed_with(ws, organiser) == 4401
    assert query(settings, "SELECT COUNT(*) FROM participant WHERE id = :p", p=erik) == [(0,)]
    # their question stays, without a name
    assert query(settings, "SELECT participant_id, status FROM question WHERE id = :q", q=mine) == [(None, "approved")]
    # their upvote went, but the question keeps the count; others' upvotes stay
    assert query(settings, "SELECT archived_votes FROM question WHERE id = :q", q=hers) == [(1,)]
    assert query(settings, "SELECT COUNT(*) FROM question_vote WHERE question_id = :q", q=hers) == [(1,)]
    assert query(settings, "SELECT COUNT(*) FROM question_vote WHERE participant_id = :p", p=erik) == [(0,)]
    # Fatima's upvote on Erik's question is hers, not his: it stays a vote
    assert query(settings, "SELECT COUNT(*), (SELECT archived_votes FROM question WHERE id = :q) FROM question_vote "
                           "WHERE question_id = :q", q=mine) == [(1, 0)]
    # their ballot stays in the tally without anyone attached
    assert scalar(settings, "SELECT COUNT(*) FROM poll_ballot") == ballots_before
    assert scalar(settings, "SELECT COUNT(*) FROM poll_choice") == choices_before
    assert query(settings, "SELECT participant_id FROM poll_ballot WHERE id = :b", b=erik_ballot) == [(None,)]
    # seat and invitation gone
    assert scalar(settings, "SELECT COUNT(*) FROM seat") == seats_before - 1
    assert query(settings, "SELECT COUNT(*) FROM seat WHERE participant_id = :p", p=erik) == [(0,)]
    assert query(settings, "SELECT COUNT(*) FROM invitation WHERE participant_id = :p", p=erik) == [(0,)]
    # their link and session no longer work
    assert people[ERIK].get(f"/e/{SLUG}", follow_redirects=False).status_code == 303
    assert people[ERIK].get("/j/" + "x" * 32).status_code == 403
    assert "Erik van Dijk" not in organiser.get(f"{BASE}/participants").text
    assert organiser.get(f"{BASE}/participants/{erik}/export").status_code == 404
    assert post(organiser, f"{BASE}/participants/{erik}", {"delete": "1"}).status_code == 422


def test_deleting_a_participant_of_another_event_is_refused(settings, organiser):
    post(organiser, "/organiser/events", {"name": "Andere dag", "day": "2027-05-01"})
    other_slug = scalar(settings, "SELECT slug FROM event WHERE slug != :s", s=SLUG)
    erik = person_id(settings, "Erik van Dijk")
    before = snapshot(settings)
    assert post(organiser, f"/e/{other_slug}/organiser/participants/{erik}", {"delete": "1"}).status_code == 422
    assert organiser.get(f"/e/{other_slug}/organiser/participants/{erik}/export").status_code == 404
    assert snapshot(settings) == before


# --- import --------------------------------------------------------------------------------------------


def test_import_previews_first_and_saves_only_on_confirmation(settings, organiser):
    before = counts(settings, "participant")["participant"]
    preview = upload(organiser, f"{BASE}/import", GOOD_CSV)
    assert preview.status_code == 200
    assert "Anna Nieuw" in preview.text and "Ben Nieuw" in preview.text and "VNG" in preview.text
    assert counts(settings, "participant")["participant"] == before
    batch = int(re.search(rf'action="{BASE}/import/(\d+)"', preview.text).group(1))
    assert query(settings, "SELECT id FROM import_batch") == [(batch,)]
    confirmed = post(organiser, f"{BASE}/import/{batch}")
    assert confirmed.status_code == 303 and confirmed.headers["location"] == f"{BASE}/participants"
    assert counts(settings, "participant", "import_batch") == {"participant": before + 2, "import_batch": 0}
    assert person_data(settings, "Anna Nieuw") == ("Anna Nieuw", municipality_id(settings, "Zwolle"), "", "Wethouder",
                                                   "anna@example.nl", "")
    assert person_data(settings, "Ben Nieuw")[:4] == ("Ben Nieuw", None, "VNG", "Adviseur")
    assert query(settings, "SELECT COUNT(*) FROM participant WHERE name LIKE '% Nieuw' AND invite_token_hash IS NOT NULL"
                           " AND link_key IS NOT NULL") == [(2,)]
    links = organiser.get(f"{BASE}/links").text
    for name in ("Anna Nieuw", "Ben Nieuw"):
        path = link_of(links, name)
        assert path and path.startswith("/j/")
    # the batch is used up: confirming again adds no one twice
    assert post(organiser, f"{BASE}/import/{batch}").status_code == 422
    assert counts(settings, "participant")["participant"] == before + 2
    # and importing the same people again is refused as a duplicate
    again = upload(organiser, f"{BASE}/import", GOOD_CSV)
    assert again.status_code == 422
    assert counts(settings, "participant", "import_batch") == {"participant": before + 2, "import_batch": 0}


@pytest.mark.parametrize("data", [
    GOOD_CSV + b"Carla Fout;Atlantis;Wethouder;\n",
    GOOD_CSV + b"Dirk Fout;Zwolle;Wethouder;geen-adres\n",
    b"naam;gemeente\nGoed Persoon;Zwolle\n;Zwolle\n",
    b"naam;gemeente\nGoed Persoon;Zwolle\nGoed Persoon;Zwolle\n",
    b"naam;functie\nGeen Gemeente;Wethouder\n",
    b"",
    b"PK\x03\x04 not a csv",
])
def test_an_import_with_any_bad_line_saves_nothing(settings, organiser, data):
    before = snapshot(settings)
    response = upload(organiser, f"{BASE}/import", data)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert f"{BASE}/import/" not in response.text  # no confirm button
    assert snapshot(settings) == before


def test_confirming_an_unknown_batch_is_refused(settings, organiser):
    before = snapshot(settings)
    for batch in ("99999", "0", "abc"):
        assert post(organiser, f"{BASE}/import/{batch}").status_code == 422
    assert snapshot(settings) == before


def test_a_batch_of_one_event_cannot_be_confirmed_in_another(settings, organiser):
    post(organiser, "/organiser/events", {"name": "Andere dag", "day": "2027-05-01"})
    other_slug = scalar(settings, "SELECT slug FROM event WHERE slug != :s", s=SLUG)
    assert upload(organiser, f"{BASE}/import", GOOD_CSV).status_code == 200
    batch = scalar(settings, "SELECT id FROM import_batch")
    before = snapshot(settings)
    assert post(organiser, f"/e/{other_slug}/organiser/import/{batch}").status_code == 422
    assert snapshot(settings) == before


# --- links ---------------------------------------------------------------------------------------------


def test_links_page_print_sheet_and_csv(settings, demo, organiser):
    page = organiser.get(f"{BASE}/links")
    assert page.status_code == 200
    person_links = re.findall(r'value="http://testserver(/j/[^"]+)"', page.text)
    role_links = re.findall(r'value="http://testserver(/r/[^"]+)"', page.text)
    assert len(person_links) == 24 and len(set(person_links)) == 24
    assert len(role_links) == 9
    assert link_of(page.text, "Erik van Dijk") == demo[ERIK]
    assert link_of(page.text, "Gespreksleider") == demo[MODERATOR]
    sheet = organiser.get(f"{BASE}/links?print=1")
    assert sheet.status_code == 200
    images = re.findall(r'<img src="(data:image/svg\+xml[^"]*)"', sheet.text)
    assert len(images) == 24 + 9
    assert demo[ERIK] in sheet.text
    table = organiser.get(f"{BASE}/links.csv")
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert table.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1 + 24
    assert all(row[-1].startswith("http://testserver/j/") for row in rows[1:])
    assert {row[0]: row[-1] for row in rows[1:]}["Erik van Dijk"] == ORIGIN + demo[ERIK]


def test_revoking_a_participant_link_stops_it_and_closes_their_page(app, settings, demo, organiser, browser):
    erik = browser()
    sign_in(erik, demo[ERIK])
    erik_id = person_id(settings, "Erik van Dijk")
    with erik.websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
        settled(app, f"participant:{erik_id}")
        response = post(organiser, f"{BASE}/links/participant/{erik_id}", {"action": "revoke"})
        assert response.status_code == 303 and response.headers["location"] == f"{BASE}/links"
        assert closed_with(ws, organiser) == 4401
    assert browser().get(demo[ERIK], follow_redirects=False).status_code == 403
    assert erik.get(f"/e/{SLUG}", follow_redirects=False).status_code == 303  # back to the join form
    with pytest.raises(WebSocketDisconnect), erik.websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
    page = organiser.get(f"{BASE}/links").text
    assert link_of(page, "Erik van Dijk") is None
    assert len(re.findall(r'value="http://testserver/j/', page)) == 23
    rows = list(csv.reader(io.StringIO(organiser.get(f"{BASE}/links.csv").text.lstrip("\ufeff")), delimiter=";"))
    assert {row[0]: row[-1] for row in rows[1:]}["Erik van Dijk"] == ""
    # others are not affected
    fatima = browser()
    assert sign_in(fatima, demo[FATIMA]) == f"/e/{SLUG}"


def test_a_revoked_participant_can_no_longer_vote_though_their_grant_was_remembered(settings, people, organiser):
    """Votes authorise from the remembered grants of live sockets (app/events/access.py): a revocation must
    reach that memory before the next vote, in this process as in every other."""
    qid, options = poll_question(settings, 1)
    erik = people[ERIK]
    assert post(people[MODERATOR], f"/e/{SLUG}/polls/{qid}/open").status_code == 200
    assert post(erik, f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[0])}).status_code == 200
    erik_id = person_id(settings, "Erik van Dijk")
    assert post(organiser, f"{BASE}/links/participant/{erik_id}", {"action": "revoke"}).status_code == 303
    refused = post(erik, f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[1])})
    assert refused.status_code == 403
    stored = query(settings, "SELECT c.option_id FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
                             "WHERE b.question_id = :q", q=qid)
    assert stored == [(options[0],)]


def test_reissuing_a_participant_link(app, settings, demo, organiser, browser):
    erik = browser()
    sign_in(erik, demo[ERIK])
    erik_id = person_id(settings, "Erik van Dijk")
    with erik.websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
        settled(app, f"participant:{erik_id}")
        assert post(organiser, f"{BASE}/links/participant/{erik_id}", {"action": "reissue"}).status_code == 303
        assert closed_with(ws, organiser) == 4401
    assert browser().get(demo[ERIK], follow_redirects=False).status_code == 403
    assert erik.get(f"/e/{SLUG}", follow_redirects=False).status_code == 303
    new = link_of(organiser.get(f"{BASE}/links").text, "Erik van Dijk")
    assert new and new != demo[ERIK]
    again = browser()
    assert sign_in(again, new) == f"/e/{SLUG}"
    page = again.get(f"/e/{SLUG}")
    assert page.status_code == 200 and "Erik van Dijk" in page.text
    with again.websocket(f"/ws/participant/{SLUG}") as ws:
        assert ws.receive_text()
    # a revoked link comes back as a new link too
    assert post(organiser, f"{BASE}/links/participant/{erik_id}", {"action": "revoke"}).status_code == 303
    assert post(organiser, f"{BASE}/links/participant/{erik_id}", {"action": "reissue"}).status_code == 303
    newest = link_of(organiser.get(f"{BASE}/links").text, "Erik van Dijk")
    assert newest not in (None, new, demo[ERIK])
    assert browser().get(new, follow_redirects=False).status_code == 403
    assert sign_in(browser(), newest) == f"/e/{SLUG}"


def test_revoking_a_role_link_stops_its_holder(app, settings, demo, organiser, browser):
    moderator, assistant = browser(), browser()
    sign_in(moderator, demo[MODERATOR])
    sign_in(assistant, demo["moderator:Assistent moderatie"])
    link = role_link_id(settings, "Gespreksleider")
    with moderator.websocket(f"/ws/moderator/{SLUG}") as ws:
        ws.receive_text()
        settled(app, f"link:{link}")
        response = post(organiser, f"{BASE}/links/role/{link}", {"action": "revoke"})
        assert response.status_code == 303
        assert closed_with(ws, organiser) == 4401
    assert scalar(settings, "SELECT revoked_at FROM role_link WHERE id = :i", i=link) is not None
    assert moderator.get(f"/e/{SLUG}/moderator").status_code == 403
    assert browser().get(demo[MODERATOR], follow_redirects=False).status_code == 403
    assert assistant.get(f"/e/{SLUG}/moderator").status_code == 200  # the other moderator goes on
    assert link_of(organiser.get(f"{BASE}/links").text, "Gespreksleider") is None
    # re-issued, it works again with a new link only
    assert post(organiser, f"{BASE}/links/role/{link}", {"action": "reissue"}).status_code == 303
    new = link_of(organiser.get(f"{BASE}/links").text, "Gespreksleider")
    assert new and new != demo[MODERATOR]
    assert browser().get(demo[MODERATOR], follow_redirects=False).status_code == 403
    fresh = browser()
    assert sign_in(fresh, new) == f"/e/{SLUG}/moderator"
    assert fresh.get(f"/e/{SLUG}/moderator").status_code == 200


def test_a_new_moderator_link_works(settings, organiser, browser):
    before = scalar(settings, "SELECT COUNT(*) FROM role_link")
    response = post(organiser, f"{BASE}/links/new", {"role": "moderator", "label": "Invaller"})
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}/links"
    assert scalar(settings, "SELECT COUNT(*) FROM role_link") == before + 1
    assert query(settings, "SELECT role, revoked_at FROM role_link WHERE label = 'Invaller'") == [("moderator", None)]
    path = link_of(organiser.get(f"{BASE}/links").text, "Invaller")
    assert path and path.startswith("/r/")
    me = browser()
    assert sign_in(me, path) == f"/e/{SLUG}/moderator"
    assert me.get(f"/e/{SLUG}/moderator").status_code == 200
    assert me.get(f"/e/{SLUG}/organiser").status_code == 403


@pytest.mark.parametrize("data", [{"role": "organiser", "label": "Stiekem"}, {"role": "host", "label": "Stiekem"},
                                  {"role": "moderator", "label": "   "}, {"role": "", "label": "Stiekem"}])
def test_new_role_links_only_for_moderators_and_presenter_screens(settings, organiser, data):
    before = snapshot(settings)
    assert post(organiser, f"{BASE}/links/new", data).status_code == 422
    assert snapshot(settings) == before


def test_unknown_links_and_actions_are_refused(settings, organiser):
    post(organiser, "/organiser/events", {"name": "Andere dag", "day": "2027-05-01"})
    other = f"/e/{scalar(settings, 'SELECT slug FROM event WHERE slug != :s', s=SLUG)}/organiser"
    erik, link = person_id(settings, "Erik van Dijk"), role_link_id(settings, "Gespreksleider")
    before = snapshot(settings)
    for url, action in ((f"{BASE}/links/participant/{erik}", "delete"), (f"{BASE}/links/participant/99999", "revoke"),
                        (f"{BASE}/links/role/99999", "revoke"), (f"{BASE}/links/admin/{erik}", "revoke"),
                        (f"{other}/links/participant/{erik}", "revoke"), (f"{other}/links/role/{link}", "reissue")):
        assert post(organiser, url, {"action": action}).status_code == 422, url
    assert snapshot(settings) == before


# --- afterwards ----------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_export_zip_has_questions_poll_and_tables(settings, demo, people, browser, organiser):
    day = busy_day(settings, people)
    response = organiser.get(f"{BASE}/export.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["agenda.csv", "peiling.csv", "tafels.csv", "vragen.csv"]

    questions = _csv_rows(archive.read("vragen.csv"))
    assert questions[0][:6] == ["id", "status", "votes", "question", "original", "asker"]
    by_body = {row[3]: row for row in questions[1:]}
    assert set(by_body) == {"Vraag van Erik", "Vraag van Fatima", "Anonieme vraag"}
    assert by_body["Vraag van Erik"][1:3] == ["answered", "1"] and by_body["Vraag van Erik"][5] == "Erik van Dijk"
    assert by_body["Vraag van Fatima"][1:3] == ["approved", "2"] and by_body["Vraag van Fatima"][5] == "Fatima Bouzid"
    assert by_body["Anonieme vraag"][5] == "" and by_body["Anonieme vraag"][7] == "1"
    assert "Jan de Boer" not in archive.read("vragen.csv").decode()

    poll_rows = _csv_rows(archive.read("peiling.csv"))
    assert poll_rows[0] == ["question", "type", "voters", "answer", "count", "percent"]
    prompt = scalar(settings, "SELECT prompt FROM poll_question WHERE id = :q", q=day["poll"])
    first = [row for row in poll_rows[1:] if row[0] == prompt]
    assert [row[3:5] for row in first] == [["Beter", "1"], ["Even goed", "1"], ["Iets minder", "0"], ["Veel minder", "0"]]
    assert all(row[1:3] == ["single", "2"] for row in first) and first[0][5] == "50"
    scale_prompt = scalar(settings, "SELECT prompt FROM poll_question WHERE id = :q", q=day["scale"])
    scale = [row for row in poll_rows[1:] if row[0] == scale_prompt]
    assert [row[3:5] for row in scale] == [["1", "0"], ["2", "1"], ["3", "0"], ["4", "0"], ["5", "1"], ["mean", "3.5"]]

    seating = _csv_rows(archive.read("tafels.csv"))
    assert seating[0][:4] == ["table", "host", "topic", "guest"]
    expected = query(settings, "SELECT t.name, t.host_name, p.name FROM seat s JOIN participant p ON p.id = s.participant_id "
                               "JOIN lunch_table t ON t.id = s.table_id")
    assert len(seating) - 1 == len(expected) == 24
    assert sorted((row[0], row[1], row[3]) for row in seating[1:]) == sorted(expected)


def test_report_page_has_the_poll_charts(settings, demo, people, browser, organiser):
    day = busy_day(settings, people)
    response = organiser.get(f"{BASE}/report")
    assert response.status_code == 200
    islands = dict(re.findall(r'<script type="application/json" data-chart="chart-(\d+)">(.*?)</script>', response.text,
                              re.S))
    assert set(islands) == {str(day["poll"]), str(day["scale"])}  # the opened questions, not the drafts
    for figure in islands.values():
        parsed = json.loads(figure)
        assert parsed["data"] and "layout" in parsed
    assert "Vraag van Erik" in response.text  # answered on air
    assert "Welk woord past" not in response.text  # a draft question


def test_purge_needs_the_code_and_before_the_retention_end_the_early_box(settings, demo, people, browser, organiser):
    busy_day(settings, people)
    before = snapshot(settings)
    for data in ({}, {"confirm": "WRONG1", "early": "1"}, {"confirm": "G40DEC"}, {"confirm": "G40DEC", "early": "0"}):
        assert post(organiser, f"{BASE}/purge", data).status_code == 422, data
    assert snapshot(settings) == before
    assert 'id="purge-confirm"' in organiser.get(f"{BASE}/afterwards").text


def test_purge_removes_every_piece_of_personal_data_and_keeps_the_tallies(settings, demo, people, browser, organiser):
    day = busy_day(settings, people)
    for table in ("participant", "role_link", "seat", "invitation", "question_vote", "import_batch"):
        assert scalar(settings, f"SELECT COUNT(*) FROM {table}") > 0, table  # there is something to remove
    ballots = scalar(settings, "SELECT COUNT(*) FROM poll_ballot")
    choices = scalar(settings, "SELECT COUNT(*) FROM poll_choice")
    votes = dict(query(settings, "SELECT q.id, q.archived_votes + (SELECT COUNT(*) FROM question_vote v "
                                 "WHERE v.question_id = q.id) FROM question q"))
    assert votes[day["hers"]] == 2 and votes[day["mine"]] == 1
    response = post(organiser, f"{BASE}/purge", {"confirm": " g40dec ", "early": "1"})
    assert response.status_code == 200
    for table in ("participant", "role_link", "seat", "invitation", "question_vote", "import_batch"):
        assert scalar(settings, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert query(settings, "SELECT COUNT(*) FROM question WHERE participant_id IS NOT NULL") == [(0,)]
    assert query(settings, "SELECT COUNT(*) FROM poll_ballot WHERE participant_id IS NOT NULL") == [(0,)]
    assert query(settings, "SELECT DISTINCT host_name, host_link_id, host_municipality_id FROM lunch_table") == [
        ("", None, None)]
    assert scalar(settings, "SELECT COUNT(*) FROM lunch_table") == 6
    assert scalar(settings, "SELECT COUNT(*) FROM poll_ballot") == ballots
    assert scalar(settings, "SELECT COUNT(*) FROM poll_choice") == choices
    assert dict(query(settings, "SELECT id, archived_votes FROM question")) == votes
    assert scalar(settings, "SELECT purged_at FROM event") is not None
    # no names anywhere in what is left
    for name in ("Erik van Dijk", "Fatima Bouzid", "Annemiek de Vries", "anna@example.nl"):
        for table, rows in snapshot(settings).items():
            assert not any(name in row for row in rows), (name, table)
    # links stop, the page says it happened, and the results are still there
    assert browser().get(demo[ERIK], follow_redirects=False).status_code == 403
    assert browser().get(demo[MODERATOR], follow_redirects=False).status_code == 403
    afterwards = organiser.get(f"{BASE}/afterwards").text
    assert 'id="purge-confirm"' not in afterwards
    report = organiser.get(f"{BASE}/report")
    assert report.status_code == 200 and f'data-chart="chart-{day["poll"]}"' in report.text
    exported = zipfile.ZipFile(io.BytesIO(organiser.get(f"{BASE}/export.zip").content))
    assert "Erik van Dijk" not in exported.read("vragen.csv").decode()
    # the vote counts survive the purge: not lost with the people, not counted twice
    kept = {row[3]: row for row in _csv_rows(exported.read("vragen.csv"))[1:]}
    assert kept["Vraag van Fatima"][2] == "2" and kept["Vraag van Erik"][2] == "1"
    assert all(row[5] == "" for row in kept.values())  # no asker names
    assert len(_csv_rows(exported.read("tafels.csv"))) == 1


def test_purge_closes_the_open_pages_of_everyone_removed(app, settings, demo, people, browser, organiser):
    """As deleting one person or revoking a link does: the pages of people whose data and links are gone close."""
    erik, moderator = browser(), browser()
    sign_in(erik, demo[ERIK])
    sign_in(moderator, demo[MODERATOR])
    with erik.websocket(f"/ws/participant/{SLUG}") as ws_erik, moderator.websocket(f"/ws/moderator/{SLUG}") as ws_mod:
        ws_erik.receive_text()
        ws_mod.receive_text()
        settled(app, f"participant:{person_id(settings, 'Erik van Dijk')}")
        settled(app, f"link:{role_link_id(settings, 'Gespreksleider')}")
        assert post(organiser, f"{BASE}/purge", {"confirm": "G40DEC", "early": "1"}).status_code == 200
        assert closed_with(ws_erik, organiser) == 4401
        assert closed_with(ws_mod, organiser) == 4401


def _past_demo(settings, days_ago: int = 1) -> None:
    day = utcnow().date() - timedelta(days=days_ago)
    run(_with_db(settings, lambda db: create_demo(db, SECRET, day=day)))


def test_purge_due_removes_only_events_past_their_retention(settings):
    _past_demo(settings, days_ago=1)
    assert scalar(settings, "SELECT COUNT(*) FROM participant") == 24
    assert run(_with_db(settings, lambda db: purge_due(db, days=30))) == []
    assert scalar(settings, "SELECT COUNT(*) FROM participant") == 24
    done = run(_with_db(settings, lambda db: purge_due(db, days=0)))
    assert [slug for slug, _removed in done] == [SLUG]
    assert (done[0][1]["participants"], done[0][1]["links"]) == (24, 9)
    for table in ("participant", "role_link", "seat", "invitation", "question_vote", "import_batch"):
        assert scalar(settings, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert query(settings, "SELECT DISTINCT host_name FROM lunch_table") == [("",)]
    assert scalar(settings, "SELECT purged_at FROM event") is not None
    assert run(_with_db(settings, lambda db: purge_due(db, days=0))) == []  # once is enough


def test_purge_due_for_one_named_event_ignores_the_date(settings):
    run(_with_db(settings, lambda db: create_demo(db, SECRET, day=utcnow().date() + timedelta(days=60))))
    assert run(_with_db(settings, lambda db: purge_due(db, days=0))) == []
    assert run(_with_db(settings, lambda db: purge_due(db, days=0, slug="bestaat-niet"))) == []
    assert run(_with_db(settings, lambda db: purge_due(db, days=30, slug=SLUG)))[0][0] == SLUG
    assert scalar(settings, "SELECT COUNT(*) FROM participant") == 0


# --- the command line ----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("SAMEN_DATA_DIR", str(tmp_path / "data"))

    def stdin(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return stdin


def test_cli_creates_an_organiser_account(settings, cli_env, capsys, browser):
    from app.cli import main

    cli_env("een-lang-beheerderswachtwoord\n")
    assert main(["organiser", "create", "beheerder", "--password-stdin"]) == 0
    assert "beheerder" in capsys.readouterr().out
    (password_hash, totp_secret), = query(settings, "SELECT password_hash, totp_secret FROM organiser "
                                                    "WHERE username = 'beheerder'")
    assert password_hash.startswith("$argon2") and "een-lang" not in password_hash and totp_secret is None
    me = browser()
    assert login(me, "beheerder", "een-lang-beheerderswachtwoord").status_code == 303
    assert signed_in_as_organiser(me)
    # the same name again is refused
    cli_env("nog-een-lang-wachtwoord\n")
    assert main(["organiser", "create", "beheerder", "--password-stdin"]) == 1
    assert scalar(settings, "SELECT COUNT(*) FROM organiser WHERE username = 'beheerder'") == 1


def test_cli_refuses_a_short_password(settings, cli_env, capsys):
    from app.cli import main

    cli_env("kort\n")
    assert main(["organiser", "create", "beheerder", "--password-stdin"]) == 1
    assert "12" in capsys.readouterr().err
    assert query(settings, "SELECT COUNT(*) FROM organiser WHERE username = 'beheerder'") == [(0,)]


def test_cli_account_with_totp(settings, cli_env, capsys, browser):
    from app.cli import main

    cli_env("een-lang-beheerderswachtwoord\n")
    assert main(["organiser", "create", "tweede", "--totp", "--password-stdin"]) == 0
    secret = scalar(settings, "SELECT totp_secret FROM organiser WHERE username = 'tweede'")
    assert secret and secret in capsys.readouterr().out
    me = browser()
    assert login(me, "tweede", "een-lang-beheerderswachtwoord").status_code == 422
    assert login(me, "tweede", "een-lang-beheerderswachtwoord", code=totp.code_at(secret, time.time())).status_code == 303


def test_cli_purge(settings, cli_env, capsys):
    from app.cli import main

    _past_demo(settings, days_ago=2)
    assert main(["purge", "--days", "30"]) == 0
    assert scalar(settings, "SELECT COUNT(*) FROM participant") == 24
    capsys.readouterr()
    assert main(["purge", "--days", "0"]) == 0
    assert SLUG in capsys.readouterr().out
    assert scalar(settings, "SELECT COUNT(*) FROM participant") == 0
    assert scalar(settings, "SELECT COUNT(*) FROM role_link") == 0
