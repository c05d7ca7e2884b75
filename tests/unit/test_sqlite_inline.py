"""SQLite on the event loop's thread (app/sqlite_inline.py): no call may wait for a lock on that thread."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app import sqlite_inline
from app.db import Database


def _database(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "inline.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return Database(f"sqlite+aiosqlite:///{path}"), path


def test_the_engine_uses_no_thread_per_call(tmp_path: Path) -> None:
    db, _path = _database(tmp_path)

    async def go() -> object:
        try:
            async with db.read() as session:
                connection = await session.connection()
                raw = await connection.get_raw_connection()
                return raw.driver_connection
        finally:
            await db.dispose()

    assert isinstance(asyncio.run(go()), sqlite_inline.Connection)


def test_writers_of_one_process_take_turns_even_when_one_waits_inside_its_transaction(tmp_path: Path) -> None:
    db, path = _database(tmp_path)
    order: list[str] = []

    async def writer(name: str, pause: float) -> None:
        async with db.write() as session:
            order.append(f"{name} begins")
            await session.execute(text("INSERT INTO note (body) VALUES (:b)"), {"b": name})
            await asyncio.sleep(pause)  # e.g. a password hash in a thread: other coroutines run meanwhile
            order.append(f"{name} commits")

    async def go() -> None:
        try:
            await asyncio.gather(writer("first", 0.2), writer("second", 0.0), writer("third", 0.0))
        finally:
            await db.dispose()

    asyncio.run(go())
    assert order == ["first begins", "first commits", "second begins", "second commits", "third begins",
                     "third commits"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM note").fetchone() == (3,)


def test_a_write_lock_held_by_another_process_is_awaited_without_blocking_the_loop(tmp_path: Path) -> None:
    db, path = _database(tmp_path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # like a `samen` command writing beside the server
    other.execute("INSERT INTO note (body) VALUES ('other')")

    async def go() -> tuple[int, float, list[int]]:
        ticks: list[int] = []

        async def heartbeat() -> None:
            while True:
                ticks.append(1)
                await asyncio.sleep(0.01)

        beat = asyncio.create_task(heartbeat())
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, other.execute, "COMMIT")
        started = time.monotonic()
        try:
            async with db.write() as session:
                await session.execute(text("INSERT INTO note (body) VALUES ('ours')"))
            waited = time.monotonic() - started
            async with db.read() as session:
                count = (await session.execute(text("SELECT COUNT(*) FROM note"))).scalar_one()
            return count, waited, ticks
        finally:
            beat.cancel()
            await db.dispose()

    count, waited, ticks = asyncio.run(go())
    other.close()
    assert count == 2
    assert waited >= 0.45
    assert len(ticks) >= 20  # the loop kept running while the write waited for the other process


def test_reads_are_not_held_up_by_a_write_in_progress(tmp_path: Path) -> None:
    db, _path = _database(tmp_path)

    async def go() -> list[str]:
        seen: list[str] = []
        entered = asyncio.Event()

        async def writer() -> None:
            async with db.write() as session:
                await session.execute(text("INSERT INTO note (body) VALUES ('uncommitted')"))
                entered.set()
                await asyncio.sleep(0.2)

        async def reader() -> None:
            await entered.wait()
            async with db.read() as session:
                rows = (await session.execute(text("SELECT body FROM note"))).scalars().all()
            seen.append(f"read {len(rows)}")

        try:
            await asyncio.gather(writer(), reader())
            return seen
        finally:
            await db.dispose()

    assert asyncio.run(go()) == ["read 0"]  # answered at once, from the last committed state


@pytest.mark.parametrize("statement", ["SELECT nonsense FROM nowhere", "INSERT INTO note (body) VALUES (NULL)"])
def test_errors_reach_the_caller_and_roll_back(tmp_path: Path, statement: str) -> None:
    db, path = _database(tmp_path)

    async def go() -> None:
        try:
            with pytest.raises(Exception, match="nowhere|NOT NULL"):
                async with db.write() as session:
                    await session.execute(text("INSERT INTO note (body) VALUES ('kept only if all goes well')"))
                    await session.execute(text(statement))
            async with db.write() as session:  # the lock and the connection were given back
                await session.execute(text("INSERT INTO note (body) VALUES ('after')"))
        finally:
            await db.dispose()

    asyncio.run(go())
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT body FROM note").fetchall() == [("after",)]
