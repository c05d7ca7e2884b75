"""The frame flood of bench/frame_flood.py (its docstring describes the scenarios and what is measured): here so
that its short run in the suite, tests/multiprocess/test_frame_flood.py, and the bench share it without the test
importing the bench."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import re
import shutil
import socket
import struct
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

from tests.support.server import HOST, SESSION_COOKIE, Server, prepare_database, sign_in, sqlite_url

SLUG = "netwerkdag-4-december"
MAX_FRAME = 64 * 1024
TIMEOUT = 10.0  # connect, handshake answer
CLOSE_WAIT = 5.0  # how long a connection that broke the protocol may take to be closed by the server
# Scenarios that break no rule once the handshake is accepted: the server may keep these connections open.
LAWFUL = {"text", "binary", "interleaved", "pings", "pipelined", "http10"}

# --- frames (RFC 6455 section 5.2) -------------------------------------------------------------------------

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True, rsv: int = 0,
          length: int | None = None) -> bytes:
    """One client frame. ``length`` declares another payload length than the bytes that follow."""
    declared = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask else 0
    if declared < 126:
        head += bytes([bit | declared])
    elif declared < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", declared)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", declared)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_frame(code: int | None = 1000, reason: bytes = b"") -> bytes:
    return frame(CLOSE, (struct.pack("!H", code) if code is not None else b"") + reason)


# --- scenarios ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What one connection sends: bytes before the handshake, the handshake, then frames (each one counted)."""

    scenario: str
    handshake: bytes
    frames: list[bytes] = field(default_factory=list)
    before: bytes = b""
    pipeline: bool = False  # frames go out with the handshake, before its answer
    reset: bool = False  # end with a TCP reset, in the middle of a frame
    close: bool = True  # end politely (close frame) if the server has not closed it


@dataclass
class Context:
    port: int
    cookies: list[str]
    rng: random.Random

    def cookie(self) -> str:
        return f"{SESSION_COOKIE}={self.rng.choice(self.cookies)}"

    def handshake(self, path: str = f"/ws/participant/{SLUG}", *, origin: str | None = "", cookie: str | None = "",
                  key: str | None = None, version: str = "13", extra: list[str] | None = None,
                  request_line: str | None = None) -> bytes:
        lines = [request_line or f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode() if key is None else key}",
                 f"Sec-WebSocket-Version: {version}"]
        if origin is not None:
            lines.append(f"Origin: {origin or f'http://{HOST}:{self.port}'}")
        if cookie is not None:
            lines.append(f"Cookie: {cookie or self.cookie()}")
        lines += extra or []
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _text(rng: random.Random) -> bytes:
    return rng.choice([b"{}", b'{"type":"vote","option":1}', b"x" * rng.randrange(1, 2000), "één ✓".encode(),
                       b"", b"\x00" * 10, b'{"hx-trigger":"' + b"A" * 500 + b'"}'])


def _many(rng: random.Random, n: int, make: Callable[[random.Random], bytes]) -> list[bytes]:
    return [make(rng) for _ in range(n)]


def accepted(name: str, build: Callable[[Context], list[bytes]], **plan: object) -> Callable[[Context], Plan]:
    return lambda ctx: Plan(name, ctx.handshake(), build(ctx), **plan)  # type: ignore[arg-type]


def _valid_prefix(ctx: Context, bad: list[bytes]) -> list[bytes]:
    """Some ordinary frames, the offending frame(s), then more frames the server must no longer act on."""
    rng = ctx.rng
    return [frame(TEXT, _text(rng)) for _ in range(rng.randrange(0, 20))] + bad + \
        [frame(TEXT, _text(rng)) for _ in range(rng.randrange(5, 40))]


