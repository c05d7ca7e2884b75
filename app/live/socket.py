"""The one WebSocket endpoint: ``/ws/{view}/{key}``.

A page opens one socket. The view's authoriser (registered by a domain) decides from the session cookie who
this is and which topics they receive — the client never chooses topics. On every (re)connect the page gets a
full snapshot of its live parts. Writes never travel over the socket: incoming frames are read only to notice
the close, and a client that floods is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.live.hub import Hub, Subscriber
from app.live.wire import EXTENSION

log = logging.getLogger("samen.live")

TRY_AGAIN_LATER = 1013  # hx-ws reconnects on this code
POLICY_VIOLATION = 1008  # and not on this one
REVOKED = 4401  # access revoked: not a code hx-ws reconnects on
MAX_INCOMING_PER_MINUTE = 120


@dataclass
class Viewer:
    """What the authoriser of a view hands the live layer: whose page this is, its topics, and who this is for
    presence. The ids are for the domains that add topics (the live layer itself reads only the rest)."""

    event_id: int
    topics: list[str]
    participant_id: int | None = None  # a participant's page
    link_id: int | None = None  # a role page opened with a link (None for a signed-in organiser)
    identities: list[str] = field(default_factory=list)  # closed at once when this access is revoked
    presence: tuple[str, str] | None = None  # (group, member)
    presence_topic: str | None = None  # re-rendered when someone arrives or leaves


Authoriser = Callable[[WebSocket, str], Awaitable[Viewer | None]]


class LiveViews:
    """The registry of pages that have a live socket, filled by the domains at start-up."""

    def __init__(self) -> None:
        self.authorisers: dict[str, Authoriser] = {}
        self.topic_sources: dict[str, list[Callable[[Viewer], Awaitable[list[str]]]]] = {}

    def view(self, name: str, authorise: Authoriser) -> None:
        self.authorisers[name] = authorise

    def add_topics(self, name: str, source: Callable[[Viewer], Awaitable[list[str]]]) -> None:
        """Another domain adds its topics to an existing view (e.g. questions to the participant page)."""
        self.topic_sources.setdefault(name, []).append(source)

    async def viewer(self, name: str, websocket: WebSocket, key: str) -> Viewer | None:
        authorise = self.authorisers.get(name)
        if authorise is None:
            return None
        viewer = await authorise(websocket, key)
        if viewer is None:
            return None
        for source in self.topic_sources.get(name, []):
            viewer.topics.extend(await source(viewer))
        viewer.topics = list(dict.fromkeys(viewer.topics))
        return viewer


async def live_endpoint(websocket: WebSocket) -> None:
    app_state = websocket.app.state
    hub: Hub = app_state.hub
    views: LiveViews = app_state.live_views
    send_timeout: float = app_state.settings.ws_send_timeout

    viewer = await views.viewer(websocket.path_params["view"], websocket, websocket.path_params["key"])
    if viewer is None:
        # Refuse before accepting: the browser sees a failed handshake and (hx-ws) does not retry forever.
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    wire = websocket.scope.get("extensions", {}).get(EXTENSION)
    subscriber = Subscriber(locale=websocket.scope.get("locale", "nl"), topics=viewer.topics,
                            identities=viewer.identities, wire=wire)
    # With a wire the hub writes to the socket itself; plain ASGI needs a task that drains the mailbox.
    tasks = {asyncio.create_task(_read(websocket))}
    if wire is None:
        tasks.add(asyncio.create_task(_write(websocket, subscriber, send_timeout)))
    kicked = asyncio.create_task(subscriber.kicked.wait())
    tasks.add(kicked)
    if viewer.presence:
        hub.arrive(*viewer.presence)
        if viewer.presence_topic:
            await hub.changed(viewer.presence_topic)
    try:
        await hub.subscribe(subscriber)
        # Whichever ends first ends the page's socket: the client left (reader), it stopped reading and the
        # writer gave up on it (it reconnects and gets a fresh snapshot), or its access was revoked.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if kicked.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code=REVOKED), 1.0)
    finally:
        hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        if viewer.presence:
            hub.leave(*viewer.presence)
            if viewer.presence_topic:
                await hub.changed(viewer.presence_topic)


async def _read(websocket: WebSocket) -> None:
    window_start, count = time.monotonic(), 0
    while True:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        count += 1
        now = time.monotonic()
        if now - window_start > 60:
            window_start, count = now, 1
        if count > MAX_INCOMING_PER_MINUTE:
            await websocket.close(code=POLICY_VIOLATION)
            return


async def _write(websocket: WebSocket, subscriber: Subscriber, send_timeout: float) -> None:
    try:
        while True:
            await subscriber.wake.wait()
            subscriber.wake.clear()
            for topic, version, html in subscriber.take():
                await asyncio.wait_for(websocket.send_text(html), send_timeout)
                subscriber.delivered[topic] = version
    except TimeoutError:
        # A screen that stopped reading: close it; it reconnects and gets a fresh snapshot.
        log.info("closing a WebSocket that stopped reading")
        if websocket.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code=TRY_AGAIN_LATER), 1.0)
    except (WebSocketDisconnect, RuntimeError):
        pass
