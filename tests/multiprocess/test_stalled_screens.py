"""A screen that stops reading while updates flow is reset within PROBE_EVERY + PROBE_TIMEOUT (app/live/wire.py),
and the others keep getting every update (a real uvicorn process, raw WebSocket clients)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from app.live.wire import PROBE_EVERY, PROBE_TIMEOUT
from tests.support.fleet import Fleet, SamenSide, metrics

pytestmark = pytest.mark.timeout(180)
FLEET_PARTICIPANTS = 300


async def test_a_screen_that_stops_reading_is_reset_and_the_others_stay_current(fleet_template, tmp_path: Path) -> None:
    template, cookies, question_id, options = fleet_template
    samen = SamenSide(tmp_path, template, cookies, question_id, options)
    await samen.start()
    try:
        fleet = Fleet({"port": samen.port, "path": samen.ws_path, "cookies": cookies[:20], "screens": 20})
        assert (await fleet.connect())["connected"] == 20
        await samen.vote(299)
        await fleet.wait_for(1, 10)
        fleet.stall(2)
        stalled = [s for s in fleet.screens if s.stalled_at is not None]
        deadline = time.monotonic() + PROBE_EVERY + PROBE_TIMEOUT + 5
        votes = 1
        while time.monotonic() < deadline and not all(s.closed_at for s in stalled):
            assert await samen.vote(299 - votes)  # voters without a screen
            votes += 1
            await asyncio.sleep(0.15)
            fleet.watch_stalled()
        for s in stalled:
            assert s.closed_at is not None, "a stalled screen was never reset"
            assert s.closed_at - s.stalled_at <= PROBE_EVERY + PROBE_TIMEOUT + 1.5
        reading = [s for s in fleet.screens if s.stalled_at is None]
        await fleet.wait_for(votes, 10)
        assert all(not s.lost and s.log and s.log[-1][1] == votes for s in reading)
        stats = metrics(samen.port)
        assert stats["samen_live_stalled_aborts"] == 2
        assert stats["samen_live_pages"] == 18
        for s in fleet.screens:
            s.transport.abort()
    finally:
        samen.stop()
