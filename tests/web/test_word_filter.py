"""The word filter over HTTP and WebSocket: a profane question waits for the moderator with its reason (even with
pre-moderation off), the organiser's settings (on/off, extra words, the length limit), and word-cloud words and
open answers held until the moderator shows them."""

from __future__ import annotations

from tests.conftest import SLUG, query, text_of
from tests.support.web import (
    BASE,
    ERIK,
    FATIMA,
    JAN,
    MODERATOR,
    ORGANISER,
    ask,
    moderate,
    open_poll,
    poll_question,
    post,
    question_id,
    receive_until,
    scalar,
    snapshot,
    vote,
)

PRESENTER = "presenter:Presentatiescherm"
PEOPLE = (ERIK, FATIMA, JAN, MODERATOR, ORGANISER, PRESENTER)
BADGE = "Tegengehouden door het woordfilter: «{}»"


def save_event(settings, people, **fields: str):
    """The organiser's event form on the set-up page, as the browser sends it (the checkbox only when ticked)."""
    name, day = query(settings, "SELECT name, day FROM event WHERE slug = :s", s=SLUG)[0]
    return post(people[ORGANISER], f"{BASE}/event", {"name": name, "day": str(day), "allow_anonymous": "1",
                                                     "default_locale": "nl", **fields})


def test_a_profane_question_waits_for_the_moderator_with_its_reason(settings, people):
    # Pre-moderation off, the word filter left on.
    people[ORGANISER].post(f"/e/{SLUG}/organiser/settings", {"allow_anonymous": "1", "word_filter": "1"})
    body = "Wat een teringzooi bij de uitkeringen, wie lost dit op?"
    with people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as ws:
        answer = ask(people[ERIK], body)
        pushed = receive_until(ws, BADGE.format("teringzooi"))
    assert 'id="moderation-queue"' in pushed
    # The asker is told what every asker is told when a question waits: no accusation.
    assert answer.status_code == 200 and "De gespreksleider bekijkt uw vraag" in text_of(answer.text)
    assert "woordfilter" not in answer.text
    qid = question_id(settings, body)
    assert query(settings, "SELECT status, held_for FROM question WHERE id = :i", i=qid) == [("pending", "teringzooi")]
    assert "teringzooi" not in people[FATIMA].get(f"/e/{SLUG}").text  # not in the public list
    mine = people[ERIK].get(f"/e/{SLUG}").text
    assert "teringzooi" in mine and "woordfilter" not in mine and "wacht" in mine.lower()
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert BADGE.format("teringzooi") in console

    # A question without such a word is published at once, as pre-moderation is off.
    ask(people[ERIK], "Hoe houden we de regio betrokken?")
    assert query(settings, "SELECT status, held_for FROM question WHERE body = :b",
                 b="Hoe houden we de regio betrokken?") == [("approved", None)]

    # The moderator's edit is theirs: it is not filtered again, and approving works as always.
    moderate(people[MODERATOR], qid, "edit", check=True, body="Wat een zooi bij de uitkeringen, wie lost dit op?")
    assert scalar(settings, "SELECT status FROM question WHERE id = :i", i=qid) == "pending"
    moderate(people[MODERATOR], qid, "approve", check=True)
    assert "Wat een zooi bij de uitkeringen" in people[FATIMA].get(f"/e/{SLUG}").text
    assert BADGE.format("teringzooi") not in people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    moderate(people[MODERATOR], qid, "edit", check=True, body="Kut, wie lost dit op?")
    assert scalar(settings, "SELECT status FROM question WHERE id = :i", i=qid) == "approved"


def test_with_the_filter_off_a_question_is_published_as_usual(settings, people):
    assert save_event(settings, people).status_code == 200  # no word_filter: the box is not ticked
    assert query(settings, "SELECT word_filter, premoderation FROM event") == [(0, 0)]
    ask(people[ERIK], "Wat een teringzooi bij de uitkeringen")
    assert query(settings, "SELECT status, held_for FROM question") == [("approved", None)]
    assert "teringzooi" in people[FATIMA].get(f"/e/{SLUG}").text


