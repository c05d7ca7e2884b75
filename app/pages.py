"""Pages are composed from several domains: each domain adds its part of a page's context here.

The events domain owns the role pages (participant, moderator, presenter, host, organiser); questions, polls and
tables add their context to them without the events package importing those domains."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

ContextProvider = Callable[[Request, AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]

_providers: dict[str, list[tuple[int, ContextProvider]]] = {}


def contribute(view: str, provider: ContextProvider, order: int) -> None:
    """Add a domain's part to a page; `order` places its sections (the programme's order: debate, poll, lunch)."""
    _providers.setdefault(view, []).append((order, provider))
    _providers[view].sort(key=lambda item: item[0])


async def page_context(view: str, request: Request, session: AsyncSession, base: dict[str, Any]) -> dict[str, Any]:
    context = dict(base)
    for _order, provider in _providers.get(view, []):
        # What the page itself established (the event with its programme, who is asking) is not overridden.
        context.update({k: v for k, v in (await provider(request, session, context)).items() if k not in base})
    return context
