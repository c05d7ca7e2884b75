"""create_app(): routes, middleware and the lifespan that owns the engine, the hub and the broker."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.agenda.domain import DOMAIN as AGENDA
from app.config import STATIC_DIR, Settings
from app.core.domain import Domain, PageParts
from app.db import Database
from app.events.domain import DOMAIN as EVENTS
from app.i18n import N_, LocaleMiddleware, gettext
from app.live.broker import broker_from_url
from app.live.hub import Hub
from app.live.socket import LiveViews, live_endpoint
from app.organiser.domain import DOMAIN as ORGANISER
from app.polls.domain import DOMAIN as POLLS
from app.questions.domain import DOMAIN as QUESTIONS
from app.security import GuardMiddleware, SecurityHeadersMiddleware, SessionMiddleware
from app.tables.domain import DOMAIN as TABLES
from app.templating import templates

log = logging.getLogger("samen")

# The whole house. Routes are matched in this order: the events' catch-all role page (/e/{slug}/{view}) last.
DOMAINS: tuple[Domain, ...] = (ORGANISER, QUESTIONS, POLLS, TABLES, AGENDA, EVENTS)

ERROR_MESSAGES = {
    "event": N_("This event does not exist."),
    "role": N_("This page is only for the people who received its link. Open the link from your invitation."),
    "organiser": N_("This page is for organisers: sign in first."),
    "participant": N_("Join the event first."),
    "link": N_("This link does not work (any more). It may have been revoked or have expired: ask the "
               "organiser for a new one."),
    "page": N_("This page does not exist."),
}


async def healthz(request: Request) -> Response:
    try:
        async with request.app.state.db.read() as session:
            await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - the load balancer only needs to know that it failed
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return JSONResponse({"status": "ok" if status == 200 else "degraded", "database": database,
                         "version": __version__}, status_code=status)


LOCAL_CLIENTS = {"127.0.0.1", "::1", "testclient"}  # "testclient": Starlette's TestClient


async def metrics(request: Request) -> Response:
    """Live-layer counters in Prometheus' text format, for the machine itself only (benchmarks, a local
    scraper): numbers, never names or content. Behind a proxy the client is the forwarded address, so
    the outside world gets a 404."""
    if request.client is None or request.client.host not in LOCAL_CLIENTS:
        raise HTTPException(404)
    lines = [f"samen_live_{name} {value}" for name, value in request.app.state.hub.stats().items()]
    lines.append(f"samen_db_queries {request.app.state.db.queries}")
    return PlainTextResponse("\n".join(lines) + "\n")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.scope["type"] == "websocket":  # pragma: no cover - websockets are refused in the endpoint
        return Response(status_code=exc.status_code)
    message = ERROR_MESSAGES.get(str(exc.detail))
    if message is None:
        message = {404: N_("This page does not exist."), 405: N_("This action is not allowed here."),
                   413: N_("What you sent is too large.")}.get(exc.status_code, N_("Something went wrong."))
    return templates.TemplateResponse(
        request, "pages/error.html", {"message": gettext(message), "status": exc.status_code},
        status_code=exc.status_code,
    )


class DeclaredSizeCap:
    """Refuse a body whose declared Content-Length is over the cap BEFORE any handler runs. The body cap above
    (Starlette's) only notices when a handler reads the body; a handler that writes without reading it (rotate
    the API token, duplicate an event, open a poll question) would commit, and then have its answer replaced by
    413: refused, yet changed (found by tests/web/test_fuzz.py). Innermost, so that the refusal is the same
    translated error page as every other one."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_size:
                response = await http_error(Request(scope, receive), HTTPException(413))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SamenApp(Starlette):
    """Starlette puts its ServerErrorMiddleware (the 500 answer) outside every middleware given to it, so a 500
    would bypass them: the security headers wrap the whole stack instead, one path for every HTTP answer."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        hub = Hub(broker_from_url(settings.broker_url), settings.tick_seconds)
        db.publish = hub.changed  # every write's recorded topics, after its commit
        views = LiveViews()
        for domain in DOMAINS:
            for view, authorise in domain.viewers.items():
                views.view(view, authorise)
            for view, source in domain.live_topics.items():
                views.add_topics(view, functools.partial(source, db))
            for kind, render in (domain.renderers(db, hub) if domain.renderers else {}).items():
                hub.register(kind, render)
        app.state.db, app.state.hub, app.state.live_views = db, hub, views
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            await db.dispose()

    routes = [
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        WebSocketRoute("/ws/{view}/{key}", live_endpoint),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        *[route for domain in DOMAINS for route in domain.routes],
    ]
    app = SamenApp(
        routes=routes,
        middleware=[
            Middleware(GuardMiddleware, allowed_origins=settings.allowed_origins),
            # The body cap sits inside the guard (not Starlette(max_body_size=...), which wraps every middleware)
            # so that the guard refuses a cross-site post first, whatever its size.
            Middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes),
            Middleware(SessionMiddleware, secret_key=settings.secret_key, https_only=settings.cookie_secure),
            Middleware(LocaleMiddleware, default=settings.default_locale),
            Middleware(DeclaredSizeCap, max_body_size=settings.max_body_bytes),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.page_parts = PageParts()
    for domain in DOMAINS:
        for view, (order, part) in domain.page_parts.items():
            app.state.page_parts.add(view, order, part)
    app.state.join_hooks = [hook for domain in DOMAINS for hook in domain.join_hooks]
    return app
