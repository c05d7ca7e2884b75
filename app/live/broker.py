"""Carries "topic X changed" notices between processes.

A notice is only a wake-up call (the topic's name, no HTML, no personal data); the database is the truth.
The in-process broker is the default; a Redis broker with the same three methods serves several processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

NoticeHandler = Callable[[str], None]


class Broker(Protocol):
    async def start(self, on_notice: NoticeHandler) -> None: ...

    async def publish(self, topics: list[str]) -> None: ...

    async def stop(self) -> None: ...


class MemoryBroker:
    """One process: a published notice goes straight back to this process's hub."""

    def __init__(self) -> None:
        self._on_notice: NoticeHandler | None = None
        self.published = 0

    async def start(self, on_notice: NoticeHandler) -> None:
        self._on_notice = on_notice

    async def publish(self, topics: list[str]) -> None:
        """One notice per change, naming every topic the change touched."""
        self.published += 1
        if self._on_notice is not None:
            for topic in topics:
                self._on_notice(topic)

    async def stop(self) -> None:
        self._on_notice = None


def broker_from_url(url: str) -> Broker:
    if url in ("", "memory://"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://")):
        from app.live.redis_broker import RedisBroker

        return RedisBroker(url)
    raise ValueError(f"Unsupported BROKER_URL {url!r}: use memory:// or redis://host:port/db")
