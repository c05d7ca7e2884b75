"""The real services some tests need: PostgreSQL and Redis on this machine. Locally a missing service skips
those tests; under CI=true it fails them, loudly."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

POSTGRES_ADMIN = os.environ.get("SAMEN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SAMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unavailable(what: str, error: Exception) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is unreachable ({error}); CI must test against it")
    pytest.skip(f"{what} not reachable ({error}); set CI=true to make this a failure")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def require_redis() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        _unavailable("Redis", error)
    return REDIS_URL


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, empty or copied from a template (created and dropped here)."""
    import asyncpg

    name = f"samen_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_plain(POSTGRES_ADMIN), timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def run(sql: str) -> None:
        # In a thread of its own: Playwright's sync API keeps an event loop running in the main thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, admin(sql)).result()

    try:
        run(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    except Exception as error:  # noqa: BLE001
        _unavailable("PostgreSQL", error)
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
