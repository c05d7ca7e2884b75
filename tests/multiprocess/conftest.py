"""Fixtures of the multiprocess tests: each runs real uvicorn processes (the load tools are tests/support/*.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND
from tests.support.fleet import seed

Seeded = tuple[Path, list[str], int, list[int]]


@pytest.fixture
def backend_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(database URL, broker URL) for a real server: a copy of the session's migrated template, so the run skips
    the migrations (SQLite file, or a PostgreSQL database with Redis)."""
    if BACKEND == "postgres-redis":
        from tests.services import postgres_database, require_redis

        template = request.getfixturevalue("postgres_template").rsplit("/", 1)[1]
        with postgres_database(template=template) as url:
            yield url, require_redis()
        return
    path = tmp_path / "samen.db"
    shutil.copy(request.getfixturevalue("template_db"), path)
    yield f"sqlite+aiosqlite:///{path}", None


@pytest.fixture(scope="session")
def fleet_templates() -> dict[int, Seeded]:
    """The fleet templates seeded so far in this session, by number of participants."""
    return {}


@pytest.fixture
def fleet_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   fleet_templates: dict[int, Seeded]) -> Seeded:
    """(A migrated SQLite template with the demo and the test module's ``FLEET_PARTICIPANTS`` participants, their
    session cookies, poll question 1, its options): seeded once per session and size, each server runs on a copy.
    A plain fixture, not a factory: seeding runs the migrations with asyncio.run, outside the test's event loop."""
    participants = getattr(request.module, "FLEET_PARTICIPANTS", None)
    assert participants, f"{request.module.__name__} uses the fleet_template fixture but names no FLEET_PARTICIPANTS"
    if participants not in fleet_templates:
        template = tmp_path_factory.mktemp("fleet") / "template.db"
        fleet_templates[participants] = (template, *seed(template, participants))
    return fleet_templates[participants]
