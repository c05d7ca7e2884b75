"""Signed session cookies, capability tokens, Origin/CSRF checks and security headers.

Everything here is pure ASGI so that it covers WebSocket handshakes as well as HTTP requests
(Starlette's BaseHTTPMiddleware does not see WebSockets).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from base64 import b64decode, b64encode
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "samen_session"
SESSION_MAX_AGE = 14 * 24 * 3600


def new_token() -> str:
    """A capability token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def link_token(secret_key: str, link_key: str, version: int) -> str:
    """A capability link's token, derived from the secret key: 192 bits, unguessable without SECRET_KEY, and
    printable again by the organiser (only its hash is stored). A new version is a new, unrelated token."""
    digest = hmac.new(secret_key.encode(), f"samen-link:{link_key}:{version}".encode(), hashlib.sha256).digest()
    return b64encode(digest[:24], altchars=b"-_").decode()


def new_link_key() -> str:
    return secrets.token_urlsafe(12)


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256; a stolen database does not reveal working links."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


class SessionMiddleware:
    """A signed (not encrypted) cookie session; HttpOnly, SameSite=Lax.

    Unlike Starlette's own, it records whether a cookie was present but failed its signature check
    (``scope["session_tampered"]``), so the page can say so instead of silently starting afresh."""

    def __init__(self, app: ASGIApp, secret_key: str, https_only: bool = False) -> None:
        self.app = app
        self.signer = TimestampSigner(secret_key, salt="samen.session")
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = _cookie(scope, SESSION_COOKIE)
        scope["session"] = {}
        scope["session_tampered"] = False
        if raw:
            try:
                data = self.signer.unsign(raw.encode(), max_age=SESSION_MAX_AGE)
                loaded = json.loads(b64decode(data))
                if isinstance(loaded, dict):
                    scope["session"] = loaded
                else:
                    scope["session_tampered"] = True
            except (BadSignature, ValueError):
                scope["session_tampered"] = True
        initial = json.dumps(scope["session"], sort_keys=True)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if json.dumps(session, sort_keys=True) != initial or (raw and scope["session_tampered"]):
                    headers = MutableHeaders(scope=message)
                    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.https_only else "")
                    if session:
                        value = self.signer.sign(b64encode(json.dumps(session).encode())).decode()
                        headers.append(
                            "Set-Cookie", f"{SESSION_COOKIE}={value}; Max-Age={SESSION_MAX_AGE}{flags}"
                        )
                    else:
                        headers.append(
                            "Set-Cookie",
                            f"{SESSION_COOKIE}=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0{flags}",
                        )
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header is treated as no cookie
                return None
            if name in jar:
                return jar[name].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}  # a socket's scope says ws/wss

Origin = tuple[str, str, int]  # (scheme, host, port), the port always given: ("http", "testserver", 80)


def _split_origin(scheme: str, netloc: str) -> Origin | None:
    """(scheme, host, port) of a scheme and a "host[:port]", with the scheme's default port filled in; None if
    the scheme is not http(s) or the netloc is not a plain host and port (user info, path, bad port)."""
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS or not netloc or any(c in netloc for c in "@/?#\\ "):
        return None
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def parse_origin(value: str) -> Origin | None:
    """An Origin header ("https://host:port", no path) as (scheme, host, port); None for "null" and the like."""
    parts = urlsplit(value.strip())
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return _split_origin(parts.scheme, parts.netloc)


def configured_origin(value: str) -> Origin | None:
    """A configured origin (ALLOWED_ORIGINS, BASE_URL): as an Origin header, a path after it ignored."""
    parts = urlsplit(value.strip())
    return _split_origin(parts.scheme, parts.netloc)


def request_origin(scope: Scope) -> Origin | None:
    """The origin the browser spoke to: the request's scheme (behind a proxy, the X-Forwarded-Proto that uvicorn's
    --proxy-headers put in the scope) and its Host header."""
    scheme = WEB_SCHEMES.get(str(scope.get("scheme", "http")).lower())
    host = _header(scope, b"host")
    if scheme is None or not host:
        return None
    return _split_origin(scheme, host.strip())


def origin_allowed(scope: Scope, allowed: list[str]) -> bool:
    """The Origin is the request's own origin (same scheme, host and port as the Host header the browser used),
    or one of the configured origins; default ports are normalised (http://host = http://host:80)."""
    header = _header(scope, b"origin")
    origin = parse_origin(header) if header is not None else None
    if origin is None:
        return False
    if origin == request_origin(scope):
        return True
    return any(origin == configured_origin(value) for value in allowed)


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """The security headers on every HTTP answer: pages, errors, the guard's refusal, the body cap, and the 500 of
    Starlette's ServerErrorMiddleware. That one is the outermost layer Starlette builds, outside every middleware
    listed in ``Starlette(middleware=...)``, so this one wraps the whole stack (``SamenApp`` in app/main.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in security_headers():
                    if key.decode() not in headers:
                        headers.append(key.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_wrapper)


class GuardMiddleware:
    """Cross-site request refusal (CSRF) and cross-site WebSocket refusal. The security headers, its own 403
    included, come from SecurityHeadersMiddleware around the whole app."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if not origin_allowed(scope, self.allowed):
                # Refuse the handshake before the app sees it: cross-site WebSocket hijacking.
                await send({"type": "websocket.close", "code": 4403, "reason": "origin"})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in UNSAFE_METHODS and not self._same_site(scope):
            body = b"Cross-site request refused."
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _same_site(self, scope: Scope) -> bool:
        site = _header(scope, b"sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        if _header(scope, b"origin") is not None:
            return origin_allowed(scope, self.allowed)
        # No browser sends a cross-site form post without Origin or Sec-Fetch-Site.
        return True


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", CSP.encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
