"""The poll burst benchmark in a tiny configuration (50 voters, 50 screens), as a correctness check of the
whole path: HTTP votes against a real uvicorn process, every participant screen following over its WebSocket.

Slow (starts a server, runs a few seconds of voting): only with ``-m slow``."""

from __future__ import annotations

import pytest

from bench.poll_burst import Config, run_config, table

pytestmark = pytest.mark.slow

VOTERS = 50
SCREENS = 50


def test_poll_burst_tiny() -> None:
    result = run_config(Config(voters=VOTERS, screens=SCREENS, seconds=3, settle_seconds=10))
    print("\n" + table([result]))

    assert result.failed_votes == 0, result.vote_errors
    assert result.ok_votes == VOTERS
    # The final tally equals the database: rows in poll_ballot, the per-option counts, the chart and its table.
    assert result.db_ballots == VOTERS
    assert sum(result.db_option_counts) == VOTERS
    assert result.screen_counts == [result.db_ballots], result.screen_counts
    assert result.chart_sums == [result.db_ballots], result.chart_sums
    assert result.table_sums == [result.db_ballots], result.table_sums
    assert result.tally_ok
    # Every screen got the final tally, and none was dropped on the way.
    assert result.screens_connected == SCREENS
    assert result.screens_closed_early == 0, result.notes
    assert result.reach == SCREENS
    assert result.every_screen_final
    # Every vote reached every screen.
    assert result.latency_missing == 0
    assert result.latency_samples == VOTERS * SCREENS
