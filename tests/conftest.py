"""Shared fixtures: a migrated SQLite database per test (copied from a template migrated once), the app with
its lifespan running under Starlette's TestClient, the demo event, and clients signed in per role."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app import clock
from app.config import Settings
from app.db import Database
from app.demo import ORGANISER, PARTICIPANTS, create_demo, demo_password, demo_token
from app.main import create_app
from app.migrate import upgrade

SECRET = "test-secret-key-not-for-production"
# The moment every in-process test starts at (11:30 in Utrecht on the demo's letter day): no test depends on the
# wall clock's date, so the suite passes on any day (CI also runs it under libfaketime a year ahead).
PINNED_NOW = datetime(2026, 12, 4, 10, 30)
ORIGIN = "http://testserver"


@pytest.fixture(scope="module", autouse=True)
def pinned_clock(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """Pin the clock (it keeps ticking from PINNED_NOW) for a whole module, so module-scoped fixtures that seed a
    database (the role matrix) see the pinned day too. Not for tests that drive a server in another process:
    that process reads the wall clock, so their events are held on the wall clock's day."""
    if any(part in str(request.path) for part in ("/tests/browser/", "/tests/multiprocess/", "/tests/bench/")):
        yield clock.now()
        return
    with clock.pinned(PINNED_NOW):
        yield PINNED_NOW


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


# SAMEN_TEST_BACKEND=postgres-redis runs the whole suite on PostgreSQL (a fresh database per test, copied from
# a migrated template) with the Redis broker, as CI does after the SQLite run.
BACKEND = os.environ.get("SAMEN_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    from tests.services import postgres_database

    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, template_db: Path) -> Iterator[Settings]:
    if BACKEND == "postgres-redis":
        from tests.services import postgres_database, require_redis

        template = request.getfixturevalue("postgres_template").rsplit("/", 1)[1]
        with postgres_database(template=template) as url:
            yield Settings(database_url=url, secret_key=SECRET, allowed_origins=[ORIGIN], base_url=ORIGIN,
                           tick_seconds=0.05, broker_url=require_redis())
        return
    db_path = tmp_path / "samen.db"
    shutil.copy(template_db, db_path)
    yield Settings(
        database_url=f"sqlite+aiosqlite:///{db_path}",
        secret_key=SECRET,
        allowed_origins=[ORIGIN],
        base_url=ORIGIN,
        tick_seconds=0.05,
    )


def run(coro):
    """Run a coroutine outside the app's loop (seeding and inspecting the database)."""
    return asyncio.run(coro)


async def _with_db(settings: Settings, fn):
    db = Database(settings.database_url)
    try:
        return await fn(db)
    finally:
        await db.dispose()


def query(settings: Settings, sql: str, **params: object) -> list[tuple]:
    """Read the database directly, bypassing the app (to prove what was or was not written)."""
    from sqlalchemy import text

    async def go(db: Database) -> list[tuple]:
        async with db.read() as session:
            return [tuple(row) for row in (await session.execute(text(sql), params)).all()]

    return run(_with_db(settings, go))


@pytest.fixture
def demo(settings: Settings) -> dict[str, str]:
    """Create the demo event; returns the role and participant links by name."""
    links = run(_with_db(settings, lambda db: create_demo(db, SECRET)))
    by_name = {f"{link.role}:{link.label}": link.path for link in links}
    for name, _city, _title in PARTICIPANTS:
        by_name[f"participant:{name}"] = f"/j/{demo_token(SECRET, f'participant:{name}')}"
    # The organiser signs in with an account; sign_in() understands this form.
    by_name["organiser:Secretariaat G40"] = f"login:{ORGANISER}:{demo_password(SECRET)}"
    return by_name


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=ORIGIN) as c:
        yield c


class Browser:
    """One person's browser: its own cookie jar, sharing the one TestClient (and so the one running app)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookies: list = []

    @property
    def jar(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.cookies}

    def set_cookie(self, name: str, value: str) -> None:
        for cookie in self.cookies:
            if cookie.name == name:
                cookie.value = value

    def _swap(self) -> None:
        self.client.cookies.jar.clear()
        for cookie in self.cookies:
            self.client.cookies.jar.set_cookie(cookie)

    def _keep(self) -> None:
        self.cookies = list(self.client.cookies.jar)

    def get(self, url: str, **kw):
        self._swap()
        try:
            return self.client.get(url, **kw)
        finally:
            self._keep()

    def post(self, url: str, data: dict | None = None, **kw):
        """A same-origin form post, as a browser sends it."""
        headers = {"origin": ORIGIN, "sec-fetch-site": "same-origin", **kw.pop("headers", {})}
        self._swap()
        try:
            return self.client.post(url, data=data or {}, headers=headers, **kw)
        finally:
            self._keep()

    def websocket(self, path: str, origin: str = ORIGIN):
        self._swap()
        return self.client.websocket_connect(path, headers={"origin": origin})


@pytest.fixture
def browser(client: TestClient):
    """A factory: each call is a new, empty browser."""
    return lambda: Browser(client)


def sign_in(browser: Browser, path: str) -> str:
    """Follow a role or invite link (or sign in as organiser: "login:<user>:<password>"); returns where it lands."""
    if path.startswith("login:"):
        _, username, password = path.split(":", 2)
        response = browser.post("/organiser/login", {"username": username, "password": password,
                                                      "next": "/e/netwerkdag-4-december/organiser"},
                                follow_redirects=False)
        assert response.status_code == 303, response.text
        return response.headers["location"]
    response = browser.get(path, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


SLUG = "netwerkdag-4-december"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread for the rest of
    the session, which asyncio.run() (used here to seed and inspect databases) cannot run beside."""
    items.sort(key=lambda item: "/tests/browser/" in str(item.path))
