"""Events: look-ups, joining, role links and phase changes. Every write commits before anyone is told."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.input import NAME_MAX, InvalidInput, as_id, clean_text
from app.db import utcnow
from app.events import topics
from app.events.models import Event, EventStatus, Municipality, Participant, ProgrammePart, RoleLink
from app.i18n import N_
from app.security import hash_token, link_token, looks_like_token, new_link_key

OTHER = "other"


def presence_group(event_id: int) -> str:
    return f"event:{event_id}"


def new_event_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
    return "".join(secrets.choice(alphabet) for _ in range(6))


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


async def event_by_slug(session: AsyncSession, slug: str) -> Event | None:
    if not SLUG.match(slug):  # never hand odd bytes (a NUL breaks PostgreSQL) to the database
        return None
    return await session.scalar(
        select(Event).where(Event.slug == slug).options(selectinload(Event.parts))
    )


async def event_by_id(session: AsyncSession, event_id: int) -> Event | None:
    return await session.scalar(select(Event).where(Event.id == event_id).options(selectinload(Event.parts)))


async def event_by_code(session: AsyncSession, code: str) -> Event | None:
    code = "".join(code.split()).upper()
    if not code or len(code) > 12 or not code.isascii() or not code.isalnum():
        return None
    return await session.scalar(select(Event).where(Event.code == code))


async def municipalities(session: AsyncSession) -> list[Municipality]:
    return list(await session.scalars(select(Municipality).order_by(Municipality.name)))


@dataclass
class Phase:
    """Where the block is: before it starts, in one part, or after the last part."""

    status: str
    current: ProgrammePart | None
    next: ProgrammePart | None

    @property
    def kind(self) -> str:
        if self.current is not None:
            return self.current.kind
        return EventStatus.BEFORE if self.status == EventStatus.BEFORE else EventStatus.AFTER


def phase_of(event: Event) -> Phase:
    parts = list(event.parts)
    if event.status == EventStatus.AFTER:
        return Phase(EventStatus.AFTER, None, None)
    if event.status == EventStatus.BEFORE or event.current_part_id is None:
        return Phase(EventStatus.BEFORE, None, parts[0] if parts else None)
    index = next((i for i, p in enumerate(parts) if p.id == event.current_part_id), None)
    if index is None:
        return Phase(EventStatus.BEFORE, None, parts[0] if parts else None)
    nxt = parts[index + 1] if index + 1 < len(parts) else None
    return Phase(EventStatus.LIVE, parts[index], nxt)


PHASE_ACTIONS = ("next", "previous", "goto", "reset")


def phase_mark(phase: Phase) -> str:
    """Where a phase button expects the block to be when it is clicked: the current part's id, or "before" /
    "after". The run of show carries it with its buttons, so a click on a panel that fell behind is caught."""
    return str(phase.current.id) if phase.current is not None else phase.status


class StalePhase(InvalidInput):
    """A relative move ("next", "previous") made from a run of show that no longer shows where the block is:
    another moderator or the organiser moved it first. Refused, as a stale question action is, so that one
    click never moves everyone twice. ``params`` fill in the (untranslated) message."""

    def __init__(self, message: str, params: dict[str, str]) -> None:
        super().__init__({"expected": message})
        self.params = params


def _refuse_stale(phase: Phase) -> None:
    try_again = {
        "live": N_("The block has already moved on to %(part)s; check the run of show and try again."),
        "before": N_("The block is back before the start; check the run of show and try again."),
        "after": N_("The block has already ended; check the run of show and try again."),
    }
    params = {"part": phase.current.title} if phase.current is not None else {}
    raise StalePhase(try_again[phase.status], params)


async def change_phase(session: AsyncSession, event: Event, action: str, part_id: int | None = None,
                       expected: str | None = None) -> Phase:
    """Move the block: next/previous part, straight to one part, or back to before the start.

    "next" and "previous" are relative, so with ``expected`` (what the clicked button showed, see phase_mark)
    they are refused when the block is no longer there. A caller without it (a script) is taken at its word.
    "goto" and "reset" name where to go: doing one twice is doing it once (the debate clock does not restart)."""
    parts = list(event.parts)
    positions = [p.id for p in parts]
    phase = phase_of(event)
    if action in ("next", "previous") and expected is not None and expected != phase_mark(phase):
        _refuse_stale(phase)
    if action == "goto":
        if part_id not in positions:
            raise InvalidInput({"part": N_("That part is not in this event's programme.")})
        if phase.current is not None and phase.current.id == part_id:
            return phase
        event.status, event.current_part_id = EventStatus.LIVE, part_id
    elif action == "reset":
        if phase.status == EventStatus.BEFORE:
            return phase
        event.status, event.current_part_id = EventStatus.BEFORE, None
    elif action == "next":
        if phase.status == EventStatus.BEFORE:
            if not parts:
                raise InvalidInput({"part": N_("This event has no programme yet.")})
            event.status, event.current_part_id = EventStatus.LIVE, parts[0].id
        elif phase.status == EventStatus.LIVE:
            if phase.next is None:
                event.status, event.current_part_id = EventStatus.AFTER, None
            else:
                event.current_part_id = phase.next.id
        else:
            raise InvalidInput({"part": N_("The block has already ended.")})
    elif action == "previous":
        if phase.status == EventStatus.BEFORE:
            raise InvalidInput({"part": N_("The block has not started yet.")})
        if phase.status == EventStatus.AFTER:
            event.status, event.current_part_id = EventStatus.LIVE, parts[-1].id
        else:
            index = positions.index(phase.current.id)  # type: ignore[union-attr]
            if index == 0:
                event.status, event.current_part_id = EventStatus.BEFORE, None
            else:
                event.current_part_id = positions[index - 1]
    else:
        raise InvalidInput({"action": N_("Unknown phase action.")})
    event.phase_changed_at = utcnow()
    topics.programme_changed(session, event.id)
    await session.flush()
    return phase_of(event)


# --- joining -------------------------------------------------------------------------------------------


@dataclass
class JoinForm:
    code: str
    name: str
    municipality: str
    organisation: str
    join_key: str


async def join(session: AsyncSession, form: JoinForm, secret_key: str) -> tuple[Event, Participant, str | None]:
    """Validate and create a participant. Returns (event, participant, personal link token or None).

    The form's join key makes a resubmission (double click, reconnect) return the same participant."""
    errors: dict[str, str] = {}
    event = await event_by_code(session, form.code)
    if event is None:
        errors["code"] = N_("There is no event with this code. Check the code in your invitation.")
    elif event.status == EventStatus.AFTER:
        errors["code"] = N_("This event has ended.")
    name = clean_text(form.name)
    if not name:
        errors["name"] = N_("Please fill in your name.")
    elif len(name) > NAME_MAX:
        errors["name"] = N_("Your name can be at most 80 characters.")
    municipality_id: int | None = None
    organisation = ""
    if form.municipality == OTHER:
        organisation = clean_text(form.organisation)
        if not organisation:
            errors["organisation"] = N_("Please fill in your organisation.")
        elif len(organisation) > NAME_MAX:
            errors["organisation"] = N_("The organisation can be at most 80 characters.")
    else:
        municipality_id = as_id(form.municipality)
        if municipality_id is None or await session.get(Municipality, municipality_id) is None:
            errors["municipality"] = N_("Please choose your municipality from the list, or choose 'other'.")
    join_key = form.join_key if looks_like_token(form.join_key) else None
    if errors:
        raise InvalidInput(errors)
    assert event is not None
    if join_key:
        existing = await session.scalar(select(Participant).where(Participant.join_key == join_key))
        if existing is not None and existing.event_id == event.id:
            return event, existing, None
    participant = Participant(
        event_id=event.id, name=name, municipality_id=municipality_id, organisation=organisation, join_key=join_key
    )
    token = issue_participant_link(participant, secret_key)
    session.add(participant)
    topics.people_changed(session, event.id)
    await session.flush()
    return event, participant, token


