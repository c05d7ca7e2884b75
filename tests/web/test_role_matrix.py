"""The role matrix: every route and every live view, tried as every kind of visitor.

Two events are seeded through the organiser's and participants' own flows, with unique canary strings planted
where only some people may see them: a participant's unapproved question, the name behind an anonymous question,
a guest at a table that someone else hosts, an open poll answer not yet approved (and the name of the person who
gave it: who voted what), the other event's names, questions, code and answers, and every raw link token.

The routes come from the app itself (``app.routes``, Mounts walked) and the live views from the app's own
registry, so a new route or view without a row in the tables below fails the first test. Every route is then
requested (GET, or a same-origin form POST) with the slug and real ids of each event, as: anonymous, participant,
the asker of the canary question, participant and moderator of the OTHER event, host of another table, host of
the canary guest's table, presenter, moderator, organiser; the holders of revoked and re-issued links; tampered,
forged and stale session cookies; API bearer tokens (current, the other event's, rotated away); and again with
the clock moved past the links' expiry. Each answer is classified (ok / invalid input / missing / refused / sent
to the join or login page / server error) and compared with the expectation table; each body (zip exports
unpacked), header and pushed WebSocket fragment is searched for every canary the visitor may not see. Further
tests: the other event's ids through this event's URLs (IDOR), malformed and dead tokens, and anonymity towards
the moderator, which a plain canary search cannot see.

The module shares one app and one seeded world (seeding costs seconds); each test leaves the canaries in place.
Run with ``-s`` to get the counts (requests, refusals, canary checks, unexpected allows, leaks).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.config import Settings
from app.demo import ORGANISER as DEMO_ORGANISER
from app.demo import PARTICIPANTS, create_demo, demo_password, demo_token
from app.main import create_app
from app.organiser.api import api_token
from app.security import SESSION_COOKIE, SESSION_MAX_AGE, link_token
from tests.conftest import BACKEND, ORIGIN, SECRET, SLUG, Browser, _with_db, query, run, sign_in
from tests.support.web import GOOD_CSV, upload, walk_routes

# --- canaries --------------------------------------------------------------------------------------------

PENDING_QUESTION = "KANARIE-WACHTENDE-VRAAG-a7f3"  # the asker's question, not approved
SECOND_PENDING = "KANARIE-TWEEDE-WACHTENDE-VRAAG-b81c"  # sent while the sockets are open (a push)
ANON_QUESTION = "KANARIE-ANONIEME-VRAAG-52de"  # approved and on air: public, its asker is not
ANON_AUTHOR = "Kanarie Anoniemauteur"
GUEST = "Kanarie Tafelgast"  # seated at Annemiek de Vries' table
TEXT_ANSWER = "KANARIE-OPEN-ANTWOORD-c90e"  # open poll answer, not approved
SECOND_TEXT = "KANARIE-TWEEDE-OPEN-ANTWOORD-e4a1"  # the same voter changes it while the sockets are open
VOTER = "Kanarie Stemmer"  # who voted what: this name must never sit beside a poll answer
OTHER_EVENT = "Kanarie Anderedag"
OTHER_PERSON = "Kanarie Anderedeelnemer"
OTHER_MODERATOR = "Kanarie Anderemoderator"
OTHER_QUESTION = "KANARIE-ANDERE-VRAAG-0d2b"  # approved in the other event
OTHER_PENDING = "KANARIE-ANDERE-WACHTENDE-VRAAG-77a0"
OTHER_SECOND = "KANARIE-ANDERE-TWEEDE-VRAAG-1f9b"  # sent while the sockets are open
OTHER_POLL = "KANARIE-ANDERE-PEILING-3c5e"
OTHER_TEXT = "KANARIE-ANDER-ANTWOORD-9b4d"
OTHER_TABLE = "Kanarie Anderetafel"
OTHER_HOST = "Kanarie Anderegastheer"
OTHER_THEME = "KANARIE-ANDER-THEMA-5e1f"  # a theme of the other event's closing part

FATIMA, ERIK, JAN, LOTTE = "Fatima Bouzid", "Erik van Dijk", "Jan de Boer", "Lotte Mulder"
HOST_OTHER_TABLE, HOST_GUEST_TABLE, HOST_REISSUED = "Pieter Bakker", "Annemiek de Vries", "Ingrid Smit"

# Who may see which canary: identity names (the organiser runs every event and sees everything).
MODERATORS = frozenset({"moderator", "organiser"})
OTHER_INSIDERS = frozenset({"other-participant", "other-moderator", "organiser"})


@dataclass(frozen=True)
class Canary:
    text: str
    visible_to: frozenset[str]
    must_show: bool = True  # seen by at least one of visible_to somewhere: the canary is live, so its check can fail


# --- the expectation tables ----------------------------------------------------------------------------

OK, INVALID, MISSING, DENY, JOIN, LOGIN, METHOD, ERROR = "ok", "invalid", "missing", "deny", "join", "login", "405", "5xx"
PASSED = frozenset({OK, INVALID, MISSING})  # authorised; the (empty or dummy) form may still be refused


@dataclass(frozen=True)
class Guard:
    """Who gets past a route: ``roles`` held for the event in the URL ("*": everyone), and the outcomes expected
    for those who pass and for everyone else."""

    name: str
    roles: frozenset[str]
    passed: frozenset[str]
    refused: frozenset[str] = frozenset({DENY})


PUBLIC = Guard("public", frozenset({"*"}), frozenset({OK, INVALID}))
LINK = Guard("capability link", frozenset({"link"}), frozenset({OK}))  # whoever holds it, until it expires
TO_JOIN = Guard("anyone, back to the join page", frozenset({"*"}), frozenset({JOIN}))
TO_LOGIN = Guard("anyone, back to the login page", frozenset({"*"}), frozenset({LOGIN}))
PARTICIPANT = Guard("participant", frozenset({"participant"}), PASSED)
PARTICIPANT_PAGE = Guard("participant page", frozenset({"participant"}), frozenset({OK}), frozenset({JOIN}))
MODERATION = Guard("moderator", frozenset({"moderator", "organiser"}), PASSED)
PRESENTER = Guard("presenter screen", frozenset({"presenter", "moderator", "organiser"}), frozenset({OK}))
HOST = Guard("table host", frozenset({"host"}), frozenset({OK}))
ORGANISER = Guard("organiser", frozenset({"organiser"}), PASSED)
API = Guard("API bearer token", frozenset({"api"}), frozenset({OK}))
NOWHERE = Guard("no such page", frozenset(), frozenset(), frozenset({MISSING}))


@dataclass(frozen=True)
class Probe:
    """One row of the matrix: a route, how to fill its path (``@kind`` = a real id of the event being tried),
    the guard, and the form a POST sends (empty unless an empty form would change something by itself)."""

    method: str
    path: str
    guard: Guard
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    only: frozenset[str] | None = None  # tried by these identities only (see the row)


P = Probe
PROBES: list[Probe] = [
    P("GET", "/healthz", PUBLIC),
    P("GET", "/metrics", PUBLIC),  # counters only; Starlette's TestClient counts as the machine itself
    P("GET", "/static/{path}", PUBLIC, {"path": "css/samen.css"}),
    P("GET", "/", PUBLIC),
    P("POST", "/join", PUBLIC),
    P("GET", "/j/{token}", LINK, {"token": "@participant_token"}),
    P("GET", "/r/{token}", LINK, {"token": "@role_token"}),
    P("GET", "/privacy", PUBLIC),
    P("GET", "/toegankelijkheid", PUBLIC),
    P("POST", "/lang", TO_JOIN),
    P("POST", "/leave", TO_JOIN),
    P("GET", "/organiser/login", PUBLIC),
    # A failed login spends an argon2 verification (half a second, on purpose): two identities, not twenty.
    P("POST", "/organiser/login", PUBLIC, only=frozenset({"anonymous", "organiser"})),
    P("POST", "/organiser/logout", TO_LOGIN),
    P("GET", "/api/v1/openapi.json", PUBLIC),
    P("GET", "/api/v1/events/{slug}/on-air", API),
    P("GET", "/api/v1/events/{slug}/poll", API),
    P("GET", "/api/v1/events/{slug}/tables", API),
    # the participant
    P("GET", "/e/{slug}", PARTICIPANT_PAGE),
    P("POST", "/e/{slug}/questions", PARTICIPANT),
    P("POST", "/e/{slug}/questions/{question_id}/vote", PARTICIPANT, {"question_id": "@question"}),
    P("POST", "/e/{slug}/invitations/{invitation_id}", PARTICIPANT, {"invitation_id": "@invitation"}),
    P("POST", "/e/{slug}/polls/{question_id}/vote", PARTICIPANT, {"question_id": "@poll"}),
    P("GET", "/e/{slug}/table/open", PARTICIPANT),
    P("POST", "/e/{slug}/table/open", PARTICIPANT),
    P("POST", "/e/{slug}/table/topic", PARTICIPANT),
    P("POST", "/e/{slug}/agenda/picks", PARTICIPANT),  # empty: no picks (during the closing), refused otherwise
    P("POST", "/e/{slug}/agenda/propose", PARTICIPANT),
    # the role pages
    P("GET", "/e/{slug}/{view}", MODERATION, {"view": "moderator"}),
    P("GET", "/e/{slug}/{view}", PRESENTER, {"view": "presenter"}),
    P("GET", "/e/{slug}/{view}", HOST, {"view": "host"}),
    P("GET", "/e/{slug}/{view}", ORGANISER, {"view": "organiser"}),
    P("GET", "/e/{slug}/{view}", NOWHERE, {"view": "nonsense"}),
    # the moderator
    P("POST", "/e/{slug}/phase", MODERATION),
    P("GET", "/e/{slug}/moderator/questions.csv", MODERATION),
    P("GET", "/e/{slug}/moderator/themes", MODERATION),  # the queue grouped into themes, on request
    P("POST", "/e/{slug}/moderator/questions/{question_id}", MODERATION, {"question_id": "@question"}),
    P("POST", "/e/{slug}/moderator/invite", MODERATION),
    P("POST", "/e/{slug}/moderator/invitations/{invitation_id}", MODERATION, {"invitation_id": "@invitation"}),
    P("GET", "/e/{slug}/polls/results.csv", MODERATION),
    P("POST", "/e/{slug}/polls/{question_id}/words", MODERATION, {"question_id": "@poll"}),
    P("POST", "/e/{slug}/polls/answers/{ballot_id}", MODERATION, {"ballot_id": "@ballot"}),
    P("POST", "/e/{slug}/polls/{question_id}/{action}", MODERATION, {"question_id": "@poll", "action": "open"}),
    P("POST", "/e/{slug}/polls/{question_id}/{action}", MODERATION, {"question_id": "@poll", "action": "nonsense"}),
    P("POST", "/e/{slug}/agenda/themes", MODERATION),
    P("POST", "/e/{slug}/agenda/themes/{theme_id}", MODERATION, {"theme_id": "@theme"}),
    # the organiser
    P("GET", "/organiser", ORGANISER),
    P("POST", "/organiser/events", ORGANISER),
    P("POST", "/e/{slug}/organiser/settings", ORGANISER, form={"premoderation": "1", "allow_anonymous": "1"}),
    P("POST", "/e/{slug}/organiser/api-token", ORGANISER),
    P("POST", "/e/{slug}/organiser/agenda/seed", ORGANISER),  # adds only what the debate and the poll raised
    P("GET", "/e/{slug}/organiser/setup", ORGANISER),
    P("POST", "/e/{slug}/organiser/event", ORGANISER),
    P("POST", "/e/{slug}/organiser/duplicate", ORGANISER),
    P("POST", "/e/{slug}/organiser/archive", ORGANISER),  # empty form: "not archived", changes nothing
    P("POST", "/e/{slug}/organiser/parts", ORGANISER),
    P("POST", "/e/{slug}/organiser/parts/{part_id}", ORGANISER, {"part_id": "@part"}),
    P("POST", "/e/{slug}/organiser/polls", ORGANISER),
    P("POST", "/e/{slug}/organiser/polls/{question_id}", ORGANISER, {"question_id": "@poll"}),
    P("GET", "/e/{slug}/organiser/participants", ORGANISER),
    P("POST", "/e/{slug}/organiser/participants/new", ORGANISER),
    P("POST", "/e/{slug}/organiser/participants/{participant_id}", ORGANISER, {"participant_id": "@participant"}),
    P("GET", "/e/{slug}/organiser/participants/{participant_id}/export", ORGANISER, {"participant_id": "@participant"}),
    P("POST", "/e/{slug}/organiser/import", ORGANISER),
    P("POST", "/e/{slug}/organiser/import/{batch_id}", ORGANISER, {"batch_id": "@batch"}),
    P("GET", "/e/{slug}/organiser/links", ORGANISER),
    P("GET", "/e/{slug}/organiser/links.csv", ORGANISER),
    P("POST", "/e/{slug}/organiser/links/new", ORGANISER),
    P("POST", "/e/{slug}/organiser/links/{kind}/{item_id}", ORGANISER, {"kind": "participant", "item_id": "@participant"}),
    P("POST", "/e/{slug}/organiser/links/{kind}/{item_id}", ORGANISER, {"kind": "role", "item_id": "@role_link"}),
    P("GET", "/e/{slug}/organiser/afterwards", ORGANISER),
    P("GET", "/e/{slug}/organiser/export.zip", ORGANISER),
    P("GET", "/e/{slug}/organiser/report", ORGANISER),
    P("POST", "/e/{slug}/organiser/purge", ORGANISER),  # empty form: no confirmation code, purges nothing
    P("POST", "/e/{slug}/tables/seating", ORGANISER),
    P("POST", "/e/{slug}/tables/move", ORGANISER),
    P("POST", "/e/{slug}/tables/{table_id}/host", ORGANISER, {"table_id": "@table"}),
    P("POST", "/e/{slug}/tables/new", ORGANISER),
    P("POST", "/e/{slug}/tables/{table_id}/edit", ORGANISER, {"table_id": "@table"}),
]

# The live views (``/ws/{view}/{key}``, the key being the event's slug) and who may open them.
VIEWS: dict[str, Guard] = {
    "participant": PARTICIPANT,
    "moderator": MODERATION,
    "presenter": PRESENTER,
    "host": HOST,
    "organiser": ORGANISER,
}
WS_PATH = "/ws/{view}/{key}"


def app_routes(routes: list) -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route, walking Mounts; a mounted app without routes (static files) counts
    as one GET route ``<mount>/{path}``. WebSocket routes come out with the method "WS"."""
    for path, route in walk_routes(routes):
        if isinstance(route, Mount):
            yield "GET", path
        elif isinstance(route, WebSocketRoute):
            yield "WS", path
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield method, path


