"""The crash loop of bench/crash_loop.py (its docstring describes the run and what is checked): here so that its
fast test, tests/multiprocess/test_crash_safety.py, and the bench share it without the test importing the bench."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
from sqlalchemy import text
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.support.clients import (
    RESULTS_ID,
    participant_client,
    run_with_server,
    shared_transport,
    shown,
    sign_in,
    sign_in_all,
    ws_connect,
)
from tests.support.server import COUNTER, MODERATOR, SECRET, Server, percentiles

PRESENTER = "presenter:Presentatiescherm"
SCREEN_SECONDS = 20.0  # how long a screen may take to be current after a restart before it counts as a failure
BACKLOG_SECONDS = 120.0  # at most this long the next kill waits for the resends of the last one to be answered
CITIES = ("Zwolle", "Ede", "Tilburg", "Deventer", "Almere", "Breda", "Assen", "Helmond", "Oss", "Emmen")


@dataclass
class Config:
    participants: int = 1000
    kills: int = 25
    backend: str = "sqlite"  # or "postgres" (with the Redis broker)
    questions: int = 3  # at most this many questions per participant (the app allows 5 a minute)
    question_share: float = 0.3  # chance that a write is a question while the participant still has some left
    rate: float = 10.0  # writes per second offered by all participants together (under what this machine takes)
    uptime: tuple[float, float] = (2.0, 6.0)  # seconds from "healthy again" to the next kill (at least)
    tail: float = 3.0  # seconds of load after the last restart
    participant_screens: int = 4
    presenter_screens: int = 2
    tick_ms: int = 150
    max_connections: int = 256
    drain_seconds: float = 300.0  # after the load: how long unacknowledged writes keep being resent
    seed: int = 4122020
    keep: bool = False


@dataclass
class Write:
    participant: int
    kind: str  # "question" or "vote"
    key: str = ""
    body: str = ""
    option: int = 0
    attempts: int = 0
    acked: bool = False
    in_doubt: int = 0  # attempts that reached the socket but got no answer (they may have been committed)
    committed_before_resend: bool | None = None  # question in doubt: its key was in the database before the resend
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: bool = False  # a 4xx answer: the write was refused (never expected here)


@dataclass
class Kill:
    number: int
    killed_at: float
    up_at: float = 0.0
    in_flight: int = 0  # writes waiting for an answer at the moment of the kill
    ballots_at_up: int = -1  # ballots in the database right after the server answered /healthz again
    connections_before: list[int] = field(default_factory=list)  # per screen: its connection count at the kill
    current_after: list[float | None] = field(default_factory=list)  # per screen: seconds from up to current
    snapshot_after: list[float | None] = field(default_factory=list)  # per screen: seconds from up to its snapshot
    recovered_after: float | None = None  # seconds from up until the writes in flight were down to a trickle

    @property
    def restart_s(self) -> float:
        return self.up_at - self.killed_at


@dataclass
class Screen:
    name: str
    view: str
    cookie: str
    connections: int = 0
    updates: list[tuple[float, int, int]] = field(default_factory=list)  # (time, voters shown, connection number)
    last_html: str = ""
    failures: Counter = field(default_factory=Counter)

    def shown_count(self) -> int | None:
        return self.updates[-1][1] if self.updates else None


@dataclass
class Result:
    config: Config
    writes: list[Write] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    replayed: int = 0
    replay_statuses: Counter = field(default_factory=Counter)
    replay_new_rows: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unacked_applied_twice: list[str] = field(default_factory=list)
    phantoms: list[str] = field(default_factory=list)  # rows nobody sent
    unacked_applied: int = 0  # unacknowledged at the end and yet in the database (once): allowed
    screens_final: list[str] = field(default_factory=list)  # problems with the screens' final tally
    db_ballots: int = -1
    db_option_counts: list[int] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    total_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def acked(self) -> list[Write]:
        return [w for w in self.writes if w.acked]

    @property
    def resent_acked(self) -> int:
        return sum(1 for w in self.writes if w.acked and w.attempts > 1)

    @property
    def in_doubt(self) -> list[Write]:
        return [w for w in self.writes if w.in_doubt]

    @property
    def committed_before_resend(self) -> int:
        return sum(1 for w in self.writes if w.committed_before_resend)

    @property
    def unacked(self) -> list[Write]:
        return [w for w in self.writes if not w.acked]

    @property
    def screens_current_every_restart(self) -> bool:
        return bool(self.kills) and all(s is not None for k in self.kills for s in k.current_after)

    @property
    def time_to_current(self) -> dict[str, float]:
        return percentiles([s for k in self.kills for s in k.current_after if s is not None])

    @property
    def time_to_snapshot(self) -> dict[str, float]:
        return percentiles([s for k in self.kills for s in k.snapshot_after if s is not None])

    @property
    def ok(self) -> bool:
        return (len(self.kills) == self.config.kills and not self.lost and not self.duplicates
                and not self.unacked_applied_twice and not self.phantoms and not self.unacked
                and self.replay_new_rows == 0 and set(self.replay_statuses) <= {200}
                and self.screens_current_every_restart and not self.screens_final)


class Run:
    """The client side of one run: participants, screens, the chaos task; all in one event loop."""

    def __init__(self, config: Config, server: Server, url: str, log: Callable[[str], None]) -> None:
        from app.db import Database

        self.config, self.server, self.log = config, server, log
        self.db = Database(url)  # the client's own view of the database (reads only)
        self.rng = random.Random(config.seed)
        self.result = Result(config=config)
        self.up = asyncio.Event()  # the server answers; cleared right BEFORE each kill
        self.generation = 0  # bumped at every kill: an attempt of an older generation died with its server
        self.in_flight = 0
        self.stop_new = asyncio.Event()
        self.progress = asyncio.Event()
        self.drain_deadline = float("inf")

    # --- database reads (the client's own, to check the app) -----------------------------------------------

    async def scalar(self, sql: str, **params: object) -> int:
        async with self.db.read() as session:
            return int((await session.execute(text(sql), params)).scalar_one())

    async def rows(self, sql: str, **params: object) -> list[tuple]:
        async with self.db.read() as session:
            return [tuple(row) for row in (await session.execute(text(sql), params)).all()]

    async def ballots(self) -> int:
        return await self.scalar("SELECT count(*) FROM poll_ballot WHERE question_id = :q", q=self.question_id)

    # --- writes --------------------------------------------------------------------------------------------

    async def deliver(self, client: httpx2.AsyncClient, write: Write) -> None:
        """Send until acknowledged: after a lost answer, again (same key, same content) once the server is back."""
        if write.kind == "question":
            path, data = f"/e/{self.slug}/questions", {"body": write.body, "key": write.key}
        else:
            path, data = f"/e/{self.slug}/polls/{self.question_id}/vote", {"option": str(write.option)}
        attempt_generation = self.generation
        while True:
            await self.up.wait()
            if write.kind == "question" and write.in_doubt and write.committed_before_resend is None \
                    and self.generation > attempt_generation:
                # The server that got the lost attempt is dead: the database now says whether it committed.
                write.committed_before_resend = await self.scalar(
                    "SELECT count(*) FROM question WHERE idempotency_key = :k", k=write.key) > 0
            attempt_generation = self.generation
            write.attempts += 1
            self.in_flight += 1
            try:
                response = await client.post(path, data=data)
            except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as error:
                write.errors.append(type(error).__name__)  # never left this process: not in doubt
            except httpx2.TransportError as error:
                write.in_doubt += 1
                write.errors.append(type(error).__name__)
            else:
                write.statuses.append(response.status_code)
                if 200 <= response.status_code < 300:
                    write.acked = True
                    return
                if response.status_code < 500:
                    write.refused = True
                    return
            finally:
                self.in_flight -= 1
            if time.monotonic() > self.drain_deadline:
                return
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def participant(self, index: int, client: httpx2.AsyncClient) -> None:
        config, rng = self.config, random.Random(self.config.seed * 7919 + index)
        think = config.participants / config.rate  # mean seconds between two writes of one participant
        questions, wait = 0, rng.uniform(0, think)  # the first write anywhere in the first think time: no ramp
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_new.wait(), wait)
            wait = rng.uniform(0.5 * think, 1.5 * think)
            if self.stop_new.is_set():
                return
            if questions < config.questions and rng.random() < config.question_share:
                questions += 1
                write = Write(index, "question", key=secrets.token_urlsafe(24),
                              body=f"Crashvraag {index + 1}.{questions}: wat betekent één overheid voor "
                                   f"{rng.choice(CITIES)}? ({rng.randrange(10**6)})")
            else:
                write = Write(index, "vote", option=rng.choice(self.options))
            self.result.writes.append(write)
            await self.deliver(client, write)

    # --- screens -------------------------------------------------------------------------------------------

    async def screen(self, screen: Screen) -> None:
        """A live page that reconnects by itself (a short jittered retry, as hx-ws does); never gives up."""
        rng = random.Random(screen.name)
        while True:
            try:
                async with ws_connect(self.server.port, screen.view, self.slug, screen.cookie, open_timeout=5) as ws:
                    screen.connections += 1
                    async for message in ws:
                        if isinstance(message, str) and RESULTS_ID in message:
                            counter = COUNTER.search(message)
                            if counter:
                                screen.updates.append((time.monotonic(), int(counter.group(1)), screen.connections))
                                screen.last_html = message
                                self.progress.set()
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as error:
                screen.failures[type(error).__name__] += 1
            await asyncio.sleep(rng.uniform(0.1, 0.3))

    # --- the chaos task ------------------------------------------------------------------------------------

    async def wait_for(self, condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def chaos(self) -> None:
        """Kill at a random moment: ``uptime`` after the restart, once the screens are current again (bounded:
        a screen that is not current in time is reported, not waited for) and while writes are in flight (so
        every kill interrupts some, whatever the machine's speed)."""
        result = self.result
        backlog = max(2, self.config.participants // 50)  # "a trickle" of writes still in flight
        for number in range(1, self.config.kills + 1):
            await asyncio.sleep(self.rng.uniform(*self.config.uptime))
            previous = result.kills[-1] if result.kills else None
            if previous:
                await self.wait_for(lambda k=previous: self.screens_current(k, time.monotonic()), SCREEN_SECONDS)
                # The resends after a restart come all at once: let the server work them off before the next kill
                # (bounded), or a slow machine never gets past the first storm.
                if await self.wait_for(lambda: self.in_flight <= backlog, BACKLOG_SECONDS):
                    previous.recovered_after = time.monotonic() - previous.up_at
            else:
                await self.wait_for(lambda: all(s.updates for s in result.screens), SCREEN_SECONDS)
            for _ in range(20):  # anywhere in a request's life (sent, queued, committing), but never between requests
                await self.wait_for(lambda: self.in_flight > 0, 10)
                await asyncio.sleep(self.rng.uniform(0.0, 0.1))
                if self.in_flight > 0:
                    break
            kill = Kill(number, killed_at=0.0, connections_before=[s.connections for s in self.result.screens])
            self.up.clear()  # before the kill: a failed attempt always finds the event cleared
            kill.in_flight = self.in_flight
            kill.killed_at = time.monotonic()
            process = self.server.process
            assert process is not None
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait)
            self.generation += 1
            await asyncio.to_thread(self.server.start)  # same port; returns once /healthz answers 200
            kill.up_at = time.monotonic()
            kill.ballots_at_up = await self.ballots()
            self.result.kills.append(kill)
            self.up.set()
            self.log(f"  kill {number}/{self.config.kills}: {kill.in_flight} writes in flight, back after "
                     f"{kill.restart_s:.1f} s, {kill.ballots_at_up} ballots")

    def screens_current(self, kill: Kill, until: float) -> bool:
        """For each screen: the first update on a connection opened after the kill that shows at least the ballots
        the database held when the server came back (everything committed before the kill). Seconds from the
        moment /healthz answered again (0 if the screen was even quicker than the health check)."""
        kill.current_after, kill.snapshot_after = [], []
        for screen, before in zip(self.result.screens, kill.connections_before, strict=True):
            after = [(t, count) for t, count, conn in screen.updates if kill.killed_at <= t <= until and conn > before]
            snapshot = after[0][0] if after else None
            current = next((t for t, count in after if count >= kill.ballots_at_up), None)
            kill.snapshot_after.append(None if snapshot is None else max(0.0, snapshot - kill.up_at))
            kill.current_after.append(None if current is None else max(0.0, current - kill.up_at))
        return all(t is not None for t in kill.current_after)

    # --- the whole run -------------------------------------------------------------------------------------

    async def drive(self, tokens: list[str], question_id: int, options: list[int]) -> None:
        from app.demo import SLUG, demo_token

        config, log, result = self.config, self.log, self.result
        self.slug, self.question_id, self.options = SLUG, question_id, options
        transport = shared_transport(config.max_connections)
        base = self.server.base_url
        clients = [participant_client(base, transport) for _ in tokens]
        screen_tasks: list[asyncio.Task] = []
        try:
            started = time.monotonic()
            cookies = await sign_in_all(clients, [f"/j/{t}" for t in tokens])
            moderator = participant_client(base, transport)
            await sign_in(moderator, f"/r/{demo_token(SECRET, MODERATOR)}")
            presenter = await sign_in(participant_client(base, transport), f"/r/{demo_token(SECRET, PRESENTER)}")
            opened = await moderator.post(f"/e/{self.slug}/polls/{question_id}/open")
            if opened.status_code != 200:
                raise RuntimeError(f"opening the poll question answered {opened.status_code}")
            log(f"  {len(cookies)} participants signed in, poll question open ({time.monotonic() - started:.1f} s)")
            self.participant_ids = dict(await self.rows(
                "SELECT CAST(substr(name, 9) AS INTEGER) - 1, id FROM participant WHERE name LIKE 'Stemmer %'"))

            result.screens = [Screen(f"participant-{i}", "participant", cookies[i % len(cookies)])
                              for i in range(config.participant_screens)]
            result.screens += [Screen(f"presenter-{i}", "presenter", presenter) for i in range(config.presenter_screens)]
            screen_tasks = [asyncio.ensure_future(self.screen(s)) for s in result.screens]
            self.up.set()

            load_started = time.monotonic()
            people = [asyncio.ensure_future(self.participant(i, c)) for i, c in enumerate(clients)]
            await self.chaos()
            if result.kills:
                last = result.kills[-1]
                await self.wait_for(lambda: self.screens_current(last, time.monotonic()), SCREEN_SECONDS)
            await asyncio.sleep(config.tail)
            self.stop_new.set()
            self.drain_deadline = time.monotonic() + config.drain_seconds
            await asyncio.gather(*people)
            result.load_seconds = time.monotonic() - load_started
            log(f"  load over after {result.load_seconds:.0f} s: {len(result.writes)} writes, "
                f"{len(result.acked)} acknowledged")

            await self.replay(clients)
            await self.settle_screens()
            await self.check()
        finally:
            for task in screen_tasks:
                task.cancel()
            await asyncio.gather(*screen_tasks, return_exceptions=True)
            await transport.aclose()
            await self.db.dispose()

    async def replay(self, clients: list[httpx2.AsyncClient]) -> None:
        """Every acknowledged question once more, same key: a resend after the last restart adds nothing."""
        result = self.result
        before = await self.scalar("SELECT count(*) FROM question")
        acked = [w for w in result.writes if w.kind == "question" and w.acked]
        gate = asyncio.Semaphore(64)

        async def again(write: Write) -> None:
            async with gate:
                response = await clients[write.participant].post(
                    f"/e/{self.slug}/questions", data={"body": write.body, "key": write.key})
                result.replay_statuses[response.status_code] += 1

        await asyncio.gather(*(again(w) for w in acked))
        result.replayed = len(acked)
        result.replay_new_rows = await self.scalar("SELECT count(*) FROM question") - before

    async def settle_screens(self) -> None:
        """Wait (bounded) until every screen shows the final number of ballots."""
        final = await self.ballots()
        deadline = time.monotonic() + 20
        while any(s.shown_count() != final for s in self.result.screens) and time.monotonic() < deadline:
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), 0.5)

    async def check(self) -> None:
        result = self.result
        ids = self.participant_ids  # participant index -> participant id
        by_id = {v: k for k, v in ids.items()}

        # Questions: by key and by body.
        rows = await self.rows("SELECT idempotency_key, participant_id, body FROM question")
        by_key = Counter(key for key, _p, _b in rows)
        by_body = Counter(body for _k, _p, body in rows)
        stored = {key: (participant, body) for key, participant, body in rows}
        sent = {w.key: w for w in result.writes if w.kind == "question"}
        for key, n in by_key.items():
            if key is None:
                result.duplicates.append(f"{n} question(s) without an idempotency key")
            elif n > 1:
                result.duplicates.append(f"key {key[:8]}… stored {n}×")
            elif key not in sent:
                result.phantoms.append(f"question with key {key[:8]}… that nobody sent")
        for body, n in by_body.items():
            if n > 1:
                result.duplicates.append(f"question body stored {n}×: {body[:40]!r}")
        for key, write in sent.items():
            if write.acked:
                if key not in stored:
                    result.lost.append(f"acknowledged question {key[:8]}… of participant {write.participant} is missing")
                elif stored[key] != (ids[write.participant], write.body):
                    result.lost.append(f"acknowledged question {key[:8]}… stored with other content or asker")
            elif by_key.get(key, 0) > 1 or by_body.get(write.body, 0) > 1:
                result.unacked_applied_twice.append(f"unacknowledged question {key[:8]}… applied more than once")
            elif key in stored:
                result.unacked_applied += 1

        # Ballots: one per participant, one choice each, holding the last acknowledged vote (or a later one).
        ballot_rows = await self.rows(
            "SELECT b.participant_id, count(DISTINCT b.id), count(c.option_id), min(c.option_id) FROM poll_ballot b "
            "LEFT JOIN poll_choice c ON c.ballot_id = b.id WHERE b.question_id = :q GROUP BY b.participant_id",
            q=self.question_id)
        ballots = {}
        for participant_id, n_ballots, n_choices, option in ballot_rows:
            if n_ballots != 1 or n_choices != 1:
                result.duplicates.append(f"participant {participant_id}: {n_ballots} ballots, {n_choices} choices")
            ballots[by_id.get(participant_id, -1)] = option
        votes: dict[int, list[Write]] = {}
        for write in result.writes:
            if write.kind == "vote":
                votes.setdefault(write.participant, []).append(write)
        for index in set(votes) | set(ballots):
            mine = votes.get(index, [])
            last_acked = max((i for i, w in enumerate(mine) if w.acked), default=-1)
            allowed = {w.option for w in mine[last_acked:]} if last_acked >= 0 else {w.option for w in mine} | {None}
            option = ballots.get(index)
            if option not in allowed:
                if last_acked >= 0:
                    result.lost.append(f"participant {index}: ballot holds {option}, last acknowledged vote "
                                       f"{mine[last_acked].option}")
                else:
                    result.phantoms.append(f"participant {index}: a ballot ({option}) nobody sent")
        result.db_ballots = await self.ballots()
        counts = dict(await self.rows(
            "SELECT c.option_id, count(*) FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
            "WHERE b.question_id = :q GROUP BY c.option_id", q=self.question_id))
        result.db_option_counts = [int(counts.get(o, 0)) for o in self.options]

        # Screens: the final tally exactly.
        for screen in result.screens:
            seen = shown(screen.last_html)
            if (seen.voters, seen.chart, seen.table) != (result.db_ballots, result.db_option_counts,
                                                         result.db_option_counts):
                result.screens_final.append(f"{screen.name} shows {seen.voters} voters, chart {seen.chart}, table "
                                            f"{seen.table}; database {result.db_ballots}, {result.db_option_counts}")


