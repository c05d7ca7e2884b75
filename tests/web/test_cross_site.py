"""Cross-site refusal and security headers, exhaustively: EVERY unsafe route, EVERY live view, EVERY page.

The routes are enumerated from ``app.routes`` (not listed by hand), so a route added tomorrow is covered the day
it is added. tests/web/test_site.py checks two routes and tests/web/test_live.py one socket view; tests/web/
test_fuzz.py samples cross-site headers at random. This file is the deterministic 100 %: every unsafe route x
every cross-site header set a browser can send, and every socket view x every foreign Origin, sent by a browser
that holds EVERY grant (organiser, moderator, presenter, host and participant in one session cookie), so that the
only thing standing between the request and a write is the cross-site check. The same posts sent same-origin
afterwards do change the database, which proves the refused ones would have.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDisconnect

from app.main import create_app
from app.security import origin_allowed
from tests.conftest import ORIGIN, SLUG, Browser, query, sign_in
from tests.support.web import snapshot, walk_routes

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
REFUSED_BODY = "Cross-site request refused."
# What a browser sends for a form post from another site (or a sandboxed frame), with and without the Fetch
# Metadata headers (older browsers send only Origin). "same-site" is a sibling subdomain: another site for us.
CROSS_SITE_HEADERS = [
    {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    {"origin": "https://evil.example"},
    {"sec-fetch-site": "cross-site"},
    {"origin": "https://sub.testserver", "sec-fetch-site": "same-site"},
    {"sec-fetch-site": "same-site"},
    {"origin": "null", "sec-fetch-site": "cross-site"},
    {"origin": "null"},
    {"origin": "http://testserver.evil.example"},
    {"origin": "http://evil.example:80"},
]
FOREIGN_ORIGINS = ["https://evil.example", "null", "http://testserver.evil.example", "http://evil.testserver",
                   "http://testserver:8080"]
LIVE_VIEWS = ["participant", "moderator", "presenter", "host", "organiser", "nonsense"]
EVERY_ROLE = ["organiser:Secretariaat G40", "moderator:Gespreksleider", "presenter:Presentatiescherm",
              "host:Annemiek de Vries", "participant:Erik van Dijk"]
# A superset of the fields the forms send, with values that make most actions succeed (see the same-origin
# control below): a question, a vote, a phase change, a new event, a new table, a participant ...
POTENT_FORM = {
    "action": "next", "body": "Een vraag via een andere site", "up": "1", "ready": "1", "code": "G40DEC",
    "name": "Mallory", "municipality": "1", "organisation": "", "join_key": "k" * 32, "key": "q" * 32,
    "premoderation": "1", "allow_anonymous": "1", "day": "2026-12-11", "default_locale": "nl", "title": "Deel",
    "kind": "other", "starts_at": "13:30", "ends_at": "13:45", "prompt": "Peiling?", "options": "a\nb",
    "results": "live", "capacity": "6", "video_url": "https://meet.jit.si/x", "topic": "", "host_name": "",
    "role": "moderator", "label": "Nieuwe moderator", "lang": "en", "next": "/", "option": "1", "text": "woord",
    "word": "woord", "hidden": "1", "approved": "1", "outcome": "withdrawn", "participant": "1", "table": "1",
    "seed": "3", "archived": "1", "username": "organisator", "password": "wrong",
}
# Path parameters: real ids of the demo event where it matters (1 is its first row of every table).
PATH_VALUES = {"slug": SLUG, "kind": "participant", "action": "open", "view": "moderator", "key": SLUG,
               "token": "A" * 32}
# A same-origin replay of these must not run at all (they would end the session or erase the demo's people).
NOT_REPLAYED = {"/organiser/logout", "/leave", "/e/{slug}/organiser/purge", "/organiser/login"}


def _fill(path: str) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def unsafe_routes(app) -> list[str]:
    return [path for path, route in walk_routes(app.routes)
            if isinstance(route, Route) and set(route.methods or ()) & set(UNSAFE)]


def get_routes(app) -> list[str]:
    return [path for path, route in walk_routes(app.routes) if isinstance(route, Route) and "GET" in (route.methods or ())]


@pytest.fixture
def everyone(demo, browser) -> Browser:
    """One browser holding every grant at once: organiser account, moderator, presenter and host links, and a
    participant's personal link — the worst case for a cross-site request riding on its cookie."""
    me = browser()
    for key in EVERY_ROLE:
        sign_in(me, demo[key])
    return me


