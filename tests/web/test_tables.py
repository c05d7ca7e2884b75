"""The lunch over HTTP and WebSocket: preview and publish, what each role sees, late joiners, moves and locks,
host replacement, the table link, topic preferences, and role boundaries."""

from __future__ import annotations

import pytest

from tests.conftest import SLUG, query, sign_in, text_of
from tests.support.web import ERIK, FATIMA, ORGANISER, link_of, receive_until

HOST = "host:Annemiek de Vries"
PEOPLE = (ORGANISER, ERIK, FATIMA, HOST, "moderator:Gespreksleider", "presenter:Presentatiescherm")


def seating(people, action: str, **extra):
    return people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": action, **extra})


def table_of(settings, name: str) -> int:
    return query(settings, "SELECT s.table_id FROM seat s JOIN participant p ON p.id = s.participant_id "
                           "WHERE p.name = :n", n=name)[0][0]


def test_preview_is_invisible_until_published(settings, people):
    assert seating(people, "preview", seed="4").status_code == 200
    assert query(settings, "SELECT COUNT(*) FROM seat")[0][0] == 24  # every participant, hosts are fixed
    sizes = [n for (n,) in query(settings, "SELECT COUNT(*) FROM seat GROUP BY table_id")]
    assert max(sizes) - min(sizes) <= 1
    assert "zodra de organisator" in text_of(people[ERIK].get(f"/e/{SLUG}").text).lower() or \
        "tafelindeling" in text_of(people[ERIK].get(f"/e/{SLUG}").text).lower()
    assert 'id="table-card"' in people[ERIK].get(f"/e/{SLUG}").text
    assert "/table/open" not in people[ERIK].get(f"/e/{SLUG}").text
    panel = people[ORGANISER].get(f"/e/{SLUG}/organiser").text
    assert 'id="seating-panel"' in panel


def test_publish_shows_each_participant_their_table_live(settings, people):
    seating(people, "preview", seed="1")
    with people[ERIK].websocket(f"/ws/participant/{SLUG}") as ws, people[HOST].websocket(f"/ws/host/{SLUG}") as host_ws:
        receive_until(ws, 'id="table-card"')
        receive_until(host_ws, 'id="guest-list"')
        assert seating(people, "publish").status_code == 200
        card = receive_until(ws, "/table/open")
        receive_until(host_ws, 'id="guest-list"')
    table_id = table_of(settings, "Erik van Dijk")
    table_name = query(settings, "SELECT name FROM lunch_table WHERE id = :t", t=table_id)[0][0]
    assert table_name in card
    mates = [n for (n,) in query(settings, "SELECT p.name FROM seat s JOIN participant p ON p.id = s.participant_id "
                                            "WHERE s.table_id = :t AND p.name != 'Erik van Dijk'", t=table_id)]
    assert all(m in card for m in mates)


def test_quality_is_shown_with_the_lower_bound_and_a_shuffle(settings, people):
    seating(people, "preview", seed="2")
    panel = text_of(people[ORGANISER].get(f"/e/{SLUG}/organiser").text)
    assert "optimaal" in panel.lower()
    quality = query(settings, "SELECT quality, baseline FROM seating_round")[0]
    assert '"same_city_pairs": 0' in quality[0] and '"lower_bound": 0' in quality[0]


def test_late_joiner_is_seated_without_moving_anyone(settings, people, browser):
    seating(people, "preview", seed="1")
    seating(people, "publish")
    before = dict(query(settings, "SELECT participant_id, table_id FROM seat"))
    late = browser()
    municipality = query(settings, "SELECT id FROM municipality WHERE name = 'Zwolle'")[0][0]
    late.post("/join", {"code": "G40DEC", "name": "Laat Binnen", "municipality": str(municipality), "join_key": "l" * 32})
    # Seated by the join itself (a write), before any page is opened: the page only reads.
    after = dict(query(settings, "SELECT participant_id, table_id FROM seat"))
    assert len(after) == len(before) + 1
    assert {p: t for p, t in after.items() if p in before} == before
    sizes = [n for (n,) in query(settings, "SELECT COUNT(*) FROM seat GROUP BY table_id")]
    assert max(sizes) - min(sizes) <= 1
    page = late.get(f"/e/{SLUG}").text
    assert f'action="/e/{SLUG}/table/open"' in page
    assert dict(query(settings, "SELECT participant_id, table_id FROM seat")) == after


