"""Lunch tables: make a seating with the engine, preview and publish it, seat late joiners, absorb no-shows,
move people by hand, replace a host. The engine (assign.py) decides; this module reads and writes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.changes import changed
from app.core.input import NAME_MAX, TOPIC_MAX, InvalidInput, as_id, clean_text
from app.db import utcnow
from app.events.models import Event, Municipality, Participant, RoleLink
from app.events.service import create_role_link
from app.i18n import N_
from app.tables import assign, topics
from app.tables.models import LunchTable, Seat, SeatingRound


def valid_video_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "https://[" (an unclosed IPv6 address): not a link, and no server error
        return False
    return (parts.scheme == "https" and bool(parts.netloc) and len(url) <= 500
            and all(32 < ord(c) < 127 for c in url))  # no spaces, control characters or raw non-ASCII


async def tables(session: AsyncSession, event_id: int) -> list[LunchTable]:
    return list(await session.scalars(select(LunchTable).where(LunchTable.event_id == event_id)
                                      .order_by(LunchTable.id)))


async def current_round(session: AsyncSession, event_id: int, published: bool = False) -> SeatingRound | None:
    """The newest round (the organiser's working copy), or the newest published one (what people sit by: a
    new round being previewed during the lunch does not take anyone's table away)."""
    query = select(SeatingRound).where(SeatingRound.event_id == event_id)
    if published:
        query = query.where(SeatingRound.published_at.is_not(None))
    return await session.scalar(query.order_by(SeatingRound.number.desc()).limit(1))


async def seats(session: AsyncSession, round_id: int) -> list[Seat]:
    return list(await session.scalars(select(Seat).where(Seat.round_id == round_id)))


def _engine_tables(rows: list[LunchTable]) -> list[assign.Table]:
    return [assign.Table(id=t.id, capacity=t.capacity, topic=t.topic or None,
                         host=assign.Person(id=-t.id, city=str(t.host_municipality_id) if t.host_municipality_id
                                            else None) if t.host_name else None) for t in rows]


def _engine_person(p: Participant) -> assign.Person:
    return assign.Person(id=p.id, city=str(p.municipality_id) if p.municipality_id else (p.organisation or None),
                         topic=p.topic or None)


async def _seating_changed(session: AsyncSession, event_id: int, table_ids: set[int], participant_ids: set[int]) -> None:
    """Who must see a seating change: the organiser and presenter, the hosts of the tables involved, and everyone
    sitting at those tables once the seating is published (their table-mates changed)."""
    latest = await current_round(session, event_id, published=True)
    people = set(participant_ids)
    if latest is not None:
        people |= {seat.participant_id for seat in await seats(session, latest.id) if seat.table_id in table_ids}
    else:
        people = set()
    changed(session, topics.seating(event_id), topics.overview(event_id), *[topics.host(t) for t in sorted(table_ids)],
            *[topics.card(event_id, p) for p in sorted(people)])


async def _people(session: AsyncSession, event_id: int) -> dict[int, Participant]:
    return {p.id: p for p in await session.scalars(select(Participant).where(Participant.event_id == event_id))}


async def _history(session: AsyncSession, event_id: int, before: int) -> dict[tuple[int, int], int]:
    earlier = list(await session.scalars(select(SeatingRound).where(
        SeatingRound.event_id == event_id, SeatingRound.number < before, SeatingRound.published_at.is_not(None))))
    rounds = []
    for r in earlier:
        groups: dict[int, list[int]] = {}
        for seat in await seats(session, r.id):
            groups.setdefault(seat.table_id, []).append(seat.participant_id)
        rounds.append(groups)
    return assign.history_of(rounds)


@dataclass
class Overview:
    round: SeatingRound | None
    tables: list[LunchTable]
    members: dict[int, list[tuple[Participant, Seat]]]
    quality: dict
    baseline: dict
    moved: int = 0


async def make_seating(session: AsyncSession, event: Event, seed: int, new_round: bool = False) -> SeatingRound:
    """Preview a seating (participants do not see it until it is published). Locked seats stay."""
    rows = await tables(session, event.id)
    if not rows:
        raise InvalidInput({"tables": N_("This event has no lunch tables yet.")})
    latest = await current_round(session, event.id)
    if latest is None or (new_round and latest.published_at is not None):
        latest = SeatingRound(event_id=event.id, number=(latest.number + 1) if latest else 1, seed=seed)
        session.add(latest)
        await session.flush()
    elif latest.published_at is not None:
        raise InvalidInput({"round": N_("This seating is already published. Start a new round to seat everyone "
                                        "again, or move people by hand.")})
    people = await _people(session, event.id)
    locked = {s.participant_id: s.table_id for s in await seats(session, latest.id) if s.locked}
    await session.execute(delete(Seat).where(Seat.round_id == latest.id, Seat.locked.is_(False)))
    engine_tables = _engine_tables(rows)
    guests = [_engine_person(p) for p in people.values()]
    history = await _history(session, event.id, latest.number)
    started = utcnow()
    seating = assign.assign(engine_tables, guests, history=history, locked=locked, seed=seed)
    seconds = (utcnow() - started).total_seconds()
    for person_id, table_id in seating.seats.items():
        if person_id not in locked:
            session.add(Seat(round_id=latest.id, participant_id=person_id, table_id=table_id))
    everyone = {g.id: g for g in guests} | {t.host.id: t.host for t in engine_tables if t.host}
    quality = assign.quality(seating, everyone, history)
    quality.seconds = round(seconds, 3)
    baseline = assign.quality(assign.shuffle(engine_tables, guests, seed=seed), everyone, history)
    latest.seed = seed
    latest.quality = json.dumps(asdict(quality) | {"optimal": quality.optimal})
    latest.baseline = json.dumps(asdict(baseline) | {"optimal": baseline.optimal})
    # Hosts see a preview of their guests too (marked as such) until something is published.
    changed(session, topics.seating(event.id), *[topics.host(t.id) for t in rows])
    await session.flush()
    return latest


async def publish(session: AsyncSession, event: Event) -> SeatingRound:
    latest = await current_round(session, event.id)
    if latest is None:
        raise InvalidInput({"round": N_("Make a seating first.")})
    latest.published_at = latest.published_at or utcnow()
    # Whoever joined while this round was a preview is not in it yet: seated now, as a late joiner would be (the
    # participant's page only reads, so nobody is seated by opening it).
    seated = {s.participant_id for s in await seats(session, latest.id)}
    people = await _people(session, event.id)
    await _seat_late(session, latest, [p for pid, p in sorted(people.items()) if pid not in seated])
    await _seating_changed(session, event.id, {t.id for t in await tables(session, event.id)}, set())
    return latest


async def published_seat(session: AsyncSession, event_id: int, participant_id: int) -> tuple[Seat, LunchTable] | None:
    latest = await current_round(session, event_id, published=True)
    if latest is None:
        return None
    seat = await session.scalar(select(Seat).where(Seat.round_id == latest.id, Seat.participant_id == participant_id))
    if seat is None:
        return None
    return seat, await session.get(LunchTable, seat.table_id)  # type: ignore[return-value]


async def seat_late_joiner(session: AsyncSession, event_id: int, participant: Participant) -> Seat | None:
    """Someone who joins after publication gets a seat at once (in their join's own transaction); nobody else
    moves. Returns the new seat, or None: nothing published yet, or already seated."""
    latest = await current_round(session, event_id, published=True)
    if latest is None:
        return None
    existing = await session.scalar(select(Seat.id).where(Seat.round_id == latest.id,
                                                           Seat.participant_id == participant.id))
    if existing is not None:
        return None
    new = await _seat_late(session, latest, [participant])
    if new:
        await _seating_changed(session, event_id, {new[0].table_id}, {participant.id})
    return new[0] if new else None


async def _seat_late(session: AsyncSession, round_: SeatingRound, newcomers: list[Participant]) -> list[Seat]:
    """Seat people who have no seat in this round yet, one after the other, each at the cheapest of the smallest
    tables; nobody else moves."""
    rows = await tables(session, round_.event_id)
    if not newcomers or not rows:
        return []
    people = await _people(session, round_.event_id)
    seating = assign.Seating(tables=_engine_tables(rows),
                             seats={s.participant_id: s.table_id for s in await seats(session, round_.id)})
    everyone = {pid: _engine_person(p) for pid, p in people.items()} | {p.id: _engine_person(p) for p in newcomers}
    history = await _history(session, round_.event_id, round_.number)
    new = []
    for person in newcomers:
        table_id = assign.seat_late(seating, everyone, everyone[person.id], history)
        new.append(Seat(round_id=round_.id, participant_id=person.id, table_id=table_id))
    session.add_all(new)
    await session.flush()
    return new


async def rebalance(session: AsyncSession, event: Event, present: set[int]) -> list[tuple[int, int, int]]:
    """Absorb no-shows: nothing while the spread is within 2; then the fewest moves, preferring people who have
    not opened their table link yet."""
    latest = await current_round(session, event.id)
    if latest is None:
        raise InvalidInput({"round": N_("Make a seating first.")})
    rows = await tables(session, event.id)
    people = await _people(session, event.id)
    current = {s.participant_id: s for s in await seats(session, latest.id)}
    seating = assign.Seating(tables=_engine_tables(rows), seats={p: s.table_id for p, s in current.items()})
    moves = assign.rebalance(
        seating, {pid: _engine_person(p) for pid, p in people.items()}, present,
        fixed={p for p, s in current.items() if s.locked},
        not_opened={p for p, s in current.items() if s.opened_at is None},
        history=await _history(session, event.id, latest.number),
    )
    now = utcnow()
    for person_id, _old, new in moves:
        current[person_id].table_id, current[person_id].moved_at = new, now
    if moves:
        await _seating_changed(session, event.id, {t for _p, a, b in moves for t in (a, b)}, {p for p, _a, _b in moves})
    return moves


async def move(session: AsyncSession, event: Event, participant_id: int | None, table_id: int | None,
               lock: bool) -> tuple[Seat, int]:
    """The organiser moves someone by hand (and may lock them there). Returns the seat and the old table."""
    latest = await current_round(session, event.id)
    table = await session.get(LunchTable, table_id) if table_id else None
    if latest is None or table is None or table.event_id != event.id:
        raise InvalidInput({"table": N_("Choose a table of this event.")})
    seat = await session.scalar(select(Seat).where(Seat.round_id == latest.id, Seat.participant_id == participant_id))
    if seat is None:
        participant = await session.get(Participant, participant_id) if participant_id else None
        if participant is None or participant.event_id != event.id:
            raise InvalidInput({"participant": N_("This participant is not part of this event.")})
        seat = Seat(round_id=latest.id, participant_id=participant.id, table_id=table.id)
        session.add(seat)
        old = table.id
    else:
        old = seat.table_id
    seat.table_id, seat.locked, seat.moved_at = table.id, lock, utcnow()
    await session.flush()
    await _seating_changed(session, event.id, {old, seat.table_id}, {seat.participant_id})
    return seat, old


async def replace_host(session: AsyncSession, event: Event, table_id: int | None, name: str,
                       municipality_id: int | None, secret_key: str, valid_days: int) -> tuple[LunchTable, str]:
    """A host who did not show up is replaced: the old host link stops working, the new host gets a new one."""
    table = await session.get(LunchTable, table_id) if table_id else None
    if table is None or table.event_id != event.id:
        raise InvalidInput({"table": N_("Choose a table of this event.")})
    if not name:
        raise InvalidInput({"name": N_("Please fill in the new host's name.")})
    if len(name) > NAME_MAX:
        raise InvalidInput({"name": N_("The host's name can be at most 80 characters.")})
    if municipality_id is not None and await session.get(Municipality, municipality_id) is None:
        # An id that is no municipality would fail the foreign key at COMMIT: a server error, not a message.
        raise InvalidInput({"municipality": N_("Choose the host's municipality from the list.")})
    if table.host_link_id:
        old = await session.get(RoleLink, table.host_link_id)
        if old is not None:
            old.revoked_at = utcnow()
    link, token = await create_role_link(session, event, "host", name, secret_key, valid_days)
    table.host_link_id, table.host_name, table.host_municipality_id = link.id, name, municipality_id
    await _seating_changed(session, event.id, {table.id}, set())
    return table, token


@dataclass
class TableForm:
    name: str
    capacity: str
    video_url: str
    topic: str
    host_name: str
    host_municipality: str


async def save_table(session: AsyncSession, event: Event, form: TableForm, table_id: int | None,
                     secret_key: str, valid_days: int) -> tuple[LunchTable, str | None]:
    """Add a table (with a host link for its host) or change one. Returns the table and a new host token."""
    errors: dict[str, str] = {}
    name = clean_text(form.name)
    if not name:
        errors["name"] = N_("Please give the table a name.")
    elif len(name) > NAME_MAX:  # clean_text leaves one character too many, to tell; the column holds 80
        errors["name"] = N_("A table name can be at most 80 characters.")
    topic = clean_text(form.topic, TOPIC_MAX)
    if len(topic) > TOPIC_MAX:
        errors["topic"] = N_("A topic can be at most 120 characters.")
    capacity = as_id(form.capacity) or 0
    if not 2 <= capacity <= 50:
        errors["capacity"] = N_("The capacity must be a number from 2 to 50.")
    video_url = form.video_url.strip()
    if video_url and not valid_video_url(video_url):
        errors["video_url"] = N_("The video link must be a complete https:// address (Teams, Zoom, Jitsi, ...).")
    municipality = as_id(form.host_municipality)
    if errors:
        raise InvalidInput(errors)
    table = await session.get(LunchTable, table_id) if table_id else None
    if table_id and (table is None or table.event_id != event.id):
        raise InvalidInput({"table": N_("Choose a table of this event.")})
    token = None
    if table is None:
        table = LunchTable(event_id=event.id)
        session.add(table)
    table.name, table.capacity, table.video_url, table.topic = name, capacity, video_url, topic
    host_name = clean_text(form.host_name)
    if host_name and host_name != table.host_name:
        await session.flush()
        table, token = await replace_host(session, event, table.id, host_name, municipality, secret_key, valid_days)
    await session.flush()
    await _seating_changed(session, event.id, {table.id}, set())
    return table, token


async def video_table(session: AsyncSession, event_id: int, participant_id: int) -> tuple[Seat, LunchTable] | None:
    """The participant's published seat and table, if that table has a usable video link."""
    found = await published_seat(session, event_id, participant_id)
    return found if found is not None and valid_video_url(found[1].video_url) else None


async def record_opened(session: AsyncSession, event_id: int, participant_id: int) -> LunchTable | None:
    """The participant pressed "go to your table": remember that they did (for the host's list and for absorbing
    no-shows). Nothing is recorded when there is no table link to go to."""
    found = await video_table(session, event_id, participant_id)
    if found is None:
        return None
    seat, table = found
    seat.opened_at = seat.opened_at or utcnow()
    changed(session, topics.host(table.id), topics.seating(event_id))
    return table


async def overview(session: AsyncSession, event_id: int, published: bool = False) -> Overview:
    latest = await current_round(session, event_id, published) or await current_round(session, event_id)
    rows = await tables(session, event_id)
    members: dict[int, list[tuple[Participant, Seat]]] = {t.id: [] for t in rows}
    if latest is not None:
        people = await _people(session, event_id)
        for seat in await seats(session, latest.id):
            if seat.participant_id in people and seat.table_id in members:
                members[seat.table_id].append((people[seat.participant_id], seat))
        for group in members.values():
            group.sort(key=lambda item: item[0].name)
    moved = sum(1 for group in members.values() for _p, seat in group if seat.moved_at)
    return Overview(round=latest, tables=rows, members=members, moved=moved,
                    quality=json.loads(latest.quality) if latest else {},
                    baseline=json.loads(latest.baseline) if latest else {})


async def table_of_host(session: AsyncSession, link: RoleLink) -> LunchTable | None:
    return await session.scalar(select(LunchTable).where(LunchTable.host_link_id == link.id))


async def set_topic(session: AsyncSession, event: Event, participant: Participant, topic: str) -> None:
    """The participant's preferred table topic. It only counts for the seating, so once one is published it is
    fixed: changing it then would silently do nothing."""
    if await current_round(session, event.id, published=True) is not None:
        raise InvalidInput({"topic": N_("The seating has been published, so your preference can no longer be "
                                        "changed.")})
    offered = {t.topic for t in await tables(session, event.id) if t.topic}
    if topic and topic not in offered:
        raise InvalidInput({"topic": N_("Choose one of the topics offered.")})
    participant.topic = topic
    changed(session, topics.seating(event.id))


# --- forgetting people ---------------------------------------------------------------------------------


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """People are removed: their seats go (the tables' overview and their hosts follow)."""
    if not participant_ids:
        return
    table_ids = set(await session.scalars(select(Seat.table_id).where(Seat.participant_id.in_(participant_ids))))
    await session.execute(delete(Seat).where(Seat.participant_id.in_(participant_ids)))
    await _seating_changed(session, event_id, table_ids, set())


async def purge(session: AsyncSession, event_id: int) -> None:
    """The event's personal data goes: the tables stay, without their hosts' names and links."""
    await session.execute(update(LunchTable).where(LunchTable.event_id == event_id)
                          .values(host_name="", host_municipality_id=None, host_link_id=None))
    changed(session, topics.seating(event_id), topics.overview(event_id))


async def copy_tables(session: AsyncSession, source_event_id: int, event_id: int) -> None:
    """Another event's tables, without their hosts (a duplicated event starts from them)."""
    for table in await session.scalars(select(LunchTable).where(LunchTable.event_id == source_event_id)):
        session.add(LunchTable(event_id=event_id, name=table.name, capacity=table.capacity, video_url=table.video_url,
                               topic=table.topic))
