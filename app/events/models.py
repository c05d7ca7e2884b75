from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class PartKind(StrEnum):
    """What a programme part is; the participants' and the presenter's pages follow the current part's kind."""

    DEBATE = "debate"
    POLL = "poll"
    LUNCH = "lunch"
    CLOSING = "closing"
    OTHER = "other"


PART_KINDS = tuple(PartKind)  # in this order in the organiser's form; `in` on a tuple takes any string


class EventStatus(StrEnum):
    """Where the block is: before its first part, live in one part, or after its last."""

    BEFORE = "before"
    LIVE = "live"
    AFTER = "after"


class Role(StrEnum):
    """Who a role link (or an organiser account) lets act."""

    MODERATOR = "moderator"
    PRESENTER = "presenter"
    HOST = "host"
    ORGANISER = "organiser"


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    g40: Mapped[bool] = mapped_column(Boolean, default=True)


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="before")
    current_part_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_part.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )
    phase_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    premoderation: Mapped[bool] = mapped_column(Boolean, default=True)
    default_locale: Mapped[str] = mapped_column(String(5), default="nl", server_default="nl")
    # The word filter (app/core/wordfilter.py) holds matching questions and poll answers for the moderator;
    # filter_words are the organiser's extra words, one per line.
    word_filter: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    filter_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    api_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # bumped to revoke API tokens
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parts: Mapped[list[ProgrammePart]] = relationship(
        back_populates="event",
        order_by="ProgrammePart.position",
        foreign_keys="ProgrammePart.event_id",
        cascade="all, delete-orphan",
    )


class ProgrammePart(Base):
    __tablename__ = "programme_part"
    __table_args__ = (UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[str] = mapped_column(String(5))  # "11:30", local time of the event
    ends_at: Mapped[str] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="parts", foreign_keys=[event_id])


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True)
    organisation: Mapped[str] = mapped_column(String(80), default="")  # when the municipality is "other"
    role_title: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    topic: Mapped[str] = mapped_column(String(120), default="")  # preferred lunch-table topic, if offered
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    join_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # The personal link is derived from SECRET_KEY, link_key and link_version (so the organiser can print it
    # again); only its hash is stored. Re-issuing bumps the version; revoking clears the hash.
    link_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    link_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")  # always shown with the name

    @property
    def place(self) -> str:
        return self.municipality.name if self.municipality else self.organisation


class RoleLink(Base):
    """A capability link for one person in one role (moderator, presenter screen, table host, organiser)."""

    __tablename__ = "role_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as for participants
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class Organiser(Base):
    """An organiser account (the secretariat), allowed to act in every event: it lives here, with the other
    grants (participants, role links), so that access checks need nothing above the events.
    Password hashed with argon2; optional TOTP second factor."""

    __tablename__ = "organiser"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
