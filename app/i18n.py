"""Message catalogs (Babel/gettext) for templates and code.

Source strings are English; Dutch is the default UI language. The current locale lives in a context variable,
set per request by LocaleMiddleware and per render by the live hub, so the same `_()` works everywhere.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALES = ("nl", "en")
LOCALE_NAMES = {"nl": "Nederlands", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default="nl")


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, **params: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def pick_locale(session: dict, query: dict, default: str) -> str:
    wanted = query.get("lang") or session.get("lang")
    return wanted if wanted in LOCALES else default


class LocaleMiddleware:
    """Sets the locale for the request from ?lang=, the session, or the default (Dutch)."""

    def __init__(self, app: ASGIApp, default: str = "nl") -> None:
        self.app = app
        self.default = default if default in LOCALES else "nl"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            query = dict(
                part.split("=", 1) for part in scope.get("query_string", b"").decode().split("&") if "=" in part
            )
            session = scope.get("session", {})
            locale = pick_locale(session, query, self.default)
            if query.get("lang") == locale:
                # Remember ?lang= so the page's live updates (rendered per socket) speak the same language.
                session["lang"] = locale
            scope["locale"] = locale
            token = current_locale.set(locale)
            try:
                await self.app(scope, receive, send)
            finally:
                current_locale.reset(token)
        else:
            await self.app(scope, receive, send)