def test_every_route_and_live_view_has_an_expectation_row(matrix_client: TestClient) -> None:
    """A route or live view added without a row in this matrix fails here; so does a row for a route that went."""
    app = matrix_client.app
    found = set(app_routes(app.routes))
    rows = {(p.method, p.path) for p in PROBES} | {("WS", WS_PATH)}
    assert sorted(found - rows) == [], "routes without a row in the role matrix"
    assert sorted(rows - found) == [], "rows in the role matrix for routes that do not exist"
    views = set(app.state.live_views.authorisers)
    assert views == set(VIEWS), f"live views without a row: {views - set(VIEWS)}; rows without a view: {set(VIEWS) - views}"


# --- the seeded world ----------------------------------------------------------------------------------


@dataclass
class Identity:
    name: str
    grants: frozenset[tuple[str, str]] = frozenset()  # (role, "own" | "other" | "*")
    cookie: str | None = None
    bearer: Callable[[], str] | None = None  # read when used: the API token changes when it is rotated
    # "full": every route in both events. "own": a second identity with the same grants as another (kept for
    # what it may see): the demo event's routes. "refused": holds nothing any more (revoked, re-issued, a bad
    # cookie): every guarded route of the demo event, where its grants were. "api": a bearer token, which only
    # app/organiser/api.py reads: the API routes of both events.
    scope: str = "full"
    expired: bool = False  # tried with the clock past the links' expiry

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.cookie:
            headers["cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        if self.bearer:
            headers["authorization"] = f"Bearer {self.bearer()}"
        return headers

    def holds(self, role: str, event: str) -> bool:
        if role == "*":
            return True
        if role == "link":
            return not self.expired
        if role == "organiser":
            return ("organiser", "*") in self.grants
        return (role, event) in self.grants


def passes(guard: Guard, identity: Identity, event: str) -> bool:
    return any(identity.holds(role, event) for role in guard.roles)


@dataclass
class World:
    client: TestClient
    settings: Settings
    slugs: dict[str, str]  # "own" / "other" -> slug
    ids: dict[str, dict[str, str]]  # event -> id kind -> value
    identities: list[Identity]
    expired: list[Identity]  # the same cookies, tried after the links' expiry
    canaries: list[Canary]
    actors: dict[str, Browser]  # signed-in browsers that make changes (organiser, moderator, the canaries' authors)
    event_ids: dict[str, int]


def one(settings, sql: str, **params: object):
    rows = query(settings, sql, **params)
    assert len(rows) == 1, (sql, params, rows)
    return rows[0][0]


def ok(response, what: str):
    """Seeding goes through the real flows; a step that fails would make the matrix meaningless."""
    assert response.status_code < 400, (what, response.status_code, response.text[:500])
    return response


def participant_token(settings, name: str) -> str:
    key, version = query(settings, "SELECT link_key, link_version FROM participant WHERE name = :n", n=name)[0]
    return link_token(SECRET, key, version)


def role_token(settings, label: str) -> str:
    key, version = query(settings, "SELECT link_key, version FROM role_link WHERE label = :l", l=label)[0]
    return link_token(SECRET, key, version)


def current_api_token(settings, slug: str) -> str:
    event_id, version = query(settings, "SELECT id, api_version FROM event WHERE slug = :s", s=slug)[0]
    return api_token(SECRET, SimpleNamespace(id=event_id, api_version=version))


class _OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - SESSION_MAX_AGE - 3600


def _cookie(payload: dict, secret: str = SECRET, stale: bool = False) -> str:
    signer = (_OldSigner if stale else TimestampSigner)(secret, salt="samen.session")
    return signer.sign(b64encode(json.dumps(payload).encode())).decode()


# One app, one client and one seeded world for the whole module: seeding two events through their flows costs
# seconds, the matrix is read-mostly, and each test below leaves the canaries in place and reads the ids it
# needs afresh (the same database layout as conftest's per-test `settings`, made once per module).


@pytest.fixture(scope="module")
def matrix_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    template_db: Path) -> Iterator[Settings]:
    common = {"secret_key": SECRET, "allowed_origins": [ORIGIN], "base_url": ORIGIN, "tick_seconds": 0.05}
    if BACKEND == "postgres-redis":
        from tests.services import postgres_database, require_redis

        template = request.getfixturevalue("postgres_template").rsplit("/", 1)[1]
        with postgres_database(template=template) as url:
            yield Settings(database_url=url, broker_url=require_redis(), **common)
        return
    path = tmp_path_factory.mktemp("role-matrix") / "samen.db"
    shutil.copy(template_db, path)
    yield Settings(database_url=f"sqlite+aiosqlite:///{path}", **common)


