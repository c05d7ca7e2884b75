"""The organiser console: signing in, the list of events, and setting an event up."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import throttle
from app.core.input import as_id
from app.core.web import answers_with_status, status_message
from app.events import access, setup
from app.events.models import PART_KINDS, Event
from app.events.service import event_by_id, municipalities
from app.i18n import gettext, ngettext
from app.organiser import auth, service
from app.organiser.api import api_token
from app.polls import service as polls
from app.polls.models import POLL_KINDS, RESULT_MODES
from app.questions.service import counters
from app.templating import templates


def _safe_next(value: object, default: str = "/organiser") -> str:
    text = str(value or "")
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else default


def go(request: Request, url: str) -> Response:
    """After a change: htmx follows HX-Redirect; a plain form post (no script) follows a 303."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def require_organiser(request: Request) -> access.OrganiserGrant:
    async with request.app.state.db.read() as session:
        grant = await access.organiser_of(request, session)
    if grant is None:
        raise HTTPException(403, "organiser")
    return grant


async def _event(request: Request) -> Event:
    await require_organiser(request)
    async with request.app.state.db.read() as session:
        return await access.event_or_404(session, request.path_params["slug"])


# --- signing in ----------------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        async with request.app.state.db.read() as session:
            if await access.organiser_of(request, session):
                return RedirectResponse(next_url, status_code=303)  # already signed in
        return templates.TemplateResponse(request, "organiser/login.html", {"next": next_url, "error": None})
    data = await request.form()
    next_url = _safe_next(data.get("next"))
    typed = str(data.get("username", ""))
    # Keyed by the name as submitted, never by the account row: a name that does not exist is throttled (and
    # answered) exactly like one that does. Checked before the (deliberately slow) password hash.
    name = auth.login_name(typed)
    rules = (throttle.LOGIN, throttle.LOGIN_ANY)
    guard = throttle.throttles(request.app)
    refusal = await guard.check(request, *rules, account=name)
    if refusal is not None:
        return templates.TemplateResponse(request, "organiser/login.html",
                                          {"next": next_url, "error": refusal.message(), "username": typed[:80]},
                                          status_code=429, headers=refusal.headers)
    async with request.app.state.db.write() as session:
        organiser, message = await auth.authenticate(session, typed, str(data.get("password", "")),
                                                     str(data.get("code", "")))
    if organiser is None:
        await guard.failed(request, *rules, account=name)
        return templates.TemplateResponse(request, "organiser/login.html",
                                          {"next": next_url, "error": gettext(message), "username": typed[:80]},
                                          status_code=422)
    request.session["org"] = organiser.id
    guard.remember_device(request, name)  # a device cookie: this browser is not held back by its address
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    request.session.pop("org", None)
    return RedirectResponse("/organiser/login", status_code=303)


# --- events --------------------------------------------------------------------------------------------


def _event_form(data) -> setup.EventForm:
    return setup.EventForm(name=str(data.get("name", "")), day=str(data.get("day", "")),
                           allow_anonymous=data.get("allow_anonymous") == "1",
                           premoderation=data.get("premoderation") == "1",
                           default_locale=str(data.get("default_locale", "nl")),
                           word_filter=data.get("word_filter") == "1",
                           filter_words=str(data.get("filter_words", "")))


async def dashboard(request: Request) -> Response:
    grant = await require_organiser(request)
    show_archived = request.query_params.get("archived") == "1"
    async with request.app.state.db.read() as session:
        query = select(Event).order_by(Event.day.desc())
        if not show_archived:
            query = query.where(Event.archived_at.is_(None))
        events = list(await session.scalars(query))
    return templates.TemplateResponse(request, "organiser/dashboard.html",
                                      {"organiser": grant, "events": events, "show_archived": show_archived})


@answers_with_status
async def create_event(request: Request) -> Response:
    await require_organiser(request)
    async with request.app.state.db.write() as session:
        event = await setup.create_event(session, _event_form(await request.form()))
    return go(request, f"/e/{event.slug}/organiser/setup")


@answers_with_status
async def duplicate_event(request: Request) -> Response:
    event = await _event(request)
    async with request.app.state.db.write() as session:
        copy = await service.duplicate_event(session, event)
    return go(request, f"/e/{copy.slug}/organiser/setup")


@answers_with_status
async def archive_event(request: Request) -> Response:
    event = await _event(request)
    archived = (await request.form()).get("archived") == "1"
    async with request.app.state.db.write() as session:
        setup.archive(await session.get(Event, event.id), archived)
    return status_message(request, gettext("Event archived.") if archived else gettext("Event restored."))


