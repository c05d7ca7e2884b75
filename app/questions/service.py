"""Questions: submit, upvote, moderate, put on air, invite to react. Each function runs inside the caller's
write transaction and records there the live topics its change touches (topics.py); they are told once the caller
has committed (nothing is acknowledged before COMMIT)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import wordfilter
from app.core.input import InvalidInput, clean_text
from app.db import utcnow
from app.events.models import Event, Participant
from app.i18n import N_
from app.questions import topics
from app.questions.models import Invitation, InvitationStatus, Question, QuestionStatus, QuestionVote
from app.questions.similar import SimilarityIndex
from app.security import looks_like_token

BODY_MAX = 500
RATE_LIMIT = 5  # questions per participant per RATE_WINDOW; counted in the database, so it holds across processes
RATE_WINDOW = timedelta(seconds=60)
PUBLIC = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR, QuestionStatus.ANSWERED)
ACTIVE_INVITATION = (InvitationStatus.PENDING, InvitationStatus.READY)


def clean_body(value: object) -> str:
    """Like clean_text, but a question may span lines: keep single line breaks."""
    if not isinstance(value, str):
        return ""
    lines = [clean_text(line, BODY_MAX) for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line)[: BODY_MAX + 1]


async def submit(
    session: AsyncSession, event: Event, participant: Participant, body: object, anonymous: bool, key: str
) -> tuple[Question, bool]:
    """Store a question. Returns (question, created); a resubmission with the same key returns the first one.
    Keys are per participant: the same key sent by someone else is simply their own new question."""
    token = key if looks_like_token(key) else None
    if token is not None:
        existing = await _by_key(session, participant.id, token)
        if existing is not None:
            return existing, False
    text = clean_body(body)
    if not text:
        raise InvalidInput({"body": N_("Please write your question first.")})
    if len(text) > BODY_MAX:
        raise InvalidInput({"body": N_("A question can be at most 500 characters.")})
    if anonymous and not event.allow_anonymous:
        raise InvalidInput({"anonymous": N_("This event does not allow anonymous questions.")})
    recent = await session.scalar(
        select(func.count()).select_from(Question).where(
            Question.participant_id == participant.id, Question.created_at > utcnow() - RATE_WINDOW
        )
    )
    if recent >= RATE_LIMIT:
        raise InvalidInput({"body": N_("You have sent several questions in a short time. Wait a minute, then "
                                       "send your next one.")})
    # A question the word filter matches waits for the moderator (never refused: nothing is lost).
    held = wordfilter.check(text, wordfilter.extra_words(event.filter_words)) if event.word_filter else None
    question = Question(
        event_id=event.id,
        participant_id=participant.id,
        body=text,
        original_body=text,
        anonymous=anonymous,
        status=QuestionStatus.PENDING if event.premoderation or held else QuestionStatus.APPROVED,
        held_for=held.reason if held else None,
        idempotency_key=token,
    )
    try:
        async with session.begin_nested():
            session.add(question)
    except IntegrityError:
        # The same form sent twice at the same moment (a double tap, a resend racing the original): on
        # PostgreSQL both passed the check above and the other one committed first. Answer as for a resend.
        existing = await _by_key(session, participant.id, token) if token is not None else None
        if existing is None:
            raise
        return existing, False
    await suggest_similar(session, question)
    topics.asked(session, event.id, participant.id, published=question.status == QuestionStatus.APPROVED)
    return question, True


async def _by_key(session: AsyncSession, participant_id: int, key: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.participant_id == participant_id, Question.idempotency_key == key))


async def visible_question(session: AsyncSession, event_id: int, question_id: int) -> Question:
    question = await session.get(Question, question_id)
    if question is None or question.event_id != event_id or question.status not in PUBLIC:
        raise InvalidInput({"question": N_("This question does not exist or is not visible.")})
    return question


async def set_vote(session: AsyncSession, event_id: int, question_id: int, participant: Participant, up: bool) -> None:
    """Upvote or withdraw an upvote. Idempotent: voting twice is one vote (the primary key guarantees it)."""
    await visible_question(session, event_id, question_id)
    if not up:
        await session.execute(
            delete(QuestionVote).where(
                QuestionVote.question_id == question_id, QuestionVote.participant_id == participant.id
            )
        )
    elif await session.get(QuestionVote, (question_id, participant.id)) is None:
        try:
            async with session.begin_nested():
                session.add(QuestionVote(question_id=question_id, participant_id=participant.id))
        except IntegrityError:  # a concurrent request of the same participant won: still one vote
            pass
    topics.votes_changed(session, event_id, participant.id)


# --- moderation ----------------------------------------------------------------------------------------

NOT_MERGED = tuple(status for status in QuestionStatus if status != QuestionStatus.MERGED)
# action -> (the states it may start from, the state it leads to; None: the state stays). Anything else is a
# conflict (e.g. another moderator acted first).
TRANSITIONS: dict[str, tuple[tuple[QuestionStatus, ...], QuestionStatus | None]] = {
    "approve": ((QuestionStatus.PENDING, QuestionStatus.DISMISSED), QuestionStatus.APPROVED),
    "dismiss": ((QuestionStatus.PENDING, QuestionStatus.APPROVED), QuestionStatus.DISMISSED),
    "restore": ((QuestionStatus.DISMISSED,), QuestionStatus.PENDING),
    "on_air": ((QuestionStatus.PENDING, QuestionStatus.APPROVED, QuestionStatus.ANSWERED), QuestionStatus.ON_AIR),
    "off_air": ((QuestionStatus.ON_AIR,), QuestionStatus.APPROVED),
    "answered": ((QuestionStatus.APPROVED, QuestionStatus.ON_AIR), QuestionStatus.ANSWERED),
    "reopen": ((QuestionStatus.ANSWERED,), QuestionStatus.APPROVED),
    "star": (NOT_MERGED, None),
    "unstar": (NOT_MERGED, None),
}
MODERATOR_ACTIONS = (*TRANSITIONS, "edit", "merge")


async def moderate(
    session: AsyncSession, event: Event, question_id: int, action: str, body: object = None,
    into_id: int | None = None,
) -> Question:
    """Apply a moderator's action; returns the question it leaves in view (on a merge, the one kept)."""
    question = await session.get(Question, question_id, with_for_update=True)
    if question is None or question.event_id != event.id:
        raise InvalidInput({"question": N_("This question does not exist.")})
    # The askers whose question moves see their own list follow: this one's, the kept one's on a merge, and on
    # air, the asker of the question that was on air until now (it becomes answered).
    askers = {question.participant_id}
    if action == "on_air":
        askers.update(await session.scalars(select(Question.participant_id).where(
            Question.event_id == event.id, Question.status == QuestionStatus.ON_AIR, Question.id != question.id)))
    shown = await _apply(session, event, question, action, body, into_id)
    askers.add(shown.participant_id)
    topics.moderated(session, event.id, sorted(p for p in askers if p))
    return shown