@pytest.fixture(scope="module")
def matrix_client(matrix_settings: Settings) -> Iterator[TestClient]:
    run(_with_db(matrix_settings, lambda db: create_demo(db, SECRET)))
    with TestClient(create_app(matrix_settings), base_url=ORIGIN) as client:
        yield client


DEMO_LINKS = {f"participant:{name}": f"/j/{demo_token(SECRET, f'participant:{name}')}" for name, _c, _t in PARTICIPANTS}
DEMO_LINKS["organiser:Secretariaat G40"] = f"login:{DEMO_ORGANISER}:{demo_password(SECRET)}"


def demo_link(key: str) -> str:
    """A demo role's link, as conftest's `demo` fixture gives it (role links are derived like participants')."""
    return DEMO_LINKS.get(key) or f"/r/{demo_token(SECRET, key)}"


@pytest.fixture(scope="module")
def world(matrix_settings: Settings, matrix_client: TestClient) -> World:
    """Both events, seeded through the organiser's, moderator's and participants' own flows."""
    s, client = matrix_settings, matrix_client

    def browser() -> Browser:
        return Browser(client)

    zwolle = str(one(s, "SELECT id FROM municipality WHERE name = 'Zwolle'"))
    own_id = one(s, "SELECT id FROM event WHERE slug = :s", s=SLUG)

    def signed(key: str) -> Browser:
        person = browser()
        sign_in(person, demo_link(key))
        return person

    org = signed("organiser:Secretariaat G40")
    moderator = signed("moderator:Gespreksleider")
    people = {name: signed(f"participant:{name}") for name in (FATIMA, ERIK, JAN, LOTTE)}
    hosts = {name: signed(f"host:{name}") for name in (HOST_OTHER_TABLE, HOST_GUEST_TABLE, HOST_REISSUED)}
    presenter = signed("presenter:Presentatiescherm")
    assistant = signed("moderator:Assistent moderatie")

    # --- the other event, set up by the organiser ---
    created = ok(org.post("/organiser/events", {"name": OTHER_EVENT, "day": "2026-12-04", "premoderation": "1",
                                                "allow_anonymous": "1"}, follow_redirects=False), "other event")
    oslug = created.headers["location"].split("/")[2]
    other_id = one(s, "SELECT id FROM event WHERE slug = :s", s=oslug)
    ob = f"/e/{oslug}"
    ok(org.post(f"{ob}/organiser/participants/new", {"name": OTHER_PERSON, "municipality": zwolle},
                follow_redirects=False), "other participant")
    ok(org.post(f"{ob}/organiser/links/new", {"role": "moderator", "label": OTHER_MODERATOR},
                follow_redirects=False), "other moderator link")
    ok(org.post(f"{ob}/tables/new", {"name": OTHER_TABLE, "capacity": "8", "video_url": "https://meet.jit.si/kanarie",
                                     "topic": "", "host_name": OTHER_HOST, "host_municipality": ""}), "other table")
    ok(org.post(f"{ob}/organiser/polls", {"kind": "text", "prompt": OTHER_POLL, "results": "live"},
                follow_redirects=False), "other poll")
    other_poll = one(s, "SELECT id FROM poll_question WHERE prompt = :p", p=OTHER_POLL)
    ok(org.post(f"{ob}/polls/{other_poll}/open"), "open other poll")
    ok(org.post(f"{ob}/agenda/themes", {"label": OTHER_THEME}), "other theme")
    other_person = browser()
    sign_in(other_person, f"/j/{participant_token(s, OTHER_PERSON)}")
    other_moderator = browser()
    sign_in(other_moderator, f"/r/{role_token(s, OTHER_MODERATOR)}")
    for body in (OTHER_QUESTION, OTHER_PENDING):
        ok(other_person.post(f"{ob}/questions", {"body": body, "key": ""}), "other question")
    other_question = one(s, "SELECT id FROM question WHERE body = :b", b=OTHER_QUESTION)
    ok(other_moderator.post(f"{ob}/moderator/questions/{other_question}", {"action": "approve"}), "approve other")
    ok(other_person.post(f"{ob}/polls/{other_poll}/vote", {"text": OTHER_TEXT}), "other answer")
    ok(org.post(f"{ob}/tables/seating", {"action": "preview", "seed": "1"}), "other seating")
    ok(org.post(f"{ob}/tables/seating", {"action": "publish"}), "other publish")
    other_pid = one(s, "SELECT id FROM participant WHERE name = :n", n=OTHER_PERSON)
    ok(other_moderator.post(f"{ob}/moderator/invite", {"participant": str(other_pid)}), "other invitation")
    ok(upload(org, f"{ob}/organiser/import", GOOD_CSV), "other import batch")

    # --- the demo event ---
    eb = f"/e/{SLUG}"
    ok(org.post(f"{eb}/agenda/themes", {"label": "Wonen en bouwen"}), "theme")
    ok(org.post(f"{eb}/organiser/participants/new", {"name": GUEST, "municipality": zwolle},
                follow_redirects=False), "guest")
    ok(org.post(f"{eb}/tables/seating", {"action": "preview", "seed": "1"}), "seating")
    ok(org.post(f"{eb}/tables/seating", {"action": "publish"}), "publish")
    table_of = {name: one(s, "SELECT id FROM lunch_table WHERE host_name = :h AND event_id = :e", h=name, e=own_id)
                for name in (HOST_OTHER_TABLE, HOST_GUEST_TABLE)}
    pid = {name: one(s, "SELECT id FROM participant WHERE name = :n", n=name) for name in (GUEST, FATIMA, ERIK, JAN, LOTTE)}
    # The guest sits at Annemiek's table; the participants of the matrix sit at Pieter's, so neither they nor
    # Pieter have any business seeing the guest.
    for name, host in ((GUEST, HOST_GUEST_TABLE), (FATIMA, HOST_OTHER_TABLE), (ERIK, HOST_OTHER_TABLE)):
        ok(org.post(f"{eb}/tables/move", {"participant": str(pid[name]), "table": str(table_of[host]), "lock": "1"}),
           "move")
    ok(people[ERIK].post(f"{eb}/questions", {"body": PENDING_QUESTION, "key": ""}), "pending question")

    def joiner(name: str) -> Browser:
        """Joins with the event code after the seating was published: the join seats them at once."""
        person = browser()
        ok(person.post("/join", {"code": "G40DEC", "name": name, "municipality": zwolle, "organisation": "",
                                 "join_key": ""}, follow_redirects=False), f"join {name}")
        return person

    author, voter = joiner(ANON_AUTHOR), joiner(VOTER)
    # Their joins seated them (late joiners sit at the smallest tables): to a table that no identity here sits at
    # or hosts, so their names have no reason to be on anyone's table card or guest list.
    spare = one(s, "SELECT MIN(id) FROM lunch_table WHERE event_id = :e AND host_name NOT IN (:a, :b)",
                e=own_id, a=HOST_OTHER_TABLE, b=HOST_GUEST_TABLE)
    for name in (ANON_AUTHOR, VOTER):
        joined = one(s, "SELECT id FROM participant WHERE name = :n", n=name)
        ok(org.post(f"{eb}/tables/move", {"participant": str(joined), "table": str(spare), "lock": "1"}), "move")
    ok(author.post(f"{eb}/questions", {"body": ANON_QUESTION, "key": "", "anonymous": "1"}), "anonymous question")
    anon_question = one(s, "SELECT id FROM question WHERE body = :b", b=ANON_QUESTION)
    for action in ("approve", "on_air"):
        ok(moderator.post(f"{eb}/moderator/questions/{anon_question}", {"action": action}), action)
    text_poll = one(s, "SELECT id FROM poll_question WHERE event_id = :e AND kind = 'text'", e=own_id)
    ok(moderator.post(f"{eb}/polls/{text_poll}/open"), "open text poll")
    ok(voter.post(f"{eb}/polls/{text_poll}/vote", {"text": TEXT_ANSWER}), "canary answer")
    ok(people[FATIMA].post(f"{eb}/polls/{text_poll}/vote", {"text": "Gewoon een antwoord"}), "ordinary answer")
    ok(moderator.post(f"{eb}/moderator/invite", {"participant": str(pid[FATIMA])}), "invitation")
    ok(upload(org, f"{eb}/organiser/import", GOOD_CSV), "import batch")

    # Links that stop working: the browsers above keep their (now useless) cookies.
    old_tokens = {"jan": participant_token(s, JAN), "lotte": participant_token(s, LOTTE),
                  "assistant": role_token(s, "Assistent moderatie"), "ingrid": role_token(s, HOST_REISSUED),
                  "api": current_api_token(s, SLUG)}
    ingrid_link = one(s, "SELECT id FROM role_link WHERE label = :l", l=HOST_REISSUED)
    assistant_link = one(s, "SELECT id FROM role_link WHERE label = 'Assistent moderatie'")
    for path, action in ((f"participant/{pid[JAN]}", "revoke"), (f"participant/{pid[LOTTE]}", "reissue"),
                         (f"role/{assistant_link}", "revoke"), (f"role/{ingrid_link}", "reissue")):
        ok(org.post(f"{eb}/organiser/links/{path}", {"action": action}, follow_redirects=False), action)
    ok(org.post(f"{eb}/organiser/api-token", {}, follow_redirects=False), "rotate the API token")

    def cookie(person: Browser) -> str:
        return person.jar[SESSION_COOKIE]

    org_id = one(s, "SELECT id FROM organiser")
    mod_link = one(s, "SELECT id FROM role_link WHERE label = 'Gespreksleider'")
    claims = {"org": org_id, "r": [[mod_link, 1]], "p": {str(own_id): [pid[FATIMA], 1]}}
    genuine = cookie(moderator)
    payload, _, signature = genuine.rpartition(".")
    identities = [
        Identity("anonymous"),
        Identity("participant", frozenset({("participant", "own")}), cookie(people[FATIMA])),
        Identity("asker", frozenset({("participant", "own")}), cookie(people[ERIK]), scope="own"),
        Identity("other-participant", frozenset({("participant", "other")}), cookie(other_person)),
        Identity("other-moderator", frozenset({("moderator", "other")}), cookie(other_moderator)),
        Identity("host", frozenset({("host", "own")}), cookie(hosts[HOST_OTHER_TABLE])),
        Identity("own-host", frozenset({("host", "own")}), cookie(hosts[HOST_GUEST_TABLE]), scope="own"),
        Identity("presenter", frozenset({("presenter", "own")}), cookie(presenter)),
        Identity("moderator", frozenset({("moderator", "own")}), genuine),
        Identity("organiser", frozenset({("organiser", "*")}), cookie(org)),
        Identity("revoked-participant", cookie=cookie(people[JAN]), scope="refused"),
        Identity("reissued-participant", cookie=cookie(people[LOTTE]), scope="refused"),
        Identity("revoked-moderator", cookie=cookie(assistant), scope="refused"),
        Identity("reissued-host", cookie=cookie(hosts[HOST_REISSUED]), scope="refused"),
        # A flipped signature; every role claimed but signed with another key; the organiser's own session, but
        # signed longer ago than a session lives.
        Identity("tampered-cookie", scope="refused",
                 cookie=f"{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"),
        Identity("forged-cookie", cookie=_cookie(claims, secret="not-the-secret-key"), scope="refused"),
        Identity("stale-cookie", cookie=_cookie({"org": org_id}, stale=True), scope="refused"),
        Identity("api-own", frozenset({("api", "own")}), bearer=lambda: current_api_token(s, SLUG), scope="api"),
        Identity("api-other", frozenset({("api", "other")}), bearer=lambda: current_api_token(s, oslug), scope="api"),
        Identity("api-rotated", bearer=lambda: old_tokens["api"], scope="api"),
    ]
    by_name = {i.name: i for i in identities}
    expired = [Identity(f"expired-{name}", cookie=by_name[name].cookie, scope="refused", expired=True)
               for name in ("participant", "host", "presenter", "moderator")]
    # An account, not a link: the organiser keeps working after the links expired (and proves the app does).
    expired.append(Identity("organiser", by_name["organiser"].grants, by_name["organiser"].cookie, expired=True))

    def token_canary(token: str, *owners: str) -> Canary:
        return Canary(token, frozenset({"organiser", *owners}), must_show=False)

    canaries = [
        Canary(PENDING_QUESTION, frozenset({"asker"}) | MODERATORS),
        Canary(ANON_AUTHOR, MODERATORS),  # the moderator's list of people to invite holds every name
        Canary(GUEST, frozenset({"own-host"}) | MODERATORS),
        Canary(TEXT_ANSWER, MODERATORS),
        Canary(VOTER, MODERATORS),
        Canary(OTHER_EVENT, OTHER_INSIDERS),
        Canary(OTHER_PERSON, OTHER_INSIDERS),
        Canary(OTHER_MODERATOR, OTHER_INSIDERS),
        Canary(OTHER_QUESTION, OTHER_INSIDERS),
        Canary(OTHER_PENDING, OTHER_INSIDERS),
        Canary(OTHER_POLL, OTHER_INSIDERS | {"api-other"}),
        Canary(OTHER_TEXT, OTHER_INSIDERS),
        Canary(OTHER_TABLE, OTHER_INSIDERS | {"api-other"}),
        Canary(OTHER_HOST, OTHER_INSIDERS | {"api-other"}),
        Canary(OTHER_THEME, OTHER_INSIDERS),
        Canary(one(s, "SELECT code FROM event WHERE id = :e", e=other_id), OTHER_INSIDERS),
        Canary(SECOND_PENDING, frozenset({"asker"}) | MODERATORS, must_show=False),  # only sent in the live test
        Canary(SECOND_TEXT, MODERATORS, must_show=False),
        Canary(OTHER_SECOND, OTHER_INSIDERS, must_show=False),
        token_canary(participant_token(s, FATIMA), "participant"),
        token_canary(participant_token(s, ERIK), "asker"),
        token_canary(participant_token(s, OTHER_PERSON), "other-participant"),
        token_canary(participant_token(s, ANON_AUTHOR)),
        token_canary(participant_token(s, VOTER)),
        token_canary(participant_token(s, GUEST)),
        token_canary(participant_token(s, LOTTE)),  # the re-issued link
        token_canary(role_token(s, "Gespreksleider"), "moderator"),
        token_canary(role_token(s, "Presentatiescherm"), "presenter"),
        token_canary(role_token(s, HOST_OTHER_TABLE), "host"),
        token_canary(role_token(s, HOST_GUEST_TABLE), "own-host"),
        token_canary(role_token(s, HOST_REISSUED)),
        token_canary(role_token(s, OTHER_MODERATOR), "other-moderator"),
        token_canary(role_token(s, OTHER_HOST)),
        token_canary(current_api_token(s, SLUG), "api-own"),
        token_canary(current_api_token(s, oslug), "api-other"),
        *[token_canary(token) for token in old_tokens.values()],
    ]

    def part(event_id: int) -> str:
        return str(one(s, "SELECT MAX(id) FROM programme_part WHERE event_id = :e", e=event_id))

    def first(sql: str, **params: object) -> str:
        return str(one(s, sql, **params))

    ballot_of = "SELECT id FROM poll_ballot WHERE participant_id = :p"
    ids = {
        "own": {
            "question": str(anon_question), "poll": str(text_poll), "participant": str(pid[FATIMA]),
            "invitation": first("SELECT id FROM invitation WHERE event_id = :e", e=own_id),
            "ballot": first(ballot_of, p=pid[FATIMA]),
            "batch": first("SELECT id FROM import_batch WHERE event_id = :e", e=own_id),
            "part": part(own_id), "table": str(table_of[HOST_OTHER_TABLE]),
            "role_link": first("SELECT id FROM role_link WHERE label = 'Presentatiescherm'"),
            "participant_token": participant_token(s, FATIMA), "role_token": role_token(s, "Presentatiescherm"),
            "words_poll": first("SELECT id FROM poll_question WHERE event_id = :e AND kind = 'words'", e=own_id),
            "guest_table": str(table_of[HOST_GUEST_TABLE]), "guest": str(pid[GUEST]),
            "theme": first("SELECT MIN(id) FROM agenda_theme WHERE event_id = :e", e=own_id),
        },
        "other": {
            "question": str(other_question), "poll": str(other_poll), "participant": str(other_pid),
            "invitation": first("SELECT id FROM invitation WHERE event_id = :e", e=other_id),
            "ballot": first(ballot_of, p=other_pid),
            "batch": first("SELECT id FROM import_batch WHERE event_id = :e", e=other_id),
            "part": part(other_id), "table": first("SELECT id FROM lunch_table WHERE event_id = :e", e=other_id),
            "role_link": first("SELECT id FROM role_link WHERE label = :l", l=OTHER_MODERATOR),
            "participant_token": participant_token(s, OTHER_PERSON), "role_token": role_token(s, OTHER_MODERATOR),
            "theme": first("SELECT MIN(id) FROM agenda_theme WHERE event_id = :e", e=other_id),
        },
    }
    actors = {"organiser": org, "moderator": moderator, "asker": people[ERIK], "voter": voter, "author": author,
              "participant": people[FATIMA], "other-participant": other_person, "other-moderator": other_moderator,
              "lotte": people[LOTTE]}
    return World(client, s, {"own": SLUG, "other": oslug}, ids, identities, expired, canaries, actors,
                 {"own": own_id, "other": other_id})


