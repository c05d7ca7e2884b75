"""Hostile input over HTTP, to every route the app has.

The routes are walked from ``app.routes`` (into Mounts), and the form fields and query parameters of each one are
read from its handler's source, so a new route or field is fuzzed without anyone adding it here. Each form post is
sent signed in as the role that may use it (``who_may``: a new route outside the organiser's paths is tried as
every signed-in role), starting from what a real form sends and making one or two fields hostile: empty,
whitespace, huge, control characters and NUL, other scripts, numbers out of range and in other digits, unknown ids
and the other event's ids; fields left out or sent twice; other content types, broken encodings, bodies over the
size cap, cross-site headers. A deterministic sweep gives every field and path parameter of every form the values
that broke handlers before. GET routes get fuzzed path parameters, query strings and other methods; the token API
gets methods, query strings and odd headers (tests/web/test_api.py already fuzzes its slugs and the Authorization
header against the OpenAPI schemas).

The properties: never a server error (5xx); a refused request answers with a readable message and leaves every
table exactly as it was (only the throttle may count a failed guess); after an accepted change the participant's
and the organiser's pages still work; a GET changes nothing (only the throttle may count a failed guess)."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import text
from starlette.routing import Mount, Route

from app.config import Settings
from app.demo import CODE
from app.events.access import PAGE_ROLES
from app.events.models import PartKind
from app.events.service import PHASE_ACTIONS
from app.i18n import LOCALES
from app.main import create_app
from app.models import metadata
from app.organiser.api import OPENAPI
from app.polls.models import POLL_KINDS, RESULT_MODES
from app.questions.routes import ACTION_NAMES
from tests.conftest import ORIGIN, SLUG, Browser, text_of
from tests.support.api import bearer, expected_token, validate
from tests.support.web import GOOD_CSV, busy, signed_in, upload, walk_routes

ANYONE = "anyone"
ORGANISER = "organiser:Secretariaat G40"
MODERATOR = "moderator:Gespreksleider"
PARTICIPANT = "participant:Erik van Dijk"
PRESENTER = "presenter:Presentatiescherm"
HOST = "host:Annemiek de Vries"
SIGNED_IN = (PARTICIPANT, MODERATOR, ORGANISER)
# busy() (tests/support/web.py) needs these people signed in; Erik is the one who fuzzes.
BUSY_PEOPLE = (ORGANISER, MODERATOR, PARTICIPANT, "participant:Fatima Bouzid", "participant:Jan de Boer")


# --- the routes, walked from the app -------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    endpoint: Callable | None  # None for a mounted app without routes (static files)

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)(?::\w+)?}", self.path)


def walk(routes: list) -> Iterator[RouteInfo]:
    for path, route in walk_routes(routes):
        if isinstance(route, Mount):  # a mounted app (StaticFiles): every path under it is its own
            yield RouteInfo(path, frozenset({"GET", "HEAD"}), None)
        elif isinstance(route, Route):
            yield RouteInfo(path, frozenset(route.methods or {"GET", "HEAD"}), route.endpoint)
        # WebSocket routes: bench/frame_flood.py and tests/multiprocess/test_frame_flood.py


# Building the app touches no database (that happens in its lifespan): the route table is known at import time.
ROUTES = list(walk(create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="routes-only")).routes))
POSTS = [r for r in ROUTES if "POST" in r.methods]
GETS = [r for r in ROUTES if "GET" in r.methods]

# Who may use each form post. A route not named here is fuzzed as every signed-in role.
WHO_MAY = {
    "/join": ANYONE,
    "/lang": ANYONE,
    "/leave": ANYONE,
    "/organiser/login": ANYONE,
    "/organiser/logout": ANYONE,  # as the organiser it would end the session the organiser fuzz runs in
    "/e/{slug}/questions": PARTICIPANT,
    "/e/{slug}/questions/{question_id}/vote": PARTICIPANT,
    "/e/{slug}/invitations/{invitation_id}": PARTICIPANT,
    "/e/{slug}/polls/{question_id}/vote": PARTICIPANT,
    "/e/{slug}/table/topic": PARTICIPANT,
    "/e/{slug}/table/open": PARTICIPANT,
    "/e/{slug}/agenda/picks": PARTICIPANT,
    "/e/{slug}/agenda/propose": PARTICIPANT,
    "/e/{slug}/phase": MODERATOR,
    "/e/{slug}/moderator/questions/{question_id}": MODERATOR,
    "/e/{slug}/moderator/invite": MODERATOR,
    "/e/{slug}/moderator/invitations/{invitation_id}": MODERATOR,
    "/e/{slug}/polls/{question_id}/words": MODERATOR,
    "/e/{slug}/polls/answers/{ballot_id}": MODERATOR,
    "/e/{slug}/polls/{question_id}/{action}": MODERATOR,
    "/e/{slug}/agenda/themes": MODERATOR,
    "/e/{slug}/agenda/themes/{theme_id}": MODERATOR,
}


def who_may(route: RouteInfo) -> tuple[str, ...]:
    if route.path in WHO_MAY:
        return (WHO_MAY[route.path],)
    if route.path.startswith(("/organiser", "/e/{slug}/organiser", "/e/{slug}/tables")):
        return (ORGANISER,)
    return SIGNED_IN


# --- the fields of each route, read from its handler ---------------------------------------------------

# `data.get("x")`, `form.getlist("x")`, `(await request.form()).get("x")`, `request.query_params.get("x")`
FIELD_READ = re.compile(r"""([\w)]+)\.(?:get|getlist)\(\s*["'](\w+)["']""")
FORM_CLASS = re.compile(r"\b(\w+)\.(\w+Form)\b")
FIELD_TUPLE = re.compile(r"for \w+ in \(([^)]*)\)")


def _sources(endpoint: Callable) -> tuple[list[str], dict]:
    """The handler's source and that of the module's helpers it calls (e.g. _event_form), and its globals."""
    fn = inspect.unwrap(endpoint)
    module = inspect.getmodule(fn)
    source = inspect.getsource(fn)
    sources = [source]
    for name in set(re.findall(r"\b(_\w+)\(", source)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper):
            sources.append(inspect.getsource(helper))
    return sources, fn.__globals__


def discovered(route: RouteInfo) -> tuple[list[str], list[str]]:
    """(form fields, query parameters) the handler reads."""
    if route.endpoint is None:
        return [], []
    sources, names = _sources(route.endpoint)
    form, query = set(), set()
    for source in sources:
        for receiver, name in FIELD_READ.findall(source):
            if receiver in ("data", "form") or receiver.endswith(")"):
                form.add(name)
            elif receiver == "query_params":
                query.add(name)
        for names_in in FIELD_TUPLE.findall(source):  # {k: data.get(k) for k in ("name", "email", ...)}
            form.update(re.findall(r"""["'](\w+)["']""", names_in))
        for module, cls in FORM_CLASS.findall(source):  # e.g. setup.PartForm(**{f: data.get(f) ...})
            found = getattr(names.get(module), cls, None)
            if is_dataclass(found):
                form.update(f.name for f in fields(found))
    return sorted(form), sorted(query)


FIELDS = {route.path: discovered(route) for route in ROUTES}
# Fields that are only ever compared with "1" (a checkbox): no value can do more than leave the box unticked.
FLAG = re.compile(r"""\.get\(\s*["'](\w+)["']\s*\)\s*==\s*["']1["']""")
FLAGS = {name for route in POSTS for source in _sources(route.endpoint)[0] for name in FLAG.findall(source)}
VOCABULARY = sorted({name for form, query in FIELDS.values() for name in form + query})


# --- values --------------------------------------------------------------------------------------------

NUMBERS = ["0", "-1", "1", "2", "+1", " 1", "1 ", "01", "1.0", "1e3", "0x1f", "1_0", "²", "¹²", "١٢", "٣", "Ⅻ", "𝟙",
           "NaN", "inf", str(2**31 - 1), str(2**31), str(2**32), str(2**63 - 1), str(2**63), str(2**64), "9" * 11,
           "9" * 40, "-" + "9" * 30]
ODD = ["", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u200b", "\x00", "a\x00b", "\x00" * 10, "\x1b[2J", "\x7f",
       "\x85", "\ufeff", "\ufffd", "\u202egnp.exe", "e\u0301", "😀" * 3, "ﷺ" * 40, "<script>alert(1)</script>",
       "\"'><img src=x onerror=alert(1)>", "' OR 1=1 --", "{{ 7*7 }}", "%s%n%x", "../../etc/passwd", "javascript:alert(1)",
       "//evil.example", "https://evil.example/", "http://x", "\\\\evil", "/\\evil.example", "null", "undefined", "[]", "{}"]
VALID = sorted({"1", "on", "true", "other", CODE, CODE.lower(), "Zwolle", *LOCALES, "fr", *PHASE_ACTIONS,
                *ACTION_NAMES, *PartKind, *POLL_KINDS, *RESULT_MODES, *PAGE_ROLES, "participant", "role",
                "preview", "publish", "new_round", "rebalance", "reissue", "revoke", "open", "close", "ready", "yes",
                "no", "2026-12-04", "9999-12-31", "2026-02-30", "2026-13-01", "20261204",
                "2026-W49-5", "11:30", "12:15", "24:00", "23:59", "11.30", "1130", "-1:00",
                "https://teams.microsoft.com/l/meetup-join/x", "https://meet.jit.si/samen", "naam;gemeente\nA;Zwolle",
                "Samen", "Erik van Dijk", "organisator", "/e/" + SLUG})


class Huge(str):
    """A long value that prints short in hypothesis' failure reports."""

    def __repr__(self) -> str:
        return f"Huge({self[:8]!r} ... {len(self)} characters)"


HUGE = st.builds(lambda unit, times: Huge(unit * times), st.sampled_from(["x", "é", "\x00", "😀", "ab\n", " ", "9", "<b>"]),
                 st.sampled_from([61, 81, 121, 301, 501, 1_001, 2_001, 65_537]))
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)  # includes control characters


def values(ids: list[int]) -> st.SearchStrategy[str]:
    """A form or query value. ``ids``: every row id in the database (this event's and the other event's)."""
    return st.one_of(
        st.sampled_from(VALID),
        st.sampled_from(NUMBERS),
        st.sampled_from(ODD),
        st.sampled_from(ids).map(str),
        HUGE,
        ANY_TEXT,
    )


# Which tables a parameter or field named so refers to: its ids are offered most (this event's and the other's).
ID_SOURCES = {
    "question_id": ("question", "poll_question"), "invitation_id": ("invitation",), "ballot_id": ("poll_ballot",),
    "part_id": ("programme_part",), "participant_id": ("participant",), "batch_id": ("import_batch",),
    "table_id": ("lunch_table",), "item_id": ("participant", "role_link"), "participant": ("participant",),
    "table": ("lunch_table",), "into": ("question",), "question": ("question", "poll_question"),
    "option": ("poll_option",), "part": ("programme_part",), "municipality": ("municipality",),
    "host_municipality": ("municipality",),
}


def ids_for(name: str, stage: Stage) -> st.SearchStrategy[str]:
    own = sorted({i for table in ID_SOURCES.get(name, ()) for i in stage.by_table.get(table, [])})
    return st.one_of(*([st.sampled_from(own).map(str)] * 3 if own else []), st.sampled_from(stage.ids).map(str))


def path_value(name: str, stage: Stage) -> st.SearchStrategy[str]:
    ids, other_slug = stage.ids, stage.other_slug
    if name == "slug":
        return st.one_of(st.just(SLUG), st.just(SLUG), st.just(SLUG), st.just(other_slug),
                         st.sampled_from(["", SLUG.upper(), SLUG + "\x00", "x" * 61, "..", "%00", "bestaat-niet"]),
                         ANY_TEXT)
    if name.endswith("_id"):
        return st.one_of(ids_for(name, stage), ids_for(name, stage), st.sampled_from(ids).map(str),
                         st.sampled_from(NUMBERS + ["", "abc", "1;2", "1 OR 1=1"]))
    choices = {"view": [*PAGE_ROLES, "participant", "admin"], "action": ["open", "close", "delete"],
               "kind": ["participant", "role", "organiser"], "path": ["css/app.css", "js/htmx.min.js", "../app/config.py",
                                                                        "..%2f..%2fpyproject.toml", "nope.js"],
               "token": ["x" * 32, "-" * 16, "a" * 65]}.get(name, [])
    return st.one_of(st.sampled_from(choices or ["x"]), ANY_TEXT, HUGE.filter(lambda v: len(v) < 1500))


# What a real form would send, by field name: most fields of an example start from one of these, so that the
# hostile value in another field gets past the usual first checks and reaches the code behind them. (No event
# code for the purge's "confirm": the fuzz must not wipe the people it signs in as.)
GOOD = {
    "action": [*PHASE_ACTIONS, *ACTION_NAMES, "preview", "publish", "new_round", "rebalance", "reissue", "revoke"],
    "anonymous": ["1"], "allow_anonymous": ["1"], "premoderation": ["1"], "approved": ["1"], "archived": ["1"],
    "hidden": ["1"], "lock": ["1"], "up": ["1"], "ready": ["1"], "delete": [""],
    "body": ["Hoe gaan we verder?"], "text": ["Samen verder"], "word": ["samen"], "topic": ["Wonen"],
    "title": ["Extra"], "description": ["Uitleg"], "name": ["Anna Nieuw", "Tafel Nieuw"], "label": ["Assistent"],
    "prompt": ["Wat vindt u?"], "options": ["Ja\nNee", "a\nb\nc"], "max_choices": ["2"], "capacity": ["8"],
    "seed": ["1", "42"], "value": ["3"], "kind": [*PartKind, *POLL_KINDS, "participant", "role"],
    "results": list(RESULT_MODES), "role": ["moderator", "presenter"], "day": ["2026-12-04", "2027-01-15"],
    "starts_at": ["11:30"], "ends_at": ["12:15"], "default_locale": list(LOCALES), "lang": list(LOCALES),
    "code": [CODE], "next": ["/", f"/e/{SLUG}"], "username": ["organisator"], "password": ["fout-wachtwoord"],
    "outcome": ["done", "withdrawn"], "video_url": ["https://meet.jit.si/samen"], "host_name": ["Nieuwe Host"],
    "email": ["anna@example.nl"], "role_title": ["Wethouder"], "organisation": ["VNG"], "join_key": ["n" * 32],
    "municipality": ["other"], "file": [GOOD_CSV.decode()],
}


def good(name: str, stage: Stage) -> st.SearchStrategy[str]:
    choices = st.sampled_from(GOOD.get(name, ["1"]))
    return st.one_of(choices, ids_for(name, stage)) if name in ID_SOURCES else choices


@st.composite
def form_pairs(draw: st.DrawFn, route: RouteInfo, stage: Stage) -> list[tuple[str, str]]:
    """The route's fields, each left out, sent once or twice, mostly as a real form would, some hostile; plus
    some fields it does not know."""
    own = FIELDS[route.path][0]
    hostile = draw(st.sets(st.sampled_from(own), min_size=min(1, len(own)), max_size=2)) if own else set()
    pairs = []
    for name in own:
        times = draw(st.sampled_from([0, 1, 1, 1, 1, 1, 2])) if name in hostile else 1
        for _ in range(times):
            pairs.append((name, draw(values(stage.ids) if name in hostile else good(name, stage))))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        pairs.append((draw(st.one_of(st.sampled_from(VOCABULARY), ANY_TEXT)), draw(values(stage.ids))))
    return pairs


# --- bodies --------------------------------------------------------------------------------------------

FILES = st.one_of(
    st.just(GOOD_CSV),
    st.binary(max_size=300),
    st.sampled_from([b"", b"\x00" * 64, b"\xef\xbb\xbfnaam;gemeente\n\x00;\x00\n", b"\xff\xfe" + "naam".encode("utf-16-le"),
                     b"naam;gemeente\n" + b"A;Zwolle\n" * 5_000, b"naam;gemeente\n" + b"x" * 200_000 + b";Zwolle\n",
                     b"PK\x03\x04" + bytes(range(256)), b'naam;gemeente\n"unterminated;Zwolle\n', b"\r\r\r\n\n"]),
)


def multipart(pairs: list[tuple[str, str]], files: list[tuple[str, str, bytes]], boundary: str) -> bytes:
    out = b""
    for name, value in pairs:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode() + \
            value.encode("utf-8", "surrogatepass") + b"\r\n"
    for name, filename, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: text/csv\r\n\r\n").encode("utf-8", "surrogatepass") + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@dataclass
class Body:
    how: str
    headers: dict[str, str]
    content: bytes

    def __repr__(self) -> str:  # hypothesis prints the draws of a failing example: not a megabyte of them
        more = f"... {len(self.content)} bytes" if len(self.content) > 300 else ""
        return f"Body({self.how!r}, {self.headers!r}, {self.content[:300]!r}{more})"


@st.composite
def bodies(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> Body:
    """A form post's body and content type. Mostly what a browser sends, sometimes anything but."""
    how = draw(st.sampled_from(["form"] * 6 + ["multipart"] * 2 + ["raw", "json", "plain", "no-type", "no-boundary",
                                                                    "odd-type", "oversized", "cross-site"]))
    form_type = "application/x-www-form-urlencoded"
    encoded = urlencode(pairs).encode()
    if how == "multipart":
        files = []
        if draw(st.booleans()):
            files.append((draw(st.sampled_from(["file", "file", "body", "x"])),
                          draw(st.sampled_from(["p.csv", "../../p.csv", "", "a\"b.csv", "é\x00.csv"])), draw(FILES)))
        return Body(how, {"content-type": "multipart/form-data; boundary=fuzz0boundary"},
                    multipart(pairs, files, "fuzz0boundary"))
    if how == "raw":  # broken percent escapes, bytes that are not UTF-8, empty names and values, too many fields
        junk = draw(st.sampled_from([b"%ZZ=%", b"a=%FF%FE%00", b"=&&=x&", b"\xff\xfe=\x80", b"a" * 70_000 + b"=1",
                                     b"&".join(b"f%d=1" % i for i in range(1_500)), b"a=1;b=2", b"%%%%=%%"]))
        return Body(how, {"content-type": form_type}, encoded + b"&" + junk)
    if how == "json":
        return Body(how, {"content-type": "application/json"}, json.dumps(dict(pairs)).encode())
    if how == "plain":
        return Body(how, {"content-type": "text/plain"}, encoded)
    if how == "no-type":
        return Body(how, {}, encoded)
    if how == "no-boundary":
        return Body(how, {"content-type": "multipart/form-data"}, multipart(pairs, [], "x"))
    if how == "odd-type":
        kind = draw(st.sampled_from(["multipart/form-data; boundary=", 'multipart/form-data; boundary="', "application/"
                                     "x-www-form-urlencoded; charset=bogus", "multipart/mixed; boundary=x", "*/*", "\x00",
                                     "multipart/form-data; boundary=" + "b" * 300]))
        return Body(how, {"content-type": kind}, encoded)
    if how == "oversized":  # over the 1 MB body cap
        return Body(how, {"content-type": form_type}, encoded + b"&pad=" + b"x" * 1_000_001)
    return Body(how, {"content-type": form_type}, encoded)  # "form" and "cross-site" (the headers differ, below)


# --- the stage: a busy event, another event, and who is signed in --------------------------------------


@dataclass
class Stage:
    app: object
    client: object
    people: dict[str, Browser]
    ids: list[int] = field(default_factory=list)
    by_table: dict[str, list[int]] = field(default_factory=dict)
    sqlite: sqlite3.Connection | None = None
    changed: bool = False  # an accepted change since the pages were last checked
    other_slug: str = ""
    token: str = ""

    def read(self, fn: Callable) -> object:
        """Run ``fn(session)`` on the app's own engine, in the app's event loop (cheap: no new connection)."""

        async def go() -> object:
            async with self.app.state.db.read() as session:
                return await fn(session)

        return self.client.portal.call(go)

    def fingerprint(self) -> dict[str, str]:
        """A digest of every table's rows. On SQLite read with a plain sqlite3 connection in this thread (a tenth
        of the cost of going through the app's async engine: this runs after every request)."""
        url = self.app.state.settings.database_url
        if url.startswith("sqlite"):
            if self.sqlite is None:
                self.sqlite = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
            return {name: _digest(self.sqlite.execute(f"SELECT * FROM {name}").fetchall()) for name in TABLES}

        async def digests(session) -> dict[str, str]:
            return dict((await session.execute(PG_DIGESTS)).one()._mapping)

        return self.read(digests)


# PostgreSQL: every table's digest in one round trip (each row as text, in a fixed order).
PG_DIGESTS = text("SELECT " + ", ".join(
    f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {name} t) AS {name}"
    for name in sorted(metadata.tables)))


TABLES = sorted(metadata.tables)


def _digest(rows: list) -> str:
    return hashlib.sha256("\n".join(sorted(repr(tuple(row)) for row in rows)).encode()).hexdigest()[:16]


@pytest.fixture
def stage(settings, demo, browser, client, app) -> Iterator[Stage]:
    people = signed_in(browser, demo, (*BUSY_PEOPLE, PRESENTER, HOST))
    busy(settings, people)  # a question on air with a vote, polls opened with votes, a published seating
    organiser = people[ORGANISER]
    people[PARTICIPANT].post(f"/e/{SLUG}/questions", {"body": "Nog niet beoordeeld", "key": ""})  # a pending one
    assert organiser.post(f"/e/{SLUG}/organiser/duplicate", follow_redirects=False).status_code == 303
    assert upload(organiser, f"/e/{SLUG}/organiser/import", GOOD_CSV).status_code == 200  # a batch waiting
    stage = Stage(app, client, people, token=expected_token(settings))

    async def ids_and_slug(session) -> tuple:
        by_table = {}
        for name, table in metadata.tables.items():
            if "id" in table.c:
                by_table[name] = list((await session.execute(text(f"SELECT id FROM {name}"))).scalars())
        found = {i for ids in by_table.values() for i in ids}
        other = (await session.execute(text("SELECT slug FROM event WHERE slug != :s"), {"s": SLUG})).scalar_one()
        fatima = (await session.execute(text("SELECT id FROM participant WHERE name = 'Fatima Bouzid'"))).scalar_one()
        mine = set((await session.execute(text("SELECT id FROM participant WHERE name = 'Erik van Dijk' UNION "
                                                "SELECT id FROM role_link WHERE label IN ('Gespreksleider', "
                                                "'Presentatiescherm', 'Annemiek de Vries')"))).scalars())
        return sorted(found), by_table, other, fatima, mine

    stage.ids, by_table, stage.other_slug, fatima, mine = stage.read(ids_and_slug)
    before = stage.fingerprint()
    # Those who fuzz must stay who they are: no id of theirs (Erik's participant row, the moderator's link) is
    # offered, so a valid "delete", "revoke" or "reissue" never signs them out halfway through.
    stage.ids = [i for i in stage.ids if i not in mine]
    stage.by_table = {name: [i for i in ids if i not in mine] or [0] for name, ids in by_table.items()}
    assert people[MODERATOR].post(f"/e/{SLUG}/moderator/invite", {"participant": str(fatima)}).status_code == 200
    changed = [t for t, digest in stage.fingerprint().items() if digest != before[t]]
    assert changed == ["invitation"], changed  # the fingerprint sees a write, and only where it happened
    yield stage
    if stage.sqlite is not None:
        stage.sqlite.close()


def send(person: Browser, method: str, url: str, headers: dict[str, str], body: bytes = b""):
    """One request in this person's browser, body and headers exactly as given."""
    person._swap()
    try:
        return person.client.request(method, url, content=body or None, headers=headers, follow_redirects=False)
    finally:
        person._keep()


def readable(response) -> bool:
    """A refusal says what is wrong in words: the JSON error, the error page, the status region or the form."""
    if response.request.method == "HEAD":
        return True  # no body, by definition
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        message = response.json().get("error")
        return isinstance(message, str) and len(message) >= 5
    words = text_of(response.text).strip()
    return len(words) >= 5 and "Traceback" not in response.text


def url_of(route: RouteInfo, draw: st.DrawFn, stage: Stage) -> str:
    url = route.path
    for name in route.params:
        url = url.replace(f"{{{name}}}", quote(draw(path_value(name, stage)), safe=""), 1)
    return url


SAME_SITE = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}
CROSS_SITE = [{"origin": "https://evil.example", "sec-fetch-site": "cross-site"}, {"sec-fetch-site": "cross-site"},
              {"origin": "https://evil.example"}, {"origin": "null"}, {"origin": ORIGIN, "sec-fetch-site": "same-site"}]
FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck))
# A failed guess of a secret (the event code, a password) is counted by the throttle, in the database so that every
# process shares the count: the one write a refusal may make.
THROTTLE = ("throttle_count",)


