"""Fan-out benchmark: Samen against a bare ``websockets`` broadcast server, side by side, in one run.

    python -m bench.fanout                       # every scenario, 3 runs each, medians
    python -m bench.fanout --runs 1 --only screens-1k,idle-10k
    python -m bench.fanout --list

Three processes per measurement: the server under test, a client fleet (``--fleet``, one asyncio process of raw
WebSocket clients) and this process, which drives the votes and reads the server's CPU and memory from /proc.

The two servers do the same job:
- **baseline**: a bare ``websockets`` server (uvloop, compression off) that counts votes arriving on a control
  socket and, once per tick (150 ms) when something changed, calls ``broadcast()`` with one message of the
  same size as Samen's poll-results fragment, carrying the count;
- **Samen**: uvicorn with the flags of the Procfile, SQLite, the demo event and one participant per screen;
  every vote is an HTTP form post committed to the database; the chart is re-rendered once per tick and
  pushed to every participant page.
Both messages carry the voter count the same way, so the fleet measures them identically: the k-th
acknowledged vote (ack at t_k) reaches a screen when that screen first shows a count >= k; latency = receive
time - t_k. "CPU per delivery" = server CPU seconds in the window / messages the fleet received.

The fleet's screens, the seeding and the Samen side live in tests/support/fleet.py (the multiprocess tests use
them too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.fleet import TICK_MS, Fleet, SamenSide, metrics, seed
from tests.support.server import HOST, PROJECT_ROOT, free_port, percentiles, raise_open_files_limit


@dataclass
class Scenario:
    name: str
    screens: int
    votes_per_second: float = 0.0
    seconds: float = 10.0
    stalled_fraction: float = 0.0
    idle: bool = False
    storm: bool = False
    about: str = ""


SCENARIOS = [
    Scenario("screens-1k", 1000, 5, 20, about="1k screens, 5 votes/s for 20 s"),
    Scenario("screens-5k", 5000, 5, 20, about="5k screens, 5 votes/s for 20 s"),
    Scenario("screens-10k", 10000, 5, 20, about="10k screens, 5 votes/s for 20 s"),
    Scenario("burst-200", 5000, 200, 10, about="5k screens, 200 votes/s for 10 s"),
    Scenario("burst-1000", 5000, 1000, 10, about="5k screens, 1,000 votes/s for 10 s"),
    # Longer than two keepalive intervals (app/live/wire.py PING_INTERVAL), so the pings are in the window.
    Scenario("idle-10k", 10000, idle=True, seconds=100, about="10k idle screens for 100 s"),
    Scenario("stalled-1pct", 5000, 200, 25, stalled_fraction=0.01,
             about="5k screens, 1% stop reading, 200 votes/s for 25 s"),
    Scenario("reconnect-5k", 5000, storm=True, about="5k screens drop and reconnect at once"),
]


# --- the baseline server --------------------------------------------------------------------------------


def baseline_payload(count: int, size: int) -> str:
    head = f'<div id="poll-results"><p class="counter"><strong>{count}</strong></p>'
    return head + "x" * max(0, size - len(head) - 6) + "</div>"


async def run_baseline(port: int, size: int, tick: float) -> None:
    from websockets.asyncio.server import broadcast, serve

    state = {"count": 0, "dirty": False}
    screens: set = set()

    async def handler(ws) -> None:
        if ws.request.path == "/control":  # the vote driver: one message per vote, acknowledged once counted
            async for message in ws:
                state["count"] += 1
                state["dirty"] = True
                await ws.send("a" + message[1:])
            return
        screens.add(ws)
        try:
            await ws.send(baseline_payload(state["count"], size))  # the snapshot
            await ws.wait_closed()
        finally:
            screens.discard(ws)

    async with serve(handler, HOST, port, compression=None, max_size=65536, backlog=8192):
        print("ready", flush=True)
        while True:
            await asyncio.sleep(tick)
            if state["dirty"]:
                state["dirty"] = False
                broadcast(screens, baseline_payload(state["count"], size))


class Baseline:
    def __init__(self, data_dir: Path, size: int) -> None:
        self.port = free_port()
        self.size = size
        self.log_path = data_dir / "baseline.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.fanout", "--baseline-server", str(self.port), str(self.size)],
                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the baseline server did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


# --- the client fleet (its own process) -----------------------------------------------------------------


async def fleet_main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)  # the first line carries every cookie
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    fleet = Fleet(json.loads(await reader.readline()))

    async def watcher() -> None:
        while True:
            await asyncio.sleep(0.25)
            fleet.watch_stalled()

    watch_task = asyncio.create_task(watcher())
    while line := await reader.readline():
        command = json.loads(line)
        cpu0 = _cpu_self()
        name = command["cmd"]
        if name == "connect":
            reply = await fleet.connect()
        elif name == "mark":
            reply = fleet.mark()
        elif name == "stall":
            reply = fleet.stall(command["count"])
        elif name == "wait":
            reply = await fleet.wait_for(command["target"], command["timeout"])
        elif name == "storm":
            reply = await fleet.storm(command["target"], command["timeout"])
        elif name == "report":
            reply = fleet.report(command["path"])
        else:
            break
        reply["cpu_s"] = _cpu_self()
        reply["cmd_cpu_s"] = reply["cpu_s"] - cpu0
        print(json.dumps(reply), flush=True)
    watch_task.cancel()


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class FleetProcess:
    def __init__(self, config: dict) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.fanout", "--fleet"], cwd=PROJECT_ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.send(config)

    def send(self, obj: dict) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(obj) + "\n").encode())
        self.process.stdin.flush()

    async def call(self, cmd: str, **kw: object) -> dict:
        self.send({"cmd": cmd, **kw})
        assert self.process.stdout is not None
        line = await asyncio.to_thread(self.process.stdout.readline)
        if not line:
            raise RuntimeError(f"the fleet ended during {cmd!r}")
        return json.loads(line)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.send({"cmd": "quit"})
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- measuring -------------------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Measurement:
    server: str
    scenario: str
    screens: int = 0
    connected: int = 0
    votes_acked: int = 0
    votes_offered: int = 0
    deliveries: int = 0
    cpu_s: float = 0.0
    window_s: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    reach: int = 0
    of: int = 0
    client_util: float = 0.0
    rss_per_screen_kib: float = 0.0
    idle_cpu_pct: float = 0.0
    stalled: int = 0
    stalled_closed: int = 0
    stalled_close_s: float | None = None
    rss_growth_mib: float = 0.0
    storm_s: float | None = None
    storm_reconnected: int = 0
    storm_queries: int | None = None
    topics: int | None = None
    renders: int | None = None
    frames: int | None = None
    tally_ok: bool | None = None  # every acknowledged vote is in the database
    acked_votes: list[int] = field(default_factory=list)  # the numbers k of the votes acknowledged
    committed: int | None = None  # ballots in the database after the run
    message_bytes: float = 0.0
    connect_cpu_ms: float = 0.0
    connect_queries: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def cpu_per_delivery_us(self) -> float:
        return self.cpu_s / self.deliveries * 1e6 if self.deliveries else float("nan")


def latencies(logs: dict, acks: list[float]) -> list[float]:
    """Vote-to-screen: the k-th ack (1-based, in ack order) reaches a screen when it first shows >= k."""
    out: list[float] = []
    acks = sorted(acks)
    for entries in logs.values():
        seen = 0
        for received, count in entries:
            count = min(count, len(acks))
            while seen < count:
                out.append((received - acks[seen]) * 1000)
                seen += 1
    return out


async def measure(target, scenario: Scenario, cookies: list[str], work: Path, log,  # , C901
                  vote_target, participants: int = 0) -> Measurement:
    m = Measurement(server=target.name, scenario=scenario.name, screens=scenario.screens)
    # Screen i is participant i % participants: with fewer participants than screens, some have several pages
    # open (tabs, a laptop and a phone), which share that participant's personal topics.
    screen_cookies = cookies[:participants] if participants else cookies
    config = {"port": target.port, "path": target.ws_path, "cookies": screen_cookies, "screens": scenario.screens}
    fleet = FleetProcess(config)
    try:
        rss_before = proc_rss_kib(target.pid)
        connect_cpu0 = proc_cpu(target.pid)
        q0 = metrics(target.port).get("samen_db_queries", 0) if target.name == "samen" else 0
        connected = await fleet.call("connect")
        m.connected = connected["connected"]
        m.connect_cpu_ms = (proc_cpu(target.pid) - connect_cpu0) / max(1, m.connected) * 1000
        if target.name == "samen":
            m.connect_queries = (metrics(target.port)["samen_db_queries"] - q0) / max(1, m.connected)
        if connected["failures"]:
            m.notes.append(f"connect failures: {connected['failures']}")
        log(f"    {target.name}: {m.connected}/{scenario.screens} screens in {connected['seconds']:.1f} s, "
            f"{m.connect_cpu_ms:.2f} ms server CPU and {m.connect_queries:.1f} queries per screen")
        await asyncio.sleep(1.0)
        if scenario.idle:
            cpu0, t0 = proc_cpu(target.pid), time.monotonic()
            await asyncio.sleep(scenario.seconds)
            m.window_s = time.monotonic() - t0
            m.idle_cpu_pct = (proc_cpu(target.pid) - cpu0) / m.window_s * 100
            m.rss_per_screen_kib = (proc_rss_kib(target.pid) - rss_before) / max(1, m.connected)
            return m
        if scenario.storm:
            # Some votes first, so every snapshot has a count to show.
            acks = await cast_votes(vote_target, 50, 25)
            await fleet.call("wait", target=len(acks), timeout=20)
            q0 = metrics(target.port).get("samen_db_queries") if target.name == "samen" else None
            reply = await fleet.call("storm", target=len(acks), timeout=120)
            m.storm_s, m.storm_reconnected = reply["all_current_s"], reply["reconnected"]
            m.of = reply["of"]
            if q0 is not None:
                stats = metrics(target.port)
                m.storm_queries = int(stats["samen_db_queries"] - q0)
                m.topics = int(stats["samen_live_topics"])
            return m
        await fleet.call("mark")
        stalled = int(scenario.screens * scenario.stalled_fraction)
        rss_peak = proc_rss_kib(target.pid)
        if stalled:
            await fleet.call("stall", count=stalled)
            m.stalled = stalled
        stats0 = metrics(target.port) if target.name == "samen" else {}
        cpu0, t0 = proc_cpu(target.pid), time.monotonic()
        votes = int(scenario.votes_per_second * scenario.seconds)
        m.votes_offered = votes
        sampler_stop = asyncio.Event()

        async def sample_rss() -> None:
            nonlocal rss_peak
            while not sampler_stop.is_set():
                rss_peak = max(rss_peak, proc_rss_kib(target.pid))
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample_rss())
        acks = await cast_votes(vote_target, votes, scenario.votes_per_second, m.acked_votes)
        m.votes_acked = len(acks)
        waited = await fleet.call("wait", target=len(acks), timeout=30)
        m.reach, m.of = waited["reached"], waited["of"]
        if stalled:  # give the server the time it promises (20 s) to drop the stalled screens
            remaining = 21 - (time.monotonic() - t0)
            if remaining > 0:
                await asyncio.sleep(remaining)
        m.window_s = time.monotonic() - t0
        m.cpu_s = proc_cpu(target.pid) - cpu0
        sampler_stop.set()
        await sampler
        m.rss_growth_mib = (rss_peak - rss_before) / 1024
        path = work / f"{target.name}-{scenario.name}.json"
        reply = await fleet.call("report", path=str(path))
        m.client_util = 0.0
        data = json.loads(path.read_text())
        m.deliveries = sum(len(v) for v in data["logs"].values())
        total_messages = data["messages"]
        m.message_bytes = data["bytes"] / total_messages if total_messages else 0
        m.client_util = reply["cpu_s"] / max(m.window_s, 1e-9)  # upper bound: includes connecting
        lat = latencies(data["logs"], acks)
        m.latency_ms = percentiles(lat) if lat else {}
        if stalled:
            closes = [c - s for s, c in data["stalled"] if c is not None]
            m.stalled_closed = len(closes)
            m.stalled_close_s = max(closes) if closes else None
        if target.name == "samen":
            stats = metrics(target.port)
            m.renders = int(stats["samen_live_renders"] - stats0["samen_live_renders"])
            m.frames = int(stats["samen_live_frames"] - stats0["samen_live_frames"])
        return m
    finally:
        fleet.stop()


async def cast_votes(vote_target, count: int, per_second: float,
                     acked: list[int] | None = None) -> list[float]:
    """``count`` votes at a uniform rate; returns the ack times of the ones acknowledged (and their numbers in
    ``acked``)."""
    t0 = time.monotonic() + 0.05
    acks: list[float] = []

    async def one(k: int) -> None:
        await asyncio.sleep(max(0.0, t0 + k / per_second - time.monotonic()))
        if await vote_target(k):
            acks.append(time.monotonic())
            if acked is not None:
                acked.append(k)

    await asyncio.gather(*(one(k) for k in range(count)))
    return acks


# --- the two sides ---------------------------------------------------------------------------------------


class BaselineSide:
    name = "baseline"
    ws_path = "/ws"

    def __init__(self, work: Path, size: int) -> None:
        self.server = Baseline(work, size)
        self.control = None
        self.pending: dict[int, asyncio.Future] = {}
        self.reader: asyncio.Task | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def pid(self) -> int:
        return self.server.pid

    async def start(self) -> None:
        from websockets.asyncio.client import connect

        await asyncio.to_thread(self.server.start)
        self.control = await connect(f"ws://{HOST}:{self.port}/control", compression=None, max_queue=None)

        async def read() -> None:
            async for message in self.control:
                future = self.pending.pop(int(message[1:]), None)
                if future and not future.done():
                    future.set_result(True)

        self.reader = asyncio.create_task(read())

    async def vote(self, k: int) -> bool:
        future = asyncio.get_running_loop().create_future()
        self.pending[k] = future
        await self.control.send(f"v{k}")
        try:
            return await asyncio.wait_for(future, 60)
        except TimeoutError:
            return False

    def stop(self) -> None:
        if self.reader:
            self.reader.cancel()
        self.server.stop()


async def run_pair(scenario: Scenario, work: Path, template: Path, cookies: list[str], question_id: int,
                   options: list[int], size: int, log, profile: str = "",
                   participants: int = 0) -> tuple[Measurement, Measurement]:
    samen = SamenSide(work, template, cookies, question_id, options, profile=bool(profile))
    await samen.start()
    try:
        ours = await measure(samen, scenario, cookies, work, log, samen.vote, participants)
    finally:
        samen.stop()
        if profile:
            shutil.copy(samen.dir / "server.prof", Path(profile) / f"samen-{scenario.name}.prof")
    if ours.votes_acked and not scenario.storm:
        ours.committed, missing = await asyncio.to_thread(samen.check, ours.acked_votes)
        ours.tally_ok = not missing
    baseline = BaselineSide(work, int(ours.message_bytes) if ours.message_bytes else size)
    await baseline.start()
    try:
        theirs = await measure(baseline, scenario, [], work, log, baseline.vote)
    finally:
        baseline.stop()
    return theirs, ours


# --- reporting -------------------------------------------------------------------------------------------


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and v == v]
    return statistics.median(present) if present else None


def fmt(value: float | None, spec: str = ".0f") -> str:
    return "–" if value is None else format(value, spec)


def summarise(name: str, runs: list[tuple[Measurement, Measurement]]) -> dict:
    def med(side: int, getter) -> float | None:
        return median([getter(pair[side]) for pair in runs])

    row: dict = {"scenario": name, "runs": len(runs)}
    for side, label in ((0, "base"), (1, "samen")):
        row[f"{label}_cpu_us"] = med(side, lambda m: m.cpu_per_delivery_us if m.deliveries else None)
        for q in ("p50", "p95", "p99"):
            row[f"{label}_{q}"] = med(side, lambda m, q=q: m.latency_ms.get(q))
        row[f"{label}_reach"] = med(side, lambda m: m.reach / m.of * 100 if m.of and not m.storm_s else None)
        row[f"{label}_rss_kib"] = med(side, lambda m: m.rss_per_screen_kib or None)
        row[f"{label}_idle_pct"] = med(side, lambda m: m.idle_cpu_pct if m.rss_per_screen_kib else None)
        row[f"{label}_storm_s"] = med(side, lambda m: m.storm_s)
        row[f"{label}_stall_close_s"] = med(side, lambda m: m.stalled_close_s)
        row[f"{label}_client_util"] = med(side, lambda m: m.client_util * 100 if m.deliveries else None)
    row["storm_queries"] = med(1, lambda m: m.storm_queries)
    row["topics"] = med(1, lambda m: m.topics)
    row["renders"] = med(1, lambda m: m.renders)
    row["frames"] = med(1, lambda m: m.frames)
    row["acked"] = med(1, lambda m: m.votes_acked if m.votes_offered else None)
    row["offered"] = med(1, lambda m: m.votes_offered or None)
    row["tally_ok"] = all(pair[1].tally_ok is not False for pair in runs)
    row["committed"] = med(1, lambda m: m.committed)
    row["stalled_closed"] = [f"{pair[1].stalled_closed}/{pair[1].stalled}" for pair in runs if pair[1].stalled]
    row["rss_growth_mib"] = med(1, lambda m: m.rss_growth_mib if m.stalled else None)
    return row


def ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or not b else f"{a / b:.2f}×"


def table(rows: list[dict]) -> str:
    lines = ["| scenario | CPU µs/delivery base → Samen (ratio) | vote→screen p50/p95/p99 ms, base | "
             "Samen | p99 ratio | reach Samen | votes acked/offered, in the DB, none acked lost |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["base_rss_kib"] is not None:
            continue
        if r["samen_storm_s"] is not None:
            continue
        cpu = (f"{fmt(r['base_cpu_us'], '.1f')} → {fmt(r['samen_cpu_us'], '.1f')} "
               f"({ratio(r['samen_cpu_us'], r['base_cpu_us'])})")
        base = "/".join(fmt(r[f"base_{q}"]) for q in ("p50", "p95", "p99"))
        ours = "/".join(fmt(r[f"samen_{q}"]) for q in ("p50", "p95", "p99"))
        votes = f"{fmt(r['acked'])}/{fmt(r['offered'])}, {fmt(r['committed'])}, {'yes' if r['tally_ok'] else 'NO'}"
        lines.append(f"| {r['scenario']} | {cpu} | {base} | {ours} | {ratio(r['samen_p99'], r['base_p99'])} | "
                     f"{fmt(r['samen_reach'], '.1f')}% | {votes} |")
    extra = []
    for r in rows:
        if r["base_rss_kib"] is not None:
            extra.append(f"- {r['scenario']}: RSS per idle screen base {fmt(r['base_rss_kib'], '.1f')} KiB → Samen "
                         f"{fmt(r['samen_rss_kib'], '.1f')} KiB ({ratio(r['samen_rss_kib'], r['base_rss_kib'])}); "
                         f"idle CPU base {fmt(r['base_idle_pct'], '.1f')}% → Samen {fmt(r['samen_idle_pct'], '.1f')}% "
                         "of one core")
        elif r["samen_storm_s"] is not None:
            extra.append(f"- {r['scenario']}: all screens current again after base {fmt(r['base_storm_s'], '.2f')} s → "
                         f"Samen {fmt(r['samen_storm_s'], '.2f')} s; Samen database queries during the storm "
                         f"{fmt(r['storm_queries'])} for {fmt(r['topics'])} live topics")
        if r["stalled_closed"]:
            extra.append(f"- {r['scenario']}: stalled screens closed by Samen {', '.join(r['stalled_closed'])} "
                         f"(last after {fmt(r['samen_stall_close_s'], '.1f')} s; base "
                         f"{fmt(r['base_stall_close_s'], '.1f')} s); Samen RSS growth {fmt(r['rss_growth_mib'], '.1f')} MiB")
        if r["renders"] is not None and r["base_rss_kib"] is None and r["samen_storm_s"] is None:
            extra.append(f"- {r['scenario']}: Samen renders {fmt(r['renders'])}, frames encoded {fmt(r['frames'])}; "
                         f"client CPU base {fmt(r['base_client_util'])}% / Samen {fmt(r['samen_client_util'])}% of a core")
    return "\n".join(lines + [""] + extra)


async def main_async(args: argparse.Namespace) -> int:
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only.split(",")]
    soft, _hard = raise_open_files_limit()
    participants = max(max(s.screens for s in chosen), max(int(s.votes_per_second * s.seconds) for s in chosen), 100)
    work = Path(tempfile.mkdtemp(prefix="samen-fanout-"))
    log = print
    try:
        log(f"# fan-out benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, open files {soft}")
        started = time.monotonic()
        template = work / "template.db"
        cookies, question_id, options = await asyncio.to_thread(seed, template, participants)
        log(f"  seeded {participants} participants in {time.monotonic() - started:.0f} s")
        rows = []
        for scenario in chosen:
            runs = []
            for run in range(args.runs):
                log(f"  {scenario.name} run {run + 1}/{args.runs}: {scenario.about}")
                pair = await run_pair(scenario, work, template, cookies, question_id, options, 1500, log,
                                      args.profile, args.participants)
                for m in pair:
                    log(f"    {m.server}: deliveries {m.deliveries}, CPU {m.cpu_s:.2f} s "
                        f"({fmt(m.cpu_per_delivery_us if m.deliveries else None, '.1f')} µs each), "
                        f"p50/p99 {fmt(m.latency_ms.get('p50'))}/{fmt(m.latency_ms.get('p99'))} ms, "
                        f"reach {m.reach}/{m.of}, client {m.client_util * 100:.0f}%"
                        + (f", RSS/screen {m.rss_per_screen_kib:.1f} KiB, idle CPU {m.idle_cpu_pct:.1f}%"
                           if scenario.idle else "")
                        + (f", storm {fmt(m.storm_s, '.2f')} s, {m.storm_reconnected}/{m.of}, "
                           f"queries {m.storm_queries}" if scenario.storm else "")
                        + (f", stalled closed {m.stalled_closed}/{m.stalled} (last {fmt(m.stalled_close_s, '.1f')} s)"
                           if m.stalled else "")
                        + (f", renders {m.renders}, frames {m.frames}" if m.renders is not None else "")
                        + (f", votes acked {m.votes_acked}/{m.votes_offered}" if m.votes_offered else "")
                        + (f", ballots in the database {m.committed}, every acknowledged vote among them: "
                           f"{m.tally_ok}" if m.tally_ok is not None else "")
                        + (f" NOTES {m.notes}" if m.notes else ""))
                runs.append(pair)
            rows.append(summarise(scenario.name, runs))
        log("")
        log(table(rows))
        if args.json:
            await asyncio.to_thread(Path(args.json).write_text, json.dumps(rows, indent=1))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--fleet"]:
        _run(fleet_main())
        return 0
    if argv[:1] == ["--baseline-server"]:
        _run(run_baseline(int(argv[1]), int(argv[2]), TICK_MS / 1000))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (medians are reported)")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    parser.add_argument("--json", default="", help="also write the summary rows to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--participants", type=int, default=1000,
                        help="participants behind the screens (screen i is participant i %% N); 0 = one per screen")
    parser.add_argument("--profile", default="", help="run Samen under cProfile; write <dir>/samen-<scenario>.prof")
    args = parser.parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:14} {s.about}")
        return 0
    return asyncio.run(main_async(args))


def _run(coro) -> None:
    """uvloop where installed (uvicorn[standard] brings it), for both servers and the fleet alike."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(coro)
        return
    uvloop.run(coro)


if __name__ == "__main__":
    raise SystemExit(main())

