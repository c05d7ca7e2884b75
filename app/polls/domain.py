"""The polls domain: the live poll's questions, ballots, tallies and charts."""

from app.core.domain import Domain
from app.polls import fragments, routes

DOMAIN = Domain(
    name="polls",
    routes=routes.routes,
    page_parts={"host": (5, routes.host_part), "participant": (2, routes.participant_part),
                "presenter": (2, routes.presenter_part),
                "moderator": (2, routes.control_part), "organiser": (2, routes.control_part)},
    live_topics={"host": routes.host_topics, "participant": routes.participant_topics,
                 "presenter": routes.presenter_topics,
                 "moderator": routes.control_topics, "organiser": routes.control_topics},
    renderers=fragments.renderers,
)