# After a change was accepted, these pages must still work: a stored value can break a later request (a day near
# the end of the calendar made every participant's page a server error once, in links_expired's arithmetic).
AFTER_A_CHANGE = ((PARTICIPANT, f"/e/{SLUG}"),)


def pages_still_work(stage: Stage, what: str) -> None:
    for who, url in AFTER_A_CHANGE:
        status = send(stage.people[who], "GET", url, {}).status_code
        assert status < 500, (what, "then", url, status)


def assert_refusal_changed_nothing(stage: Stage, before: dict[str, str], response, what: str,
                                   may_change: tuple[str, ...] = (), probe: bool = True) -> dict[str, str]:
    """Returns the new fingerprint. ``probe``: after an accepted change, check that the pages still work."""
    may_change += THROTTLE
    after = stage.fingerprint()
    assert response.status_code < 500, (what, response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert readable(response), (what, response.status_code, response.text[:500])
        changed = sorted(t for t in after if after[t] != before[t] and t not in may_change)
        assert not changed, (what, response.status_code, "changed", changed)
    elif after != before:
        stage.changed = True
        if probe:
            pages_still_work(stage, what)
            after = stage.fingerprint()  # the participant's page may seat a late joiner
    return after


# --- form posts ----------------------------------------------------------------------------------------


def test_hostile_form_posts_never_fail_and_refusals_change_nothing(stage, browser):
    state = {"before": stage.fingerprint()}

    # One run over every form post (one stage to set up, not one per role): sized for the file's time budget.
    @hsettings(max_examples=110, **FUZZ)
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(POSTS), label="route")
        role = data.draw(st.sampled_from(who_may(route)), label="as")
        url = url_of(route, data.draw, stage)
        pairs = data.draw(form_pairs(route, stage), label="fields")
        body = data.draw(bodies(pairs), label="body")
        headers = {**body.headers, **(data.draw(st.sampled_from(CROSS_SITE)) if body.how == "cross-site" else SAME_SITE)}
        if data.draw(st.booleans()):
            headers["hx-request"] = "true"
        person = browser() if role == ANYONE else stage.people[role]
        response = send(person, "POST", url, headers, body.content)
        what = f"POST {url[:200]} as {role} ({body.how})"
        if body.how == "cross-site":
            assert response.status_code == 403, what
        if body.how == "oversized":  # refused before any handler runs, whoever asks
            assert response.status_code == 413, (what, response.status_code)
        # A failed sign-in counts against the account (the throttle): that is the one write a refusal makes.
        may_change = ("organiser",) if route.path == "/organiser/login" else ()
        state["before"] = assert_refusal_changed_nothing(stage, state["before"], response, what, may_change)

    fuzz()


