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

The fleet is not the ``websockets`` client library: at 50,000 messages/s that library (one task and several
Python objects per message) saturates the client's core and measures itself. Each screen is a small
``asyncio.Protocol`` that does the handshake, reads unmasked frames and answers pings.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.poll_burst import (
    HOST,
    PROJECT_ROOT,
    SECRET,
    SESSION_COOKIE,
    Server,
    _form_headers,
    _free_port,
    _percentiles,
    http,
    prepare_database,
    raise_open_files_limit,
    sign_in,
    sqlite_url,
)

TICK_MS = 150
RESULTS_MARK = b'id="poll-results"'
COUNTER_MARK = b'<p class="counter"><strong>'
CONNECT_CONCURRENCY = 256
MODERATOR = "moderator:Gespreksleider"


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
        self.port = _free_port()
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


class Screen(asyncio.Protocol):
    """One participant screen: WebSocket handshake, unmasked frames in, pongs out; logs (time, count)."""

    def __init__(self, fleet: Fleet, index: int) -> None:
        self.fleet = fleet
        self.index = index
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.lost = False
        self.failed = ""
        self.log: list[tuple[float, int]] = []
        self.messages = 0
        self.bytes = 0
        self.first: asyncio.Future | None = None
        self.stalled_at: float | None = None
        self.closed_at: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.fleet.request(self.index))  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.failed = bytes(buf[:40]).decode("latin-1")
                self._resolve()
                self.transport.close()
                return
            self.open = True
            del buf[:end + 4]
        while True:
            n = len(buf)
            if n < 2:
                return
            length = buf[1] & 0x7F
            start = 2
            if length == 126:
                if n < 4:
                    return
                length, start = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if n < 10:
                    return
                length, start = int.from_bytes(buf[2:10], "big"), 10
            end = start + length
            if n < end:
                return
            opcode = buf[0] & 0x0F
            if opcode == 1:
                self._message(bytes(buf[start:end]))
            elif opcode == 9:  # ping: answer with a (masked, as clients must) pong carrying the same payload
                payload = bytes(buf[start:end])
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                self.transport.close()
            del buf[:end]

    def _message(self, payload: bytes) -> None:
        self.messages += 1
        self.bytes += len(payload)
        i = payload.find(COUNTER_MARK)
        if i >= 0 and RESULTS_MARK in payload:
            i += len(COUNTER_MARK)
            self.log.append((time.monotonic(), int(payload[i:payload.index(b"<", i)])))
        elif RESULTS_MARK in payload:
            self.log.append((time.monotonic(), 0))  # "no votes yet" shows no counter
        else:
            return
        self._resolve()
        fleet = self.fleet
        if fleet.target is not None and self.log[-1][1] >= fleet.target:
            fleet.reached.add(self.index)
            if len(fleet.reached) >= fleet.target_screens:
                fleet.all_reached.set()

    def _resolve(self) -> None:
        if self.first is not None and not self.first.done():
            self.first.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.closed_at = time.monotonic()
        self._resolve()


