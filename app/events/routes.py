"""Routes of the events domain: joining, role links, the role pages, phase changes, language."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from app import pages
from app.events import access, service
from app.events.fragments import online_context, programme_context
from app.i18n import LOCALES, gettext
from app.live.socket import Viewer
from app.security import new_token
from app.templating import templates

MAX_ROLE_GRANTS = 20


def _db(conn):  # noqa: ANN001, ANN202
    return conn.app.state.db


def _hub(conn):  # noqa: ANN001, ANN202
    return conn.app.state.hub


async def home(request: Request) -> Response:
    async with _db(request).read() as session:
        municipalities = await service.municipalities(session)
    code = service.clean_text(request.query_params.get("code", ""), 12)
    return templates.TemplateResponse(
        request,
        "participant/join.html",
        {"municipalities": municipalities, "form": {"code": code}, "errors": {}, "join_key": new_token()},
    )


async def join(request: Request) -> Response:
    data = await request.form()
    form = service.JoinForm(
        code=str(data.get("code", "")),
        name=str(data.get("name", "")),
        municipality=str(data.get("municipality", "")),
        organisation=str(data.get("organisation", "")),
        join_key=str(data.get("join_key", "")),
    )
    try:
        async with _db(request).write() as session:
            event, participant, token = await service.join(session, form, request.app.state.settings.secret_key)
    except service.InvalidInput as invalid:
        async with _db(request).read() as session:
            municipalities = await service.municipalities(session)
        return templates.TemplateResponse(
            request,
            "participant/join.html",
            {
                "municipalities": municipalities,
                "form": form.__dict__,
                "errors": {field: gettext(message) for field, message in invalid.errors.items()},
                "join_key": form.join_key if form.join_key else new_token(),
            },
            status_code=422,
        )
    _remember_participant(request, event.id, participant, token)
    await _hub(request).changed(service.online_topic(event.id))
    return RedirectResponse(f"/e/{event.slug}", status_code=303)


def _remember_participant(request: Request, event_id: int, participant, token: str | None) -> None:  # noqa: ANN001
    session = request.session
    joined = session.get("p") if isinstance(session.get("p"), dict) else {}
    joined[str(event_id)] = [participant.id, participant.link_version]
    session["p"] = joined
    if token:
        # The participant's own personal link, so the page can offer it for another device.
        links = session.get("links") if isinstance(session.get("links"), dict) else {}
        links[str(event_id)] = token
        session["links"] = links


async def invite(request: Request) -> Response:
    token = request.path_params["token"]
    async with _db(request).read() as session:
        participant = await service.participant_by_invite(session, token)
        event = await service.event_by_id(session, participant.event_id) if participant else None
    if participant is None or event is None or access.links_expired(request, event):
        raise HTTPException(403, "link")
    _remember_participant(request, event.id, participant, token)
    return RedirectResponse(f"/e/{event.slug}", status_code=303)


async def role_link(request: Request) -> Response:
    """Exchange a capability token for the session cookie, then lose the token from the address bar."""
    token = request.path_params["token"]
    async with _db(request).read() as session:
        link = await service.role_link_by_token(session, token)
        event = await service.event_by_id(session, link.event_id) if link else None
    if link is None or event is None or not link.usable(service.utcnow()):
        raise HTTPException(403, "link")
    grants = [g for g in request.session.get("r", []) if isinstance(g, list) and g and g[0] != link.id]
    request.session["r"] = (grants + [[link.id, link.version]])[-MAX_ROLE_GRANTS:]
    return RedirectResponse(f"/e/{event.slug}/{link.role}", status_code=303)


async def participant_page(request: Request) -> Response:
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        participant = await access.participant_of(request, session, event)
        if participant is None:
            reason = "&reason=session" if request.scope.get("session_tampered") else ""
            return RedirectResponse(f"/?code={event.code}{reason}", status_code=303)
        base = {
            "event": event,
            "phase": service.phase_of(event),
            "participant": participant,
            "personal_link": request.session.get("links", {}).get(str(event.id)),
        }
        context = await pages.page_context("participant", request, session, base)
    return templates.TemplateResponse(request, "participant/page.html", context)


async def role_page(request: Request) -> Response:
    view = request.path_params["view"]
    if view not in access.PAGE_ROLES:
        raise HTTPException(404, "page")
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        link = await access.require_role(request, session, event, access.PAGE_ROLES[view])
        base = {"event": event, "link": link, **await programme_context(_db(request), event.id)}
        if view == "organiser":
            base.update(await online_context(_db(request), _hub(request), event.id))
        context = await pages.page_context(view, request, session, base)
    return templates.TemplateResponse(request, f"{view}/page.html", context)


async def change_phase(request: Request) -> Response:
    data = await request.form()
    part_raw = str(data.get("part", ""))
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        await access.require_role(request, session, event, access.PHASE_ROLES)
    error = None
    try:
        async with _db(request).write() as session:
            event = await service.event_by_id(session, event.id)
            await service.change_phase(
                session, event, str(data.get("action", "")), int(part_raw) if part_raw.isdigit() else None
            )
    except service.InvalidInput as invalid:
        error = gettext(next(iter(invalid.errors.values())))
    else:
        await _hub(request).changed(service.programme_topic(event.id), f"presenter:{event.id}")
    async with _db(request).read() as session:
        event = await service.event_by_id(session, event.id)
    return templates.TemplateResponse(
        request,
        "events/_phase_control.html",
        {"event": event, "phase": service.phase_of(event), "error": error},
        status_code=422 if error else 200,
    )


async def update_settings(request: Request) -> Response:
    """The organiser switches pre-moderation and anonymous questions on or off."""
    data = await request.form()
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        await access.require_role(request, session, event, ("organiser",))
    async with _db(request).write() as session:
        event = await service.event_by_id(session, event.id)
        event.premoderation = data.get("premoderation") == "1"
        event.allow_anonymous = data.get("allow_anonymous") == "1"
    return templates.TemplateResponse(request, "organiser/_settings.html", {"event": event, "saved": True})


async def set_language(request: Request) -> Response:
    data = await request.form()
    lang = str(data.get("lang", ""))
    if lang in LOCALES:
        request.session["lang"] = lang
    back = str(data.get("next", "/"))
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    return RedirectResponse(back, status_code=303)


async def leave(request: Request) -> Response:
    """Forget this device's participant and role sessions."""
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/", status_code=303)


