"""Redis pub/sub between processes: each process subscribes once; a change publishes one small notice (the
topic's name only). Redis keeps nothing: after a Redis restart the broker reconnects by itself and marks every
topic dirty, so each process re-sends fresh state to its own pages (no screen stays stale).

Presence ("who has a page open") is shared the same way: each process writes its own members under a key that
expires, so a process that dies drops out by itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid

import redis.asyncio as redis

from app.live.broker import NoticeHandler

log = logging.getLogger("samen.live")
CHANNEL = "samen:topics"
RESYNC = "!resync"  # delivered locally after a reconnect: everything may have changed meanwhile
PRESENCE_TTL = 15


class RedisBroker:
    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3)
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.published = 0
        self._on_notice: NoticeHandler | None = None
        self._task: asyncio.Task | None = None
        self._presence_task: asyncio.Task | None = None
        self._presence: dict[str, set[str]] = {}
        self._writes: set[asyncio.Task] = set()
        self.connected = asyncio.Event()

    async def start(self, on_notice: NoticeHandler) -> None:
        self._on_notice = on_notice
        self._task = asyncio.create_task(self._listen(), name="samen-redis-listener")
        self._presence_task = asyncio.create_task(self._keep_presence(), name="samen-redis-presence")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 5)

    async def publish(self, topics: list[str]) -> None:
        """One PUBLISH per change: the names of the topics it touched, one per line."""
        self.published += 1
        try:
            await self.client.publish(CHANNEL, "\n".join(topics))
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            # Redis is away: still update this process's own pages; the others resync when it is back.
            log.warning("Redis unreachable: notice for %s delivered locally only", topics)
            if self._on_notice:
                for topic in topics:
                    self._on_notice(topic)

    async def _listen(self) -> None:
        delay = 0.2
        first = True
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                self.connected.set()
                if not first and self._on_notice:
                    self._on_notice(RESYNC)
                first, delay = False, 0.2
                async for message in pubsub.listen():
                    if message.get("type") == "message" and self._on_notice:
                        for topic in message["data"].split("\n"):
                            self._on_notice(topic)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception as error:  # noqa: BLE001 - any connection trouble: wait and reconnect
                self.connected.clear()
                log.warning("Redis pub/sub lost (%s); reconnecting", error)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5)

    # --- presence across processes --------------------------------------------------------------------

    def set_presence(self, group: str, members: set[str]) -> None:
        self._presence[group] = set(members)
        # Written at once (the other processes' organiser pages count it on their next render) and kept
        # alive by the heartbeat below.
        self._writes.add(asyncio.get_running_loop().create_task(self._write_presence(group)))
        self._writes = {task for task in self._writes if not task.done()}

    async def _write_presence(self, group: str) -> None:
        with contextlib.suppress(Exception):
            await self.client.set(f"samen:presence:{group}:{self.process}",
                                  json.dumps(sorted(self._presence.get(group, ()))), ex=PRESENCE_TTL)

    async def _keep_presence(self) -> None:
        while True:
            for group in list(self._presence):
                await self._write_presence(group)
            await asyncio.sleep(PRESENCE_TTL / 3)

    async def online(self, group: str) -> set[str]:
        members: set[str] = set(self._presence.get(group, ()))
        try:
            await self._write_presence(group)
            keys = [key async for key in self.client.scan_iter(match=f"samen:presence:{group}:*", count=100)]
            for value in await self.client.mget(keys) if keys else []:
                if value:
                    members.update(json.loads(value))
        except Exception:  # noqa: BLE001 - without Redis, this process knows at least its own pages
            pass
        return members

    async def stop(self) -> None:
        for task in (self._task, self._presence_task):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            await self.client.delete(*[f"samen:presence:{g}:{self.process}" for g in self._presence] or ["-"])
        await self.client.aclose()