class Fleet:
    def __init__(self, config: dict) -> None:
        self.port = config["port"]
        self.path = config["path"]
        self.cookies: list[str] = config["cookies"]
        self.count = config["screens"]
        self.screens: list[Screen] = []
        self.target: int | None = None
        self.target_screens = 0
        self.reached: set[int] = set()
        self.all_reached = asyncio.Event()

    def request(self, index: int) -> bytes:
        cookie = f"Cookie: {SESSION_COOKIE}={self.cookies[index % len(self.cookies)]}\r\n" if self.cookies else ""
        key = base64.b64encode(index.to_bytes(16, "big")).decode()
        return (f"GET {self.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://{HOST}:{self.port}\r\n{cookie}\r\n").encode()

    async def open_one(self, index: int, gate: asyncio.Semaphore) -> Screen:
        loop = asyncio.get_running_loop()
        async with gate:
            screen = Screen(self, index)
            screen.first = loop.create_future()
            try:
                await loop.create_connection(lambda: screen, HOST, self.port)
                await asyncio.wait_for(screen.first, 60)
            except (OSError, TimeoutError) as error:
                screen.failed = screen.failed or type(error).__name__
        return screen

    async def connect(self) -> dict:
        started = time.monotonic()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.screens = list(await asyncio.gather(*(self.open_one(i, gate) for i in range(self.count))))
        ok = [s for s in self.screens if s.open and s.log and not s.lost]
        failures: dict[str, int] = {}
        for s in self.screens:
            if s not in ok:
                failures[s.failed or ("lost" if s.lost else "no snapshot")] = failures.get(s.failed, 0) + 1
        return {"connected": len(ok), "seconds": time.monotonic() - started, "failures": failures}

    def live(self) -> list[Screen]:
        return [s for s in self.screens if s.open and not s.lost and s.stalled_at is None]

    def mark(self) -> dict:
        for s in self.screens:
            s.log.clear()
            s.messages = 0
            s.bytes = 0
        return {"ok": True}

    def stall(self, count: int) -> dict:
        """``count`` screens stop reading (the kernel buffers fill, then the server's)."""
        now = time.monotonic()
        for s in random.Random(7).sample(self.live(), count):
            s.stalled_at = now
            s.transport.pause_reading()
        return {"stalled": count}

    async def wait_for(self, target: int, seconds: float) -> dict:
        live = self.live()
        self.target, self.target_screens = target, len(live)
        self.reached = {s.index for s in live if s.log and s.log[-1][1] >= target}
        self.all_reached.clear()
        if len(self.reached) >= len(live):
            self.all_reached.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_reached.wait(), seconds)
        self.target = None
        return {"reached": len(self.reached), "of": len(live)}

    async def storm(self, target: int, seconds: float) -> dict:
        """Every live screen drops its connection (reset) and reconnects at once; how long until all are
        current again (a snapshot showing ``target`` votes)?"""
        old = self.live()
        for s in old:
            s.transport.abort()
        await asyncio.sleep(0.2)  # let the server see the resets
        started = time.monotonic()
        gate = asyncio.Semaphore(len(old) or 1)  # all at once
        self.screens = list(await asyncio.wait_for(
            asyncio.gather(*(self.open_one(s.index, gate) for s in old)), seconds))
        current = [s for s in self.screens if s.log and s.log[-1][1] >= target]
        times = sorted(s.log[0][0] - started for s in current)
        return {"reconnected": len(current), "of": len(old), "all_current_s": times[-1] if times else None,
                "p50_s": times[len(times) // 2] if times else None}

    def watch_stalled(self) -> None:
        """A stalled screen does not read, so its protocol never learns of a reset: ask the kernel."""
        for s in self.screens:
            if s.stalled_at is not None and s.closed_at is None:
                sock = s.transport.get_extra_info("socket")
                try:
                    state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
                except OSError:
                    state = 7
                if state != 1:  # not ESTABLISHED any more: the server reset or closed it
                    s.closed_at = time.monotonic()

    def report(self, path: str) -> dict:
        self.watch_stalled()
        data = {"logs": {s.index: s.log for s in self.screens if s.stalled_at is None},
                "messages": sum(s.messages for s in self.screens),
                "bytes": sum(s.bytes for s in self.screens),
                "stalled": [(s.stalled_at, s.closed_at) for s in self.screens if s.stalled_at is not None]}
        Path(path).write_text(json.dumps(data))
        return {"ok": True}


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


def metrics(port: int) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=60) as response:
        return {name: float(value) for name, value in
                (line.split() for line in response.read().decode().splitlines() if line)}


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
        m.latency_ms = _percentiles(lat) if lat else {}
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


def seed(template: Path, participants: int) -> tuple[list[str], int, list[int]]:
    """A migrated SQLite database with the demo and ``participants`` participants; forged session cookies
    (the bench knows the secret, and signing in 10,000 screens over HTTP would only measure sign-ins)."""
    from itsdangerous import TimestampSigner
    from sqlalchemy import text

    from app.db import Database

    _tokens, question_id, options = prepare_database(template, participants)

    async def ids() -> list[tuple[int, int, int]]:
        db = Database(sqlite_url(template))
        try:
            async with db.read() as session:
                return [tuple(row) for row in (await session.execute(text(
                    "SELECT id, event_id, link_version FROM participant WHERE name LIKE 'Stemmer %' "
                    "ORDER BY id"))).all()]
        finally:
            await db.dispose()

    signer = TimestampSigner(SECRET, salt="samen.session")
    cookies = []
    for participant_id, event_id, version in asyncio.run(ids()):
        session = {"p": {str(event_id): [participant_id, version]}}
        cookies.append(signer.sign(base64.b64encode(json.dumps(session).encode())).decode())
    return cookies, question_id, options


def _participant_of(cookie: str) -> int:
    """The participant id in a session cookie that ``seed`` forged (its payload is base64 JSON before the '.')."""
    session = json.loads(base64.b64decode(cookie.split(".", 1)[0]))
    return next(iter(session["p"].values()))[0]


class SamenSide:
    name = "samen"
    ws_path = ""

    def __init__(self, work: Path, template: Path, cookies: list[str], question_id: int, options: list[int],
                 profile: bool = False) -> None:
        from app.demo import SLUG

        self.dir = work / f"samen-{time.monotonic_ns()}"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        shutil.copy(template, self.dir / "samen.db")
        self.server = Server(self.dir, TICK_MS, profile=profile)
        self.cookies = cookies
        self.question_id = question_id
        self.options = options
        self.ws_path = f"/ws/participant/{SLUG}"
        self.slug = SLUG

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def pid(self) -> int:
        return self.server.pid

    async def start(self) -> None:
        from app.demo import demo_token

        await asyncio.to_thread(self.server.start)
        moderator = await sign_in(self.port, f"/r/{demo_token(SECRET, MODERATOR)}")
        status, _h, body, _t = await http(self.port, "POST", f"/e/{self.slug}/polls/{self.question_id}/open",
                                          _form_headers(self.port, moderator), b"")
        if status != 200:
            raise RuntimeError(f"opening the poll answered {status}: {body[:200]!r}")

    async def vote(self, k: int) -> bool:
        body = f"option={self.options[k % len(self.options)]}".encode()
        try:
            status, _h, _b, _t = await asyncio.wait_for(http(
                self.port, "POST", f"/e/{self.slug}/polls/{self.question_id}/vote",
                _form_headers(self.port, self.cookies[k]), body), 60)
        except (OSError, TimeoutError):
            return False
        return status == 200

    def check(self, acked: list[int]) -> tuple[int, list[int]]:
        """(ballots in the database, the acknowledged votes k whose voter has no ballot: must be none). Vote k is
        cast by the participant of ``cookies[k]``; votes that timed out may have been committed all the same."""
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.dir / "samen.db")) as db:
            voters = {row[0] for row in db.execute("SELECT participant_id FROM poll_ballot WHERE question_id = ?",
                                                   (self.question_id,))}
        return len(voters), [k for k in acked if _participant_of(self.cookies[k]) not in voters]

    def stop(self) -> None:
        self.server.stop()


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