def test_every_unsafe_route_refuses_every_cross_site_post(app, settings, everyone) -> None:
    routes = unsafe_routes(app)
    assert len(routes) >= 35, routes  # the walk found the app's forms (37 when this was written)
    before = snapshot(settings)
    tried, not_refused = 0, []
    for path in routes:
        for headers in CROSS_SITE_HEADERS:
            everyone._swap()
            response = everyone.client.post(_fill(path), data=POTENT_FORM, headers=headers, follow_redirects=False)
            everyone._keep()
            tried += 1
            if response.status_code != 403 or response.text != REFUSED_BODY:
                not_refused.append(f"POST {path} {headers} -> {response.status_code} {response.text[:80]!r}")
    assert not not_refused, f"{len(not_refused)} of {tried} cross-site requests were not refused:\n" + \
        "\n".join(not_refused[:40])
    assert snapshot(settings) == before, "a refused cross-site request changed the database"
    print(f"cross-site: {len(routes)} unsafe routes x {len(CROSS_SITE_HEADERS)} header sets = {tried} posts, "
          f"{tried - len(not_refused)} refused")

    # The control: the very same posts sent same-origin get past the guard and do write (so the refused ones
    # were potent, and the refusal above is the cross-site check's doing, not a role check or a bad form).
    replayed = [p for p in routes if p not in NOT_REPLAYED]
    for path in replayed:
        response = everyone.post(_fill(path), POTENT_FORM, follow_redirects=False)
        assert response.text != REFUSED_BODY, f"same-origin POST {path} was refused as cross-site"
    after = snapshot(settings)
    changed = sorted(t for t in after if after[t] != before[t])
    for table in ("event", "question", "programme_part", "poll_question", "lunch_table", "role_link"):
        assert table in changed, f"the same-origin replay changed no {table} row: the control proves nothing"


def test_every_unsafe_method_on_every_route_is_refused_cross_site(app, everyone) -> None:
    """PUT, PATCH and DELETE too, and on the routes that only read (GET): the guard refuses before routing."""
    paths = [path for path, _route in walk_routes(app.routes)]
    tried = 0
    for path in paths:
        for method in UNSAFE:
            everyone._swap()
            response = everyone.client.request(method, _fill(path), headers=CROSS_SITE_HEADERS[0],
                                               follow_redirects=False)
            assert (response.status_code, response.text) == (403, REFUSED_BODY), (method, path)
            tried += 1
    print(f"cross-site: {len(paths)} routes x {len(UNSAFE)} unsafe methods = {tried} requests, all refused")


def test_every_live_view_refuses_every_foreign_origin(app, demo, everyone) -> None:
    assert any(isinstance(r, WebSocketRoute) for r in app.routes)
    sockets = [path for path, route in walk_routes(app.routes) if isinstance(route, WebSocketRoute)]
    assert sockets == ["/ws/{view}/{key}"], sockets  # a new socket route must be added to this test
    refused = 0
    for view in LIVE_VIEWS:
        for origin in [*FOREIGN_ORIGINS, None]:
            everyone._swap()
            headers = {"origin": origin} if origin else {}
            with pytest.raises(WebSocketDisconnect) as closed, \
                    everyone.client.websocket_connect(f"/ws/{view}/{SLUG}", headers=headers) as ws:
                ws.receive_text()
            assert closed.value.code == 4403, (view, origin, closed.value.code)
            refused += 1
        if view == "nonsense":
            continue
        # The control: the same browser, same-origin, gets the view's snapshot (the grants are real).
        with everyone.websocket(f"/ws/{view}/{SLUG}") as ws:
            assert ws.receive_text().strip(), view
    print(f"websocket: {len(LIVE_VIEWS)} views x {len(FOREIGN_ORIGINS) + 1} origins = {refused} handshakes, "
          f"{refused} refused with 4403")