# --- sending, classifying, searching -------------------------------------------------------------------


@dataclass
class Tally:
    """What the matrix saw: counts for the summary line, and every mismatch for the failure message."""

    requests: int = 0
    allowed: int = 0
    refused: int = 0
    canary_checks: int = 0
    unexpected_allows: list[str] = field(default_factory=list)
    unexpected_refusals: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # canaries seen by someone allowed to
    # Positive control: a canary that nobody allowed to see it was ever shown is not live (the seeding went
    # wrong), and then its absence elsewhere would prove nothing.
    unseen: list[str] = field(default_factory=list)

    def line(self, what: str) -> str:
        return (f"{what}: {self.requests} checks, {self.allowed} allowed, {self.refused} refused, "
                f"{self.canary_checks} canary checks, {len(self.unexpected_allows)} unexpected allows, "
                f"{len(self.unexpected_refusals)} unexpected refusals, {len(self.errors)} server errors, "
                f"{len(self.leaks)} leaks")

    def problems(self) -> list[str]:
        return ([f"CANARY NEVER SEEN, even by those allowed to see it: {text!r}" for text in self.unseen]
                + [f"UNEXPECTED ALLOW {m}" for m in self.unexpected_allows]
                + [f"UNEXPECTED REFUSAL {m}" for m in self.unexpected_refusals]
                + [f"SERVER ERROR {m}" for m in self.errors] + [f"LEAK {m}" for m in self.leaks])