async def privacy(request: Request) -> Response:
    return templates.TemplateResponse(request, "pages/privacy.html", {})


async def accessibility(request: Request) -> Response:
    return templates.TemplateResponse(request, "pages/accessibility.html", {})


# --- live views ----------------------------------------------------------------------------------------


async def participant_viewer(websocket: WebSocket, slug: str) -> Viewer | None:
    async with _db(websocket).read() as session:
        event = await service.event_by_slug(session, slug)
        if event is None:
            return None
        participant = await access.participant_of(websocket, session, event)
    if participant is None:
        return None
    return Viewer(
        topics=[service.programme_topic(event.id)],
        identities=[f"participant:{participant.id}"],
        presence=(service.presence_group(event.id), str(participant.id)),
        presence_topic=service.online_topic(event.id),
        extra={"event_id": event.id, "participant_id": participant.id},
    )


def role_viewer(view: str):  # noqa: ANN201
    topics = {
        "moderator": lambda e: [service.programme_topic(e)],
        "presenter": lambda e: [f"presenter:{e}"],
        "host": lambda e: [service.programme_topic(e)],
        "organiser": lambda e: [service.programme_topic(e), service.online_topic(e)],
    }[view]

    async def authorise(websocket: WebSocket, slug: str) -> Viewer | None:
        async with _db(websocket).read() as session:
            event = await service.event_by_slug(session, slug)
            if event is None:
                return None
            link = await access.role_of(websocket, session, event, access.PAGE_ROLES[view])
        if link is None:
            return None
        identity = link.identity if isinstance(link, access.OrganiserGrant) else f"link:{link.id}"
        return Viewer(topics=topics(event.id), identities=[identity],
                      extra={"event_id": event.id, "link_id": link.id, "db": _db(websocket)})

    return authorise


routes = [
    Route("/", home),
    Route("/join", join, methods=["POST"]),
    Route("/j/{token}", invite),
    Route("/r/{token}", role_link),
    Route("/e/{slug}", participant_page),
    Route("/e/{slug}/phase", change_phase, methods=["POST"]),
    Route("/e/{slug}/organiser/settings", update_settings, methods=["POST"]),
    Route("/e/{slug}/{view}", role_page),
    Route("/lang", set_language, methods=["POST"]),
    Route("/leave", leave, methods=["POST"]),
    Route("/privacy", privacy),
    Route("/toegankelijkheid", accessibility),
]
