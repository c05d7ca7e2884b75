"""The events' live topics: the only place their names are spelled. Services record them on the write session
(app/core/changes.py); they are published after the commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed


def programme(event_id: int) -> str:
    """The programme and the phase (participants, hosts) with the run of show (organisers, moderators)."""
    return f"programme:{event_id}"


def presenter(event_id: int) -> str:
    """The presenter's stage (what is on the beamer follows the phase)."""
    return f"presenter:{event_id}"


def online(event_id: int) -> str:
    """The organiser's list of participants, who is online."""
    return f"online:{event_id}"


def programme_changed(session: AsyncSession, event_id: int) -> None:
    changed(session, programme(event_id), presenter(event_id))


def people_changed(session: AsyncSession, event_id: int) -> None:
    changed(session, online(event_id))
