"""The questions' live topics: the only place their names are spelled. Services record them on the write session
(app/core/changes.py); they are published after the commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed


def public(event_id: int) -> str:
    return f"questions:{event_id}"


def moderation(event_id: int) -> str:
    return f"moderation:{event_id}"


def on_air(event_id: int) -> str:
    return f"onair:{event_id}"


def talking_points(event_id: int) -> str:
    """The hosts' conversation starters from the debate: they follow the public list."""
    return f"hostquestions:{event_id}"


def personal(participant_id: int) -> str:
    return f"participant:{participant_id}"


def public_lists(event_id: int) -> list[str]:
    """The public list and what follows it."""
    return [public(event_id), talking_points(event_id)]


def asked(session: AsyncSession, event_id: int, asker_id: int, published: bool) -> None:
    """A new question: the queue and the asker's own list, and the public list when it skipped moderation."""
    changed(session, moderation(event_id), personal(asker_id), *(public_lists(event_id) if published else []))


def votes_changed(session: AsyncSession, event_id: int, voter_id: int) -> None:
    """An upvote given or withdrawn: every list that counts votes, and the voter's own ticks."""
    changed(session, *public_lists(event_id), personal(voter_id), on_air(event_id), moderation(event_id))


def moderated(session: AsyncSession, event_id: int, asker_ids: Iterable[int]) -> None:
    """A moderator's action on a question: every list, and the own list of each asker whose question moved."""
    changed(session, moderation(event_id), *public_lists(event_id), on_air(event_id), *[personal(p) for p in asker_ids])


def invitation_changed(session: AsyncSession, event_id: int, participant_id: int) -> None:
    """An invitation to react sent, answered or closed: the moderator's list and the invited person's screen."""
    changed(session, moderation(event_id), personal(participant_id))


def people_changed(session: AsyncSession, event_id: int) -> None:
    """A participant renamed or removed (by the organiser): the askers' names on the public list and in the queue."""
    changed(session, *public_lists(event_id), moderation(event_id))
