"""Small helpers every domain's routes share: the status-region answer and its error path, number parsing."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from app.core.input import InvalidInput
from app.i18n import gettext
from app.templating import templates
from app.throttle import Throttled

Endpoint = Callable[[Request], Awaitable[Response]]


def status_message(request: Request, message: str, status_code: int = 200, error: bool = False) -> Response:
    """The text for the page's polite status region (the form swaps it in with innerHTML)."""
    return templates.TemplateResponse(
        request, "layout/_status.html", {"message": message, "error": error}, status_code=status_code
    )


def answers_with_status(endpoint: Endpoint) -> Endpoint:
    """Bad input or a conflicting action: a clear, translated message in the status region, nothing written.
    Too many actions in a short time: the same, with 429 and Retry-After."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except InvalidInput as invalid:
            return status_message(request, gettext(next(iter(invalid.errors.values()))), 422, error=True)
        except Throttled as throttled:
            response = status_message(request, throttled.refusal.message(), 429, error=True)
            response.headers.update(throttled.refusal.headers)
            return response

    return wrapper


