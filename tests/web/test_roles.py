"""Role links and role protection: every role page and action is refused without the right role."""

from __future__ import annotations

import pytest

from tests.conftest import SLUG, query, sign_in

ROLE_PAGES = ["moderator", "presenter", "host", "organiser"]
# Which signed-in role may open which page (everything else must be refused).
ALLOWED = {
    "moderator": {"moderator", "organiser"},
    "presenter": {"presenter", "moderator", "organiser"},
    "host": {"host"},
    "organiser": {"organiser"},
}
LINKS = {
    "moderator": "moderator:Gespreksleider",
    "presenter": "presenter:Presentatiescherm",
    "host": "host:Annemiek de Vries",
    "organiser": "organiser:Secretariaat G40",
    "participant": "participant:Erik van Dijk",
}


def test_role_link_is_exchanged_for_a_cookie_and_the_token_leaves_the_address_bar(demo, browser):
    me = browser()
    token_path = demo[LINKS["moderator"]]
    response = me.get(token_path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{SLUG}/moderator"
    assert token_path.split("/")[-1] not in response.headers["location"]
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["referrer-policy"] == "no-referrer"
    page = me.get(f"/e/{SLUG}/moderator")
    assert page.status_code == 200 and "Gespreksleider" in page.text


@pytest.mark.parametrize("page", ROLE_PAGES)
@pytest.mark.parametrize("who", [None, "participant", "moderator", "presenter", "host", "organiser"])
def test_role_pages_are_refused_without_the_right_role(demo, browser, page, who):
    me = browser()
    if who:
        sign_in(me, demo[LINKS[who]])
    response = me.get(f"/e/{SLUG}/{page}", follow_redirects=False)
    if who in ALLOWED[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "alleen voor mensen die de link" in response.text


@pytest.mark.parametrize("who", [None, "participant", "presenter", "host"])
def test_phase_changes_are_refused_without_moderator_or_organiser(settings, demo, browser, who):
    me = browser()
    if who:
        sign_in(me, demo[LINKS[who]])
    response = me.post(f"/e/{SLUG}/phase", {"action": "next"})
    assert response.status_code == 403
    assert query(settings, "SELECT status, current_part_id FROM event") == [("before", None)]


def test_a_role_for_one_event_does_not_open_another_event(settings, demo, browser):
    from tests.conftest import _with_db, run

    async def other_event(db):
        from datetime import date

        from app.events.models import Event

        async with db.write() as session:
            session.add(Event(slug="andere-dag", name="Andere dag", day=date(2026, 12, 11), code="OTHER1"))

    run(_with_db(settings, other_event))
    me = browser()
    sign_in(me, demo[LINKS["moderator"]])  # a role link belongs to one event
    assert me.get("/e/andere-dag/moderator").status_code == 403
    assert me.post("/e/andere-dag/phase", {"action": "next"}).status_code == 403


@pytest.mark.parametrize("token", ["x" * 32, "short", "%00%00%00"])
def test_forged_role_token_is_refused_and_writes_nothing(demo, browser, token):
    me = browser()
    response = me.get(f"/r/{token}", follow_redirects=False)
    assert response.status_code in (403, 404)
    assert "samen_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("column", ["revoked_at", "expires_at"])
def test_revoked_or_expired_role_link_stops_working_at_once(settings, demo, browser, column):
    from tests.conftest import _with_db, run

    me = browser()
    sign_in(me, demo[LINKS["moderator"]])
    assert me.get(f"/e/{SLUG}/moderator").status_code == 200

    async def expire(db):
        from sqlalchemy import text

        async with db.write() as session:
            await session.execute(text(f"UPDATE role_link SET {column} = '2020-01-01 00:00:00' "
                                       "WHERE label = 'Gespreksleider'"))

    run(_with_db(settings, expire))
    assert me.get(f"/e/{SLUG}/moderator").status_code == 403  # the cookie alone is not enough
    fresh = browser()
    response = fresh.get(demo[LINKS["moderator"]], follow_redirects=False)
    assert response.status_code == 403
    assert "werkt niet" in response.text


def test_unknown_event_is_404(browser):
    assert browser().get("/e/bestaat-niet").status_code == 404
    assert browser().get("/e/" + "x" * 500).status_code == 404
