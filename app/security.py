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
            except Exception:  # a malformed Cookie header is treated as no cookie
                return None
            if name in jar:
                return jar[name].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_allowed(scope: Scope, allowed: list[str]) -> bool:
    """Same origin as the Host the browser spoke to, or one of the configured origins."""
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    origin = origin.rstrip("/")
    if origin in allowed:
        return True
    host = _header(scope, b"host")
    parts = urlsplit(origin)
    return bool(host) and parts.netloc == host and parts.scheme in ("http", "https")


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class GuardMiddleware:
    """Cross-site request refusal (CSRF), cross-site WebSocket refusal, and security headers."""

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
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")] + _security_headers(),
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in _security_headers():
                    if key.decode() not in headers:
                        headers.append(key.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _same_site(self, scope: Scope) -> bool:
        site = _header(scope, b"sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        if _header(scope, b"origin") is not None:
            return origin_allowed(scope, self.allowed)
        # No browser sends a cross-site form post without Origin or Sec-Fetch-Site.
        return True


def _security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", CSP.encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]