SCENARIOS: dict[str, Callable[[Context], Plan]] = {
    # proper handshake, then ...
    "text": accepted("text", lambda c: _many(c.rng, c.rng.randrange(50, 110), lambda r: frame(TEXT, _text(r)))),
    "binary": accepted("binary", lambda c: _many(c.rng, c.rng.randrange(50, 110),
                                                 lambda r: frame(BINARY, r.randbytes(r.randrange(0, 4000))))),
    "text-flood": accepted("text-flood", lambda c: _many(c.rng, 300, lambda r: frame(TEXT, b"{}"))),
    "pings": accepted("pings", lambda c: _many(c.rng, 100, lambda r: frame(r.choice([PING, PONG]), r.randbytes(125)))),
    "interleaved": accepted("interleaved", lambda c: [
        f for _ in range(20) for f in (frame(TEXT, b"a" * 100, fin=False), frame(PING, b"p"), frame(CONT, b"b", fin=False),
                                       frame(PONG, b"q"), frame(CONT, b"c"))]),
    "invalid-utf8": accepted("invalid-utf8", lambda c: _valid_prefix(c, [frame(TEXT, b"\xff\xfe\xc3\x28")])),
    "reserved-bits": accepted("reserved-bits", lambda c: _valid_prefix(
        c, [frame(TEXT, b"{}", rsv=c.rng.choice([1, 2, 4, 7]))])),
    "reserved-opcode": accepted("reserved-opcode", lambda c: _valid_prefix(
        c, [frame(c.rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"x")])),
    "unmasked": accepted("unmasked", lambda c: _valid_prefix(c, [frame(TEXT, b"{}", mask=False)])),
    "oversized": accepted("oversized", lambda c: _valid_prefix(c, [frame(TEXT, b"x" * (MAX_FRAME + 1024))])),
    "huge-length": accepted("huge-length", lambda c: _valid_prefix(
        c, [frame(c.rng.choice([TEXT, BINARY, CONT]), b"x" * 100, length=c.rng.choice([2**40, 2**63 - 1, MAX_FRAME + 1]))])),
    "cont-first": accepted("cont-first", lambda c: [frame(CONT, b"orphan")] + _valid_prefix(c, [])),
    "new-message-inside-fragment": accepted("new-message-inside-fragment", lambda c: _valid_prefix(
        c, [frame(TEXT, b"part", fin=False), frame(TEXT, b"new")])),
    "fragments-over-cap": accepted("fragments-over-cap", lambda c: _valid_prefix(
        c, [frame(TEXT, b"x" * 30_000, fin=False), frame(CONT, b"x" * 30_000, fin=False), frame(CONT, b"x" * 30_000)])),
    "fragmented-control": accepted("fragmented-control", lambda c: _valid_prefix(c, [frame(PING, b"p", fin=False)])),
    "long-control": accepted("long-control", lambda c: _valid_prefix(c, [frame(PING, b"p" * 200)])),
    "bad-close": accepted("bad-close", lambda c: _valid_prefix(c, [c.rng.choice([
        frame(CLOSE, b"\x03"), close_frame(999), close_frame(1005), close_frame(1006), close_frame(1015),
        close_frame(5000 + c.rng.randrange(60000)), close_frame(1000, b"\xff\xfe"), close_frame(1000, b"r" * 124)])])),
    "after-close": accepted("after-close", lambda c: [frame(TEXT, b"{}"), close_frame(1000)] + _many(
        c.rng, 50, lambda r: frame(TEXT, _text(r)))),
    "reset-mid-frame": lambda c: Plan("reset-mid-frame", c.handshake(), _many(c.rng, 20, lambda r: frame(TEXT, _text(r)))
                                      + [frame(TEXT, b"x" * 5000)[:100]], reset=True),
    # refused handshakes, frames sent anyway
    "bad-origin": lambda c: Plan("bad-origin", c.handshake(origin=c.rng.choice(
        ["https://evil.example", "null", f"http://{HOST}:{c.port}.evil.example", "http://127.0.0.1"])), _frames(c, 10)),
    "no-origin": lambda c: Plan("no-origin", c.handshake(origin=None), _frames(c, 10)),
    "no-cookie": lambda c: Plan("no-cookie", c.handshake(cookie=None), _frames(c, 10)),
    "forged-cookie": lambda c: Plan("forged-cookie", c.handshake(cookie=f"{SESSION_COOKIE}=eyJwIjp7IjEiOlsxLDFdfX0=.x.y"),
                                    _frames(c, 10)),
    "bad-path": lambda c: Plan("bad-path", c.handshake(c.rng.choice([
        "/ws/admin/" + SLUG, "/ws/participant/bestaat-niet", "/ws/participant/%00", "/ws/organiser/" + SLUG,
        "/ws/participant/" + "x" * 3000, "/ws/moderator/" + SLUG + "?lang=%FF", "/ws/../healthz", "/ws/"])), _frames(c, 10)),
    "bad-key": lambda c: Plan("bad-key", c.handshake(key=c.rng.choice(["", "short", "!" * 24, "x" * 300])), _frames(c, 5)),
    "bad-version": lambda c: Plan("bad-version", c.handshake(version=c.rng.choice(["12", "", "13, 8", "x"])), _frames(c, 5)),
    "pipelined": lambda c: Plan("pipelined", c.handshake(), _frames(c, 50), pipeline=True),
    # garbage
    "garbage-first": lambda c: Plan("garbage-first", c.handshake(), _frames(c, 20),
                                    before=b"".join(_frames(c, 5)) + c.rng.randbytes(200) + b"\r\n\r\n"),
    "huge-header": lambda c: Plan("huge-header", c.handshake(extra=["X-Pad: " + "a" * 100_000]), _frames(c, 5)),
    "long-request-line": lambda c: Plan("long-request-line", c.handshake(f"/ws/participant/{SLUG}?" + "a" * 10_000),
                                        _frames(c, 5)),
    "many-headers": lambda c: Plan("many-headers", c.handshake(extra=[f"X-H{i}: {i}" for i in range(300)]), _frames(c, 5)),
    "non-ascii-path": lambda c: Plan("non-ascii-path", c.handshake(request_line=f"GET /ws/participant/{SLUG}\xff\xfe HTTP/1.1"),
                                     _frames(c, 5)),
    "http10": lambda c: Plan("http10", c.handshake(request_line=f"GET /ws/participant/{SLUG} HTTP/1.0"), _frames(c, 5)),
    "post-upgrade": lambda c: Plan("post-upgrade", c.handshake(request_line=f"POST /ws/participant/{SLUG} HTTP/1.1"),
                                   _frames(c, 5)),
    "http-non-utf8-query": lambda c: Plan("http-non-utf8-query", (
        "GET /?lang=\xff\xfe&code=\xe9 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").replace(
        "{host}", f"{HOST}:{c.port}").encode("latin-1"), [], close=False),
}


