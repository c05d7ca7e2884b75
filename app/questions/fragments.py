"""Renderers for the questions' live fragments; the page render includes the same templates."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import Database
from app.events.models import Event, Participant
from app.events.service import participants
from app.live.hub import Hub, Renderer
from app.questions import service
from app.questions.models import Question, QuestionStatus
from app.templating import render_fragment


async def public_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        return {"questions": await service.public_questions(session, event_id),
                "event": await session.get(Event, event_id)}


async def talking_points_context(db: Database, event_id: int) -> dict:
    """The hosts' starters from the debate: three questions answered on air, and the three most supported open
    ones (a question nobody supported is no talking point)."""
    async with db.read() as session:
        public = await service.public_questions(session, event_id)
    return {"answered": [v for v in public if v.question.status == QuestionStatus.ANSWERED][:3],
            "popular": [v for v in public if v.question.status == QuestionStatus.APPROVED and v.votes][:3]}


async def on_air_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        shortlisted = await session.scalar(select(func.count()).select_from(Question).where(
            Question.event_id == event_id, Question.starred.is_(True), Question.status == QuestionStatus.APPROVED))
        return {"on_air": await service.on_air(session, event_id), "shortlisted": shortlisted}


async def moderation_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        event = await session.get(Event, event_id)
        queue = await service.moderation_queue(session, event_id, reveal_anonymous=False)
        service.attach_similar(queue)
        return {
            "queue": queue,
            "counters": await service.counters(session, event_id),
            "invitations": await service.invitations(session, event_id),
            "people": await participants(session, event_id),
            "event": event,
        }


async def personal_context(db: Database, participant_id: int) -> dict:
    async with db.read() as session:
        participant = await session.get(Participant, participant_id)
        event = await session.get(Event, participant.event_id) if participant else None
        mine = await service.my_questions(session, participant_id)
        merged_into = {q.merged_into_id for q in mine if q.merged_into_id}
        targets = {q.id: q for q in await session.scalars(select(Question).where(Question.id.in_(merged_into)))}
        return {
            "event": event,
            "mine": mine,
            "merged_targets": targets,
            "my_votes": await service.my_votes(session, participant_id),
            "invitation": await service.my_invitation(session, participant_id),
        }


def renderers(db: Database, hub: Hub) -> dict[str, Renderer]:
    """The renderer of each of this domain's topic kinds (see topics.py)."""

    async def public(key: str) -> str:
        return render_fragment("questions/_public_list.html", oob=True, **await public_context(db, int(key)))

    async def on_air(key: str) -> str:
        return render_fragment("questions/_on_air.html", oob=True, **await on_air_context(db, int(key)))

    async def moderation(key: str) -> str:
        return render_fragment("questions/_queue.html", oob=True, **await moderation_context(db, int(key)))

    async def personal(key: str) -> str:
        ctx = await personal_context(db, int(key))
        return render_fragment("questions/_mine.html", oob=True, **ctx) + render_fragment(
            "questions/_invitation.html", oob=True, **ctx)

    async def talking_points(key: str) -> str:
        return render_fragment("questions/_talking_points.html", oob=True, **await talking_points_context(db, int(key)))

    return {"questions": public, "onair": on_air, "moderation": moderation, "participant": personal,
            "hostquestions": talking_points}
