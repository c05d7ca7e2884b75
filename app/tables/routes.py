"""Routes of the Interactieve netwerklunch: the organiser's seating controls, the host's guest list, the
participant's table card and table link."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.core.input import InvalidInput, as_id, clean_text
from app.core.web import answers_with_status, status_message
from app.db import Database
from app.events import access
from app.events.models import Event, Participant, RoleLink
from app.events.service import presence_group
from app.i18n import gettext, ngettext
from app.live.socket import Viewer
from app.tables import fragments, service, topics
from app.templating import render_fragment, templates

ORGANISER = ("organiser",)


@answers_with_status
async def seating(request: Request) -> Response:
    """Preview a seating, publish it, start a new round, or absorb no-shows."""
    event, _link = await access.event_and_role(request, ORGANISER)
    data = await request.form()
    action = str(data.get("action", ""))
    db, hub = request.app.state.db, request.app.state.hub
    if action in ("preview", "new_round"):
        async with db.write() as session:
            await service.make_seating(session, event, seed=as_id(data.get("seed")) or 0,
                                       new_round=action == "new_round")
        return status_message(request, gettext("Preview ready. Participants see their table once you publish."))
    if action == "publish":
        async with db.write() as session:
            await service.publish(session, event)
        return status_message(request, gettext("Published: every participant now sees their table."))
    if action == "rebalance":
        async with db.read() as session:
            latest = await service.current_round(session, event.id)
            opened = {s.participant_id for s in await service.seats(session, latest.id) if s.opened_at} if latest else set()
        present = {int(m) for m in await hub.online(presence_group(event.id)) if m.isdigit()} | opened
        async with db.write() as session:
            moves = await service.rebalance(session, event, present)
        if not moves:
            return status_message(request, gettext("No one needs to move: the tables are still balanced enough."))
        return status_message(request, ngettext("%(num)s person moved.", "%(num)s people moved.", len(moves)))
    raise InvalidInput({"action": "Unknown action."})


@answers_with_status
async def move(request: Request) -> Response:
    event, _link = await access.event_and_role(request, ORGANISER)
    data = await request.form()
    async with request.app.state.db.write() as session:
        await service.move(session, event, as_id(data.get("participant")), as_id(data.get("table")),
                                       data.get("lock") == "1")
    return status_message(request, gettext("Moved."))


@answers_with_status
async def replace_host(request: Request) -> Response:
    event, _link = await access.event_and_role(request, ORGANISER)
    data = await request.form()
    table_id = as_id(request.path_params["table_id"])
    async with request.app.state.db.write() as session:
        _table, token = await service.replace_host(
            session, event, table_id, clean_text(data.get("name")), as_id(data.get("municipality")),
            request.app.state.settings.secret_key, request.app.state.settings.role_link_days)
    link = f"{request.app.state.settings.base_url}/r/{token}"
    return status_message(request, gettext("New host set. Send this link to the new host (shown only now): %(link)s",
                                           link=link))


@answers_with_status
async def save_table(request: Request) -> Response:
    event, _link = await access.event_and_role(request, ORGANISER)
    data = await request.form()
    form = service.TableForm(**{field: str(data.get(field, "")) for field in service.TableForm.__dataclass_fields__})
    table_id = as_id(request.path_params.get("table_id"))
    async with request.app.state.db.write() as session:
        settings = request.app.state.settings
        table, token = await service.save_table(session, event, form, table_id, settings.secret_key,
                                                settings.role_link_days)
    if token:
        link = f"{request.app.state.settings.base_url}/r/{token}"
        return status_message(request, gettext("Table saved. Send this link to its host (shown only now): %(link)s",
                                               link=link))
    return status_message(request, gettext("Table saved."))


async def open_table(request: Request) -> Response:
    """The participant's big button, a form post: record that they went to their table, then send them on.

    The post answers 303 to the GET of this same address, never to the video service itself: the pages' CSP has
    ``form-action 'self'``, and browsers apply it to every redirect that follows a form post, so a redirect to
    another site would be blocked. The GET only reads: a small page that forwards to the table's video meeting
    (an immediate meta refresh, which needs no script, and a big link should that be blocked), or back to the
    participant's page when there is no table to go to (not published yet, no video link)."""
    event, participant = await access.event_and_participant(request)
    if request.method == "POST":
        async with request.app.state.db.write() as session:
            table = await service.record_opened(session, event.id, participant.id)
        if table is None:
            raise HTTPException(404, "page")
        return RedirectResponse(f"/e/{event.slug}/table/open", status_code=303)
    async with request.app.state.db.read() as session:
        found = await service.video_table(session, event.id, participant.id)
    if found is None:
        return RedirectResponse(f"/e/{event.slug}", status_code=303)
    return templates.TemplateResponse(request, "tables/open.html", {"event": event, "table": found[1]},
                                      headers={"cache-control": "no-store"})


