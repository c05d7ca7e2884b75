"""Polls: open and close questions one at a time, store votes (one ballot per participant per question, enforced
by the database), and count them from what is stored — never by adding one to what was last seen. Each change
records the live topics it touches on the caller's write session (topics.py); they are told after the commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import Executable, Row, bindparam, case, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core import wordfilter
from app.core.input import InvalidInput, as_id, clean_text
from app.db import insert_for, utcnow
from app.events.models import Event
from app.i18n import N_
from app.polls import topics
from app.polls.models import (
    CHOICE_KINDS,
    POLL_KINDS,
    RESULT_MODES,
    Ballot,
    BallotChoice,
    HiddenWord,
    PollKind,
    PollOption,
    PollQuestion,
    PollStatus,
    ResultMode,
)
from app.polls.words import WORD_MAX, counts_for_cloud, normalise

TEXT_MAX = 300


async def questions(session: AsyncSession, event_id: int) -> list[PollQuestion]:
    return list(await session.scalars(
        select(PollQuestion).where(PollQuestion.event_id == event_id).order_by(PollQuestion.position)))


async def question_in_event(session: AsyncSession, event: Event, question_id: int | None) -> PollQuestion:
    question = await session.get(PollQuestion, question_id) if question_id else None
    if question is None or question.event_id != event.id:
        raise InvalidInput({"question": N_("This poll question does not exist.")})
    return question


async def open_question(session: AsyncSession, event: Event, question_id: int | None) -> PollQuestion:
    """Presenter-paced: opening one question closes whichever was open."""
    question = await question_in_event(session, event, question_id)
    now = utcnow()
    await session.execute(
        update(PollQuestion)
        .where(PollQuestion.event_id == event.id, PollQuestion.status == PollStatus.OPEN, PollQuestion.id != question.id)
        .values(status=PollStatus.CLOSED, closed_at=now)
    )
    question.status, question.opened_at, question.closed_at = PollStatus.OPEN, now, None
    topics.poll_changed(session, event.id)
    return question


async def close_question(session: AsyncSession, event: Event, question_id: int | None) -> PollQuestion:
    question = await question_in_event(session, event, question_id)
    if question.status != PollStatus.OPEN:
        raise InvalidInput({"question": N_("This poll question is not open.")})
    question.status, question.closed_at = PollStatus.CLOSED, utcnow()
    topics.poll_changed(session, event.id)
    return question


@dataclass
class VoteForm:
    options: list[str] = field(default_factory=list)
    value: str = ""
    text: str = ""


# The vote's statements, built once (building them costs more than running them on SQLite).
_QUESTION = (select(PollQuestion.kind, PollQuestion.status, PollQuestion.max_choices, PollQuestion.scale_min,
                    PollQuestion.scale_max)
             .where(PollQuestion.id == bindparam("question_id"), PollQuestion.event_id == bindparam("event_id")))
_OPTIONS = select(PollOption.id).where(PollOption.question_id == bindparam("question_id"))
_CLEAR_CHOICES = delete(BallotChoice).where(BallotChoice.ballot_id == bindparam("ballot_id"))
_CHOOSE = insert(BallotChoice)
_FILTER = select(Event.word_filter, Event.filter_words).where(Event.id == bindparam("event_id"))
# Whether the moderator has already decided on a word-cloud answer: hidden it, or let it show (a ballot with it
# that is not held).
_DECIDED = select(or_(
    exists().where(HiddenWord.question_id == bindparam("question_id"), HiddenWord.normalised == bindparam("key")),
    exists().where(Ballot.question_id == bindparam("question_id"), Ballot.normalised == bindparam("key"),
                   Ballot.held_for.is_(None))))
_UPSERTS: dict[str, Executable] = {}


def _upsert(session: AsyncSession) -> Executable:
    """Insert the ballot, or update the one this participant already has (per dialect, built once)."""
    dialect = session.bind.dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        upsert = insert_for(session)(Ballot)
        new = upsert.excluded
        statement = _UPSERTS[dialect] = upsert.on_conflict_do_update(
            index_elements=[Ballot.question_id, Ballot.participant_id],
            # A changed open answer needs approval again; the same answer sent again keeps it.
            set_={"value": new.value, "text": new.text, "normalised": new.normalised, "updated_at": new.updated_at,
                  "approved": case((Ballot.text == new.text, Ballot.approved), else_=False),
                  "held_for": case((Ballot.text == new.text, Ballot.held_for), else_=new.held_for)},
        ).returning(Ballot.id)
    return statement


@dataclass(frozen=True)
class _Answer:
    """What a vote says, checked against its question: the chosen options, a scale value or a typed text."""

    option_ids: list[int] = field(default_factory=list)
    value: int | None = None
    text: str = ""




async def _choice_answer(connection: AsyncConnection, question: Row, question_id: int, form: VoteForm) -> _Answer:
    try:
        option_ids = sorted({int(o) for o in form.options})
    except ValueError:
        option_ids = []
    valid = set((await connection.execute(_OPTIONS, {"question_id": question_id})).scalars())
    if not option_ids or not set(option_ids) <= valid:
        raise InvalidInput({"vote": N_("Choose one of the answers.")})
    if question.kind == PollKind.SINGLE and len(option_ids) != 1:
        raise InvalidInput({"vote": N_("Choose exactly one answer.")})
    if question.kind == PollKind.MULTIPLE and question.max_choices and len(option_ids) > question.max_choices:
        raise InvalidInput({"vote": N_("You chose more answers than this question allows.")})
    return _Answer(option_ids=option_ids)


async def _scale_answer(connection: AsyncConnection, question: Row, question_id: int, form: VoteForm) -> _Answer:
    try:
        value: int | None = int(form.value)
    except ValueError:
        value = None
    if value is None or not (question.scale_min or 1) <= value <= (question.scale_max or 5):
        raise InvalidInput({"vote": N_("Choose a value on the scale.")})
    return _Answer(value=value)


async def _text_answer(connection: AsyncConnection, question: Row, question_id: int, form: VoteForm) -> _Answer:
    """A word for the cloud or an open answer (any other kind is read as an open answer too)."""
    limit = WORD_MAX if question.kind == PollKind.WORDS else TEXT_MAX
    text = clean_text(form.text, limit)
    if not text or (question.kind == PollKind.WORDS and not normalise(text)):
        raise InvalidInput({"vote": N_("Please type your answer first.")})
    if len(text) > limit:
        raise InvalidInput({"vote": N_("Your answer is too long.")})
    return _Answer(text=text)


async def _held_for(connection: AsyncConnection, event_id: int, question_id: int, kind: str, text: str) -> str | None:
    """Why the event's word filter holds a word or an open answer (the word as typed), or None. A word-cloud
    answer the moderator has already shown or hidden is not held again: that decision stands."""
    setting = (await connection.execute(_FILTER, {"event_id": event_id})).first()
    match = wordfilter.check(text, wordfilter.extra_words(setting.filter_words)) \
        if setting is not None and setting.word_filter else None
    if match is None:
        return None
    if kind == PollKind.WORDS and await connection.scalar(_DECIDED, {"question_id": question_id, "key": normalise(text)}):
        return None
    return match.reason


# One validator per kind of question; each raises InvalidInput or returns the answer to store. All take the same
# arguments (only choices need the database) so that vote() can call whichever it finds.
_ANSWER_OF: dict[str, Callable[[AsyncConnection, Row, int, VoteForm], Awaitable[_Answer]]] = {
    PollKind.SINGLE: _choice_answer, PollKind.MULTIPLE: _choice_answer, PollKind.SCALE: _scale_answer,
    PollKind.WORDS: _text_answer, PollKind.TEXT: _text_answer,
}


async def vote(session: AsyncSession, event_id: int, participant_id: int, question_id: int | None,
               form: VoteForm) -> int:
    """Store or change this participant's vote; returns the ballot's id. Sending the same vote again changes
    nothing.

    This is the one write a poll burst repeats hundreds of times a second, so it is a handful of plain
    statements (no ORM unit of work): the question, its options, one upsert of the ballot and, for choices, a
    replacement of the selection. The upsert is the one-vote guarantee (the unique constraint) and, on
    PostgreSQL, the row lock that makes two votes of the same person at the same moment (a double tap, a resend
    after a reconnect) take turns instead of mixing their choices; on SQLite the write transaction already
    holds the database lock."""
    connection = await session.connection()  # Core, not the ORM: these statements load no objects
    question = (await connection.execute(_QUESTION, {"question_id": question_id, "event_id": event_id})).first() \
        if question_id else None
    if question is None:
        raise InvalidInput({"question": N_("This poll question does not exist.")})
    if question.status != PollStatus.OPEN:
        raise InvalidInput({"vote": N_("Voting on this question is closed.")})
    answer = await _ANSWER_OF.get(question.kind, _text_answer)(connection, question, question_id, form)
    held_for = await _held_for(connection, event_id, question_id, question.kind, answer.text) if answer.text else None

    ballot_id: int = (await connection.execute(_upsert(session), {
        "question_id": question_id, "participant_id": participant_id, "value": answer.value, "text": answer.text,
        "normalised": normalise(answer.text) if question.kind == PollKind.WORDS else "", "approved": False,
        "held_for": held_for, "updated_at": utcnow()})).scalar_one()
    if question.kind in CHOICE_KINDS:
        # Replace the selection in this same transaction: never half of the old and half of the new.
        await connection.execute(_CLEAR_CHOICES, {"ballot_id": ballot_id})
        await connection.execute(_CHOOSE, [{"ballot_id": ballot_id, "option_id": o} for o in answer.option_ids])
    topics.vote_changed(session, event_id, participant_id)
    return ballot_id


# --- moderation of word and text answers ---------------------------------------------------------------


async def hide_word(session: AsyncSession, event: Event, question_id: int | None, word: str, hidden: bool) -> None:
    question = await question_in_event(session, event, question_id)
    key = normalise(word)
    if question.kind != PollKind.WORDS or not key:
        raise InvalidInput({"word": N_("There is no such answer to hide.")})
    existing = await session.get(HiddenWord, (question.id, key))
    if hidden and existing is None:
        session.add(HiddenWord(question_id=question.id, normalised=key))
    elif not hidden and existing is not None:
        await session.delete(existing)
    # The moderator has decided: a word the word filter held now shows, or stays hidden as any other.
    await session.execute(update(Ballot).where(Ballot.question_id == question.id, Ballot.normalised == key,
                                               Ballot.held_for.is_not(None)).values(held_for=None))
    topics.poll_changed(session, event.id)


async def approve_text(session: AsyncSession, event: Event, ballot_id: int | None, approved: bool) -> Ballot:
    ballot = await session.get(Ballot, ballot_id) if ballot_id else None
    question = await session.get(PollQuestion, ballot.question_id) if ballot else None
    if ballot is None or question is None or question.event_id != event.id or question.kind != PollKind.TEXT:
        raise InvalidInput({"answer": N_("This answer does not exist.")})
    ballot.approved = approved
    if approved:
        ballot.held_for = None  # the moderator has seen why the word filter held it
    topics.poll_changed(session, event.id)
    return ballot


# --- counting ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    question: PollQuestion
    voters: int
    options: list[tuple[PollOption, int]] = field(default_factory=list)
    scale: list[tuple[int, int]] = field(default_factory=list)
    mean: float | None = None
    words: list[tuple[str, int]] = field(default_factory=list)
    hidden_words: list[tuple[str, int]] = field(default_factory=list)
    held_words: list[tuple[str, int, str]] = field(default_factory=list)  # held by the word filter: (word, count, why)
    answers: list[Ballot] = field(default_factory=list)  # open text: approved (all, for moderators)

    def rows(self) -> list[tuple[str, int]]:
        """Choices or scale values with their counts, for tables and exports."""
        if self.options:
            return [(option.label, count) for option, count in self.options]
        return [(str(value), count) for value, count in self.scale]

    def percent(self, count: int) -> int:
        return round(100 * count / self.voters) if self.voters else 0


async def _count_words(session: AsyncSession, question: PollQuestion, result: Tally) -> None:
    """The cloud's words with their counts, the ones the moderator hid, and the ones the word filter holds (a held
    word counts only once the moderator has shown it)."""
    held = Ballot.held_for.is_not(None)
    rows = (await session.execute(
        select(Ballot.normalised, held, func.count(), func.min(Ballot.held_for))
        .where(Ballot.question_id == question.id, Ballot.normalised != "").group_by(Ballot.normalised, held))).all()
    counts = {word: n for word, is_held, n, _why in rows if not is_held}
    result.held_words = sorted(((word, n, why) for word, is_held, n, why in rows if is_held),
                               key=lambda item: (-item[1], item[0]))
    hidden = set(await session.scalars(select(HiddenWord.normalised).where(HiddenWord.question_id == question.id)))
    ordered = sorted(counts_for_cloud(counts).items(), key=lambda item: (-item[1], item[0]))
    result.words = [(w, n) for w, n in ordered if w not in hidden][:60]
    result.hidden_words = [(w, n) for w, n in ordered if w in hidden]


async def tally(session: AsyncSession, question: PollQuestion, for_moderator: bool = False) -> Tally:
    voters = await session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.question_id == question.id)) or 0
    result = Tally(question=question, voters=voters)
    if question.kind in CHOICE_KINDS:
        counts = dict((await session.execute(
            select(BallotChoice.option_id, func.count()).join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .where(Ballot.question_id == question.id).group_by(BallotChoice.option_id))).all())
        result.options = [(o, counts.get(o.id, 0)) for o in question.options]
    elif question.kind == PollKind.SCALE:
        counts = dict((await session.execute(
            select(Ballot.value, func.count()).where(Ballot.question_id == question.id, Ballot.value.is_not(None))
            .group_by(Ballot.value))).all())
        low, high = question.scale_min or 1, question.scale_max or 5
        result.scale = [(v, counts.get(v, 0)) for v in range(low, high + 1)]
        total = sum(counts.values())
        result.mean = sum(v * n for v, n in counts.items()) / total if total else None
    elif question.kind == PollKind.WORDS:
        await _count_words(session, question, result)
    else:
        query = select(Ballot).where(Ballot.question_id == question.id, Ballot.text != "").order_by(Ballot.id)
        if not for_moderator:
            query = query.where(Ballot.approved.is_(True))
        result.answers = list(await session.scalars(query))
    return result


async def my_ballots(session: AsyncSession, event_id: int, participant_id: int) -> dict[int, dict]:
    """This participant's answers to every question of the event (for their own screen only). One query: it is
    re-read for the voter's own pages after every vote."""
    rows = await session.execute(
        select(Ballot.question_id, Ballot.value, Ballot.text, BallotChoice.option_id)
        .join(PollQuestion, PollQuestion.id == Ballot.question_id)
        .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(PollQuestion.event_id == event_id, Ballot.participant_id == participant_id))
    mine: dict[int, dict] = {}
    for question_id, value, text, option_id in rows:
        entry = mine.setdefault(question_id, {"options": [], "value": value, "text": text})
        if option_id is not None:
            entry["options"].append(option_id)
    for entry in mine.values():
        entry["options"].sort()
    return mine


