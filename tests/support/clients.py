"""Pieces shared by the crash loop and the races (tests/support/crash_loop.py, tests/support/races.py, run by the
benches bench/crash_loop.py and bench/races.py and by their fast tests): participants as httpx clients, signing in,
WebSocket snapshots, and reading the tallies a rendered page or a snapshot displays.

Every participant is its own ``httpx2.AsyncClient`` with its own cookie jar (its own browser), all of them over one
shared connection pool, so a thousand of them cost one pool rather than a thousand. Form posts carry what a
same-origin browser form sends (Origin, Sec-Fetch-Site) and ``HX-Request`` as htmx does.

The server side (uvicorn process, seeding, the ``samen_session`` cookie name, the fragment regexes) comes from
tests/support/server.py."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from websockets.asyncio.client import connect

from tests.support.server import (
    CHART_JSON,
    COUNTER,
    HOST,
    RESULTS_ID,
    SESSION_COOKIE,
    TABLE_COUNT,
    Server,
    client_runner,
    prepare_database,
    raise_open_files_limit,
    sqlite_url,
)

QUESTION_LIST_ID = 'id="question-list"'
# One approved question in the public list: its id and the count it shows (the data attribute the sorting script
# reads, and the number on the upvote button).
PUBLIC_ITEM = re.compile(r'<li id="public-(\d+)"[^>]*data-votes="(\d+)".*?<span class="vote-count">(\d+)</span>', re.S)


def shared_transport(max_connections: int) -> httpx2.AsyncHTTPTransport:
    """One connection pool for every participant (the clients only keep their own cookies). Idle connections are
    dropped after 1 s: uvicorn closes them after 5 s, and httpx's default of 5 s too would now and then reuse one
    the server is closing at that very moment (a ReadError that has nothing to do with the app)."""
    return httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=max_connections,
                                                          max_keepalive_connections=max_connections,
                                                          keepalive_expiry=1.0))


def participant_client(base_url: str, transport: httpx2.AsyncHTTPTransport, timeout: float = 30.0) -> httpx2.AsyncClient:
    """One person's browser. Not closed on its own: closing a client would close the shared transport."""
    return httpx2.AsyncClient(base_url=base_url, transport=transport, follow_redirects=False,
                              timeout=httpx2.Timeout(timeout, pool=120.0),
                              headers={"Origin": base_url, "Sec-Fetch-Site": "same-origin", "HX-Request": "true"})


async def sign_in(client: httpx2.AsyncClient, path: str) -> str:
    """Follow an invite (/j/…) or role link (/r/…); returns the session cookie it set (kept in the client's jar)."""
    response = await client.get(path)
    cookie = client.cookies.get(SESSION_COOKIE)
    if response.status_code != 303 or not cookie:
        raise RuntimeError(f"GET {path[:8]}… answered {response.status_code} without a session cookie")
    return cookie


async def sign_in_all(clients: list[httpx2.AsyncClient], paths: list[str], concurrency: int = 32) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: httpx2.AsyncClient, path: str) -> str:
        async with gate:
            return await sign_in(client, path)

    return list(await asyncio.gather(*(one(c, p) for c, p in zip(clients, paths, strict=True))))


def ws_connect(port: int, view: str, slug: str, cookie: str, open_timeout: float = 10.0):
    """A page's live socket, as hx-ws opens it (same origin, the page's cookie, no compression)."""
    return connect(f"ws://{HOST}:{port}/ws/{view}/{slug}", origin=f"http://{HOST}:{port}", compression=None,
                   additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, open_timeout=open_timeout,
                   ping_interval=None, close_timeout=2, max_size=2**22, max_queue=None)


async def snapshot(port: int, view: str, slug: str, cookie: str, wanted: tuple[str, ...] = (RESULTS_ID,),
                   seconds: float = 15.0) -> str:
    """Connect a fresh page and return its snapshot: the messages received until every ``wanted`` fragment id
    has arrived (each live part comes as its own message)."""
    async with ws_connect(port, view, slug, cookie) as ws:
        messages: list[str] = []
        deadline = time.monotonic() + seconds
        while not all(any(w in m for m in messages) for w in wanted):
            message = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
            if isinstance(message, str):
                messages.append(message)
        return "\n".join(messages)


@dataclass
class Shown:
    """What a page (or a snapshot) displays: the poll's counter, its chart and table, and the upvote counts."""

    voters: int | None = None
    chart: list[int] = field(default_factory=list)  # the figure's bars, in the answers' order
    table: list[int] = field(default_factory=list)  # votes per answer, in the table's order
    upvotes: dict[int, int] = field(default_factory=dict)  # question id -> the count on its button
    upvote_attrs: dict[int, int] = field(default_factory=dict)  # question id -> data-votes


def fragment(html: str, element_id: str) -> str:
    """The element with this id and what follows it up to the next top-level fragment (good enough for the
    flat fragments the live layer sends and the page renders)."""
    start = html.find(f'id="{element_id}"')
    if start < 0:
        return ""
    end = html.find("</section>" if element_id == "poll-results" else "</ol>", start)
    return html[start:end if end > 0 else len(html)]


def shown(html: str) -> Shown:
    result = Shown()
    results = fragment(html, "poll-results")
    if results:
        counter = COUNTER.search(results)
        result.voters = int(counter.group(1)) if counter else None
        chart = CHART_JSON.search(results)
        if chart:
            bars = json.loads(chart.group(1)).get("data") or [{}]
            result.chart = [int(x) for x in bars[0].get("x") or []]
        result.table = [int(n) for n in TABLE_COUNT.findall(results)]
    for question_id, attr, button in PUBLIC_ITEM.findall(fragment(html, "question-list")):
        result.upvote_attrs[int(question_id)] = int(attr)
        result.upvotes[int(question_id)] = int(button)
    return result


def run_with_server(config, make_run, prefix: str, headline: str, log, *,
                    database_url: str | None = None, broker_url: str | None = None):
    """The frame of a bench run: its own temp dir, seed, start a server, drive ``make_run(config, server, url,
    log)`` (its ``drive`` and ``result``), collect the server's errors; the server is always stopped.
    Without ``database_url`` a fresh SQLite file; with it, that (empty) database and ``broker_url``."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    url = database_url or sqlite_url(work / "samen.db")
    server = Server(work, config.tick_ms, database_url=url, broker_url=broker_url)
    raise_open_files_limit()
    try:
        log(headline)
        tokens, question_id, options = prepare_database(url, config.participants)
        server.start()
        client = make_run(config, server, url, log)
        runner, _name = client_runner()
        runner(client.drive(tokens, question_id, options))
        result = client.result
        server.stop()
        result.server_errors = server.errors()
    finally:
        server.stop()
        if config.keep:
            log(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    result.total_seconds = time.monotonic() - started
    return result


def stderr_log() -> Callable[[str], None]:
    """A log line on stderr with the seconds since this call, for the benches' progress."""
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", file=sys.stderr, flush=True)

    return log
