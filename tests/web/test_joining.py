"""Joining with the event code or a personal link; bad input changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import SLUG, query, sign_in, text_of
from tests.support.web import count_participants, municipality_id


def test_join_with_event_code_lands_on_the_companion_page(settings, demo, browser):
    me = browser()
    form = {"code": " g40dec ", "name": "  Anna   de Wit ", "municipality": str(municipality_id(settings)),
            "join_key": "k" * 32}
    response = me.post("/join", form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/e/{SLUG}"
    page = me.get(f"/e/{SLUG}")
    assert page.status_code == 200
    assert "Anna de Wit" in page.text and "Tilburg" in page.text
    assert query(settings, "SELECT name FROM participant WHERE name = 'Anna de Wit'") == [("Anna de Wit",)]
    assert "/j/" in page.text  # the personal link to continue on another device


def test_resubmitted_join_form_creates_one_participant(settings, demo, browser):
    before = count_participants(settings)
    form = {"code": "G40DEC", "name": "Bea", "municipality": str(municipality_id(settings)), "join_key": "j" * 32}
    first = browser().post("/join", form, follow_redirects=False)
    again = browser().post("/join", form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert count_participants(settings) == before + 1


def test_other_organisation_is_allowed(settings, demo, browser):
    me = browser()
    response = me.post("/join", {"code": "G40DEC", "name": "Chris", "municipality": "other",
                                 "organisation": "VNG", "join_key": "o" * 32}, follow_redirects=False)
    assert response.status_code == 303
    assert "VNG" in me.get(f"/e/{SLUG}").text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "NOPE99"}, "code", "Er is geen evenement met deze code"),
        ({"code": ""}, "code", "Er is geen evenement met deze code"),
        ({"name": ""}, "name", "Vul uw naam in"),
        ({"name": " \t\u200b "}, "name", "Vul uw naam in"),
        ({"name": "x" * 81}, "name", "maximaal 80 tekens"),
        ({"municipality": "999999"}, "municipality", "Kies uw gemeente"),
        ({"municipality": "abc"}, "municipality", "Kies uw gemeente"),
        ({"municipality": "other", "organisation": ""}, "organisation", "Vul uw organisatie in"),
    ],
)
def test_bad_join_input_gets_a_clear_message_and_writes_nothing(settings, demo, browser, change, field, message):  # ,E501
    before = count_participants(settings)
    form = {"code": "G40DEC", "name": "Dirk", "municipality": str(municipality_id(settings)), "join_key": "b" * 32}
    form.update(change)
    me = browser()
    response = me.post("/join", form, follow_redirects=False)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert f'href="#{field}"' in response.text
    assert count_participants(settings) == before
    assert me.get(f"/e/{SLUG}", follow_redirects=False).status_code == 303  # still not joined


def test_bad_input_message_is_translated(settings, demo, browser):
    me = browser()
    me.post("/lang", {"lang": "en", "next": "/"})
    response = me.post("/join", {"code": "NOPE99", "name": "E", "municipality": "1"})
    assert response.status_code == 422
    assert "There is no event with this code" in response.text


def test_personal_link_continues_as_the_same_participant_on_another_device(settings, demo, browser):
    phone, laptop = browser(), browser()
    assert sign_in(phone, demo["participant:Marieke Hendriks"]) == f"/e/{SLUG}"
    assert sign_in(laptop, demo["participant:Marieke Hendriks"]) == f"/e/{SLUG}"
    assert "Marieke Hendriks" in phone.get(f"/e/{SLUG}").text
    assert "Marieke Hendriks" in laptop.get(f"/e/{SLUG}").text
    assert query(settings, "SELECT COUNT(*) FROM participant WHERE name = 'Marieke Hendriks'") == [(1,)]


def test_code_joiner_can_reuse_their_personal_link(settings, demo, browser):
    me = browser()
    me.post("/join", {"code": "G40DEC", "name": "Femke", "municipality": str(municipality_id(settings)),
                      "join_key": "f" * 32})
    page = me.get(f"/e/{SLUG}").text
    link = page.split("/j/")[1].split('"')[0]
    other = browser()
    assert sign_in(other, f"/j/{link}") == f"/e/{SLUG}"
    assert "Femke" in other.get(f"/e/{SLUG}").text


@pytest.mark.parametrize("token", ["not-a-token", "A" * 32, "../../etc/passwd", "x" * 300])
def test_forged_invite_link_is_refused(settings, demo, browser, token):
    response = browser().get(f"/j/{token}", follow_redirects=False)
    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert "werkt niet" in response.text


def test_tampered_cookie_is_noticed_and_signed_out(settings, demo, browser):
    me = browser()
    sign_in(me, demo["participant:Erik van Dijk"])
    name, value = next(iter(me.jar.items()))
    me.set_cookie(name, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    response = me.get(f"/e/{SLUG}", follow_redirects=True)
    assert "Erik van Dijk" not in response.text
    assert "konden uw sessie niet controleren" in response.text


def test_leave_forgets_the_participant_on_this_device(settings, demo, browser):
    me = browser()
    sign_in(me, demo["participant:Erik van Dijk"])
    me.post("/leave")
    assert me.get(f"/e/{SLUG}", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("code", ["G40\x00DEC", "\x00", "G40DÉC", "💥"])
def test_odd_bytes_in_the_event_code_are_refused_cleanly(settings, demo, browser, code):
    # A NUL byte reaching PostgreSQL would be a server error; it must be an ordinary "no such event".
    response = browser().post("/join", {"code": code, "name": "X", "municipality": "1", "join_key": "n" * 32})
    assert response.status_code == 422
    assert browser().get("/e/netwerkdag%00-4").status_code == 404
    assert browser().post("/organiser/login", {"username": "organisator\x00", "password": "x"}).status_code == 422