def send(client: TestClient, method: str, url: str, identity: Identity, form: dict | None = None):
    """One request with exactly this identity's credentials (a same-origin form post for POST); nothing the
    response sets is kept, so a request that ends a session (logout, leave) does not change the identity."""
    headers = identity.headers()
    if method == "POST":
        headers |= {"origin": ORIGIN, "sec-fetch-site": "same-origin"}
    client.cookies.clear()
    try:
        return client.request(method, url, headers=headers, data=form if method == "POST" else None,
                              follow_redirects=False)
    finally:
        client.cookies.clear()


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return ERROR
    if status in (401, 403, 429):  # 429: a flood of wrong secrets from one address is throttled
        return DENY
    if status in (404, 405, 422):
        return {404: MISSING, 405: METHOD, 422: INVALID}[status]
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        if location == "/" or location.startswith("/?"):
            return JOIN
        if location.startswith("/organiser/login"):
            return LOGIN
    return OK


def readable(response) -> str:
    """Everything a client receives: headers and body, with zip exports unpacked (a canary in a compressed file
    would otherwise go unseen)."""
    parts = [f"{k}: {v}" for k, v in response.headers.items()]
    body = response.content
    if response.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    else:
        parts.append(body.decode("utf-8", "replace"))
    return "\n".join(parts)


def search(tally: Tally, canaries: list[Canary], who: str, where: str, text: str, carried: str = "") -> None:
    """Every canary against one response or frame; ``carried`` is what the request itself sent (a token in the
    URL is not leaked back by being in it)."""
    for canary in canaries:
        tally.canary_checks += 1
        if canary.text in carried or canary.text not in text:
            continue
        if who in canary.visible_to:
            tally.seen.add(canary.text)
        else:
            tally.leaks.append(f"{canary.text!r} shown to {who} by {where}")


def fill(probe: Probe, world: World, event: str) -> str:
    values = {"slug": world.slugs[event]}
    for name, value in probe.params.items():
        values[name] = world.ids[event][value[1:]] if value.startswith("@") else value
    return probe.path.format(**values)


def contexts(probe: Probe) -> list[str]:
    """A route about one event is tried with each event's slug and ids; a route about none, once."""
    event_bound = "{slug}" in probe.path or any(v.startswith("@") for v in probe.params.values())
    return ["own", "other"] if event_bound else ["own"]


def check(tally: Tally, world: World, probe: Probe, identity: Identity, event: str, method: str,
          expected: frozenset[str]) -> None:
    url = fill(probe, world, event)
    where = f"{method} {url} ({probe.guard.name}, {event} event)"
    tally.requests += 1
    try:
        response = send(world.client, method, url, identity, probe.form)
    except Exception as error:  # noqa: BLE001 - Starlette's TestClient re-raises the server's exception
        tally.errors.append(f"{where} as {identity.name}: {type(error).__name__}: {error}")
        return
    seen = outcome(response)
    if seen == ERROR:
        tally.errors.append(f"{where} as {identity.name}: {response.status_code}")
    elif seen not in expected:
        allowed = seen in PASSED and not expected & PASSED
        (tally.unexpected_allows if allowed else tally.unexpected_refusals).append(
            f"{where} as {identity.name}: {seen} ({response.status_code}), expected {sorted(expected)}")
    if seen == METHOD or (seen in probe.guard.refused and seen not in probe.guard.passed):
        tally.refused += 1
    else:
        tally.allowed += 1
    search(tally, world.canaries, identity.name, where, readable(response), carried=url + str(identity.headers()))


@contextmanager
def clock_after_expiry(world: World) -> Iterator[None]:
    """Move the clock the links are judged by past the last expiry of the demo event's links (personal links:
    the event day plus ROLE_LINK_DAYS; role links: their expires_at), as a browser that kept its cookie would
    meet it a few weeks after the event."""
    s = world.settings
    day = query(s, "SELECT day FROM event WHERE slug = :s", s=SLUG)[0][0]
    day = day if not isinstance(day, str) else datetime.fromisoformat(day).date()
    last_link = max(datetime.fromisoformat(str(v)) for (v,) in query(s, "SELECT expires_at FROM role_link"))
    later = max(last_link, datetime.combine(day, datetime.min.time()) + timedelta(days=s.role_link_days)) + timedelta(days=2)
    with pytest.MonkeyPatch.context() as patch:
        for module in ("app.events.access", "app.events.service"):
            patch.setattr(f"{module}.utcnow", lambda: later)
        yield


def summary(tally: Tally, what: str) -> None:
    print("\n" + tally.line(what))  # shown with -s: the figures for the report
    assert not tally.problems(), "\n".join([tally.line(what), *tally.problems()[:80]])


