"""Fixtures of the in-process web tests (plain helpers: tests/support/web.py)."""

from __future__ import annotations

import pytest

from tests.conftest import Browser
from tests.support.web import signed_in


@pytest.fixture
def people(request: pytest.FixtureRequest, demo: dict[str, str], browser) -> dict[str, Browser]:
    """The demo's people the test module names in ``PEOPLE`` (keys of the ``demo`` fixture), each signed in in a
    browser of their own: each module signs in only the cast its tests need."""
    keys = getattr(request.module, "PEOPLE", None)
    assert keys, f"{request.module.__name__} uses the people fixture but names no PEOPLE"
    return signed_in(browser, demo, keys)
