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

from app.i18n import current_locale
from app.live.broker import Broker

log = logging.getLogger("samen.live")

Renderer = Callable[[str], Awaitable[str]]  # the topic's key (after "kind:") -> HTML of out-of-band fragments
KICK = "!kick:"  # a notice that closes an identity's pages instead of re-rendering a topic
RENDER_CONCURRENCY = 8  # renders in flight at once per tick (each may wait on the database)


@dataclass(eq=False)
class Subscriber:
    """One connected page. The socket's writer task drains the mailbox."""

    locale: str
    topics: list[str]
    identities: list[str] = field(default_factory=list)  # e.g. "participant:17", "link:5": who this page is
    kicked: asyncio.Event = field(default_factory=asyncio.Event)  # set when that identity's access is revoked
    mailbox: dict[str, tuple[int, str]] = field(default_factory=dict)
    delivered: dict[str, int] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, topic: str, version: int, html: str) -> None:
        # Never let an older render (e.g. a slow snapshot) overwrite a newer one.
        queued = self.mailbox.get(topic)
        if (queued and queued[0] > version) or self.delivered.get(topic, -1) > version:
            return
        self.mailbox[topic] = (version, html)
        self.wake.set()

    def take(self) -> list[tuple[str, int, str]]:
        items = [(topic, version, html) for topic, (version, html) in self.mailbox.items()]
        self.mailbox.clear()
        return items


class Hub:
    def __init__(self, broker: Broker, tick_seconds: float = 0.15) -> None:
        self.broker = broker
        self.tick_seconds = tick_seconds
        self.renderers: dict[str, Renderer] = {}
        self.subscribers: dict[str, dict[str, set[Subscriber]]] = defaultdict(lambda: defaultdict(set))
        self.versions: dict[str, int] = defaultdict(int)
        self.dirty: set[str] = set()
        self.cache: dict[tuple[str, str], tuple[int, str]] = {}
        self.renders = 0  # counted for tests and benchmarks: one per topic, locale and tick at most
        self._render_locks: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._ticker: asyncio.Task | None = None
        self.presence: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.by_identity: dict[str, set[Subscriber]] = defaultdict(set)

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
            for subscriber in list(self.by_identity.get(topic[len(KICK):], ())):
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
        for topic in subscriber.topics:
            # Shielded: a render is shared work (cached for every other page), and tearing it down halfway
            # because one page went away would also abandon its database call.
            version, html = await asyncio.shield(self._rendered(topic, subscriber.locale))
            subscriber.offer(topic, version, html)

    def unsubscribe(self, subscriber: Subscriber) -> None:
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

    async def _rendered(self, topic: str, locale: str) -> tuple[int, str]:
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
            if self.versions[topic] == version:
                self.cache[key] = (version, html)
            return version, html

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
                    version, html = await self._rendered(topic, locale)
                except Exception:
                    log.exception("rendering %s failed", topic)
                    return
            for subscriber in list(subscribers):
                subscriber.offer(topic, version, html)

        await asyncio.gather(*(render(*job) for job in jobs))

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