# --- the HTTP matrix -----------------------------------------------------------------------------------

# GET on a POST-only route must change nothing: refused for anyone, shown with the least and the most rights.
GET_ON_POST_ONLY = ("anonymous", "organiser")


def tried(probe: Probe, identity: Identity) -> list[str]:
    """The events a probe is tried in for one identity (see Identity.scope); [] to skip it."""
    if probe.only is not None and identity.name not in probe.only:
        return []
    if identity.scope == "api":
        return contexts(probe) if probe.guard is API else []
    if identity.scope == "refused":
        # Public pages look the same for everyone; the other event never knew these cookies.
        return [] if probe.guard in (PUBLIC, TO_JOIN, TO_LOGIN) else ["own"]
    if identity.scope == "own" or probe.guard is API:
        return ["own"]  # a cookie is no API token: shown once (wrong tokens also count towards a throttle)
    return contexts(probe)


def test_every_route_as_every_identity(world: World) -> None:
    tally = Tally()
    post_only = {p.path for p in PROBES if p.method == "POST"} - {p.path for p in PROBES if p.method == "GET"}
    for probe in PROBES:
        for identity in world.identities:
            for event in tried(probe, identity):
                guard = probe.guard
                expected = guard.passed if passes(guard, identity, event) else guard.refused
                check(tally, world, probe, identity, event, probe.method, expected)
        if probe.path in post_only:
            for identity in world.identities:
                if identity.name in GET_ON_POST_ONLY:
                    # 405, or 404 where the path also fits the role pages' /e/{slug}/{view}
                    check(tally, world, probe, identity, "own", "GET", frozenset({METHOD, MISSING}))
    with clock_after_expiry(world):
        for probe in PROBES:
            for identity in world.expired:
                if tried(probe, identity):
                    expected = probe.guard.passed if passes(probe.guard, identity, "own") else probe.guard.refused
                    check(tally, world, probe, identity, "own", probe.method, expected)
    tally.unseen = [c.text for c in world.canaries if c.must_show and c.text not in tally.seen]
    summary(tally, "role matrix, HTTP")


# --- the live views ------------------------------------------------------------------------------------

# Junk where a live view expects an event's slug.
BAD_KEYS = ("bestaat-niet", "NETWERKDAG-4-DECEMBER", "x" * 500, "%00", "%C3%A9" * 10, "..%2F..%2Forganiser")
# Canaries that a live fragment carries to those allowed to see them (tokens and codes are on no live part).
LIVE_CANARIES = (PENDING_QUESTION, SECOND_PENDING, GUEST, TEXT_ANSWER, SECOND_TEXT, ANON_AUTHOR, VOTER,
                 OTHER_PENDING, OTHER_SECOND, OTHER_TEXT, OTHER_PERSON)


def connect(client: TestClient, path: str, identity: Identity):
    client.cookies.clear()
    return client.websocket_connect(path, headers={"origin": ORIGIN, **identity.headers()})


def read_until(ws, marker: str, frames: list[str], limit: int = 200) -> None:
    for _ in range(limit):
        frames.append(ws.receive_text())
        if marker in frames[-1]:
            return
    raise AssertionError(f"{marker!r} never arrived")


def test_every_live_view_as_every_identity(world: World) -> None:
    """Each view of each event as each identity: the handshake is refused where it must be; where it is accepted,
    the snapshot, the pushes after changes to every sensitive topic (a new pending question, a changed open answer,
    a table move, in both events) and the pushes after two phase changes carry no canary the identity may not see."""
    tally, client = Tally(), world.client
    people = [i for i in world.identities if i.scope != "api"]  # a bearer token is no session: as anonymous
    open_sockets: list[tuple[Identity, str, object]] = []
    actors, e, o = world.actors, f"/e/{SLUG}", f"/e/{world.slugs['other']}"
    parts = {(base, kind): str(one(world.settings, "SELECT MIN(id) FROM programme_part WHERE event_id = :e AND kind = :k",
                                   e=world.event_ids[event], k=kind))
             for base, event in ((e, "own"), (o, "other")) for kind in ("debate", "poll", "closing")}
    for base in (e, o):  # a known phase, so that the two phases below are changes that every page is sent
        ok(actors["organiser"].post(f"{base}/phase", {"action": "goto", "part": parts[base, "closing"]}), "phase")
    with ExitStack() as stack:
        for view, guard in VIEWS.items():
            for identity in people:
                events = ["own", "other"] if identity.scope == "full" else ["own"]
                keys = [(world.slugs[e], passes(guard, identity, e)) for e in events]
                if identity.name in ("organiser", "participant"):
                    keys += [(key, False) for key in BAD_KEYS]
                for key, expected in keys:
                    where = f"WS {WS_PATH.format(view=view, key=key[:40])} ({guard.name})"
                    tally.requests += 1
                    try:
                        ws = stack.enter_context(connect(client, WS_PATH.format(view=view, key=key), identity))
                    except WebSocketDisconnect as refused:
                        tally.refused += 1
                        if expected:
                            tally.unexpected_refusals.append(f"{where} as {identity.name}: closed {refused.code}")
                        continue
                    tally.allowed += 1
                    if not expected:
                        tally.unexpected_allows.append(f"{where} as {identity.name}: accepted")
                    open_sockets.append((identity, where, ws))
        # Changes to every sensitive topic while the pages are open, then two phase changes in each event: a
        # page has had its snapshot and every push caused by the changes once the second phase arrives.
        ok(actors["asker"].post(f"{e}/questions", {"body": SECOND_PENDING, "key": ""}), "second question")
        ok(actors["voter"].post(f"{e}/polls/{world.ids['own']['poll']}/vote", {"text": SECOND_TEXT}), "changed answer")
        ok(actors["organiser"].post(f"{e}/tables/move", {"participant": world.ids["own"]["guest"],
                                                          "table": world.ids["own"]["guest_table"], "lock": "1"}), "move")
        ok(actors["other-participant"].post(f"{o}/questions", {"body": OTHER_SECOND, "key": ""}), "other question")
        frames: dict[int, list[str]] = {n: [] for n in range(len(open_sockets))}
        for phase in ("debate", "poll"):
            for base in (e, o):
                ok(actors["organiser"].post(f"{base}/phase", {"action": "goto", "part": parts[base, phase]}), "phase")
            for n, (identity, where, ws) in enumerate(open_sockets):
                try:
                    read_until(ws, f'data-phase="{phase}"', frames[n])
                except (WebSocketDisconnect, AssertionError) as error:
                    tally.errors.append(f"{where} as {identity.name}: {type(error).__name__} {error}")
    # The other tests look for the first answer: put it back.
    ok(actors["voter"].post(f"{e}/polls/{world.ids['own']['poll']}/vote", {"text": TEXT_ANSWER}), "answer again")
    live = [c for c in world.canaries if c.text in LIVE_CANARIES]
    for n, (identity, where, _ws) in enumerate(open_sockets):
        for frame in frames[n]:
            search(tally, world.canaries, identity.name, f"{where} frame", frame)
            # Who voted what: a fragment that shows an open answer never names the person who gave it.
            if (TEXT_ANSWER in frame or SECOND_TEXT in frame) and VOTER in frame:
                tally.leaks.append(f"{VOTER!r} beside their poll answer in {where} as {identity.name}")
    tally.unseen = [c.text for c in live if c.text not in tally.seen]
    summary(tally, "role matrix, WebSocket")


def test_no_live_view_opens_with_an_expired_link(world: World) -> None:
    """With the clock past the links' expiry, every link holder's socket is refused; the organiser's is not."""
    tally = Tally()
    with clock_after_expiry(world):
        for view, guard in VIEWS.items():
            for identity in world.expired:
                expected = passes(guard, identity, "own")
                tally.requests += 1
                try:
                    with connect(world.client, WS_PATH.format(view=view, key=SLUG), identity) as ws:
                        frame = ws.receive_text()
                    tally.allowed += 1
                    search(tally, world.canaries, identity.name, f"WS {view}", frame)
                    if not expected:
                        tally.unexpected_allows.append(f"WS {view} as {identity.name} after expiry")
                except WebSocketDisconnect:
                    tally.refused += 1
                    if expected:
                        tally.unexpected_refusals.append(f"WS {view} as {identity.name} after expiry")
    organiser = next(i for i in world.expired if i.name == "organiser")
    assert tally.allowed == sum(passes(guard, organiser, "own") for guard in VIEWS.values()) > 0  # the organiser's
    summary(tally, "role matrix, WebSocket after expiry")


# --- the other event's ids through this event's URLs --------------------------------------------------


