"""The agenda's live topics: the only place their names are spelled. Services record them on the write session
(app/core/changes.py); they are published after the commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed


def ranking(event_id: int) -> str:
    """The ranking as every participant sees it."""
    return f"agenda:{event_id}"


def board(event_id: int) -> str:
    """The ranking on the presenter's screen."""
    return f"agendaboard:{event_id}"


def control(event_id: int) -> str:
    """The moderators' and organisers' list: every theme, hidden ones too, with its source."""
    return f"agendacontrol:{event_id}"


def mine(event_id: int, participant_id: int) -> str:
    """A participant's own form: the themes to pick from, ticked as they picked them."""
    return f"agendamine:{event_id}:{participant_id}"


def counts_changed(session: AsyncSession, event_id: int) -> None:
    """Picks were added or removed: every screen that counts them."""
    changed(session, ranking(event_id), board(event_id), control(event_id))


def picks_changed(session: AsyncSession, event_id: int, participant_id: int) -> None:
    """One participant's picks changed: the counts, and their own form."""
    counts_changed(session, event_id)
    changed(session, mine(event_id, participant_id))


def themes_changed(session: AsyncSession, event_id: int, participant_ids: Iterable[int]) -> None:
    """A theme was added, hidden or shown: the counts, and every participant's form (it lists the themes). Only
    the pages that are open are rendered (app/live/hub.py)."""
    counts_changed(session, event_id)
    changed(session, *[mine(event_id, p) for p in participant_ids])
