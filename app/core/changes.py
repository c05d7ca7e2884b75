"""Changes recorded on the write session, told to the live pages after the commit.

A domain's service function that changes what a live fragment shows records the fragment's topic (spelled by
the domain's own topics.py) on the session it writes with; Database.write() hands the topics to the hub once the
transaction has committed, so no page is told about a change that could still roll back, and no route has to
remember whom to tell."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

TOPICS = "samen_topics"


def changed(session: AsyncSession, *topics: str) -> None:
    """Record topics whose fragments this write changes (told after the commit, each once)."""
    recorded = session.info.setdefault(TOPICS, {})
    for topic in topics:
        recorded[topic] = None  # a dict keeps the order and each topic once


def recorded(session: AsyncSession) -> list[str]:
    """The topics recorded on this session, taken (a session that writes again starts empty)."""
    return list(session.info.pop(TOPICS, {}))
