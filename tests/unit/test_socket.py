"""The socket writer: a screen that stops reading is closed (1013, so hx-ws reconnects) instead of holding a
task and memory forever; its mailbox stays bounded meanwhile."""

from __future__ import annotations

import asyncio

from starlette.websockets import WebSocketState

from app.live.hub import Subscriber
from app.live.socket import TRY_AGAIN_LATER, _write


class StalledSocket:
    client_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.closed_with: int | None = None
        self.sent = 0

    async def send_text(self, text: str) -> None:
        self.sent += 1
        await asyncio.sleep(3600)  # the peer's buffer is full: this never completes

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


async def test_a_stalled_screen_is_closed_after_the_send_timeout():
    socket = StalledSocket()
    subscriber = Subscriber(locale="nl", topics=["a:1"])
    subscriber.offer("a:1", 1, "<div id='a'></div>")
    writer = asyncio.create_task(_write(socket, subscriber, send_timeout=0.1))  # type: ignore[arg-type]
    for version in range(2, 1000):  # updates keep coming while it is stalled
        subscriber.offer("a:1", version, "<div id='a'>x</div>")
    await asyncio.wait_for(writer, 2)
    assert socket.closed_with == TRY_AGAIN_LATER
    assert len(subscriber.mailbox) <= 1  # latest-wins: never more than one pending update per topic