def _frames(ctx: Context, n: int) -> list[bytes]:
    return [frame(ctx.rng.choice([TEXT, BINARY]), _text(ctx.rng)) for _ in range(n)]


# --- one connection ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    scenario: str
    frames: int = 0  # written to the socket
    status: int | None = None  # the handshake's HTTP status (101, 403, 400, ...), None if none came
    ending: str = ""  # "closed by server (code)", "reset by server", "closed by client", "left open"
    received: int = 0  # bytes from the server
    error: str = ""


async def _read_head(reader: asyncio.StreamReader) -> tuple[int | None, bytes]:
    """The HTTP status of the answer to the handshake, and whatever bytes came after its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(match.group(1)) if match else None), rest


class FrameReader:
    """Reads the server's frames (snapshot pushes, pongs, pings, the close) until EOF; notes the close code."""

    def __init__(self, reader: asyncio.StreamReader, initial: bytes, parse: bool = True) -> None:
        self.reader, self.buffer, self.parse = reader, bytearray(initial), parse
        self.close_code: int | None = None
        self.closed = asyncio.Event()  # a close frame arrived, or the connection ended
        self.ended = asyncio.Event()  # the connection ended (EOF or reset)
        self.received = len(initial)
        self.how = ""

    async def run(self) -> None:
        try:
            while True:
                self._parse()
                chunk = await self.reader.read(65536)
                if not chunk:
                    self.how = "eof"
                    return
                self.received += len(chunk)
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            self.how = "reset"
        finally:
            self.closed.set()
            self.ended.set()

    def _parse(self) -> None:
        if not self.parse:
            self.buffer.clear()
        while len(self.buffer) >= 2:
            b0, b1 = self.buffer[0], self.buffer[1]
            size, offset = b1 & 0x7F, 2
            if size == 126:
                if len(self.buffer) < 4:
                    return
                size, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif size == 127:
                if len(self.buffer) < 10:
                    return
                size, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < offset + size:
                return
            if b0 & 0x0F == CLOSE and self.close_code is None:
                payload = self.buffer[offset:offset + size]
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.closed.set()
            del self.buffer[:offset + size]


