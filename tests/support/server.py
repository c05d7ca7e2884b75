"""A real Samen server for load tools and their tests: uvicorn in its own process (as the Procfile runs it) on a
database seeded with the demo event and extra participants, and a minimal raw HTTP/1.1 client for it (one
connection per request, as phones would). Used by the multiprocess tests (tests/multiprocess) and the benches
(bench/), which import it from here."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from app.live.wire import uvicorn_flags

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SECRET = "bench-secret-key-not-for-production"
SESSION_COOKIE = "samen_session"
MODERATOR = "moderator:Gespreksleider"

HTTP_TIMEOUT = 30.0
STARTUP_SECONDS = 30.0

# The same server under cProfile (event-loop thread only). uvicorn re-raises SIGTERM after its graceful shutdown
# with the handler it found installed, so a no-op handler lets the profile be written.
PROFILED_SERVER = """
import cProfile, signal, sys, uvicorn
signal.signal(signal.SIGTERM, lambda *_: None)
profile = cProfile.Profile()
profile.enable()
try:
    from app.live.wire import UVICORN_OPTIONS
    uvicorn.run("app.main:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]), backlog=4096,
                **UVICORN_OPTIONS)
finally:
    profile.disable()
    profile.dump_stats(sys.argv[2])
"""

# What the poll's live fragment shows: its id, the voter count, the chart's figure JSON and the table's counts.
RESULTS_ID = 'id="poll-results"'
COUNTER = re.compile(r'<p class="counter"><strong>(\d+)</strong>')
CHART_JSON = re.compile(r'<script type="application/json" data-chart="[^"]*">(.*?)</script>', re.S)
TABLE_COUNT = re.compile(r'</th><td class="num">(\d+)</td><td class="num">\d+%</td></tr>')


# --- set-up ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sqlite_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


def prepare_database(db_path: Path | str, voters: int) -> tuple[list[str], int, list[int]]:
    """Migrate, create the demo and ``voters`` participants (one write transaction); return their invite
    tokens, the id of poll question 1 and its option ids. ``db_path`` is a SQLite file or any database URL
    (e.g. ``postgresql+asyncpg://…`` of an empty database). Runs outside any event loop (Alembic uses asyncio.run)."""
    from sqlalchemy import select

    from app.db import Database
    from app.demo import SLUG, create_demo
    from app.events.models import Event
    from app.events.service import create_participant
    from app.migrate import upgrade
    from app.polls.models import PollOption, PollQuestion

    url = db_path if isinstance(db_path, str) else sqlite_url(db_path)
    upgrade(url)

    async def seed() -> tuple[list[str], int, list[int]]:
        db = Database(url)
        try:
            await create_demo(db, SECRET)
            async with db.write() as session:
                event = await session.scalar(select(Event).where(Event.slug == SLUG))
                assert event is not None
                tokens = []
                for i in range(voters):
                    _participant, token = await create_participant(session, event, f"Stemmer {i + 1}", None, "Bench")
                    tokens.append(token)
            async with db.read() as session:
                (question_id, kind), = (await session.execute(
                    select(PollQuestion.id, PollQuestion.kind)
                    .where(PollQuestion.event_id == event.id, PollQuestion.position == 1))).all()
                assert kind == "single", kind
                options = list(await session.scalars(
                    select(PollOption.id).where(PollOption.question_id == question_id).order_by(PollOption.position)))
            return tokens, question_id, options
        finally:
            await db.dispose()

    return asyncio.run(seed())


class Server:
    """uvicorn app.main:create_app in its own process (one worker), as the Procfile runs it.

    By default on the SQLite file ``samen.db`` in ``data_dir`` with the in-process broker; ``database_url`` and
    ``broker_url`` (e.g. PostgreSQL and ``redis://…``) let several of them share one database and broker."""

    def __init__(self, data_dir: Path, tick_ms: int, profile: bool = False, *, database_url: str | None = None,
                 broker_url: str | None = None, name: str = "uvicorn") -> None:
        self.data_dir = data_dir
        self.profile_path = data_dir / f"{name}.prof" if profile else None
        if profile and name == "uvicorn":
            self.profile_path = data_dir / "server.prof"
        self.port = free_port()
        self.tick_ms = tick_ms
        self.database_url = database_url or sqlite_url(data_dir / "samen.db")
        self.broker_url = broker_url
        self.name = name
        self.log_path = data_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.last_cpu_s = 0.0  # CPU seconds read while the process still ran (after it ends /proc has no entry)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "SECRET_KEY": SECRET, "BASE_URL": self.base_url, "LIVE_TICK_MS": str(self.tick_ms),
               "SAMEN_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"}
        env.pop("ALLOWED_ORIGINS", None)
        env.pop("BROKER_URL", None)
        if self.broker_url:
            env["BROKER_URL"] = self.broker_url
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", HOST,
                   "--port", str(self.port), *uvicorn_flags(), "--backlog", "4096"]
        if self.profile_path:
            command = [sys.executable, "-c", PROFILED_SERVER, str(self.port), str(self.profile_path)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"uvicorn did not become healthy within {STARTUP_SECONDS:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None:
            self.cpu_seconds()  # the last reading, kept for after the process is gone
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        except BaseException:
            with contextlib.suppress(OSError):
                process.kill()
            raise

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) in MiB."""
        values = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024
        return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)

    def cpu_seconds(self) -> float:
        """utime + stime of the server process (all its threads, e.g. aiosqlite's)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        except (OSError, AssertionError):
            return self.last_cpu_s
        self.last_cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return self.last_cpu_s

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def errors(self) -> list[str]:
        """Distinct problems in the server log: the exception line closing each traceback, and the live layer's
        "closing a WebSocket that stopped reading", with how often each occurred."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        found: dict[str, int] = {}
        in_traceback = False
        for line in lines:
            if line.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and line and not line.startswith((" ", "\t")):
                if not line.startswith(("During handling", "The above exception")):
                    found[line[:240]] = found.get(line[:240], 0) + 1
                    in_traceback = False
            elif "closing a WebSocket" in line:
                found["closing a WebSocket that stopped reading"] = found.get("closing a WebSocket that stopped reading", 0) + 1
        return [f"{n}× {text}" for text, n in found.items()]


# --- a minimal HTTP/1.1 client (one connection per request, as phones would) ----------------------------


async def http(port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"",
               ) -> tuple[int, list[tuple[str, str]], bytes, float]:
    """Returns (status, headers, body, time the response head arrived)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        arrived = time.monotonic()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        parsed = [(k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines if h)]
        rest = await reader.read()
        if any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in parsed):
            rest = _unchunk(rest)
        return status, parsed, rest, arrived
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _unchunk(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for key, value in headers:
        if key == "set-cookie" and value.startswith(SESSION_COOKIE + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


async def sign_in(port: int, path: str) -> str:
    status, headers, _body, _t = await asyncio.wait_for(http(port, "GET", path), HTTP_TIMEOUT)
    cookie = _session_cookie(headers)
    if status != 303 or not cookie:
        raise RuntimeError(f"GET {path[:8]}… answered {status} without a session cookie")
    return cookie


def form_headers(port: int, cookie: str) -> dict[str, str]:
    return {"Origin": f"http://{HOST}:{port}", "Sec-Fetch-Site": "same-origin", "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{SESSION_COOKIE}={cookie}"}


# --- measuring ------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99, max and min of ``values`` (nearest rank), or {} for none."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": ordered[-1], "min": ordered[0]}


def raise_open_files_limit() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def client_runner() -> tuple[Callable, str]:
    """uvloop.run if uvloop is installed (a cheaper client), else asyncio.run."""
    try:
        import uvloop

        return uvloop.run, "uvloop"
    except ImportError:  # pragma: no cover
        return asyncio.run, "asyncio"
