"""The tables' live topics: the only place their names are spelled. Services record them on the write session
(app/core/changes.py); they are published after the commit."""

from __future__ import annotations


def seating(event_id: int) -> str:
    """The organiser's panel and the presenter's overview."""
    return f"seating:{event_id}"


def host(table_id: int) -> str:
    return f"tablehost:{table_id}"


def card(event_id: int, participant_id: int) -> str:
    """A participant's own table card."""
    return f"seat:{event_id}:{participant_id}"


def overview(event_id: int) -> str:
    """The presenter's overview of all tables."""
    return f"tables:{event_id}"
