"""Scale-out benchmark: the poll burst of bench/poll_burst.py on PostgreSQL + Redis, with one and with two uvicorn
processes at the same load.

    python -m bench.scale_out                              # 500 voters x 500 screens, then 1000 x 1000 if time allows
    python -m bench.scale_out --shapes 500x500 --seconds 10 --repeat 3   # alternating order, median ratios

For every load shape (voters x screens) the same run is done twice, each time on a fresh PostgreSQL database
(created here, dropped afterwards) and the shared Redis:

1. one uvicorn process;
2. two uvicorn processes on their own ports, one database, one Redis (``BROKER_URL``). The client spreads the work
   like a load balancer without sticky sessions: half the screens on each process, sign-ins and the voters' POSTs
   alternating between them, and for half the voters the POST goes to the other process than the one holding
   the screen with that voter's own cookie (reported as "votes posted elsewhere").

Besides what bench/poll_burst.py measures (votes/s committed, vote-to-screen latency, reach, tally == database,
server CPU), it reports
- deliveries/s: #poll-results updates received by all screens during the voting window (first vote sent ->
  last vote acknowledged), divided by that window;
- broker messages per change: Redis ``INFO commandstats`` (cmdstat_publish calls) read right before the question
  is opened and right after the screens settled, divided by the committed changes in between (ballots in the
  database + 1 open). Cross-checked by a pattern subscription (PSUBSCRIBE, which PUBSUB NUMSUB does not count)
  that counts the notices on ``samen:topics`` by topic kind;
- ``PUBSUB NUMSUB samen:topics`` during the window: one subscription per process, not one per socket.

Everything runs on 127.0.0.1. Servers are stopped and databases dropped even on failure, Ctrl-C or SIGTERM;
``--budget`` (seconds, default 280) bounds the whole script: a shape that would not fit is skipped, and a hard
alarm ends a run that overruns.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.poll_burst import Config, Result, _ms, run_config

CHANNEL = "samen:topics"  # app.live.redis_broker.CHANNEL (not imported: keeps redis out of the SQLite benchmark)
DEFAULT_REDIS = os.environ.get("SAMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DEFAULT_POSTGRES = os.environ.get("SAMEN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


class Deadline(SystemExit):
    """The time budget of the whole script ran out. A SystemExit, so that neither an ``except Exception`` nor an
    asyncio task (which keeps other BaseExceptions to itself) swallows it: it ends the event loop, and the finally
    blocks stop the servers and drop the database."""


@dataclass
class BrokerStats:
    """Redis, read around the measurement window (question opened -> screens settled)."""

    publish_before: int = -1
    publish_after: int = -1
    numsub_before: int = -1  # before our servers started: anyone else listening on the channel (another test run)
    numsub_window: list[int] = field(default_factory=list)  # at the start and at the end of the window
    notices: Counter = field(default_factory=Counter)  # notices seen on the channel during the window, by topic kind
    redis_cpu_s: float = 0.0  # INFO cpu (user + sys) of the Redis server over the window (it is shared)
    postgres_cpu_s: float = 0.0  # the backends connected to this run's database, over the window (/proc)
    postgres_backends: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def publishes(self) -> int:
        if self.publish_before < 0 or self.publish_after < 0:
            return -1
        return self.publish_after - self.publish_before


@dataclass
class Run:
    processes: int
    result: Result
    broker: BrokerStats
    database: str = ""
    repetition: int = 1

    @property
    def changes(self) -> int:
        """Committed changes in the window: the ballots in the database and the one open."""
        return max(0, self.result.db_ballots) + 1

    @property
    def per_change(self) -> float:
        return self.broker.publishes / self.changes if self.broker.publishes >= 0 else float("nan")

    @property
    def unrelated_cpu_s(self) -> float:
        """CPU time in the window used by none of: the servers, the client, this database's PostgreSQL backends,
        Redis. On a shared machine: other people's work competing for the same cores."""
        r, b = self.result, self.broker
        return max(0.0, r.machine_busy_s - r.server_cpu_s - r.client_cpu_s - b.postgres_cpu_s - b.redis_cpu_s)

    @property
    def machine_busy(self) -> float:
        r = self.result
        return r.machine_busy_s / (r.window_s * (os.cpu_count() or 1)) if r.window_s else 0.0


# --- Redis ----------------------------------------------------------------------------------------------


def _redis_sync(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)


def publish_calls(info: dict) -> int:
    stat = info.get("cmdstat_publish") or {}
    return int(stat.get("calls", 0)) if isinstance(stat, dict) else 0


