"""Engine, sessions and the declarative base.

SQLite is run the way SQLAlchemy documents for durable concurrent use: WAL, synchronous=FULL (a committed
transaction survives kill -9 and power loss), a busy timeout, foreign keys on, and BEGIN IMMEDIATE for write
transactions so two writers never deadlock on a lock upgrade. Reads use a plain BEGIN and never wait for writers.
Calls run on the event loop's thread (app/sqlite_inline.py), and this process's writers take turns on an
asyncio lock, so none of them ever waits for the database lock on that thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import MetaData, event, make_url
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from app import clock, sqlite_inline
from app.core import changes

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Now, in naive UTC (see app/clock.py, which tests pin)."""
    return clock.now()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def insert_for(session: AsyncSession) -> Callable:
    """The INSERT of the session's dialect, which has ``on_conflict_do_update`` (an atomic upsert on SQLite and
    PostgreSQL alike)."""
    return sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            engine = create_async_engine(url, async_creator=sqlite_inline.creator(path))
            _sqlite_pragmas(engine, sqlite_inline.BUSY_MILLISECONDS)
        else:  # in-memory and URI databases (not used by Samen itself) keep aiosqlite's thread
            engine = create_async_engine(url, connect_args={"timeout": 30})
            _sqlite_pragmas(engine, 30_000)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return engine


def _sqlite_pragmas(engine: AsyncEngine, busy_milliseconds: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, emit BEGIN (pysqlite/aiosqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={busy_milliseconds}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(conn):
        if conn.get_execution_options().get("samen_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """One per process: the engines and two session factories (reads, and writes that lock early on SQLite).

    On SQLite, writes take turns on an asyncio lock (see app/sqlite_inline.py) and have a pool of their own, so
    they can never take all the connections that the live renders (reads) need."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.write_engine = create_engine(url) if is_sqlite(url) else self.engine
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.write_engine.execution_options(samen_write=True), expire_on_commit=False
        )
        self._write_turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        # Set by the app to the hub's notice: every write's recorded topics go there after its commit.
        self.publish: Callable[..., Awaitable[None]] | None = None
        self.queries = 0  # statements sent, for /metrics (e.g. queries per reconnect storm)
        for engine in {self.engine, self.write_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        self.queries += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends without error, rolled back otherwise. The topics
        its service functions recorded (app/core/changes.py) are published once it has committed."""
        if not is_sqlite(self.url):
            async with self._write() as session:
                async with session.begin():
                    yield session
                topics = changes.recorded(session)
        else:
            async with self._turn(), self._write() as session:
                async with session.begin():
                    yield session
                topics = changes.recorded(session)
        if topics and self.publish is not None:  # after the SQLite turn: publishing waits on no database
            await self.publish(*topics)

    def _turn(self) -> asyncio.Lock:
        """This process's SQLite writers, one at a time (a lock per event loop: tests run several loops)."""
        loop = asyncio.get_running_loop()
        if self._write_turn is None or self._write_turn[0] is not loop:
            self._write_turn = (loop, asyncio.Lock())
        return self._write_turn[1]

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
