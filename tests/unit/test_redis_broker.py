"""The Redis broker against a real Redis: one notice per change reaches every process's hub; presence is shared;
after the connection is lost it reconnects by itself and every watched topic is re-rendered."""

from __future__ import annotations

import asyncio

import pytest

from app.live.hub import Hub, Subscriber
from app.live.redis_broker import RedisBroker
from tests.services import require_redis


@pytest.fixture
def redis_url() -> str:
    return require_redis()


async def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def two_hubs(url: str) -> tuple[Hub, Hub, list[str]]:
    renders: list[str] = []
    hubs = []
    for name in ("A", "B"):
        hub = Hub(RedisBroker(url), tick_seconds=3600)

        async def render(key: str, name: str = name) -> str:
            renders.append(f"{name}:{key}")
            return f"<div id='x'>{key}</div>"

        hub.register("t", render)
        await hub.broker.start(hub._on_notice)
        hubs.append(hub)
    return hubs[0], hubs[1], renders


async def test_a_change_in_one_process_reaches_the_other(redis_url):
    a, b, renders = await two_hubs(redis_url)
    try:
        page_on_b = Subscriber(locale="nl", topics=["t:1"])
        await b.subscribe(page_on_b)
        page_on_b.take()
        await a.changed("t:1")
        await wait_for(lambda: "t:1" in b.dirty)
        await b.tick()
        assert [t for t, _v, _h in page_on_b.take()] == ["t:1"]
        assert a.broker.published == 1  # one notice for the change, whatever the number of pages
        await a.changed("t:3", "t:4", "t:5")  # a vote touches several topics: still one notice
        await wait_for(lambda: {"t:3", "t:4", "t:5"} <= b.dirty)
        assert a.broker.published == 2
    finally:
        await a.broker.stop()
        await b.broker.stop()


async def test_presence_is_shared_between_processes(redis_url):
    a, b, _ = await two_hubs(redis_url)
    try:
        a.arrive("event:99", "17")
        b.arrive("event:99", "18")
        await asyncio.sleep(0.2)
        assert await a.online("event:99") >= {"17", "18"}
        b.leave("event:99", "18")
        await asyncio.sleep(0.2)
        assert "18" not in await a.online("event:99")
    finally:
        await a.broker.stop()
        await b.broker.stop()


async def test_reconnects_after_losing_redis_and_resyncs_pages(redis_url):
    a, b, _ = await two_hubs(redis_url)
    try:
        page = Subscriber(locale="nl", topics=["t:2"])
        await b.subscribe(page)
        version = b.versions["t:2"]
        await b.broker.client.client_kill_filter(_type="pubsub")  # what a Redis restart does to subscribers
        await wait_for(lambda: b.versions["t:2"] > version, seconds=10)  # resync marked everything dirty
        await wait_for(lambda: b.broker.connected.is_set(), seconds=10)
        b.dirty.clear()
        await a.changed("t:2")  # and notices flow again
        await wait_for(lambda: "t:2" in b.dirty, seconds=10)
    finally:
        await a.broker.stop()
        await b.broker.stop()