# --- running it -----------------------------------------------------------------------------------------


def run(config: Config, log: Callable[[str], None] | None = None, *, database_url: str | None = None,
        broker_url: str | None = None) -> Result:
    """One run in its own temp dir: seed, start, load + kills, check; the server is always stopped.
    Without ``database_url`` a fresh SQLite file; with it, that (empty) database and ``broker_url``."""
    headline = f"crash loop: {config.participants} participants, {config.kills} kills, {config.backend}"
    return run_with_server(config, Run, "samen-crash-", headline, log, database_url=database_url, broker_url=broker_url)


def _fmt(values: dict[str, float], *keys: str, scale: float = 1.0) -> str:
    return " / ".join(f"{values[k] * scale:.2f}" for k in keys) if values else "–"


def table(result: Result) -> str:
    c, r = result.config, result
    questions = [w for w in r.writes if w.kind == "question"]
    restarts = percentiles([k.restart_s for k in r.kills])
    screens_ok = sum(1 for k in r.kills if all(s is not None for s in k.current_after))
    rows = [
        ("backend", f"{c.backend}, {c.participants} participants, {len(r.screens)} live screens"),
        ("kills (SIGKILL) / restarts", f"{len(r.kills)} / {len(r.kills)} (asked for {c.kills})"),
        ("restart: kill → /healthz 200, p50 / max s", _fmt(restarts, "p50", "max")),
        ("writes sent (votes + questions)", f"{len(r.writes)} ({len(r.writes) - len(questions)} + {len(questions)})"),
        ("writes acknowledged", f"{len(r.acked)} ({r.resent_acked} of them only after a resend)"),
        ("writes in flight at the kills", str(sum(k.in_flight for k in r.kills))),
        ("after a restart: resends answered (in flight ≤ 2 % of the participants), p50 / max s",
         _fmt(percentiles([k.recovered_after for k in r.kills if k.recovered_after is not None]), "p50", "max")),
        ("in doubt (sent, answer lost)", f"{len(r.in_doubt)}; questions among them committed before the kill "
                                         f"(key already stored at the resend): {r.committed_before_resend}"),
        ("acknowledged writes lost", str(len(r.lost))),
        ("duplicates (questions by key/body, ballots per participant)", str(len(r.duplicates))),
        ("unacknowledged at the end / applied once / applied twice",
         f"{len(r.unacked)} / {r.unacked_applied} / {len(r.unacked_applied_twice)}"),
        ("replay of every acknowledged question after the last restart",
         f"{r.replayed} sent, statuses {dict(r.replay_statuses)}, {r.replay_new_rows} new rows"),
        ("screens current again after every restart", f"{screens_ok}/{len(r.kills)} restarts"),
        ("after the restart (/healthz 200): first snapshot on the screens, p50 / p95 / max s",
         _fmt(r.time_to_snapshot, "p50", "p95", "max")),
        ("… and current (≥ the ballots stored at the restart), p50 / p95 / max s",
         _fmt(r.time_to_current, "p50", "p95", "max")),
        ("final tally on every screen = database", "yes" if not r.screens_final else f"NO ({len(r.screens_final)})"),
        ("database at the end", f"{r.db_ballots} ballots, per answer {r.db_option_counts}, "
                                f"{sum(1 for w in questions if w.acked)} questions acknowledged"),
        ("run", f"load {r.load_seconds:.0f} s, total {r.total_seconds:.0f} s"),
        ("verdict", "PASS" if r.ok else "FAIL"),
    ]
    lines = ["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    problems = r.lost + r.duplicates + r.unacked_applied_twice + r.phantoms + r.screens_final
    for write in r.unacked:
        problems.append(f"never acknowledged: {write.kind} of participant {write.participant}, statuses "
                        f"{write.statuses}, errors {Counter(write.errors)}")
    statuses = Counter(s for w in r.writes for s in w.statuses if s != 200)
    if statuses:
        problems.append(f"non-2xx answers during the run: {dict(statuses)}")
    errors = Counter(e for w in r.writes for e in w.errors)
    lines.append("")
    lines.append(f"client-side failures by kind (all resent): {dict(errors) or 'none'}")
    for kill in r.kills:
        missing = [s.name for s, t in zip(r.screens, kill.current_after, strict=True) if t is None]
        if missing:
            problems.append(f"kill {kill.number}: not current before the next kill: {', '.join(missing)}")
    for line in problems[:30]:
        lines.append(f"- {line}")
    if len(problems) > 30:
        lines.append(f"- … and {len(problems) - 30} more")
    for line in r.server_errors[:10]:
        lines.append(f"server log: {line[:200]}")
    return "\n".join(lines)
