"""Moving the block from phase to phase (the service, against a real database)."""

from __future__ import annotations

import pytest

from app.db import Database
from app.events import service
from tests.conftest import SECRET, run


async def walk(settings, actions):  # noqa: ANN001, ANN201
    from app.demo import create_demo

    db = Database(settings.database_url)
    await create_demo(db, SECRET)
    seen = []
    try:
        for action, part in actions:
            async with db.write() as session:
                event = await service.event_by_slug(session, "netwerkdag-4-december")
                try:
                    phase = await service.change_phase(session, event, action, part)
                    seen.append(phase.kind)
                except service.InvalidInput:
                    seen.append("refused")
    finally:
        await db.dispose()
    return seen


def test_next_walks_through_the_programme_and_ends(settings):  # noqa: ANN001
    kinds = run(walk(settings, [("next", None)] * 6))
    assert kinds == ["debate", "poll", "lunch", "closing", "after", "refused"]


def test_previous_walks_back_to_before_the_start(settings):  # noqa: ANN001
    kinds = run(walk(settings, [("next", None)] * 5 + [("previous", None)] * 6))
    assert kinds[5:] == ["closing", "lunch", "poll", "debate", "before", "refused"]


@pytest.mark.parametrize(("part", "expected"), [(1, "debate"), (4, "closing"), (999, "refused"), (None, "refused")])
def test_goto_a_part(settings, part, expected):  # noqa: ANN001
    assert run(walk(settings, [("goto", part)])) == [expected]


def test_reset_and_unknown_actions(settings):  # noqa: ANN001
    assert run(walk(settings, [("next", None), ("reset", None), ("explode", None)])) == ["debate", "before", "refused"]
