"""No GET writes: requesting a page, a download, a link exchange or an API read as anyone leaves the database as
it was.

The GET routes come from the app itself (``app.routes``, Mounts walked), so a new GET route is requested here
without anyone adding it; a path parameter without a value below fails the test, on purpose. The world is busy
(a question on air with a vote, opened polls with answers, a published seating, a new round in preview), and has
the two people a page view used to seat: someone who joined while the seating was only a preview (the
publication seats them) and someone who joined after it was published (their join seats them). Every GET is
sent as every kind of visitor, and a fingerprint of every table's rows (all of ``Base.metadata``, nothing
excluded) is compared after each request, so a failure names the request that wrote.

Nothing is excluded from the fingerprint: the throttle (``throttle_count``) counts only failed guesses of a
guessable secret, and every request here presents a valid link or none; sessions live in signed cookies, not in
the database. WebSocket routes (the live views) are not GETs of a page and are not sent here."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterator

import pytest
from starlette.routing import Mount, Route

from app.demo import CODE
from app.events.access import PAGE_ROLES
from app.models import metadata
from tests.conftest import SLUG, query
from tests.support.api import bearer, expected_token
from tests.support.web import (
    ERIK,
    FATIMA,
    JAN,
    MODERATOR,
    ORGANISER,
    busy,
    join,
    municipality_id,
    signed_in,
    walk_routes,
)

PRESENTER, HOST = "presenter:Presentatiescherm", "host:Annemiek de Vries"
EARLY, LATE = "Vroeg Binnen", "Laat Binnen"  # joined during the preview / after publication
SIGNED_IN = (ORGANISER, MODERATOR, ERIK, FATIMA, JAN, PRESENTER, HOST)

# A few GETs with a query string that changes what the handler does.
EXTRA_URLS = (f"/?code={CODE}", f"/e/{SLUG}/presenter?overlay=1", f"/e/{SLUG}?lang=en", f"/e/{SLUG}/table/open?x=1")


def get_paths(routes: list) -> Iterator[str]:
    """The path of every route that answers GET; a mounted app without routes (static files) as ``<mount>/{path}``."""
    for path, route in walk_routes(routes):
        if isinstance(route, Mount) or (isinstance(route, Route) and "GET" in (route.methods or {"GET"})):
            yield path


def fingerprint(client) -> dict[str, list[str]]:
    """Every table's rows, sorted, read through the app's own engine (in the app's event loop)."""
    from sqlalchemy import select

    async def read() -> dict[str, list[str]]:
        async with client.app.state.db.read() as session:
            return {name: sorted(repr(tuple(row)) for row in (await session.execute(select(table))).all())
                    for name, table in sorted(metadata.tables.items())}

    return client.portal.call(read)


def differences(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    changed = {}
    for name in before:
        old, new = set(before[name]), set(after[name])
        if old != new:
            changed[name] = {"gone": sorted(old - new)[:3], "new": sorted(new - old)[:3]}
    return changed


@pytest.fixture
def world(settings, demo, browser):
    people = signed_in(browser, demo, SIGNED_IN)
    busy(settings, people)  # a question on air with a vote, opened polls with answers, a published seating
    organiser = people[ORGANISER]
    # Round 2 in preview: whoever joins now sits in round 1 until round 2 is published.
    assert organiser.post(f"/e/{SLUG}/tables/seating", {"action": "new_round", "seed": "2"}).status_code == 200
    zwolle = str(municipality_id(settings, "Zwolle"))
    people[EARLY] = browser()
    joined = join(people[EARLY], CODE, zwolle, EARLY, join_key="v" * 32)
    assert joined.status_code == 303, joined.text
    assert organiser.post(f"/e/{SLUG}/tables/seating", {"action": "publish"}).status_code == 200
    people[LATE] = browser()
    joined = join(people[LATE], CODE, zwolle, LATE, join_key="l" * 32)
    assert joined.status_code == 303, joined.text
    people["anonymous"] = browser()
    people["api"] = browser()
    erik = query(settings, "SELECT id FROM participant WHERE name = 'Erik van Dijk'")[0][0]
    late = query(settings, "SELECT id FROM participant WHERE name = :n", n=LATE)[0][0]
    values = {
        "slug": [SLUG],
        "view": sorted(PAGE_ROLES),
        "participant_id": [str(erik), str(late)],
        "path": ["css/samen.css"],
        ("/j/{token}", "token"): [demo[ERIK].rsplit("/", 1)[1]],
        ("/r/{token}", "token"): [demo[MODERATOR].rsplit("/", 1)[1], demo[HOST].rsplit("/", 1)[1]],
    }
    return people, values, bearer(expected_token(settings))


def urls(paths: list[str], values: dict) -> list[str]:
    found = []
    for path in paths:
        names = re.findall(r"{(\w+)(?::\w+)?}", path)
        missing = [n for n in names if (path, n) not in values and n not in values]
        assert not missing, f"no value for {missing} in {path}: add one to the world's values"
        choices = [values.get((path, n), values.get(n)) for n in names]
        for combination in itertools.product(*choices):
            url = path
            for name, value in zip(names, combination, strict=True):
                url = re.sub(r"{%s(?::\w+)?}" % name, value, url)  # noqa: UP031
            found.append(url)
    return found + list(EXTRA_URLS)


def test_get_routes_write_nothing(client, world):
    people, values, api_headers = world
    paths = sorted(set(get_paths(client.app.routes)))
    assert {"/e/{slug}", "/e/{slug}/table/open", "/j/{token}", "/api/v1/events/{slug}/tables"} <= set(paths)
    every_url = urls(paths, values)
    writes, errors, answered = [], [], {}
    before = fingerprint(client)
    for who, person in people.items():
        for url in every_url:
            if who == "api" and not url.startswith("/api/"):
                continue  # the API token opens the API only; the other pages were tried anonymously
            kept = [copy.copy(cookie) for cookie in person.cookies]
            response = person.get(url, follow_redirects=False, headers=api_headers if who == "api" else {})
            person.cookies = kept  # a link exchange signs this browser in: each request as the same visitor
            answered[(who, url)] = response.status_code
            if response.status_code >= 500:
                errors.append(f"GET {url} as {who}: {response.status_code}")
            after = fingerprint(client)
            if after != before:
                writes.append(f"GET {url} as {who} ({response.status_code}) wrote: {differences(before, after)}")
                before = after
    assert not errors, "\n".join(errors)
    assert not writes, "\n".join(writes)
    # The requests that used to write were really made by people they would have written for.
    assert answered[(ERIK, f"/e/{SLUG}/table/open")] < 400
    assert answered[(LATE, f"/e/{SLUG}")] == answered[(EARLY, f"/e/{SLUG}")] == 200
    assert answered[("api", f"/api/v1/events/{SLUG}/tables")] == 200


def test_joiners_are_seated_by_their_join_and_by_publication(client, settings, world):
    """Seats come from writes: the late joiner's join, and the publication of the round that was in preview when
    the early joiner came (they sat in round 1 meanwhile, seated by their join too). Their pages then only read."""
    rows = query(settings, "SELECT p.name, r.number FROM seat s JOIN participant p ON p.id = s.participant_id "
                           "JOIN seating_round r ON r.id = s.round_id WHERE p.name IN (:a, :b) ORDER BY p.name, r.number",
                 a=EARLY, b=LATE)
    assert rows == [(LATE, 2), (EARLY, 1), (EARLY, 2)]
    people, _values, _headers = world
    for who in (EARLY, LATE):
        page = people[who].get(f"/e/{SLUG}").text
        assert f'action="/e/{SLUG}/table/open"' in page.split('id="table-card"')[1]
