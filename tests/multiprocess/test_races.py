"""Races, fast: the races of bench/races.py (tests/support/races.py) in a small configuration against a real
uvicorn process (real concurrency needs a real server): every participant sends its votes, upvotes and a
double-submitted question all at once. The full run is ``python -m bench.races``.

On SQLite by default; on PostgreSQL with the Redis broker when SAMEN_TEST_BACKEND=postgres-redis."""

from __future__ import annotations

from tests.conftest import BACKEND
from tests.support import races


def test_concurrent_double_votes_count_once_and_pages_show_the_database(
        backend_database: tuple[str, str | None]) -> None:
    config = races.Config(participants=12, burst=16, same_key=3, approved=2, parallel=4,
                          backend="postgres" if BACKEND == "postgres-redis" else "sqlite")
    url, broker = backend_database
    result = races.run(config, database_url=url, broker_url=broker)
    print("\n" + races.table(result))

    # Everything was sent, and every request answered 200: no lost race turned into a 5xx, nothing throttled.
    assert result.requests == {"poll vote": 12 * 8 * 2, "upvote": 12 * 8, "question": 12 * 3}
    assert result.non_2xx == {}
    # 0 double votes: one ballot per person and poll question; single choice: exactly one of the answers that
    # person sent; multiple choice: exactly one of the selections sent, never a mixture of two.
    assert result.double_ballots == 0
    assert result.bad_single == 0
    assert result.wrong_choice == 0
    assert result.mixed_selections == 0
    # One upvote per person per question, none missing; a double-submitted question stored once.
    assert (result.double_upvotes, result.missing_upvotes) == (0, 0)
    assert (result.duplicate_questions, result.missing_questions) == (0, 0)
    # What the page, a participant snapshot and a presenter snapshot display equals the database, per round.
    assert [c.name for c in result.checks] == ["round 1 (single choice, upvotes)", "round 2 (multiple choice)"]
    for check in result.checks:
        assert check.problems == [], check.problems
        assert set(check.displays) == {"page", "participant snapshot", "presenter snapshot"}
        assert check.db_voters == 12
        assert check.db_upvotes == dict.fromkeys(check.db_upvotes, 12) and len(check.db_upvotes) == 2
    assert sum(result.checks[0].db_options) == 12  # single choice: one answer per voter
    assert result.ok