async def setup_page(request: Request) -> Response:
    grant = await require_organiser(request)
    async with request.app.state.db.read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        context = {"event": event, "organiser": grant, "part_kinds": PART_KINDS, "poll_kinds": POLL_KINDS,
                   "result_modes": RESULT_MODES, "poll_questions": await polls.questions(session, event.id),
                   "municipalities": await municipalities(session)}
    return templates.TemplateResponse(request, "organiser/setup.html", context)


@answers_with_status
async def update_event(request: Request) -> Response:
    event = await _event(request)
    async with request.app.state.db.write() as session:
        await setup.update_event(session, await session.get(Event, event.id), _event_form(await request.form()))
    return status_message(request, gettext("Saved."))


@answers_with_status
async def save_part(request: Request) -> Response:
    event = await _event(request)
    data = await request.form()
    form = setup.PartForm(**{f: str(data.get(f, "")) for f in setup.PartForm.__dataclass_fields__})
    async with request.app.state.db.write() as session:
        if data.get("delete") == "1":
            await setup.delete_part(session, await event_by_id(session, event.id),
                                    as_id(request.path_params.get("part_id")))
        else:
            await setup.save_part(session, event, form, as_id(request.path_params.get("part_id")))
    return go(request, f"/e/{event.slug}/organiser/setup")


@answers_with_status
async def poll_question(request: Request) -> Response:
    event = await _event(request)
    data = await request.form()
    async with request.app.state.db.write() as session:
        if data.get("delete") == "1":
            await polls.delete_question(session, event, as_id(request.path_params.get("question_id")))
        else:
            form = polls.PollForm(**{f: str(data.get(f, "")) for f in polls.PollForm.__dataclass_fields__})
            await polls.add_question(session, event, form)
    return go(request, f"/e/{event.slug}/organiser/setup")


@answers_with_status
async def rotate_api_token(request: Request) -> Response:
    event = await _event(request)
    async with request.app.state.db.write() as session:
        stored = await session.get(Event, event.id)
        stored.api_version += 1
    return go(request, f"/e/{event.slug}/organiser#api-section")


@answers_with_status
async def seed_agenda(request: Request) -> Response:
    """Put the closing part's themes ready from the debate's question clusters and the poll's leading answers."""
    event = await _event(request)
    async with request.app.state.db.write() as session:
        added = await service.seed_agenda(session, event.id)
    if not added:
        return status_message(request, gettext("No new themes: the debate's themes (two or more published questions "
                                               "each) and the poll's leading answers are all on the list already."))
    return status_message(request, ngettext("%(num)s theme from the debate and the poll is on the list.",
                                            "%(num)s themes from the debate and the poll are on the list.", added))


async def run_page_part(request: Request, session, context: dict) -> dict:
    """On the page where the organiser runs the day: the question counters and the API token."""
    event = context["event"]
    base = request.app.state.settings.base_url
    return {"question_counters": await counters(session, event.id),
            "api_token": api_token(request.app.state.settings.secret_key, event),
            "api_base": f"{base}/api/v1/events/{event.slug}",
            "sections": [*context.get("sections", []), "organiser/_run_extras.html"]}



routes = [
    Route("/e/{slug}/organiser/api-token", rotate_api_token, methods=["POST"]),
    Route("/e/{slug}/organiser/agenda/seed", seed_agenda, methods=["POST"]),
    Route("/organiser", dashboard),
    Route("/organiser/login", login, methods=["GET", "POST"]),
    Route("/organiser/logout", logout, methods=["POST"]),
    Route("/organiser/events", create_event, methods=["POST"]),
    Route("/e/{slug}/organiser/setup", setup_page),
    Route("/e/{slug}/organiser/event", update_event, methods=["POST"]),
    Route("/e/{slug}/organiser/duplicate", duplicate_event, methods=["POST"]),
    Route("/e/{slug}/organiser/archive", archive_event, methods=["POST"]),
    Route("/e/{slug}/organiser/parts", save_part, methods=["POST"]),
    Route("/e/{slug}/organiser/parts/{part_id}", save_part, methods=["POST"]),
    Route("/e/{slug}/organiser/polls", poll_question, methods=["POST"]),
    Route("/e/{slug}/organiser/polls/{question_id}", poll_question, methods=["POST"]),
]
