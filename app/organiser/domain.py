"""The organiser domain: accounts, setting up an event, the people and their links, the read API, and what
happens after the day (the report, the exports, the purge)."""

from app.core.domain import Domain
from app.organiser import afterwards, api, people, routes

DOMAIN = Domain(
    name="organiser",
    routes=[*routes.routes, *people.routes, *afterwards.routes, *api.routes],
    page_parts={"organiser": (9, routes.run_page_part)},
)
