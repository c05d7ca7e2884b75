"""Participants and their links: add, edit, remove, import from CSV, export or delete one person's data on
request; every personal and role link with its QR code, a printable sheet and a CSV for mail merge; revoking
and re-issuing (a revoked link stops at once, and its open pages are closed)."""

from __future__ import annotations

import csv
import io
import json

import segno
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.core.csv import csv_response
from app.core.input import InvalidInput, as_id, clean_text
from app.core.web import answers_with_status
from app.db import utcnow
from app.events import service as events
from app.events.models import Event, Participant, RoleLink
from app.i18n import N_, gettext
from app.organiser import importing, service
from app.organiser.models import ImportBatch
from app.organiser.routes import _event, go
from app.polls.models import Ballot
from app.questions.models import Question, QuestionVote
from app.tables import service as tables
from app.tables.models import Seat
from app.templating import templates

PREVIEW_PROBLEMS = 200


async def _people(session, event_id: int) -> list[Participant]:
    return await events.participants(session, event_id)


async def participants_page(request: Request) -> Response:
    event = await _event(request)
    async with request.app.state.db.read() as session:
        people = await _people(session, event.id)
        cities = await events.municipalities(session)
    return templates.TemplateResponse(request, "organiser/participants.html", {
        "event": event, "people": people, "municipalities": cities, "nav": "participants"})


def _person_fields(data) -> dict:
    return {k: str(data.get(k, "")) for k in ("name", "municipality", "organisation", "role_title", "email", "topic")}


async def _validate_person(session, fields: dict) -> dict:
    """The same rules as the import, for one person typed in by hand."""
    line = ";".join(["name", "municipality", "role", "email", "topic"]) + "\n"
    place = fields["municipality"]
    if place == "other":
        place = "other:" + fields["organisation"]
    else:
        municipality = await session.get(events.Municipality, as_id(place)) if as_id(place) else None
        place = municipality.name if municipality else (place or "")
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerow([fields["name"], place, fields["role_title"], fields["email"],
                                                fields["topic"]])
    cities = {m.name: m.id for m in await events.municipalities(session)}
    result = importing.parse_participants((line + buffer.getvalue()).encode(), cities)
    if not result.ok:
        problem = result.problems[0]
        message = gettext(problem.message, **problem.params) if problem.params else gettext(problem.message)
        # The import's messages start with the line number; a person typed in by hand has none.
        raise InvalidInput({"person": message.split(": ", 1)[-1] if problem.line else message})
    return result.rows[0].__dict__


@answers_with_status
async def add_participant(request: Request) -> Response:
    event = await _event(request)
    fields = _person_fields(await request.form())
    async with request.app.state.db.write() as session:
        row = await _validate_person(session, fields)
        participant, _token = await events.create_participant(
            session, event, row["name"], row["municipality_id"], request.app.state.settings.secret_key,
            role_title=row["role_title"], organisation=row["organisation"], email=row["email"], topic=row["topic"])
        # Someone added after the lunch seating was published is seated with the same write.
        await tables.seat_late_joiner(session, event.id, participant)
    return go(request, f"/e/{event.slug}/organiser/participants")


@answers_with_status
async def change_participant(request: Request) -> Response:
    event = await _event(request)
    data = await request.form()
    participant_id = as_id(request.path_params["participant_id"])
    async with request.app.state.db.write() as session:
        participant = await session.get(Participant, participant_id) if participant_id else None
        if participant is None or participant.event_id != event.id:
            raise InvalidInput({"person": N_("This participant is not part of this event.")})
        if data.get("delete") == "1":
            await service.forget(session, event.id, [participant.id])
        else:
            await service.update_person(session, participant, await _validate_person(session, _person_fields(data)))
    if data.get("delete") == "1":
        await request.app.state.hub.kick(f"participant:{participant_id}")
    return go(request, f"/e/{event.slug}/organiser/participants")


