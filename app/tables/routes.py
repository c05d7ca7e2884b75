"""Routes of the Interactieve netwerklunch: the organiser's seating controls, the host's guest list, the
participant's table card and table link."""

from __future__ import annotations

from markupsafe import escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app import pages
from app.events import access
from app.events import routes as event_routes
from app.events.models import Participant
from app.events.service import InvalidInput, clean_text, presence_group
from app.i18n import gettext, ngettext
from app.tables import fragments, service
from app.templating import render_fragment, templates
from app.web import answers_with_status, form_int, status_message

ORGANISER = ("organiser",)


async def _event(request: Request, roles: tuple[str, ...] | None):
    async with request.app.state.db.read() as session:
        event = await access.event_or_404(session, request.path_params["slug"])
        if roles:
            return event, await access.require_role(request, session, event, roles)
        return event, await access.require_participant(request, session, event)


async def _announce(request: Request, event_id: int, tables: set[int], people: set[int]) -> None:
    await request.app.state.hub.changed(*await fragments.topics_after_change(request.app.state.db, event_id, tables, people))


@answers_with_status
async def seating(request: Request) -> Response:
    """Preview a seating, publish it, start a new round, or absorb no-shows."""
    event, _link = await _event(request, ORGANISER)
    data = await request.form()
    action = str(data.get("action", ""))
    db, hub = request.app.state.db, request.app.state.hub
    async with db.read() as session:
        all_tables = {t.id for t in await service.tables(session, event.id)}
    if action in ("preview", "new_round"):
        async with db.write() as session:
            await service.make_seating(session, event, seed=form_int(data.get("seed")) or 0,
                                       new_round=action == "new_round")
        # Hosts see a preview of their guests too (marked as such) until something is published.
        await hub.changed(service.seating_topic(event.id), *[service.host_topic(t) for t in all_tables])
        return status_message(request, gettext("Preview ready. Participants see their table once you publish."))
    if action == "publish":
        async with db.write() as session:
            await service.publish(session, event)
        await _announce(request, event.id, all_tables, set())
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
        await _announce(request, event.id, {t for _p, a, b in moves for t in (a, b)}, {p for p, _a, _b in moves})
        return status_message(request, ngettext("%(num)s person moved.", "%(num)s people moved.", len(moves)))
    raise InvalidInput({"action": "Unknown action."})


@answers_with_status
async def move(request: Request) -> Response:
    event, _link = await _event(request, ORGANISER)
    data = await request.form()
    async with request.app.state.db.write() as session:
        seat, old = await service.move(session, event, form_int(data.get("participant")), form_int(data.get("table")),
                                       data.get("lock") == "1")
    await _announce(request, event.id, {old, seat.table_id}, {seat.participant_id})
    return status_message(request, gettext("Moved."))


@answers_with_status
async def replace_host(request: Request) -> Response:
    event, _link = await _event(request, ORGANISER)
    data = await request.form()
    table_id = form_int(request.path_params["table_id"])
    async with request.app.state.db.write() as session:
        _table, token = await service.replace_host(
            session, event, table_id, clean_text(data.get("name")), form_int(data.get("municipality")),
            request.app.state.settings.secret_key, request.app.state.settings.role_link_days)
    await _announce(request, event.id, {table_id or 0}, set())
    link = f"{request.app.state.settings.base_url}/r/{token}"
    return status_message(request, gettext("New host set. Send this link to the new host (shown only now): %(link)s",
                                           link=link))


@answers_with_status
async def save_table(request: Request) -> Response:
    event, _link = await _event(request, ORGANISER)
    data = await request.form()
    form = service.TableForm(**{field: str(data.get(field, "")) for field in service.TableForm.__dataclass_fields__})
    table_id = form_int(request.path_params.get("table_id"))
    async with request.app.state.db.write() as session:
        settings = request.app.state.settings
        table, token = await service.save_table(session, event, form, table_id, settings.secret_key,
                                                settings.role_link_days)
    await _announce(request, event.id, {table.id}, set())
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
    event, participant = await _event(request, None)
    if request.method == "POST":
        async with request.app.state.db.write() as session:
            table = await service.record_opened(session, event.id, participant.id)
        if table is None:
            raise HTTPException(404, "page")
        await request.app.state.hub.changed(service.host_topic(table.id), service.seating_topic(event.id))
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
    event, participant = await _event(request, None)
    topic = clean_text((await request.form()).get("topic"), 120)
    async with request.app.state.db.write() as session:
        await service.set_topic(session, event, await session.get(Participant, participant.id), topic)
    await request.app.state.hub.changed(service.seating_topic(event.id))
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


async def seat_on_join(request: Request, session, event, participant):
    """Someone who joins after the seating was published is seated in their join's own transaction; after the
    commit, the organiser, the presenter, the host and the table-mates see them arrive."""
    seat = await service.seat_late_joiner(session, event.id, participant)
    if seat is None:
        return None
    table_id, event_id = seat.table_id, event.id

    async def announce() -> None:
        await _announce(request, event_id, {table_id}, {participant.id})

    return announce


event_routes.when_joined(seat_on_join)
pages.contribute("participant", participant_part, order=3)
pages.contribute("organiser", organiser_part, order=3)
pages.contribute("presenter", presenter_part, order=3)
pages.contribute("host", host_part, order=3)


def live_topics(view: str):
    async def participant(viewer) -> list[str]:
        return [service.card_topic(viewer.extra["event_id"], viewer.extra["participant_id"])]

    async def organiser(viewer) -> list[str]:
        return [service.seating_topic(viewer.extra["event_id"])]

    async def presenter(viewer) -> list[str]:
        return [service.overview_topic(viewer.extra["event_id"])]

    async def host(viewer) -> list[str]:
        async with viewer.extra["db"].read() as session:
            from app.events.models import RoleLink

            link = await session.get(RoleLink, viewer.extra["link_id"])
            table = await service.table_of_host(session, link) if link else None
        return [service.host_topic(table.id)] if table else []

    return {"participant": participant, "organiser": organiser, "presenter": presenter, "host": host}[view]


routes = [
    Route("/e/{slug}/tables/seating", seating, methods=["POST"]),
    Route("/e/{slug}/tables/move", move, methods=["POST"]),
    Route("/e/{slug}/tables/{table_id}/host", replace_host, methods=["POST"]),
    Route("/e/{slug}/tables/new", save_table, methods=["POST"]),
    Route("/e/{slug}/tables/{table_id}/edit", save_table, methods=["POST"]),
    Route("/e/{slug}/table/open", open_table, methods=["GET", "POST"]),
    Route("/e/{slug}/table/topic", choose_topic, methods=["POST"]),
]