def test_the_run_pages_quick_settings_switch_the_filter_off_and_on(settings, people):
    run = people[ORGANISER].get(BASE).text  # the run page
    assert 'id="word-filter" name="word_filter" value="1"' in run and "checked" in run.split('id="word-filter"')[1][:80]
    people[ORGANISER].post(f"/e/{SLUG}/organiser/settings", {"allow_anonymous": "1"})  # the box not ticked
    assert query(settings, "SELECT word_filter, premoderation FROM event") == [(0, 0)]
    ask(people[ERIK], "Wat een teringzooi bij de uitkeringen")
    assert query(settings, "SELECT status, held_for FROM question") == [("approved", None)]
    answer = people[ORGANISER].post(f"/e/{SLUG}/organiser/settings", {"word_filter": "1"})
    assert answer.status_code == 200 and "checked" in answer.text.split('id="word-filter"')[1][:80]
    assert query(settings, "SELECT word_filter, premoderation FROM event") == [(1, 0)]
    ask(people[FATIMA], "Nog meer teringzooi")
    assert query(settings, "SELECT status, held_for FROM question WHERE body = 'Nog meer teringzooi'") == [
        ("pending", "teringzooi")]
    # Only the organiser may switch it.
    assert people[MODERATOR].post(f"/e/{SLUG}/organiser/settings", {}).status_code == 403
    assert scalar(settings, "SELECT word_filter FROM event") == 1


def test_the_organisers_extra_words_are_filtered(settings, people):
    response = save_event(settings, people, word_filter="1", filter_words=" Rutte \r\n\r\nkaasstolp*\r\n")
    assert response.status_code == 200
    assert query(settings, "SELECT word_filter, filter_words FROM event") == [(1, "Rutte\nkaasstolp*")]
    ask(people[ERIK], "Wat vindt rutte hiervan?")
    ask(people[FATIMA], "Weg met de kaasstolpmentaliteit!")
    ask(people[JAN], "Hoe versterken we de regio?")
    rows = dict(query(settings, "SELECT body, held_for FROM question"))
    assert rows == {"Wat vindt rutte hiervan?": "rutte", "Weg met de kaasstolpmentaliteit!": "kaasstolpmentaliteit",
                    "Hoe versterken we de regio?": None}
    assert dict(query(settings, "SELECT body, status FROM question"))["Hoe versterken we de regio?"] == "approved"
    setup = people[ORGANISER].get(f"{BASE}/setup").text
    assert 'id="event-word-filter" name="word_filter" value="1"' in setup and ">Rutte\nkaasstolp*</textarea>" in setup


def test_the_settings_form_refuses_a_too_long_list_and_changes_nothing(settings, people):
    save_event(settings, people, word_filter="1", filter_words="Rutte")
    before = snapshot(settings)
    too_long = save_event(settings, people, word_filter="1", filter_words="woord\n" * 400)  # 2399 characters
    assert too_long.status_code == 422 and "hooguit 2000 tekens" in text_of(too_long.text)
    wildcard = save_event(settings, people, word_filter="1", filter_words="Rutte\n*a*")
    assert wildcard.status_code == 422 and "minstens 3 letters" in text_of(wildcard.text)
    assert snapshot(settings) == before
    assert scalar(settings, "SELECT filter_words FROM event") == "Rutte"
    exactly = "\n".join(["abcdefghi"] * 200)[:2000]  # 2000 characters together is allowed
    assert save_event(settings, people, word_filter="1", filter_words=exactly).status_code == 200
    page = people[ORGANISER].get(f"{BASE}/setup").text
    assert "Woordfilter aan" in page and "Extra woorden voor het woordfilter" in page


