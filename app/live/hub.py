"""Topics, coalescing and fan-out.

A commit calls ``hub.changed(topic)``; the notice goes through the broker to every process's hub, which marks
the topic dirty. A ticker renders each dirty topic once per locale that has subscribers, and offers the same
string to every subscriber's mailbox. A mailbox keeps only the newest version per topic, so a slow screen
costs a bounded amount of memory and always catches up with the latest state.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.i18n import current_locale
from app.live.broker import Broker
from app.live.wire import PROBE_TIMEOUT, encode_text_frame

if TYPE_CHECKING:
    from app.live.wire import Wire

log = logging.getLogger("samen.live")

Renderer = Callable[[str], Awaitable[str]]  # the topic's key (after "kind:") -> HTML of out-of-band fragments
KICK = "!kick:"  # a notice that closes an identity's pages instead of re-rendering a topic
RENDER_CONCURRENCY = 8  # renders in flight at once per tick (each may wait on the database)
# A socket whose kernel buffer is full (the page stopped reading, or reads slower than updates come) gets no
# more writes: its updates wait in the mailbox, newest per topic, until it drains. So a stalled page holds at
# most one unsent write plus one update per topic, and if it has not drained for STALL_SECONDS it is aborted
# (most stalled pages are reset sooner, by an unanswered probe: see app/live/wire.py). A page that reconnects
# gets a fresh snapshot.
STALL_SECONDS = 10.0
# What an offer or a flush left behind (see Subscriber.offer): an update waiting in the mailbox of a wired page,
# or a probe that page must answer (app/live/wire.py).
WAITING = "waiting"
PROBING = "probing"


@dataclass(eq=False)
class Subscriber:
    """One connected page.

    With a ``wire`` (uvicorn with our protocol) the hub writes the shared frame straight to the socket when the
    socket has nothing unsent; otherwise the newest version per topic waits in the mailbox, drained by the hub on a later
    tick (wire) or by the socket's writer task (plain ASGI)."""

    locale: str
    topics: list[str]
    identities: list[str] = field(default_factory=list)  # e.g. "participant:17", "link:5": who this page is
    wire: Wire | None = None
    kicked: asyncio.Event = field(default_factory=asyncio.Event)  # set when that identity's access is revoked
    mailbox: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    delivered: dict[str, int] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    waiting_since: float | None = None  # when the wire first had to hold an update back
    aborted: bool = False

    def offer(self, topic: str, version: int, html: str, frame: bytes = b"", now: float = 0.0) -> str | None:
        """Deliver (or queue) one topic's render. WAITING if it had to wait in the mailbox of a wired page,
        PROBING if a probe rode along with it."""
        # Never let an older render (e.g. a slow snapshot) overwrite a newer one.
        queued = self.mailbox.get(topic)
        if (queued and queued[0] > version) or self.delivered.get(topic, -1) > version:
            return None
        wire = self.wire
        if wire is not None and not self.mailbox and frame and not wire.buffered():
            if wire.is_open():
                probed = wire.write(frame, now)
                self.delivered[topic] = version
                return PROBING if probed else None
            return None
        self.mailbox[topic] = (version, html, frame)
        self.wake.set()
        return WAITING if wire is not None else None

    def take(self) -> list[tuple[str, int, str]]:
        items = [(topic, version, html) for topic, (version, html, _frame) in self.mailbox.items()]
        self.mailbox.clear()
        return items

    def flush(self, now: float) -> str | None:
        """Write what waits in a wired page's mailbox if its socket drained (in one write). WAITING while it
        still waits; otherwise PROBING if a probe rode along, or None: delivered, closed, or aborted because
        it stopped reading for ``STALL_SECONDS``."""
        wire = self.wire
        if wire is None or not self.mailbox or not wire.is_open():
            self.waiting_since = None
            return None
        if not wire.buffered():
            probed = wire.write(b"".join(frame for _version, _html, frame in self.mailbox.values()), now)
            for topic, (version, _html, _frame) in self.mailbox.items():
                self.delivered[topic] = version
            self.mailbox.clear()
            self.waiting_since = None
            return PROBING if probed else None
        if self.waiting_since is None:
            self.waiting_since = now
        elif now - self.waiting_since > STALL_SECONDS:
            log.info("aborting a WebSocket that stopped reading")
            self.abort()
            return None
        return WAITING

    def abort(self) -> None:
        if self.wire is not None:
            self.wire.abort()
        self.mailbox.clear()
        self.aborted = True


