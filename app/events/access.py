"""Who is asking: the event in the URL, the participant in the session, the roles the session holds.

Every route and every socket authorises here, on the server; templates only decide what to show."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from app.db import utcnow
from app.events import service
from app.events.models import Event, Organiser, Participant, Role, RoleLink

# Which roles may open which role page. The organiser runs the day and may look at every screen.
PAGE_ROLES = {
    Role.MODERATOR: (Role.MODERATOR, Role.ORGANISER),
    Role.PRESENTER: (Role.PRESENTER, Role.MODERATOR, Role.ORGANISER),
    Role.HOST: (Role.HOST,),
    Role.ORGANISER: (Role.ORGANISER,),
}
PHASE_ROLES = (Role.MODERATOR, Role.ORGANISER)


async def event_or_404(session: AsyncSession, slug: str) -> Event:
    event = await service.event_by_slug(session, slug) if len(slug) <= 60 else None
    if event is None:
        raise HTTPException(404, "event")
    return event


class RecentEvents:
    """Events by slug, remembered for a moment, for authorising live sockets and poll votes only: after a
    network blip or a server restart thousands of pages reconnect within seconds, and in a poll burst hundreds
    of votes a second arrive, all asking for the same event. The event's id and day are all they read; what a
    page shows travels as topic updates, and whether a poll question is open is read in the vote's own
    transaction."""

    SECONDS = 2.0
    MAX_SLUGS = 256  # only existing events are remembered, and never more than this many

    def __init__(self) -> None:
        self._by_slug: dict[str, tuple[float, Event]] = {}
        self._loading = asyncio.Lock()  # a thousand sockets missing at once make one query, not a thousand

    def _fresh(self, slug: str) -> Event | None:
        hit = self._by_slug.get(slug)
        return hit[1] if hit and time.monotonic() - hit[0] < self.SECONDS else None

    async def get(self, db, slug: str) -> Event | None:
        event = self._fresh(slug)
        if event is not None:
            return event
        async with self._loading:
            event = self._fresh(slug)
            if event is not None:
                return event
            async with db.read() as session:
                event = await service.event_by_slug(session, slug)
            if event is not None:
                if len(self._by_slug) >= self.MAX_SLUGS:
                    self._by_slug.clear()
                self._by_slug[slug] = (time.monotonic(), event)
        return event


class RecentGrants:
    """Participant sessions whose link was found current, remembered for ten minutes, for live sockets and poll
    votes only, so a reconnect storm or a poll burst costs no query per page or vote. Safe because every
    revocation, re-issue or deletion of a participant's link kicks that identity through the hub (in every
    process), which forgets it here first; the time limit only bounds how long a change made without the hub
    (a purge from another machine without Redis) goes unnoticed by a page that reconnects or votes."""

    SECONDS = 600.0
    MAX_GRANTS = 100_000

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int, int], float] = {}  # (event id, participant id, link version) -> when

    def holds(self, key: tuple[int, int, int]) -> bool:
        seen = self._seen.get(key)
        return seen is not None and time.monotonic() - seen < self.SECONDS

    def remember(self, key: tuple[int, int, int]) -> None:
        if len(self._seen) >= self.MAX_GRANTS:
            self._seen.clear()
        self._seen[key] = time.monotonic()

    def forget(self, identity: str) -> None:
        kind, _, value = identity.partition(":")
        if kind == "participant" and value.isdigit():
            participant_id = int(value)
            for key in [key for key in self._seen if key[1] == participant_id]:
                del self._seen[key]


async def live_event(conn: HTTPConnection, slug: str) -> Event | None:
    """The event of a live socket's or a vote's URL (see RecentEvents)."""
    state = conn.app.state
    recent = getattr(state, "recent_events", None)
    if recent is None:
        recent = state.recent_events = RecentEvents()
    return await recent.get(state.db, slug)


def links_expired(conn: HTTPConnection, event: Event) -> bool:
    """Personal links (and the sessions made with them) stop some days after the event."""
    days = conn.app.state.settings.role_link_days
    return event.day + timedelta(days=days) < utcnow().date()


async def live_participant_id(conn: HTTPConnection, event: Event) -> int | None:
    """Like participant_of, for a live socket or a vote: only whether the link still holds, remembered
    (RecentGrants)."""
    ids = conn.scope.get("session", {}).get("p", {})
    if not isinstance(ids, dict) or links_expired(conn, event):
        return None
    grant = ids.get(str(event.id))
    if not (isinstance(grant, list) and len(grant) == 2 and all(type(x) is int for x in grant)):
        return None
    state = conn.app.state
    grants = getattr(state, "recent_grants", None)
    if grants is None:
        grants = state.recent_grants = RecentGrants()
        state.hub.on_kick(grants.forget)
    key = (event.id, grant[0], grant[1])
    if grants.holds(key):
        return grant[0]
    async with state.db.read() as session:
        participant_id = await service.participant_id_if_current(session, grant, event.id)
    if participant_id is not None:
        grants.remember(key)
    return participant_id


async def participant_of(conn: HTTPConnection, session: AsyncSession, event: Event) -> Participant | None:
    ids = conn.scope.get("session", {}).get("p", {})
    if not isinstance(ids, dict) or links_expired(conn, event):
        return None
    return await service.participant_in_event(session, ids.get(str(event.id)), event.id)


@dataclass
class OrganiserGrant:
    """The organiser, signed in with an account (not a link): may do everything for every event."""

    id: int
    label: str
    role: str = "organiser"

    @property
    def identity(self) -> str:
        return f"organiser:{self.id}"


async def organiser_of(conn: HTTPConnection, session: AsyncSession) -> OrganiserGrant | None:
    organiser_id = conn.scope.get("session", {}).get("org")
    if not isinstance(organiser_id, int):
        return None
    organiser = await session.get(Organiser, organiser_id)
    return OrganiserGrant(organiser.id, organiser.username) if organiser else None


async def role_of(
    conn: HTTPConnection, session: AsyncSession, event: Event, roles: tuple[str, ...]
) -> RoleLink | OrganiserGrant | None:
    links = await service.granted_links(session, conn.scope.get("session", {}).get("r"), event.id)
    for role in roles:  # the first role in the tuple wins, so a host page finds the host link
        if role == Role.ORGANISER:
            grant = await organiser_of(conn, session)
            if grant is not None:
                return grant
        for link in links:
            if link.role == role:
                return link
    return None


async def require_role(
    conn: HTTPConnection, session: AsyncSession, event: Event, roles: tuple[str, ...]
) -> RoleLink | OrganiserGrant:
    link = await role_of(conn, session, event, roles)
    if link is None:
        raise HTTPException(403, "role")
    return link


async def require_participant(conn: HTTPConnection, session: AsyncSession, event: Event) -> Participant:
    participant = await participant_of(conn, session, event)
    if participant is None:
        raise HTTPException(403, "participant")
    return participant


async def event_and_participant(request: HTTPConnection) -> tuple[Event, Participant]:
    """The event in the URL and the participant in the session (403 if they have not joined it)."""
    async with request.app.state.db.read() as session:
        event = await event_or_404(session, request.path_params["slug"])
        return event, await require_participant(request, session, event)


async def event_and_role(request: HTTPConnection, roles: tuple[str, ...]) -> tuple[Event, RoleLink | OrganiserGrant]:
    """The event in the URL and the first of ``roles`` the session holds in it (403 if none)."""
    async with request.app.state.db.read() as session:
        event = await event_or_404(session, request.path_params["slug"])
        return event, await require_role(request, session, event, roles)


async def live_event_and_participant(request: HTTPConnection) -> tuple[Event, int]:
    """The event in the URL and the participant's id, from the short-lived memories live sockets use
    (RecentEvents, RecentGrants): for the bursts in which everyone acts within the same minute (a poll vote, the
    closing's picks) — no query per request. 404 for an unknown event, 403 without a current participant."""
    event = await live_event(request, request.path_params["slug"])
    if event is None:
        raise HTTPException(404, "event")
    participant_id = await live_participant_id(request, event)
    if participant_id is None:
        raise HTTPException(403, "participant")
    return event, participant_id
