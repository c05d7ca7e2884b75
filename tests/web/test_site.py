"""Site-wide behaviour: CSRF refusal, security headers, health check, body cap, languages, static pages."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from app.main import create_app
from app.templating import templates
from tests.conftest import ORIGIN, SLUG, query, sign_in

SECURITY_HEADERS = ("content-security-policy", "referrer-policy", "x-content-type-options", "x-frame-options",
                    "permissions-policy", "cross-origin-opener-policy")


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://evil.example"}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
     {"origin": "null"}],
)
def test_cross_site_form_posts_are_refused(settings, demo, browser, headers):
    organiser = browser()
    sign_in(organiser, demo["organiser:Secretariaat G40"])
    organiser._swap()
    response = organiser.client.post(f"/e/{SLUG}/phase", data={"action": "next"}, headers=headers)
    assert response.status_code == 403
    assert query(settings, "SELECT status FROM event") == [("before",)]
    response = organiser.client.post("/join", data={"code": "G40DEC", "name": "X", "municipality": "1"},
                                     headers=headers)
    assert response.status_code == 403


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def security_headers(response) -> dict[str, list[str]]:
    return {name: response.headers.get_list(name) for name in SECURITY_HEADERS}


def test_a_500_carries_the_same_security_headers_as_a_200(settings, demo, monkeypatch):
    """Starlette answers a 500 from its ServerErrorMiddleware, outside the middleware the app lists: the headers
    must not depend on that list. The real app, plus one route that fails, and a real page made to fail."""
    app = create_app(settings)

    async def broken(request: Request) -> None:
        raise RuntimeError("a bug")

    app.router.routes.insert(0, Route("/broken", broken, methods=["GET", "POST"]))
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        ok = client.get("/")
        assert ok.status_code == 200
        expected = security_headers(ok)
        assert all(len(values) == 1 for values in expected.values()), expected
        answers = [client.get("/broken"),
                   client.post("/broken", headers={"origin": ORIGIN, "sec-fetch-site": "same-origin"})]
        with monkeypatch.context() as patch:
            patch.setattr(templates, "TemplateResponse", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("bug")))
            answers.append(client.get("/"))
        for response in answers:
            assert response.status_code == 500, (response.request.url, response.status_code)
            assert "RuntimeError" not in response.text and "bug" not in response.text  # no traceback
            assert security_headers(response) == expected, response.request.url


def test_pages_make_no_third_party_requests(client):
    html = client.get("/").text
    for attribute in ("src=", "href="):
        for value in html.split(attribute)[1:]:
            url = value[1:].split(value[0])[0]
            assert not url.startswith(("http:", "https:", "//")), url


def test_healthz_reports_database_and_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": "0.1.0"}


def test_oversized_bodies_are_refused(client, demo):
    response = client.post("/join", content=b"name=" + b"x" * 2_000_000,
                           headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN})
    assert response.status_code == 413


def test_dutch_by_default_english_on_request(browser):
    me = browser()
    page = me.get("/")
    assert '<html lang="nl">' in page.text and "Deelnemen" in page.text
    switched = me.post("/lang", {"lang": "en", "next": "/privacy"}, follow_redirects=False)
    assert switched.headers["location"] == "/privacy"
    page = me.get("/")
    assert '<html lang="en">' in page.text and "Join the Samen block" in page.text
    assert '<html lang="en">' in browser().get("/?lang=en").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_language_switch_does_not_redirect_elsewhere(browser, target):
    response = browser().post("/lang", {"lang": "en", "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(("path", "dutch", "english"), [
    ("/privacy", "Privacyverklaring", "Privacy statement"),
    ("/toegankelijkheid", "Toegankelijkheidsverklaring", "Accessibility statement"),
])
def test_statement_pages_exist_in_both_languages(client, path, dutch, english):
    assert dutch in client.get(path).text
    assert english in client.get(path + "?lang=en").text


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/nergens")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.text


def test_language_from_the_address_is_kept_for_live_updates(demo, browser):
    me = browser()
    sign_in(me, demo["participant:Erik van Dijk"])
    assert '<html lang="en">' in me.get(f"/e/{SLUG}?lang=en").text
    with me.websocket(f"/ws/participant/{SLUG}") as ws:
        snapshot = ws.receive_text()
    assert "The block has not started yet" in snapshot
