"""Setting an event up (by the organiser): create, edit, copy, archive; the programme. Everything is validated
here; nothing half-done is ever stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core import wordfilter
from app.core.input import InvalidInput, clean_text
from app.db import utcnow
from app.events import topics as events_topics
from app.events.models import PART_KINDS, Event, ProgrammePart
from app.events.service import new_event_code
from app.i18n import LOCALES, N_

FIRST_YEAR, LAST_YEAR = 2000, 2100
FILTER_WORDS_MAX = 2000  # the organiser's extra words for the word filter, all lines together
TIME = re.compile(r"^([01]\d|2[0-3])[:.]([0-5]\d)$")
DEFAULT_PROGRAMME = [
    ("debate", "Het G40Gesprek", "11:30", "12:15"),
    ("poll", "Digitaal netwerken", "12:15", "12:45"),
    ("lunch", "Interactieve netwerklunch", "12:45", "13:15"),
    ("closing", "Afsluiting", "13:15", "13:30"),
]


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "evenement"


@dataclass
class EventForm:
    name: str
    day: str
    allow_anonymous: bool = True
    premoderation: bool = True
    default_locale: str = "nl"
    word_filter: bool = True
    filter_words: str = ""  # extra words for the word filter, one per line


def clean_filter_words(value: str) -> str:
    """The organiser's extra words: one per line, spaces tidied, empty lines gone."""
    return "\n".join(line for line in (clean_text(line, FILTER_WORDS_MAX) for line in value.splitlines()) if line)


def _filter_words_error(value: str) -> str | None:
    words = clean_filter_words(value)
    if len(words) > FILTER_WORDS_MAX:
        return N_("The extra words can be at most 2000 characters together.")
    for line in words.splitlines():
        term = wordfilter.term(line)
        if term is None or ((term.open_start or term.open_end) and term.letters < wordfilter.WILDCARD_MIN):
            return N_("Each line of extra words needs a word, and a word with * at least 3 letters.")
    return None


def _validated(form: EventForm) -> tuple[str, date]:
    errors = {}
    name = clean_text(form.name, 120)
    if not name or len(name) > 120:
        errors["name"] = N_("The event needs a name of 1 to 120 characters.")
    try:
        day = date.fromisoformat(form.day)
    except ValueError:
        errors["day"] = N_("Give the date as a date (e.g. 2026-12-04).")
        day = utcnow().date()
    else:
        # Links expire, duplicates and the purge count days from the event's day: near date.max that overflows.
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors["day"] = N_("Give a date between the years 2000 and 2100.")
    if form.default_locale not in LOCALES:
        errors["default_locale"] = N_("Choose Dutch or English.")
    if (filter_error := _filter_words_error(form.filter_words)) is not None:
        errors["filter_words"] = filter_error
    if errors:
        raise InvalidInput(errors)
    return name, day


async def _unique_slug(session: AsyncSession, base: str) -> str:
    slug, n = base, 1
    while await session.scalar(select(Event.id).where(Event.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


async def _unique_code(session: AsyncSession) -> str:
    while True:
        code = new_event_code()
        if not await session.scalar(select(Event.id).where(Event.code == code)):
            return code


async def create_event(session: AsyncSession, form: EventForm) -> Event:
    """A new event with the Samen block's four parts as a starting programme (change them freely)."""
    name, day = _validated(form)
    event = Event(slug=await _unique_slug(session, slugify(f"{name}-{day.isoformat()}")), name=name, day=day,
                  code=await _unique_code(session), allow_anonymous=form.allow_anonymous,
                  premoderation=form.premoderation, default_locale=form.default_locale)
    event.word_filter, event.filter_words = form.word_filter, clean_filter_words(form.filter_words)
    session.add(event)
    await session.flush()
    for position, (kind, title, start, end) in enumerate(DEFAULT_PROGRAMME, start=1):
        session.add(ProgrammePart(event_id=event.id, position=position, kind=kind, title=title, starts_at=start,
                                  ends_at=end, description=""))
    await session.flush()
    return event


async def update_event(session: AsyncSession, event: Event, form: EventForm) -> Event:
    event.name, event.day = _validated(form)
    event.allow_anonymous, event.premoderation = form.allow_anonymous, form.premoderation
    event.default_locale = form.default_locale
    event.word_filter, event.filter_words = form.word_filter, clean_filter_words(form.filter_words)
    events_topics.programme_changed(session, event.id)
    return event


async def copy_event(session: AsyncSession, source: Event, day: date) -> Event:
    """A new event like ``source`` on ``day``: its settings and programme (the other domains copy their own)."""
    source = await session.scalar(select(Event).where(Event.id == source.id).options(selectinload(Event.parts)))
    copy = Event(slug=await _unique_slug(session, slugify(f"{source.name}-{day.isoformat()}")),
                 name=source.name, day=day, code=await _unique_code(session),
                 allow_anonymous=source.allow_anonymous, premoderation=source.premoderation,
                 default_locale=source.default_locale)
    copy.word_filter, copy.filter_words = source.word_filter, source.filter_words
    session.add(copy)
    await session.flush()
    for part in source.parts:
        session.add(ProgrammePart(event_id=copy.id, position=part.position, kind=part.kind, title=part.title,
                                  starts_at=part.starts_at, ends_at=part.ends_at, description=part.description))
    await session.flush()
    return copy


def archive(event: Event, archived: bool) -> None:
    event.archived_at = utcnow() if archived else None


# --- programme -----------------------------------------------------------------------------------------


@dataclass
class PartForm:
    kind: str
    title: str
    starts_at: str
    ends_at: str
    description: str = ""


async def save_part(session: AsyncSession, event: Event, form: PartForm, part_id: int | None) -> ProgrammePart:
    errors = {}
    if form.kind not in PART_KINDS:
        errors["kind"] = N_("Choose the kind of part.")
    title = clean_text(form.title, 120)
    if not title or len(title) > 120:
        errors["title"] = N_("A part needs a title of 1 to 120 characters.")
    start, end = TIME.match(form.starts_at.strip()), TIME.match(form.ends_at.strip())
    if not start or not end:
        errors["time"] = N_("Give times as hh:mm, e.g. 11:30.")
    elif (start.group(1), start.group(2)) >= (end.group(1), end.group(2)):
        errors["time"] = N_("A part must end after it starts.")
    description = clean_text(form.description, 1000)
    if errors:
        raise InvalidInput(errors)
    assert start and end
    parts = list(await session.scalars(select(ProgrammePart).where(ProgrammePart.event_id == event.id)
                                       .order_by(ProgrammePart.position)))
    if part_id:
        part = next((p for p in parts if p.id == part_id), None)
        if part is None:
            raise InvalidInput({"part": N_("That part is not in this event's programme.")})
    else:
        part = ProgrammePart(event_id=event.id, position=(parts[-1].position + 1) if parts else 1)
        session.add(part)
    part.kind, part.title, part.description = form.kind, title, description
    part.starts_at, part.ends_at = f"{start.group(1)}:{start.group(2)}", f"{end.group(1)}:{end.group(2)}"
    events_topics.programme_changed(session, event.id)
    await session.flush()
    return part


async def delete_part(session: AsyncSession, event: Event, part_id: int | None) -> None:
    part = await session.get(ProgrammePart, part_id) if part_id else None
    if part is None or part.event_id != event.id:
        raise InvalidInput({"part": N_("That part is not in this event's programme.")})
    if event.current_part_id == part.id:
        raise InvalidInput({"part": N_("This part is running now; move the block on first.")})
    await session.delete(part)
    events_topics.programme_changed(session, event.id)