async def run_connection(plan: Plan, port: int) -> Outcome:
    """Run one plan; never raises. ``ending`` says who ended the connection and how; "left open" means the
    server neither closed nor answered a connection that broke the rules (or that it refused) within CLOSE_WAIT."""
    outcome = Outcome(plan.scenario)
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port, limit=2**20), TIMEOUT)
        first = plan.before + plan.handshake + (b"".join(plan.frames) if plan.pipeline else b"")
        writer.write(first)
        outcome.frames = len(plan.frames) if plan.pipeline else 0
        await asyncio.wait_for(writer.drain(), TIMEOUT)
        try:
            outcome.status, rest = await asyncio.wait_for(_read_head(reader), CLOSE_WAIT)
        except TimeoutError:
            outcome.ending = "no answer, left open"  # the server neither answered the handshake nor closed
            return outcome
        # After a refusal the bytes that follow are an HTTP body, not frames: read them, parse nothing.
        frames = FrameReader(reader, rest, parse=outcome.status == 101)
        reading = asyncio.create_task(frames.run())
        if not plan.pipeline:
            for start in range(0, len(plan.frames), 16):  # in batches, noticing a close on the way
                if frames.ended.is_set() or writer.transport.is_closing():
                    break
                batch = plan.frames[start:start + 16]
                try:
                    writer.write(b"".join(batch))
                    await asyncio.wait_for(writer.drain(), TIMEOUT)
                except (ConnectionResetError, BrokenPipeError):
                    break
                outcome.frames += len(batch)
        if plan.reset:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            reading.cancel()
            outcome.ending = "reset by client"
            return outcome
        lawful = plan.scenario in LAWFUL and outcome.status == 101
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(frames.closed.wait(), 0.3 if lawful else CLOSE_WAIT)
        if frames.close_code is not None:
            outcome.ending = f"closed by server ({frames.close_code})"
            with contextlib.suppress(Exception):  # answer the close, as a client must
                writer.write(close_frame(1000))
                await asyncio.wait_for(writer.drain(), 2.0)
                await asyncio.wait_for(frames.ended.wait(), 2.0)
        elif frames.ended.is_set():
            outcome.ending = "reset by server" if frames.how == "reset" else "closed by server"
        else:
            outcome.ending = "closed by client" if lawful else "left open"
            if plan.close:
                with contextlib.suppress(Exception):
                    writer.write(close_frame(1000))
                    await asyncio.wait_for(writer.drain(), 2.0)
                    await asyncio.wait_for(frames.ended.wait(), 2.0)
        reading.cancel()
        outcome.received = frames.received
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
        outcome.error = f"{type(error).__name__}: {error}"[:200]
        outcome.ending = outcome.ending or "client error"
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2.0)
    return outcome


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class Config:
    frames: int = 100_000
    concurrency: int = 48
    participants: int = 40
    seed: int = 20261204
    keep: bool = False
    database_url: str | None = None  # default: a fresh SQLite file
    broker_url: str | None = None


@dataclass
class Result:
    config: Config
    frames: int = 0
    connections: int = 0
    by_scenario: dict[str, Counter] = field(default_factory=dict)
    frames_by_scenario: Counter = field(default_factory=Counter)
    endings: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    client_5xx: int = 0
    log_5xx: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)  # the server's own errors (not UVICORN_CLIENT_NOISE)
    client_noise: list[str] = field(default_factory=list)
    left_open: int = 0
    client_errors: Counter = field(default_factory=Counter)
    healthz_polls: int = 0
    healthz_failures: int = 0
    healthz_slowest_ms: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_peak_before_mb: float = 0.0  # VmHWM before the flood (start-up): a peak above it was reached during it
    pages_after: int | None = None
    rss_samples: list[float] = field(default_factory=list)
    healthz_after: bool = False
    page_after: bool = False
    snapshot_after: bool = False
    flood_seconds: float = 0.0
    total_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def closed_by_server(self) -> int:
        return sum(n for ending, n in self.endings.items() if ending.startswith(("closed by server", "reset by server")))

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_after_mb - self.rss_before_mb


def _get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError as error:
        return 0, str(error)


def _live_pages(port: int) -> int | None:
    """Pages the hub still counts as connected (from /metrics, if this version serves it): after the flood
    every connection has ended, so anything above 0 would be a socket the live layer never let go of."""
    status, text = _get(port, "/metrics")
    match = re.search(r"^samen_live_pages (\d+)$", text, re.M) if status == 200 else None
    return int(match.group(1)) if match else None


