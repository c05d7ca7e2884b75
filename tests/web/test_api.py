"""The read-only JSON API: the bearer token (shown to the organiser, rotated by them), the three endpoints against
the database, no guest names, and the OpenAPI document checked against what the endpoints really answer."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.organiser.api import OPENAPI, api_token
from tests.conftest import SECRET, SLUG, query
from tests.support.api import API, bearer, expected_token, validate
from tests.support.web import ERIK, FATIMA, JAN, MODERATOR, ORGANISER, ask_and_approve, busy, moderate, poll_question, scalar

ENDPOINTS = ("on-air", "poll", "tables")
PEOPLE = (ORGANISER, ERIK, FATIMA, JAN, MODERATOR)


def token_on_page(organiser) -> str:
    page = organiser.get(f"/e/{SLUG}/organiser")
    assert page.status_code == 200
    return re.search(r'<input id="api-token"[^>]*value="([^"]+)"', page.text).group(1)


# --- the token -----------------------------------------------------------------------------------------


def test_the_organiser_sees_the_token_derived_from_the_secret(settings, people):
    token = token_on_page(people[ORGANISER])
    assert token == expected_token(settings)
    assert f"http://testserver{API}" in people[ORGANISER].get(f"/e/{SLUG}/organiser").text
    # only the organiser: the moderator's and participant's pages do not show it
    assert token not in people[MODERATOR].get(f"/e/{SLUG}/moderator").text
    assert token not in people[ERIK].get(f"/e/{SLUG}").text


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_or_wrong_token_is_401_json(client, settings, demo, endpoint):
    token = expected_token(settings)
    for headers in ({}, bearer(""), bearer("x" * 32), bearer(token[:-1]), bearer(token + "x"),
                    {"authorization": token}, {"authorization": f"Basic {token}"},
                    bearer(api_token("another-secret", SimpleNamespace(id=1, api_version=1)))):
        response = client.get(f"{API}/{endpoint}", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"error"}
        assert response.headers["cache-control"] == "no-store"
    assert client.get(f"{API}/{endpoint}?token=wrong").status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_event_is_404_json(client, settings, demo, endpoint):
    token = expected_token(settings)
    for slug in ("bestaat-niet", "x" * 61, SLUG + "-2"):
        response = client.get(f"/api/v1/events/{slug}/{endpoint}", headers=bearer(token))
        assert response.status_code == 404
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_right_token_is_200(client, settings, demo, endpoint):
    token = expected_token(settings)
    for headers in (bearer(token), {"authorization": f"bearer   {token}  "}):
        response = client.get(f"{API}/{endpoint}", headers=headers)
        assert response.status_code == 200, headers
        assert response.json()["event"] == SLUG
        assert response.headers["cache-control"] == "no-store"
    assert client.get(f"{API}/{endpoint}?token={token}").status_code == 200


def test_a_token_of_one_event_does_not_open_another(client, settings, people):
    people[ORGANISER].post("/organiser/events", {"name": "Andere dag", "day": "2027-05-01"})
    other_id, other_slug = query(settings, "SELECT id, slug FROM event WHERE slug != :s", s=SLUG)[0]
    other = api_token(SECRET, SimpleNamespace(id=other_id, api_version=1))
    assert client.get(f"{API}/poll", headers=bearer(other)).status_code == 401
    assert client.get(f"/api/v1/events/{other_slug}/poll", headers=bearer(expected_token(settings))).status_code == 401
    assert client.get(f"/api/v1/events/{other_slug}/poll", headers=bearer(other)).status_code == 200


def test_rotating_the_token_stops_the_old_one(client, settings, people):
    old = token_on_page(people[ORGANISER])
    assert client.get(f"{API}/on-air", headers=bearer(old)).status_code == 200
    # not for anyone else
    for who in (MODERATOR, ERIK):
        assert people[who].post(f"/e/{SLUG}/organiser/api-token").status_code == 403
    assert client.get(f"{API}/on-air", headers=bearer(old)).status_code == 200
    response = people[ORGANISER].post(f"/e/{SLUG}/organiser/api-token", follow_redirects=False)
    assert response.status_code == 303
    assert scalar(settings, "SELECT api_version FROM event") == 2
    new = token_on_page(people[ORGANISER])
    assert new != old and new == expected_token(settings)
    for endpoint in ENDPOINTS:
        assert client.get(f"{API}/{endpoint}", headers=bearer(old)).status_code == 401
        assert client.get(f"{API}/{endpoint}", headers=bearer(new)).status_code == 200


# --- the endpoints -------------------------------------------------------------------------------------


def test_on_air_is_null_then_the_question_on_air(client, settings, people):
    token = expected_token(settings)
    assert client.get(f"{API}/on-air", headers=bearer(token)).json() == {"event": SLUG, "question": None}
    named = ask_and_approve(settings, people, ERIK, "Wat vraagt de stad van het kabinet?")
    assert client.get(f"{API}/on-air", headers=bearer(token)).json()["question"] is None  # approved is not on air
    for voter in (FATIMA, JAN):
        assert people[voter].post(f"/e/{SLUG}/questions/{named}/vote", {"up": "1"}).status_code == 200
    moderate(people[MODERATOR], named, "on_air", check=True)
    assert client.get(f"{API}/on-air", headers=bearer(token)).json() == {"event": SLUG, "question": {
        "id": named, "text": "Wat vraagt de stad van het kabinet?", "asker": "Erik van Dijk",
        "municipality": "Nijmegen", "votes": 2}}
    anonymous = ask_and_approve(settings, people, FATIMA, "Mag dit anoniem?", anonymous=True)
    moderate(people[MODERATOR], anonymous, "on_air", check=True)
    body = client.get(f"{API}/on-air", headers=bearer(token)).json()
    assert body["question"] == {"id": anonymous, "text": "Mag dit anoniem?", "asker": None, "municipality": None,
                                "votes": 0}
    assert "Fatima" not in client.get(f"{API}/on-air", headers=bearer(token)).text
    moderate(people[MODERATOR], anonymous, "answered", check=True)
    assert client.get(f"{API}/on-air", headers=bearer(token)).json()["question"] is None


def test_on_air_votes_include_the_votes_of_people_who_were_removed(client, settings, people):
    """A deleted participant's upvote becomes question.archived_votes; the count on air must not drop."""
    token = expected_token(settings)
    qid = ask_and_approve(settings, people, ERIK, "Telt mijn stem nog?")
    for voter in (FATIMA, JAN):
        people[voter].post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
    moderate(people[MODERATOR], qid, "on_air", check=True)
    assert client.get(f"{API}/on-air", headers=bearer(token)).json()["question"]["votes"] == 2
    jan = scalar(settings, "SELECT id FROM participant WHERE name = 'Jan de Boer'")
    assert people[ORGANISER].post(f"/e/{SLUG}/organiser/participants/{jan}", {"delete": "1"},
                                  follow_redirects=False).status_code == 303
    assert query(settings, "SELECT archived_votes FROM question WHERE id = :q", q=qid) == [(1,)]
    assert client.get(f"{API}/on-air", headers=bearer(token)).json()["question"]["votes"] == 2


