"""Routes of Digitaal netwerken: voting, and the moderator's open/close, word hiding, text approval, export."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app import throttle
from app.core.csv import csv_response
from app.core.domain import with_talking_points
from app.core.input import InvalidInput, as_id
from app.core.web import answers_with_status, status_message
from app.db import Database
from app.events import access
from app.i18n import gettext
from app.live.socket import Viewer
from app.polls import fragments, service, topics
from app.templating import render_fragment

VOTE_LIMIT_FIELDS = 20


@answers_with_status
async def vote(request: Request) -> Response:
    # In a poll burst every vote is the same event and a participant votes many times: no query for either.
    event, participant_id = await access.live_event_and_participant(request)
    await throttle.limit(request, throttle.POLL_VOTE, str(participant_id))
    data = await request.form()
    form = service.VoteForm(
        options=[str(v) for v in data.getlist("option")][:VOTE_LIMIT_FIELDS],
        value=str(data.get("value", "")),
        text=str(data.get("text", "")),
    )
    try:
        async with request.app.state.db.write() as session:
            await service.vote(session, event.id, participant_id, as_id(request.path_params["question_id"]), form)
    except InvalidInput as invalid:
        return await _refused_vote(request, event.id, participant_id, gettext(next(iter(invalid.errors.values()))))
    return status_message(request, gettext("Your vote has been saved. You can change it while the question is open."))


async def _refused_vote(request: Request, event_id: int, participant_id: int, reason: str) -> Response:
    """A refused vote changes nothing, so the form must not keep showing it (three ticks where two are allowed):
    the status region says why, and the question comes back (out of band) with the ballot that counts, the stored
    one, ticked, and the reason next to it."""
    db = request.app.state.db
    context = {**await fragments.poll_context(db, event_id), **await fragments.ballot_context(db, event_id, participant_id)}
    body = render_fragment("layout/_status.html", message=gettext("Your vote was not saved: %(reason)s", reason=reason),
                           error=True)
    body += render_fragment("polls/_question.html", oob=True, refused=reason, **context)
    return HTMLResponse(body, status_code=422)


@answers_with_status
async def pace(request: Request) -> Response:
    """Open or close a question; every screen follows."""
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    action = request.path_params["action"]
    question_id = as_id(request.path_params["question_id"])
    async with request.app.state.db.write() as session:
        if action == "open":
            await service.open_question(session, event, question_id)
        elif action == "close":
            await service.close_question(session, event, question_id)
        else:
            raise InvalidInput({"action": "Unknown moderator action."})
    return status_message(request, gettext("The question is open.") if action == "open" else gettext("The question is closed."))


@answers_with_status
async def hide_word(request: Request) -> Response:
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.hide_word(
            session, event, as_id(request.path_params["question_id"]), str(data.get("word", "")), data.get("hidden") == "1"
        )
    return status_message(request, gettext("Word cloud updated."))


@answers_with_status
async def approve_answer(request: Request) -> Response:
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.approve_text(session, event, as_id(request.path_params["ballot_id"]), data.get("approved") == "1")
    return status_message(request, gettext("Answer updated."))


async def export_csv(request: Request) -> Response:
    """Tallies only — never who voted what."""
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    only = as_id(request.query_params.get("question"))
    rows: list[list[object]] = [["question", "type", "status", "voters", "answer", "count", "percent"]]
    async with request.app.state.db.read() as session:
        for question in await service.questions(session, event.id):
            if only and question.id != only:
                continue
            tally = await service.tally(session, question, for_moderator=False)
            answers: list[tuple[str, int]] = tally.rows() or tally.words or [(b.text, 1) for b in tally.answers]
            if tally.mean is not None:
                answers.append((gettext("mean"), round(tally.mean, 2)))  # type: ignore[arg-type]
            rows += [[question.prompt, question.kind, question.status, tally.voters, answer, count,
                      tally.percent(int(count)) if answer != gettext("mean") else ""]
                     for answer, count in answers or [("", 0)]]
    return csv_response(rows, f"peiling-{event.slug}{f'-{only}' if only else ''}.csv", delimiter=",")


# --- page parts and live topics ------------------------------------------------------------------------


async def participant_part(request: Request, session, context: dict) -> dict:
    event, participant = context["event"], context["participant"]
    db = request.app.state.db
    return {
        **await fragments.poll_context(db, event.id),
        **await fragments.ballot_context(db, event.id, participant.id),
        "uses_charts": True,
        "sections": [*context.get("sections", []), "polls/_participant_section.html"],
    }


async def host_part(request: Request, session: AsyncSession, context: dict) -> dict:
    """The lunch hosts' conversation starters: each closed poll question's leading answer."""
    return with_talking_points(context, "polls/_talking_points.html",
                               await fragments.talking_points_context(request.app.state.db, context["event"].id))


async def host_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.talking_points(viewer.event_id)]


async def presenter_part(request: Request, session, context: dict) -> dict:
    return {
        **await fragments.poll_context(request.app.state.db, context["event"].id, presenter=True),
        "presenter": True,
        "uses_charts": True,
        "sections": [*context.get("sections", []), "polls/_presenter_results.html"],
    }


async def control_part(request: Request, session, context: dict) -> dict:
    return {
        **await fragments.control_context(request.app.state.db, context["event"].id),
        "sections": [*context.get("sections", []), "polls/_control_section.html"],
    }


async def participant_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.question(viewer.event_id), topics.results(viewer.event_id),
            topics.ballot(viewer.event_id, viewer.participant_id)]


async def presenter_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.presenter(viewer.event_id)]


async def control_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.control(viewer.event_id)]


routes = [
    Route("/e/{slug}/polls/results.csv", export_csv),
    Route("/e/{slug}/polls/{question_id}/vote", vote, methods=["POST"]),
    Route("/e/{slug}/polls/{question_id}/words", hide_word, methods=["POST"]),
    Route("/e/{slug}/polls/answers/{ballot_id}", approve_answer, methods=["POST"]),
    Route("/e/{slug}/polls/{question_id}/{action}", pace, methods=["POST"]),
]
