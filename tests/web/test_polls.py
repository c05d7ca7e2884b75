"""Digitaal netwerken over HTTP and WebSocket: every question type, changing a vote, closed and unknown
questions, one vote per participant under concurrency, result modes, moderation of answers, export."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import SLUG, query, text_of
from tests.support.web import ERIK, FATIMA, JAN, MODERATOR, open_poll, poll_question, receive_until, vote

PEOPLE = (ERIK, FATIMA, JAN, MODERATOR, "presenter:Presentatiescherm", "host:Pieter Bakker")


def counts(settings, qid: int) -> dict[int, int]:
    return dict(query(settings, "SELECT c.option_id, COUNT(*) FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
                                "WHERE b.question_id = :q GROUP BY c.option_id", q=qid))


def test_single_choice_vote_change_and_one_ballot(settings, people):
    qid, options = poll_question(settings, 1)
    assert open_poll(people, qid).status_code == 200
    assert vote(people[ERIK], qid, option=str(options[0])).status_code == 200
    assert vote(people[ERIK], qid, option=str(options[0])).status_code == 200  # resubmission: same state
    assert vote(people[FATIMA], qid, option=str(options[0])).status_code == 200
    assert vote(people[ERIK], qid, option=str(options[2])).status_code == 200  # changed their mind
    assert counts(settings, qid) == {options[0]: 1, options[2]: 1}
    assert query(settings, "SELECT COUNT(*) FROM poll_ballot WHERE question_id = :q", q=qid) == [(2,)]
    assert "2 deelnemers" in text_of(people[JAN].get(f"/e/{SLUG}").text)


def test_multiple_choice_replaces_the_selection_and_respects_the_maximum(settings, people):
    qid, options = poll_question(settings, 2)  # at most two
    open_poll(people, qid)
    person = people[ERIK]
    assert person.post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(options[0]), str(options[1])]}).status_code == 200
    assert person.post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(options[3])]}).status_code == 200
    assert counts(settings, qid) == {options[3]: 1}
    too_many = person.post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(o) for o in options[:3]]})
    assert too_many.status_code == 422
    assert counts(settings, qid) == {options[3]: 1}  # the refused vote changed nothing


def test_a_refused_ballot_answers_with_the_ballot_that_counts(settings, people):
    """Three ticks where two are allowed: nothing changes, and the answer (422) says so in the status region and
    re-renders the question (out of band) with the stored ballot ticked, not the refused one."""
    qid, options = poll_question(settings, 2)  # at most two
    open_poll(people, qid)
    person = people[ERIK]
    assert person.post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(options[0]), str(options[1])]}).status_code == 200
    refused = person.post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(o) for o in options[:3]]},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 422
    status, _, question = refused.text.partition('<div id="poll-question"')
    assert 'class="is-error"' in status and "Uw stem is niet opgeslagen" in text_of(status)
    assert 'hx-swap-oob="true"' in question
    assert f'data-question="{qid}"' in question
    ticked = {o for o in options if f'value="{o}" checked' in question}
    assert ticked == {options[0], options[1]}  # the stored ballot, not the three refused ticks
    assert 'id="poll-error"' in question and "Hieronder staat uw opgeslagen stem" in text_of(question)
    assert counts(settings, qid) == {options[0]: 1, options[1]: 1}

    # Someone with no stored ballot: nothing ticked, and the form says so.
    first = people[FATIMA].post(f"/e/{SLUG}/polls/{qid}/vote", {"option": [str(o) for o in options[:3]]})
    assert first.status_code == 422
    assert " checked" not in first.text.partition('<div id="poll-question"')[2]
    assert "nog geen stem van u opgeslagen" in text_of(first.text)


def test_scale_gives_distribution_and_mean(settings, people):
    qid, _ = poll_question(settings, 3)
    open_poll(people, qid)
    for person, value in ((ERIK, "2"), (FATIMA, "4"), (JAN, "5")):
        assert vote(people[person], qid, value=value).status_code == 200
    assert vote(people[ERIK], qid, value="9").status_code == 422
    page = people[MODERATOR].get(f"/e/{SLUG}/presenter").text
    assert "3.7" in page  # (2 + 4 + 5) / 3


def test_word_cloud_normalises_and_skips_stop_words_and_hidden_words(settings, people):
    qid, _ = poll_question(settings, 4)
    open_poll(people, qid)
    vote(people[ERIK], qid, text="  Verbínding!! ")
    vote(people[FATIMA], qid, text="verbinding")
    vote(people[JAN], qid, text="de")
    ballots = dict(query(settings, "SELECT normalised, COUNT(*) FROM poll_ballot WHERE question_id = :q GROUP BY normalised",
                         q=qid))
    assert ballots == {"verbinding": 2, "de": 1}
    presenter = people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text
    # one word, shown as people typed it most (a tie goes to the form with accents)
    assert re.search(r"verb[ií]nding", presenter, re.I) and ">de <" not in presenter
    people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/words", {"word": "Verbinding", "hidden": "1"})
    presenter = people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text
    assert not re.search(r"verb[ií]nding", presenter.split('id="poll-results"')[1], re.I)


def test_open_text_is_shown_only_after_approval(settings, people):
    qid, _ = poll_question(settings, 6)  # results after closing
    open_poll(people, qid)
    vote(people[ERIK], qid, text="Meer korte sessies")
    people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/close")
    assert "Meer korte sessies" not in people[FATIMA].get(f"/e/{SLUG}").text
    ballot = query(settings, "SELECT id FROM poll_ballot WHERE question_id = :q", q=qid)[0][0]
    assert people[MODERATOR].post(f"/e/{SLUG}/polls/answers/{ballot}", {"approved": "1"}).status_code == 200
    assert "Meer korte sessies" in people[FATIMA].get(f"/e/{SLUG}").text


def test_voting_on_a_closed_draft_or_unknown_question_is_refused(settings, people):
    qid, options = poll_question(settings, 1)
    assert vote(people[ERIK], qid, option=str(options[0])).status_code == 422  # not opened yet
    open_poll(people, qid)
    people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/close")
    refused = vote(people[ERIK], qid, option=str(options[0]))
    assert refused.status_code == 422 and "niet meer stemmen" in refused.text
    assert vote(people[ERIK], 99999, option="1").status_code == 422
    other_qid, other_options = poll_question(settings, 2)
    open_poll(people, other_qid)
    assert vote(people[ERIK], other_qid, option=str(options[0])).status_code == 422  # an option of another question
    assert query(settings, "SELECT COUNT(*) FROM poll_ballot") == [(0,)]


def test_opening_one_question_closes_the_other(settings, people):
    first, _ = poll_question(settings, 1)
    second, _ = poll_question(settings, 2)
    open_poll(people, first)
    open_poll(people, second)
    assert query(settings, "SELECT id, status FROM poll_question WHERE status != 'draft' ORDER BY id") == [
        (first, "closed"), (second, "open")]


@pytest.mark.parametrize("who", [ERIK, "presenter:Presentatiescherm", "host:Pieter Bakker", None])
def test_only_moderators_pace_the_poll(settings, people, browser, who):
    qid, _ = poll_question(settings, 1)
    actor = people[who] if who else browser()
    assert actor.post(f"/e/{SLUG}/polls/{qid}/open").status_code == 403
    assert actor.get(f"/e/{SLUG}/polls/results.csv").status_code == 403
    assert query(settings, "SELECT COUNT(*) FROM poll_question WHERE status = 'open'") == [(0,)]


def test_result_modes_hide_results_from_participants(settings, people):
    qid, options = poll_question(settings, 1)
    async def set_mode(db):
        from sqlalchemy import text
        async with db.write() as session:
            await session.execute(text("UPDATE poll_question SET results = 'presenter_only' WHERE id = :q"), {"q": qid})
    from tests.conftest import _with_db, run
    run(_with_db(settings, set_mode))
    open_poll(people, qid)
    vote(people[ERIK], qid, option=str(options[1]))
    participant = people[FATIMA].get(f"/e/{SLUG}").text
    assert "presentatiescherm" in participant.split('id="poll-results"')[1].lower()
    assert "data-chart" not in participant
    assert "data-chart" in people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text


def test_votes_are_pushed_to_every_screen_and_coalesced(settings, people, app):
    qid, options = poll_question(settings, 1)
    open_poll(people, qid)
    with people[FATIMA].websocket(f"/ws/participant/{SLUG}") as ws, \
            people["presenter:Presentatiescherm"].websocket(f"/ws/presenter/{SLUG}") as presenter:
        receive_until(ws, 'id="poll-results"')
        receive_until(presenter, 'id="poll-results"')
        renders = app.state.hub.renders
        for person in (ERIK, JAN, FATIMA):
            vote(people[person], qid, option=str(options[0]))
        receive_until(ws, "<strong>3</strong>", limit=30)
        receive_until(presenter, "<strong>3</strong>", limit=30)
    assert app.state.hub.renders - renders < 3 * 4  # 3 votes x 4 topics would be the uncoalesced worst case


def test_concurrent_votes_of_one_participant_give_one_ballot(settings, demo):
    """Many tasks at once for the same participant (a double-clicking, reconnecting phone): one ballot."""
    from app.db import Database
    from app.events.models import Participant
    from app.events.service import event_by_slug
    from app.polls import service

    async def go() -> None:
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                event = await event_by_slug(session, SLUG)
                q = (await service.questions(session, event.id))[0]
                await service.open_question(session, event, q.id)
                participant = await session.get(Participant, 1)

            async def one(option_id: int) -> None:
                async with db.write() as session:
                    await service.vote(session, event.id, participant.id, q.id, service.VoteForm(options=[str(option_id)]))

            await asyncio.gather(*(one(q.options[i % 4].id) for i in range(40)))
        finally:
            await db.dispose()

    from tests.conftest import run
    run(go())
    assert query(settings, "SELECT COUNT(*) FROM poll_ballot") == [(1,)]
    assert query(settings, "SELECT COUNT(*) FROM poll_choice") == [(1,)]


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 23), st.integers(0, 3)), min_size=1, max_size=60))
def test_tally_equals_the_stored_votes_after_a_random_burst(settings, demo, burst):
    from sqlalchemy import select

    from app.db import Database
    from app.events.models import Participant
    from app.events.service import event_by_slug
    from app.polls import service

    async def go():
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                event = await event_by_slug(session, SLUG)
                q = (await service.questions(session, event.id))[0]
                await service.open_question(session, event, q.id)
                people = list(await session.scalars(select(Participant).order_by(Participant.id)))

            async def one(person: int, option: int) -> None:
                async with db.write() as session:
                    await service.vote(session, event.id, people[person].id, q.id,
                                       service.VoteForm(options=[str(q.options[option].id)]))

            await asyncio.gather(*(one(p, o) for p, o in burst))
            async with db.read() as session:
                tally = await service.tally(session, q)
            return q.id, {option.id: n for option, n in tally.options}, tally.voters
        finally:
            await db.dispose()

    from tests.conftest import run
    qid, shown, voters = run(go())
    stored = counts(settings, qid)
    assert {k: v for k, v in shown.items() if v} == stored
    assert voters == query(settings, "SELECT COUNT(*) FROM poll_ballot WHERE question_id = :q", q=qid)[0][0]
    assert sum(stored.values()) == voters  # single choice: exactly one choice per ballot


def test_export_has_tallies_never_voters(settings, people):
    qid, options = poll_question(settings, 1)
    open_poll(people, qid)
    vote(people[ERIK], qid, option=str(options[0]))
    response = people[MODERATOR].get(f"/e/{SLUG}/polls/results.csv")
    assert response.status_code == 200 and "Beter" in response.text
    assert "Erik" not in response.text
    single = people[MODERATOR].get(f"/e/{SLUG}/polls/results.csv?question={qid}").text
    assert single.count("\n") == 1 + len(options)
