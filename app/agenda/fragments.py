"""Renderers for the agenda's live fragments (the page render includes the same templates)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import service
from app.db import Database
from app.events.models import Event, PartKind
from app.live.hub import Hub, Renderer
from app.templating import render_fragment

BOARD_ROWS = 8  # the themes the beamer shows: the top of the ranking, large enough to read at the back


def closing_title(event: Event | None) -> str:
    """The closing part's title as the programme has it ("Blik op 2021"), or "" if the event has none."""
    # Only from an event loaded with its parts (the role pages' and the report's are): a detached event would
    # otherwise try to load them lazily, outside any session.
    parts = list(event.parts) if event is not None and "parts" in event.__dict__ else []
    return next((part.title for part in parts if part.kind == PartKind.CLOSING), "")


async def _counts(session: AsyncSession, event_id: int, include_hidden: bool = False) -> dict:
    ranked = await service.ranking(session, event_id, include_hidden=include_hidden)
    return {"agenda_ranking": ranked, "agenda_pickers": await service.pickers(session, event_id),
            "agenda_top": max((r.picks for r in ranked if not r.theme.hidden), default=0),
            "agenda_board_rows": BOARD_ROWS}


async def ranking_context(db: Database, event_id: int) -> dict:
    """The visible themes with their counts (participants, the presenter's screen)."""
    async with db.read() as session:
        return await _counts(session, event_id)


async def control_context(db: Database, event_id: int) -> dict:
    """Every theme, hidden ones too, with its source (moderators, the organiser)."""
    async with db.read() as session:
        event = await session.get(Event, event_id)
        return {"event": event, **await _counts(session, event_id, include_hidden=True)}


async def mine_context(db: Database, event_id: int, participant_id: int) -> dict:
    """One participant's form: the themes to pick from, their picks, and how many proposals they have left."""
    async with db.read() as session:
        event = await session.get(Event, event_id)
        return {"event": event, "agenda_themes": await service.themes(session, event_id),
                "agenda_mine": await service.my_picks(session, event_id, participant_id),
                "agenda_proposals_left": max(0, service.PROPOSALS_MAX - await service.my_proposals(
                    session, event_id, participant_id)),
                "agenda_picks_max": service.PICKS_MAX}


def renderers(db: Database, hub: Hub) -> dict[str, Renderer]:
    """The renderer of each of this domain's topic kinds (see topics.py)."""

    async def ranking(key: str) -> str:
        return render_fragment("agenda/_ranking.html", oob=True, **await ranking_context(db, int(key)))

    async def board(key: str) -> str:
        return render_fragment("agenda/_board.html", oob=True, **await ranking_context(db, int(key)))

    async def control(key: str) -> str:
        return render_fragment("agenda/_control.html", oob=True, **await control_context(db, int(key)))

    async def mine(key: str) -> str:
        event_id, _, participant_id = key.partition(":")
        return render_fragment("agenda/_mine.html", oob="outerMorph",
                               **await mine_context(db, int(event_id), int(participant_id)))

    return {"agenda": ranking, "agendaboard": board, "agendacontrol": control, "agendamine": mine}
