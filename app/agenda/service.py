"""The agenda of the closing part: themes, picks (at most three per participant) and proposals (at most two).

Picking and proposing are open only while the block's current part is the closing ("closing"); the phase is read
in the write's own transaction, so a pick that arrives just after the organiser moved on is refused. Themes are
seeded by the organiser from the debate and the poll (app/organiser/service.py), added, hidden and shown again by
a moderator or the organiser. Counts come from the stored picks, never from what was last seen. Each change
records the live topics it touches on the caller's write session (topics.py); they are told after the commit."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import topics
from app.agenda.models import LABEL_MAX, AgendaPick, AgendaTheme, ThemeSource
from app.core.input import InvalidInput, clean_text
from app.events.models import Event, Participant, PartKind
from app.events.service import event_by_id, phase_of
from app.i18n import N_

PICKS_MAX = 3
PROPOSALS_MAX = 2
LABEL_MIN = 3

CLOSED = N_("Themes can only be picked and proposed while the closing part of the block is on.")
LABEL_LENGTH = N_("A theme needs 3 to 80 characters.")
UNKNOWN_THEME = N_("This theme is not on the list (any more). The list has been brought up to date.")
TOO_MANY = N_("Pick at most 3 themes.")


def fold(text: str) -> str:
    """What makes two wordings the same theme: lower case, no diacritics, punctuation and extra spaces dropped
    ("Één overheid!" and "een  overheid" are one theme)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())[:LABEL_MAX]


def fit_label(text: str) -> str:
    """A seeded label (a poll answer holds up to 120 characters) cut to the column's width at a word."""
    label = clean_text(text, 4 * LABEL_MAX)
    if len(label) <= LABEL_MAX:
        return label
    cut = label[:LABEL_MAX - 1].rsplit(" ", 1)[0] if " " in label[:LABEL_MAX - 1] else label[:LABEL_MAX - 1]
    return cut.rstrip(" ,.;:·-") + "…"


def is_open(event: Event) -> bool:
    """Picks and proposals are taken during the closing part only."""
    return phase_of(event).kind == PartKind.CLOSING


@dataclass(frozen=True)
class Ranked:
    theme: AgendaTheme
    picks: int


@dataclass(frozen=True)
class Proposal:
    """What a proposal came to: a new theme or one already on the list, and whether it counts as a pick."""

    theme: AgendaTheme
    created: bool
    picked: bool
    already_picked: bool = False


# --- reading ------------------------------------------------------------------------------------------------


async def ranking(session: AsyncSession, event_id: int, include_hidden: bool = False) -> list[Ranked]:
    """The themes with their pick counts: most picks first, ties in the order the themes arrived."""
    picks = func.count(AgendaPick.participant_id)
    query = (select(AgendaTheme, picks).outerjoin(AgendaPick, AgendaPick.theme_id == AgendaTheme.id)
             .where(AgendaTheme.event_id == event_id).group_by(AgendaTheme.id)
             .order_by(picks.desc(), AgendaTheme.position, AgendaTheme.id))
    if not include_hidden:
        query = query.where(AgendaTheme.hidden.is_(False))
    return [Ranked(theme, count) for theme, count in (await session.execute(query)).all()]


async def themes(session: AsyncSession, event_id: int) -> list[AgendaTheme]:
    """The visible themes in the order they arrived (a form that does not jump while the ranking moves)."""
    return list(await session.scalars(select(AgendaTheme).where(
        AgendaTheme.event_id == event_id, AgendaTheme.hidden.is_(False)).order_by(AgendaTheme.position, AgendaTheme.id)))


async def pickers(session: AsyncSession, event_id: int) -> int:
    """How many participants picked at least one theme."""
    return await session.scalar(
        select(func.count(func.distinct(AgendaPick.participant_id)))
        .join(AgendaTheme, AgendaTheme.id == AgendaPick.theme_id).where(AgendaTheme.event_id == event_id)) or 0


async def my_picks(session: AsyncSession, event_id: int, participant_id: int) -> list[int]:
    """The ids of the themes this participant picked (for their own screen only)."""
    return list(await session.scalars(
        select(AgendaPick.theme_id).join(AgendaTheme, AgendaTheme.id == AgendaPick.theme_id)
        .where(AgendaTheme.event_id == event_id, AgendaPick.participant_id == participant_id)
        .order_by(AgendaTheme.position, AgendaTheme.id)))


