"""Crash safety under load: the server is killed with SIGKILL at random moments while participants vote and ask.

    python -m bench.crash_loop                                   # 1000 participants, 25 kills, SQLite
    python -m bench.crash_loop --participants 1000 --kills 25 --backend postgres    # PostgreSQL + Redis

One uvicorn process (tests.support.server.Server, flags as in the Procfile) on a fresh database (SQLite file in a
temp dir, or a fresh PostgreSQL database that is dropped afterwards), seeded with the demo event and N participants
(tests.support.server.prepare_database). Poll question 1 (single choice) is opened by the moderator. Then:

- every participant (asyncio + httpx, its own cookie jar, see tests/support/clients.py) waits a random think time (so
  that all together offer ``--rate`` writes per second) and writes: it changes its vote in the open poll, or (at
  most ``--questions`` times) asks a question with a fresh idempotency key, as the real form does (``key``
  hidden field). A write counts as acknowledged only on a 2xx answer, which the server sends after COMMIT. An
  unacknowledged write (connection refused or lost, timeout, 5xx) is sent again once the server answers /healthz
  again, with the SAME key and the same content, until it is acknowledged (a 4xx refusal is reported as a
  failure). One participant's writes are sequential, as one person's are;
- a chaos task kills the server with SIGKILL at a random moment (``--uptime`` seconds after it came up, once the
  screens are current and the resends of the last kill are answered, and while writes are in flight, so that
  every kill interrupts some), restarts it on the same port, and does this ``--kills`` times;
- a few live screens (participant pages and presenter screens, over WebSocket) reconnect on their own with a short
  jittered retry, as hx-ws does, and report what their snapshot shows.

Afterwards every acknowledged question is sent once more with its key (a replay after the last restart), and
the database is checked:

- 0 acknowledged writes lost: every acknowledged question is there once, with its body and asker; every
  participant's ballot holds the option of their last acknowledged vote (or of a later one that was sent but never
  acknowledged);
- 0 duplicates: one row per idempotency key, no question body twice, no key-less question, one ballot per
  participant per poll question, one choice per single-choice ballot; the replay adds nothing;
- every unacknowledged write applied at most once;
- in-doubt writes (the request went out, the connection died before the answer) whose first attempt had in fact
  been committed before the kill are counted by looking the key up in the database before the resend: proof that
  the resend-with-the-same-key path was exercised;
- after every restart every screen reconnects and becomes current: it shows at least the number of ballots the
  database held when the server came back (so everything acknowledged before the kill), and at the end every
  screen shows exactly the database's tally (counter, chart and table per answer).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

from bench.scale_out import on_backend
from tests.support.clients import stderr_log
from tests.support.crash_loop import Config, run, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="writes per second offered by all participants together (default %(default)s)")
    parser.add_argument("--uptime", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"),
                        help="seconds the server runs before the next kill (default %(default)s)")
    parser.add_argument("--questions", type=int, default=3, help="questions per participant at most (default 3)")
    parser.add_argument("--seed", type=int, default=4122020)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args(argv)
    config = Config(participants=args.participants, kills=args.kills, backend=args.backend, rate=args.rate,
                    uptime=tuple(args.uptime), questions=args.questions, seed=args.seed, keep=args.keep)
    log = stderr_log()
    result = on_backend(args.backend, functools.partial(run, config, log))
    print(f"\nCrash loop: SIGKILL under load, {os.cpu_count()} CPUs, server and clients on the same machine\n")
    print(table(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