# --- security headers ----------------------------------------------------------------------------------


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in directives, f"directive {words[0]} given twice in {value!r}"
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    csp = csp_directives(headers.get("content-security-policy", ""))
    assert csp.get("script-src") == ["'self'"], (what, csp.get("script-src"))
    assert csp.get("default-src") == ["'self'"], (what, csp.get("default-src"))
    for directive, sources in csp.items():
        assert "'unsafe-eval'" not in sources and "'wasm-unsafe-eval'" not in sources, (what, directive)
        if directive in ("script-src", "default-src", "script-src-elem", "script-src-attr", "style-src"):
            assert not {"'unsafe-inline'", "'unsafe-hashes'", "*", "data:", "http:", "https:"} & set(sources), \
                (what, directive, sources)
    assert csp.get("object-src") == ["'none'"], what
    assert csp.get("base-uri") == ["'none'"], what
    assert csp.get("frame-ancestors") == ["'none'"], what
    assert csp.get("form-action") == ["'self'"], what
    assert csp.get("connect-src") == ["'self'"], what  # the page's own socket only
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert headers.get("cross-origin-opener-policy") == "same-origin", what
    assert "camera=()" in headers.get("permissions-policy", ""), what
    assert len(headers.get_list("content-security-policy")) == 1, (what, "two CSP headers")


def test_every_page_and_answer_carries_the_csp_and_security_headers(app, demo, everyone, browser) -> None:
    stranger = browser()
    checked = 0
    for path in get_routes(app):
        url = _fill(path)
        if "{path}" in path:
            url = "/static/js/samen.js"
        for who in (everyone, stranger):
            response = who.get(url, follow_redirects=False)
            assert response.status_code < 500, (url, response.status_code)
            assert_security_headers(response, f"GET {url} ({response.status_code})")
            checked += 1
    # Answers that are not a route's own: errors, the guard's refusal, the body cap, a method not allowed.
    extras = [
        stranger.get("/bestaat-niet"), stranger.get(f"/e/{SLUG}/nonsense"), stranger.get("/j/" + "A" * 32),
        stranger.client.post("/lang", data={"lang": "en"}, headers={"origin": "https://evil.example"}),
        stranger.client.post("/join", content=b"name=" + b"x" * 2_000_000,
                             headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN}),
        stranger.client.request("DELETE", "/healthz", headers={"origin": ORIGIN}),
        stranger.get("/static/vendor/htmx-4.0.1.min.js"), stranger.get("/static/css/samen.css"),
    ]
    for response in extras:
        assert_security_headers(response, f"{response.request.method} {response.request.url} ({response.status_code})")
    assert {r.status_code for r in extras} >= {403, 404, 405, 413, 200}
    print(f"security headers: {checked + len(extras)} responses checked")


# --- the Origin check: scheme, host and port -----------------------------------------------------------------
# Browsers that send no Sec-Fetch-Site (older ones) leave the Origin header as the only proof of where a form
# post or a socket comes from. It must match the server's own origin (the request's scheme and its Host header)
# or a configured one, as scheme + host + port: https://testserver is another origin than http://testserver.

ERIK = "participant:Erik van Dijk"


@pytest.fixture
def erik(demo, browser) -> Browser:
    me = browser()
    sign_in(me, demo[ERIK])
    return me


def post_from(person: Browser, origin: str, base: str = "", host: str | None = None, path: str = "/lang",
              data: dict | None = None):
    """A form post carrying only Origin (no Sec-Fetch-Site), as an older browser sends it."""
    headers = {"origin": origin, **({"host": host} if host else {})}
    person._swap()
    try:
        return person.client.post(base + path, data=data or {"lang": "en", "next": "/"}, headers=headers,
                                  follow_redirects=False)
    finally:
        person._keep()