def test_whoever_joined_during_the_preview_is_seated_by_the_publication(settings, people, browser):
    seating(people, "preview", seed="1")
    early = browser()
    municipality = query(settings, "SELECT id FROM municipality WHERE name = 'Zwolle'")[0][0]
    early.post("/join", {"code": "G40DEC", "name": "Vroeg Binnen", "municipality": str(municipality),
                         "join_key": "v" * 32})
    assert query(settings, "SELECT COUNT(*) FROM seat") == [(24,)]  # the preview was made before they came
    before = dict(query(settings, "SELECT participant_id, table_id FROM seat"))
    seating(people, "publish")
    after = dict(query(settings, "SELECT participant_id, table_id FROM seat"))
    assert len(after) == 25 and {p: t for p, t in after.items() if p in before} == before
    sizes = [n for (n,) in query(settings, "SELECT COUNT(*) FROM seat GROUP BY table_id")]
    assert max(sizes) - min(sizes) <= 1
    assert f'action="/e/{SLUG}/table/open"' in early.get(f"/e/{SLUG}").text


def test_someone_added_after_publication_is_seated_when_added_and_their_link_only_reads(settings, people, browser):
    seating(people, "preview", seed="1")
    seating(people, "publish")
    organiser = people[ORGANISER]
    response = organiser.post(f"/e/{SLUG}/organiser/participants/new", {"name": "Later Toegevoegd",
                                                                        "municipality": "other", "organisation": "VNG"})
    assert response.status_code in (200, 303)
    count = "SELECT COUNT(*) FROM seat s JOIN participant p ON p.id = s.participant_id WHERE p.name = 'Later Toegevoegd'"
    assert query(settings, count) == [(1,)]  # seated by the organiser's write
    link = link_of(organiser.get(f"/e/{SLUG}/organiser/links").text, "Later Toegevoegd")
    seats = "SELECT * FROM seat ORDER BY id"
    before = query(settings, seats)
    newcomer = browser()
    assert sign_in(newcomer, link) == f"/e/{SLUG}"
    assert sign_in(browser(), link) == f"/e/{SLUG}"  # again, on another device
    assert f'action="/e/{SLUG}/table/open"' in newcomer.get(f"/e/{SLUG}").text
    assert query(settings, seats) == before  # the link and the page wrote no seat


def test_organiser_moves_and_locks_and_a_new_preview_keeps_the_lock(settings, people):
    seating(people, "preview", seed="1")
    erik = query(settings, "SELECT id FROM participant WHERE name = 'Erik van Dijk'")[0][0]
    target = [t for (t,) in query(settings, "SELECT id FROM lunch_table") if t != table_of(settings, "Erik van Dijk")][0]
    response = people[ORGANISER].post(f"/e/{SLUG}/tables/move", {"participant": str(erik), "table": str(target),
                                                                  "lock": "1"})
    assert response.status_code == 200
    for seed in ("5", "6", "7"):
        seating(people, "preview", seed=seed)
        assert table_of(settings, "Erik van Dijk") == target
    assert query(settings, "SELECT locked FROM seat WHERE participant_id = :p", p=erik) == [(1,)]


def test_bad_moves_are_refused(settings, people):
    seating(people, "preview", seed="1")
    assert people[ORGANISER].post(f"/e/{SLUG}/tables/move", {"participant": "1", "table": "99999"}).status_code == 422
    assert seating(people, "explode").status_code == 422


def test_replacing_a_host_revokes_the_old_link(settings, people, demo, browser):
    table = query(settings, "SELECT id FROM lunch_table WHERE host_name = 'Annemiek de Vries'")[0][0]
    response = people[ORGANISER].post(f"/e/{SLUG}/tables/{table}/host", {"name": "Nieuwe Host"})
    assert response.status_code == 200
    assert people[HOST].get(f"/e/{SLUG}/host").status_code == 403  # the old host is out at once
    new_link = response.text.split("/r/")[1].split("<")[0].strip()
    newcomer = browser()
    assert sign_in(newcomer, f"/r/{new_link}") == f"/e/{SLUG}/host"
    assert "Tafel Stad en regio" in newcomer.get(f"/e/{SLUG}/host").text