async def export_participant(request: Request) -> Response:
    """Everything Samen holds about one person (a request under the AVG/GDPR)."""
    event = await _event(request)
    participant_id = as_id(request.path_params["participant_id"])
    async with request.app.state.db.read() as session:
        participant = await session.get(Participant, participant_id) if participant_id else None
        if participant is None or participant.event_id != event.id:
            return JSONResponse({"error": "not found"}, status_code=404)
        questions = list(await session.scalars(select(Question).where(Question.participant_id == participant.id)))
        upvoted = list(await session.scalars(select(QuestionVote.question_id)
                                             .where(QuestionVote.participant_id == participant.id)))
        ballots = list(await session.scalars(select(Ballot).where(Ballot.participant_id == participant.id)))
        seats = list(await session.scalars(select(Seat).where(Seat.participant_id == participant.id)))
    data = {
        "event": event.name, "name": participant.name, "municipality_or_organisation": participant.place,
        "role": participant.role_title, "email": participant.email, "preferred_topic": participant.topic,
        "joined_at": participant.created_at.isoformat(timespec="seconds"),
        "questions": [{"text": q.original_body, "status": q.status, "anonymous": q.anonymous,
                       "sent_at": q.created_at.isoformat(timespec="seconds")} for q in questions],
        "upvoted_questions": upvoted,
        "poll_answers": [{"question": b.question_id, "value": b.value, "text": b.text} for b in ballots],
        "lunch_tables": [{"table": s.table_id, "opened_video_link": s.opened_at is not None} for s in seats],
    }
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="samen-gegevens-{participant.id}.json"'})


# --- import --------------------------------------------------------------------------------------------


async def upload(request: Request) -> Response:
    event = await _event(request)
    form = await request.form()
    upload_file = form.get("file")
    data = await upload_file.read() if hasattr(upload_file, "read") else b""
    async with request.app.state.db.read() as session:
        cities = {m.name: m.id for m in await events.municipalities(session)}
        existing = {(importing.normalise(p.name), importing.normalise(p.place))
                    for p in await _people(session, event.id)}
    result = importing.parse_participants(data, cities, existing)
    batch_id = None
    if result.ok:
        async with request.app.state.db.write() as session:
            batch = ImportBatch(event_id=event.id, rows=json.dumps([r.__dict__ for r in result.rows]))
            session.add(batch)
            await session.flush()
            batch_id = batch.id
    problems = [gettext(p.message, **p.params) if p.params else gettext(p.message)
                for p in result.problems[:PREVIEW_PROBLEMS]]
    names = {m_id: name for name, m_id in cities.items()}
    return templates.TemplateResponse(request, "organiser/import_preview.html", {
        "event": event, "result": result, "problems": problems, "more": len(result.problems) - len(problems),
        "batch_id": batch_id, "names": names, "nav": "participants"}, status_code=200 if result.ok else 422)


@answers_with_status
async def confirm_import(request: Request) -> Response:
    event = await _event(request)
    batch_id = as_id(request.path_params["batch_id"])
    secret = request.app.state.settings.secret_key
    async with request.app.state.db.write() as session:
        batch = await session.get(ImportBatch, batch_id) if batch_id else None
        if batch is None or batch.event_id != event.id:
            raise InvalidInput({"import": N_("This import is no longer waiting; upload the file again.")})
        for row in json.loads(batch.rows):  # all or nothing: one transaction
            participant, _token = await events.create_participant(
                session, event, row["name"], row["municipality_id"], secret, role_title=row["role_title"],
                organisation=row["organisation"], email=row["email"], topic=row["topic"])
            await tables.seat_late_joiner(session, event.id, participant)
        await session.delete(batch)
    return go(request, f"/e/{event.slug}/organiser/participants")


# --- links ---------------------------------------------------------------------------------------------


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


