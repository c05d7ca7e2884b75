"""Every domain's models, imported once so the metadata (and Alembic) sees all tables."""

from app import throttle  # noqa: F401  (the throttle's counts)
from app.agenda import models as agenda  # noqa: F401
from app.db import Base
from app.events import models as events  # noqa: F401
from app.organiser import models as organiser  # noqa: F401
from app.polls import models as polls  # noqa: F401
from app.questions import models as questions  # noqa: F401
from app.tables import models as tables  # noqa: F401

metadata = Base.metadata
