"""Browser tests: Debian's Chromium (driven by Playwright's sync API) against a REAL uvicorn process.

Why a real server: the live parts of every page arrive over a WebSocket (htmx's hx-ws extension), which
Starlette's TestClient cannot serve to a browser. Each server gets its own temporary SQLite database, migrated
and seeded with the demo event, and can be stopped and started again on the same port (the restart test).

Fixtures
- ``server``: one uvicorn process per test module (tests that need a known phase reset it through the organiser
  UI); in a module or class marked ``pytest.mark.own_server`` a fresh one per test (``fresh_server``), as
  test_phases.py does.
- ``chromium``: one headless Chromium for the whole session.
- ``new_page(...)``: a new page in a NEW browser context per call (own cookies = another person). Every page is
  watched: uncaught page errors, console errors and any request to a host other than 127.0.0.1/localhost
  (privacy: no third-party requests) fail the test at teardown.
- ``axe`` / ``assert_accessible`` fixtures: ``axe(page)`` runs axe-core with the WCAG 2.0/2.1 A and AA rules and
  returns the violations; ``assert_accessible(page, label)`` fails with a report a developer can act on.

Everything under tests/browser is marked ``browser``; deselect with ``-m "not browser"``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.db import Database
from app.demo import CODE, ORGANISER, PARTICIPANTS, SLUG, create_demo, demo_password, demo_token
from app.live.wire import uvicorn_flags
from app.migrate import upgrade
from tests.conftest import BACKEND, SECRET

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = HERE / "axe-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
STARTUP_SECONDS = 30.0
EXPECT_TIMEOUT_MS = 10_000  # an upper bound for waits; passing tests do not wait for it
# Console errors that a deliberately stopped server causes: Chromium's own report of a failed WebSocket
# connection attempt, and htmx logging the htmx:ws:error event hx-ws fires for it.
WS_FAILURE_MARKERS = ("WebSocket connection to", "htmx:ws:error")
# Chromium logs every 4xx/5xx response as a console error, the page itself included.
HTTP_STATUS_ERROR = "Failed to load resource: the server responded with a status of {status} ("

# --- marking and skipping ---------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "own_server: each test gets a server (and database) of its own (fresh_server)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_available() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) to run browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- the server -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _off_the_loop(fn: Callable[[], object]) -> object:
    """Run database set-up in a worker thread: Playwright's sync API keeps an event loop marked as running in
    the main thread, so ``asyncio.run`` (used by Alembic and the demo) must not run there."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def _prepare_database(path: Path | str) -> None:
    url = path if isinstance(path, str) else f"sqlite+aiosqlite:///{path}"

    def work() -> None:
        upgrade(url)

        async def seed() -> None:
            db = Database(url)
            try:
                await create_demo(db, SECRET)
            finally:
                await db.dispose()

        asyncio.run(seed())

    _off_the_loop(work)


def demo_links() -> dict[str, str]:
    """The same shape as tests/conftest.py's ``demo`` fixture: "<role>:<label>" -> path.

    Role links are derived from SECRET exactly as the demo derives them (HMAC), so they need no database."""
    links = {
        "participants:Deelnemen met de eventcode": f"/?code={CODE}",
        "presenter:Presentatiescherm als overlay (na het openen van de link)": f"/e/{SLUG}/presenter?overlay=1",
    }
    from app.demo import TABLES

    # The organiser signs in with an account: a context labelled "organiser…" is signed in by new_page, and this
    # path (the login page) then sends it on to the organiser's page, as it does for a signed-in organiser.
    links["organiser:Secretariaat G40"] = f"/organiser/login?next=/e/{SLUG}/organiser"
    roles = [("moderator", "Gespreksleider"),
             ("moderator", "Assistent moderatie"), ("presenter", "Presentatiescherm")]
    roles += [("host", host) for _name, host, _city, _topic in TABLES]
    for role, label in roles:
        links[f"{role}:{label}"] = f"/r/{demo_token(SECRET, f'{role}:{label}')}"
    for name, _city, _title in PARTICIPANTS:
        links[f"participant:{name}"] = f"/j/{demo_token(SECRET, f'participant:{name}')}"
    return links


