"""Routes of Blik op 2021: a participant's picks and proposals, and the moderators' and organiser's list (add,
hide, show); the agenda's parts of the role pages and its live topics."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app import throttle
from app.agenda import fragments, service, topics
from app.core.input import InvalidInput, as_id
from app.core.web import answers_with_status, status_message
from app.db import Database
from app.events import access
from app.events.models import Event
from app.i18n import N_, gettext, ngettext
from app.live.socket import Viewer
from app.templating import render_fragment

# Per participant, every pick and proposal counts (nobody honestly changes their picks 60 times a minute).
AGENDA_ACTION = throttle.Rule("agenda", throttle.Budget(60, throttle.MINUTE, 10, throttle.MINUTE), None, shared=False)
PICK_FIELDS = 20  # a form with more ticks than that is not a person's


async def _participant(request: Request) -> tuple[Event, int]:
    """The event and the participant (during the closing everyone picks within the same minute)."""
    event, participant_id = await access.live_event_and_participant(request)
    await throttle.limit(request, AGENDA_ACTION, str(participant_id))
    return event, participant_id


async def _answer(request: Request, event_id: int, participant_id: int, message: str, error: bool = False,
                  proposal: str = "") -> Response:
    """The status region's text and, out of band, the participant's form as it is stored: after a refusal the
    ticks that count (not the refused ones), after a proposal an empty text box."""
    context = await fragments.mine_context(request.app.state.db, event_id, participant_id)
    body = render_fragment("layout/_status.html", message=message, error=error)
    body += render_fragment("agenda/_mine.html", oob="true", agenda_proposal=proposal, **context)
    return HTMLResponse(body, status_code=422 if error else 200)


@answers_with_status
async def picks(request: Request) -> Response:
    event, participant_id = await _participant(request)
    data = await request.form()
    chosen = [as_id(value) for value in data.getlist("theme")[:PICK_FIELDS + 1]]
    try:
        if len(chosen) > PICK_FIELDS:
            raise InvalidInput({"theme": service.TOO_MANY})
        async with request.app.state.db.write() as session:
            stored = await service.set_picks(session, event, participant_id, chosen)
    except InvalidInput as invalid:
        reason = gettext(next(iter(invalid.errors.values())))
        return await _answer(request, event.id, participant_id,
                             gettext("Your picks were not saved: %(reason)s", reason=reason), error=True)
    message = ngettext("Saved: you picked %(num)s theme.", "Saved: you picked %(num)s themes.", len(stored)) \
        if stored else gettext("Saved: you picked no themes.")
    return await _answer(request, event.id, participant_id, message)


@answers_with_status
async def propose(request: Request) -> Response:
    event, participant_id = await _participant(request)
    typed = str((await request.form()).get("label", ""))
    try:
        async with request.app.state.db.write() as session:
            proposal = await service.propose(session, event, participant_id, typed)
    except InvalidInput as invalid:
        reason = gettext(next(iter(invalid.errors.values())))
        return await _answer(request, event.id, participant_id,
                             gettext("Your theme was not added: %(reason)s", reason=reason), error=True,
                             proposal=typed[:200])
    label = proposal.theme.label
    if proposal.created:
        message = gettext("Thank you: your theme is on the list and counts as one of your picks.") if proposal.picked \
            else gettext("Thank you: your theme is on the list. You have no picks left for it: untick another theme "
                         "to pick it.")
    elif proposal.already_picked:
        message = gettext("This theme is already on the list as “%(label)s”, and you have picked it.", label=label)
    elif proposal.picked:
        message = gettext("This theme is already on the list as “%(label)s”: it now counts as one of your picks.",
                          label=label)
    else:
        message = gettext("This theme is already on the list as “%(label)s”. You have no picks left: untick another "
                          "theme to pick it.", label=label)
    return await _answer(request, event.id, participant_id, message)


@answers_with_status
async def add_theme(request: Request) -> Response:
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    label = (await request.form()).get("label", "")
    async with request.app.state.db.write() as session:
        theme = await service.add(session, event, label)
    return status_message(request, gettext("Theme added: %(label)s.", label=theme.label))


@answers_with_status
async def hide_theme(request: Request) -> Response:
    event, _link = await access.event_and_role(request, access.PHASE_ROLES)
    action = str((await request.form()).get("action", ""))
    if action not in ("hide", "show"):
        raise InvalidInput({"action": N_("Choose whether to hide or show the theme.")})
    async with request.app.state.db.write() as session:
        theme = await service.set_hidden(session, event, as_id(request.path_params["theme_id"]), action == "hide")
    if action == "hide":
        return status_message(request, gettext("Hidden: %(label)s. Its picks no longer count.", label=theme.label))
    return status_message(request, gettext("Shown again: %(label)s.", label=theme.label))


# --- page parts and live topics ------------------------------------------------------------------------


async def participant_part(request: Request, session: AsyncSession, context: dict) -> dict:
    event, participant = context["event"], context["participant"]
    db = request.app.state.db
    return {**await fragments.ranking_context(db, event.id),
            **await fragments.mine_context(db, event.id, participant.id),
            "agenda_title": fragments.closing_title(event),
            "sections": [*context.get("sections", []), "agenda/_participant_section.html"]}


async def presenter_part(request: Request, session: AsyncSession, context: dict) -> dict:
    return {**await fragments.ranking_context(request.app.state.db, context["event"].id),
            "agenda_title": fragments.closing_title(context["event"]),
            "sections": [*context.get("sections", []), "agenda/_board.html"]}


async def control_part(request: Request, session: AsyncSession, context: dict) -> dict:
    return {**await fragments.control_context(request.app.state.db, context["event"].id),
            "agenda_title": fragments.closing_title(context["event"]),
            "sections": [*context.get("sections", []), "agenda/_control_section.html"]}


async def participant_topics(db: Database, viewer: Viewer) -> list[str]:
    assert viewer.participant_id is not None
    return [topics.ranking(viewer.event_id), topics.mine(viewer.event_id, viewer.participant_id)]


async def presenter_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.board(viewer.event_id)]


async def control_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.control(viewer.event_id)]


routes = [
    Route("/e/{slug}/agenda/picks", picks, methods=["POST"]),
    Route("/e/{slug}/agenda/propose", propose, methods=["POST"]),
    Route("/e/{slug}/agenda/themes", add_theme, methods=["POST"]),
    Route("/e/{slug}/agenda/themes/{theme_id}", hide_theme, methods=["POST"]),
]