async def my_proposals(session: AsyncSession, event_id: int, participant_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(AgendaTheme).where(
        AgendaTheme.event_id == event_id, AgendaTheme.proposed_by == participant_id)) or 0


async def theme_in_event(session: AsyncSession, event: Event, theme_id: int | None) -> AgendaTheme:
    theme = await session.get(AgendaTheme, theme_id) if theme_id else None
    if theme is None or theme.event_id != event.id:
        raise InvalidInput({"theme": N_("This theme does not exist.")})
    return theme


async def _participants(session: AsyncSession, event_id: int) -> list[int]:
    return list(await session.scalars(select(Participant.id).where(Participant.event_id == event_id)))


async def _by_key(session: AsyncSession, event_id: int, key: str) -> AgendaTheme | None:
    return await session.scalar(select(AgendaTheme).where(AgendaTheme.event_id == event_id, AgendaTheme.key == key))


async def _open_event(session: AsyncSession, event: Event) -> Event:
    """The event as this transaction sees it, if picks and proposals are open now."""
    current = await event_by_id(session, event.id)
    if current is None or not is_open(current):
        raise InvalidInput({"agenda": CLOSED})
    return current


async def _hold(session: AsyncSession, participant_id: int) -> None:
    """One participant's picks change one request at a time: on PostgreSQL two requests of the same person (a
    double tap, two devices) would otherwise both see room for a pick. SQLite's write transaction already holds
    the database lock (and the dialect leaves FOR UPDATE out)."""
    await session.execute(select(Participant.id).where(Participant.id == participant_id).with_for_update())


async def _next_position(session: AsyncSession, event_id: int) -> int:
    last = await session.scalar(select(func.max(AgendaTheme.position)).where(AgendaTheme.event_id == event_id))
    return (last or 0) + 1


# --- participants: picks and proposals ------------------------------------------------------------------------


async def set_picks(session: AsyncSession, event: Event, participant_id: int,
                    theme_ids: Iterable[int | None]) -> list[int]:
    """Replace this participant's picks with these themes (at most three visible themes of this event), in one
    transaction; sending the same picks again changes nothing. Returns the picks as stored."""
    event = await _open_event(session, event)
    wanted = list(theme_ids)
    if any(theme_id is None for theme_id in wanted):
        raise InvalidInput({"theme": UNKNOWN_THEME})
    chosen = set(wanted)
    if len(chosen) > PICKS_MAX:
        raise InvalidInput({"theme": TOO_MANY})
    await _hold(session, participant_id)
    if chosen:
        valid = set(await session.scalars(select(AgendaTheme.id).where(
            AgendaTheme.id.in_(chosen), AgendaTheme.event_id == event.id, AgendaTheme.hidden.is_(False))))
        if valid != chosen:
            raise InvalidInput({"theme": UNKNOWN_THEME})
    current = set(await my_picks(session, event.id, participant_id))
    if current == chosen:
        return sorted(chosen)
    if current - chosen:
        await session.execute(delete(AgendaPick).where(
            AgendaPick.participant_id == participant_id, AgendaPick.theme_id.in_(current - chosen)))
    if chosen - current:
        await session.execute(insert(AgendaPick), [{"theme_id": t, "participant_id": participant_id}
                                                   for t in sorted(chosen - current)])
    topics.picks_changed(session, event.id, participant_id)
    return sorted(chosen)


async def _pick_if_room(session: AsyncSession, event_id: int, participant_id: int, theme_id: int) -> tuple[bool, bool]:
    """Pick a theme for this participant if they have a pick left: (picked now or before, picked before)."""
    mine = await my_picks(session, event_id, participant_id)
    if theme_id in mine:
        return True, True
    if len(mine) >= PICKS_MAX:
        return False, False
    await session.execute(insert(AgendaPick), [{"theme_id": theme_id, "participant_id": participant_id}])
    topics.picks_changed(session, event_id, participant_id)
    return True, False