@dataclass
class LiveServer:
    """A uvicorn subprocess serving app.main:create_app on 127.0.0.1:<port> with its own SQLite database."""

    data_dir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None
    links: dict[str, str] = field(default_factory=demo_links)
    postgres_url: str | None = None  # SAMEN_TEST_BACKEND=postgres-redis: a PostgreSQL copy of the template
    broker_url: str = "memory://"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "samen.db"

    @property
    def database_url(self) -> str:
        return self.postgres_url or f"sqlite+aiosqlite:///{self.db_path}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "uvicorn.log"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> None:
        """Start (or restart) the server: same port, same database. Returns once /healthz answers 200."""
        assert self.process is None or self.process.poll() is not None, "server is already running"
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "BROKER_URL": self.broker_url,
            "SECRET_KEY": SECRET,
            "BASE_URL": self.base_url,
            "LIVE_TICK_MS": "50",
            "SAMEN_DATA_DIR": str(self.data_dir),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("ALLOWED_ORIGINS", None)
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port), *uvicorn_flags()]
        with self.log_path.open("ab") as log:
            log.write(f"\n--- starting {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"uvicorn exited with {self.process.returncode} while starting:\n{self.log_tail()}",
                            pytrace=False)
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                last_error = f"HTTP {error.code}"
            except OSError as error:  # refused while the port is not yet bound
                last_error = str(error)
            time.sleep(0.05)  # polling interval, not a wait for a result
        self.stop()
        pytest.fail(f"uvicorn did not become healthy within {STARTUP_SECONDS:.0f} s ({last_error}):\n"
                    f"{self.log_tail()}", pytrace=False)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM; uvicorn closes WebSockets with 1012), kill if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | str]:
    """One migrated database with the demo event; each server starts from a copy (faster than migrating).
    With SAMEN_TEST_BACKEND=postgres-redis it is a PostgreSQL database, copied per server (TEMPLATE)."""
    if BACKEND == "postgres-redis":
        from tests.services import postgres_database

        with postgres_database() as url:
            _prepare_database(url)
            yield url.rsplit("/", 1)[1]
        return
    path = tmp_path_factory.mktemp("browser-template") / "samen.db"
    _prepare_database(path)
    yield path


@contextmanager
def _launch(tmp_path_factory: pytest.TempPathFactory, template: Path | str) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("browser-server")
    if isinstance(template, str):  # PostgreSQL + Redis
        from tests.services import postgres_database, require_redis

        with postgres_database(template=template) as url:
            server = LiveServer(data_dir, postgres_url=url, broker_url=require_redis())
            server.start()
            try:
                yield server
            finally:
                server.stop()
        return
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy(source, data_dir / source.name)
    server = LiveServer(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory, template_database: Path | str) -> Iterator[LiveServer]:
    """One server per module, for tests where the phase does not matter (or that reset it themselves)."""
    with _launch(tmp_path_factory, template_database) as live:
        yield live


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory, template_database: Path | str) -> Iterator[LiveServer]:
    """A server of one's own, with the demo event before its start (about a second to start)."""
    with _launch(tmp_path_factory, template_database) as live:
        yield live


@pytest.fixture
def server(request: pytest.FixtureRequest) -> LiveServer:
    """The server a test's pages use: the module's (``module_server``), or, for a test in a module or class
    marked ``pytest.mark.own_server`` (its tests change what the next one would see: phases, votes, seats),
    one of its own (``fresh_server``)."""
    if request.node.get_closest_marker("own_server"):
        return request.getfixturevalue("fresh_server")
    return request.getfixturevalue("module_server")


def sql(server: LiveServer, statement: str, **params: object) -> list[tuple]:
    """Read the server's database directly (ids, and proof of what was stored), off Playwright's loop."""
    from sqlalchemy import text

    def work() -> list[tuple]:
        async def go() -> list[tuple]:
            db = Database(server.database_url)
            try:
                async with db.read() as session:
                    return [tuple(r) for r in (await session.execute(text(statement), params)).all()]
            finally:
                await db.dispose()

        return asyncio.run(go())

    return _off_the_loop(work)  # type: ignore[return-value]


