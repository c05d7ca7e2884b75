"""Renderers for the poll's live fragments (the page render includes the same templates)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.events.models import Event
from app.live.hub import Hub, Renderer
from app.polls import charts, service
from app.polls.models import Ballot, PollKind, PollStatus
from app.polls.words import display_forms
from app.templating import render_fragment


async def _with_display_forms(session: AsyncSession, tally: service.Tally) -> service.Tally:
    """The cloud's words as people typed them ('efficiënt'), not as the keys they are counted by ('efficient')."""
    if tally.question.kind == PollKind.WORDS and (tally.words or tally.hidden_words or tally.held_words):
        typed = await session.execute(select(Ballot.normalised, Ballot.text).where(
            Ballot.question_id == tally.question.id, Ballot.normalised != ""))
        forms = display_forms(typed.all())
        tally.words = [(forms.get(word, word), n) for word, n in tally.words]
        tally.hidden_words = [(forms.get(word, word), n) for word, n in tally.hidden_words]
        tally.held_words = [(forms.get(word, word), n, why) for word, n, why in tally.held_words]
    return tally


async def poll_context(db: Database, event_id: int, presenter: bool = False, moderator: bool = False) -> dict:
    """The open (or last closed) question, its results if this audience may see them, and the summary."""
    async with db.read() as session:
        event = await session.get(Event, event_id)
        questions = await service.questions(session, event_id)
        current = service.current(questions)
        results = []
        # The current question first; once nothing is open, every closed question (the "totaalbeeld").
        shown = [current] if current and current.status == PollStatus.OPEN else [
            q for q in questions if q.status == PollStatus.CLOSED]
        # The presenter's screen: one question fills it, or each closed one is a cell of the overall picture.
        variant = ("stage" if current and current.status == PollStatus.OPEN else "cell") if presenter else None
        for question in shown:
            visible = service.results_visible(question, presenter or moderator)
            tally = await service.tally(session, question, for_moderator=moderator) if visible else None
            if tally is not None:
                tally = await _with_display_forms(session, tally)
            results.append({"question": question, "tally": tally,
                            "figure": charts.figure(tally, variant) if tally else None})
        return {"event": event, "poll_questions": questions, "current_poll": current, "results": results,
                "summary": bool(current) and current.status != PollStatus.OPEN}


async def ballot_context(db: Database, event_id: int, participant_id: int) -> dict:
    async with db.read() as session:
        return {"my_ballots": await service.my_ballots(session, event_id, participant_id)}


async def control_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        questions = await service.questions(session, event_id)
        tallies = {q.id: await _with_display_forms(session, await service.tally(session, q, for_moderator=True))
                   for q in questions if q.status != PollStatus.DRAFT}
        return {"event": await session.get(Event, event_id), "poll_questions": questions, "tallies": tallies}


@dataclass(frozen=True, slots=True)
class TalkingPoint:
    prompt: str
    label: str
    count: int
    voters: int
    mean: float | None


async def talking_points_context(db: Database, event_id: int) -> dict:
    """The hosts' starters from the poll: each closed question's leading answer (open answers are not counted)."""
    points = []
    async with db.read() as session:
        for question in await service.questions(session, event_id):
            if question.status != PollStatus.CLOSED or question.kind == PollKind.TEXT:
                continue
            tally = await _with_display_forms(session, await service.tally(session, question))
            rows = tally.rows() or tally.words
            if rows and tally.voters:
                label, count = max(rows, key=lambda row: row[1])
                points.append(TalkingPoint(question.prompt, label, count, tally.voters, tally.mean))
    return {"poll_points": points}


def renderers(db: Database, hub: Hub) -> dict[str, Renderer]:
    """The renderer of each of this domain's topic kinds (see topics.py)."""

    async def question(key: str) -> str:
        return render_fragment("polls/_question.html", oob=True, **await poll_context(db, int(key)))

    async def results(key: str) -> str:
        return render_fragment("polls/_results.html", oob=True, **await poll_context(db, int(key)))

    async def presenter(key: str) -> str:
        return render_fragment("polls/_presenter_results.html", oob=True, presenter=True,
                               **await poll_context(db, int(key), presenter=True))

    async def control(key: str) -> str:
        return render_fragment("polls/_control.html", oob=True, **await control_context(db, int(key)))

    async def ballot(key: str) -> str:
        event_id, _, participant_id = key.partition(":")
        return render_fragment("polls/_my_ballot.html", oob=True,
                               **await ballot_context(db, int(event_id), int(participant_id)))

    async def talking_points(key: str) -> str:
        return render_fragment("polls/_talking_points.html", oob=True, **await talking_points_context(db, int(key)))

    return {"poll": question, "pollresults": results, "pollpresenter": presenter, "pollcontrol": control, "ballot": ballot,
            "hostpolls": talking_points}
