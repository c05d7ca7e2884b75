"""Who is asking: the event in the URL, the participant in the session, the roles the session holds.

Every route and every socket authorises here, on the server; templates only decide what to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from app.db import utcnow
from app.events import service
from app.events.models import Event, Participant, RoleLink

# Which roles may open which role page. The organiser runs the day and may look at every screen.
PAGE_ROLES = {
    "moderator": ("moderator", "organiser"),
    "presenter": ("presenter", "moderator", "organiser"),
    "host": ("host",),
    "organiser": ("organiser",),
}
PHASE_ROLES = ("moderator", "organiser")


async def event_or_404(session: AsyncSession, slug: str) -> Event:
    event = await service.event_by_slug(session, slug) if len(slug) <= 60 else None
    if event is None:
        raise HTTPException(404, "event")
    return event


def links_expired(conn: HTTPConnection, event: Event) -> bool:
    """Personal links (and the sessions made with them) stop some days after the event."""
    days = conn.app.state.settings.role_link_days
    return event.day + timedelta(days=days) < utcnow().date()


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
    from app.organiser.models import Organiser  # the account model lives with the organiser console

    organiser = await session.get(Organiser, organiser_id)
    return OrganiserGrant(organiser.id, organiser.username) if organiser else None


async def role_of(
    conn: HTTPConnection, session: AsyncSession, event: Event, roles: tuple[str, ...]
) -> RoleLink | OrganiserGrant | None:
    links = await service.granted_links(session, conn.scope.get("session", {}).get("r"), event.id)
    for role in roles:  # the first role in the tuple wins, so a host page finds the host link
        if role == "organiser":
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