def post(context, server: LiveServer, path: str, form: dict | str | None = None, *, ok: tuple[int, ...] = (200, 303),
         **kw: object):
    """A same-origin form post from a person's browser context (its cookies), as their page's forms send it; a
    string is sent as it is (a repeated field: "option=1&option=2")."""
    if isinstance(form, str):
        response = context.post(server.url(path), data=form, max_redirects=0, headers={
            "Origin": server.base_url, "Content-Type": "application/x-www-form-urlencoded"}, **kw)
    else:
        response = context.post(server.url(path), form=form or {}, headers={"Origin": server.base_url},
                                max_redirects=0, **kw)
    assert response.status in ok, f"POST {path} -> {response.status}: {response.text()[:300]}"
    return response


# --- the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright_instance, _chromium_available) -> Iterator[object]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync"],
    )
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class PageWatch:
    """What went wrong on one page; checked when the test ends."""

    label: str
    allow_ws_errors: bool
    errors: list[str] = field(default_factory=list)
    third_party: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


@pytest.fixture
def new_page(chromium, server: LiveServer) -> Iterator[Callable[..., object]]:
    """Factory: ``new_page(bypass_csp=False, allow_ws_errors=False, expected_statuses=(), label=None)`` -> a page in a new
    browser context (its own cookies), with ``base_url`` set to the server, so ``page.goto("/privacy")`` works.

    - ``bypass_csp=True`` is only for the accessibility tests: the app's CSP (``script-src 'self'``) rightly
      blocks the inline <script> through which axe-core is injected. Nothing else may use it, so the other
      tests also prove the pages work under the real CSP.
    - ``allow_ws_errors=True`` is only for the restart test: Chromium logs a console error for every WebSocket
      connection attempt that fails while the server is down, and htmx logs the matching htmx:ws:error
      event. Only those messages are ignored (see WS_FAILURE_MARKERS).
    - ``expected_statuses=(403,)`` is for tests that deliberately load an error page (or a form answered with
      422): Chromium logs "Failed to load resource: … status of 403 (Forbidden)" for it. Other statuses still fail.

    Depends on ``server`` so the server outlives the pages (no spurious connection errors at teardown); in a
    module marked ``own_server`` the pages are against the test's own server.
    """
    contexts: list = []
    watches: list[PageWatch] = []

    def make(*, bypass_csp: bool = False, allow_ws_errors: bool = False, expected_statuses: tuple[int, ...] = (),
             label: str | None = None):
        context = chromium.new_context(base_url=server.base_url, bypass_csp=bypass_csp, locale="nl-NL")
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        watch = PageWatch(label or f"page {len(watches) + 1}", allow_ws_errors)
        watches.append(watch)

        def guard(route) -> None:
            url = route.request.url
            if _is_local(url):
                route.fallback()
            else:
                watch.third_party.append(f"{route.request.method} {url}")
                route.abort("blockedbyclient")

        context.route("**/*", guard)

        def on_request(request) -> None:
            # route() sees only the first URL of a redirect chain; every later hop shows up here.
            if request.redirected_from is not None and not _is_local(request.url):
                watch.third_party.append(f"{request.method} {request.url} (redirected from {request.redirected_from.url})")

        def refuse_socket(ws) -> None:
            watch.third_party.append(f"WebSocket {ws.url}")
            ws.close()

        context.on("request", on_request)
        context.route_web_socket(lambda url: not _is_local(url), refuse_socket)
        if label and label.startswith("organiser"):
            response = context.request.post(f"{server.base_url}/organiser/login", headers={"Origin": server.base_url},
                                            form={"username": ORGANISER, "password": demo_password(SECRET),
                                                  "next": "/organiser"}, max_redirects=0)
            assert response.status == 303, f"organiser sign-in failed: {response.status}"
        page = context.new_page()

        def on_console(message) -> None:
            if message.type != "error":
                return
            text = f"console error at {page.url}: {message.text}"
            if allow_ws_errors and any(marker in message.text for marker in WS_FAILURE_MARKERS):
                watch.ignored.append(text)
            elif any(message.text.startswith(HTTP_STATUS_ERROR.format(status=status)) for status in expected_statuses):
                watch.ignored.append(text)
            else:
                watch.errors.append(text)

        def on_websocket(ws) -> None:
            if not _is_local(ws.url):
                watch.third_party.append(f"WebSocket {ws.url}")

        page.on("pageerror", lambda error: watch.errors.append(f"page error at {page.url}: {error}"))
        page.on("console", on_console)
        page.on("websocket", on_websocket)
        return page

    yield make

    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - a crashed context must not hide the report below
            pass
    problems = []
    for watch in watches:
        problems += [f"[{watch.label}] {e}" for e in watch.errors]
        problems += [f"[{watch.label}] third-party request blocked: {r}" for r in watch.third_party]
    if os.environ.get("BROWSER_TESTS_VERBOSE"):
        for watch in watches:
            for text in watch.ignored:
                print(f"[{watch.label}] ignored (expected): {text}")
    if problems:
        pytest.fail("Browser problems:\n  " + "\n  ".join(problems), pytrace=False)


