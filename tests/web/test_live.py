"""The live layer through the real endpoint: snapshots, pushes, reconnects, Origin and role checks."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.conftest import SLUG, sign_in
from tests.support.web import receive_until

PARTICIPANT = "participant:Erik van Dijk"
ORGANISER = "organiser:Secretariaat G40"


def test_a_page_gets_a_snapshot_of_its_live_parts_on_connect(demo, browser):
    me = browser()
    sign_in(me, demo[PARTICIPANT])
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        first = ws.receive_text()
    assert 'id="programme"' in first and 'hx-swap-oob="true"' in first
    assert 'data-phase="before"' in first


def test_phase_change_is_pushed_to_every_participant(demo, browser):
    anna, bob, organiser = browser(), browser(), browser()
    sign_in(anna, demo[PARTICIPANT])
    sign_in(bob, demo["participant:Fatima Bouzid"])
    sign_in(organiser, demo[ORGANISER])
    with anna.websocket(f"/ws/participant/{SLUG}") as ws_a, bob.websocket(f"/ws/participant/{SLUG}") as ws_b:
        ws_a.receive_text(), ws_b.receive_text()
        response = organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
        assert response.status_code == 200 and "Het G40Gesprek" in response.text
        for ws in (ws_a, ws_b):
            pushed = receive_until(ws, 'data-phase="debate"')
            assert "Het G40Gesprek" in pushed and 'aria-current="step"' in pushed


def test_reconnect_gets_a_current_snapshot(demo, browser):
    me, organiser = browser(), browser()
    sign_in(me, demo[PARTICIPANT])
    sign_in(organiser, demo[ORGANISER])
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        assert 'data-phase="before"' in ws.receive_text()
    # while this page is away (tab hidden, network gone), the block moves on twice
    organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
    organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        snapshot = ws.receive_text()
    assert 'data-phase="poll"' in snapshot and "Digitaal netwerken" in snapshot


def test_presenter_and_organiser_receive_their_own_views(demo, browser):
    presenter, organiser = browser(), browser()
    sign_in(presenter, demo["presenter:Presentatiescherm"])
    sign_in(organiser, demo[ORGANISER])
    with presenter.websocket(f"/ws/presenter/{SLUG}") as ws:
        assert 'id="presenter-stage"' in ws.receive_text()
        organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
        assert "Het G40Gesprek" in receive_until(ws, 'data-phase="debate"')
    with organiser.websocket(f"/ws/organiser/{SLUG}") as ws:
        messages = [ws.receive_text(), ws.receive_text()]
    assert any('id="online"' in m for m in messages) and any('id="programme"' in m for m in messages)


def test_organiser_sees_who_is_online(demo, browser):
    me, organiser = browser(), browser()
    sign_in(me, demo[PARTICIPANT])
    sign_in(organiser, demo[ORGANISER])
    with organiser.websocket(f"/ws/organiser/{SLUG}") as ws_org:
        with me.websocket(f"/ws/participant/{SLUG}") as ws:
            ws.receive_text()
            online = receive_until(ws_org, "<strong>1</strong>")
            assert "Erik van Dijk" in online
        receive_until(ws_org, "<strong>0</strong>")


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://testserver.evil.example"])
def test_cross_origin_websocket_is_refused(demo, browser, origin):
    me = browser()
    sign_in(me, demo[PARTICIPANT])
    with pytest.raises(WebSocketDisconnect) as refused, me.websocket(f"/ws/participant/{SLUG}", origin=origin):
        pass
    assert refused.value.code == 4403


@pytest.mark.parametrize(
    ("who", "view"),
    [(None, "participant"), (None, "organiser"), (PARTICIPANT, "organiser"), (PARTICIPANT, "moderator"),
     ("presenter:Presentatiescherm", "moderator"), ("host:Pieter Bakker", "organiser"),
     (PARTICIPANT, "nonsense"), (ORGANISER, "participant")],
)
def test_socket_views_are_decided_by_the_server(demo, browser, who, view):
    me = browser()
    if who:
        sign_in(me, demo[who])
    with pytest.raises(WebSocketDisconnect), me.websocket(f"/ws/{view}/{SLUG}") as ws:
        ws.receive_text()


def test_socket_for_unknown_event_is_refused(demo, browser):
    me = browser()
    sign_in(me, demo[PARTICIPANT])
    with pytest.raises(WebSocketDisconnect), me.websocket("/ws/participant/bestaat-niet") as ws:
        ws.receive_text()


def test_a_burst_of_phase_changes_is_coalesced(app, demo, browser):
    me, organiser = browser(), browser()
    sign_in(me, demo[PARTICIPANT])
    sign_in(organiser, demo[ORGANISER])
    hub = app.state.hub
    rendered: list[str] = []
    render = hub._render

    async def counting(topic: str, locale: str) -> str:
        rendered.append(topic)
        return await render(topic, locale)

    hub._render = counting
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
        for _ in range(10):
            organiser.post(f"/e/{SLUG}/phase", {"action": "next"})
            organiser.post(f"/e/{SLUG}/phase", {"action": "previous"})
        organiser.post(f"/e/{SLUG}/phase", {"action": "goto", "part": "3"})
        final = receive_until(ws, 'data-phase="lunch"', limit=50)
    assert "Interactieve netwerklunch" in final
    # 21 changes were committed; the socket's topic was rendered fewer times (once per tick at most; the
    # snapshot's one render included)
    assert 1 < rendered.count("programme:1") < 21 + 1


def test_incoming_frames_are_ignored_and_a_flood_is_closed(demo, browser):
    me = browser()
    sign_in(me, demo[PARTICIPANT])
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        ws.receive_text()
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(500):
                ws.send_text("{}")
            for _ in range(50):  # the snapshot's remaining messages, then the close
                ws.receive_text()
    assert closed.value.code == 1008
