"""The G40Gesprek over HTTP and WebSocket: asking, moderation, upvotes, on air, invitations, export, roles."""

from __future__ import annotations

import pytest

from tests.conftest import SLUG, query
from tests.support.web import ERIK, FATIMA, JAN, MODERATOR, ask, moderate, question_id, receive_until

PEOPLE = (ERIK, FATIMA, JAN, MODERATOR, "moderator:Assistent moderatie", "presenter:Presentatiescherm",
          "host:Pieter Bakker", "organiser:Secretariaat G40")


def test_question_waits_for_moderation_then_appears_for_everyone(settings, people):
    response = ask(people[ERIK], "Wat betekent één overheid voor de regio?")
    assert response.status_code == 200 and "ontvangen" in response.text
    qid = question_id(settings, "Wat betekent één overheid voor de regio?")
    assert query(settings, "SELECT status FROM question WHERE id = :i", i=qid) == [("pending",)]
    assert "Wat betekent één overheid" not in people[FATIMA].get(f"/e/{SLUG}").text  # others: not yet
    mine = people[ERIK].get(f"/e/{SLUG}").text
    assert "Wat betekent één overheid" in mine and "wacht" in mine.lower()  # the asker sees its status
    assert "Wat betekent één overheid" in people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert moderate(people[MODERATOR], qid, "approve").status_code == 200
    assert "Wat betekent één overheid" in people[FATIMA].get(f"/e/{SLUG}").text


def test_approved_question_is_pushed_live_to_other_participants(settings, people):
    ask(people[ERIK], "Hoe houden we de regio betrokken?")
    qid = question_id(settings, "Hoe houden we de regio betrokken?")
    with people[FATIMA].websocket(f"/ws/participant/{SLUG}") as ws, \
            people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as mod_ws:
        receive_until(mod_ws, "Hoe houden we de regio betrokken?")
        moderate(people[MODERATOR], qid, "approve")
        pushed = receive_until(ws, "Hoe houden we de regio betrokken?")
        assert 'id="question-list"' in pushed


@pytest.mark.parametrize(("body", "message"), [("", "Schrijf"), ("   \n ", "Schrijf"), ("x" * 501, "500")])
def test_bad_questions_get_a_clear_message_and_are_not_stored(settings, people, body, message):
    response = ask(people[ERIK], body)
    assert response.status_code == 422 and message in response.text
    assert query(settings, "SELECT COUNT(*) FROM question") == [(0,)]


def test_resubmitted_question_is_stored_once(settings, people):
    for _ in range(3):
        assert ask(people[ERIK], "Eén keer graag", key="q" * 32).status_code == 200
    assert query(settings, "SELECT COUNT(*) FROM question") == [(1,)]


def test_a_key_used_by_another_participant_is_a_new_question(settings, people):
    """Keys are per asker: someone else's key (a copied form, a hostile client) neither fails nor swallows the
    question; each asker's own resend is still stored once."""
    key = "k" * 32
    assert ask(people[ERIK], "Eriks vraag", key=key).status_code == 200
    answer = ask(people[FATIMA], "Fatima's vraag", key=key)
    assert answer.status_code == 200 and "ontvangen" in answer.text
    for person in (ERIK, FATIMA, ERIK, FATIMA):
        assert ask(people[person], "opnieuw verstuurd", key=key).status_code == 200
    rows = query(settings, "SELECT p.name, q.body FROM question q JOIN participant p ON p.id = q.participant_id "
                           "ORDER BY q.id")
    assert rows == [("Erik van Dijk", "Eriks vraag"), ("Fatima Bouzid", "Fatima's vraag")]


def test_a_resend_racing_the_original_answers_with_the_stored_question(settings, people, monkeypatch):
    """Two copies of one form at the same moment: both pass the look-up, the second insert hits the unique
    (participant, key) constraint and answers as a resend would, with the stored question."""
    from app.questions import service

    key = "r" * 32
    assert ask(people[ERIK], "Eén keer, ook bij een race", key=key).status_code == 200
    real = service._by_key
    calls = []

    async def missed_once(session, participant_id, token):
        calls.append(token)
        return None if len(calls) == 1 else await real(session, participant_id, token)

    monkeypatch.setattr(service, "_by_key", missed_once)
    answer = ask(people[ERIK], "Eén keer, ook bij een race", key=key)
    assert answer.status_code == 200 and "ontvangen" in answer.text
    assert len(calls) == 2  # the look-up missed, the insert failed, the stored question was found
    assert query(settings, "SELECT COUNT(*) FROM question") == [(1,)]
    assert ask(people[FATIMA], "Fatima, dezelfde sleutel", key=key).status_code == 200  # not a clash for her
    assert query(settings, "SELECT COUNT(*) FROM question") == [(2,)]


def test_rate_limit_per_participant(settings, people):
    for n in range(5):
        assert ask(people[ERIK], f"Vraag {n}").status_code == 200
    blocked = ask(people[ERIK], "Vraag 6")
    assert blocked.status_code == 422 and "minuut" in blocked.text
    assert ask(people[FATIMA], "Mijn eerste vraag").status_code == 200  # others are not affected
    assert query(settings, "SELECT COUNT(*) FROM question") == [(6,)]