def test_poll_tallies_equal_the_database(client, settings, people):
    token = expected_token(settings)
    assert client.get(f"{API}/poll", headers=bearer(token)).json() == {"event": SLUG, "questions": []}  # drafts only
    single, options = poll_question(settings, 1)
    scale, _ = poll_question(settings, 3)
    words, _ = poll_question(settings, 4)
    for qid in (single, scale, words):
        assert people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/open").status_code == 200
        if qid == single:
            for person, option in ((ERIK, 0), (FATIMA, 0), (JAN, 2)):
                assert people[person].post(f"/e/{SLUG}/polls/{qid}/vote", {"option": str(options[option])}).status_code \
                    == 200
        elif qid == scale:
            for person, value in ((ERIK, "2"), (FATIMA, "4"), (JAN, "5")):
                assert people[person].post(f"/e/{SLUG}/polls/{qid}/vote", {"value": value}).status_code == 200
        else:
            for person, word in ((ERIK, "Samen"), (FATIMA, "samen"), (JAN, "Afstand")):
                assert people[person].post(f"/e/{SLUG}/polls/{qid}/vote", {"text": word}).status_code == 200
    body = client.get(f"{API}/poll", headers=bearer(token)).json()
    by_id = {q["id"]: q for q in body["questions"]}
    assert set(by_id) == {single, scale, words}
    assert by_id[single]["status"] == "closed" and by_id[words]["status"] == "open"

    labels = dict(query(settings, "SELECT id, label FROM poll_option WHERE question_id = :q", q=single))
    db_counts = dict(query(settings, "SELECT c.option_id, COUNT(*) FROM poll_choice c JOIN poll_ballot b "
                                     "ON b.id = c.ballot_id WHERE b.question_id = :q GROUP BY c.option_id", q=single))
    voters = scalar(settings, "SELECT COUNT(*) FROM poll_ballot WHERE question_id = :q", q=single)
    assert by_id[single]["voters"] == voters == 3 and by_id[single]["kind"] == "single"
    assert {r["answer"]: r["count"] for r in by_id[single]["results"]} == {
        label: db_counts.get(option, 0) for option, label in labels.items()}
    assert {r["answer"]: r["percent"] for r in by_id[single]["results"]}["Beter"] == 67
    assert by_id[single]["mean"] is None

    values = dict(query(settings, "SELECT value, COUNT(*) FROM poll_ballot WHERE question_id = :q GROUP BY value",
                        q=scale))
    assert {int(r["answer"]): r["count"] for r in by_id[scale]["results"]} == {v: values.get(v, 0) for v in range(1, 6)}
    assert by_id[scale]["mean"] == round((2 + 4 + 5) / 3, 2) and by_id[scale]["voters"] == 3
    assert by_id[words]["voters"] == 3
    assert sum(r["count"] for r in by_id[words]["results"]) == 3
    assert len(by_id[words]["results"]) == 2  # "Samen" and "samen" are one word