@answers_with_status
async def choose_topic(request: Request) -> Response:
    """Save the preferred table topic (refused once the seating is published). The answer also updates the
    read-only line the page shows in place of the form once the seating is published."""
    event, participant = await access.event_and_participant(request)
    topic = clean_text((await request.form()).get("topic"), 120)
    async with request.app.state.db.write() as session:
        await service.set_topic(session, event, await session.get(Participant, participant.id), topic)
    chosen = escape(topic or gettext("No preference"))
    return HTMLResponse(render_fragment("layout/_status.html", message=gettext("Your preference has been saved."))
                        + f'<strong id="topic-chosen" hx-swap-oob="true">{chosen}</strong>')


# --- page parts and live topics ------------------------------------------------------------------------


async def participant_part(request: Request, session, context: dict) -> dict:
    event, participant = context["event"], context["participant"]
    db = request.app.state.db  # reads only: late joiners are seated by their join (seat_on_join), not here
    topics = sorted({t.topic for t in await service.tables(session, event.id) if t.topic})
    return {**await fragments.card_context(db, event.id, participant.id), "table_topics": topics,
            "sections": [*context.get("sections", []), "tables/_participant_section.html"]}


async def organiser_part(request: Request, session, context: dict) -> dict:
    return {**await fragments.panel_context(request.app.state.db, context["event"].id),
            "sections": [*context.get("sections", []), "tables/_organiser_section.html"]}


async def presenter_part(request: Request, session, context: dict) -> dict:
    return {**await fragments.panel_context(request.app.state.db, context["event"].id),
            "sections": [*context.get("sections", []), "tables/_overview.html"]}


async def host_part(request: Request, session, context: dict) -> dict:
    table = await service.table_of_host(session, context["link"])
    extra = await fragments.host_context(request.app.state.db, table.id) if table else {"table": None, "guests": []}
    return {**extra, "sections": [*context.get("sections", []), "tables/_host_section.html"]}


async def seat_on_join(session: AsyncSession, event: Event, participant: Participant) -> None:
    """Someone who joins after the seating was published is seated in their join's own transaction; after the
    commit, the organiser, the presenter, the host and the table-mates see them arrive."""
    await service.seat_late_joiner(session, event.id, participant)


async def participant_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.card(viewer.event_id, viewer.participant_id)]


async def organiser_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.seating(viewer.event_id)]


async def presenter_topics(db: Database, viewer: Viewer) -> list[str]:
    return [topics.overview(viewer.event_id)]


async def host_topics(db: Database, viewer: Viewer) -> list[str]:
    async with db.read() as session:
        link = await session.get(RoleLink, viewer.link_id) if viewer.link_id else None
        table = await service.table_of_host(session, link) if link else None
    return [topics.host(table.id)] if table else []


routes = [
    Route("/e/{slug}/tables/seating", seating, methods=["POST"]),
    Route("/e/{slug}/tables/move", move, methods=["POST"]),
    Route("/e/{slug}/tables/{table_id}/host", replace_host, methods=["POST"]),
    Route("/e/{slug}/tables/new", save_table, methods=["POST"]),
    Route("/e/{slug}/tables/{table_id}/edit", save_table, methods=["POST"]),
    Route("/e/{slug}/table/open", open_table, methods=["GET", "POST"]),
    Route("/e/{slug}/table/topic", choose_topic, methods=["POST"]),
]
