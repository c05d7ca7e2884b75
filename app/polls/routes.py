"""Routes of Digitaal netwerken: voting, and the moderator's open/close, word hiding, text approval, export."""

from __future__ import annotations

import csv
import io

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app import pages, throttle
from app.events import access
from app.events.service import InvalidInput
from app.i18n import gettext
from app.polls import fragments, service
from app.templating import render_fragment
from app.web import answers_with_status, form_int, spreadsheet_safe, status_message

VOTE_LIMIT_FIELDS = 20


async def _event(request: Request, moderator: bool):
    async with request.app.state.db.read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        if moderator:
            return event, await access.require_role(request, session, event, access.PHASE_ROLES)
        return event, await access.require_participant(request, session, event)


@answers_with_status
async def vote(request: Request) -> Response:
    # The event and the person come from the short-lived memories that live sockets use (app/events/access.py),
    # not from two queries: in a poll burst every vote is the same event and a participant votes many times.
    event = await access.live_event(request, request.path_params["slug"])
    if event is None:
        raise HTTPException(404, "event")
    participant_id = await access.live_participant_id(request, event)
    if participant_id is None:
        raise HTTPException(403, "participant")
    await throttle.limit(request, throttle.POLL_VOTE, str(participant_id))
    data = await request.form()
    form = service.VoteForm(
        options=[str(v) for v in data.getlist("option")][:VOTE_LIMIT_FIELDS],
        value=str(data.get("value", "")),
        text=str(data.get("text", "")),
    )
    try:
        async with request.app.state.db.write() as session:
            await service.vote(session, event.id, participant_id, form_int(request.path_params["question_id"]), form)
    except InvalidInput as invalid:
        return await _refused_vote(request, event.id, participant_id, gettext(next(iter(invalid.errors.values()))))
    await request.app.state.hub.changed(
        service.results_topic(event.id),
        service.presenter_topic(event.id),
        service.control_topic(event.id),
        service.ballot_topic(event.id, participant_id),
    )
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
    event, _link = await _event(request, moderator=True)
    action = request.path_params["action"]
    question_id = form_int(request.path_params["question_id"])
    async with request.app.state.db.write() as session:
        if action == "open":
            await service.open_question(session, event, question_id)
        elif action == "close":
            await service.close_question(session, event, question_id)
        else:
            raise InvalidInput({"action": "Unknown moderator action."})
    await request.app.state.hub.changed(*service.all_topics(event.id))
    return status_message(request, gettext("The question is open.") if action == "open" else gettext("The question is closed."))


@answers_with_status
async def hide_word(request: Request) -> Response:
    event, _link = await _event(request, moderator=True)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.hide_word(
            session, event, form_int(request.path_params["question_id"]), str(data.get("word", "")), data.get("hidden") == "1"
        )
    await request.app.state.hub.changed(*service.all_topics(event.id))
    return status_message(request, gettext("Word cloud updated."))


@answers_with_status
async def approve_answer(request: Request) -> Response:
    event, _link = await _event(request, moderator=True)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.approve_text(session, event, form_int(request.path_params["ballot_id"]), data.get("approved") == "1")
    await request.app.state.hub.changed(*service.all_topics(event.id))
    return status_message(request, gettext("Answer updated."))


async def export_csv(request: Request) -> Response:
    """Tallies only — never who voted what."""
    event, _link = await _event(request, moderator=True)
    only = form_int(request.query_params.get("question"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "type", "status", "voters", "answer", "count", "percent"])
    async with request.app.state.db.read() as session:
        for question in await service.questions(session, event.id):
            if only and question.id != only:
                continue
            tally = await service.tally(session, question, for_moderator=False)
            rows: list[tuple[str, int]] = tally.rows() or tally.words or [(b.text, 1) for b in tally.answers]
            if tally.mean is not None:
                rows.append((gettext("mean"), round(tally.mean, 2)))  # type: ignore[arg-type]
            for answer, count in rows or [("", 0)]:
                writer.writerow(
                    [
                        spreadsheet_safe(question.prompt),
                        question.kind,
                        question.status,
                        tally.voters,
                        spreadsheet_safe(answer),
                        count,
                        tally.percent(int(count)) if answer != gettext("mean") else "",
                    ]
                )
    name = f"peiling-{event.slug}{f'-{only}' if only else ''}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


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


pages.contribute("participant", participant_part, order=2)
pages.contribute("presenter", presenter_part, order=2)
pages.contribute("moderator", control_part, order=2)
pages.contribute("organiser", control_part, order=2)


def live_topics(view: str):
    def participant(viewer) -> list[str]:
        event_id = viewer.extra["event_id"]
        return [
            service.question_topic(event_id),
            service.results_topic(event_id),
            service.ballot_topic(event_id, viewer.extra["participant_id"]),
        ]

    def presenter(viewer) -> list[str]:
        return [service.presenter_topic(viewer.extra["event_id"])]

    def control(viewer) -> list[str]:
        return [service.control_topic(viewer.extra["event_id"])]

    return {"participant": participant, "presenter": presenter, "moderator": control, "organiser": control}[view]


routes = [
    Route("/e/{slug}/polls/results.csv", export_csv),
    Route("/e/{slug}/polls/{question_id}/vote", vote, methods=["POST"]),
    Route("/e/{slug}/polls/{question_id}/words", hide_word, methods=["POST"]),
    Route("/e/{slug}/polls/answers/{ballot_id}", approve_answer, methods=["POST"]),
    Route("/e/{slug}/polls/{question_id}/{action}", pace, methods=["POST"]),
]
