"""Helpers of the in-process web tests (tests/web): the demo's people, form posts and uploads as a browser sends
them, look-ups in the database, the live socket, the moderator's and the voters' actions, and busy days that put
something behind every page, export and endpoint."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator

from starlette.routing import BaseRoute, Mount

from app.models import metadata
from app.organiser import auth
from tests.conftest import ORIGIN, SLUG, Browser, _with_db, query, run, sign_in

# The demo's people, by the key of their link in the ``demo`` fixture.
ORGANISER = "organiser:Secretariaat G40"
MODERATOR = "moderator:Gespreksleider"
ERIK, FATIMA, JAN = "participant:Erik van Dijk", "participant:Fatima Bouzid", "participant:Jan de Boer"

BASE = f"/e/{SLUG}/organiser"
GOOD_CSV = (b"naam;gemeente;functie;e-mail\n"
            b"Anna Nieuw;Zwolle;Wethouder;anna@example.nl\n"
            b"Ben Nieuw;anders: VNG;Adviseur;\n")


# --- people and requests -------------------------------------------------------------------------------


def signed_in(browser: Callable[[], Browser], demo: dict[str, str], keys: Iterable[str]) -> dict[str, Browser]:
    """These demo people (keys of the ``demo`` fixture), each signed in in a browser of their own."""
    people = {}
    for key in keys:
        people[key] = browser()
        sign_in(people[key], demo[key])
    return people


def join(person: Browser, code: str, place: str, name: str = "Gast", lang: str = "", join_key: str = ""):
    """Join with an event code and a municipality id, as the join form sends it (a fresh join key unless given)."""
    form = {"code": code, "name": name, "municipality": place, "join_key": join_key or secrets.token_urlsafe(24)}
    return person.post("/join" + (f"?lang={lang}" if lang else ""), form, follow_redirects=False)


def post(person: Browser, url: str, data: dict | None = None, **kw):
    """A plain form post (no htmx): changes answer with a 303, refusals with a status code."""
    return person.post(url, data or {}, follow_redirects=False, **kw)


def upload(person: Browser, url: str, data: bytes, name: str = "p.csv"):
    """A same-origin multipart upload, as the participants page's file form sends it."""
    person._swap()
    try:
        return person.client.post(url, files={"file": (name, data, "text/csv")}, follow_redirects=False,
                                  headers={"origin": ORIGIN, "sec-fetch-site": "same-origin"})
    finally:
        person._keep()


def receive_until(ws, needle: str, limit: int = 20) -> str:
    """Read pushed messages until one contains needle (each message is a full fragment snapshot)."""
    for _ in range(limit):
        message = ws.receive_text()
        if needle in message:
            return message
    raise AssertionError(f"{needle!r} never arrived")


def link_of(html: str, label: str) -> str | None:
    """The link (as a path) in the links page's table row of one person or role link, or None if revoked."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if f"<td>{label}</td>" in row:
            found = re.search(r'value="http://testserver(/[jr]/[^"]+)"', row)
            return found.group(1) if found else None
    raise AssertionError(f"no row for {label!r}")


def walk_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route of the app, walking Mounts; a mounted app without routes (static files)
    comes out once, as its Mount with the path ``<mount>/{path}``."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from walk_routes(route.routes, prefix + route.path)
            else:
                yield prefix + route.path + "/{path}", route
        else:
            yield prefix + route.path, route


# --- the database --------------------------------------------------------------------------------------


def snapshot(settings) -> dict[str, list[str]]:
    """Every row of every table of the app (all of the metadata): to prove that a request wrote nothing at all."""
    return {name: sorted(repr(row) for row in query(settings, f'SELECT * FROM "{name}"')) for name in sorted(metadata.tables)}


def scalar(settings, sql: str, **params: object):
    return query(settings, sql, **params)[0][0]


def event_id(settings, slug: str = SLUG) -> int:
    return scalar(settings, "SELECT id FROM event WHERE slug = :s", s=slug)


def person_id(settings, name: str) -> int:
    return scalar(settings, "SELECT id FROM participant WHERE name = :n", n=name)


def municipality_id(settings, name: str = "Tilburg") -> int:
    return scalar(settings, "SELECT id FROM municipality WHERE name = :n", n=name)


def count_participants(settings) -> int:
    return scalar(settings, "SELECT COUNT(*) FROM participant")


def question_id(settings, body: str) -> int:
    return scalar(settings, "SELECT id FROM question WHERE body = :b", b=body)


def poll_question(settings, position: int) -> tuple[int, list[int]]:
    """The demo event's poll question at this position, and its options' ids in their order."""
    qid = scalar(settings, "SELECT id FROM poll_question WHERE event_id = :e AND position = :p",
                 e=event_id(settings), p=position)
    options = [o for (o,) in query(settings, "SELECT id FROM poll_option WHERE question_id = :q ORDER BY position", q=qid)]
    return qid, options


# --- questions and polls -------------------------------------------------------------------------------


def ask(person: Browser, body: str, key: str = "", anonymous: bool = False):
    data = {"body": body, "key": key}
    if anonymous:
        data["anonymous"] = "1"
    return person.post(f"/e/{SLUG}/questions", data)


def moderate(person: Browser, qid: int, action: str, *, check: bool = False, **extra: str):
    """A moderator's action on a question (approve, on_air, edit with body=…); with ``check`` it must be accepted."""
    response = person.post(f"/e/{SLUG}/moderator/questions/{qid}", {"action": action, **extra})
    if check:
        assert response.status_code == 200, response.text
    return response


