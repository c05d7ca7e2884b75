"""One render and one frame encoding per topic update, however many screens watch (a real uvicorn process
with Samen's WebSocket protocol, raw WebSocket clients, the server's own counters from /metrics)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.fleet import Fleet, SamenSide, metrics

pytestmark = pytest.mark.timeout(180)
FLEET_PARTICIPANTS = 120


async def _settle(port: int, seconds: float = 0.6) -> dict[str, float]:
    """Counters once nothing moves any more (presence renders of the connects have run)."""
    before = metrics(port)
    while True:
        await asyncio.sleep(seconds)
        now = metrics(port)
        if now["samen_live_renders"] == before["samen_live_renders"]:
            return now
        before = now


@pytest.mark.parametrize("screens", [4, 100])
async def test_one_render_and_one_encoding_per_update_whatever_the_audience(
        fleet_template, tmp_path: Path, screens: int) -> None:
    template, cookies, question_id, options = fleet_template
    samen = SamenSide(tmp_path, template, cookies, question_id, options)
    await samen.start()
    try:
        fleet = Fleet({"port": samen.port, "path": samen.ws_path, "cookies": cookies[:screens], "screens": screens})
        connected = await fleet.connect()
        assert connected["connected"] == screens, connected
        before = await _settle(samen.port)
        votes = 3
        for k in range(votes):
            assert await samen.vote(len(cookies) - 1 - k)  # voters without a screen: no personal topic is watched
            await fleet.wait_for(k + 1, 10)
        after = await _settle(samen.port)
        renders = after["samen_live_renders"] - before["samen_live_renders"]
        frames = after["samen_live_frames"] - before["samen_live_frames"]
        # Each vote changes one watched topic (the poll results); at most one render and one encoding each,
        # never one per screen; and every screen got every update.
        assert 1 <= renders <= votes, renders
        assert frames == renders
        assert after["samen_live_offers"] - before["samen_live_offers"] == renders * screens
        assert all(s.log and s.log[-1][1] == votes for s in fleet.screens)
        for s in fleet.screens:
            s.transport.abort()
    finally:
        samen.stop()