def test_a_profane_word_stays_out_of_the_cloud_until_the_moderator_shows_it(settings, people):
    qid, _ = poll_question(settings, 4)  # the word cloud
    open_poll(people, qid)
    assert vote(people[ERIK], qid, text="Tyfus").status_code == 200
    assert vote(people[FATIMA], qid, text="verbinding").status_code == 200
    assert query(settings, "SELECT text, held_for FROM poll_ballot WHERE question_id = :q ORDER BY id", q=qid) == [
        ("Tyfus", "Tyfus"), ("verbinding", None)]
    results = people[PRESENTER].get(f"/e/{SLUG}/presenter").text.split('id="poll-results"')[1]
    assert "verbinding" in results and "tyfus" not in results.lower()
    assert "tyfus" not in people[MODERATOR].get(f"/e/{SLUG}/polls/results.csv").text.lower()
    control = people[MODERATOR].get(f"/e/{SLUG}/moderator").text.split('id="poll-control"')[1]
    assert BADGE.format("Tyfus") in control and "Toon in de woordwolk" in control
    assert "1 woord tegengehouden door het woordfilter" in text_of(control)

    with people[PRESENTER].websocket(f"/ws/presenter/{SLUG}") as ws:
        shown = people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/words", {"word": "tyfus", "hidden": "0"})
        assert shown.status_code == 200
        receive_until(ws, "tyfus")
    assert scalar(settings, "SELECT COUNT(*) FROM poll_ballot WHERE held_for IS NOT NULL") == 0
    assert "tyfus" in people[PRESENTER].get(f"/e/{SLUG}/presenter").text.split('id="poll-results"')[1]
    # The moderator's decision stands: the same word from someone else is not held again.
    vote(people[JAN], qid, text="tyfus")
    assert scalar(settings, "SELECT COUNT(*) FROM poll_ballot WHERE held_for IS NOT NULL") == 0
    # Another word is held, and the moderator may also hide it for good.
    vote(people[ERIK], qid, text="kankerzooi")
    assert scalar(settings, "SELECT held_for FROM poll_ballot WHERE text = 'kankerzooi'") == "kankerzooi"
    people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/words", {"word": "kankerzooi", "hidden": "1"})
    control = people[MODERATOR].get(f"/e/{SLUG}/moderator").text.split('id="poll-control"')[1]
    assert "<s>kankerzooi</s>" in control and BADGE.format("kankerzooi") not in control
    assert "kankerzooi" not in people[PRESENTER].get(f"/e/{SLUG}/presenter").text.split('id="poll-results"')[1]


def test_an_open_answer_shows_the_moderator_why_it_was_held(settings, people):
    qid, _ = poll_question(settings, 6)  # open text, results after closing
    open_poll(people, qid)
    vote(people[ERIK], qid, text="Wat een kutsessie was dit")
    vote(people[FATIMA], qid, text="Meer korte sessies")
    rows = dict(query(settings, "SELECT text, held_for FROM poll_ballot WHERE question_id = :q", q=qid))
    assert rows == {"Wat een kutsessie was dit": "kutsessie", "Meer korte sessies": None}
    control = people[MODERATOR].get(f"/e/{SLUG}/moderator").text.split('id="poll-control"')[1]
    assert BADGE.format("kutsessie") in control and BADGE.format("Meer") not in control
    assert "1 antwoord tegengehouden door het woordfilter" in text_of(control)
    ballot = scalar(settings, "SELECT id FROM poll_ballot WHERE held_for IS NOT NULL")
    assert people[MODERATOR].post(f"/e/{SLUG}/polls/answers/{ballot}", {"approved": "1"}).status_code == 200
    assert query(settings, "SELECT approved, held_for FROM poll_ballot WHERE id = :b", b=ballot) == [(1, None)]
    people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/close")
    page = people[JAN].get(f"/e/{SLUG}").text  # someone who gave neither answer
    assert "Wat een kutsessie was dit" in page and "Meer korte sessies" not in page  # only the approved one
