"""Several real uvicorn processes sharing PostgreSQL and Redis behave like one: a vote through process A moves
the chart on a page connected to process B; a question approved on A appears on B; when A is killed, B's pages
keep working and A's pages reconnect to B and are current; a Redis restart heals by itself."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import websockets

from app.db import Database
from app.demo import SLUG, create_demo, demo_token
from app.migrate import upgrade
from tests.services import postgres_database, require_redis

SECRET = "multi-process-test-secret"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, database_url: str, redis_url: str, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, BROKER_URL=redis_url, SECRET_KEY=SECRET,
                   BASE_URL=self.base, LIVE_TICK_MS="50", SAMEN_DATA_DIR=str(tmp))
        self.log = open(tmp / f"uvicorn-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--ws-per-message-deflate", "false"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)  # noqa: S310 - our own server
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None:
                    log = (tmp / f"uvicorn-{self.port}.log").read_text()[-2000:]
                    raise RuntimeError(f"uvicorn exited: {log}") from None
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not become healthy")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(process: Process, path: str, cookie: str = "", data: dict | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data or {}).encode() if data is not None else None
    headers = {"Cookie": cookie, "Origin": process.base}
    req = urllib.request.Request(process.base + path, data=body, headers=headers, method="POST" if data is not None else "GET")  # noqa: S310 - our own server
    try:
        response = OPENER.open(req, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()


def sign_in(process: Process, link: str) -> str:
    status, headers, _ = request(process, link)
    assert status == 303, status
    return headers["set-cookie"].split(";")[0]


async def receive_until(ws, pattern: str, seconds: float = 10) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"{pattern!r} never arrived")
        message = await asyncio.wait_for(ws.recv(), remaining)
        if re.search(pattern, message):
            return message


async def receive_all(ws, patterns: list[str], seconds: float = 10) -> None:
    waiting = list(patterns)
    while waiting:
        message = await asyncio.wait_for(ws.recv(), seconds)
        waiting = [p for p in waiting if not re.search(p, message)]


def connect(process: Process, cookie: str, view: str = "participant"):
    return websockets.connect(f"ws://127.0.0.1:{process.port}/ws/{view}/{SLUG}", compression=None,
                              additional_headers={"Cookie": cookie, "Origin": process.base}, open_timeout=10)


@pytest.fixture
def cluster(tmp_path):
    redis_url = require_redis()
    with postgres_database() as database_url:
        upgrade(database_url)

        async def seed() -> None:
            db = Database(database_url)
            try:
                await create_demo(db, SECRET)
            finally:
                await db.dispose()

        asyncio.run(seed())
        processes = [Process(database_url, redis_url, tmp_path), Process(database_url, redis_url, tmp_path)]
        try:
            yield processes
        finally:
            for process in processes:
                process.kill()


def test_two_processes_on_postgresql_and_redis_behave_as_one(cluster):
    a, b = cluster
    erik_a = sign_in(a, f"/j/{demo_token(SECRET, 'participant:Erik van Dijk')}")
    fatima_b = sign_in(b, f"/j/{demo_token(SECRET, 'participant:Fatima Bouzid')}")
    jan_a = sign_in(a, f"/j/{demo_token(SECRET, 'participant:Jan de Boer')}")
    moderator_a = sign_in(a, f"/r/{demo_token(SECRET, 'moderator:Gespreksleider')}")

    async def scenario() -> None:
        async with connect(b, fatima_b) as page_on_b, connect(a, jan_a) as page_on_a:
            await receive_until(page_on_b, 'id="poll-results"')
            await receive_until(page_on_a, 'id="poll-results"')
            # A vote through A moves the chart on B.
            assert request(a, "/e/netwerkdag-4-december/polls/1/open", moderator_a, {})[0] == 200
            assert request(a, "/e/netwerkdag-4-december/polls/1/vote", erik_a, {"option": "1"})[0] == 200
            await receive_until(page_on_b, r'class="counter"><strong>1</strong>')
            # A question approved on A appears on B.
            assert request(a, "/e/netwerkdag-4-december/questions", erik_a, {"body": "Vraag via proces A"})[0] == 200
            _, _, console = request(a, "/e/netwerkdag-4-december/moderator", moderator_a)
            question_id = re.search(r'/moderator/questions/(\d+)"', console).group(1)
            assert request(a, f"/e/netwerkdag-4-december/moderator/questions/{question_id}", moderator_a,
                           {"action": "approve"})[0] == 200
            await receive_until(page_on_b, "Vraag via proces A")

            # Process A dies. B's pages keep working; A's page reconnects (to B, as a load balancer would
            # send it) and is current at once.
            a.kill()
            with pytest.raises(Exception):  # noqa: B017 - the socket to A is gone, however it reports that
                await receive_until(page_on_a, "never", seconds=3)
            assert request(b, "/e/netwerkdag-4-december/polls/1/vote", fatima_b, {"option": "2"})[0] == 200
            await receive_until(page_on_b, r'class="counter"><strong>2</strong>')
        async with connect(b, jan_a) as reconnected:  # its snapshot carries both, in whatever order
            await receive_all(reconnected, [r'class="counter"><strong>2</strong>', "Vraag via proces A"])

    asyncio.run(scenario())


def restart_redis(port: int) -> None:
    """What an operator's restart does: Redis goes away (with every subscription) and comes back empty."""
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
                    "--save", "", "--appendonly", "no"], check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "Redis did not come back"
        time.sleep(0.1)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to restart Redis")
def test_a_redis_restart_heals_by_itself(cluster):
    a, b = cluster
    erik_a = sign_in(a, f"/j/{demo_token(SECRET, 'participant:Erik van Dijk')}")
    fatima_b = sign_in(b, f"/j/{demo_token(SECRET, 'participant:Fatima Bouzid')}")
    moderator_a = sign_in(a, f"/r/{demo_token(SECRET, 'moderator:Gespreksleider')}")
    port = urllib.parse.urlparse(require_redis()).port or 6379

    async def scenario() -> None:
        async with connect(b, fatima_b) as page_on_b:
            await receive_until(page_on_b, 'id="poll-results"')
            await asyncio.to_thread(restart_redis, port)
            await asyncio.sleep(1.5)  # the brokers reconnect with backoff
            assert request(a, "/e/netwerkdag-4-december/polls/1/open", moderator_a, {})[0] == 200
            assert request(a, "/e/netwerkdag-4-december/polls/1/vote", erik_a, {"option": "1"})[0] == 200
            await receive_until(page_on_b, r'class="counter"><strong>1</strong>', seconds=15)

    asyncio.run(scenario())