def results_visible(question: PollQuestion, presenter: bool) -> bool:
    """Who may see a question's results now: live, only after closing, or only on the presenter screen."""
    if presenter:
        return True
    if question.results == ResultMode.LIVE:
        return True
    if question.results == ResultMode.AFTER_CLOSE:
        return question.status == PollStatus.CLOSED
    return False


def current(questions_: list[PollQuestion]) -> PollQuestion | None:
    """The open question, or else the one closed most recently."""
    open_ = [q for q in questions_ if q.status == PollStatus.OPEN]
    if open_:
        return open_[0]
    closed = [q for q in questions_ if q.status == PollStatus.CLOSED and q.closed_at]
    return max(closed, key=lambda q: q.closed_at) if closed else None


async def forget(session: AsyncSession, participant_ids: list[int]) -> None:
    """People are removed: their ballots stay in the tallies without anyone attached."""
    if participant_ids:
        await session.execute(update(Ballot).where(Ballot.participant_id.in_(participant_ids)).values(participant_id=None))


# --- setting the poll up (by the organiser) ---------------------------------------------------------


@dataclass
class PollForm:
    kind: str
    prompt: str
    options: str = ""  # one per line
    max_choices: str = ""
    scale_min_label: str = ""
    scale_max_label: str = ""
    results: str = ResultMode.LIVE