def redis_cpu(info: dict) -> float:
    return float(info.get("used_cpu_user", 0)) + float(info.get("used_cpu_sys", 0))


def proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServiceWatch:
    """The window hooks given to poll_burst.drive (they run inside its event loop): Redis counters and the CPU
    of Redis and of this run's PostgreSQL backends, read at the start and at the end of the window."""

    def __init__(self, url: str, postgres_admin: str, database: str, stats: BrokerStats) -> None:
        self.url = url
        self.postgres_admin = postgres_admin.replace("postgresql+asyncpg://", "postgresql://")
        self.database = database
        self.stats = stats
        self._client = None
        self._pubsub = None
        self._task: asyncio.Task | None = None
        self._backend_cpu: dict[int, float] = {}
        self._redis_cpu = 0.0

    async def _backends(self) -> dict[int, float]:
        """CPU seconds so far of every PostgreSQL backend connected to this run's database."""
        import asyncpg

        try:
            conn = await asyncpg.connect(self.postgres_admin, timeout=10)
            try:
                pids = [row[0] for row in await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database)]
            finally:
                await conn.close()
        except Exception as error:  # noqa: BLE001
            self.stats.errors.append(f"pg_stat_activity: {type(error).__name__}: {error}")
            return {}
        return {pid: cpu for pid in pids if (cpu := proc_cpu(pid)) is not None}

    def before_servers(self) -> None:
        client = _redis_sync(self.url)
        try:
            self.stats.numsub_before = int(dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0))
        finally:
            client.close()

    async def started(self) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.from_url(self.url, socket_connect_timeout=3, socket_timeout=5, decode_responses=True)
        self._pubsub = self._client.pubsub()
        await self._pubsub.psubscribe(CHANNEL)  # a pattern subscription: not counted by PUBSUB NUMSUB
        while True:  # wait for the psubscribe confirmation, so no notice of the window is missed
            message = await self._pubsub.get_message(timeout=1)
            if message is None or message.get("type") == "psubscribe":
                break
        self._task = asyncio.create_task(self._count())
        self._backend_cpu = await self._backends()
        self._redis_cpu = redis_cpu(await self._client.info("cpu"))
        self.stats.numsub_window.append(int(dict(await self._client.pubsub_numsub(CHANNEL)).get(CHANNEL, 0)))
        self.stats.publish_before = publish_calls(await self._client.info("commandstats"))

    async def _count(self) -> None:
        async for message in self._pubsub.listen():
            if message.get("type") == "pmessage":
                self.stats.notices[str(message["data"]).partition(":")[0]] += 1

    async def ended(self) -> None:
        try:
            self.stats.publish_after = publish_calls(await self._client.info("commandstats"))
            self.stats.numsub_window.append(int(dict(await self._client.pubsub_numsub(CHANNEL)).get(CHANNEL, 0)))
            self.stats.redis_cpu_s = redis_cpu(await self._client.info("cpu")) - self._redis_cpu
            # A backend that appeared during the window counts with all its CPU; one that ended is lost (rare:
            # the pool keeps its connections).
            after = await self._backends()
            self.stats.postgres_backends = len(after)
            self.stats.postgres_cpu_s = sum(cpu - self._backend_cpu.get(pid, 0.0) for pid, cpu in after.items())
            await asyncio.sleep(0.2)  # notices published just before the INFO read are still on their way to us
        except Exception as error:  # noqa: BLE001
            self.stats.errors.append(f"{type(error).__name__}: {error}")
        finally:
            await self.close()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._client.aclose()


# --- services -------------------------------------------------------------------------------------------