async def _apply(
    session: AsyncSession, event: Event, question: Question, action: str, body: object, into_id: int | None
) -> Question:
    now = utcnow()
    if action == "edit":
        if question.status == QuestionStatus.MERGED:
            raise InvalidInput({"question": N_("This question was merged into another one.")})
        text = clean_body(body)
        if not text or len(text) > BODY_MAX:
            raise InvalidInput({"body": N_("A question needs 1 to 500 characters.")})
        question.body, question.edited_at = text, now
        return question
    if action == "merge":
        return await _merge(session, event, question, into_id)
    if action not in TRANSITIONS:
        raise InvalidInput({"action": N_("Unknown moderator action.")})
    allowed, target = TRANSITIONS[action]
    if question.status not in allowed:
        raise InvalidInput({"question": N_("This question has changed in the meantime (another moderator may "
                                           "have acted on it). Look at its current state and try again.")})
    if action in ("star", "unstar"):
        question.starred = action == "star"
        return question
    if target == QuestionStatus.ON_AIR:
        # Exactly one question on air: the one that was on air has now been discussed.
        await session.execute(
            update(Question)
            .where(Question.event_id == event.id, Question.status == QuestionStatus.ON_AIR, Question.id != question.id)
            .values(status=QuestionStatus.ANSWERED, answered_at=now)
        )
        question.on_air_at = now
    if target == QuestionStatus.ANSWERED:
        question.answered_at = now
    if action in ("approve", "dismiss", "restore"):
        question.moderated_at = now
    if target is not None:
        question.status = target
    return question