# The values that broke handlers before (a digit int() refuses; a number beyond PostgreSQL's INTEGER and SQLite's
# 64 bits; a NUL, which PostgreSQL refuses in text; text longer than every column, which PostgreSQL refuses and
# SQLite stores): every field and every path parameter of every form gets each of them once, all other fields as a
# real form sends them. Deterministic: these never depend on the draw.
SWEEP = ["²", "9" * 20, "a\x00b", Huge("x" * 501)]
# And per kind of field, the edges of its own type.
SWEEP_BY_FIELD = {
    "day": ["9999-12-31", "0001-01-01", "2026-02-30"], "starts_at": ["24:00", "23:60"], "ends_at": ["24:00", "9:5"],
    "video_url": ["https://[", "javascript:alert(1)", "https://x\u202e.example"], "next": ["//evil.example", "/\\evil"],
    "lang": ["xx", "../en"], "code": [CODE + "\x00", CODE.lower()], "default_locale": ["xx"], "seed": ["-1"],
    "capacity": ["1", "51", "-8"], "value": ["0", "6", "-1"], "max_choices": ["0", "13"], "role": ["organiser", "host"],
    "options": ["\n".join(["a"] * 13), "a\na", "\n\n\n"], "kind": ["other", "debate"], "outcome": ["spoke"],
}