async def propose(session: AsyncSession, event: Event, participant_id: int, label: object) -> Proposal:
    """A participant's own theme (3 to 80 characters, at most two per participant). The same theme in other
    words (case, diacritics, punctuation) is not added twice: it becomes a pick of the theme on the list. Either
    way it counts as one of the proposer's picks if they have one left."""
    event = await _open_event(session, event)
    text = clean_text(label, LABEL_MAX)
    key = fold(text)
    if not LABEL_MIN <= len(text) <= LABEL_MAX or not key:
        raise InvalidInput({"label": LABEL_LENGTH})
    await _hold(session, participant_id)
    existing = await _by_key(session, event.id, key)
    if existing is None:
        if await my_proposals(session, event.id, participant_id) >= PROPOSALS_MAX:
            raise InvalidInput({"label": N_("You have already proposed 2 themes. You can still pick themes from "
                                            "the list.")})
        theme = AgendaTheme(event_id=event.id, label=text, key=key, source=ThemeSource.PARTICIPANT,
                            proposed_by=participant_id, hidden=False, position=await _next_position(session, event.id))
        try:
            async with session.begin_nested():  # someone else may propose the same theme at this very moment
                session.add(theme)
                await session.flush()
        except IntegrityError:
            existing = await _by_key(session, event.id, key)
            if existing is None:  # pragma: no cover - the constraint only fails for a theme that exists
                raise
        else:
            topics.themes_changed(session, event.id, await _participants(session, event.id))
            picked, _before = await _pick_if_room(session, event.id, participant_id, theme.id)
            return Proposal(theme, created=True, picked=picked)
    if existing.hidden:
        raise InvalidInput({"label": N_("This theme was taken off the list by the moderator.")})
    picked, before = await _pick_if_room(session, event.id, participant_id, existing.id)
    return Proposal(existing, created=False, picked=picked, already_picked=before)


# --- moderators and the organiser --------------------------------------------------------------------------------


async def add(session: AsyncSession, event: Event, label: object) -> AgendaTheme:
    """A theme added by a moderator or the organiser (in any phase: the list can be prepared)."""
    text = clean_text(label, LABEL_MAX)
    key = fold(text)
    if not LABEL_MIN <= len(text) <= LABEL_MAX or not key:
        raise InvalidInput({"label": LABEL_LENGTH})
    existing = await _by_key(session, event.id, key)
    if existing is not None:
        raise InvalidInput({"label": N_("This theme is hidden; show it again instead.") if existing.hidden
                            else N_("This theme is already on the list.")})
    theme = AgendaTheme(event_id=event.id, label=text, key=key, source=ThemeSource.ORGANISER, hidden=False,
                        position=await _next_position(session, event.id))
    session.add(theme)
    await session.flush()
    topics.themes_changed(session, event.id, await _participants(session, event.id))
    return theme


async def set_hidden(session: AsyncSession, event: Event, theme_id: int | None, hidden: bool) -> AgendaTheme:
    """Hide a theme (off every list; its picks go, so that nobody holds more than three and nothing counts for a
    theme the room cannot see), or show it again (it starts again without picks). Doing either twice is doing
    it once."""
    theme = await theme_in_event(session, event, theme_id)
    if theme.hidden == hidden:
        return theme
    theme.hidden = hidden
    if hidden:
        await session.execute(delete(AgendaPick).where(AgendaPick.theme_id == theme.id))
    topics.themes_changed(session, event.id, await _participants(session, event.id))
    return theme


async def seed(session: AsyncSession, event_id: int, labels: Iterable[tuple[str, str]]) -> int:
    """Add the themes that are not on the list yet (hidden ones stay hidden); (label, source) each. Seeding the
    same labels again adds nothing. Returns how many were added."""
    known = set(await session.scalars(select(AgendaTheme.key).where(AgendaTheme.event_id == event_id)))
    position = await _next_position(session, event_id)
    added = 0
    for raw, source in labels:
        label = fit_label(raw)
        key = fold(label)
        if not key or key in known or source not in tuple(ThemeSource):
            continue
        known.add(key)
        session.add(AgendaTheme(event_id=event_id, label=label, key=key, source=source, hidden=False,
                                position=position))
        position += 1
        added += 1
    if added:
        await session.flush()
        topics.themes_changed(session, event_id, await _participants(session, event_id))
    return added


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """People are removed: their picks go; the themes they proposed stay, without anyone attached."""
    if not participant_ids:
        return
    await session.execute(delete(AgendaPick).where(AgendaPick.participant_id.in_(participant_ids)))
    await session.execute(update(AgendaTheme).where(
        AgendaTheme.event_id == event_id, AgendaTheme.proposed_by.in_(participant_ids)).values(proposed_by=None))
    topics.counts_changed(session, event_id)