async def _links(request: Request, event: Event) -> dict:
    secret, base = request.app.state.settings.secret_key, request.app.state.settings.base_url
    async with request.app.state.db.read() as session:
        people = await _people(session, event.id)
        roles = list(await session.scalars(select(RoleLink).where(RoleLink.event_id == event.id).order_by(RoleLink.id)))
    person_links = []
    for p in people:
        token = events.participant_token(p, secret)
        person_links.append({"person": p, "url": f"{base}/j/{token}" if token else None})
    role_links = []
    for link in roles:
        token = events.role_token(link, secret)
        usable = link.usable(utcnow())
        role_links.append({"link": link, "url": f"{base}/r/{token}" if token and usable else None})
    return {"event": event, "person_links": person_links, "role_links": role_links, "qr": _qr,
            "join_url": f"{base}/?code={event.code}", "nav": "links"}


async def links_page(request: Request) -> Response:
    event = await _event(request)
    context = await _links(request, event)
    name = "organiser/links_print.html" if request.query_params.get("print") == "1" else "organiser/links.html"
    return templates.TemplateResponse(request, name, context)


async def links_csv(request: Request) -> Response:
    event = await _event(request)
    context = await _links(request, event)
    rows = [[item["person"].name, item["person"].place, item["person"].role_title, item["person"].email, item["url"] or ""]
            for item in context["person_links"]]
    return csv_response([["naam", "gemeente", "functie", "e-mail", "link"], *rows], f"links-{event.slug}.csv")


@answers_with_status
async def change_link(request: Request) -> Response:
    """Re-issue (a new link; the old one and its sessions stop) or revoke (no link until re-issued)."""
    event = await _event(request)
    action = str((await request.form()).get("action", ""))
    kind, item_id = request.path_params["kind"], as_id(request.path_params["item_id"])
    secret = request.app.state.settings.secret_key
    async with request.app.state.db.write() as session:
        row = await session.get(Participant if kind == "participant" else RoleLink, item_id) if item_id else None
        if row is None or row.event_id != event.id or kind not in ("participant", "role"):
            raise InvalidInput({"link": N_("This link does not exist.")})
        if action == "reissue":
            if kind == "participant":
                events.issue_participant_link(row, secret, new_version=True)
            else:
                events.issue_role_link(row, secret, new_version=True)
        elif action == "revoke":
            if kind == "participant":
                row.invite_token_hash = None
                row.link_version += 1
            else:
                row.revoked_at = utcnow()
        else:
            raise InvalidInput({"action": N_("Unknown action.")})
    await request.app.state.hub.kick(f"{'participant' if kind == 'participant' else 'link'}:{item_id}")
    return go(request, f"/e/{event.slug}/organiser/links")


@answers_with_status
async def new_role_link(request: Request) -> Response:
    event = await _event(request)
    data = await request.form()
    role, label = str(data.get("role", "")), clean_text(data.get("label"))
    if role not in ("moderator", "presenter") or not label:
        raise InvalidInput({"role": N_("Choose moderator or presenter screen and give a name.")})
    if len(label) > 80:  # clean_text leaves one character too many, to tell; the column holds 80
        raise InvalidInput({"label": N_("A name can be at most 80 characters.")})
    settings = request.app.state.settings
    async with request.app.state.db.write() as session:
        await events.create_role_link(session, event, role, label, settings.secret_key, settings.role_link_days)
    return go(request, f"/e/{event.slug}/organiser/links")


routes = [
    Route("/e/{slug}/organiser/participants", participants_page),
    Route("/e/{slug}/organiser/participants/new", add_participant, methods=["POST"]),
    Route("/e/{slug}/organiser/participants/{participant_id}", change_participant, methods=["POST"]),
    Route("/e/{slug}/organiser/participants/{participant_id}/export", export_participant),
    Route("/e/{slug}/organiser/import", upload, methods=["POST"]),
    Route("/e/{slug}/organiser/import/{batch_id}", confirm_import, methods=["POST"]),
    Route("/e/{slug}/organiser/links", links_page),
    Route("/e/{slug}/organiser/links.csv", links_csv),
    Route("/e/{slug}/organiser/links/new", new_role_link, methods=["POST"]),
    Route("/e/{slug}/organiser/links/{kind}/{item_id}", change_link, methods=["POST"]),
]

