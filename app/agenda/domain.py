"""The agenda domain: Blik op 2021, the themes the room picks and proposes for the election year, ranked live."""

from app.agenda import fragments, routes
from app.core.domain import Domain

DOMAIN = Domain(
    name="agenda",
    routes=routes.routes,
    page_parts={"participant": (4, routes.participant_part), "presenter": (4, routes.presenter_part),
                "moderator": (4, routes.control_part), "organiser": (4, routes.control_part)},
    live_topics={"participant": routes.participant_topics, "presenter": routes.presenter_topics,
                 "moderator": routes.control_topics, "organiser": routes.control_topics},
    renderers=fragments.renderers,
)
