"""Routes of the G40Gesprek: asking, upvoting, answering an invitation, and the moderator's actions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import throttle
from app.core.csv import csv_response
from app.core.domain import with_talking_points
from app.core.input import InvalidInput, as_id
from app.core.web import answers_with_status, status_message
from app.db import Database
from app.events import access
from app.i18n import N_, gettext
from app.live.socket import Viewer
from app.questions import fragments, service, topics
from app.questions.models import QuestionStatus
from app.security import new_token
from app.templating import templates

MODERATOR_ROLES = access.PHASE_ROLES


async def ask(request: Request) -> Response:
    db = request.app.state.db
    data = await request.form()
    event, participant = await access.event_and_participant(request)
    context = {"event": event, "form_key": new_token(), "error": None, "message": None, "body": ""}
    try:
        async with db.write() as session:
            question, _created = await service.submit(
                session,
                event,
                participant,
                data.get("body"),
                data.get("anonymous") == "1",
                str(data.get("key", "")),
            )
    except InvalidInput as invalid:
        context.update(
            error=gettext(next(iter(invalid.errors.values()))),
            body=str(data.get("body", ""))[:2000],
            form_key=str(data.get("key", "")) or new_token(),
        )
        return templates.TemplateResponse(request, "questions/_ask_form.html", context, status_code=422)
    context["message"] = (
        gettext("Question received. The moderator will look at it.")
        if question.status == QuestionStatus.PENDING
        else gettext("Question received and published.")
    )
    return templates.TemplateResponse(request, "questions/_ask_form.html", context)


@answers_with_status
async def vote(request: Request) -> Response:
    event, participant = await access.event_and_participant(request)
    await throttle.limit(request, throttle.UPVOTE, str(participant.id))
    up = (await request.form()).get("up") == "1"
    async with request.app.state.db.write() as session:
        await service.set_vote(session, event.id, as_id(request.path_params["question_id"]) or 0, participant, up)
    return status_message(request, gettext("Vote saved.") if up else gettext("Vote withdrawn."))


@answers_with_status
async def answer_invitation(request: Request) -> Response:
    event, participant = await access.event_and_participant(request)
    ready = (await request.form()).get("ready") == "1"
    async with request.app.state.db.write() as session:
        await service.answer_invitation(session, participant, as_id(request.path_params["invitation_id"]) or 0, ready)
    return status_message(
        request,
        gettext("Thank you. The moderator will give you the floor: unmute yourself in the video meeting when you are asked.")
        if ready
        else gettext("Understood. The moderator knows you will not react now."),
    )


@answers_with_status
async def moderate(request: Request) -> Response:
    event, _link = await access.event_and_role(request, MODERATOR_ROLES)
    data = await request.form()
    question_id = as_id(request.path_params["question_id"]) or 0
    action = str(data.get("action", ""))
    async with request.app.state.db.write() as session:
        await service.moderate(session, event, question_id, action, body=data.get("body"), into_id=as_id(data.get("into")))
    return status_message(request, gettext("Done: %(action)s", action=gettext(ACTION_NAMES.get(action, action))))


ACTION_NAMES = {
    "approve": N_("approved"),
    "dismiss": N_("dismissed"),
    "restore": N_("back in the queue"),
    "on_air": N_("on air"),
    "off_air": N_("taken off air"),
    "answered": N_("marked as answered"),
    "reopen": N_("reopened"),
    "star": N_("shortlisted"),
    "unstar": N_("removed from the shortlist"),
    "edit": N_("wording saved"),
    "merge": N_("merged"),
}


@answers_with_status
async def invite(request: Request) -> Response:
    event, _link = await access.event_and_role(request, MODERATOR_ROLES)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.invite(session, event, as_id(data.get("participant")), as_id(data.get("question")))
    return status_message(request, gettext("Invitation sent."))


@answers_with_status
async def close_invitation(request: Request) -> Response:
    event, _link = await access.event_and_role(request, MODERATOR_ROLES)
    outcome = str((await request.form()).get("outcome", ""))
    async with request.app.state.db.write() as session:
        await service.close_invitation(session, event, as_id(request.path_params["invitation_id"]) or 0, outcome)
    return status_message(request, gettext("Invitation closed."))


async def show_themes(request: Request) -> Response:
    """The queue grouped into themes, on request (clustering is too costly to redo on every live update). An htmx
    request gets the fragment for the console; a plain one a page of its own."""
    event, _link = await access.event_and_role(request, MODERATOR_ROLES)
    async with request.app.state.db.read() as session:
        found = await service.themes(session, event.id)
    page = "questions/_themes.html" if request.headers.get("hx-request") else "questions/themes.html"
    return templates.TemplateResponse(request, page, {"event": event, "themes": found},
                                      headers={"cache-control": "no-store"})


async def export_csv(request: Request) -> Response:
    event, _link = await access.event_and_role(request, MODERATOR_ROLES)
    async with request.app.state.db.read() as session:
        views = await service.moderation_queue(session, event.id, reveal_anonymous=False)
    header = ["id", "status", "votes", "also_asked", "starred", "question", "original", "asker", "municipality",
              "anonymous", "received", "on_air", "answered"]
    rows = [[v.question.id, v.question.status, v.votes, v.also_asked, int(v.question.starred), v.question.body,
             v.question.original_body, v.asker, v.place, int(v.question.anonymous),
             v.question.created_at.isoformat(timespec="seconds"),
             v.question.on_air_at.isoformat(timespec="seconds") if v.question.on_air_at else "",
             v.question.answered_at.isoformat(timespec="seconds") if v.question.answered_at else ""]
            for v in views]
    return csv_response([header, *rows], f"vragen-{event.slug}.csv", delimiter=",")


# --- page parts ----------------------------------------------------------------------------------------


async def participant_part(request: Request, session, context: dict) -> dict:
    event, participant = context["event"], context["participant"]
    db = request.app.state.db
    return {
        **await fragments.public_context(db, event.id),
        **await fragments.on_air_context(db, event.id),
        **await fragments.personal_context(db, participant.id),
        "event": event,
        "form_key": new_token(),
        "sections": [*context.get("sections", []), "questions/_participant_section.html"],
        "top_sections": ["questions/_invitation.html"],
    }


async def moderator_part(request: Request, session, context: dict) -> dict:
    db, event = request.app.state.db, context["event"]
    return {
        **await fragments.moderation_context(db, event.id),
        **await fragments.on_air_context(db, event.id),
        "event": event,
        "sections": [*context.get("sections", []), "questions/_moderator_section.html"],
    }


async def host_part(request: Request, session: AsyncSession, context: dict) -> dict:
    """The lunch hosts' conversation starters: questions answered on air, the most supported open ones."""
    return with_talking_points(context, "questions/_talking_points.html",
                               await fragments.talking_points_context(request.app.state.db, context["event"].id))


async def host_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.talking_points(viewer.event_id)]


async def presenter_part(request: Request, session, context: dict) -> dict:
    return {
        **await fragments.on_air_context(request.app.state.db, context["event"].id),
        "sections": [*context.get("sections", []), "questions/_on_air.html"],
    }


async def participant_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.public(viewer.event_id), topics.on_air(viewer.event_id), topics.personal(viewer.participant_id)]


async def moderator_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.moderation(viewer.event_id), topics.on_air(viewer.event_id)]


async def presenter_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.on_air(viewer.event_id)]


routes = [
    Route("/e/{slug}/questions", ask, methods=["POST"]),
    Route("/e/{slug}/questions/{question_id}/vote", vote, methods=["POST"]),
    Route("/e/{slug}/invitations/{invitation_id}", answer_invitation, methods=["POST"]),
    Route("/e/{slug}/moderator/questions.csv", export_csv),
    Route("/e/{slug}/moderator/themes", show_themes),
    Route("/e/{slug}/moderator/questions/{question_id}", moderate, methods=["POST"]),
    Route("/e/{slug}/moderator/invite", invite, methods=["POST"]),
    Route("/e/{slug}/moderator/invitations/{invitation_id}", close_invitation, methods=["POST"]),
]
