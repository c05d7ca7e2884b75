"""The polls' live topics: the only place their names are spelled. Services record them on the write session
(app/core/changes.py); they are published after the commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed


def question(event_id: int) -> str:
    """The open question itself (changes when the moderator opens or closes one)."""
    return f"poll:{event_id}"


def results(event_id: int) -> str:
    """Results as participants may see them (respecting each question's result mode)."""
    return f"pollresults:{event_id}"


def presenter(event_id: int) -> str:
    return f"pollpresenter:{event_id}"


def control(event_id: int) -> str:
    return f"pollcontrol:{event_id}"


def talking_points(event_id: int) -> str:
    """The hosts' conversation starters from the poll: the closed questions' leading answers."""
    return f"hostpolls:{event_id}"


def ballot(event_id: int, participant_id: int) -> str:
    return f"ballot:{event_id}:{participant_id}"


def every(event_id: int) -> list[str]:
    return [question(event_id), results(event_id), presenter(event_id), control(event_id)]


def poll_changed(session: AsyncSession, event_id: int) -> None:
    """A question opened or closed, or its answers moderated: every screen of the poll follows, and the hosts'
    talking points (they show closed questions only, so a vote does not touch them)."""
    changed(session, *every(event_id), talking_points(event_id))


def vote_changed(session: AsyncSession, event_id: int, participant_id: int) -> None:
    """A vote stored: the counts everywhere, and the voter's own ballot (the question itself stays as it was)."""
    changed(session, results(event_id), presenter(event_id), control(event_id), ballot(event_id, participant_id))


def setup_changed(session: AsyncSession, event_id: int) -> None:
    """Questions prepared or deleted by the organiser (only the moderator's control lists drafts)."""
    changed(session, control(event_id))
