"""The tables domain: the hosted lunch tables, the seating and the hosts' guest lists."""

from app.core.domain import Domain
from app.tables import fragments, routes

DOMAIN = Domain(
    name="tables",
    routes=routes.routes,
    page_parts={"participant": (3, routes.participant_part), "organiser": (3, routes.organiser_part),
                "presenter": (3, routes.presenter_part), "host": (3, routes.host_part)},
    live_topics={"participant": routes.participant_topics, "organiser": routes.organiser_topics,
                 "presenter": routes.presenter_topics, "host": routes.host_topics},
    renderers=fragments.renderers,
    join_hooks=[routes.seat_on_join],
)
