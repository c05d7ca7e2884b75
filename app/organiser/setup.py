"""Setting an event up: create, edit, duplicate (the last network day as a template), archive; the programme;
the poll questions. Everything is validated here; nothing half-done is ever stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db import utcnow
from app.events.models import PART_KINDS, Event, ProgrammePart
from app.events.service import InvalidInput, as_id, clean_text, new_event_code
from app.i18n import LOCALES, N_
from app.polls.models import POLL_KINDS, RESULT_MODES, PollOption, PollQuestion
from app.tables.models import LunchTable

FIRST_YEAR, LAST_YEAR = 2000, 2100
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
    return event


async def duplicate_event(session: AsyncSession, source: Event, day: date | None = None) -> Event:
    """The last network day as a template: programme, poll questions, tables (without hosts' links) and
    settings; no participants, no answers."""
    source = await session.scalar(select(Event).where(Event.id == source.id).options(selectinload(Event.parts)))
    day = day or source.day + timedelta(days=7)
    copy = Event(slug=await _unique_slug(session, slugify(f"{source.name}-{day.isoformat()}")),
                 name=source.name, day=day, code=await _unique_code(session),
                 allow_anonymous=source.allow_anonymous, premoderation=source.premoderation,
                 default_locale=source.default_locale)
    session.add(copy)
    await session.flush()
    for part in source.parts:
        session.add(ProgrammePart(event_id=copy.id, position=part.position, kind=part.kind, title=part.title,
                                  starts_at=part.starts_at, ends_at=part.ends_at, description=part.description))
    questions = await session.scalars(select(PollQuestion).where(PollQuestion.event_id == source.id))
    for q in questions:
        clone = PollQuestion(event_id=copy.id, position=q.position, kind=q.kind, prompt=q.prompt, results=q.results,
                             max_choices=q.max_choices, scale_min=q.scale_min, scale_max=q.scale_max,
                             scale_min_label=q.scale_min_label, scale_max_label=q.scale_max_label)
        clone.options = [PollOption(position=o.position, label=o.label) for o in q.options]
        session.add(clone)
    for table in await session.scalars(select(LunchTable).where(LunchTable.event_id == source.id)):
        session.add(LunchTable(event_id=copy.id, name=table.name, capacity=table.capacity, video_url=table.video_url,
                               topic=table.topic))
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
    await session.flush()
    return part


async def delete_part(session: AsyncSession, event: Event, part_id: int | None) -> None:
    part = await session.get(ProgrammePart, part_id) if part_id else None
    if part is None or part.event_id != event.id:
        raise InvalidInput({"part": N_("That part is not in this event's programme.")})
    if event.current_part_id == part.id:
        raise InvalidInput({"part": N_("This part is running now; move the block on first.")})
    await session.delete(part)


# --- poll questions ------------------------------------------------------------------------------------


@dataclass
class PollForm:
    kind: str
    prompt: str
    options: str = ""  # one per line
    max_choices: str = ""
    scale_min_label: str = ""
    scale_max_label: str = ""
    results: str = "live"


async def add_poll_question(session: AsyncSession, event: Event, form: PollForm) -> PollQuestion:
    errors = {}
    if form.kind not in POLL_KINDS:
        errors["kind"] = N_("Choose the kind of question.")
    if form.results not in RESULT_MODES:
        errors["results"] = N_("Choose when the results are shown.")
    prompt = clean_text(form.prompt, 300)
    if not prompt or len(prompt) > 300:
        errors["prompt"] = N_("A question needs 1 to 300 characters.")
    options = [clean_text(line, 120) for line in form.options.splitlines() if clean_text(line, 120)]
    if form.kind in ("single", "multiple") and not 2 <= len(options) <= 12:
        errors["options"] = N_("Give 2 to 12 answers, one per line.")
    if any(len(o) > 120 for o in options):
        errors["options"] = N_("An answer can be at most 120 characters.")
    max_choices = as_id(form.max_choices)
    labels = clean_text(form.scale_min_label, 60), clean_text(form.scale_max_label, 60)
    if form.kind == "scale" and any(len(label) > 60 for label in labels):  # the columns hold 60
        errors["scale"] = N_("A label can be at most 60 characters.")
    if errors:
        raise InvalidInput(errors)
    last = await session.scalar(select(PollQuestion.position).where(PollQuestion.event_id == event.id)
                                .order_by(PollQuestion.position.desc()).limit(1))
    question = PollQuestion(event_id=event.id, position=(last or 0) + 1, kind=form.kind, prompt=prompt,
                            results=form.results, max_choices=max_choices if form.kind == "multiple" else None)
    if form.kind == "scale":
        question.scale_min, question.scale_max = 1, 5
        question.scale_min_label, question.scale_max_label = labels
    question.options = [PollOption(position=i, label=o) for i, o in enumerate(options, 1)] \
        if form.kind in ("single", "multiple") else []
    session.add(question)
    await session.flush()
    return question


async def delete_poll_question(session: AsyncSession, event: Event, question_id: int | None) -> None:
    question = await session.get(PollQuestion, question_id) if question_id else None
    if question is None or question.event_id != event.id:
        raise InvalidInput({"question": N_("This poll question does not exist.")})
    if question.status != "draft":
        raise InvalidInput({"question": N_("A question that has been opened keeps its votes; it cannot be removed.")})
    await session.delete(question)
