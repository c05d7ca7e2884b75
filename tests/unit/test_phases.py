"""Moving the block from phase to phase (the service, against a real database)."""

from __future__ import annotations

import pytest

from app.core.input import InvalidInput
from app.db import Database
from app.events import service
from tests.conftest import SECRET, run


async def walk(settings, actions):
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
                except InvalidInput:
                    seen.append("refused")
    finally:
        await db.dispose()
    return seen


def test_next_walks_through_the_programme_and_ends(settings):
    kinds = run(walk(settings, [("next", None)] * 6))
    assert kinds == ["debate", "poll", "lunch", "closing", "after", "refused"]


def test_previous_walks_back_to_before_the_start(settings):
    kinds = run(walk(settings, [("next", None)] * 5 + [("previous", None)] * 6))
    assert kinds[5:] == ["closing", "lunch", "poll", "debate", "before", "refused"]


@pytest.mark.parametrize(("part", "expected"), [(1, "debate"), (4, "closing"), (999, "refused"), (None, "refused")])
def test_goto_a_part(settings, part, expected):
    assert run(walk(settings, [("goto", part)])) == [expected]


def test_reset_and_unknown_actions(settings):
    assert run(walk(settings, [("next", None), ("reset", None), ("explode", None)])) == ["debate", "before", "refused"]


async def moves(settings, steps):
    """Run (action, part, expected) steps; returns (phase mark or "stale"/"refused", phase_changed_at) per step."""
    from app.demo import create_demo

    db = Database(settings.database_url)
    await create_demo(db, SECRET)
    seen = []
    try:
        for action, part, expected in steps:
            async with db.write() as session:
                event = await service.event_by_slug(session, "netwerkdag-4-december")
                try:
                    phase = await service.change_phase(session, event, action, part, expected)
                    seen.append((service.phase_mark(phase), event.phase_changed_at))
                except service.StalePhase:
                    seen.append(("stale", None))
                except InvalidInput:
                    seen.append(("refused", None))
    finally:
        await db.dispose()
    return seen


def test_relative_moves_check_where_the_block_is_expected(settings):
    seen = run(moves(settings, [("next", None, "before"), ("next", None, "before"), ("previous", None, "before"),
                                ("next", None, "1"), ("previous", None, "2"), ("previous", None, "1")]))
    assert [mark for mark, _ in seen] == ["1", "stale", "stale", "2", "1", "before"]


def test_the_stale_message_names_where_the_block_is_now(settings):
    async def go() -> list[tuple[str, dict]]:
        from app.demo import create_demo

        db = Database(settings.database_url)
        await create_demo(db, SECRET)
        found = []
        try:
            for action, expected in (("next", "before"), ("next", "before")):
                async with db.write() as session:
                    event = await service.event_by_slug(session, "netwerkdag-4-december")
                    try:
                        await service.change_phase(session, event, action, None, expected)
                    except service.StalePhase as stale:
                        found.append((stale.errors["expected"], stale.params))
        finally:
            await db.dispose()
        return found

    [(message, params)] = run(go())
    assert message.startswith("The block has already moved on to %(part)s") and params == {"part": "Het G40Gesprek"}


def test_goto_and_reset_twice_change_nothing_the_second_time(settings):
    seen = run(moves(settings, [("goto", 3, None), ("goto", 3, "before"), ("reset", None, None),
                                ("reset", None, "3")]))
    assert [mark for mark, _ in seen] == ["3", "3", "before", "before"]
    assert seen[0][1] == seen[1][1]  # the part's clock did not restart
    assert seen[2][1] == seen[3][1]
