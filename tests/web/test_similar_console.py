"""The moderator's "lijkt op" and themes: a question that arrives looking like an earlier one is shown with it,
one click merges them (votes and askers add up), and the console can group the queue into themes. All offline."""

from __future__ import annotations

import json

from tests.conftest import SLUG, query
from tests.support.web import ERIK, FATIMA, JAN, MODERATOR, ask, moderate, question_id, receive_until

PEOPLE = (ERIK, FATIMA, JAN, MODERATOR, "presenter:Presentatiescherm")

FIRST = "Hoe zorgen we dat de regio een sterkere stem krijgt in Den Haag?"
ALIKE = "Hoe krijgt de regio een sterkere stem in Den Haag?"
OTHER = "Wat doen we aan het tekort aan betaalbare woningen voor jongeren?"


def similar_of(settings, body: str) -> list[list]:
    stored = query(settings, "SELECT similar_to FROM question WHERE id = :i", i=question_id(settings, body))[0][0]
    return json.loads(stored) if stored else []


def test_an_arriving_question_remembers_the_earlier_one_it_looks_like(settings, people):
    ask(people[ERIK], FIRST)
    ask(people[JAN], OTHER)
    ask(people[FATIMA], ALIKE)
    first = question_id(settings, FIRST)
    assert [other for other, _score in similar_of(settings, ALIKE)] == [first]
    assert similar_of(settings, FIRST) == []  # only earlier questions are suggested
    assert similar_of(settings, OTHER) == []  # and nothing unrelated


def test_the_console_shows_lijkt_op_and_merges_with_one_click(settings, people):
    ask(people[ERIK], FIRST)
    ask(people[FATIMA], ALIKE)
    first, alike = question_id(settings, FIRST), question_id(settings, ALIKE)
    moderate(people[MODERATOR], first, "approve", check=True)
    assert people[JAN].post(f"/e/{SLUG}/questions/{first}/vote", {"up": "1"}).status_code == 200
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert "Lijkt op" in console and "Samenvoegen met deze" in console
    assert f'name="into" value="{first}"' in console
    moderate(people[MODERATOR], alike, "merge", check=True, into=str(first))
    assert query(settings, "SELECT status, merged_into_id FROM question WHERE id = :i", i=alike) == [("merged", first)]
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert "Lijkt op" not in console  # the merged one left the queue, and with it its suggestion
    public = people[JAN].get(f"/e/{SLUG}").text
    assert FIRST in public and ALIKE not in public


def test_a_suggestion_pointing_at_a_merged_question_is_not_shown(settings, people):
    ask(people[ERIK], FIRST)
    ask(people[FATIMA], ALIKE)
    ask(people[JAN], OTHER)
    first, alike = question_id(settings, FIRST), question_id(settings, ALIKE)
    moderate(people[MODERATOR], first, "merge", check=True, into=str(question_id(settings, OTHER)))
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert f'name="into" value="{first}"' not in console
    assert [o for o, _s in similar_of(settings, ALIKE)] == [first]  # stored, but not offered
    assert alike


def test_lijkt_op_reaches_the_moderator_live(settings, people):
    ask(people[ERIK], FIRST)
    with people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as ws:
        receive_until(ws, FIRST)
        ask(people[FATIMA], ALIKE)
        pushed = receive_until(ws, "Lijkt op")
        assert ALIKE in pushed


def test_themes_group_the_queue(settings, people):
    for person, body in ((ERIK, FIRST), (FATIMA, ALIKE), (JAN, OTHER),
                         (ERIK, "Hoe krijgen jongeren een betaalbare woning in onze stad?")):
        ask(people[person], body)
    page = people[MODERATOR].get(f"/e/{SLUG}/moderator/themes", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "<html" not in page.text
    groups = page.text.split('<li>\n    <h3 class="theme-label">')[1:]
    assert len(groups) == 2
    assert any(FIRST in g and ALIKE in g and OTHER not in g for g in groups)
    assert any(OTHER in g and "betaalbare woning in onze stad" in g and FIRST not in g for g in groups)
    full = people[MODERATOR].get(f"/e/{SLUG}/moderator/themes")
    assert "<html" in full.text and "Thema's in de vragen" in full.text


def test_themes_are_for_moderators_only(settings, people):
    for who in (ERIK, "presenter:Presentatiescherm"):
        assert people[who].get(f"/e/{SLUG}/moderator/themes").status_code == 403


def test_merging_two_waiting_questions_publishes_neither(settings, people):
    """One click on "lijkt op" is a merge, not an approval: the kept question still waits for moderation. A
    published duplicate does publish the question it joins (its voters keep seeing it)."""
    ask(people[ERIK], FIRST)
    ask(people[FATIMA], ALIKE)
    first, alike = question_id(settings, FIRST), question_id(settings, ALIKE)
    moderate(people[MODERATOR], alike, "merge", check=True, into=str(first))
    assert query(settings, "SELECT status FROM question WHERE id = :i", i=first) == [("pending",)]
    assert FIRST not in people[JAN].get(f"/e/{SLUG}").text
    ask(people[JAN], OTHER)
    other = question_id(settings, OTHER)
    moderate(people[MODERATOR], other, "approve", check=True)
    moderate(people[MODERATOR], other, "merge", check=True, into=str(first))
    assert query(settings, "SELECT status FROM question WHERE id = :i", i=first) == [("approved",)]