def real_path(route: RouteInfo, stage: Stage, odd: tuple[str, str] | None = None) -> str:
    url = route.path
    for name in route.params:
        value = {"slug": SLUG, "view": "moderator", "action": "close", "kind": "participant"}.get(name, "1")
        if name in ID_SOURCES:
            value = str(min(i for table in ID_SOURCES[name] for i in stage.by_table.get(table, [0])))
        if odd and odd[0] == name:
            value = odd[1]
        url = url.replace(f"{{{name}}}", quote(value, safe=""), 1)
    return url


def test_every_field_and_parameter_of_every_form_takes_the_odd_values(stage, browser):
    state = {"before": stage.fingerprint()}
    tried = 0
    # Text longer than its column is an error only PostgreSQL raises (SQLite stores it): that value only there.
    sweep = SWEEP if stage.app.state.settings.database_url.startswith("postgresql") else SWEEP[:3]
    for route in POSTS:
        role = who_may(route)[0]
        own = FIELDS[route.path][0]
        baseline = {name: GOOD.get(name, ["1"])[0] for name in own}
        cases = [(real_path(route, stage), {**baseline, name: odd}) for name in own if name not in FLAGS
                 for odd in sweep + SWEEP_BY_FIELD.get(name, [])]
        # A path parameter is only ever looked up (a slug by its pattern, an id as a number): the numbers only.
        cases += [(real_path(route, stage, (name, odd)), baseline) for name in route.params for odd in SWEEP[:2]]
        # One browser per route for those who need no role: the throttle may step in after some failed guesses
        # (then the answer is its refusal, which must be just as clean).
        anyone = browser()
        for url, form in cases:
            person = anyone if role == ANYONE else stage.people[role]
            response = send(person, "POST", url, {**SAME_SITE, "content-type": "application/x-www-form-urlencoded"},
                            urlencode(form).encode())
            may_change = ("organiser",) if route.path == "/organiser/login" else ()
            what = f"POST {url[:120]} {({k: v[:20] for k, v in form.items()})} as {role}"
            state["before"] = assert_refusal_changed_nothing(stage, state["before"], response, what, may_change,
                                                             probe=False)
            tried += 1
        if stage.changed:  # once per route (not per request): a stored value must not break the pages
            pages_still_work(stage, f"after the odd values for POST {route.path}")
            stage.changed, state["before"] = False, stage.fingerprint()
    assert tried > 350, tried  # every field and parameter, two to four values each