def test_anonymous_question_shows_no_name_anywhere(settings, people):
    ask(people[ERIK], "Anonieme vraag over geld", anonymous=True)
    qid = question_id(settings, "Anonieme vraag over geld")
    moderate(people[MODERATOR], qid, "approve")
    moderate(people[MODERATOR], qid, "on_air")
    for page in (people[FATIMA].get(f"/e/{SLUG}").text, people["presenter:Presentatiescherm"].get(
            f"/e/{SLUG}/presenter").text):
        assert "Anonieme vraag over geld" in page
        assert "Erik van Dijk" not in page
    console = people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    item = console[console.index('class="queue-item'):]
    item = item[: item.index("</li>")]
    assert "Anonieme vraag over geld" in item and "Erik van Dijk" not in item


def test_upvotes_one_per_participant_and_can_be_withdrawn(settings, people):
    ask(people[ERIK], "Steun deze vraag")
    qid = question_id(settings, "Steun deze vraag")
    moderate(people[MODERATOR], qid, "approve")
    for _ in range(3):
        assert people[FATIMA].post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"}).status_code == 200
    people[JAN].post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
    assert query(settings, "SELECT COUNT(*) FROM question_vote") == [(2,)]
    people[FATIMA].post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "0"})
    assert query(settings, "SELECT COUNT(*) FROM question_vote") == [(1,)]
    assert f'data-ids="{qid}"' in people[JAN].get(f"/e/{SLUG}").text  # my vote, on my personal fragment


def test_voting_on_a_pending_or_unknown_question_is_refused(settings, people):
    ask(people[ERIK], "Nog niet goedgekeurd")
    qid = question_id(settings, "Nog niet goedgekeurd")
    for target in (qid, 99999):
        response = people[FATIMA].post(f"/e/{SLUG}/questions/{target}/vote", {"up": "1"})
        assert response.status_code == 422
    assert query(settings, "SELECT COUNT(*) FROM question_vote") == [(0,)]


def test_exactly_one_question_on_air(settings, people):
    for body in ("Eerste", "Tweede"):
        ask(people[ERIK], body)
        moderate(people[MODERATOR], question_id(settings, body), "approve")
    moderate(people[MODERATOR], question_id(settings, "Eerste"), "on_air")
    moderate(people[MODERATOR], question_id(settings, "Tweede"), "on_air")
    assert query(settings, "SELECT body, status FROM question ORDER BY id") == [("Eerste", "answered"),
                                                                                 ("Tweede", "on_air")]
    presenter = people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text
    assert "Tweede" in presenter and "Erik van Dijk" in presenter


def test_conflicting_moderator_actions_are_resolved(settings, people):
    ask(people[ERIK], "Twee moderatoren")
    qid = question_id(settings, "Twee moderatoren")
    assert moderate(people[MODERATOR], qid, "dismiss").status_code == 200
    late = moderate(people["moderator:Assistent moderatie"], qid, "answered")  # acted on a stale screen
    assert late.status_code == 422 and "intussen" in late.text
    assert query(settings, "SELECT status FROM question WHERE id = :i", i=qid) == [("dismissed",)]
    assert moderate(people["moderator:Assistent moderatie"], qid, "restore").status_code == 200
    assert query(settings, "SELECT status FROM question WHERE id = :i", i=qid) == [("pending",)]


def test_edit_keeps_the_original_and_merge_adds_up_votes(settings, people):
    ask(people[ERIK], "Wat kost het?")
    ask(people[FATIMA], "Wat kost dat eigenlijk?")
    keep, dup = question_id(settings, "Wat kost het?"), question_id(settings, "Wat kost dat eigenlijk?")
    for qid in (keep, dup):
        moderate(people[MODERATOR], qid, "approve")
    people[JAN].post(f"/e/{SLUG}/questions/{dup}/vote", {"up": "1"})
    people[FATIMA].post(f"/e/{SLUG}/questions/{keep}/vote", {"up": "1"})
    people[JAN].post(f"/e/{SLUG}/questions/{keep}/vote", {"up": "1"})
    moderate(people[MODERATOR], keep, "edit", body="Wat kost de aanpak de steden?")
    assert moderate(people[MODERATOR], dup, "merge", into=str(keep)).status_code == 200
    assert query(settings, "SELECT body, original_body FROM question WHERE id = :i", i=keep) == [
        ("Wat kost de aanpak de steden?", "Wat kost het?")]
    assert query(settings, "SELECT status, merged_into_id FROM question WHERE id = :i", i=dup) == [("merged", keep)]
    assert query(settings, "SELECT COUNT(*) FROM question_vote WHERE question_id = :i", i=keep) == [(2,)]
    page = people[FATIMA].get(f"/e/{SLUG}").text
    assert "ook gesteld door 1" in page.lower() or "1 ander" in page