class Hub:
    def __init__(self, broker: Broker, tick_seconds: float = 0.15) -> None:
        self.broker = broker
        self.tick_seconds = tick_seconds
        self.renderers: dict[str, Renderer] = {}
        self.subscribers: dict[str, dict[str, set[Subscriber]]] = defaultdict(lambda: defaultdict(set))
        self.versions: dict[str, int] = defaultdict(int)
        self.dirty: set[str] = set()
        self.cache: dict[tuple[str, str], tuple[int, str, bytes]] = {}
        # Counted for tests, benchmarks and /metrics: at most one render and one frame encoding per topic,
        # locale and version, however many pages watch it.
        self.renders = 0
        self.frames = 0
        self.offers = 0  # updates handed to pages (written, or queued as the latest for a slow page)
        self.stalled_aborts = 0
        self.waiting: set[Subscriber] = set()  # wired pages whose socket had not drained
        self.probing: set[Subscriber] = set()  # wired pages with a probe not yet answered
        self._render_locks: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._ticker: asyncio.Task | None = None
        self.presence: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.by_identity: dict[str, set[Subscriber]] = defaultdict(set)
        self._kick_listeners: list[Callable[[str], None]] = []

    def register(self, kind: str, renderer: Renderer) -> None:
        """A domain says how to render the topics of one kind ("programme", "participant", ...)."""
        self.renderers[kind] = renderer

    async def start(self) -> None:
        await self.broker.start(self._on_notice)
        self._ticker = asyncio.create_task(self._run(), name="samen-hub-ticker")

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
        await self.broker.stop()

    async def changed(self, *topics: str) -> None:
        """Call after COMMIT: every process re-renders these topics on its next tick (one broker notice)."""
        if topics:
            await self.broker.publish(list(dict.fromkeys(topics)))

    def on_kick(self, listener: Callable[[str], None]) -> None:
        """Also tell ``listener`` of every kicked identity (e.g. to forget a remembered grant), in every process."""
        self._kick_listeners.append(listener)

    async def kick(self, identity: str) -> None:
        """Close, in every process, the pages of someone whose link was revoked or re-issued."""
        await self.broker.publish([KICK + identity])

    def _on_notice(self, topic: str) -> None:
        if topic == "!resync":
            # The broker was away: notices may have been missed, so every watched topic is re-rendered.
            for watched in list(self.subscribers):
                self.versions[watched] += 1
                self.dirty.add(watched)
            return
        if topic.startswith(KICK):
            identity = topic[len(KICK):]
            for forget in self._kick_listeners:
                forget(identity)
            for subscriber in list(self.by_identity.get(identity, ())):
                subscriber.kicked.set()
            return
        self.versions[topic] += 1
        self.dirty.add(topic)  # the cached render is now outdated: its version no longer matches

    # --- subscriptions -------------------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber) -> None:
        """Register the page, then give it a full snapshot of its topics (from cache when current)."""
        for topic in subscriber.topics:
            self.subscribers[topic][subscriber.locale].add(subscriber)
        for identity in subscriber.identities:
            self.by_identity[identity].add(subscriber)
        snapshot = []
        for topic in subscriber.topics:
            rendered = self.cache.get((topic, subscriber.locale))
            if rendered is None or rendered[0] != self.versions[topic]:
                # Shielded: a render is shared work (cached for every other page), and tearing it down halfway
                # because one page went away would also abandon its database call.
                rendered = await asyncio.shield(self._rendered(topic, subscriber.locale))
            snapshot.append((topic, *rendered))
        self.offers += len(snapshot)
        wire = subscriber.wire
        if wire is not None and not subscriber.mailbox and not wire.buffered() and wire.is_open():
            # The whole snapshot in one write (one system call, not one per topic), skipping any topic a tick
            # already delivered in a newer version while the snapshot was being rendered.
            fresh = [(topic, version, frame) for topic, version, _html, frame in snapshot
                     if subscriber.delivered.get(topic, -1) <= version]
            wire.write(b"".join(frame for _topic, _version, frame in fresh))
            for topic, version, _frame in fresh:
                subscriber.delivered[topic] = version
            return
        for topic, version, html, frame in snapshot:
            if subscriber.offer(topic, version, html, frame) == WAITING:
                self.waiting.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.waiting.discard(subscriber)
        self.probing.discard(subscriber)
        for identity in subscriber.identities:
            self.by_identity[identity].discard(subscriber)
            if not self.by_identity[identity]:
                del self.by_identity[identity]
        for topic in subscriber.topics:
            by_locale = self.subscribers.get(topic)
            if not by_locale:
                continue
            by_locale[subscriber.locale].discard(subscriber)
            if not by_locale[subscriber.locale]:
                del by_locale[subscriber.locale]
            if not by_locale:
                del self.subscribers[topic]

    def subscriber_count(self) -> int:
        return len({s for by_locale in self.subscribers.values() for subs in by_locale.values() for s in subs})

    def stats(self) -> dict[str, int]:
        """Counters for /metrics (no names, no content: numbers only)."""
        return {"pages": self.subscriber_count(), "topics": len(self.subscribers), "renders": self.renders,
                "frames": self.frames, "offers": self.offers, "waiting": len(self.waiting),
                "stalled_aborts": self.stalled_aborts}

    # --- presence (who has a page open), per group ---------------------------------------------------

    def arrive(self, group: str, member: str) -> None:
        self.presence[group][member] += 1
        self._share_presence(group)

    def leave(self, group: str, member: str) -> None:
        members = self.presence[group]
        members[member] -= 1
        if members[member] <= 0:
            del members[member]
        self._share_presence(group)

    def _share_presence(self, group: str) -> None:
        share = getattr(self.broker, "set_presence", None)
        if share is not None:
            share(group, set(self.presence.get(group, {})))

    async def online(self, group: str) -> set[str]:
        """Who has a page open, in every process (the broker knows the others')."""
        shared = getattr(self.broker, "online", None)
        if shared is not None:
            return await shared(group)
        return set(self.presence.get(group, {}))

    # --- rendering -----------------------------------------------------------------------------------

    async def _rendered(self, topic: str, locale: str) -> tuple[int, str, bytes]:
        key = (topic, locale)
        cached = self.cache.get(key)
        if cached and cached[0] == self.versions[topic]:
            return cached
        async with self._render_locks[key]:
            cached = self.cache.get(key)
            if cached and cached[0] == self.versions[topic]:
                return cached
            version = self.versions[topic]
            html = await self._render(topic, locale)
            self.frames += 1
            rendered = (version, html, encode_text_frame(html))
            if self.versions[topic] == version:
                self.cache[key] = rendered
            return rendered

    async def _render(self, topic: str, locale: str) -> str:
        kind, _, key = topic.partition(":")
        renderer = self.renderers[kind]
        token = current_locale.set(locale)
        try:
            self.renders += 1
            return await renderer(key)
        finally:
            current_locale.reset(token)

    async def tick(self) -> None:
        """Render each dirty topic once per locale in use and offer it to every subscriber.

        Topics watched by many pages go first, and renders run side by side (bounded), so a burst of personal
        updates never holds back the chart everyone is watching."""
        dirty, self.dirty = self.dirty, set()
        jobs = [(topic, locale, subscribers) for topic in dirty
                for locale, subscribers in list(self.subscribers.get(topic, {}).items())]
        jobs.sort(key=lambda job: -len(job[2]))
        limit = asyncio.Semaphore(RENDER_CONCURRENCY)

        async def render(topic: str, locale: str, subscribers: set[Subscriber]) -> None:
            async with limit:
                try:
                    version, html, frame = await self._rendered(topic, locale)
                except Exception:
                    log.exception("rendering %s failed", topic)
                    return
            self.offers += len(subscribers)
            waiting, probing = self.waiting, self.probing
            now = asyncio.get_running_loop().time()
            for subscriber in list(subscribers):
                state = subscriber.offer(topic, version, html, frame, now)
                if state is PROBING:
                    probing.add(subscriber)
                elif state is WAITING:
                    waiting.add(subscriber)

        if jobs:
            await asyncio.gather(*(render(*job) for job in jobs))
        self.flush_waiting()

    def flush_waiting(self) -> None:
        """Give pages whose socket was full what they missed, once it drains; abort the ones that stalled: a
        full socket for STALL_SECONDS, or a probe unanswered for PROBE_TIMEOUT."""
        if not self.waiting and not self.probing:
            return
        now = asyncio.get_running_loop().time()
        for subscriber in list(self.waiting):
            state = subscriber.flush(now)
            if state is WAITING:
                continue
            self.waiting.discard(subscriber)
            if state is PROBING:
                self.probing.add(subscriber)
            if subscriber.aborted:
                self.stalled_aborts += 1
        for subscriber in list(self.probing):
            age = subscriber.wire.probe_age(now) if subscriber.wire is not None else None
            if age is None or subscriber.aborted:
                self.probing.discard(subscriber)
            elif age > PROBE_TIMEOUT:
                log.info("aborting a WebSocket that did not answer a probe")
                subscriber.abort()
                self.probing.discard(subscriber)
                self.waiting.discard(subscriber)
                self.stalled_aborts += 1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.tick()
            except Exception:  # the ticker must survive anything one render does
                log.exception("hub tick failed")
            # A steady rhythm: a slow tick does not add a full interval on top of itself.
            await asyncio.sleep(max(0.01, self.tick_seconds - (loop.time() - started)))
