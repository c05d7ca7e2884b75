from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class LunchTable(Base):
    __tablename__ = "lunch_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer, default=8)
    video_url: Mapped[str] = mapped_column(String(500), default="")
    topic: Mapped[str] = mapped_column(String(120), default="")
    host_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("role_link.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    host_name: Mapped[str] = mapped_column(String(80), default="")
    host_municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True)


class SeatingRound(Base):
    """One round of seating: previewed by the organiser, then published (participants see it only then)."""

    __tablename__ = "seating_round"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    quality: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the engine's figures when it was made
    baseline: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the same figures for a random shuffle


class Seat(Base):
    __tablename__ = "seat"
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("seating_round.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("lunch_table.id", ondelete="CASCADE"), index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    moved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # opened the table's video link
