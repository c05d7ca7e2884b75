"""The questions domain: asking, upvoting, moderation, the on-air question and live invitations."""

from app.core.domain import Domain
from app.questions import fragments, routes

DOMAIN = Domain(
    name="questions",
    routes=routes.routes,
    page_parts={"host": (4, routes.host_part), "participant": (1, routes.participant_part),
                "moderator": (1, routes.moderator_part),
                "presenter": (1, routes.presenter_part)},
    live_topics={"host": routes.host_topics, "participant": routes.participant_topics, "moderator": routes.moderator_topics,
                 "presenter": routes.presenter_topics},
    renderers=fragments.renderers,
)
