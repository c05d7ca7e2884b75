"""Poll burst benchmark: N voters vote once each on the open poll question while M participant screens watch.

    python -m bench.poll_burst --voters 100 --screens 100 --seconds 10
    python -m bench.poll_burst --matrix          # voters in {100, 1000} x screens in {100, 1000}

Each run gets its own temporary directory and SQLite database (migrated, demo event, N extra participants with
their invite tokens), and its own uvicorn process (one worker, flags as in the Procfile) on a free port on
127.0.0.1. This process is the client (separate from the server): every voter signs in with GET /j/<token>
(its ``samen_session`` cookie), M WebSocket clients open /ws/participant/<slug> with those cookies
(round-robin), the moderator opens poll question 1 (single choice, four options), and the N voters each POST
one vote at a uniform rate over ``--seconds``.

Measured
- votes/s committed: HTTP 200 acks per second, from the first vote sent to the last ack;
- vote ack time (send -> HTTP 200 head received);
- vote-to-screen latency: the k-th ack (in ack order) at t_k is on a screen once that screen first shows a
  voter count >= k; latency = that time - t_k, over all votes and all screens (p50/p95/p99);
- updates per screen: #poll-results fragments received after the question opened (mean/max);
- reach: screens whose last #poll-results shows the final count, out of M;
- the final tally against the database (rows in poll_ballot, read after the server stopped)
  and against the sum of the chart (the figure JSON and the figures table in the same fragment);
- server RSS (VmRSS at the end of voting, VmHWM peak) and server CPU from /proc/<pid>;
- client CPU seconds (resource.getrusage) over the same window: the client is one Python process, so a
  utilisation near 100 % means the client itself was saturated and its receive times are late.

The pieces are reusable for several processes on one database and broker (``run_config(database_url=…,
broker_url=…, processes=N)``, ``start_servers``): see bench/scale_out.py. The server process, the seeding and the
raw HTTP client live in tests/support/server.py (the multiprocess tests use them too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import (
    CHART_JSON,
    COUNTER,
    HOST,
    HTTP_TIMEOUT,
    MODERATOR,
    RESULTS_ID,
    SECRET,
    SESSION_COOKIE,
    TABLE_COUNT,
    Server,
    client_runner,
    form_headers,
    http,
    percentiles,
    prepare_database,
    raise_open_files_limit,
    sign_in,
    sqlite_url,
)

CONNECT_PHASE_SECONDS = 90.0
SIGN_IN_CONCURRENCY = 32
CONNECT_CONCURRENCY = 64

WindowHook = Callable[[], Awaitable[None]]


@dataclass
class Config:
    voters: int
    screens: int
    seconds: float = 10.0
    tick_ms: int = 150
    settle_seconds: float = 15.0
    seed: int = 4122020
    keep: bool = False  # keep the temporary directory (database, server log)
    profile: bool = False  # run the server under cProfile (main thread only); implies keep


@dataclass
class Screen:
    index: int
    server: int = 0  # which server (index into the list) this screen's socket is connected to
    connected: bool = False
    snapshot_at: float | None = None
    results: list[tuple[float, int]] = field(default_factory=list)  # (receive time, voter count) per fragment
    messages: int = 0
    last_results_html: str = ""
    closed_early: str = ""  # why the socket ended before we closed it
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # shared by all screens: something arrived

    def max_count(self) -> int:
        return max((c for _, c in self.results), default=-1)


@dataclass
class Vote:
    voter: int
    scheduled: float
    server: int = 0  # which server (index into the list) the vote was posted to
    sent: float = 0.0
    ack: float = 0.0
    status: int = 0
    error: str = ""


@dataclass
class Result:
    config: Config
    ok_votes: int = 0
    failed_votes: int = 0
    vote_errors: dict[str, int] = field(default_factory=dict)
    votes_per_second: float = 0.0
    offered_per_second: float = 0.0
    ack_ms: dict[str, float] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    latency_samples: int = 0
    latency_missing: int = 0
    latency_negative: int = 0
    updates_mean: float = 0.0
    updates_max: int = 0
    push_gap_ms: dict[str, float] = field(default_factory=dict)  # time between two #poll-results pushes to a screen
    messages_mean: float = 0.0
    screens_connected: int = 0
    screens_closed_early: int = 0
    reach: int = 0
    open_to_screens_ms: float | None = None
    db_ballots: int = -1
    db_option_counts: list[int] = field(default_factory=list)
    screen_counts: list[int] = field(default_factory=list)  # distinct final counts shown by the screens
    chart_sums: list[int] = field(default_factory=list)  # distinct figure sums in the screens' last fragments
    table_sums: list[int] = field(default_factory=list)
    tally_ok: bool = False
    every_screen_final: bool = False
    server_rss_mb: float = 0.0
    server_peak_rss_mb: float = 0.0
    server_cpu_s: float = 0.0  # all server processes together
    server_cpu_per_process: list[float] = field(default_factory=list)
    processes: int = 1
    screens_per_process: list[int] = field(default_factory=list)  # live screens (with a snapshot) on each server
    votes_per_process: list[int] = field(default_factory=list)
    votes_elsewhere: int = 0  # votes posted to another process than the one holding that voter's own screen(s)
    deliveries: int = 0  # #poll-results updates received by all screens during the voting window
    deliveries_per_second: float = 0.0
    voting_window_s: float = 0.0  # first vote sent -> last vote acknowledged
    latency_by_process_ms: list[dict[str, float]] = field(default_factory=list)  # of the screens on each server
    client_cpu_s: float = 0.0
    machine_busy_s: float = 0.0  # all processes on all CPUs in the window (/proc/stat)
    load_average: float = 0.0
    window_s: float = 0.0
    client_loop: str = "asyncio"
    sign_in_s: float = 0.0
    connect_s: float = 0.0
    total_s: float = 0.0
    server_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def client_util(self) -> float:
        return self.client_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def server_util(self) -> float:
        return self.server_cpu_s / self.window_s if self.window_s else 0.0

    @property
    def others_cpu_s(self) -> float:
        """CPU time that neither the server nor this client used: other processes competing for the cores."""
        return max(0.0, self.machine_busy_s - self.server_cpu_s - self.client_cpu_s)


# --- set-up ---------------------------------------------------------------------------------------------


def read_tally(url: str, question_id: int, options: list[int]) -> tuple[int, list[int]]:
    """(ballots of the question, votes per option in ``options`` order), read from the database at ``url``."""
    from sqlalchemy import text

    from app.db import Database

    async def read() -> tuple[int, list[int]]:
        db = Database(url)
        try:
            async with db.read() as session:
                ballots = (await session.execute(text("SELECT count(*) FROM poll_ballot WHERE question_id = :q"),
                                                 {"q": question_id})).scalar_one()
                counts = dict((await session.execute(text(
                    "SELECT c.option_id, count(*) FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
                    "WHERE b.question_id = :q GROUP BY c.option_id"), {"q": question_id})).all())
            return int(ballots), [int(counts.get(o, 0)) for o in options]
        finally:
            await db.dispose()

    return asyncio.run(read())


def start_servers(count: int, data_dir: Path, tick_ms: int, *, database_url: str | None = None,
                  broker_url: str | None = None, profile: bool = False) -> list[Server]:
    """``count`` uvicorn processes on their own ports, sharing ``database_url`` and ``broker_url``. If one fails
    to start, the ones already running are stopped before the error propagates."""
    servers: list[Server] = []
    try:
        for i in range(count):
            server = Server(data_dir, tick_ms, profile, database_url=database_url, broker_url=broker_url,
                            name="uvicorn" if count == 1 else f"uvicorn-{i + 1}")
            servers.append(server)
            server.start()
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[Server]) -> None:
    """Stop every server, even if stopping one of them fails."""
    errors = []
    for server in servers:
        try:
            server.stop()
        except BaseException as error:  # noqa: BLE001 - still stop the others
            errors.append(error)
            with contextlib.suppress(Exception):
                if server.process is not None:
                    server.process.kill()
    if errors:
        raise errors[0]


# --- screens --------------------------------------------------------------------------------------------


async def watch(screen: Screen, port: int, slug: str, cookie: str, stop: asyncio.Event) -> None:
    """One participant screen: connect, record every #poll-results push until ``stop``; never raises."""
    url = f"ws://{HOST}:{port}/ws/participant/{slug}"
    try:
        async with connect(url, origin=f"http://{HOST}:{port}", compression=None, ping_interval=None,
                           additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                           open_timeout=HTTP_TIMEOUT, close_timeout=2, max_size=2**22, max_queue=None) as ws:
            screen.connected = True
            receiver = asyncio.ensure_future(_receive(screen, ws))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if receiver.done():
                code = ws.close_code
                screen.closed_early = f"closed by server ({code})" if code is not None else "receive ended"
                with contextlib.suppress(Exception):
                    receiver.result()
            else:
                receiver.cancel()
    except ConnectionClosed as closed:
        screen.closed_early = f"closed ({closed.rcvd.code if closed.rcvd else 'no close frame'})"
    except Exception as error:  # noqa: BLE001 - OSError, timeouts, a refused handshake: report, don't crash
        screen.closed_early = f"{type(error).__name__}: {error}"
    finally:
        screen.progress.set()


