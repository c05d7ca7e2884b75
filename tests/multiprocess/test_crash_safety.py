"""Crash safety, fast: the crash loop of bench/crash_loop.py (tests/support/crash_loop.py) in a small
configuration (50 participants, 3 SIGKILLs of a real uvicorn process while they vote and ask). The full run is
``python -m bench.crash_loop``.

On SQLite by default; on PostgreSQL with the Redis broker when SAMEN_TEST_BACKEND=postgres-redis."""

from __future__ import annotations

from tests.conftest import BACKEND
from tests.support import crash_loop


def test_sigkill_under_load_loses_and_duplicates_nothing(backend_database: tuple[str, str | None]) -> None:
    config = crash_loop.Config(participants=50, kills=3, rate=15.0, uptime=(1.0, 2.0), tail=1.0,
                               participant_screens=2, presenter_screens=1, drain_seconds=30.0,
                               backend="postgres" if BACKEND == "postgres-redis" else "sqlite")
    url, broker = backend_database
    result = crash_loop.run(config, database_url=url, broker_url=broker)
    print("\n" + crash_loop.table(result))

    # The run did what it says: three kills, each with writes in flight, and writes of both kinds acknowledged,
    # some of them only after a resend.
    assert len(result.kills) == 3
    assert all(kill.in_flight > 0 for kill in result.kills)
    assert {w.kind for w in result.acked} == {"question", "vote"}
    assert result.resent_acked > 0
    # 0 acknowledged writes lost, 0 duplicates, nothing that nobody sent.
    assert result.lost == []
    assert result.duplicates == []
    assert result.phantoms == []
    # Every write was acknowledged in the end (resent with its key after the restarts) and none twice applied.
    assert result.unacked == []
    assert result.unacked_applied_twice == []
    # Every acknowledged question sent once more after the last restart: answered, and not stored again.
    assert result.replayed == sum(1 for w in result.acked if w.kind == "question")
    assert set(result.replay_statuses) == {200}
    assert result.replay_new_rows == 0
    # Live screens came back after every restart with at least everything committed before it, and at the
    # end every one shows the database's tally (counter, chart and table).
    assert result.screens_current_every_restart, [k.current_after for k in result.kills]
    assert result.screens_final == []
    assert result.db_ballots == sum(result.db_option_counts) > 0
    assert result.ok
