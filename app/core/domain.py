"""The one shape every domain registers itself with; app/main.py loops over the list of domains.

A domain hands over its routes, its parts of the role pages, the live topics it adds to each live view, the
renderers of its live fragments, and what it does when someone joins. Nothing registers itself on import: the
list in app/main.py is the whole house."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from app.db import Database
    from app.live.hub import Hub, Renderer
    from app.live.socket import Authoriser, Viewer

# A part of a role page: (request, read session, the page's context so far) -> more context.
PagePart = Callable[[Request, AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]
# The topics a domain adds to a live view for this viewer (it may look things up).
TopicSource = Callable[["Database", "Viewer"], Awaitable[list[str]]]
# Someone joined an event: act in the join's own write session (e.g. seat a late joiner at lunch); the topics
# it records are published with the join's commit.
JoinHook = Callable[[AsyncSession, Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Domain:
    name: str
    routes: Sequence[BaseRoute] = ()
    page_parts: Mapping[str, tuple[int, PagePart]] = field(default_factory=dict)  # view -> (order, part)
    live_topics: Mapping[str, TopicSource] = field(default_factory=dict)  # view -> topics for a viewer
    # topic kind -> renderer, made once the database and the hub exist
    renderers: Callable[[Database, Hub], Mapping[str, Renderer]] | None = None
    viewers: Mapping[str, Authoriser] = field(default_factory=dict)  # the live views this domain authorises
    join_hooks: Sequence[JoinHook] = ()


@dataclass
class PageParts:
    """Every domain's parts of the role pages, in the programme's order (debate, poll, lunch)."""

    parts: dict[str, list[tuple[int, PagePart]]] = field(default_factory=dict)

    def add(self, view: str, order: int, part: PagePart) -> None:
        self.parts.setdefault(view, []).append((order, part))
        self.parts[view].sort(key=lambda item: item[0])

    async def context(self, view: str, request: Request, session: AsyncSession, base: dict[str, Any]) -> dict[str, Any]:
        context = dict(base)
        for _order, part in self.parts.get(view, []):
            # What the page itself established (the event with its programme, who is asking) is not overridden.
            context.update({k: v for k, v in (await part(request, session, context)).items() if k not in base})
        return context


TALKING_POINTS = "layout/_talking_points.html"


def with_talking_points(context: dict[str, Any], fragment: str, fragment_context: dict[str, Any]) -> dict[str, Any]:
    """A host page part's conversation starters: several domains each add a live fragment to one card."""
    sections = context.get("sections", [])
    return {**fragment_context, "talking_point_parts": [*context.get("talking_point_parts", []), fragment],
            "sections": sections if TALKING_POINTS in sections else [*sections, TALKING_POINTS]}
