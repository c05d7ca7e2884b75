"""Routes of the events domain: joining, role links, the role pages, phase changes, language."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from app import throttle
from app.core.input import InvalidInput, as_id, clean_text
from app.events import access, service, topics
from app.events.fragments import online_context, programme_context
from app.events.models import Event, Participant
from app.i18n import LOCALES, gettext
from app.live.socket import Viewer
from app.security import new_token
from app.templating import templates

MAX_ROLE_GRANTS = 20


def _db(conn):
    return conn.app.state.db


def _hub(conn):
    return conn.app.state.hub


async def home(request: Request) -> Response:
    code = clean_text(request.query_params.get("code", ""), 12)
    return await _join_page(request, {"code": code}, {}, new_token())


async def _join_page(request: Request, form: dict, errors: dict[str, str], join_key: str, status_code: int = 200,
                     headers: dict[str, str] | None = None) -> Response:
    async with _db(request).read() as session:
        municipalities = await service.municipalities(session)
    return templates.TemplateResponse(
        request,
        "participant/join.html",
        {"municipalities": municipalities, "form": form, "errors": errors, "join_key": join_key},
        status_code=status_code,
        headers=headers,
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
    join_key = form.join_key if form.join_key else new_token()
    guard = throttle.throttles(request.app)
    refusal = await guard.check(request, throttle.JOIN)
    if refusal is not None:
        # Refused before the code is looked at, so a refusal says nothing about whether the code was right.
        return await _join_page(request, form.__dict__, {"code": refusal.message()}, join_key, 429, refusal.headers)
    try:
        async with _db(request).write() as session:
            event, participant, token = await service.join(session, form, request.app.state.settings.secret_key)
            await _joined(request, session, event, participant)
    except InvalidInput as invalid:
        if "code" in invalid.errors and form.code.strip():
            async with _db(request).read() as session:
                unknown = await service.event_by_code(session, form.code) is None
            if unknown:  # a wrong code is a guess; a right code with a typo in the name is not
                await guard.failed(request, throttle.JOIN)
        errors = {field: gettext(message) for field, message in invalid.errors.items()}
        return await _join_page(request, form.__dict__, errors, join_key, 422)
    _remember_participant(request, event.id, participant, token)
    return RedirectResponse(f"/e/{event.slug}", status_code=303)


async def _joined(request: Request, session: AsyncSession, event: Event, participant: Participant) -> None:
    """Other parts of the event act on a join in the join's own write transaction (the lunch seats someone who
    joins after the seating was published), so the pages the participant then opens only read."""
    for hook in request.app.state.join_hooks:
        await hook(session, event, participant)


def _remember_participant(request: Request, event_id: int, participant, token: str | None) -> None:
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
    guard = throttle.throttles(request.app)
    refusal = await guard.check(request, throttle.LINK)
    if refusal is not None:  # a flood of wrong links is refused here, without a database read
        return throttle.refused_page(request, refusal)
    async with _db(request).read() as session:
        participant = await service.participant_by_invite(session, token)
        event = await service.event_by_id(session, participant.event_id) if participant else None
    if participant is None or event is None or access.links_expired(request, event):
        await guard.failed(request, throttle.LINK)
        raise HTTPException(403, "link")
    # The link exchange is this person's join on this device. Someone the organiser adds after the seating was
    # published is seated when added (app/organiser/people.py), so this normally finds the seat and writes
    # nothing; the hooks stay as the safety net for anyone still without one (never the page view).
    async with _db(request).write() as session:
        await _joined(request, session, event, participant)
    _remember_participant(request, event.id, participant, token)
    return RedirectResponse(f"/e/{event.slug}", status_code=303)


async def role_link(request: Request) -> Response:
    """Exchange a capability token for the session cookie, then lose the token from the address bar."""
    token = request.path_params["token"]
    guard = throttle.throttles(request.app)
    refusal = await guard.check(request, throttle.LINK)
    if refusal is not None:
        return throttle.refused_page(request, refusal)
    async with _db(request).read() as session:
        link = await service.role_link_by_token(session, token)
        event = await service.event_by_id(session, link.event_id) if link else None
    if link is None or event is None or not link.usable(service.utcnow()):
        await guard.failed(request, throttle.LINK)
        raise HTTPException(403, "link")
    grants = [g for g in request.session.get("r", []) if isinstance(g, list) and g and g[0] != link.id]
    request.session["r"] = (grants + [[link.id, link.version]])[-MAX_ROLE_GRANTS:]
    return RedirectResponse(f"/e/{event.slug}/{link.role}", status_code=303)


async def participant_page(request: Request) -> Response:
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        participant = await access.participant_of(request, session, event)
        if participant is None:
            # The code only for a browser that was in this event before: the slug is made from the event's name
            # and date, so handing the code to anyone who opens /e/<slug> would make guessing it pointless.
            joined = request.session.get("p")
            code = f"code={event.code}" if isinstance(joined, dict) and str(event.id) in joined else ""
            reason = "reason=session" if request.scope.get("session_tampered") else ""
            query = "&".join(part for part in (code, reason) if part)
            return RedirectResponse(f"/?{query}" if query else "/", status_code=303)
        base = {
            "event": event,
            "phase": service.phase_of(event),
            "participant": participant,
            "personal_link": request.session.get("links", {}).get(str(event.id)),
        }
        context = await request.app.state.page_parts.context("participant", request, session, base)
    return templates.TemplateResponse(request, "participant/page.html", context)


def presenter_join(base_url: str, code: str) -> dict:
    """How the room joins, for the presenter's screen: the address to type (without "https://"), the link with
    the code and a QR code of it as inline SVG (no inline style in segno's output: the CSP allows it)."""
    import segno
    from markupsafe import Markup

    join_url = f"{base_url}/?code={code}"
    address = base_url.split("://", 1)[-1]
    title = gettext("QR code: %(url)s", url=join_url.split("://", 1)[-1])
    svg = segno.make(join_url, error="m").svg_inline(border=4, omitsize=True, svgclass="qr", lineclass=None,
                                                     dark="#000", light="#fff", title=title)
    return {"join_url": join_url, "join_address": address,
            "join_qr": Markup(svg.replace("<svg ", '<svg role="img" ', 1))}  # segno escapes the title


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
        if view == "presenter":
            base.update(presenter_join(request.app.state.settings.base_url, event.code))
        context = await request.app.state.page_parts.context(view, request, session, base)
    return templates.TemplateResponse(request, f"{view}/page.html", context)


async def change_phase(request: Request) -> Response:
    """A run-of-show button. The answer is the run of show as it now is (with the refusal, if any); every other
    organiser's and moderator's copy follows through the programme topic."""
    data = await request.form()
    part_raw = str(data.get("part", ""))
    # The buttons say where they expect the block to be (service.phase_mark); a form without it is a script's.
    expected = str(data["expected"])[:20] if "expected" in data else None
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        await access.require_role(request, session, event, access.PHASE_ROLES)
    error = None
    event_id = event.id  # a refused change rolls back and expires the event loaded in its session
    try:
        async with _db(request).write() as session:
            event = await service.event_by_id(session, event_id)
            await service.change_phase(session, event, str(data.get("action", "")), as_id(part_raw), expected)
    except InvalidInput as invalid:
        error = gettext(next(iter(invalid.errors.values())), **getattr(invalid, "params", {}))
    async with _db(request).read() as session:
        event = await service.event_by_id(session, event_id)
    return templates.TemplateResponse(
        request,
        "events/_phase_control.html",
        {"event": event, "phase": service.phase_of(event), "error": error},
        status_code=422 if error else 200,
    )


async def update_settings(request: Request) -> Response:
    """The organiser switches pre-moderation, anonymous questions and the word filter on or off (a checkbox that is
    not sent is off, as in any HTML form)."""
    data = await request.form()
    async with _db(request).read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        await access.require_role(request, session, event, ("organiser",))
    async with _db(request).write() as session:
        event = await service.event_by_id(session, event.id)
        event.premoderation = data.get("premoderation") == "1"
        event.allow_anonymous = data.get("allow_anonymous") == "1"
        event.word_filter = data.get("word_filter") == "1"
    return templates.TemplateResponse(request, "organiser/_settings.html", {"event": event, "saved": True})


async def set_language(request: Request) -> Response:
    """Switch the language and go back to the very page, query included (?code=, ?next=)."""
    data = await request.form()
    lang = str(data.get("lang", ""))
    if lang in LOCALES:
        request.session["lang"] = lang
    back = data.get("back", data.get("next", "/"))  # "next" from a form of an earlier version, or a script
    return RedirectResponse(local_path(str(back)), status_code=303)


def local_path(value: str, default: str = "/") -> str:
    """A path on this site, or ``default``: never another origin (an open redirect), so nothing with a scheme or
    a host, no "//" or "/\\" (browsers read a backslash as a slash), no control characters. A ?lang= in the
    query is dropped: it would override the language just chosen."""
    if not value.startswith("/") or value[1:2] in ("/", "\\") or len(value) > 2000:
        return default
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return parts.path + (f"?{query}" if query else "")


async def leave(request: Request) -> Response:
    """Forget this device's participant and role sessions. The language and the organiser login's device cookie
    stay: signing out must not make the owner's own browser a stranger to the login throttle."""
    kept = {key: request.session[key] for key in ("lang", "d") if key in request.session}
    request.session.clear()
    request.session.update(kept)
    return RedirectResponse("/", status_code=303)


async def privacy(request: Request) -> Response:
    return templates.TemplateResponse(request, "pages/privacy.html", {})


async def accessibility(request: Request) -> Response:
    return templates.TemplateResponse(request, "pages/accessibility.html", {})


# --- live views ----------------------------------------------------------------------------------------


async def participant_viewer(websocket: WebSocket, slug: str) -> Viewer | None:
    event = await access.live_event(websocket, slug)
    if event is None:
        return None
    participant_id = await access.live_participant_id(websocket, event)
    if participant_id is None:
        return None
    return Viewer(
        event_id=event.id,
        participant_id=participant_id,
        topics=[topics.programme(event.id)],
        identities=[f"participant:{participant_id}"],
        presence=(service.presence_group(event.id), str(participant_id)),
        presence_topic=topics.online(event.id),
    )


def role_viewer(view: str):
    view_topics = {
        "moderator": lambda e: [topics.programme(e)],
        "presenter": lambda e: [topics.presenter(e)],
        "host": lambda e: [topics.programme(e)],
        "organiser": lambda e: [topics.programme(e), topics.online(e)],
    }[view]

    async def authorise(websocket: WebSocket, slug: str) -> Viewer | None:
        event = await access.live_event(websocket, slug)
        if event is None:
            return None
        async with _db(websocket).read() as session:
            link = await access.role_of(websocket, session, event, access.PAGE_ROLES[view])
        if link is None:
            return None
        identity = link.identity if isinstance(link, access.OrganiserGrant) else f"link:{link.id}"
        link_id = None if isinstance(link, access.OrganiserGrant) else link.id
        return Viewer(event_id=event.id, link_id=link_id, topics=view_topics(event.id), identities=[identity])

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
