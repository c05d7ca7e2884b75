"""Renderers for the lunch tables' live fragments (organiser panel, presenter overview, host guest list,
participant table card); the pages include the same templates."""

from __future__ import annotations

from sqlalchemy import select

from app.db import Database
from app.events.models import Event, Municipality
from app.live.hub import Hub
from app.polls import service as polls
from app.questions import service as questions
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


async def talking_points(db: Database, event_id: int) -> dict:
    """Conversation starters from the block so far: questions answered on air, the most supported open
    questions, and each closed poll question's leading answer."""
    async with db.read() as session:
        public = await questions.public_questions(session, event_id)
        answered = [v for v in public if v.question.status == "answered"][:3]
        popular = [v for v in public if v.question.status == "approved"][:3]
        headlines = []
        for question in await polls.questions(session, event_id):
            if question.status != "closed" or question.kind == "text":
                continue
            tally = await polls.tally(session, question)
            rows = tally.rows() or tally.words
            if rows and tally.voters:
                label, count = max(rows, key=lambda row: row[1])
                headlines.append({"prompt": question.prompt, "answer": label, "count": count,
                                  "voters": tally.voters, "mean": tally.mean})
        return {"answered": answered, "popular": popular, "headlines": headlines}


async def host_context(db: Database, table_id: int) -> dict:
    async with db.read() as session:
        table = await session.get(LunchTable, table_id)
        overview = await service.overview(session, table.event_id, published=True) if table else None
        guests = overview.members.get(table_id, []) if overview else []
        published = bool(overview and overview.round and overview.round.published_at)
        return {"table": table, "guests": guests, "published": published,
                **(await talking_points(db, table.event_id) if table else {})}


def register(hub: Hub, db: Database) -> None:
    async def panel(key: str) -> str:
        return render_fragment("tables/_panel.html", oob=True, **await panel_context(db, int(key)))

    async def overview(key: str) -> str:
        return render_fragment("tables/_overview.html", oob=True, **await panel_context(db, int(key)))

    async def host(key: str) -> str:
        return render_fragment("tables/_guests.html", oob=True, **await host_context(db, int(key)))

    async def card(key: str) -> str:
        event_id, _, participant_id = key.partition(":")
        return render_fragment("tables/_card.html", oob=True, **await card_context(db, int(event_id), int(participant_id)))

    hub.register("seating", panel)
    hub.register("tables", overview)
    hub.register("tablehost", host)
    hub.register("seat", card)


async def topics_after_change(db: Database, event_id: int, table_ids: set[int], participant_ids: set[int]) -> list[str]:
    """Who must see a seating change: the organiser and presenter, the hosts of the tables involved, and
    everyone sitting at those tables (their table-mates changed)."""
    async with db.read() as session:
        latest = await service.current_round(session, event_id, published=True)
        if latest is not None:
            for seat in await service.seats(session, latest.id):
                if seat.table_id in table_ids:
                    participant_ids.add(seat.participant_id)
        else:
            participant_ids = set()
    return [service.seating_topic(event_id), service.overview_topic(event_id),
            *[service.host_topic(t) for t in table_ids],
            *[service.card_topic(event_id, p) for p in participant_ids]]

