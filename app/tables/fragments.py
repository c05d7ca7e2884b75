"""Renderers for the lunch tables' live fragments (organiser panel, presenter overview, host guest list,
participant table card); the pages include the same templates."""

from __future__ import annotations

from sqlalchemy import select

from app.db import Database
from app.events.models import Event, Municipality
from app.live.hub import Hub, Renderer
from app.tables import service
from app.tables.models import LunchTable
from app.templating import render_fragment


async def panel_context(db: Database, event_id: int) -> dict:
    async with db.read() as session:
        overview = await service.overview(session, event_id)
        cities = {m.id: m.name for m in await session.scalars(select(Municipality))}
        return {"seating": overview, "event": await session.get(Event, event_id), "cities": cities}


async def card_context(db: Database, event_id: int, participant_id: int) -> dict:
    async with db.read() as session:
        found = await service.published_seat(session, event_id, participant_id)
        event = await session.get(Event, event_id)
        if found is None:
            return {"my_table": None, "mates": [], "event": event, "my_seat": None}
        seat, table = found
        overview = await service.overview(session, event_id, published=True)
        mates = [p for p, _s in overview.members.get(table.id, []) if p.id != participant_id]
        host_city = await session.get(Municipality, table.host_municipality_id) if table.host_municipality_id else None
        return {"my_table": table, "my_seat": seat, "mates": mates, "event": event,
                "host_city": host_city.name if host_city else ""}


async def host_context(db: Database, table_id: int) -> dict:
    async with db.read() as session:
        table = await session.get(LunchTable, table_id)
        overview = await service.overview(session, table.event_id, published=True) if table else None
        guests = overview.members.get(table_id, []) if overview else []
        published = bool(overview and overview.round and overview.round.published_at)
        return {"table": table, "guests": guests, "published": published}


def renderers(db: Database, hub: Hub) -> dict[str, Renderer]:
    """The renderer of each of this domain's topic kinds (see topics.py)."""

    async def panel(key: str) -> str:
        return render_fragment("tables/_panel.html", oob=True, **await panel_context(db, int(key)))

    async def overview(key: str) -> str:
        return render_fragment("tables/_overview.html", oob=True, **await panel_context(db, int(key)))

    async def host(key: str) -> str:
        return render_fragment("tables/_guests.html", oob=True, **await host_context(db, int(key)))

    async def card(key: str) -> str:
        event_id, _, participant_id = key.partition(":")
        return render_fragment("tables/_card.html", oob=True, **await card_context(db, int(event_id), int(participant_id)))

    return {"seating": panel, "tables": overview, "tablehost": host, "seat": card}

