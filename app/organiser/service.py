"""The organiser's writes that span the domains: removing people (one on request, or every one of an event after
its retention period). Each domain forgets its own rows; the organiser only decides who and when."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed
from app.events import service as events
from app.events import setup as events_setup
from app.events import topics as events_topics
from app.events.models import Event, Participant
from app.organiser.models import ImportBatch
from app.polls import service as polls
from app.questions import service as questions
from app.questions import topics as questions_topics
from app.tables import service as tables
from app.tables import topics as tables_topics


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """Delete people on request: their account, links, upvotes, seat and invitations go; their questions stay
    without a name (anonymous) and their votes stay in the tallies without anyone attached."""
    await questions.forget(session, event_id, participant_ids)
    await polls.forget(session, participant_ids)
    await tables.forget(session, event_id, participant_ids)
    await events.forget(session, event_id, participant_ids)  # last: the others still refer to them


async def update_person(session: AsyncSession, participant: Participant, fields: dict) -> None:
    """The organiser corrects someone's details; their name shows in the questions and at the lunch tables."""
    for key in ("name", "municipality_id", "organisation", "role_title", "email", "topic"):
        setattr(participant, key, fields[key])
    events_topics.people_changed(session, participant.event_id)
    questions_topics.people_changed(session, participant.event_id)
    changed(session, tables_topics.seating(participant.event_id))


async def purge_event(session: AsyncSession, event_id: int) -> dict:
    """Remove every piece of personal data of one event; keep anonymous tallies (question votes as counts, poll
    ballots without anyone attached). Returns what was removed, with the ids whose open pages must close."""
    people = list(await session.scalars(select(Participant.id).where(Participant.event_id == event_id)))
    await questions.forget(session, event_id, people)
    await polls.forget(session, people)
    await tables.forget(session, event_id, people)
    await tables.purge(session, event_id)  # before the host links go
    await session.execute(delete(ImportBatch).where(ImportBatch.event_id == event_id))
    gone = await events.purge(session, event_id)
    return {"participants": len(gone["participants"]), "ids": gone["participants"],
            "links": len(gone["links"]), "link_ids": gone["links"]}


async def duplicate_event(session: AsyncSession, source: Event, day: date | None = None) -> Event:
    """The last network day as a template: programme, poll questions, tables (without hosts' links) and
    settings; no participants, no answers."""
    copy = await events_setup.copy_event(session, source, day or source.day + timedelta(days=7))
    await polls.copy_questions(session, source.id, copy.id)
    await tables.copy_tables(session, source.id, copy.id)
    await session.flush()
    return copy
