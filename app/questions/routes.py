"""Routes of the G40Gesprek: asking, upvoting, answering an invitation, and the moderator's actions."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import pages, throttle
from app.events import access
from app.events.models import Event
from app.events.service import InvalidInput
from app.i18n import N_, gettext
from app.questions import fragments, service
from app.questions.models import Question
from app.security import new_token
from app.templating import templates
from app.web import answers_with_status, form_int, spreadsheet_safe, status_message

MODERATOR_ROLES = access.PHASE_ROLES


async def ask(request: Request) -> Response:
    db, hub = request.app.state.db, request.app.state.hub
    data = await request.form()
    event, participant = await _event_and_actor(request, moderator=False)
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
    await hub.changed(
        service.moderation_topic(event.id),
        service.personal_topic(participant.id),
        *([service.public_topic(event.id)] if question.status == "approved" else []),
    )
    context["message"] = (
        gettext("Question received. The moderator will look at it.")
        if question.status == "pending"
        else gettext("Question received and published.")
    )
    return templates.TemplateResponse(request, "questions/_ask_form.html", context)


async def _event_and_actor(request: Request, moderator: bool) -> tuple[Event, object]:
    async with request.app.state.db.read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        if moderator:
            return event, await access.require_role(request, session, event, MODERATOR_ROLES)
        return event, await access.require_participant(request, session, event)


@answers_with_status
async def vote(request: Request) -> Response:
    event, participant = await _event_and_actor(request, moderator=False)
    await throttle.limit(request, throttle.UPVOTE, str(participant.id))
    up = (await request.form()).get("up") == "1"
    async with request.app.state.db.write() as session:
        await service.set_vote(session, event.id, form_int(request.path_params["question_id"]) or 0, participant, up)
    await request.app.state.hub.changed(
        service.public_topic(event.id),
        service.personal_topic(participant.id),
        service.on_air_topic(event.id),
        service.moderation_topic(event.id),
    )
    return status_message(request, gettext("Vote saved.") if up else gettext("Vote withdrawn."))


@answers_with_status
async def answer_invitation(request: Request) -> Response:
    event, participant = await _event_and_actor(request, moderator=False)
    ready = (await request.form()).get("ready") == "1"
    async with request.app.state.db.write() as session:
        await service.answer_invitation(session, participant, form_int(request.path_params["invitation_id"]) or 0, ready)
    await request.app.state.hub.changed(service.moderation_topic(event.id), service.personal_topic(participant.id))
    return status_message(
        request,
        gettext("Thank you. The moderator will give you the floor: unmute yourself in the video meeting when you are asked.")
        if ready
        else gettext("Understood. The moderator knows you will not react now."),
    )


@answers_with_status
async def moderate(request: Request) -> Response:
    event, _link = await _event_and_actor(request, moderator=True)
    data = await request.form()
    question_id = form_int(request.path_params["question_id"]) or 0
    async with request.app.state.db.read() as session:
        before = await session.get(Question, question_id)
        old_on_air = await service.on_air(session, event.id)
    action = str(data.get("action", ""))
    async with request.app.state.db.write() as session:
        question = await service.moderate(
            session, event, question_id, action, body=data.get("body"), into_id=form_int(data.get("into"))
        )
    # The askers whose question changed (and the one that was on air before) see their status move.
    askers = {q.participant_id for q in (before, question) if q and q.participant_id}
    if old_on_air and old_on_air.participant_id:
        askers.add(old_on_air.participant_id)
    await request.app.state.hub.changed(
        service.moderation_topic(event.id),
        service.public_topic(event.id),
        service.on_air_topic(event.id),
        *[service.personal_topic(p) for p in askers],
    )
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
    event, _link = await _event_and_actor(request, moderator=True)
    data = await request.form()
    async with request.app.state.db.write() as session:
        invitation = await service.invite(session, event, form_int(data.get("participant")), form_int(data.get("question")))
    await request.app.state.hub.changed(service.moderation_topic(event.id), service.personal_topic(invitation.participant_id))
    return status_message(request, gettext("Invitation sent."))


@answers_with_status
async def close_invitation(request: Request) -> Response:
    event, _link = await _event_and_actor(request, moderator=True)
    outcome = str((await request.form()).get("outcome", ""))
    async with request.app.state.db.write() as session:
        invitation = await service.close_invitation(session, event, form_int(request.path_params["invitation_id"]) or 0, outcome)
    await request.app.state.hub.changed(service.moderation_topic(event.id), service.personal_topic(invitation.participant_id))
    return status_message(request, gettext("Invitation closed."))


async def export_csv(request: Request) -> Response:
    event, _link = await _event_and_actor(request, moderator=True)
    async with request.app.state.db.read() as session:
        views = await service.moderation_queue(session, event.id, reveal_anonymous=False)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "id",
            "status",
            "votes",
            "also_asked",
            "starred",
            "question",
            "original",
            "asker",
            "municipality",
            "anonymous",
            "received",
            "on_air",
            "answered",
        ]
    )
    for v in views:
        q = v.question
        writer.writerow(
            [
                q.id,
                q.status,
                v.votes,
                v.also_asked,
                int(q.starred),
                spreadsheet_safe(q.body),
                spreadsheet_safe(q.original_body),
                spreadsheet_safe(v.asker),
                spreadsheet_safe(v.place),
                int(q.anonymous),
                q.created_at.isoformat(timespec="seconds"),
                q.on_air_at.isoformat(timespec="seconds") if q.on_air_at else "",
                q.answered_at.isoformat(timespec="seconds") if q.answered_at else "",
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="vragen-{event.slug}.csv"'},
    )


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


async def presenter_part(request: Request, session, context: dict) -> dict:
    return {
        **await fragments.on_air_context(request.app.state.db, context["event"].id),
        "sections": [*context.get("sections", []), "questions/_on_air.html"],
    }


pages.contribute("participant", participant_part, order=1)
pages.contribute("moderator", moderator_part, order=1)
pages.contribute("presenter", presenter_part, order=1)


def live_topics(view: str):
    """Topics this domain adds to each live view (the server decides; the client never asks)."""

    def participant(viewer) -> list[str]:
        event_id, participant_id = viewer.extra["event_id"], viewer.extra["participant_id"]
        return [service.public_topic(event_id), service.on_air_topic(event_id), service.personal_topic(participant_id)]

    def moderator(viewer) -> list[str]:
        return [service.moderation_topic(viewer.extra["event_id"]), service.on_air_topic(viewer.extra["event_id"])]

    def presenter(viewer) -> list[str]:
        return [service.on_air_topic(viewer.extra["event_id"])]

    return {"participant": participant, "moderator": moderator, "presenter": presenter}[view]


routes = [
    Route("/e/{slug}/questions", ask, methods=["POST"]),
    Route("/e/{slug}/questions/{question_id}/vote", vote, methods=["POST"]),
    Route("/e/{slug}/invitations/{invitation_id}", answer_invitation, methods=["POST"]),
    Route("/e/{slug}/moderator/questions.csv", export_csv),
    Route("/e/{slug}/moderator/questions/{question_id}", moderate, methods=["POST"]),
    Route("/e/{slug}/moderator/invite", invite, methods=["POST"]),
    Route("/e/{slug}/moderator/invitations/{invitation_id}", close_invitation, methods=["POST"]),
]