async def _merge(session: AsyncSession, event: Event, source: Question, into_id: int | None) -> Question:
    target = await session.get(Question, into_id) if into_id else None
    if target is None or target.event_id != event.id or target.id == source.id or target.status == QuestionStatus.MERGED:
        raise InvalidInput({"into": N_("Choose another question of this event to merge into.")})
    if source.status in (QuestionStatus.MERGED, QuestionStatus.ON_AIR):
        raise InvalidInput({"question": N_("A question that is on air or already merged cannot be merged.")})
    # The votes add up: every voter of the duplicate now supports the kept question (once).
    voters = set(await session.scalars(select(QuestionVote.participant_id).where(QuestionVote.question_id == source.id)))
    already = set(await session.scalars(select(QuestionVote.participant_id).where(QuestionVote.question_id == target.id)))
    for participant_id in voters - already:
        session.add(QuestionVote(question_id=target.id, participant_id=participant_id))
    await session.execute(delete(QuestionVote).where(QuestionVote.question_id == source.id))
    # A published duplicate publishes the question it joins (its voters keep seeing what they supported); two
    # questions still waiting for moderation stay waiting: a merge is no approval.
    source_was_published = source.status != QuestionStatus.PENDING
    source.status, source.merged_into_id = QuestionStatus.MERGED, target.id
    await session.execute(update(Question).where(Question.merged_into_id == source.id).values(merged_into_id=target.id))
    if target.status == QuestionStatus.PENDING and source_was_published:
        target.status = QuestionStatus.APPROVED
    return target


# --- invitations ---------------------------------------------------------------------------------------


async def invite(session: AsyncSession, event: Event, participant_id: int | None, question_id: int | None) -> Invitation:
    """Invite someone chosen by name, or (no name given) the asker of a question: the moderator's page never
    carries who asked an anonymous question, so the server looks the asker up."""
    question = None
    if question_id is not None:
        question = await session.get(Question, question_id)
        if question is None or question.event_id != event.id:
            raise InvalidInput({"question": N_("This question does not exist.")})
    if participant_id is None and question is not None:
        participant_id = question.participant_id
    participant = await session.get(Participant, participant_id) if participant_id else None
    if participant is None or participant.event_id != event.id:
        raise InvalidInput({"participant": N_("This participant is not part of this event.")})
    active = await session.scalar(
        select(Invitation).where(Invitation.participant_id == participant.id,
                                 Invitation.status.in_(ACTIVE_INVITATION))
    )
    if active is not None:
        return active  # inviting twice is one invitation
    invitation = Invitation(event_id=event.id, participant_id=participant.id, question_id=question_id)
    session.add(invitation)
    await session.flush()
    topics.invitation_changed(session, event.id, participant.id)
    return invitation


async def answer_invitation(session: AsyncSession, participant: Participant, invitation_id: int, ready: bool) -> Invitation:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.participant_id != participant.id:
        raise InvalidInput({"invitation": N_("This invitation does not exist.")})
    if invitation.status not in ACTIVE_INVITATION:
        raise InvalidInput({"invitation": N_("This invitation is no longer open.")})
    invitation.status = InvitationStatus.READY if ready else InvitationStatus.DECLINED
    invitation.answered_at = utcnow()
    topics.invitation_changed(session, invitation.event_id, participant.id)
    return invitation


