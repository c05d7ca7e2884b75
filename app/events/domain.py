"""The events domain: joining, the role pages, the programme and its phases."""

from app.core.domain import Domain
from app.events import fragments, routes

DOMAIN = Domain(
    name="events",
    routes=routes.routes,
    renderers=fragments.renderers,
    viewers={"participant": routes.participant_viewer,
             **{view: routes.role_viewer(view) for view in ("moderator", "presenter", "host", "organiser")}},
)