# --- GET routes: path parameters, query strings, other methods -----------------------------------------

VIEWERS = (ANYONE, PARTICIPANT, MODERATOR, PRESENTER, HOST, ORGANISER)
# No state change on GET, except the throttle's count of failed guesses (a wrong link).
GET_MAY_CHANGE = THROTTLE


def test_hostile_gets_and_other_methods_never_fail(stage, browser):
    # First every GET route with real parameters, as every role: what the fuzz below relies on.
    before = stage.fingerprint()
    for route in GETS:
        for who in VIEWERS[1:]:
            url = route.path.replace("{slug}", SLUG).replace("{view}", "moderator").replace("{path}", "app.css")
            url = re.sub(r"{\w+}", "1", url)
            assert send(stage.people[who], "GET", url, {}).status_code < 500, url
    after = stage.fingerprint()
    assert [t for t in after if after[t] != before[t] and t not in GET_MAY_CHANGE] == []
    state = {"before": after}

    @hsettings(max_examples=70, **FUZZ)
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(ROUTES), label="route")
        who = data.draw(st.sampled_from(VIEWERS), label="who")
        method = data.draw(st.sampled_from(["GET"] * 6 + ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "POST"]))
        if method == "POST" and "POST" in route.methods:
            method = "PUT"  # form posts are the other tests' business (and /leave would sign this person out)
        url = url_of(route, data.draw, stage)
        params = [(data.draw(st.one_of(st.sampled_from(FIELDS[route.path][1] or VOCABULARY), st.sampled_from(VOCABULARY),
                                       ANY_TEXT)), data.draw(values(stage.ids)).replace("\x00", "%00")[:1500])
                  for _ in range(data.draw(st.integers(0, 3)))]
        if params:
            url += "?" + urlencode(params)
        person = browser() if who == ANYONE else stage.people[who]
        response = send(person, method, url, dict(SAME_SITE) if method not in ("GET", "HEAD") else {})
        what = f"{method} {url[:200]} as {who}"
        if method not in route.methods and method != "OPTIONS":  # (a trailing slash is redirected first)
            assert response.status_code in (307, 404, 405), (what, response.status_code)
        if method in ("GET", "HEAD"):
            after = stage.fingerprint()
            assert response.status_code < 500, (what, response.status_code, response.text[:500])
            assert response.status_code < 400 or method == "HEAD" or readable(response), (what, response.text[:500])
            assert [t for t in after if after[t] != state["before"][t] and t not in GET_MAY_CHANGE] == [], what
            state["before"] = after
        else:
            state["before"] = assert_refusal_changed_nothing(stage, state["before"], response, what)

    fuzz()