async def close_invitation(session: AsyncSession, event: Event, invitation_id: int, outcome: str) -> Invitation:
    """The moderator withdraws an invitation or marks the reaction as done."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        raise InvalidInput({"invitation": N_("This invitation does not exist.")})
    if outcome not in (InvitationStatus.WITHDRAWN, InvitationStatus.DONE):
        raise InvalidInput({"action": N_("Unknown moderator action.")})
    if invitation.status not in ACTIVE_INVITATION:
        raise InvalidInput({"invitation": N_("This invitation is no longer open.")})
    invitation.status = InvitationStatus(outcome)
    topics.invitation_changed(session, event.id, invitation.participant_id)
    return invitation


# --- reading -------------------------------------------------------------------------------------------


@dataclass
class QuestionView:
    question: Question
    votes: int
    asker: str  # "" when anonymous
    place: str
    also_asked: int = 0
    invitation: str | None = None
    participant_id: int | None = None
    extra: dict = field(default_factory=dict)


async def _views(session: AsyncSession, questions: list[Question], reveal_anonymous: bool = False) -> list[QuestionView]:
    if not questions:
        return []
    ids = [q.id for q in questions]
    votes = dict((await session.execute(
        select(QuestionVote.question_id, func.count()).where(QuestionVote.question_id.in_(ids))
        .group_by(QuestionVote.question_id))).all())
    merged = dict((await session.execute(
        select(Question.merged_into_id, func.count()).where(Question.merged_into_id.in_(ids))
        .group_by(Question.merged_into_id))).all())
    people_ids = {q.participant_id for q in questions if q.participant_id}
    people = {p.id: p for p in await session.scalars(select(Participant).where(Participant.id.in_(people_ids)))}
    invitations = dict((await session.execute(
        select(Invitation.question_id, Invitation.status).where(Invitation.question_id.in_(ids))
        .order_by(Invitation.id))).all())
    result = []
    for q in questions:
        person = people.get(q.participant_id) if q.participant_id else None
        show = person is not None and (not q.anonymous or reveal_anonymous)
        result.append(QuestionView(
            # Upvotes of people removed on request or by the purge are kept as a count on the question.
            question=q, votes=votes.get(q.id, 0) + q.archived_votes, asker=person.name if show else "",
            place=person.place if show else "", also_asked=merged.get(q.id, 0),
            invitation=invitations.get(q.id), participant_id=q.participant_id,
        ))
    return result


def by_popularity(views: list[QuestionView]) -> list[QuestionView]:
    return sorted(views, key=lambda v: (-v.votes, -v.question.id))


async def public_questions(session: AsyncSession, event_id: int) -> list[QuestionView]:
    questions = list(await session.scalars(
        select(Question).where(Question.event_id == event_id, Question.status.in_(PUBLIC))))
    return by_popularity(await _views(session, questions))


async def on_air(session: AsyncSession, event_id: int) -> QuestionView | None:
    question = await session.scalar(
        select(Question).where(Question.event_id == event_id, Question.status == QuestionStatus.ON_AIR))
    views = await _views(session, [question]) if question else []
    return views[0] if views else None


async def moderation_queue(session: AsyncSession, event_id: int, reveal_anonymous: bool) -> list[QuestionView]:
    questions = list(await session.scalars(
        select(Question).where(Question.event_id == event_id, Question.status != QuestionStatus.MERGED).order_by(Question.id)))
    return await _views(session, questions, reveal_anonymous)


async def counters(session: AsyncSession, event_id: int) -> dict[str, int]:
    rows = dict((await session.execute(
        select(Question.status, func.count()).where(Question.event_id == event_id).group_by(Question.status))).all())
    return {
        "received": sum(rows.values()),
        "pending": rows.get(QuestionStatus.PENDING, 0),
        "approved": sum(rows.get(status, 0) for status in PUBLIC),  # published: approved, on air or answered since
        "answered": rows.get(QuestionStatus.ANSWERED, 0),
        "dismissed": rows.get(QuestionStatus.DISMISSED, 0),
    }


async def my_questions(session: AsyncSession, participant_id: int) -> list[Question]:
    """The asker's own questions; a merged one shows the state of the question it was merged into."""
    return list(await session.scalars(
        select(Question).where(Question.participant_id == participant_id).order_by(Question.id.desc())))


async def my_votes(session: AsyncSession, participant_id: int) -> set[int]:
    return set(await session.scalars(select(QuestionVote.question_id).where(QuestionVote.participant_id == participant_id)))


async def my_invitation(session: AsyncSession, participant_id: int) -> Invitation | None:
    return await session.scalar(select(Invitation).where(
        Invitation.participant_id == participant_id, Invitation.status.in_(ACTIVE_INVITATION)))


