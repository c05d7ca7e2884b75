"""The hub in isolation: one render per dirty topic per tick, the same string for every subscriber."""

from __future__ import annotations

from app.i18n import current_locale
from app.live.broker import MemoryBroker
from app.live.hub import Hub, Subscriber


def make_hub() -> tuple[Hub, list[tuple[str, str]]]:
    hub = Hub(MemoryBroker(), tick_seconds=3600)  # ticks are driven by hand in these tests
    calls: list[tuple[str, str]] = []

    async def render(key: str) -> str:
        calls.append((key, current_locale.get()))
        return f"<div id='x{key}'>{len(calls)} {current_locale.get()}</div>"

    hub.register("count", render)
    return hub, calls


async def test_a_burst_of_changes_gives_one_render_per_tick_for_all_subscribers():
    hub, calls = make_hub()
    await hub.broker.start(hub._on_notice)
    subscribers = [Subscriber(locale="nl", topics=["count:1"]) for _ in range(50)]
    for s in subscribers:
        await hub.subscribe(s)
    assert len(calls) == 1  # one snapshot render, served from cache to the other 49
    for s in subscribers:
        s.take()
    for _ in range(1000):
        await hub.changed("count:1")
    await hub.tick()
    assert len(calls) == 2
    payloads = {id(s.take()[0][2]) for s in subscribers}
    assert len(payloads) == 1  # literally the same string object for every subscriber
    await hub.tick()
    assert len(calls) == 2  # nothing dirty, nothing rendered


async def test_each_locale_in_use_is_rendered_once():
    hub, calls = make_hub()
    await hub.broker.start(hub._on_notice)
    for locale in ("nl", "nl", "en", "en", "en"):
        await hub.subscribe(Subscriber(locale=locale, topics=["count:1"]))
    calls.clear()
    await hub.changed("count:1")
    await hub.tick()
    assert sorted(calls) == [("1", "en"), ("1", "nl")]


async def test_topics_without_subscribers_are_not_rendered():
    hub, calls = make_hub()
    await hub.broker.start(hub._on_notice)
    await hub.changed("count:7")
    await hub.tick()
    assert calls == []


async def test_an_older_render_never_overwrites_a_newer_one():
    subscriber = Subscriber(locale="nl", topics=["t:1"])
    subscriber.offer("t:1", 5, "new")
    subscriber.offer("t:1", 4, "old")
    assert subscriber.take() == [("t:1", 5, "new")]
    subscriber.delivered["t:1"] = 5
    subscriber.offer("t:1", 3, "older")
    assert subscriber.take() == []


async def test_mailbox_keeps_only_the_latest_per_topic():
    subscriber = Subscriber(locale="nl", topics=["a:1", "b:1"])
    for version in range(100):
        subscriber.offer("a:1", version, f"a{version}")
    subscriber.offer("b:1", 1, "b")
    assert subscriber.take() == [("a:1", 99, "a99"), ("b:1", 1, "b")]


async def test_unsubscribed_pages_get_nothing_and_leave_no_trace():
    hub, calls = make_hub()
    await hub.broker.start(hub._on_notice)
    subscriber = Subscriber(locale="nl", topics=["count:1"])
    await hub.subscribe(subscriber)
    hub.unsubscribe(subscriber)
    assert hub.subscribers == {}
    await hub.changed("count:1")
    await hub.tick()
    assert len(calls) == 1


async def test_a_failing_renderer_does_not_stop_other_topics():
    hub, calls = make_hub()
    await hub.broker.start(hub._on_notice)

    async def broken(key: str) -> str:
        raise RuntimeError("boom")

    hub.register("broken", broken)
    ok = Subscriber(locale="nl", topics=["count:1"])
    await hub.subscribe(ok)
    hub.subscribers["broken:1"]["nl"].add(ok)
    ok.take()
    await hub.changed("broken:1", "count:1")
    await hub.tick()
    assert [topic for topic, _v, _h in ok.take()] == ["count:1"]


async def test_presence_counts_pages_per_member():
    hub, _ = make_hub()
    hub.arrive("event:1", "17")
    hub.arrive("event:1", "17")  # a second tab
    hub.leave("event:1", "17")
    assert await hub.online("event:1") == {"17"}
    hub.leave("event:1", "17")
    assert await hub.online("event:1") == set()


class FakeWire:
    """A socket as the hub sees it (app/live/wire.Wire): here one that never fills, and answers probes or not."""

    def __init__(self, answers: bool) -> None:
        self.answers = answers
        self.frames: list[bytes] = []
        self.probe_sent_at: float | None = None
        self.aborted = False

    def is_open(self) -> bool:
        return not self.aborted

    def buffered(self) -> int:
        return 0

    def write(self, frame: bytes, now: float = 0.0) -> bool:
        self.frames.append(frame)
        if now and self.probe_sent_at is None:
            self.probe_sent_at = None if self.answers else now
            return True
        return False

    def probe_age(self, now: float) -> float | None:
        return None if self.probe_sent_at is None else now - self.probe_sent_at

    def abort(self) -> None:
        self.aborted = True


async def test_a_page_that_leaves_a_probe_unanswered_is_reset_and_one_that_answers_is_not(monkeypatch):
    import asyncio

    from app.live import hub as hub_module

    hub, _calls = make_hub()
    await hub.broker.start(hub._on_notice)
    reading, stalled = FakeWire(answers=True), FakeWire(answers=False)
    pages = [Subscriber(locale="nl", topics=["count:1"], wire=wire) for wire in (reading, stalled)]  # type: ignore[arg-type]
    for page in pages:
        await hub.subscribe(page)
    await hub.changed("count:1")
    await hub.tick()  # the update carries a probe to both
    assert hub.probing == {pages[1]}  # the reading page answered at once
    monkeypatch.setattr(hub_module, "PROBE_TIMEOUT", 0.05)
    await asyncio.sleep(0.1)
    await hub.tick()
    assert stalled.aborted and pages[1].aborted and not reading.aborted
    assert hub.stalled_aborts == 1 and not hub.probing
