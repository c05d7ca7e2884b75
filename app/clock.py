"""The one clock every date and time in Samen is read from.

Production reads the wall clock. Tests pin it (`pinned`): the clock then starts at a fixed moment and keeps
ticking from there, so "newest first" and rate windows still see time pass while every date (the demo's day, link
expiry, retention) is the same whatever day the suite runs on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_start: tuple[datetime, float] | None = None  # (pinned moment, monotonic time when it was pinned)


def now() -> datetime:
    """The current moment in UTC, without tzinfo (as the database stores it)."""
    if _start is not None:
        moment, since = _start
        return moment + timedelta(seconds=time.monotonic() - since)
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return now().date()


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Run the clock from `moment` (naive UTC) for the duration of the block."""
    global _start
    previous, _start = _start, (moment, time.monotonic())
    try:
        yield
    finally:
        _start = previous
