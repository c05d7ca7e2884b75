from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class QuestionStatus(StrEnum):
    PENDING = "pending"  # waiting for moderation
    APPROVED = "approved"  # visible to all
    ON_AIR = "on_air"  # the one being discussed now
    ANSWERED = "answered"  # done
    DISMISSED = "dismissed"  # not selected: visible only to its asker and the moderators
    MERGED = "merged"  # folded into another question (its asker and votes count there)


class InvitationStatus(StrEnum):
    PENDING = "pending"  # sent, not answered yet
    READY = "ready"  # the participant will react when given the floor
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # closed by the moderator before the reaction
    DONE = "done"  # the participant has reacted


class Question(Base):
    __tablename__ = "question"
    __table_args__ = (
        Index("ix_question_event_status", "event_id", "status"),
        # A form's key is unique per asker: a resend is the same question, someone else's key is not theirs to
        # block (NULLs are distinct, so a question without an asker or a key never clashes).
        UniqueConstraint("participant_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), nullable=True, index=True
    )
    body: Mapped[str] = mapped_column(Text)
    original_body: Mapped[str] = mapped_column(Text)  # what the asker wrote, kept when a moderator edits
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=QuestionStatus.PENDING)
    starred: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    on_air_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    archived_votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # kept through a purge
    held_for: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the word the word filter held it for
    similar_to: Mapped[str | None] = mapped_column(Text, nullable=True)  # "lijkt op": JSON [[question id, score], ...]


class QuestionVote(Base):
    """One upvote per participant per question: the primary key is the guarantee."""

    __tablename__ = "question_vote"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Invitation(Base):
    """The moderator invites a remote participant to react live in the video meeting."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