def test_table_link_is_recorded_for_the_host(settings, people):
    opened = "SELECT COUNT(*) FROM seat WHERE opened_at IS NOT NULL"
    seating(people, "preview", seed="1")
    assert people[ERIK].post(f"/e/{SLUG}/table/open", follow_redirects=False).status_code == 404  # not published
    get = people[ERIK].get(f"/e/{SLUG}/table/open", follow_redirects=False)
    assert get.status_code == 303 and get.headers["location"] == f"/e/{SLUG}"  # nowhere to go yet: back to the page
    seating(people, "publish")
    card = people[ERIK].get(f"/e/{SLUG}").text.split('id="table-card"')[1]
    # The big button is a plain form post (no hx-post: htmx must not try to follow it to another site).
    form = card.split("<form", 1)[1].split("</form>", 1)[0]
    assert f'method="post" action="/e/{SLUG}/table/open"' in form and "hx-" not in form
    assert '<button type="submit" class="button big">' in form
    # Opening the address (an old bookmark, a link preview) only reads.
    page = people[ERIK].get(f"/e/{SLUG}/table/open", follow_redirects=False)
    assert page.status_code == 200 and query(settings, opened) == [(0,)]
    # The button's post records it, then sends the browser to the same address, which forwards to the video
    # meeting (a redirect straight to the video service would be blocked by the CSP's form-action 'self').
    response = people[ERIK].post(f"/e/{SLUG}/table/open", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/e/{SLUG}/table/open"
    assert query(settings, opened) == [(1,)]
    video = query(settings, "SELECT t.video_url FROM seat s JOIN lunch_table t ON t.id = s.table_id "
                            "JOIN participant p ON p.id = s.participant_id WHERE p.name = 'Erik van Dijk'")[0][0]
    assert video.startswith("https://")
    page = people[ERIK].get(response.headers["location"])
    assert page.status_code == 200
    assert f'<meta http-equiv="refresh" content="0; url={video}">' in page.text
    assert f'href="{video}"' in page.text  # the same, as a link, should the refresh not happen
    # Again: still one opened seat, the first moment kept.
    first = query(settings, "SELECT opened_at FROM seat WHERE opened_at IS NOT NULL")
    assert people[ERIK].post(f"/e/{SLUG}/table/open", follow_redirects=False).status_code == 303
    assert query(settings, "SELECT opened_at FROM seat WHERE opened_at IS NOT NULL") == first


def test_only_a_seated_participant_opens_a_table(settings, people, browser):
    seating(people, "preview", seed="1")
    seating(people, "publish")
    for who in (HOST, "moderator:Gespreksleider", "presenter:Presentatiescherm", ORGANISER):
        assert people[who].post(f"/e/{SLUG}/table/open", follow_redirects=False).status_code == 403
        assert people[who].get(f"/e/{SLUG}/table/open", follow_redirects=False).status_code == 403
    assert browser().post(f"/e/{SLUG}/table/open", follow_redirects=False).status_code == 403
    assert query(settings, "SELECT COUNT(*) FROM seat WHERE opened_at IS NOT NULL") == [(0,)]


def test_topic_preference(settings, people):
    assert people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": "Eén overheid"}).status_code == 200
    assert query(settings, "SELECT topic FROM participant WHERE name = 'Erik van Dijk'") == [("Eén overheid",)]
    assert people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": "Iets anders"}).status_code == 422


def test_topic_preference_is_locked_once_the_seating_is_published(settings, people):
    page = people[ERIK].get(f"/e/{SLUG}").text
    assert 'id="table-topic"' in page  # before publication: a form
    chosen = people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": "Eén overheid"})
    assert chosen.status_code == 200
    assert 'id="topic-chosen" hx-swap-oob="true">Eén overheid<' in chosen.text  # the read-only line follows

    seating(people, "preview", seed="1")
    assert people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": ""}).status_code == 200  # a preview: still open
    people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": "Eén overheid"})
    seating(people, "publish")

    late = people[ERIK].post(f"/e/{SLUG}/table/topic", {"topic": "Stad en regio"})
    assert late.status_code == 422
    assert "De tafelindeling is gepubliceerd" in text_of(late.text)
    assert query(settings, "SELECT topic FROM participant WHERE name = 'Erik van Dijk'") == [("Eén overheid",)]
    page = people[ERIK].get(f"/e/{SLUG}").text
    assert 'id="table-topic"' not in page  # read-only: the choice, no form
    assert "Eén overheid" in text_of(page.split('class="topic-locked"')[1])
    assert 'data-seated' in page


@pytest.mark.parametrize("who", [ERIK, HOST, "moderator:Gespreksleider", "presenter:Presentatiescherm", None])
def test_only_the_organiser_seats_people(settings, people, browser, who):
    actor = people[who] if who else browser()
    assert actor.post(f"/e/{SLUG}/tables/seating", {"action": "preview"}).status_code == 403
    assert actor.post(f"/e/{SLUG}/tables/move", {"participant": "1", "table": "1"}).status_code == 403
    assert actor.post(f"/e/{SLUG}/tables/1/host", {"name": "X"}).status_code == 403
    assert query(settings, "SELECT COUNT(*) FROM seat") == [(0,)]


def test_host_sees_only_their_own_guests(settings, people):
    seating(people, "preview", seed="1")
    seating(people, "publish")
    host_table = query(settings, "SELECT id FROM lunch_table WHERE host_name = 'Annemiek de Vries'")[0][0]
    mine = {n for (n,) in query(settings, "SELECT p.name FROM seat s JOIN participant p ON p.id = s.participant_id "
                                           "WHERE s.table_id = :t", t=host_table)}
    others = {n for (n,) in query(settings, "SELECT p.name FROM seat s JOIN participant p ON p.id = s.participant_id "
                                             "WHERE s.table_id != :t", t=host_table)}
    page = people[HOST].get(f"/e/{SLUG}/host").text
    guest_list = page.split('id="guest-list"')[1]
    assert all(n in guest_list for n in mine)
    assert not any(n in guest_list for n in others)


def test_organiser_adds_a_table_with_a_host_link_and_validates_the_video_link(settings, people, browser):
    bad = people[ORGANISER].post(f"/e/{SLUG}/tables/new", {"name": "Tafel Zeven", "capacity": "8",
                                                           "video_url": "javascript:alert(1)", "host_name": "Hanna"})
    assert bad.status_code == 422 and "https://" in bad.text
    assert query(settings, "SELECT COUNT(*) FROM lunch_table") == [(6,)]
    ok = people[ORGANISER].post(f"/e/{SLUG}/tables/new", {"name": "Tafel Zeven", "capacity": "8",
                                                          "video_url": "https://meet.jit.si/g40-zeven",
                                                          "topic": "Digitaal", "host_name": "Hanna"})
    assert ok.status_code == 200
    token = ok.text.split("/r/")[1].split("<")[0].strip()
    host = browser()
    assert sign_in(host, f"/r/{token}") == f"/e/{SLUG}/host"
    assert "Tafel Zeven" in host.get(f"/e/{SLUG}/host").text
    table = query(settings, "SELECT id FROM lunch_table WHERE name = 'Tafel Zeven'")[0][0]
    edit = people[ORGANISER].post(f"/e/{SLUG}/tables/{table}/edit", {"name": "Tafel 7", "capacity": "1"})
    assert edit.status_code == 422
    assert query(settings, "SELECT name FROM lunch_table WHERE id = :t", t=table) == [("Tafel Zeven",)]


def test_a_new_round_in_preview_keeps_everyone_at_their_published_table(settings, people):
    seating(people, "preview", seed="1")
    seating(people, "publish")
    first = table_of(settings, "Erik van Dijk")
    assert seating(people, "new_round", seed="2").status_code == 200
    assert query(settings, "SELECT COUNT(*) FROM seating_round") == [(2,)]
    card = people[ERIK].get(f"/e/{SLUG}").text.split('id="table-card"')[1]
    name = query(settings, "SELECT name FROM lunch_table WHERE id = :t", t=first)[0][0]
    assert name in card  # still the published round's table while round 2 is only a preview
