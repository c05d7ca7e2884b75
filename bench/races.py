"""Races: every participant fires many votes and upvotes at the same moment (a double tap, an impatient finger,
a script), and what the pages display must still equal the database.

    python -m bench.races                                   # 200 participants x 50 concurrent requests, SQLite
    python -m bench.races --backend postgres                # the same on PostgreSQL + Redis

One uvicorn process (tests.support.server.Server) on a fresh database with the demo event and N participants, each
an httpx client with its own cookie jar (tests/support/clients.py). A few participants ask questions (with idempotency keys)
and the moderator approves them; poll question 1 (single choice) is opened. Then, ``--parallel`` participants at a
time, each participant sends its whole burst at once, every request on its own connection:

1. ``--burst`` requests: half of them poll votes, each for a random answer, the other half upvotes spread over the
   approved questions (so each question gets several simultaneous upvotes from the same person), plus
   ``--same-key`` copies of one new question with ONE idempotency key (a double submit);
2. poll question 2 (multiple choice, at most two answers) is opened, and each participant sends ``--burst / 2``
   votes at once, each a different random selection of one or two answers.

Checked against the database after each round:

- 0 double votes: one ballot per participant per poll question; a single-choice ballot has exactly one choice; a
  multiple-choice ballot holds exactly one of the selections that participant sent (never a mixture of two);
  one upvote row per participant per question, and each approved question has exactly N upvotes;
- 0 duplicate questions: each participant's same-key copies were stored once;
- every request answered 2xx (no 5xx from a lost race, no 429: the bursts stay under the per-participant limit);
- displayed tallies = database counts: the rendered participant page (GET), a fresh participant WebSocket
  snapshot and a presenter snapshot show the same voter count, chart bars and table as the stored votes, and the
  page and the snapshot show every approved question's upvote count (button and ``data-votes``) as stored.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

from bench.scale_out import on_backend
from tests.support.clients import stderr_log
from tests.support.races import Config, run, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--burst", type=int, default=50, help="concurrent votes + upvotes per participant (default 50)")
    parser.add_argument("--same-key", type=int, default=5, help="copies of one question per participant (default 5)")
    parser.add_argument("--parallel", type=int, default=4, help="participants bursting at once (default 4)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=4122020)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args(argv)
    config = Config(participants=args.participants, burst=args.burst, same_key=args.same_key, parallel=args.parallel,
                    backend=args.backend, seed=args.seed, keep=args.keep)
    log = stderr_log()
    result = on_backend(args.backend, functools.partial(run, config, log))
    print(f"\nRaces: concurrent double votes and upvotes, {os.cpu_count()} CPUs, server and clients on one machine\n")
    print(table(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