OTHER_EVENT_STATE = [
    "SELECT id, status, starred, body, merged_into_id FROM question WHERE event_id = :e ORDER BY id",
    "SELECT id, status FROM invitation WHERE event_id = :e ORDER BY id",
    "SELECT b.id, b.approved, b.text, b.participant_id FROM poll_ballot b JOIN poll_question q ON q.id = b.question_id "
    "WHERE q.event_id = :e ORDER BY b.id",
    "SELECT id, status, prompt FROM poll_question WHERE event_id = :e ORDER BY id",
    "SELECT h.normalised FROM poll_hidden_word h JOIN poll_question q ON q.id = h.question_id WHERE q.event_id = :e",
    "SELECT id, name, municipality_id, invite_token_hash, link_version FROM participant WHERE event_id = :e ORDER BY id",
    "SELECT id, revoked_at, version, token_hash FROM role_link WHERE event_id = :e ORDER BY id",
    "SELECT id, name, capacity, video_url, host_name, host_link_id FROM lunch_table WHERE event_id = :e ORDER BY id",
    "SELECT s.participant_id, s.table_id, s.locked FROM seat s JOIN seating_round r ON r.id = s.round_id "
    "WHERE r.event_id = :e ORDER BY s.participant_id",
    "SELECT id, kind, title, starts_at, ends_at FROM programme_part WHERE event_id = :e ORDER BY id",
    "SELECT id FROM import_batch WHERE event_id = :e ORDER BY id",
    "SELECT id, label, hidden, proposed_by FROM agenda_theme WHERE event_id = :e ORDER BY id",
    "SELECT p.theme_id, p.participant_id FROM agenda_pick p JOIN agenda_theme t ON t.id = p.theme_id "
    "WHERE t.event_id = :e ORDER BY p.theme_id, p.participant_id",
    "SELECT status, current_part_id, api_version, premoderation, allow_anonymous FROM event WHERE id = :e",
]


def test_the_other_events_ids_are_refused_through_this_events_urls(world: World) -> None:
    """Moderator, participant and organiser of the demo event send, to the demo event's URLs, forms that work with
    the demo event's ids (each proven by a control request) but carry the other event's ids: every one is refused,
    and nothing of the other event changes."""
    s, own, other = world.settings, world.ids["own"], world.ids["other"]
    e = f"/e/{SLUG}"
    by_name = {i.name: i for i in world.identities}
    zwolle = str(one(s, "SELECT id FROM municipality WHERE name = 'Zwolle'"))
    table = query(s, "SELECT name, capacity, video_url, topic, host_name FROM lunch_table WHERE id = :t", t=int(own["table"]))[0]
    table_form = dict(zip(("name", "capacity", "video_url", "topic", "host_name"), map(str, table), strict=True))
    table_form["host_municipality"] = ""
    part = query(s, "SELECT kind, title, starts_at, ends_at FROM programme_part WHERE id = :p", p=int(own["part"]))[0]
    part_form = dict(zip(("kind", "title", "starts_at", "ends_at"), part, strict=True))
    name, city, title = query(s, "SELECT name, municipality_id, role_title FROM participant WHERE id = :p",
                              p=int(own["participant"]))[0]
    person_form = {"name": name, "municipality": str(city), "role_title": title}
    draft = str(one(s, "SELECT MIN(id) FROM poll_question WHERE event_id = :e AND status = 'draft'", e=world.event_ids["own"]))
    lotte = str(one(s, "SELECT id FROM participant WHERE name = :n", n=LOTTE))
    # Open invitations and waiting imports in both events (the route matrix may have answered or confirmed the
    # seeded ones): against a closed one, a refusal would prove nothing.
    actors, o = world.actors, f"/e/{world.slugs['other']}"
    active = "SELECT MAX(id) FROM invitation WHERE participant_id = :p AND status IN ('pending', 'ready')"
    ok(actors["moderator"].post(f"{e}/moderator/invite", {"participant": own["participant"]}), "invite")
    ok(actors["other-moderator"].post(f"{o}/moderator/invite", {"participant": other["participant"]}), "invite")
    invitation = {event: str(one(s, active, p=int(world.ids[event]["participant"]))) for event in ("own", "other")}
    batch = {}
    for event, base, csv_name in (("own", e, "Kees Controle"), ("other", o, "Karel Controle")):
        ok(upload(actors["organiser"], f"{base}/organiser/import", f"naam;gemeente\n{csv_name};Zwolle\n".encode()), "import")
        batch[event] = str(one(s, "SELECT MAX(id) FROM import_batch WHERE event_id = :e", e=world.event_ids[event]))
    # (who, method, URL or form with the other event's id, form, and the same request with this event's id if
    # that is safe: a URL (same form), or a URL and form)
    attempts = [
        ("moderator", "POST", f"{e}/moderator/questions/{other['question']}", {"action": "star"},
         f"{e}/moderator/questions/{own['question']}"),
        ("moderator", "POST", f"{e}/moderator/questions/{own['question']}", {"action": "merge", "into": other["question"]}, None),
        ("moderator", "POST", f"{e}/moderator/invite", {"participant": other["participant"]}, None),
        ("moderator", "POST", f"{e}/moderator/invite", {"participant": own["participant"], "question": other["question"]}, None),
        ("participant", "POST", f"{e}/questions/{other['question']}/vote", {"up": "1"}, f"{e}/questions/{own['question']}/vote"),
        ("participant", "POST", f"{e}/invitations/{invitation['other']}", {"ready": "1"}, f"{e}/invitations/{invitation['own']}"),
        ("participant", "POST", f"{e}/polls/{other['poll']}/vote", {"text": "Gekaapt antwoord"}, f"{e}/polls/{own['poll']}/vote"),
        ("moderator", "POST", f"{e}/moderator/invitations/{invitation['other']}", {"outcome": "withdrawn"},
         f"{e}/moderator/invitations/{invitation['own']}"),
        ("moderator", "POST", f"{e}/polls/{other['poll']}/open", {}, f"{e}/polls/{own['poll']}/open"),
        ("moderator", "POST", f"{e}/polls/{other['poll']}/close", {}, None),
        ("moderator", "POST", f"{e}/polls/{other['poll']}/words", {"word": "kanarie", "hidden": "1"},
         f"{e}/polls/{own['words_poll']}/words"),
        ("moderator", "POST", f"{e}/polls/answers/{other['ballot']}", {"approved": "1"}, f"{e}/polls/answers/{own['ballot']}"),
        ("moderator", "POST", f"{e}/agenda/themes/{other['theme']}", {"action": "show"}, f"{e}/agenda/themes/{own['theme']}"),
        ("moderator", "POST", f"{e}/agenda/themes/{other['theme']}", {"action": "hide"}, None),
        ("participant", "POST", f"{e}/agenda/picks", {"theme": other["theme"]}, None),
        ("organiser", "POST", f"{e}/phase", {"action": "goto", "part": other["part"]},
         (f"{e}/phase", {"action": "goto", "part": own["part"]})),
        ("organiser", "POST", f"{e}/tables/move", {"participant": other["participant"], "table": own["table"]}, None),
        ("organiser", "POST", f"{e}/tables/move", {"participant": own["participant"], "table": other["table"]}, None),
        ("organiser", "POST", f"{e}/tables/{other['table']}/host", {"name": "Indringer", "municipality": zwolle}, None),
        ("organiser", "POST", f"{e}/tables/{other['table']}/edit", table_form, f"{e}/tables/{own['table']}/edit"),
        ("organiser", "POST", f"{e}/organiser/parts/{other['part']}", part_form, f"{e}/organiser/parts/{own['part']}"),
        ("organiser", "POST", f"{e}/organiser/parts/{other['part']}", {"delete": "1"}, None),
        ("organiser", "POST", f"{e}/organiser/polls/{other['poll']}", {"delete": "1"}, f"{e}/organiser/polls/{draft}"),
        ("organiser", "POST", f"{e}/organiser/participants/{other['participant']}", person_form,
         f"{e}/organiser/participants/{own['participant']}"),
        ("organiser", "POST", f"{e}/organiser/participants/{other['participant']}", {"delete": "1"}, None),
        ("organiser", "GET", f"{e}/organiser/participants/{other['participant']}/export", {},
         f"{e}/organiser/participants/{own['participant']}/export"),
        ("organiser", "POST", f"{e}/organiser/import/{batch['other']}", {}, f"{e}/organiser/import/{batch['own']}"),
        ("organiser", "POST", f"{e}/organiser/links/participant/{other['participant']}", {"action": "reissue"},
         f"{e}/organiser/links/participant/{lotte}"),
        ("organiser", "POST", f"{e}/organiser/links/role/{other['role_link']}", {"action": "revoke"}, None),
    ]
    before = [query(s, sql, e=world.event_ids["other"]) for sql in OTHER_EVENT_STATE]
    problems = []
    for who, method, url, form, control in attempts:
        identity = by_name[who]
        response = send(world.client, method, url, identity, form)
        if outcome(response) not in (INVALID, MISSING):
            problems.append(f"{method} {url} {form} as {who}: {response.status_code}, expected 404 or 422")
        if control:
            url, form = control if isinstance(control, tuple) else (control, form)
            response = send(world.client, method, url, identity, form)
            if outcome(response) != OK:  # the form is right: the refusal above was for the id alone
                problems.append(f"control {method} {url} {form} as {who}: {response.status_code} {response.text[:200]}")
    after = [query(s, sql, e=world.event_ids["other"]) for sql in OTHER_EVENT_STATE]
    changed = [sql for sql, b, a in zip(OTHER_EVENT_STATE, before, after, strict=True) if b != a]
    print(f"\ncross-event ids: {len(attempts)} attempts, {sum(1 for a in attempts if a[4])} controls, "
          f"{len(problems)} problems, {len(changed)} changed tables of the other event")
    assert problems == [] and changed == [], "\n".join(problems + [f"changed: {sql}" for sql in changed])


