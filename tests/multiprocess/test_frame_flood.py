"""The frame flood of bench/frame_flood.py (tests/support/frame_flood.py) in a short run: 5,000 hostile WebSocket
frames from raw sockets against a real uvicorn process, started as the Procfile starts it. Afterwards the server
answers /healthz, serves a participant's page and gives a proper WebSocket client its snapshot; no 5xx anywhere, no
error of the server in its log, memory bounded; every kind of violation is closed by the server with the code RFC
6455 (or Samen's flood limit) asks for, and every refused handshake is refused."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.support.frame_flood import SCENARIOS, Config, Result, run, table

FRAMES = 5_000

# What the server must answer, per scenario: the handshake's HTTP status, and then how the connection ends.
CLOSED_WITH = {
    "reserved-bits": 1002, "reserved-opcode": 1002, "unmasked": 1002, "cont-first": 1002,
    "new-message-inside-fragment": 1002, "fragmented-control": 1002, "long-control": 1002,
    "oversized": 1009, "huge-length": 1009, "fragments-over-cap": 1009,  # the 64 KiB frame cap
    "invalid-utf8": 1007, "after-close": 1000,
}
REFUSED_WITH = {"bad-origin": 403, "no-origin": 403, "no-cookie": 403, "forged-cookie": 403, "bad-path": 403,
                "bad-version": 400, "bad-key": 400, "garbage-first": 400, "non-ascii-path": 400,
                "http-non-utf8-query": 400, "post-upgrade": 405}
# Handshakes that the WebSocket parser itself refuses (a 100 KB header line, 300 headers, a 10 KB request line):
# uvicorn's protocol used to leave them unanswered and open; app/live/wire.py now sends the 431/414 and closes.
TOO_LARGE = {"huge-header": 431, "many-headers": 431, "long-request-line": 414}


@pytest.fixture(scope="module")
def flood() -> Result:
    if BACKEND == "postgres-redis":
        from tests.services import postgres_database, require_redis

        with postgres_database() as url:
            result = run(Config(frames=FRAMES, participants=10, database_url=url, broker_url=require_redis()))
    else:
        result = run(Config(frames=FRAMES, participants=10))
    print("\n" + table(result))
    return result


def endings(result: Result, scenario: str) -> set[str]:
    return set(result.by_scenario.get(scenario, {}))


def test_the_flood_was_what_it_says(flood: Result) -> None:
    assert flood.frames >= FRAMES
    assert set(flood.by_scenario) == set(SCENARIOS), set(SCENARIOS) - set(flood.by_scenario)  # every kind ran
    assert flood.connections >= 100


def test_no_server_error_and_nothing_in_the_log(flood: Result) -> None:
    assert flood.client_5xx == 0
    assert flood.log_5xx == []
    assert flood.tracebacks == []
    assert flood.notes == []  # e.g. the server process ended by itself


def test_the_server_stays_healthy_during_and_after(flood: Result) -> None:
    assert flood.healthz_polls > 0 and flood.healthz_failures == 0
    assert flood.healthz_after and flood.page_after and flood.snapshot_after
    assert flood.pages_after in (None, 0)  # no socket the live layer kept after its connection ended


def test_memory_is_bounded(flood: Result) -> None:
    assert flood.rss_before_mb > 0
    assert flood.rss_growth_mb < 50, (flood.rss_before_mb, flood.rss_after_mb)


def test_violations_are_closed_with_the_right_code(flood: Result) -> None:
    for scenario, code in CLOSED_WITH.items():
        assert endings(flood, scenario) <= {f"101 → closed by server ({code})", "101 → reset by server"}, scenario
    # Over the per-socket message limit: closed by the server (the live layer's policy decides the code).
    assert all(e.startswith(("101 → closed by server", "101 → reset by server")) for e in endings(flood, "text-flood"))
    for scenario in ("text", "binary", "pings", "interleaved", "pipelined"):  # lawful: stays open until the client goes
        assert endings(flood, scenario) == {"101 → closed by client"}, (scenario, endings(flood, scenario))


def test_bad_handshakes_are_refused(flood: Result) -> None:
    for scenario, status in REFUSED_WITH.items():
        assert {e.split(" → ")[0] for e in endings(flood, scenario)} == {str(status)}, (scenario, endings(flood, scenario))
    left_open = {name for name, ended in flood.by_scenario.items() if any("left open" in e for e in ended)}
    assert not left_open, left_open
    for scenario, status in TOO_LARGE.items():
        assert {e.split(" → ")[0] for e in endings(flood, scenario)} == {str(status)}, (scenario, endings(flood, scenario))