async def add_question(session: AsyncSession, event: Event, form: PollForm) -> PollQuestion:
    errors = {}
    if form.kind not in POLL_KINDS:
        errors["kind"] = N_("Choose the kind of question.")
    if form.results not in RESULT_MODES:
        errors["results"] = N_("Choose when the results are shown.")
    prompt = clean_text(form.prompt, 300)
    if not prompt or len(prompt) > 300:
        errors["prompt"] = N_("A question needs 1 to 300 characters.")
    options = [clean_text(line, 120) for line in form.options.splitlines() if clean_text(line, 120)]
    if form.kind in CHOICE_KINDS and not 2 <= len(options) <= 12:
        errors["options"] = N_("Give 2 to 12 answers, one per line.")
    if any(len(o) > 120 for o in options):
        errors["options"] = N_("An answer can be at most 120 characters.")
    max_choices = as_id(form.max_choices)
    labels = clean_text(form.scale_min_label, 60), clean_text(form.scale_max_label, 60)
    if form.kind == PollKind.SCALE and any(len(label) > 60 for label in labels):  # the columns hold 60
        errors["scale"] = N_("A label can be at most 60 characters.")
    if errors:
        raise InvalidInput(errors)
    last = await session.scalar(select(PollQuestion.position).where(PollQuestion.event_id == event.id)
                                .order_by(PollQuestion.position.desc()).limit(1))
    question = PollQuestion(event_id=event.id, position=(last or 0) + 1, kind=form.kind, prompt=prompt,
                            results=form.results, max_choices=max_choices if form.kind == PollKind.MULTIPLE else None)
    if form.kind == PollKind.SCALE:
        question.scale_min, question.scale_max = 1, 5
        question.scale_min_label, question.scale_max_label = labels
    question.options = [PollOption(position=i, label=o) for i, o in enumerate(options, 1)] \
        if form.kind in CHOICE_KINDS else []
    session.add(question)
    topics.setup_changed(session, event.id)
    await session.flush()
    return question


async def delete_question(session: AsyncSession, event: Event, question_id: int | None) -> None:
    question = await session.get(PollQuestion, question_id) if question_id else None
    if question is None or question.event_id != event.id:
        raise InvalidInput({"question": N_("This poll question does not exist.")})
    if question.status != PollStatus.DRAFT:
        raise InvalidInput({"question": N_("A question that has been opened keeps its votes; it cannot be removed.")})
    await session.delete(question)
    topics.setup_changed(session, event.id)


async def copy_questions(session: AsyncSession, source_event_id: int, event_id: int) -> None:
    """Another event's poll questions and options as drafts (a duplicated event starts from them)."""
    for q in await session.scalars(select(PollQuestion).where(PollQuestion.event_id == source_event_id)):
        clone = PollQuestion(event_id=event_id, position=q.position, kind=q.kind, prompt=q.prompt, results=q.results,
                             max_choices=q.max_choices, scale_min=q.scale_min, scale_max=q.scale_max,
                             scale_min_label=q.scale_min_label, scale_max_label=q.scale_max_label)
        clone.options = [PollOption(position=o.position, label=o.label) for o in q.options]
        session.add(clone)