def check_services(redis_url: str, postgres_admin: str) -> None:
    """Fail early and clearly (instead of a pytest skip from tests/services.py) if a service is missing."""
    import asyncpg

    for url in (redis_url, postgres_admin):
        if "127.0.0.1" not in url and "localhost" not in url:
            raise SystemExit(f"refusing to run against a non-local service: {url}")
    try:
        _redis_sync(redis_url).ping()
    except Exception as error:  # noqa: BLE001
        raise SystemExit(f"Redis at {redis_url} is unreachable: {error}") from None

    async def ping() -> None:
        conn = await asyncpg.connect(postgres_admin.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
        await conn.close()

    try:
        asyncio.run(ping())
    except Exception as error:  # noqa: BLE001
        raise SystemExit(f"PostgreSQL at {postgres_admin} is unreachable: {error}") from None


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """tests.services.postgres_database (an empty database, dropped afterwards WITH (FORCE)), with its pytest
    skip turned into an ordinary error."""
    from tests.services import postgres_database

    try:
        with postgres_database(template=None) as url:
            yield url
    except BaseException as error:
        if type(error).__module__.startswith("_pytest"):  # pytest.skip / pytest.fail outside pytest
            raise RuntimeError(f"PostgreSQL: {error}") from None
        raise


def on_backend(backend: str, run: Callable[..., object]) -> object:
    """``run()`` on SQLite, or on a fresh PostgreSQL database with Redis (both checked reachable first): the
    ``--backend`` of bench/crash_loop.py and bench/races.py."""
    if backend != "postgres":
        return run()
    os.environ.setdefault("SAMEN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)  # read by tests.services at import
    check_services(DEFAULT_REDIS, os.environ["SAMEN_TEST_POSTGRES_URL"])
    with fresh_database() as url:
        return run(database_url=url, broker_url=DEFAULT_REDIS)


# --- one run and the script -----------------------------------------------------------------------------


def run_once(config: Config, processes: int, redis_url: str, postgres_admin: str, log) -> Run:
    stats = BrokerStats()
    with fresh_database() as url:
        watch = ServiceWatch(redis_url, postgres_admin, url.rsplit("/", 1)[1], stats)
        log(f"[{processes} process{'es' if processes > 1 else ''}] database {url.rsplit('/', 1)[1]}")
        result = run_config(config, log, database_url=url, broker_url=redis_url, processes=processes,
                            window_hooks=(watch.started, watch.ended), before_start=watch.before_servers)
        run = Run(processes=processes, result=result, broker=stats, database=url.rsplit("/", 1)[1])
    log(f"  dropped database {run.database}")
    return run


def _cpu_list(values: list[float]) -> str:
    return " + ".join(f"{v:.1f}" for v in values) or "–"


def table(runs: list[Run]) -> str:
    head = ("| processes (run) | votes/s committed (offered) | deliveries/s | vote→screen p50/p95/p99 ms | reach "
            "| tally == DB (screens/chart/DB) | server CPU s per process (window) | PUBLISH per change "
            "| PUBSUB NUMSUB samen:topics | CPU s: client / PostgreSQL / Redis / unrelated; machine busy |")
    rows = [head, "|" + "---|" * 10]
    for run in runs:
        r, b, c = run.result, run.broker, run.result.config
        shown = ",".join(map(str, r.screen_counts)) or "–"
        chart = ",".join(map(str, r.chart_sums)) or "–"
        numsub = "/".join(map(str, b.numsub_window)) or "–"
        if b.numsub_before:
            numsub += f" ({b.numsub_before} before our servers started)"
        rows.append(
            f"| {run.processes} ({run.repetition}) | {r.votes_per_second:.1f} ({r.offered_per_second:.0f})"
            + (f", {r.failed_votes} failed" if r.failed_votes else "")
            + f" | {r.deliveries_per_second:.0f} ({r.deliveries} in {r.voting_window_s:.1f} s)"
            + f" | {_ms(r.latency_ms, 'p50', 'p95', 'p99')}"
            + (f" ({r.latency_missing} never shown)" if r.latency_missing else "")
            + f" | {r.reach}/{c.screens}"
            + f" | {'yes' if r.tally_ok else 'NO'} ({shown}/{chart}/{r.db_ballots})"
            + f" | {_cpu_list(r.server_cpu_per_process)}"
            + f" | {run.per_change:.2f} ({b.publishes}/{run.changes})"
            + f" | {numsub}"
            + f" | {r.client_cpu_s:.1f} / {b.postgres_cpu_s:.1f} / {b.redis_cpu_s:.1f} / {run.unrelated_cpu_s:.1f}; "
            f"{run.machine_busy:.0%} of {os.cpu_count()} CPUs for {r.window_s:.1f} s |")
    return "\n".join(rows)


def comparison(runs: list[Run]) -> str:
    """2 vs 1 process, per repetition (the two runs of the same repetition ran back to back), and the median."""
    lines, ratios = [], []
    for repetition in sorted({r.repetition for r in runs}):
        one = next((r for r in runs if r.processes == 1 and r.repetition == repetition), None)
        two = next((r for r in runs if r.processes == 2 and r.repetition == repetition), None)
        if not one or not two or not one.result.deliveries_per_second or "p99" not in one.result.latency_ms \
                or "p99" not in two.result.latency_ms:
            lines.append(f"run {repetition}: 2 vs 1 process not comparable (a run failed or is missing)")
            continue
        d = two.result.deliveries_per_second / one.result.deliveries_per_second
        p99_1, p99_2 = one.result.latency_ms["p99"], two.result.latency_ms["p99"]
        cpu_1, cpu_2 = one.result.server_cpu_s, two.result.server_cpu_s
        ratios.append((d, p99_2 / p99_1, cpu_2 / cpu_1))
        lines.append(f"run {repetition}: 2 vs 1 process at equal load: deliveries/s ×{d:.2f} "
                     f"({two.result.deliveries_per_second:.0f} vs {one.result.deliveries_per_second:.0f}), "
                     f"vote→screen p99 ×{p99_2 / p99_1:.2f} ({p99_2:.0f} vs {p99_1:.0f} ms), "
                     f"server CPU in total ×{cpu_2 / cpu_1:.2f} ({cpu_2:.1f} vs {cpu_1:.1f} s)")
    if len(ratios) > 1:
        med = [statistics.median(x[k] for x in ratios) for k in range(3)]
        lines.append(f"median of {len(ratios)} runs: deliveries/s ×{med[0]:.2f}, vote→screen p99 ×{med[1]:.2f}, "
                     f"server CPU ×{med[2]:.2f}")
    return "\n".join(lines)


def details(runs: list[Run]) -> str:
    lines = []
    for run in runs:
        r, b = run.result, run.broker
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(b.notices.items())) or "none"
        per_process = ""
        if run.processes > 1:
            per_process = "; vote→screen p50/p95/p99 by the screens' process: " + ", ".join(
                f"#{i + 1} {_ms(lat, 'p50', 'p95', 'p99')}" for i, lat in enumerate(r.latency_by_process_ms))
        lines.append(
            f"- {run.processes} process(es), run {run.repetition}: sign-in {r.sign_in_s:.1f} s, "
            f"connect {r.connect_s:.1f} s, question open "
            f"on all screens after {r.open_to_screens_ms or 0:.0f} ms, vote ack p50/p95/max "
            f"{_ms(r.ack_ms, 'p50', 'p95', 'max')} ms, updates/screen mean/max {r.updates_mean:.1f}/{r.updates_max}, "
            f"push interval p50/p95 {_ms(r.push_gap_ms, 'p50', 'p95')} ms, server RSS peak {r.server_peak_rss_mb:.0f} MB, "
            f"{b.postgres_backends} PostgreSQL backends, screens/committed votes per process "
            f"{'+'.join(map(str, r.screens_per_process))} / {'+'.join(map(str, r.votes_per_process))}, "
            f"votes posted elsewhere than the voter's own screen "
            f"{r.votes_elsewhere}/{r.ok_votes + r.failed_votes}, run {r.total_s:.0f} s{per_process}")
        lines.append(f"    notices on {CHANNEL} in the window (PSUBSCRIBE, by topic kind): {kinds} "
                     f"= {sum(b.notices.values())} (INFO commandstats: {b.publishes} PUBLISH calls)")
        for key, n in r.vote_errors.items():
            lines.append(f"    vote failures: {n}× {key}")
        notes = [n for n in r.notes if not n.startswith("other processes used")]  # counted PostgreSQL as "other"
        if r.window_s and run.unrelated_cpu_s / r.window_s > 0.25:
            notes.append(f"unrelated processes used {run.unrelated_cpu_s:.1f} CPU-s in the {r.window_s:.1f} s window "
                         f"(load average {r.load_average:.1f}): measured on a shared, busy machine")
        for note in notes + [f"services: {e}" for e in b.errors]:
            lines.append(f"    note: {note}")
        for line in r.server_errors[:6]:
            lines.append(f"    server log: {line[:200]}")
    return "\n".join(lines)


def _parse_shape(text: str) -> tuple[int, int]:
    voters, _, screens = text.lower().partition("x")
    return int(voters), int(screens or voters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="500x500,1000x1000",
                        help="comma-separated VOTERSxSCREENS, each run with 1 and with 2 processes (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=10.0, help="voting window (default %(default)s)")
    parser.add_argument("--tick-ms", type=int, default=150)
    parser.add_argument("--settle", type=float, default=10.0, help="max seconds to wait for screens after the last ack")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per configuration, alternating which goes first (default %(default)s)")
    parser.add_argument("--budget", type=float, default=280.0, help="seconds for the whole script (default %(default)s)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="admin URL (creates and drops the databases)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (server logs)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    shapes = [_parse_shape(s) for s in args.shapes.split(",") if s.strip()]

    os.environ["SAMEN_TEST_POSTGRES_URL"] = args.postgres_url  # read by tests.services at import
    started = time.monotonic()
    deadline = started + args.budget

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    def on_alarm(_signum, _frame) -> None:
        raise Deadline(f"the {args.budget:.0f} s budget ran out")

    def on_term(signum, _frame) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks: servers stopped, databases dropped

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    check_services(args.redis_url, args.postgres_url)

    by_shape: list[tuple[tuple[int, int], list[Run], list[str]]] = []  # (shape, its runs, why runs are missing)
    run_seconds: list[tuple[int, float]] = []  # (voters + screens, seconds) of the runs so far, for the estimate
    try:
        for voters, screens in shapes:
            runs: list[Run] = []
            missing: list[str] = []
            by_shape.append(((voters, screens), runs, missing))
            # With --repeat, the order alternates (1, 2), (2, 1), ... so neither configuration always goes first.
            plan = [(rep, p) for rep in range(args.repeat) for p in ((1, 2) if rep % 2 == 0 else (2, 1))]
            for repetition, processes in plan:
                left = deadline - time.monotonic()
                if run_seconds:
                    size, took = run_seconds[-1]
                    estimate = took * max(1.0, (voters + screens) / size) * 1.15
                else:
                    estimate = 60.0
                if estimate > left:
                    missing.append(f"skipped from run {repetition + 1} with {processes} process(es) on: an estimated "
                                   f"{estimate:.0f} s per run, "
                                   f"{left:.0f} s of the {args.budget:.0f} s budget left")
                    log(f"{voters}×{screens}: {missing[-1]}")
                    break
                config = Config(voters=voters, screens=screens, seconds=args.seconds, tick_ms=args.tick_ms,
                                settle_seconds=args.settle, keep=args.keep)
                log(f"{voters} voters × {screens} screens, {processes} process(es)")
                signal.alarm(max(1, int(left)))
                t0 = time.monotonic()
                try:
                    runs.append(run_once(config, processes, args.redis_url, args.postgres_url, log))
                    runs[-1].repetition = repetition + 1
                except Exception as error:  # noqa: BLE001 - report, and go on with the next configuration
                    log(f"  FAILED: {type(error).__name__}: {error}")
                    failed = Result(config=config, processes=processes)
                    failed.notes.append(f"run failed: {type(error).__name__}: {str(error)[:300]}")
                    runs.append(Run(processes=processes, result=failed, broker=BrokerStats(), repetition=repetition + 1))
                finally:
                    signal.alarm(0)
                run_seconds.append((voters + screens, time.monotonic() - t0))
            if missing:
                break
    except Deadline as error:
        log(f"stopped: {error}")
        if by_shape:
            by_shape[-1][2].append(f"stopped: {error} (the run in progress is not reported)")

    print(f"\nScale-out poll burst on PostgreSQL + Redis: {args.seconds:g} s of voting, LIVE_TICK_MS={args.tick_ms}, "
          f"{os.cpu_count()} CPUs shared by the servers, PostgreSQL, Redis and the one client process "
          f"(total {time.monotonic() - started:.0f} s)")
    for (voters, screens), runs, missing in by_shape:
        print(f"\n### {voters} voters × {screens} screens\n")
        if runs:
            print(table(runs))
            print()
            print(comparison(runs))
            print()
            print(details(runs))
        for why in missing:
            print(f"\n{why}")
    if args.json:
        args.json.write_text(json.dumps(
            [{"voters": v, "screens": s, "missing": missing,
              "runs": [{"processes": r.processes, "repetition": r.repetition, "database": r.database,
                        "publishes": r.broker.publishes, "changes": r.changes, "per_change": r.per_change,
                        "unrelated_cpu_s": r.unrelated_cpu_s, "broker": {**r.broker.__dict__},
                        "result": {**r.result.__dict__, "config": r.result.config.__dict__}} for r in runs]}
             for (v, s), runs, missing in by_shape], indent=2, default=str))
    every = [r for _shape, runs, _missing in by_shape for r in runs]
    good = every and all(r.result.tally_ok and r.result.every_screen_final and r.broker.numsub_window
                         and set(r.broker.numsub_window) == {r.processes + r.broker.numsub_before} for r in every)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