def handshake_from(person: Browser, origin: str, base: str = "", host: str | None = None) -> int | None:
    """Open the participant's live view; None when it was accepted (a snapshot came), else the close code."""
    headers = {"origin": origin, **({"host": host} if host else {})}
    person._swap()
    try:
        with person.client.websocket_connect(f"{base}/ws/participant/{SLUG}", headers=headers) as ws:
            assert ws.receive_text().strip()
        return None
    except WebSocketDisconnect as closed:
        return closed.code


def refused(response) -> bool:
    return (response.status_code, response.text) == (403, REFUSED_BODY)


def test_https_origin_is_refused_on_an_http_server_for_a_form_post(settings, erik) -> None:
    for origin in ("https://testserver", "https://testserver:80", "HTTPS://TESTSERVER"):
        response = post_from(erik, origin, path=f"/e/{SLUG}/questions", data={"body": "Via https?", "key": ""})
        assert refused(response), (origin, response.status_code, response.text[:80])
    assert query(settings, "SELECT COUNT(*) FROM question") == [(0,)]
    # The control: the server's own origin gets through and the question is stored.
    response = post_from(erik, ORIGIN, path=f"/e/{SLUG}/questions", data={"body": "Via http", "key": ""})
    assert response.status_code == 200, response.text[:200]
    assert query(settings, "SELECT body FROM question") == [("Via http",)]


def test_https_origin_is_refused_on_an_http_server_for_a_websocket_handshake(erik) -> None:
    for origin in ("https://testserver", "https://testserver:80", "wss://testserver", "ws://testserver"):
        assert handshake_from(erik, origin) == 4403, origin
    assert handshake_from(erik, ORIGIN) is None


def test_http_origin_of_the_same_host_and_port_is_accepted(erik) -> None:
    assert post_from(erik, "http://testserver").status_code == 303
    assert post_from(erik, "http://testserver/").status_code == 303
    assert post_from(erik, "http://TestServer").status_code == 303  # host names are case-insensitive
    assert post_from(erik, "http://testserver:8000", host="testserver:8000").status_code == 303
    assert handshake_from(erik, "http://testserver:8000", host="testserver:8000") is None
    assert handshake_from(erik, "http://testserver") is None


def test_origin_default_ports_are_normalised(erik) -> None:
    # http://host is http://host:80, whichever side spells the port out.
    assert post_from(erik, "http://testserver:80").status_code == 303
    assert post_from(erik, "http://testserver", host="testserver:80").status_code == 303
    assert handshake_from(erik, "http://testserver:80") is None
    assert handshake_from(erik, "http://testserver", host="testserver:80") is None
    # An https server (the scheme uvicorn puts in the scope, from X-Forwarded-Proto behind a proxy): 443.
    https, wss = "https://testserver", "wss://testserver"
    assert post_from(erik, "https://testserver", base=https).status_code == 303
    assert post_from(erik, "https://testserver:443", base=https).status_code == 303
    assert post_from(erik, "https://testserver", base=https, host="testserver:443").status_code == 303
    assert handshake_from(erik, "https://testserver:443", base=wss) is None
    # ... where plain http is another origin (http://testserver itself is a configured origin in the tests,
    # hence another port here), and 443 is no default port for http.
    assert post_from(erik, "https://testserver:8443", base=https, host="testserver:8443").status_code == 303
    assert refused(post_from(erik, "http://testserver:8443", base=https, host="testserver:8443"))
    assert refused(post_from(erik, "http://testserver:443", base=https))
    assert handshake_from(erik, "https://testserver:8443", base=wss, host="testserver:8443") is None
    assert handshake_from(erik, "http://testserver:8443", base=wss, host="testserver:8443") == 4403
    assert handshake_from(erik, "http://testserver:443", base=wss) == 4403