def _current_token(secret_key: str, link_key: str | None, version: int, stored_hash: str | None) -> str | None:
    """The link's token if it can be derived again and is still the one stored (not revoked or re-issued)."""
    if not link_key or not stored_hash:
        return None
    token = link_token(secret_key, link_key, version)
    return token if hash_token(token) == stored_hash else None


def participant_token(participant: Participant, secret_key: str) -> str | None:
    """The participant's current personal-link token, or None when the link is revoked or was never derivable."""
    return _current_token(secret_key, participant.link_key, participant.link_version, participant.invite_token_hash)


def issue_participant_link(participant: Participant, secret_key: str, new_version: bool = False) -> str:
    """Give the participant a (new) personal link. A new version makes every earlier link and session invalid."""
    participant.link_key = participant.link_key or new_link_key()
    if new_version:
        participant.link_version = (participant.link_version or 1) + 1
    token = link_token(secret_key, participant.link_key, participant.link_version or 1)
    participant.invite_token_hash = hash_token(token)
    return token


def role_token(link: RoleLink, secret_key: str) -> str | None:
    return _current_token(secret_key, link.link_key, link.version, link.token_hash)


def issue_role_link(link: RoleLink, secret_key: str, new_version: bool = False) -> str:
    link.link_key = link.link_key or new_link_key()
    if new_version:
        link.version = (link.version or 1) + 1
        link.revoked_at = None
    token = link_token(secret_key, link.link_key, link.version or 1)
    link.token_hash = hash_token(token)
    return token


