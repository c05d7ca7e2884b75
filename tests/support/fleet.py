"""Participant screens by the thousand, and the Samen side of a fan-out measurement: a migrated SQLite template
with the demo and N participants (and their session cookies, forged: signing in 10,000 screens over HTTP would
only measure sign-ins), a real server on a copy of it with poll question 1 open, votes over HTTP, and the live
layer's counters from /metrics. Used by bench/fanout.py (which runs the fleet in a process of its own) and, in
process, by tests/multiprocess/test_fanout_counters.py and test_stalled_screens.py.

The fleet is not the ``websockets`` client library: at 50,000 messages/s that library (one task and several
Python objects per message) saturates the client's core and measures itself. Each screen is a small
``asyncio.Protocol`` that does the handshake, reads unmasked frames and answers pings.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import shutil
import socket
import time
from pathlib import Path

from tests.support.server import (
    HOST,
    MODERATOR,
    SECRET,
    SESSION_COOKIE,
    Server,
    form_headers,
    http,
    prepare_database,
    sign_in,
    sqlite_url,
)

TICK_MS = 150
RESULTS_MARK = b'id="poll-results"'
COUNTER_MARK = b'<p class="counter"><strong>'
CONNECT_CONCURRENCY = 256


# --- the screens ------------------------------------------------------------------------------------------


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


# --- the Samen side -------------------------------------------------------------------------------------


def metrics(port: int) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=60) as response:
        return {name: float(value) for name, value in
                (line.split() for line in response.read().decode().splitlines() if line)}


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
                                          form_headers(self.port, moderator), b"")
        if status != 200:
            raise RuntimeError(f"opening the poll answered {status}: {body[:200]!r}")

    async def vote(self, k: int) -> bool:
        body = f"option={self.options[k % len(self.options)]}".encode()
        try:
            status, _h, _b, _t = await asyncio.wait_for(http(
                self.port, "POST", f"/e/{self.slug}/polls/{self.question_id}/vote",
                form_headers(self.port, self.cookies[k]), body), 60)
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
