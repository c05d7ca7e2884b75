from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class PollKind(StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # several options, up to max_choices
    SCALE = "scale"  # a value from scale_min to scale_max
    WORDS = "words"  # a word for the cloud
    TEXT = "text"  # an open answer, shown once approved


class ResultMode(StrEnum):
    """Who sees a question's results: everyone as votes come in, everyone once it is closed, or only the
    presenter's screen."""

    LIVE = "live"
    AFTER_CLOSE = "after_close"
    PRESENTER_ONLY = "presenter_only"


class PollStatus(StrEnum):
    DRAFT = "draft"  # prepared, not asked yet
    OPEN = "open"  # the one question being voted on
    CLOSED = "closed"


CHOICE_KINDS = (PollKind.SINGLE, PollKind.MULTIPLE)  # answered by ticking options
POLL_KINDS = tuple(PollKind)  # the organiser's form offers them in this order
RESULT_MODES = tuple(ResultMode)


class PollQuestion(Base):
    __tablename__ = "poll_question"
    __table_args__ = (UniqueConstraint("event_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    prompt: Mapped[str] = mapped_column(String(300))
    results: Mapped[str] = mapped_column(String(16), default=ResultMode.LIVE)
    max_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scale_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scale_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scale_min_label: Mapped[str] = mapped_column(String(60), default="")
    scale_max_label: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10), default=PollStatus.DRAFT)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PollOption(Base):
    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120))


class Ballot(Base):
    """One participant's answer to one poll question. The unique constraint is the one-vote guarantee;
    changing a vote updates the ballot (and replaces its choices) in one transaction."""

    __tablename__ = "poll_ballot"
    __table_args__ = (UniqueConstraint("question_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_question.id", ondelete="CASCADE"))
    # Votes hang on the participant's id only to enforce one vote; no screen ever shows who voted what.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"), nullable=True)
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)  # scale
    text: Mapped[str] = mapped_column(String(300), default="")  # words / open text, as typed
    normalised: Mapped[str] = mapped_column(String(300), default="", index=True)  # words: the cloud's key
    approved: Mapped[bool] = mapped_column(Boolean, default=False)  # open text: shown only once approved
    # The word the word filter held this answer for: a held word stays out of the cloud until the moderator shows it.
    held_for: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BallotChoice(Base):
    __tablename__ = "poll_choice"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("poll_ballot.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True, index=True)


class HiddenWord(Base):
    """A word-cloud answer the moderator has hidden (by its normalised form)."""

    __tablename__ = "poll_hidden_word"

    question_id: Mapped[int] = mapped_column(ForeignKey("poll_question.id", ondelete="CASCADE"), primary_key=True)
    normalised: Mapped[str] = mapped_column(String(300), primary_key=True)
