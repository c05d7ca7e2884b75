"""Renderers for the poll's live fragments (the page render includes the same templates)."""

from __future__ import annotations

from app.db import Database
from app.events.models import Event
from app.live.hub import Hub
from app.polls import charts, service
from app.templating import render_fragment


async def poll_context(db: Database, event_id: int, presenter: bool = False, moderator: bool = False) -> dict:
    """The open (or last closed) question, its results if this audience may see them, and the summary."""
    async with db.read() as session:
        event = await session.get(Event, event_id)
        questions = await service.questions(session, event_id)
        current = service.current(questions)
        results = []
        # The current question first; once nothing is open, every closed question (the "totaalbeeld").
        shown = [current] if current and current.status == "open" else [q for q in questions if q.status == "closed"]
        for question in shown:
            visible = service.results_visible(question, presenter or moderator)
            tally = await service.tally(session, question, for_moderator=moderator) if visible else None
            results.append({"question": question, "tally": tally,
                            "figure": charts.figure(tally) if tally else None})
        return {"event": event, "poll_questions": questions, "current_poll": current, "results": results,
                "summary": bool(current) and current.status != "open"}


async def ballot_context(db: Database, event_id: int, participant_id: int) -> dict:
    async with db.read() as session:
        return {"my_ballots": await service.my_ballots(session, event_id, participant_id)}


async def control_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        questions = await service.questions(session, event_id)
        tallies = {q.id: await service.tally(session, q, for_moderator=True) for q in questions
                   if q.status != "draft"}
        return {"event": await session.get(Event, event_id), "poll_questions": questions, "tallies": tallies}


def register(hub: Hub, db: Database) -> None:
    async def question(key: str) -> str:
        return render_fragment("polls/_question.html", oob=True, **await poll_context(db, int(key)))

    async def results(key: str) -> str:
        return render_fragment("polls/_results.html", oob=True, **await poll_context(db, int(key)))

    async def presenter(key: str) -> str:
        return render_fragment("polls/_results.html", oob=True, presenter=True,
                               **await poll_context(db, int(key), presenter=True))

    async def control(key: str) -> str:
        return render_fragment("polls/_control.html", oob=True, **await control_context(db, int(key)))

    async def ballot(key: str) -> str:
        event_id, _, participant_id = key.partition(":")
        return render_fragment("polls/_my_ballot.html", oob=True,
                               **await ballot_context(db, int(event_id), int(participant_id)))

    hub.register("poll", question)
    hub.register("pollresults", results)
    hub.register("pollpresenter", presenter)
    hub.register("pollcontrol", control)
    hub.register("ballot", ballot)