async def _receive(screen: Screen, ws) -> None:
    async for message in ws:
        now = time.monotonic()
        screen.messages += 1
        if isinstance(message, bytes) or RESULTS_ID not in message:
            continue
        match = COUNTER.search(message)
        if screen.snapshot_at is None:
            screen.snapshot_at = now
        if match:
            screen.results.append((now, int(match.group(1))))
            screen.last_results_html = message
        screen.progress.set()


def chart_sum(html: str) -> int | None:
    match = CHART_JSON.search(html)
    if not match:
        return None
    figure = json.loads(match.group(1))
    return int(sum(sum(trace.get("x") or []) for trace in figure.get("data", [])))


def table_sum(html: str) -> int:
    return sum(int(n) for n in TABLE_COUNT.findall(html))


# --- one run --------------------------------------------------------------------------------------------


async def _wait_until(done, progress: asyncio.Event, seconds: float) -> bool:
    """Wait (at most ``seconds``) until ``done()`` holds, re-checking whenever a screen reports progress."""
    deadline = time.monotonic() + seconds
    while True:
        progress.clear()
        if done():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(progress.wait(), remaining)


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine, all CPUs (user+nice+system+irq+softirq+steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(config: Config, server: Server | list[Server], tokens: list[str], question_id: int,
                options: list[int], result: Result, log,
                window_hooks: tuple[WindowHook, WindowHook] | None = None) -> tuple[list[Screen], list[Vote]]:
    """Sign in, connect the screens, open the question, vote, settle.

    With several servers (one database, one broker) the work is spread like a load balancer without sticky
    sessions: sign-ins, screens and votes go round-robin over the servers, so a voter's POST and the screen that
    uses the same cookie generally land on different processes. ``window_hooks`` (before, after) run right
    before the question is opened and right after settling (e.g. to read broker counters)."""
    from app.demo import SLUG, demo_token

    servers = server if isinstance(server, list) else [server]
    ports = [s.port for s in servers]
    port = ports[0]
    rng = random.Random(config.seed)
    soft, _hard = raise_open_files_limit()
    need = config.screens + config.voters + 64
    if soft < need:
        result.notes.append(f"open-files limit {soft} < {need}: some connections will fail")

    # Sign in: every voter exchanges its invite link for a session cookie; the moderator its role link.
    started = time.monotonic()
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def one(i: int, path: str) -> str:
        async with gate:
            return await sign_in(ports[i % len(ports)], path)

    moderator_cookie = await sign_in(port, f"/r/{demo_token(SECRET, MODERATOR)}")
    cookies = await asyncio.gather(*(one(i, f"/j/{token}") for i, token in enumerate(tokens)))
    result.sign_in_s = time.monotonic() - started
    log(f"  signed in {len(cookies)} voters in {result.sign_in_s:.1f} s")

    # Screens: M participant pages, cookies round-robin over the voters.
    started = time.monotonic()
    stop = asyncio.Event()
    progress = asyncio.Event()
    # Screen i uses voter i's cookie (round-robin) and goes to server (i // n) % n while voter i's POST goes to
    # i % n: over every n² voters each (screen process, vote process) pair occurs once, so with two servers half
    # the votes are posted to the process that does not hold the voter's own screen (no sticky sessions).
    n = len(ports)
    screens = [Screen(i, server=(i // n) % n, progress=progress) for i in range(config.screens)]
    connect_gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks: list[asyncio.Task] = []

    async def open_screen(screen: Screen) -> None:
        async with connect_gate:
            tasks.append(asyncio.ensure_future(
                watch(screen, ports[screen.server], SLUG, cookies[screen.index % len(cookies)], stop)))
            await _wait_until(lambda: screen.snapshot_at is not None or bool(screen.closed_early), progress, HTTP_TIMEOUT)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(open_screen(s) for s in screens)), CONNECT_PHASE_SECONDS)
    result.connect_s = time.monotonic() - started
    result.screens_connected = sum(1 for s in screens if s.snapshot_at is not None)
    log(f"  {result.screens_connected}/{config.screens} screens connected with a snapshot in {result.connect_s:.1f} s")

    # Measurement window: from opening the question to the end of settling.
    if window_hooks:
        await window_hooks[0]()
    cpu0, busy0, window0 = _cpu_self(), _machine_busy(), time.monotonic()
    server_cpu0 = [s.cpu_seconds() for s in servers]
    for s in screens:
        s.results.clear()  # the "no results yet" snapshot has no counter anyway; count only what follows
    status, _h, body, opened = await asyncio.wait_for(
        http(port, "POST", f"/e/{SLUG}/polls/{question_id}/open", form_headers(port, moderator_cookie), b""),
        HTTP_TIMEOUT)
    if status != 200:
        raise RuntimeError(f"opening the question answered {status}: {body[:200]!r}")
    live = [s for s in screens if s.snapshot_at is not None and not s.closed_early]
    await _wait_until(lambda: all(s.results or s.closed_early for s in live), progress, 15)
    shown = [s.results[0][0] for s in live if s.results]
    if shown:
        result.open_to_screens_ms = (max(shown) - opened) * 1000
    log(f"  question open on {len(shown)}/{len(live)} screens"
        + (f", the last after {result.open_to_screens_ms:.0f} ms" if shown else ""))

    # Voting: N voters, one vote each, at a uniform rate over the window.
    interval = config.seconds / max(1, config.voters)
    votes: list[Vote] = []
    t0 = time.monotonic() + 0.05
    order = list(range(config.voters))

    async def cast(v: Vote) -> None:
        await asyncio.sleep(max(0.0, v.scheduled - time.monotonic()))
        body = f"option={rng.choice(options)}".encode()
        to = ports[v.server]
        v.sent = time.monotonic()
        try:
            v.status, _h, _b, v.ack = await asyncio.wait_for(
                http(to, "POST", f"/e/{SLUG}/polls/{question_id}/vote", form_headers(to, cookies[v.voter]), body),
                HTTP_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - report every failure mode
            v.error = f"{type(error).__name__}: {error}"[:120]
            v.ack = time.monotonic()

    for k, voter in enumerate(order):
        votes.append(Vote(voter=voter, scheduled=t0 + k * interval, server=k % len(ports)))
    await asyncio.gather(*(cast(v) for v in votes))
    ok = [v for v in votes if v.status == 200]
    log(f"  {len(ok)}/{len(votes)} votes acknowledged in {max((v.ack for v in votes), default=t0) - t0:.1f} s")

    # Settle: wait until every live screen shows the final count (bounded).
    final = len(ok)
    await _wait_until(lambda: all(s.snapshot_at is None or s.closed_early or s.max_count() >= final for s in screens),
                      progress, config.settle_seconds)
    await asyncio.sleep(max(0.3, 2 * config.tick_ms / 1000))  # anything still in flight (e.g. a later render)
    result.window_s = time.monotonic() - window0
    result.client_cpu_s = _cpu_self() - cpu0
    result.server_cpu_per_process = [s.cpu_seconds() - c0 for s, c0 in zip(servers, server_cpu0, strict=True)]
    result.server_cpu_s = sum(result.server_cpu_per_process)
    result.machine_busy_s = _machine_busy() - busy0
    result.load_average = os.getloadavg()[0]
    rss = [s.rss_mb() for s in servers]
    result.server_rss_mb, result.server_peak_rss_mb = max(r[0] for r in rss), max(r[1] for r in rss)
    result.processes = len(servers)
    if window_hooks:
        await window_hooks[1]()

    stop.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    return screens, votes


def analyse(result: Result, screens: list[Screen], votes: list[Vote], opened_screens: int) -> None:
    config = result.config
    ok = sorted((v for v in votes if v.status == 200), key=lambda v: v.ack)
    result.ok_votes = len(ok)
    result.failed_votes = len(votes) - len(ok)
    for v in votes:
        if v.status != 200:
            key = v.error or f"HTTP {v.status}"
            result.vote_errors[key] = result.vote_errors.get(key, 0) + 1
    if ok:
        first_sent = min(v.sent for v in votes)
        span = ok[-1].ack - first_sent
        result.votes_per_second = len(ok) / span if span > 0 else float("inf")
        sched_span = config.seconds
        result.offered_per_second = len(votes) / sched_span if sched_span else 0.0
        result.ack_ms = {k: v * 1000 for k, v in percentiles([v.ack - v.sent for v in ok]).items()}

    screen_servers: dict[int, set[int]] = {}
    for screen in screens:
        screen_servers.setdefault(screen.index % max(1, config.voters), set()).add(screen.server)
    result.screens_per_process = [sum(1 for s in screens if s.server == i and s.snapshot_at is not None)
                                  for i in range(result.processes)]
    result.votes_per_process = [sum(1 for v in votes if v.server == i and v.status == 200) for i in range(result.processes)]
    result.votes_elsewhere = sum(1 for v in votes if screen_servers.get(v.voter) and v.server not in screen_servers[v.voter])

    acks = [v.ack for v in ok]
    latencies: list[float] = []
    by_process: dict[int, list[float]] = {}
    missing = 0
    for screen in screens:
        if screen.snapshot_at is None:
            continue
        mine = by_process.setdefault(screen.server, [])
        first_at: list[float | None] = [None] * (len(acks) + 1)
        seen = 0
        for t, count in screen.results:
            if count > seen:
                for k in range(seen + 1, min(count, len(acks)) + 1):
                    first_at[k] = t
                seen = count
        for k in range(1, len(acks) + 1):
            t = first_at[k]
            if t is None:
                missing += 1
            else:
                latencies.append(t - acks[k - 1])
                mine.append(t - acks[k - 1])
    result.latency_samples = len(latencies)
    result.latency_missing = missing
    result.latency_negative = sum(1 for x in latencies if x < 0)
    result.latency_ms = {k: v * 1000 for k, v in percentiles(latencies).items()}
    result.latency_by_process_ms = [{k: v * 1000 for k, v in percentiles(by_process.get(i, [])).items()}
                                    for i in range(result.processes)]

    watched = [s for s in screens if s.snapshot_at is not None]
    updates = [len(s.results) for s in watched]
    result.updates_mean = sum(updates) / len(updates) if updates else 0.0
    result.updates_max = max(updates, default=0)
    result.messages_mean = sum(s.messages for s in watched) / len(watched) if watched else 0.0
    # While votes keep coming, every tick has a new count: the gap between pushes is the tick's real period.
    if ok:
        start, end = min(v.sent for v in votes), ok[-1].ack
        gaps = [b[0] - a[0] for s in watched for a, b in itertools.pairwise(s.results) if start <= a[0] and b[0] <= end]
        result.push_gap_ms = {k: v * 1000 for k, v in percentiles(gaps).items()}
        # Deliveries: every #poll-results update any screen received while votes were being cast and answered.
        result.voting_window_s = end - start
        result.deliveries = sum(1 for s in watched for t, _c in s.results if start <= t <= end)
        if result.voting_window_s > 0:
            result.deliveries_per_second = result.deliveries / result.voting_window_s
    result.screens_closed_early = sum(1 for s in screens if s.closed_early and s.closed_early != "")

    finals = [s.results[-1][1] if s.results else -1 for s in screens]
    result.reach = sum(1 for c in finals if c == result.db_ballots)
    result.screen_counts = sorted(set(finals))
    charts = {chart_sum(s.last_results_html) for s in screens if s.last_results_html}
    result.chart_sums = sorted(c for c in charts if c is not None)
    result.table_sums = sorted({table_sum(s.last_results_html) for s in screens if s.last_results_html})
    result.every_screen_final = result.reach == config.screens
    result.tally_ok = (result.db_ballots == result.ok_votes == sum(result.db_option_counts)
                       and result.screen_counts == [result.db_ballots]
                       and result.chart_sums == [result.db_ballots] and result.table_sums == [result.db_ballots])
    early = [s.closed_early for s in screens if s.closed_early]
    if early:
        reasons: dict[str, int] = {}
        for r in early:
            reasons[r] = reasons.get(r, 0) + 1
        result.notes.append("screens ended early: " + ", ".join(f"{n}× {r}" for r, n in reasons.items()))
    if opened_screens < config.screens:
        result.notes.append(f"only {opened_screens}/{config.screens} screens got their snapshot")
    cpus = os.cpu_count() or 1
    if result.window_s and result.others_cpu_s / result.window_s > 0.25:
        result.notes.append(f"other processes used {result.others_cpu_s:.1f} CPU-s of the {cpus} CPUs in the "
                            f"{result.window_s:.1f} s window (load average {result.load_average:.1f}): the numbers "
                            "are measured on a shared, busy machine")
    if result.client_util > 0.85:
        result.notes.append(f"client CPU {result.client_util:.0%} of one core: the client was (near) saturated, "
                            "so receive times and latencies are inflated by the client itself")


def run_config(config: Config, log=None, *, database_url: str | None = None, broker_url: str | None = None,
               processes: int = 1, window_hooks: tuple[WindowHook, WindowHook] | None = None,
               before_start: Callable[[], None] | None = None) -> Result:
    """One complete run: its own temp dir (server logs) and server(s); always stops the servers.

    Without ``database_url``: a fresh SQLite database in the temp dir and one server with the in-process broker.
    With it: that (empty) database is migrated and seeded, and ``processes`` servers share it and ``broker_url``.
    ``before_start`` runs after seeding, just before the servers start."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    result = Result(config=config, processes=processes)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="samen-bench-"))
    servers: list[Server] = []
    url = database_url or sqlite_url(work / "samen.db")
    try:
        log(f"run: {config.voters} voters, {config.screens} screens, {config.seconds:g} s, tick {config.tick_ms} ms"
            + (f", {processes} processes" if database_url else ""))
        tokens, question_id, options = prepare_database(url, config.voters)
        if before_start:
            before_start()
        servers = start_servers(processes, work, config.tick_ms, database_url=url, broker_url=broker_url,
                                profile=config.profile)
        runner, result.client_loop = client_runner()
        screens, votes = runner(drive(config, servers, tokens, question_id, options, result, log, window_hooks))
        for server in servers:
            if server.process is not None and server.process.poll() is not None:
                result.notes.append(f"{server.name} ended during the run (exit code {server.process.returncode}), "
                                    "not stopped by this benchmark; log tail: "
                                    + " | ".join(server.log_tail(6).splitlines()))
        stop_servers(servers)
        for server in servers:
            result.server_errors += [f"{server.name}: {e}" if processes > 1 else e for e in server.errors()]
        result.db_ballots, result.db_option_counts = read_tally(url, question_id, options)
        analyse(result, screens, votes, sum(1 for s in screens if s.snapshot_at is not None))
    finally:
        stop_servers(servers)
        if config.keep or config.profile:
            log(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        result.total_s = time.monotonic() - started
    log(f"  done in {result.total_s:.1f} s")
    return result


# --- report ---------------------------------------------------------------------------------------------


def _ms(d: dict[str, float], *keys: str) -> str:
    return " / ".join(f"{d[k]:.0f}" for k in keys) if d else "–"


def table(results: list[Result]) -> str:
    head = ("| voters | screens | votes/s committed (offered) | vote ack p50/p95 ms | vote→screen p50/p95/p99 ms "
            "| updates/screen mean/max | reach | tally == DB (screens/chart/DB) | server CPU | server RSS now/peak MB "
            "| client CPU s (of window) | other processes CPU s |")
    sep = "|" + "---|" * 12
    rows = [head, sep]
    for r in results:
        c = r.config
        shown = ",".join(map(str, r.screen_counts)) or "–"
        chart = ",".join(map(str, r.chart_sums)) or "–"
        rows.append(
            f"| {c.voters} | {c.screens} | {r.votes_per_second:.1f} ({r.offered_per_second:.0f})"
            + (f", {r.failed_votes} failed" if r.failed_votes else "")
            + f" | {_ms(r.ack_ms, 'p50', 'p95')} | {_ms(r.latency_ms, 'p50', 'p95', 'p99')}"
            + (f" ({r.latency_missing} never shown)" if r.latency_missing else "")
            + f" | {r.updates_mean:.1f} / {r.updates_max} | {r.reach}/{c.screens}"
            + f" | {'yes' if r.tally_ok else 'NO'} ({shown}/{chart}/{r.db_ballots})"
            + f" | {r.server_cpu_s:.1f} s ({r.server_util:.0%})"
            + f" | {r.server_rss_mb:.0f} / {r.server_peak_rss_mb:.0f}"
            + f" | {r.client_cpu_s:.1f} s ({r.client_util:.0%} of {r.window_s:.1f} s)"
            + f" | {r.others_cpu_s:.1f} s |")
    return "\n".join(rows)


def details(results: list[Result]) -> str:
    lines = []
    for r in results:
        c = r.config
        lines.append(f"- {c.voters}×{c.screens}: sign-in {r.sign_in_s:.1f} s, connect {r.connect_s:.1f} s, "
                     f"question open on all screens after {r.open_to_screens_ms or 0:.0f} ms, "
                     f"vote ack max {r.ack_ms.get('max', 0):.0f} ms, "
                     f"vote→screen max {r.latency_ms.get('max', 0):.0f} ms (min {r.latency_ms.get('min', 0):.0f} ms, "
                     f"{r.latency_negative} of {r.latency_samples} before the ack), "
                     f"#poll-results push interval while voting p50/p95/max {_ms(r.push_gap_ms, 'p50', 'p95', 'max')} ms "
                     f"(tick {c.tick_ms} ms), messages/screen {r.messages_mean:.1f}, DB per option {r.db_option_counts}, "
                     f"client loop {r.client_loop}, run {r.total_s:.0f} s")
        for key, n in r.vote_errors.items():
            lines.append(f"    vote failures: {n}× {key}")
        for note in r.notes:
            lines.append(f"    note: {note}")
        for line in r.server_errors[:5]:
            lines.append(f"    server log: {line[:200]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=100)
    parser.add_argument("--screens", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tick-ms", type=int, default=150)
    parser.add_argument("--settle", type=float, default=15.0, help="max seconds to wait for screens after the last ack")
    parser.add_argument("--matrix", action="store_true", help="voters in {100, 1000} x screens in {100, 1000}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (database, server log)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--profile", action="store_true", help="run the server under cProfile (kept in the temp dir)")
    args = parser.parse_args(argv)

    if args.matrix:
        shapes = [(v, s) for v in (100, 1000) for s in (100, 1000)]
    else:
        shapes = [(args.voters, args.screens)]
    results = []
    for voters, screens in shapes:
        config = Config(voters=voters, screens=screens, seconds=args.seconds, tick_ms=args.tick_ms,
                        settle_seconds=args.settle, keep=args.keep, profile=args.profile)
        try:
            results.append(run_config(config))
        except Exception as error:  # noqa: BLE001 - one failed configuration must not hide the others
            print(f"  FAILED: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            failed = Result(config=config)
            failed.notes.append(f"run failed: {type(error).__name__}: {str(error)[:300]}")
            results.append(failed)
    print(f"\nPoll burst, {args.seconds:g} s of voting, LIVE_TICK_MS={args.tick_ms}, {os.cpu_count()} CPUs, "
          f"server and client on the same machine\n")
    print(table(results))
    print()
    print(details(results))
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "config": r.config.__dict__} for r in results], indent=2,
                                        default=str))
    return 0 if all(r.tally_ok and r.every_screen_final for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