# --- opening pages as a person ----------------------------------------------------------------------------


def open_online(page, server: LiveServer, link_key: str, lands_on: str, lang: str | None = None) -> None:
    """Open a personal or role link, check where it lands (optionally switch language with ?lang=), and wait
    until the page's live socket is open."""
    from playwright.sync_api import expect

    page.goto(server.links[link_key])
    expect(page).to_have_url(server.url(lands_on))
    if lang is not None:
        page.goto(f"{lands_on}?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")


def mark(page) -> None:
    page.evaluate("() => { window.__marker = 1; }")  # gone if the page navigates or reloads


def new_person(new_page, server: LiveServer, link_key: str, lands_on: str, lang: str | None = None, **kw):
    """A person in a browser context of their own, on their page, online, marked (see assert_not_reloaded)."""
    page = new_page(label=link_key, **kw)
    open_online(page, server, link_key, lands_on, lang)
    mark(page)
    return page


def participant(new_page, server: LiveServer, link_key: str, **kw):
    """A participant (``link_key``: "participant:<name>") on their page, as ``new_person``."""
    return new_person(new_page, server, link_key, f"/e/{SLUG}", **kw)


def assert_not_reloaded(*pages) -> None:
    for page in pages:
        assert page.evaluate("() => window.__marker") == 1, f"{page.url} was reloaded or navigated"


# --- accessibility ----------------------------------------------------------------------------------------


def run_axe(page, tags: list[str] | None = None) -> list[dict]:
    """Run axe-core with the WCAG 2.0/2.1 A and AA rules on the whole document; returns the violations.

    The page's context must have been created with ``bypass_csp=True`` (see ``new_page``)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
        except PlaywrightError as error:
            raise AssertionError(f"axe-core could not be injected ({error.message.splitlines()[0]}): "
                                 "create the page with new_page(bypass_csp=True)") from None
        if not page.evaluate("() => typeof window.axe === 'object'"):
            raise AssertionError("axe-core was not injected: create the page with new_page(bypass_csp=True)")
    result = page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }""",
        tags or AXE_TAGS,
    )
    return result


def describe_violations(violations: list[dict], max_nodes: int = 4) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)] {v['helpUrl']}")
        for node in v["nodes"][:max_nodes]:
            lines.append(f"    target: {', '.join(map(str, node['target']))}")
            lines.append(f"    html:   {node['html'][:300]}")
            summary = (node.get("summary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"    why:    {summary[:400]}")
        if len(v["nodes"]) > max_nodes:
            lines.append(f"    … and {len(v['nodes']) - max_nodes} more")
    return "\n".join(lines)


def check_accessible(page, label: str) -> None:
    violations = run_axe(page)
    if violations:
        report = f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {label} ({page.url}):\n" + \
            describe_violations(violations)
        print(report)
        raise AssertionError(report)


@pytest.fixture
def axe() -> Callable[..., list[dict]]:
    """``axe(page)`` -> the list of WCAG 2.x A/AA violations (dicts with id, impact, help, nodes)."""
    return run_axe


@pytest.fixture
def assert_accessible() -> Callable[..., None]:
    """``assert_accessible(page, label)``: fails with a readable report (rule, impact, elements) on violations."""
    return check_accessible
