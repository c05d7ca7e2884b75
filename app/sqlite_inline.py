"""SQLite for SQLAlchemy's asyncio layer without a thread hop per call.

Why: aiosqlite runs each call (BEGIN, execute, fetch, close, ROLLBACK) on a worker thread and wakes the event
loop for every answer. On the benchmark machine that costs about 0.3 ms of CPU per call, several calls per
query, while SQLite itself answers a read from the page cache in microseconds: a live render of the poll's
results took 5 ms, nearly all of it hops (docs/performance.md). This module offers the few coroutines
SQLAlchemy's aiosqlite adapter awaits, and does the work at once, on the event loop's own thread.

What makes that safe:
- WAL: readers never wait for a writer, so a read cannot block the loop on a lock.
- Writers of this process take turns on an asyncio lock (``app.db.Database.write``) before BEGIN IMMEDIATE,
  so a write never waits, on the loop's thread, for a transaction of its own process that is parked at an
  ``await``.
- A write lock held by another process (a ``samen`` command run beside the server) is waited for with
  ``asyncio.sleep`` between attempts, never with SQLite's busy handler on the loop's thread.
- What remains on the loop is SQLite's own work: microseconds for the queries of a render, one fsync per
  commit (synchronous=FULL).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Another process holding the write lock: try again until this long has passed (then SQLite's own error).
LOCK_WAIT_SECONDS = 30.0
# For any other statement that finds the database busy (rare in WAL: a checkpoint's restart, recovery after a
# crash), SQLite's own busy handler may wait this long, blocking the loop.
BUSY_MILLISECONDS = 1000


class Cursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        if sql.startswith("BEGIN IMMEDIATE"):
            await self._begin_immediate(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def _begin_immediate(self, sql: str) -> None:
        connection = self._cursor.connection
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = 0.002
        connection.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    self._cursor.execute(sql)
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_MILLISECONDS}")

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """SQLAlchemy's adapter sets ``isolation_level`` by queueing a function for aiosqlite's thread: run it."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001  (handed to the awaiting caller, as aiosqlite does)
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class Connection:
    """The part of ``aiosqlite.Connection`` that SQLAlchemy's adapter uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._tx = _RunNow()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # the adapter checks it before commit and rollback
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


def creator(path: str) -> Callable[[], Any]:
    """For ``create_async_engine(..., async_creator=creator(path))``."""

    async def connect() -> Connection:
        connection = sqlite3.connect(path, timeout=BUSY_MILLISECONDS / 1000, check_same_thread=False)
        return Connection(connection)

    return connect