def test_origin_with_a_wrong_port_is_refused(settings, erik) -> None:
    # (http://testserver itself, port 80, is a configured origin in the tests: accepted whatever the Host.)
    for origin, host in [("http://testserver:8080", None), ("http://testserver:443", None),
                         ("http://testserver:8001", "testserver:8000"), ("http://testserver:8000", "testserver:8001"),
                         ("http://testserver:8000", "testserver")]:
        assert refused(post_from(erik, origin, host=host)), (origin, host)
        assert handshake_from(erik, origin, host=host) == 4403, (origin, host)
    response = post_from(erik, "http://testserver:8080", path=f"/e/{SLUG}/questions", data={"body": "Poort?"})
    assert refused(response)
    assert query(settings, "SELECT COUNT(*) FROM question") == [(0,)]


def test_configured_origin_is_accepted_exactly(settings, demo) -> None:
    """ALLOWED_ORIGINS: another origin the app is reached at (a proxy in front of it), compared the same way."""
    configured = replace(settings, allowed_origins=[ORIGIN, "https://samen.example.nl/", "http://localhost:8000"])
    with TestClient(create_app(configured), base_url=ORIGIN) as client:
        me = Browser(client)
        sign_in(me, demo[ERIK])
        for origin in ("https://samen.example.nl", "https://samen.example.nl:443", "http://localhost:8000",
                       "http://LOCALHOST:8000"):
            assert post_from(me, origin).status_code == 303, origin
            assert handshake_from(me, origin) is None, origin
        for origin in ("http://samen.example.nl", "https://samen.example.nl:8443", "https://www.samen.example.nl",
                       "http://localhost", "https://localhost:8000", "http://localhost:8001"):
            assert refused(post_from(me, origin)), origin
            assert handshake_from(me, origin) == 4403, origin


@pytest.mark.parametrize(
    ("scheme", "host", "origin", "allowed"),
    [
        ("http", "testserver", "http://testserver", True),
        ("http", "testserver", "http://testserver:80", True),
        ("http", "testserver:80", "http://testserver", True),
        ("http", "testserver", "https://testserver", False),
        ("http", "testserver", "https://testserver:80", False),
        ("http", "testserver", "http://testserver:443", False),
        ("https", "testserver", "https://testserver", True),
        ("https", "testserver", "https://testserver:443", True),
        ("https", "testserver:443", "https://testserver", True),
        ("https", "testserver", "http://testserver", False),
        ("ws", "testserver", "http://testserver", True),
        ("ws", "testserver", "https://testserver", False),
        ("wss", "testserver", "https://testserver", True),
        ("wss", "testserver:443", "https://testserver", True),
        ("wss", "testserver", "http://testserver", False),
        ("http", "127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("http", "127.0.0.1:8000", "http://127.0.0.1", False),
        ("http", "[::1]:8000", "http://[::1]:8000", True),
        ("http", "[::1]:8000", "http://[::1]:8001", False),
        ("http", "testserver", "http://user@testserver", False),
        ("http", "testserver", "http://testserver/path", False),
        ("http", "testserver", "http://testserver:notaport", False),
        ("http", "testserver", "http://testserver:99999", False),
        ("http", "testserver", "null", False),
        ("http", "testserver", "", False),
        ("http", "testserver", "testserver", False),
        ("http", "testserver", "ftp://testserver", False),
        ("http", "", "http://testserver", False),
        ("http", "testserver:bad", "http://testserver", False),
        ("http", "evil.example@testserver", "http://testserver", False),
        ("http", None, "http://app.example", True),  # configured, below: no Host needed
        ("http", "testserver", "https://app.example", False),
        ("http", "testserver", "http://app.example:80", True),
        ("http", "testserver", "http://app.example:8080", False),
        ("http", "testserver", "https://proxy.example", True),
        ("http", "testserver", "https://proxy.example:443", True),
        ("http", "testserver", "http://proxy.example", False),
    ],
)
def test_origin_allowed_compares_scheme_host_and_port(scheme, host, origin, allowed) -> None:
    headers = [(b"origin", origin.encode())] + ([(b"host", host.encode())] if host is not None else [])
    scope = {"type": "websocket" if scheme.startswith("ws") else "http", "scheme": scheme, "headers": headers}
    assert origin_allowed(scope, ["http://app.example", "https://proxy.example:443/"]) is allowed
