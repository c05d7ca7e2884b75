"""A small read-only JSON API for streaming overlays and dashboards: the on-air question, the poll tallies and
the table overview of one event. Token-protected (a bearer token per event, shown to the organiser, derived from
SECRET_KEY and rotated by bumping the event's API version). Described by an OpenAPI document it serves itself."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__, throttle
from app.events.models import Event
from app.events.service import event_by_slug
from app.polls import service as polls
from app.polls.models import PollStatus
from app.questions import service as questions
from app.security import link_token
from app.tables import service as tables


def api_token(secret_key: str, event: Event) -> str:
    return link_token(secret_key, f"api:{event.id}", event.api_version)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"cache-control": "no-store"})


async def _authorised(request: Request) -> Event | Response:
    slug = request.path_params["slug"]
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("token", "")
    guard = throttle.throttles(request.app)
    refusal = await guard.check(request, throttle.API)
    if refusal is not None and not guard.vouched(token):
        response = _error(429, "too many wrong tokens from this address; retry later")
        response.headers.update(refusal.headers)
        return response
    async with request.app.state.db.read() as session:
        event = await event_by_slug(session, slug) if len(slug) <= 60 else None
    if event is None:
        return _error(404, "unknown event")
    expected = api_token(request.app.state.settings.secret_key, event)
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        await guard.failed(request, throttle.API)
        return _error(401, "a valid bearer token is required")
    guard.vouch(token)
    return event


async def on_air(request: Request) -> Response:
    event = await _authorised(request)
    if isinstance(event, Response):
        return event
    async with request.app.state.db.read() as session:
        view = await questions.on_air(session, event.id)
    question = None if view is None else {"id": view.question.id, "text": view.question.body,
                                          "asker": view.asker or None, "municipality": view.place or None,
                                          "votes": view.votes}
    return JSONResponse({"event": event.slug, "question": question}, headers={"cache-control": "no-store"})


async def poll(request: Request) -> Response:
    event = await _authorised(request)
    if isinstance(event, Response):
        return event
    items = []
    async with request.app.state.db.read() as session:
        for question in await polls.questions(session, event.id):
            if question.status == PollStatus.DRAFT:
                continue
            tally = await polls.tally(session, question)
            rows = tally.rows() or tally.words
            items.append({"id": question.id, "prompt": question.prompt, "kind": question.kind,
                          "status": question.status, "voters": tally.voters,
                          "results": [{"answer": a, "count": c, "percent": tally.percent(c)} for a, c in rows],
                          "mean": round(tally.mean, 2) if tally.mean is not None else None})
    return JSONResponse({"event": event.slug, "questions": items}, headers={"cache-control": "no-store"})


async def table_overview(request: Request) -> Response:
    event = await _authorised(request)
    if isinstance(event, Response):
        return event
    async with request.app.state.db.read() as session:
        overview = await tables.overview(session, event.id, published=True)
    published = bool(overview.round and overview.round.published_at)
    return JSONResponse({"event": event.slug, "published": published, "tables": [
        {"id": t.id, "name": t.name, "host": t.host_name or None, "topic": t.topic or None,
         "guests": len(overview.members.get(t.id, [])) if published else 0} for t in overview.tables]},
        headers={"cache-control": "no-store"})


def _path(summary: str, schema: dict) -> dict:
    return {"get": {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [{"name": "slug", "in": "path", "required": True,
                        "schema": {"type": "string", "maxLength": 60}}],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
            "401": {"description": "Missing or wrong token", "content": {"application/json": {"schema": ERROR}}},
            "404": {"description": "Unknown event", "content": {"application/json": {"schema": ERROR}}},
        },
    }}


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
NULLABLE_STRING = {"type": ["string", "null"]}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Samen read-only API", "version": __version__,
             "description": "The on-air question, poll tallies and table overview of one event, for streaming "
                            "overlays and dashboards. Send the event's token as `Authorization: Bearer <token>`. "
                            "Many wrong tokens from one address are answered 429 with a Retry-After header; "
                            "a token that worked recently is not held back."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        "/api/v1/events/{slug}/on-air": _path("The question on air now", {
            "type": "object", "required": ["event", "question"],
            "properties": {"event": {"type": "string"}, "question": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["id", "text", "asker", "municipality", "votes"],
                "properties": {"id": {"type": "integer"}, "text": {"type": "string"}, "asker": NULLABLE_STRING,
                               "municipality": NULLABLE_STRING, "votes": {"type": "integer"}}}]}}}),
        "/api/v1/events/{slug}/poll": _path("Tallies of every opened poll question", {
            "type": "object", "required": ["event", "questions"],
            "properties": {"event": {"type": "string"}, "questions": {"type": "array", "items": {
                "type": "object", "required": ["id", "prompt", "kind", "status", "voters", "results", "mean"],
                "properties": {"id": {"type": "integer"}, "prompt": {"type": "string"}, "kind": {"type": "string"},
                               "status": {"type": "string"}, "voters": {"type": "integer"},
                               "mean": {"type": ["number", "null"]},
                               "results": {"type": "array", "items": {
                                   "type": "object", "required": ["answer", "count", "percent"],
                                   "properties": {"answer": {"type": "string"}, "count": {"type": "integer"},
                                                  "percent": {"type": "integer"}}}}}}}}}),
        "/api/v1/events/{slug}/tables": _path("The lunch tables (numbers of guests, no names)", {
            "type": "object", "required": ["event", "published", "tables"],
            "properties": {"event": {"type": "string"}, "published": {"type": "boolean"}, "tables": {
                "type": "array", "items": {"type": "object", "required": ["id", "name", "host", "topic", "guests"],
                                           "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                          "host": NULLABLE_STRING, "topic": NULLABLE_STRING,
                                                          "guests": {"type": "integer"}}}}}}),
    },
}


async def openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


routes = [
    Route("/api/v1/openapi.json", openapi),
    Route("/api/v1/events/{slug}/on-air", on_air),
    Route("/api/v1/events/{slug}/poll", poll),
    Route("/api/v1/events/{slug}/tables", table_overview),
]
