"""The lunch hosts' talking points: what the debate and the poll gave, on the host page and pushed live, so a host
who opened the page before the debate sees it fill in without reloading."""

from __future__ import annotations

import re

from tests.conftest import SLUG, query, text_of
from tests.support.web import (
    ERIK,
    FATIMA,
    MODERATOR,
    ask_and_approve,
    moderate,
    open_poll,
    poll_question,
    receive_until,
    vote,
)

HOST = "host:Annemiek de Vries"
PEOPLE = (ERIK, FATIMA, MODERATOR, HOST)


def part(html: str, element_id: str) -> str:
    """The text of one talking-points part of a page or a pushed frame."""
    found = re.search(rf'<div id="{element_id}".*?</div>', html, re.S)
    assert found, f"no #{element_id} in {html[:300]}"
    return text_of(found.group(0))


def test_before_the_debate_the_host_sees_what_will_come(settings, people):
    page = people[HOST].get(f"/e/{SLUG}/host").text
    assert 'id="talking-points"' in page
    assert "Nog geen vragen" in part(page, "talking-points-questions")
    assert "Nog geen uitslagen" in part(page, "talking-points-polls")
    # A question that nobody has supported yet is no talking point.
    ask_and_approve(settings, people, ERIK, "Wie neemt de G40 mee naar de formatie?")
    assert "Nog geen vragen" in part(people[HOST].get(f"/e/{SLUG}/host").text, "talking-points-questions")


def test_questions_answered_and_supported_reach_an_open_host_page_live(settings, people):
    with people[HOST].websocket(f"/ws/host/{SLUG}") as ws:
        receive_until(ws, 'id="talking-points-questions"')  # the snapshot on connect
        supported = ask_and_approve(settings, people, ERIK, "Hoe krijgen we de regio aan tafel in Den Haag?")
        assert people[FATIMA].post(f"/e/{SLUG}/questions/{supported}/vote", {"up": "1"}).status_code == 200
        frame = receive_until(ws, "(1)")
        assert "Veel steun, nog niet beantwoord: Hoe krijgen we de regio aan tafel in Den Haag? (1)" in part(
            frame, "talking-points-questions")

        answered = ask_and_approve(settings, people, FATIMA, "Wat vraagt de G40 van het nieuwe kabinet?")
        moderate(people[MODERATOR], answered, "on_air", check=True)
        moderate(people[MODERATOR], answered, "answered", check=True)
        frame = receive_until(ws, "Besproken in de uitzending")
        text = part(frame, "talking-points-questions")
        assert "Besproken in de uitzending: Wat vraagt de G40 van het nieuwe kabinet?" in text
        assert "Veel steun, nog niet beantwoord: Hoe krijgen we de regio" in text
    # The page drawn afresh says the same.
    page = part(people[HOST].get(f"/e/{SLUG}/host").text, "talking-points-questions")
    assert "Besproken in de uitzending: Wat vraagt de G40 van het nieuwe kabinet?" in page


def test_a_closed_poll_questions_leading_answer_reaches_the_host_live(settings, people):
    qid, options = poll_question(settings, 1)
    prompt, label = query(settings, "SELECT q.prompt, o.label FROM poll_question q JOIN poll_option o "
                                    "ON o.question_id = q.id WHERE o.id = :o", o=options[1])[0]
    assert open_poll(people, qid).status_code == 200
    with people[HOST].websocket(f"/ws/host/{SLUG}") as ws:
        receive_until(ws, 'id="talking-points-polls"')  # the snapshot on connect
        assert vote(people[ERIK], qid, option=str(options[1])).status_code == 200
        assert vote(people[FATIMA], qid, option=str(options[0])).status_code == 200
        assert vote(people[FATIMA], qid, option=str(options[1])).status_code == 200
        assert people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/close").status_code == 200
        frame = receive_until(ws, f"{label} (2/2)")
    assert f"{prompt} — {label} (2/2)" in part(frame, "talking-points-polls")
    assert f"{prompt} — {label} (2/2)" in part(people[HOST].get(f"/e/{SLUG}/host").text, "talking-points-polls")


def test_the_talking_points_are_only_pushed_to_hosts(settings, people):
    """A participant's socket never receives the hosts' fragments (the same bytes go to every subscriber of a
    topic, so the host topics must be the hosts' own)."""
    with people[ERIK].websocket(f"/ws/participant/{SLUG}") as ws:
        frames = [ws.receive_text()]  # the snapshot on connect
        ask_and_approve(settings, people, FATIMA, "Komt er een G40-gezant in Den Haag?")
        while "G40-gezant" not in frames[-1] and len(frames) < 20:
            frames.append(ws.receive_text())
    assert "G40-gezant" in frames[-1] and 'id="question-list"' in "".join(frames)
    assert "talking-points" not in "".join(frames)


def test_a_word_clouds_leader_is_shown_as_people_typed_it(settings, people):
    qid, _options = poll_question(settings, 4)
    assert query(settings, "SELECT kind FROM poll_question WHERE id = :q", q=qid) == [("words",)]
    assert open_poll(people, qid).status_code == 200
    assert vote(people[ERIK], qid, text="Efficiënt").status_code == 200
    assert vote(people[FATIMA], qid, text="efficient").status_code == 200
    assert people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/close").status_code == 200
    text = part(people[HOST].get(f"/e/{SLUG}/host").text, "talking-points-polls")
    assert "— efficiënt (2/2)" in text  # the spelling with its accent, not the key it is counted by
