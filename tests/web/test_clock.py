"""Samen works on any date: the demo is held on the day it is created, its links work for their whole stated
validity, a restarted demo moves on when its links have expired and prints only links that still work."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app import cli, clock
from app.demo import CODE, SLUG, create_demo
from app.events.models import RoleLink
from app.events.service import issue_role_link
from tests.conftest import SECRET, _with_db, query, run, sign_in


def _demo(settings, **kw):
    return run(_with_db(settings, lambda db: create_demo(db, SECRET, participant_days=settings.role_link_days, **kw)))


def _works(browser, path: str) -> bool:
    response = browser.get(path, follow_redirects=False)
    if response.status_code != 303:
        return False
    return browser.get(response.headers["location"]).status_code == 200


@pytest.mark.parametrize("moment", [datetime(2026, 12, 20, 9), datetime(2027, 1, 15, 12), datetime(2031, 6, 1, 23, 59)])
def test_clock_demo_is_held_on_the_day_it_is_created(settings, client, browser, moment):
    with clock.pinned(moment):
        links = _demo(settings)
        assert links.day == moment.date()
        assert query(settings, "SELECT day FROM event")[0][0] in (moment.date(), moment.date().isoformat())
        usable = [link for link in links if link.path.startswith(("/r/", "/j/"))]
        assert len(usable) == 9 + 3 and all(link.note.startswith("valid") for link in usable)
        for link in usable:
            assert _works(browser(), link.path), link
        # joining with the event code works too
        tilburg = query(settings, "SELECT id FROM municipality WHERE name = 'Tilburg'")[0][0]
        newcomer = browser()
        joined = newcomer.post("/join", {"code": CODE, "name": "Anna de Wit", "municipality": str(tilburg),
                                         "join_key": "k" * 32}, follow_redirects=False)
        assert joined.status_code == 303 and newcomer.get(f"/e/{SLUG}").status_code == 200


def test_clock_demo_links_work_for_their_whole_stated_validity(settings, client, browser):
    created = datetime(2027, 2, 1, 8)
    with clock.pinned(created):
        links = _demo(settings)
    role = next(link for link in links if link.role == "moderator")
    person = next(link for link in links if link.role == "participant")
    role_until = date.fromisoformat(role.note.rsplit(" ", 1)[1])
    person_until = date.fromisoformat(person.note.rsplit(" ", 1)[1])
    assert person_until == created.date() + timedelta(days=settings.role_link_days)
    with clock.pinned(datetime.combine(person_until, datetime.min.time()) + timedelta(hours=23)):
        assert _works(browser(), person.path) and _works(browser(), role.path)
    with clock.pinned(datetime.combine(person_until + timedelta(days=1), datetime.min.time()) + timedelta(hours=1)):
        assert not _works(browser(), person.path)
    with clock.pinned(datetime.combine(role_until, datetime.min.time()) - timedelta(hours=1)):
        assert _works(browser(), role.path)
    with clock.pinned(datetime.combine(role_until, datetime.min.time()) + timedelta(hours=1)):
        assert not _works(browser(), role.path)


def test_clock_restarted_demo_moves_to_today_once_its_links_expired(settings, client, browser):
    with clock.pinned(datetime(2026, 12, 4, 9)):
        first = _demo(settings)
    with clock.pinned(datetime(2026, 12, 9, 9)):  # still valid: the demo keeps its day and its links
        assert _demo(settings).day == date(2026, 12, 4)
    later = datetime(2027, 3, 10, 9)
    with clock.pinned(later):
        again = _demo(settings)
        assert again.day == later.date()
        assert [link.path for link in again] == [link.path for link in first]  # the same links, valid again
        for link in again:
            if link.path.startswith(("/r/", "/j/")):
                assert _works(browser(), link.path), link


def test_clock_restarted_demo_prints_only_links_that_still_work(settings, client, browser):
    first = _demo(settings)

    async def revoke_and_reissue(db) -> str:
        async with db.write() as session:
            links = list(await session.scalars(select(RoleLink).order_by(RoleLink.id)))
            links[0].revoked_at = clock.now()
            return issue_role_link(links[1], SECRET, new_version=True)

    new_token = run(_with_db(settings, revoke_and_reissue))
    again = _demo(settings)
    revoked, reissued = again[2], again[3]
    assert revoked.path == "" and "revoked" in revoked.note
    assert reissued.path == f"/r/{new_token}" != first[3].path
    assert not _works(browser(), first[2].path) and not _works(browser(), first[3].path)
    assert _works(browser(), reissued.path)
    assert sign_in(browser(), reissued.path)


def test_clock_demo_command_takes_a_day(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    assert cli.main(["demo", "--no-serve", "--day", "2027-05-01"]) == 0
    out = capsys.readouterr().out
    assert "held on 2027-05-01" in out and "valid until 2027-05-31" in out
    assert query(settings, "SELECT COUNT(*) FROM event")[0][0] == 1
    with pytest.raises(SystemExit):
        cli.main(["demo", "--no-serve", "--day", "4 december"])