async def participant_by_invite(session: AsyncSession, token: str) -> Participant | None:
    if not looks_like_token(token):
        return None
    return await session.scalar(select(Participant).where(Participant.invite_token_hash == hash_token(token)))


async def participant_in_event(session: AsyncSession, grant: object, event_id: int) -> Participant | None:
    """The participant this session holds for the event, if their link is still valid (not revoked or re-issued)."""
    if not (isinstance(grant, list) and len(grant) == 2 and all(isinstance(x, int) for x in grant)):
        return None
    participant_id, version = grant
    participant = await session.scalar(
        select(Participant)
        .where(Participant.id == participant_id, Participant.event_id == event_id)
        .options(selectinload(Participant.municipality))
    )
    if participant is None or participant.link_version != version or participant.invite_token_hash is None:
        return None
    return participant


async def participant_id_if_current(session: AsyncSession, grant: object, event_id: int) -> int | None:
    """participant_in_event's check in one narrow query (no row loaded): for live sockets, which reconnect
    in thousands after a network blip."""
    if not (isinstance(grant, list) and len(grant) == 2 and all(isinstance(x, int) for x in grant)):
        return None
    participant_id, version = grant
    return await session.scalar(
        select(Participant.id).where(Participant.id == participant_id, Participant.event_id == event_id,
                                     Participant.link_version == version, Participant.invite_token_hash.is_not(None)))


async def create_participant(
    session: AsyncSession, event: Event, name: str, municipality_id: int | None, secret_key: str,
    role_title: str = "", organisation: str = "", email: str = "", topic: str = "",
) -> tuple[Participant, str]:
    """Used by the organiser (by hand and by import): a participant with a personal invite link."""
    participant = Participant(event_id=event.id, name=name, municipality_id=municipality_id, role_title=role_title,
                              organisation=organisation, email=email, topic=topic)
    token = issue_participant_link(participant, secret_key)
    session.add(participant)
    topics.people_changed(session, event.id)
    await session.flush()
    return participant, token


# --- role links ----------------------------------------------------------------------------------------


def link_expiry(event: Event, valid_days: int) -> datetime:
    """Links stop working some days after the event."""
    return max(datetime.combine(event.day, datetime.min.time()) + timedelta(days=valid_days),
               utcnow() + timedelta(days=1))


async def create_role_link(
    session: AsyncSession, event: Event, role: str, label: str, secret_key: str, valid_days: int = 7
) -> tuple[RoleLink, str]:
    link = RoleLink(event_id=event.id, role=role, label=label, token_hash="", expires_at=link_expiry(event, valid_days))
    token = issue_role_link(link, secret_key)
    session.add(link)
    await session.flush()
    return link, token


async def role_link_by_token(session: AsyncSession, token: str) -> RoleLink | None:
    if not looks_like_token(token):
        return None
    return await session.scalar(select(RoleLink).where(RoleLink.token_hash == hash_token(token)))


async def granted_links(session: AsyncSession, grants: object, event_id: int) -> list[RoleLink]:
    """The usable role links this session holds for one event. A revoked, expired or re-issued link drops out at
    once, also for a browser that already exchanged it for the cookie (grants carry the link's version)."""
    if not isinstance(grants, list):
        return []
    versions = {g[0]: g[1] for g in grants[:50] if isinstance(g, list) and len(g) == 2
                and all(isinstance(x, int) for x in g)}
    if not versions:
        return []
    now = utcnow()
    links = await session.scalars(select(RoleLink).where(RoleLink.id.in_(versions), RoleLink.event_id == event_id))
    return [link for link in links if link.usable(now) and versions[link.id] == link.version]


async def participants(session: AsyncSession, event_id: int) -> list[Participant]:
    return list(
        await session.scalars(
            select(Participant)
            .where(Participant.event_id == event_id)
            .options(selectinload(Participant.municipality))
            .order_by(Participant.name)
        )
    )


# --- forgetting people ---------------------------------------------------------------------------------


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """People are removed (after the other domains have let go of them): their accounts and links go."""
    if participant_ids:
        await session.execute(delete(Participant).where(Participant.id.in_(participant_ids)))
        topics.people_changed(session, event_id)


async def purge(session: AsyncSession, event_id: int) -> dict[str, list[int]]:
    """Every person and role link of the event goes; the event stays, marked as purged. Returns whose pages
    to close."""
    people = list(await session.scalars(select(Participant.id).where(Participant.event_id == event_id)))
    links = list(await session.scalars(select(RoleLink.id).where(RoleLink.event_id == event_id)))
    await forget(session, event_id, people)
    await session.execute(delete(RoleLink).where(RoleLink.event_id == event_id))
    event = await session.get(Event, event_id)
    event.purged_at = utcnow()
    return {"participants": people, "links": links}
