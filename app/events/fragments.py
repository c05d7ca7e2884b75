"""Renderers for the events' live fragments. The first page render includes the very same templates."""

from __future__ import annotations

from app.db import Database
from app.events import service
from app.live.hub import Hub, Renderer
from app.templating import render_fragment


async def programme_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        event = await service.event_by_id(session, event_id)
    if event is None:
        return {"event": None, "phase": None}
    return {"event": event, "phase": service.phase_of(event)}


async def online_context(db: Database, hub: Hub, event_id: int) -> dict:
    async with db.read() as session:
        people = await service.participants(session, event_id)
    present = await hub.online(service.presence_group(event_id))
    return {"participants": people, "present": present}


def renderers(db: Database, hub: Hub) -> dict[str, Renderer]:
    """The renderer of each of this domain's topic kinds (see topics.py)."""

    async def programme(key: str) -> str:
        # The run of show rides along: every change of the programme or the phase (a moderator's, the organiser's,
        # an edit of the parts) reaches each organiser's and moderator's copy at once. Pages without it (the
        # participants', the hosts') ignore it: an out-of-band fragment whose id is not on the page is dropped.
        context = await programme_context(db, int(key))
        if context["event"] is None:
            return render_fragment("events/_programme.html", oob=True, **context)
        return (render_fragment("events/_programme.html", oob=True, **context)
                + render_fragment("events/_phase_control.html", oob=True, **context))

    async def presenter(key: str) -> str:
        return render_fragment("presenter/_stage.html", oob=True, **await programme_context(db, int(key)))

    async def online(key: str) -> str:
        return render_fragment("organiser/_online.html", oob=True, **await online_context(db, hub, int(key)))

    return {"programme": programme, "presenter": presenter, "online": online}