def test_tables_give_counts_and_never_guest_names(client, settings, people):
    token = expected_token(settings)
    names = [n for (n,) in query(settings, "SELECT name FROM participant")]
    empty = client.get(f"{API}/tables", headers=bearer(token)).json()
    assert empty["published"] is False and len(empty["tables"]) == 6
    assert all(t["guests"] == 0 for t in empty["tables"])
    assert people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "5"}).status_code == 200
    preview = client.get(f"{API}/tables", headers=bearer(token))
    assert preview.json()["published"] is False and all(t["guests"] == 0 for t in preview.json()["tables"])
    assert people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "publish"}).status_code == 200
    response = client.get(f"{API}/tables", headers=bearer(token))
    body = response.json()
    assert body["published"] is True
    seats = dict(query(settings, "SELECT table_id, COUNT(*) FROM seat GROUP BY table_id"))
    assert {t["id"]: t["guests"] for t in body["tables"]} == {t: seats.get(t, 0) for t in (x["id"] for x in body["tables"])}
    assert sum(t["guests"] for t in body["tables"]) == 24
    hosts = dict(query(settings, "SELECT id, host_name FROM lunch_table"))
    assert {t["id"]: t["host"] for t in body["tables"]} == hosts
    for name in names:
        assert name not in response.text


# --- the OpenAPI document ------------------------------------------------------------------------------


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {f"/api/v1/events/{{slug}}/{e}" for e in ENDPOINTS}
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for path in document["paths"].values():
        operation = path["get"]
        assert set(operation["responses"]) == {"200", "401", "404"}
        assert operation["security"] == [{"bearer": []}]
        assert operation["parameters"][0]["name"] == "slug" and operation["parameters"][0]["in"] == "path"
    assert document == OPENAPI


def test_the_validator_itself_catches_mismatches() -> None:
    schema = OPENAPI["paths"]["/api/v1/events/{slug}/on-air"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    validate({"event": "x", "question": None}, schema)
    validate({"event": "x", "question": {"id": 1, "text": "t", "asker": None, "municipality": "m", "votes": 0}}, schema)
    for bad in ({"event": "x"}, {"event": 1, "question": None}, {"event": "x", "question": "t"},
                {"event": "x", "question": {"id": 1, "text": "t", "asker": None, "municipality": None}},
                {"event": "x", "question": {"id": True, "text": "t", "asker": None, "municipality": None, "votes": 0}},
                {"event": "x", "question": {"id": 1, "text": "t", "asker": 3, "municipality": None, "votes": 0}}):
        with pytest.raises(AssertionError):
            validate(bad, schema)
    with pytest.raises(AssertionError):
        validate([{"a": 1}, "b"], {"type": "array", "items": {"type": "object"}})


slugs = st.one_of(
    st.just(SLUG),
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=70),
    st.text(min_size=61, max_size=3000),
    st.builds(lambda a, b: f"{a}/{b}", st.text(max_size=20), st.text(max_size=20)),
    st.builds(lambda s: SLUG + s, st.text(max_size=5)),
)
visible_ascii = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(OPENAPI["paths"])), slug=slugs,
       auth=st.one_of(st.none(), st.just("right"), st.just("bearer-garbage"), visible_ascii), raw=st.booleans())
@example(path="/api/v1/events/{slug}/on-air", slug=SLUG, auth="right", raw=False)
@example(path="/api/v1/events/{slug}/poll", slug=SLUG, auth="right", raw=False)
@example(path="/api/v1/events/{slug}/tables", slug=SLUG, auth="right", raw=False)
@example(path="/api/v1/events/{slug}/poll", slug="a/b", auth="right", raw=True)
def test_fuzzed_requests_answer_as_documented(client, settings, people, path, slug, auth, raw):
    if "busy" not in people:
        busy(settings, people)
        people["busy"] = True
    token = expected_token(settings)
    headers = {}
    if auth == "right":
        headers = bearer(token)
    elif auth == "bearer-garbage":
        headers = {"authorization": "Bearer " + token[::-1]}
    elif auth is not None:
        headers = {"authorization": auth}
    # the slug in the URL: percent-encoded, or with its slashes left as they are
    encoded = quote(slug, safe="/" if raw else "")
    response = client.get(path.replace("{slug}", encoded), headers=headers)
    status = response.status_code
    assert status < 500
    routed = "/" not in slug and slug not in ("", ".", "..")
    if not routed:
        assert status in (200, 401, 404, 405), status
        return
    assert status in (200, 401, 404), status
    responses = OPENAPI["paths"][path]["get"]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    validate(response.json(), schema)
    if status == 200:
        assert slug == SLUG and auth == "right"
        assert response.json()["event"] == SLUG
    elif slug == SLUG:
        assert status == 401 and auth != "right"
    else:
        assert status == 404