async def _healthz_watch(port: int, result: Result, stop: asyncio.Event) -> None:
    """/healthz twice a second during the flood: it must keep answering, and quickly."""
    while not stop.is_set():
        started = time.monotonic()
        status, _ = await asyncio.to_thread(_get, port, "/healthz")
        result.healthz_polls += 1
        result.healthz_failures += status != 200
        result.healthz_slowest_ms = max(result.healthz_slowest_ms, (time.monotonic() - started) * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def snapshot_ok(port: int, cookie: str) -> bool:
    """A proper WebSocket client gets its page's snapshot (the programme fragment)."""
    try:
        async with connect(f"ws://{HOST}:{port}/ws/participant/{SLUG}", origin=f"http://{HOST}:{port}",
                           additional_headers={"Cookie": cookie}, compression=None, open_timeout=TIMEOUT) as ws:
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                message = await asyncio.wait_for(ws.recv(), TIMEOUT)
                if isinstance(message, str) and 'id="programme"' in message:
                    return True
    except Exception:  # noqa: BLE001 - any failure is a "no", reported as such
        return False
    return False


async def flood(config: Config, server: Server, cookies: list[str], result: Result,
                log: Callable[[str], None]) -> None:
    port = server.port
    ctx = Context(port, cookies, random.Random(config.seed))
    names = sorted(SCENARIOS)
    # Warm up (templates, connection pools, the hub's first renders) before the "before" reading of RSS.
    for cookie in cookies[:10]:
        await snapshot_ok(port, f"{SESSION_COOKIE}={cookie}")
    await asyncio.sleep(1.0)
    result.rss_before_mb, result.rss_peak_before_mb = server.rss_mb()
    stop = asyncio.Event()
    watcher = asyncio.create_task(_healthz_watch(port, result, stop))
    started = time.monotonic()
    pending: dict[asyncio.Task, int] = {}  # connection -> the frames it plans to write
    order: list[str] = []
    next_sample = config.frames / 10

    def record(outcome: Outcome) -> None:
        nonlocal next_sample
        result.connections += 1
        result.frames += outcome.frames
        result.frames_by_scenario[outcome.scenario] += outcome.frames
        answer = "no answer" if outcome.status is None else f"{outcome.status}"
        result.by_scenario.setdefault(outcome.scenario, Counter())[f"{answer} → {outcome.ending}"] += 1
        result.endings[outcome.ending] += 1
        result.statuses[outcome.status] += 1
        result.client_5xx += outcome.status is not None and outcome.status >= 500
        if outcome.error:
            result.client_errors[outcome.error.split(":")[0]] += 1
        if result.frames >= next_sample:
            result.rss_samples.append(server.rss_mb()[0])
            next_sample += config.frames / 10
            log(f"  {result.frames:,} frames, {result.connections:,} connections, RSS {result.rss_samples[-1]:.0f} MiB")

    # Until --frames frames were really written (a refused handshake's frames often cannot be).
    while result.frames + sum(pending.values()) < config.frames or pending:
        while result.frames + sum(pending.values()) < config.frames and len(pending) < config.concurrency:
            if not order:  # every scenario once per round, in a new order each round
                order = ctx.rng.sample(names, len(names))
            plan = SCENARIOS[order.pop()](ctx)
            pending[asyncio.create_task(run_connection(plan, port))] = len(plan.frames)
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            del pending[task]
            record(task.result())
    result.flood_seconds = time.monotonic() - started
    stop.set()
    await watcher
    await asyncio.sleep(2.0)  # let the server finish closing what the client gave up on
    result.rss_after_mb, result.rss_peak_mb = server.rss_mb()
    result.pages_after = _live_pages(port)
    # Afterwards: still healthy, a page still renders, a proper client still gets its snapshot.
    cookie = f"{SESSION_COOKIE}={cookies[-1]}"
    result.healthz_after = (await asyncio.to_thread(_get, port, "/healthz"))[0] == 200
    status, page = await asyncio.to_thread(_get, port, f"/e/{SLUG}", cookie)
    result.page_after = status == 200 and 'id="programme"' in page
    result.snapshot_after = await snapshot_ok(port, cookie)


# uvicorn logs a text frame that is not UTF-8 (the client's error, answered with close 1007) at ERROR, with a
# traceback. Counted apart from the server's own errors: it is noise a client can cause, not a failure.
UVICORN_CLIENT_NOISE = ("Invalid UTF-8 sequence received from client.",
                        "UnicodeDecodeError: 'utf-8' codec can't decode byte")

FIVE_XX = re.compile(r'"(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|WebSocket) [^"]*"\s+(5\d\d)\b|HTTP/1\.[01]" (5\d\d)\b')


def scan_log(path: Path) -> tuple[list[str], list[str]]:
    """(5xx access lines, the exception line closing each traceback or logged error) of the server's log."""
    five, problems = [], []
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return [], ["(no server log)"]
    in_traceback = False
    for line in lines:
        if FIVE_XX.search(line):
            five.append(line[:200])
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t")):
            if not line.startswith(("During handling", "The above exception")):
                problems.append(line[:200])
                in_traceback = False
        elif line.startswith(("ERROR", "CRITICAL")) or "Exception in" in line or "Fatal error" in line:
            problems.append(line[:200])
    return five, problems


def run(config: Config, log: Callable[[str], None] | None = None) -> Result:
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    result = Result(config)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="samen-flood-"))
    url = config.database_url or sqlite_url(work / "samen.db")
    server = None
    try:
        tokens, _question, _options = prepare_database(url, config.participants)
        server = Server(work, 150, database_url=url, broker_url=config.broker_url)
        server.start()
        log(f"frame flood: {config.frames:,} frames, {config.concurrency} connections at a time, server pid {server.pid}")

        async def main() -> None:
            cookies = [await sign_in(server.port, f"/j/{token}") for token in tokens]
            await flood(config, server, cookies, result, log)

        asyncio.run(main())
        if server.process is not None and server.process.poll() is not None:
            result.notes.append(f"the server ended during the run (exit code {server.process.returncode})")
        server.stop()
        result.left_open = sum(n for ending, n in result.endings.items() if "left open" in ending)
        result.log_5xx, problems = scan_log(server.log_path)
        result.client_noise = [p for p in problems if any(n in p for n in UVICORN_CLIENT_NOISE)]
        result.tracebacks = [p for p in problems if p not in result.client_noise]
    finally:
        if server is not None:
            server.stop()
        if config.keep:
            log(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        result.total_seconds = time.monotonic() - started
    return result


def table(result: Result) -> str:
    r = result
    rows = [
        ("frames written", f"{r.frames:,}"),
        ("connections", f"{r.connections:,}"),
        ("handshake answers", ", ".join(f"{s or 'none'}: {n}" for s, n in sorted(r.statuses.items(), key=lambda x: str(x[0])))),
        ("closed by the server", f"{r.closed_by_server:,}"),
        ("left open after a violation", f"{r.left_open}"),
        ("5xx seen by the client", f"{r.client_5xx}"),
        ("5xx in the server log", f"{len(r.log_5xx)}"),
        ("server errors / tracebacks in the log", f"{len(r.tracebacks)}"),
        ("client errors uvicorn logs at ERROR", f"{len(r.client_noise)} lines"),
        ("/healthz during the flood", f"{r.healthz_polls - r.healthz_failures}/{r.healthz_polls} ok, "
                                      f"slowest {r.healthz_slowest_ms:.0f} ms"),
        ("server RSS before / after", f"{r.rss_before_mb:.0f} / {r.rss_after_mb:.0f} MiB ({r.rss_growth_mb:+.1f} MiB)"),
        ("server peak RSS before / after", f"{r.rss_peak_before_mb:.0f} / {r.rss_peak_mb:.0f} MiB (VmHWM)"),
        ("live pages still open afterwards", "–" if r.pages_after is None else f"{r.pages_after}"),
        ("RSS during the flood (each 10 %)", " ".join(f"{v:.0f}" for v in r.rss_samples)),
        ("afterwards: /healthz, page, snapshot", ", ".join("ok" if ok else "FAILED"
                                                           for ok in (r.healthz_after, r.page_after, r.snapshot_after))),
        ("flood / whole run", f"{r.flood_seconds:.1f} s / {r.total_seconds:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    out = [f"{k:<{width}}  {v}" for k, v in rows]
    out.append("")
    out.append("by scenario (frames; how the connections ended):")
    for name in sorted(r.by_scenario):
        endings = ", ".join(f"{ending}: {n}" for ending, n in r.by_scenario[name].most_common())
        out.append(f"  {name:<28} {r.frames_by_scenario[name]:>7,}  {endings}")
    for label, items in (("5xx in the log", r.log_5xx), ("server errors in the log", r.tracebacks),
                         ("client errors logged by uvicorn", r.client_noise),
                         ("client errors", [f"{n}× {e}" for e, n in r.client_errors.items()]), ("notes", r.notes)):
        if items:
            out.append(f"{label}:")
            out += [f"  {item}" for item in dict.fromkeys(items)][:20]
    return "\n".join(out)