def ask_and_approve(settings, people: dict[str, Browser], who: str, body: str, anonymous: bool = False) -> int:
    assert ask(people[who], body, anonymous=anonymous).status_code == 200
    qid = question_id(settings, body)
    moderate(people[MODERATOR], qid, "approve", check=True)
    return qid


def open_poll(people: dict[str, Browser], qid: int):
    return people[MODERATOR].post(f"/e/{SLUG}/polls/{qid}/open")


def vote(person: Browser, qid: int, **data):
    return person.post(f"/e/{SLUG}/polls/{qid}/vote", data)


# --- the organiser's account ---------------------------------------------------------------------------


def login(person: Browser, username: str, password: str, code: str = "", next_url: str = "/organiser"):
    return post(person, "/organiser/login", {"username": username, "password": password, "code": code,
                                             "next": next_url})


def demo_login(demo: dict[str, str]) -> tuple[str, str]:
    _, username, password = demo[ORGANISER].split(":", 2)
    return username, password


def signed_in_as_organiser(person: Browser) -> bool:
    return person.get("/organiser", follow_redirects=False).status_code == 200


def create_account(settings, username: str, password: str, with_totp: bool) -> str | None:
    """A new organiser account, straight in the database; returns its TOTP secret (if it has one)."""
    async def go(db):
        async with db.write() as session:
            _organiser, secret = await auth.create(session, username, password, with_totp=with_totp)
        return secret

    return run(_with_db(settings, go))


# --- busy days (ORGANISER, ERIK, FATIMA, JAN and MODERATOR signed in) ---------------------------------------


def busy(settings, people: dict[str, Browser]) -> None:
    """Something behind every API endpoint: a question on air, opened polls with votes, a published seating."""
    qid = ask_and_approve(settings, people, ERIK, "Vraag \"met\" <tekens> & één ü")
    people[FATIMA].post(f"/e/{SLUG}/questions/{qid}/vote", {"up": "1"})
    moderate(people[MODERATOR], qid, "on_air", check=True)
    for position in (1, 2, 3, 4, 6):
        question, options = poll_question(settings, position)
        people[MODERATOR].post(f"/e/{SLUG}/polls/{question}/open")
        data = {"option": [str(o) for o in options[:1]], "value": "4", "text": "Samen verder"}
        assert people[JAN].post(f"/e/{SLUG}/polls/{question}/vote", data).status_code == 200
    people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "1"})
    people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "publish"})


def busy_erik(settings, people: dict[str, Browser]) -> tuple[int, int, int, int]:
    """Erik asks a question, upvotes Fatima's, votes in the poll, is invited and gets a seat."""
    moderator = people[MODERATOR]
    people[ERIK].post(f"/e/{SLUG}/questions", {"body": "Vraag van Erik", "key": ""})
    people[FATIMA].post(f"/e/{SLUG}/questions", {"body": "Vraag van Fatima", "key": ""})
    mine, hers = question_id(settings, "Vraag van Erik"), question_id(settings, "Vraag van Fatima")
    for qid in (mine, hers):
        moderate(moderator, qid, "approve", check=True)
    for person in (ERIK, JAN):
        assert people[person].post(f"/e/{SLUG}/questions/{hers}/vote", {"up": "1"}).status_code == 200
    assert people[FATIMA].post(f"/e/{SLUG}/questions/{mine}/vote", {"up": "1"}).status_code == 200
    poll, options = poll_question(settings, 1)
    assert moderator.post(f"/e/{SLUG}/polls/{poll}/open").status_code == 200
    for person, option in ((ERIK, 0), (FATIMA, 1)):
        assert people[person].post(f"/e/{SLUG}/polls/{poll}/vote", {"option": str(options[option])}).status_code == 200
    erik = person_id(settings, "Erik van Dijk")
    assert moderator.post(f"/e/{SLUG}/moderator/invite", {"participant": str(erik)}).status_code == 200
    assert people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "preview", "seed": "3"}).status_code == 200
    return erik, mine, hers, poll


def busy_day(settings, people: dict[str, Browser]) -> dict:
    """A day with everything in it: questions (one anonymous, one answered), upvotes, votes, an invitation, a
    published seating, and an import waiting for confirmation."""
    erik, mine, hers, poll = busy_erik(settings, people)
    moderator = people[MODERATOR]
    people[JAN].post(f"/e/{SLUG}/questions", {"body": "Anonieme vraag", "key": "", "anonymous": "1"})
    anonymous = question_id(settings, "Anonieme vraag")
    moderate(moderator, anonymous, "approve", check=True)
    moderate(moderator, mine, "on_air", check=True)
    moderate(moderator, mine, "answered", check=True)
    scale, _ = poll_question(settings, 3)
    moderator.post(f"/e/{SLUG}/polls/{scale}/open")
    for person, value in ((ERIK, "2"), (JAN, "5")):
        assert people[person].post(f"/e/{SLUG}/polls/{scale}/vote", {"value": value}).status_code == 200
    assert people[ORGANISER].post(f"/e/{SLUG}/tables/seating", {"action": "publish"}).status_code == 200
    assert upload(people[ORGANISER], f"{BASE}/import", GOOD_CSV).status_code == 200
    return {"erik": erik, "mine": mine, "hers": hers, "poll": poll, "scale": scale, "anonymous": anonymous}