# --- the token API -------------------------------------------------------------------------------------

API_PATHS = sorted(OPENAPI["paths"])


def test_the_api_answers_other_methods_queries_and_headers_as_documented(stage):
    state = {"before": stage.fingerprint()}

    @hsettings(max_examples=40, **FUZZ)
    @given(path=st.sampled_from(API_PATHS + ["/api/v1/openapi.json"]),
           slug=st.one_of(st.just(SLUG), st.just(SLUG), st.sampled_from(["bestaat-niet", "x" * 61])),
           method=st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
           auth=st.sampled_from(["header", "query", "both-wrong-header", "query-twice", "none", "huge", "latin-1"]),
           params=st.lists(st.tuples(st.one_of(st.sampled_from(["token", "slug", "limit", "page", "format"]), ANY_TEXT),
                                     st.one_of(st.sampled_from(NUMBERS + ODD), ANY_TEXT)), max_size=3),
           accept=st.sampled_from(["application/json", "text/html", "*/*", "", "application/xml;q=0.9, \x7f"]))
    def fuzz(path: str, slug: str, method: str, auth: str, params: list, accept: str) -> None:
        headers: dict[str, str] = {"accept": accept} if accept else {}
        query = [(k, v.replace("\x00", "%00")) for k, v in params if k != "token"]
        if auth == "header":
            headers.update(bearer(stage.token))
        elif auth == "query":
            query.append(("token", stage.token))
        elif auth == "both-wrong-header":
            headers.update(bearer("wrong-" + stage.token))
            query.append(("token", stage.token))
        elif auth == "query-twice":
            query += [("token", "wrong"), ("token", stage.token)]
        elif auth == "huge":
            headers.update(bearer("x" * 60_000))
        elif auth == "latin-1":
            headers["authorization"] = "Bearer ÿ" + stage.token
        url = path.replace("{slug}", quote(slug, safe="")) + ("?" + urlencode(query) if query else "")
        if method not in ("GET", "HEAD"):
            headers.update(SAME_SITE)
        response = stage.client.request(method, url, headers={k: v.encode("latin-1") for k, v in headers.items()})
        what = f"{method} {url[:200]} {auth}"
        state["before"] = assert_refusal_changed_nothing(stage, state["before"], response, what)
        if method not in ("GET", "HEAD"):
            assert response.status_code == 405, what
            return
        assert response.status_code in (200, 401, 404), what
        if method == "HEAD":
            return
        if path.endswith("openapi.json"):
            assert response.status_code == 200 and response.json() == OPENAPI
            return
        validate(response.json(), OPENAPI["paths"][path]["get"]["responses"][str(response.status_code)]["content"][
            "application/json"]["schema"])
        if response.status_code == 200:
            assert slug == SLUG and auth in ("header", "query", "query-twice"), what

    fuzz()