async def invitations(session: AsyncSession, event_id: int) -> list[tuple[Invitation, Participant | None]]:
    """The moderator's list of invitations; the person is None when they were invited as the asker of an
    anonymous question (their name would undo the anonymity)."""
    rows = await session.execute(
        select(Invitation, Participant, Question.anonymous).join(Participant, Participant.id == Invitation.participant_id)
        .outerjoin(Question, Question.id == Invitation.question_id)
        .where(Invitation.event_id == event_id, Invitation.status.in_((*ACTIVE_INVITATION, InvitationStatus.DECLINED)))
        .order_by(Invitation.id.desc()).limit(20))
    return [(i, None if anonymous else p) for i, p, anonymous in rows.all()]


# --- forgetting people ---------------------------------------------------------------------------------


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """People are removed (on request, or by the purge): their questions stay without a name, their upvotes
    stay as counts on the questions, their invitations go."""
    if not participant_ids:
        return
    rows = await session.execute(select(QuestionVote.question_id, func.count()).where(
        QuestionVote.participant_id.in_(participant_ids)).group_by(QuestionVote.question_id))
    for question_id, count in rows.all():
        await session.execute(update(Question).where(Question.id == question_id)
                              .values(archived_votes=Question.archived_votes + count))
    await session.execute(delete(QuestionVote).where(QuestionVote.participant_id.in_(participant_ids)))
    await session.execute(update(Question).where(Question.participant_id.in_(participant_ids)).values(participant_id=None))
    await session.execute(delete(Invitation).where(Invitation.participant_id.in_(participant_ids)))
    topics.people_changed(session, event_id)


# --- similar questions ("lijkt op") and themes ---------------------------------------------------------

SIMILAR_SHOWN = 3
MAX_INDEXES = 64  # events whose index this process keeps (a network day has one; tests make many)
_indexes: dict[tuple[str, int], tuple[SimilarityIndex, dict[int, str]]] = {}


async def event_index(session: AsyncSession, event_id: int) -> SimilarityIndex:
    """The similarity index of an event's questions (all but the merged ones), kept per process and brought up to
    date from the database on every use: another process's questions, edits, merges and a new database under the
    same address are all picked up. Reading the ids and texts is one query; only what changed is re-indexed."""
    key = (str(session.bind.url), event_id)
    if key not in _indexes and len(_indexes) >= MAX_INDEXES:
        _indexes.clear()
    index, texts = _indexes.setdefault(key, (SimilarityIndex(), {}))
    rows = dict((await session.execute(select(Question.id, Question.body).where(
        Question.event_id == event_id, Question.status != QuestionStatus.MERGED).order_by(Question.id))).all())
    for question_id in [i for i in texts if i not in rows]:
        index.remove(question_id)
        del texts[question_id]
    for question_id, body in rows.items():
        if texts.get(question_id) != body:
            index.add(question_id, body)
            texts[question_id] = body
    return index


async def suggest_similar(session: AsyncSession, question: Question) -> None:
    """Remember which earlier questions a new one looks like, for the moderator's "lijkt op" (computed once, when
    it arrives: the console then only reads)."""
    await session.flush()
    index = await event_index(session, question.event_id)
    found = index.similar(question.id, limit=SIMILAR_SHOWN) if question.id in index else []
    question.similar_to = json.dumps([[other, round(score, 2)] for other, score in found]) if found else None


def attach_similar(queue: list[QuestionView]) -> None:
    """Each queue item's "lijkt op": the stored suggestions that are still in the queue (not merged since)."""
    by_id = {view.question.id: view for view in queue}
    for view in queue:
        stored = json.loads(view.question.similar_to) if view.question.similar_to else []
        view.extra["similar"] = [(by_id[other], score) for other, score in stored if other in by_id]


async def themes(session: AsyncSession, event_id: int) -> list[tuple[str, list[QuestionView]]]:
    """The queue grouped into themes (two or more questions each), largest first, with a label of top terms."""
    queue = [v for v in await moderation_queue(session, event_id, reveal_anonymous=False)
             if v.question.status != QuestionStatus.DISMISSED]
    by_id = {view.question.id: view for view in queue}
    index = await event_index(session, event_id)
    groups = [(cluster.label, [by_id[i] for i in cluster.ids if i in by_id])
              for cluster in index.clusters(list(by_id))]
    groups = [(label, views) for label, views in groups if len(views) >= 2]
    return sorted(groups, key=lambda group: (-len(group[1]), -sum(v.votes for v in group[1])))
