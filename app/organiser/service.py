"""The organiser's writes that span the domains: removing people (one on request, or every one of an event after
its retention period), and putting the closing part's agenda ready from what the debate and the poll brought up.
Each domain forgets its own rows; the organiser only decides who and when."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import service as agenda
from app.agenda.models import ThemeSource
from app.core.changes import changed
from app.events import service as events
from app.events import setup as events_setup
from app.events import topics as events_topics
from app.events.models import Event, Participant
from app.organiser.models import ImportBatch
from app.polls import service as polls
from app.polls.models import CHOICE_KINDS, Ballot, PollKind, PollStatus
from app.polls.words import display_forms
from app.questions import service as questions
from app.questions import topics as questions_topics
from app.questions.models import Question, QuestionStatus
from app.questions.similar import SimilarityIndex
from app.tables import service as tables
from app.tables import topics as tables_topics


async def forget(session: AsyncSession, event_id: int, participant_ids: list[int]) -> None:
    """Delete people on request: their account, links, upvotes, seat and invitations go; their questions stay
    without a name (anonymous) and their votes stay in the tallies without anyone attached."""
    await questions.forget(session, event_id, participant_ids)
    await polls.forget(session, participant_ids)
    await tables.forget(session, event_id, participant_ids)
    await agenda.forget(session, event_id, participant_ids)
    await events.forget(session, event_id, participant_ids)  # last: the others still refer to them


async def update_person(session: AsyncSession, participant: Participant, fields: dict) -> None:
    """The organiser corrects someone's details; their name shows in the questions and at the lunch tables."""
    for key in ("name", "municipality_id", "organisation", "role_title", "email", "topic"):
        setattr(participant, key, fields[key])
    events_topics.people_changed(session, participant.event_id)
    questions_topics.people_changed(session, participant.event_id)
    changed(session, tables_topics.seating(participant.event_id))


async def purge_event(session: AsyncSession, event_id: int) -> dict:
    """Remove every piece of personal data of one event; keep anonymous tallies (question votes as counts, poll
    ballots without anyone attached). Returns what was removed, with the ids whose open pages must close."""
    people = list(await session.scalars(select(Participant.id).where(Participant.event_id == event_id)))
    await questions.forget(session, event_id, people)
    await polls.forget(session, people)
    await tables.forget(session, event_id, people)
    await agenda.forget(session, event_id, people)
    await tables.purge(session, event_id)  # before the host links go
    await session.execute(delete(ImportBatch).where(ImportBatch.event_id == event_id))
    gone = await events.purge(session, event_id)
    return {"participants": len(gone["participants"]), "ids": gone["participants"],
            "links": len(gone["links"]), "link_ids": gone["links"]}


async def duplicate_event(session: AsyncSession, source: Event, day: date | None = None) -> Event:
    """The last network day as a template: programme, poll questions, tables (without hosts' links) and
    settings; no participants, no answers."""
    copy = await events_setup.copy_event(session, source, day or source.day + timedelta(days=7))
    await polls.copy_questions(session, source.id, copy.id)
    await tables.copy_tables(session, source.id, copy.id)
    await session.flush()
    return copy


# --- the closing part's agenda, from the debate and the poll ---------------------------------------------------

PUBLISHED = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR, QuestionStatus.ANSWERED)
LEADERS_PER_QUESTION = 3  # a poll question's leading answers that become themes (a tie of many words is noise)


async def agenda_themes(session: AsyncSession, event_id: int) -> list[tuple[str, str]]:
    """The themes this room raised, as (label, source): the debate's themes (clusters of two or more published
    questions, app/questions/similar.py, labelled by their top words) and the leading answer(s) of each opened
    multiple-choice or word-cloud poll question. A single choice or a scale answers one question ("Beter", "4"):
    out of its question it says nothing, so it seeds no theme."""
    return [*await _debate_themes(session, event_id), *await _poll_themes(session, event_id)]


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


async def _debate_themes(session: AsyncSession, event_id: int) -> list[tuple[str, str]]:
    published = (await session.execute(select(Question.id, Question.body).where(
        Question.event_id == event_id, Question.status.in_(PUBLISHED)).order_by(Question.id))).all()
    index = SimilarityIndex()  # of these questions only: a theme is what the room saw discussed
    for question_id, body in published:
        index.add(question_id, body)
    return [(_capitalised(cluster.label), ThemeSource.DEBATE)
            for cluster in index.clusters([question_id for question_id, _body in published])
            if len(cluster.ids) >= 2 and cluster.label]


async def _poll_themes(session: AsyncSession, event_id: int) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for question in await polls.questions(session, event_id):
        if question.status == PollStatus.DRAFT or question.kind not in (PollKind.MULTIPLE, PollKind.WORDS):
            continue
        tally = await polls.tally(session, question)
        answers = tally.rows() if question.kind in CHOICE_KINDS else tally.words
        if question.kind == PollKind.WORDS and answers:  # the words as people typed them, not their keys
            forms = display_forms((await session.execute(select(Ballot.normalised, Ballot.text).where(
                Ballot.question_id == question.id, Ballot.normalised != ""))).all())
            answers = [(forms.get(word, word), count) for word, count in answers]
        top = max((count for _label, count in answers), default=0)
        if top > 0:
            leaders = [label for label, count in answers if count == top][:LEADERS_PER_QUESTION]
            found += [(_capitalised(label), ThemeSource.POLL) for label in leaders]
    return found


async def seed_agenda(session: AsyncSession, event_id: int) -> int:
    """Put the themes of the debate and the poll on the closing part's list (those not there yet); returns how
    many were added."""
    return await agenda.seed(session, event_id, await agenda_themes(session, event_id))