# --- the fuzzer itself ---------------------------------------------------------------------------------


def test_the_fuzzer_sees_every_route_and_its_fields() -> None:
    """If the walk or the field discovery broke, the fuzz above would quietly test less: prove they work."""
    paths = {r.path for r in ROUTES}
    assert {"/join", "/e/{slug}/questions", "/e/{slug}/organiser/import", "/static/{path}", "/api/v1/events/{slug}/poll",
            "/e/{slug}/{view}", "/healthz"} <= paths
    assert len(POSTS) >= 35 and len(GETS) >= 20, (len(POSTS), len(GETS))
    assert set(WHO_MAY) <= {r.path for r in POSTS}, set(WHO_MAY) - {r.path for r in POSTS}  # no stale entries
    assert {"code", "name", "municipality", "organisation", "join_key"} <= set(FIELDS["/join"][0])
    assert {"action", "seed"} <= set(FIELDS["/e/{slug}/tables/seating"][0])
    assert {"name", "capacity", "video_url", "host_name", "host_municipality"} <= set(FIELDS["/e/{slug}/tables/new"][0])
    assert {"kind", "title", "starts_at", "ends_at", "delete"} <= set(FIELDS["/e/{slug}/organiser/parts/{part_id}"][0])
    assert {"name", "day", "default_locale", "premoderation"} <= set(FIELDS["/e/{slug}/organiser/event"][0])
    assert {"option", "value", "text"} <= set(FIELDS["/e/{slug}/polls/{question_id}/vote"][0])
    assert FIELDS["/e/{slug}/questions/{question_id}/vote"][0] == ["up"]
    person = "/e/{slug}/organiser/participants/{participant_id}"
    assert {"name", "municipality", "email", "topic", "delete"} <= set(FIELDS[person][0])
    assert FIELDS["/organiser/login"] == (["code", "next", "password", "username"], ["next"])
    assert {"anonymous", "up", "delete", "premoderation"} <= FLAGS and not FLAGS & {"body", "name", "day", "action"}
    assert "question" in FIELDS["/e/{slug}/polls/results.csv"][1]
    assert who_may(next(r for r in POSTS if r.path == "/e/{slug}/organiser/purge")) == (ORGANISER,)
