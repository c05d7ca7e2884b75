from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

LABEL_MAX = 80


class ThemeSource(StrEnum):
    """Where a theme came from: the debate's question clusters, the poll's leading answers, a participant's
    proposal, or the organiser (or moderator) by hand."""

    DEBATE = "debate"
    POLL = "poll"
    PARTICIPANT = "participant"
    ORGANISER = "organiser"


class AgendaTheme(Base):
    __tablename__ = "agenda_theme"
    # One theme per wording: the folded key (lower case, no diacritics or punctuation) is what "the same theme"
    # means, and the constraint keeps it so when two people propose it at the same moment.
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    key: Mapped[str] = mapped_column(String(LABEL_MAX))
    source: Mapped[str] = mapped_column(String(12))
    # Who proposed it (source "participant"); removing their data keeps the theme, without a name.
    proposed_by: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), nullable=True, index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # by a moderator or the organiser
    position: Mapped[int] = mapped_column(Integer)  # the order it arrived in: ties in the ranking go by it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AgendaPick(Base):
    """One participant's pick of one theme (at most three per participant per event: app/agenda/service.py)."""

    __tablename__ = "agenda_pick"

    theme_id: Mapped[int] = mapped_column(ForeignKey("agenda_theme.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, index=True)