def test_invitation_reaches_the_participant_and_their_answer_reaches_the_moderator(settings, people):
    erik_id = query(settings, "SELECT id FROM participant WHERE name = 'Erik van Dijk'")[0][0]
    with people[ERIK].websocket(f"/ws/participant/{SLUG}") as ws, \
            people[MODERATOR].websocket(f"/ws/moderator/{SLUG}") as mod_ws:
        assert people[MODERATOR].post(f"/e/{SLUG}/moderator/invite", {"participant": str(erik_id)}).status_code == 200
        prompt = receive_until(ws, 'id="invitation"')
        while "invitation-title" not in prompt:
            prompt = receive_until(ws, 'id="invitation"')
        assert 'role="alert"' in prompt
        invitation_id = query(settings, "SELECT id FROM invitation")[0][0]
        assert people[ERIK].post(f"/e/{SLUG}/invitations/{invitation_id}", {"ready": "1"}).status_code == 200
        seen = receive_until(mod_ws, "Erik van Dijk")
        while "Reacted" not in seen and "Gereageerd" not in seen and "reageerd" not in seen:
            seen = receive_until(mod_ws, "Erik van Dijk")
    assert query(settings, "SELECT status FROM invitation") == [("ready",)]
    people[MODERATOR].post(f"/e/{SLUG}/moderator/invitations/{invitation_id}", {"outcome": "withdrawn"})
    assert query(settings, "SELECT status FROM invitation") == [("withdrawn",)]
    # another participant cannot answer someone else's invitation
    people[MODERATOR].post(f"/e/{SLUG}/moderator/invite", {"participant": str(erik_id)})
    second = query(settings, "SELECT MAX(id) FROM invitation")[0][0]
    assert people[FATIMA].post(f"/e/{SLUG}/invitations/{second}", {"ready": "1"}).status_code == 422


@pytest.mark.parametrize("who", [ERIK, "presenter:Presentatiescherm", "host:Pieter Bakker", None])
def test_only_moderators_can_moderate(settings, people, browser, who):
    ask(people[ERIK], "Wie mag dit?")
    qid = question_id(settings, "Wie mag dit?")
    actor = people[who] if who else browser()
    for action in ("approve", "dismiss", "on_air", "star"):
        assert moderate(actor, qid, action).status_code == 403
    assert actor.post(f"/e/{SLUG}/moderator/invite", {"participant": "1"}).status_code == 403
    assert actor.get(f"/e/{SLUG}/moderator/questions.csv").status_code == 403
    assert query(settings, "SELECT status, starred FROM question") == [("pending", 0)]
    assert query(settings, "SELECT COUNT(*) FROM invitation") == [(0,)]


def test_participants_never_receive_others_pending_or_dismissed_questions(settings, people):
    ask(people[ERIK], "GEHEIM-CANARY-1")
    ask(people[ERIK], "GEHEIM-CANARY-2")
    moderate(people[MODERATOR], question_id(settings, "GEHEIM-CANARY-2"), "dismiss")
    with people[FATIMA].websocket(f"/ws/participant/{SLUG}") as ws:
        messages = [ws.receive_text() for _ in range(4)]
    assert not any("GEHEIM-CANARY" in m for m in messages)
    assert "GEHEIM-CANARY" not in people[FATIMA].get(f"/e/{SLUG}").text


def test_export_csv_with_statuses_votes_and_no_formula_injection(settings, people):
    ask(people[ERIK], "=HYPERLINK(\"http://evil\")")
    ask(people[FATIMA], "Anoniem in de export", anonymous=True)
    response = people[MODERATOR].get(f"/e/{SLUG}/moderator/questions.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    text = response.text
    assert "'=HYPERLINK" in text and "Erik van Dijk" in text
    anonymous_row = next(line for line in text.splitlines() if "Anoniem in de export" in line)
    assert "Fatima" not in anonymous_row


def test_hostile_text_is_escaped_in_every_view(settings, people):
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)> hx-get="/x" \u202eRTL 🎉'
    ask(people[ERIK], payload)
    qid = question_id(settings, query(settings, "SELECT body FROM question")[0][0])
    moderate(people[MODERATOR], qid, "approve")
    moderate(people[MODERATOR], qid, "on_air")
    for page in (people[FATIMA].get(f"/e/{SLUG}").text, people[MODERATOR].get(f"/e/{SLUG}/moderator").text,
                 people["presenter:Presentatiescherm"].get(f"/e/{SLUG}/presenter").text):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_organiser_can_switch_pre_moderation_off(settings, people):
    assert people[ERIK].post(f"/e/{SLUG}/organiser/settings", {"allow_anonymous": "1"}).status_code == 403
    response = people["organiser:Secretariaat G40"].post(f"/e/{SLUG}/organiser/settings", {"allow_anonymous": "1"})
    assert response.status_code == 200
    assert query(settings, "SELECT premoderation, allow_anonymous FROM event") == [(0, 1)]
    ask(people[ERIK], "Meteen zichtbaar")
    assert query(settings, "SELECT status FROM question") == [("approved",)]
    assert "Meteen zichtbaar" in people[FATIMA].get(f"/e/{SLUG}").text
    people["organiser:Secretariaat G40"].post(f"/e/{SLUG}/organiser/settings", {"premoderation": "1"})
    refused = ask(people[ERIK], "Anoniem mag niet meer", anonymous=True)
    assert refused.status_code == 422