# --- malformed, revoked, re-issued and expired tokens --------------------------------------------------


def _grants(response) -> dict:
    """The grants in a session cookie the response sets (a refusal may set one to count failures: never a grant)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}=") and not header.startswith(f'{SESSION_COOKIE}=""'):
            value = header.split(";", 1)[0].split("=", 1)[1]
            data = json.loads(b64decode(
                TimestampSigner(SECRET, salt="samen.session").unsign(value.encode(), max_age=SESSION_MAX_AGE)))
            return {k: v for k, v in data.items() if k in ("p", "r", "org")}
    return {}


def test_malformed_revoked_reissued_and_expired_tokens_are_refused(world: World) -> None:
    s, client = world.settings, world.client
    anonymous = Identity("anonymous")
    malformed = ["x", "x" * 15, "x" * 32, "!" * 32, "é" * 24, "%00" * 24, "abcdefgh%00ijklmnopqrstuv", "x" * 5000,
                 "%2E%2E%2F%2E%2E%2Forganiser", "%E2%80%AE" * 8, link_token(SECRET, "geen-link", 1),
                 link_token("another-secret", f"demo:participant:{ERIK}", 1)]
    dead = {"revoked participant": f"/j/{link_token(SECRET, f'demo:participant:{JAN}', 1)}",
            "re-issued participant, old link": f"/j/{link_token(SECRET, f'demo:participant:{LOTTE}', 1)}",
            "revoked moderator": f"/r/{link_token(SECRET, 'demo:moderator:Assistent moderatie', 1)}",
            "re-issued host, old link": f"/r/{link_token(SECRET, f'demo:host:{HOST_REISSUED}', 1)}"}
    alive = {"re-issued participant, new link": f"/j/{participant_token(s, LOTTE)}",
             "re-issued host, new link": f"/r/{role_token(s, HOST_REISSUED)}"}
    problems, checks = [], 0

    def expect(label: str, url: str, wanted: set[str], identity: Identity = anonymous, need_grant: bool = False) -> None:
        nonlocal checks
        checks += 1
        try:
            response = send(client, "GET", url, identity)
        except Exception as error:  # noqa: BLE001
            problems.append(f"{label} {url[:80]}: {type(error).__name__}: {error}")
            return
        if outcome(response) not in wanted:
            problems.append(f"{label} {url[:80]}: {response.status_code}, expected {sorted(wanted)}")
        if bool(_grants(response)) != need_grant:
            problems.append(f"{label} {url[:80]}: grants in the cookie: {_grants(response)}")

    for label, url in alive.items():  # first: a flood of bad links may hold back newcomers for a minute
        expect(label, url, {OK}, need_grant=True)
    for token in malformed:
        for prefix in ("/j/", "/r/"):
            expect("malformed", prefix + token, {DENY, MISSING})
    for label, url in dead.items():
        expect(label, url, {DENY})
    with clock_after_expiry(world):
        expect("expired participant link", f"/j/{participant_token(s, FATIMA)}", {DENY})
        expect("expired role link", f"/r/{role_token(s, 'Gespreksleider')}", {DENY})
    # The API's bearer token: malformed, the other event's, rotated away, wrong scheme; then the right one.
    own_token, other_token = current_api_token(s, SLUG), current_api_token(s, world.slugs["other"])
    api = f"/api/v1/events/{SLUG}/on-air"
    for header in ("", "Bearer", "Bearer ", "Bearer x", f"Bearer {other_token}", f"Bearer {own_token.lower()}",
                   f"Bearer {own_token}x", f"Basic {own_token}", f"Bearer {'x' * 4000}",
                   f"Bearer {link_token(SECRET, 'api:1', 1)}"):
        checks += 1
        response = client.get(api, headers={"authorization": header} if header else {})
        if outcome(response) != DENY:
            problems.append(f"API with {header[:40]!r}: {response.status_code}")
    for token in ("%00", "x" * 32, other_token):
        checks += 1
        if outcome(client.get(f"{api}?token={token}")) != DENY:
            problems.append(f"API with ?token={token[:20]}")
    checks += 1
    if client.get(api, headers={"authorization": f"Bearer {own_token}"}).status_code != 200:
        problems.append("the current API token does not work")
    print(f"\ntokens: {checks} checks, {len(problems)} problems")
    assert problems == [], "\n".join(problems)


# --- anonymity, also towards the moderator ------------------------------------------------------------


def test_an_anonymous_question_stays_anonymous_for_the_moderator_and_in_exports(world: World) -> None:
    """The moderator's people list holds every name (to invite someone to react), so the canary search cannot see
    it: here the anonymous question's own entry in the queue must not identify its asker, not even by their id
    (which the people list maps to a name), and no export ties a name to an anonymous question or a poll answer."""
    s, client = world.settings, world.client
    moderator = next(i for i in world.identities if i.name == "moderator")
    organiser = next(i for i in world.identities if i.name == "organiser")
    author = str(one(s, "SELECT id FROM participant WHERE name = :n", n=ANON_AUTHOR))
    question = world.ids["own"]["question"]

    def entry(html: str) -> str:
        found = re.search(rf'<li id="queue-{question}".*?</li>\s*(?=<li id="queue-|</ol>)', html, re.S)
        assert found, "the anonymous question is not in the moderator's queue"
        return found.group(0)

    def identifies(html: str) -> list[str]:
        return [what for what, needle in (("name", ANON_AUTHOR), ("participant id", f'value="{author}"'))
                if needle in html]

    page = send(client, "GET", f"/e/{SLUG}/moderator", moderator).text
    assert ANON_QUESTION in entry(page)
    assert identifies(entry(page)) == [], "the moderator's queue identifies the anonymous asker"
    with connect(client, f"/ws/moderator/{SLUG}", moderator) as ws:
        frames: list[str] = []
        read_until(ws, 'id="moderation-queue"', frames)
    assert identifies(entry(frames[-1])) == [], "the live queue identifies the anonymous asker"
    # Inviting the asker of the anonymous question to react must not reveal them either.
    invited = send(client, "POST", f"/e/{SLUG}/moderator/invite", moderator, {"question": question})
    assert invited.status_code == 200, invited.text
    invitation = one(s, "SELECT id FROM invitation WHERE participant_id = :p", p=int(author))  # the asker's
    queue = send(client, "GET", f"/e/{SLUG}/moderator", moderator).text
    invitations = re.search(r'<ul class="plain invitations">.*?</ul>', queue, re.S).group(0)
    listed = re.search(rf'<li data-invitation="{invitation}">.*?</li>', invitations, re.S)
    assert listed, "the invitation of the anonymous question's asker is not in the moderator's list"
    assert ANON_AUTHOR not in listed.group(0), "the invitation names the anonymous asker"
    for url, who in ((f"/e/{SLUG}/moderator/questions.csv", moderator), (f"/e/{SLUG}/polls/results.csv", moderator),
                     (f"/e/{SLUG}/organiser/export.zip", organiser), (f"/e/{SLUG}/organiser/report", organiser)):
        response = send(client, "GET", url, who)
        if url.endswith(".zip"):  # the seating (tafels.csv) lists every guest by name, and names no question
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                text = "\n".join(archive.read(n).decode() for n in archive.namelist() if n != "tafels.csv")
        else:
            text = readable(response)
        assert ANON_AUTHOR not in text and VOTER not in text, url
