"""The races of bench/races.py (its docstring describes the run and what is checked): here so that its fast test,
tests/multiprocess/test_races.py, and the bench share it without the test importing the bench."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
from sqlalchemy import text

from tests.support.clients import (
    QUESTION_LIST_ID,
    RESULTS_ID,
    Shown,
    participant_client,
    run_with_server,
    shared_transport,
    shown,
    sign_in,
    sign_in_all,
    snapshot,
)
from tests.support.server import MODERATOR, SECRET, Server, percentiles

PRESENTER = "presenter:Presentatiescherm"


@dataclass
class Config:
    participants: int = 200
    burst: int = 50  # requests one participant sends at once in round 1 (half poll votes, half upvotes)
    same_key: int = 5  # copies of one question with one key, in the same burst
    approved: int = 5  # approved questions the upvotes go to
    parallel: int = 4  # participants bursting at the same time (so at most parallel x burst requests in flight)
    backend: str = "sqlite"
    tick_ms: int = 150
    seed: int = 4122020
    keep: bool = False


@dataclass
class Check:
    """One round's comparison of what is displayed with what is stored."""

    name: str
    db_voters: int = -1
    db_options: list[int] = field(default_factory=list)
    db_upvotes: dict[int, int] = field(default_factory=dict)
    displays: dict[str, Shown] = field(default_factory=dict)  # page / participant snapshot / presenter snapshot
    problems: list[str] = field(default_factory=list)


@dataclass
class Result:
    config: Config
    requests: Counter = field(default_factory=Counter)  # kind -> sent
    statuses: Counter = field(default_factory=Counter)  # (kind, status or error) -> count
    ack_seconds: list[float] = field(default_factory=list)
    double_ballots: int = 0  # (question, participant) pairs with more than one ballot
    bad_single: int = 0  # single-choice ballots without exactly one choice
    mixed_selections: int = 0  # multiple-choice ballots that hold no selection the participant sent
    wrong_choice: int = 0  # single-choice ballots holding an answer the participant never sent
    double_upvotes: int = 0  # (question, participant) pairs with more than one upvote row
    missing_upvotes: int = 0  # expected (question, participant) upvotes that are not stored
    duplicate_questions: int = 0  # same-key copies stored more than once
    missing_questions: int = 0
    checks: list[Check] = field(default_factory=list)
    burst_seconds: float = 0.0
    total_seconds: float = 0.0
    server_errors: list[str] = field(default_factory=list)

    @property
    def non_2xx(self) -> Counter:
        return Counter({key: n for key, n in self.statuses.items() if key[1] != 200})

    @property
    def ok(self) -> bool:
        return (not self.non_2xx and not self.double_ballots and not self.bad_single and not self.mixed_selections
                and not self.wrong_choice and not self.double_upvotes and not self.missing_upvotes
                and not self.duplicate_questions and not self.missing_questions and len(self.checks) == 2
                and not any(c.problems for c in self.checks))


class Run:
    def __init__(self, config: Config, server: Server, url: str, log: Callable[[str], None]) -> None:
        from app.db import Database

        self.config, self.server, self.log = config, server, log
        self.db = Database(url)
        self.rng = random.Random(config.seed)
        self.result = Result(config=config)

    async def rows(self, sql: str, **params: object) -> list[tuple]:
        async with self.db.read() as session:
            return [tuple(row) for row in (await session.execute(text(sql), params)).all()]

    async def post(self, client: httpx2.AsyncClient, kind: str, path: str, data: dict) -> None:
        self.result.requests[kind] += 1
        started = time.monotonic()
        try:
            response = await client.post(path, data=data)
        except httpx2.TransportError as error:
            self.result.statuses[(kind, type(error).__name__)] += 1
            return
        self.result.ack_seconds.append(time.monotonic() - started)
        self.result.statuses[(kind, response.status_code)] += 1

    async def bursts(self, clients: list[httpx2.AsyncClient], make: Callable[[int], list]) -> None:
        """``make(i)`` gives participant i's requests; all of them are sent at once, ``parallel`` people at a time."""
        gate = asyncio.Semaphore(self.config.parallel)

        async def one(i: int) -> None:
            async with gate:
                await asyncio.gather(*(self.post(clients[i], *request) for request in make(i)))

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(len(clients))))
        self.result.burst_seconds += time.monotonic() - started

    async def drive(self, tokens: list[str], question_id: int, options: list[int]) -> None:
        from app.demo import SLUG, demo_token

        config, log, result, rng = self.config, self.log, self.result, self.rng
        slug = SLUG
        # Every request of a burst on its own connection: the pool holds a whole round of bursts.
        transport = shared_transport(config.parallel * (config.burst + config.same_key) + 16)
        base, port = self.server.base_url, self.server.port
        clients = [participant_client(base, transport, timeout=120) for _ in tokens]
        try:
            cookies = await sign_in_all(clients, [f"/j/{t}" for t in tokens])
            moderator = participant_client(base, transport)
            await sign_in(moderator, f"/r/{demo_token(SECRET, MODERATOR)}")
            presenter = await sign_in(participant_client(base, transport), f"/r/{demo_token(SECRET, PRESENTER)}")
            ids = dict(await self.rows(
                "SELECT CAST(substr(name, 9) AS INTEGER) - 1, id FROM participant WHERE name LIKE 'Stemmer %'"))

            # Questions to upvote: asked by the first participants, approved by the moderator.
            keys = [secrets.token_urlsafe(24) for _ in range(config.approved)]
            for i, key in enumerate(keys):
                response = await clients[i % len(clients)].post(
                    f"/e/{slug}/questions", data={"body": f"Racevraag {i + 1}: wie betaalt de rekening?", "key": key})
                assert response.status_code == 200, response.status_code
            approved = sorted(qid for qid, key in await self.rows("SELECT id, idempotency_key FROM question") if key in keys)
            for qid in approved:
                response = await moderator.post(f"/e/{slug}/moderator/questions/{qid}", data={"action": "approve"})
                assert response.status_code == 200, (qid, response.status_code)
            response = await moderator.post(f"/e/{slug}/polls/{question_id}/open")
            assert response.status_code == 200, response.status_code
            log(f"  {len(cookies)} participants signed in, {len(approved)} questions approved, poll question open")

            # Round 1: single-choice votes, upvotes, a double-submitted question.
            votes = config.burst // 2
            sent_options: dict[int, set[int]] = {}
            same_keys = {i: secrets.token_urlsafe(24) for i in range(len(clients))}

            def round_one(i: int) -> list:
                chosen = [rng.choice(options) for _ in range(votes)]
                sent_options[i] = set(chosen)
                requests = [("poll vote", f"/e/{slug}/polls/{question_id}/vote", {"option": str(o)}) for o in chosen]
                requests += [("upvote", f"/e/{slug}/questions/{approved[k % len(approved)]}/vote", {"up": "1"})
                             for k in range(config.burst - votes)]
                body = f"Dubbel verstuurd door deelnemer {i + 1}"
                requests += [("question", f"/e/{slug}/questions", {"body": body, "key": same_keys[i]})] * config.same_key
                rng.shuffle(requests)
                return requests

            await self.bursts(clients, round_one)
            log(f"  round 1: {sum(result.requests.values())} requests in {result.burst_seconds:.1f} s")
            await self.check_round_one(question_id, options, approved, ids, sent_options, same_keys)
            result.checks.append(await self.displayed("round 1 (single choice, upvotes)", question_id, options,
                                                      approved, clients[0], port, cookies[0], presenter))

            # Round 2: multiple choice (at most two), a different selection in every request.
            (second_id,), = await self.rows("SELECT id FROM poll_question WHERE kind = 'multiple' AND max_choices = 2")
            multiple_options = [o for (o,) in await self.rows(
                "SELECT id FROM poll_option WHERE question_id = :q ORDER BY position", q=second_id)]
            response = await moderator.post(f"/e/{slug}/polls/{second_id}/open")
            assert response.status_code == 200, response.status_code
            selections: dict[int, set[frozenset[int]]] = {}

            def round_two(i: int) -> list:
                chosen = [frozenset(rng.sample(multiple_options, rng.choice((1, 2)))) for _ in range(votes)]
                selections[i] = set(chosen)
                return [("poll vote", f"/e/{slug}/polls/{second_id}/vote", {"option": [str(o) for o in sorted(s)]})
                        for s in chosen]

            before = sum(result.requests.values())
            await self.bursts(clients, round_two)
            log(f"  round 2: {sum(result.requests.values()) - before} requests")
            await self.check_round_two(second_id, ids, selections)
            result.checks.append(await self.displayed("round 2 (multiple choice)", second_id, multiple_options,
                                                      approved, clients[0], port, cookies[0], presenter))
        finally:
            await transport.aclose()
            await self.db.dispose()

    async def check_round_one(self, question_id: int, options: list[int], approved: list[int], ids: dict[int, int],
                              sent_options: dict[int, set[int]], same_keys: dict[int, str]) -> None:
        result, by_id = self.result, {v: k for k, v in ids.items()}
        ballots = await self.rows(
            "SELECT b.participant_id, count(DISTINCT b.id), count(c.option_id), min(c.option_id) FROM poll_ballot b "
            "LEFT JOIN poll_choice c ON c.ballot_id = b.id WHERE b.question_id = :q GROUP BY b.participant_id",
            q=question_id)
        for participant_id, n_ballots, n_choices, option in ballots:
            result.double_ballots += n_ballots > 1
            result.bad_single += n_choices != n_ballots
            result.wrong_choice += option not in sent_options.get(by_id.get(participant_id, -1), set())
        missing_ballots = len(ids) - len(ballots)
        if missing_ballots:
            result.wrong_choice += missing_ballots  # a participant whose every vote was answered 200 has no ballot
        upvotes = Counter((q, p) for q, p in await self.rows("SELECT question_id, participant_id FROM question_vote"))
        result.double_upvotes += sum(1 for n in upvotes.values() if n > 1)
        result.missing_upvotes += sum(1 for q in approved for p in ids.values() if (q, p) not in upvotes)
        stored = Counter(key for (key,) in await self.rows("SELECT idempotency_key FROM question"))
        result.duplicate_questions += sum(1 for key in same_keys.values() if stored[key] > 1)
        result.missing_questions += sum(1 for key in same_keys.values() if stored[key] == 0)

    async def check_round_two(self, question_id: int, ids: dict[int, int],
                              selections: dict[int, set[frozenset[int]]]) -> None:
        result, by_id = self.result, {v: k for k, v in ids.items()}
        rows = await self.rows(
            "SELECT b.id, b.participant_id, c.option_id FROM poll_ballot b LEFT JOIN poll_choice c ON c.ballot_id = b.id "
            "WHERE b.question_id = :q", q=question_id)
        ballots: dict[int, tuple[int, set[int]]] = {}
        for ballot_id, participant_id, option in rows:
            ballots.setdefault(ballot_id, (participant_id, set()))[1].add(option)
        per_participant = Counter(p for p, _s in ballots.values())
        result.double_ballots += sum(1 for n in per_participant.values() if n > 1)
        for participant_id, stored in ballots.values():
            if frozenset(stored) not in selections.get(by_id.get(participant_id, -1), set()):
                result.mixed_selections += 1
        result.mixed_selections += len(ids) - len(per_participant)  # no ballot at all for someone who voted

    async def displayed(self, name: str, question_id: int, options: list[int], approved: list[int],
                        client: httpx2.AsyncClient, port: int, cookie: str, presenter: str) -> Check:
        """The page, a participant snapshot and a presenter snapshot, each against the database."""
        from app.demo import SLUG

        check = Check(name)
        (check.db_voters,), = await self.rows("SELECT count(*) FROM poll_ballot WHERE question_id = :q", q=question_id)
        counts = dict(await self.rows(
            "SELECT c.option_id, count(*) FROM poll_choice c JOIN poll_ballot b ON b.id = c.ballot_id "
            "WHERE b.question_id = :q GROUP BY c.option_id", q=question_id))
        check.db_options = [int(counts.get(o, 0)) for o in options]
        stored = dict(await self.rows(
            "SELECT q.id, q.archived_votes + (SELECT count(*) FROM question_vote v WHERE v.question_id = q.id) "
            "FROM question q WHERE q.status IN ('approved', 'on_air', 'answered')"))
        check.db_upvotes = {int(q): int(n) for q, n in stored.items()}
        page = await client.get(f"/e/{SLUG}")
        check.displays["page"] = shown(page.text)
        check.displays["participant snapshot"] = shown(
            await snapshot(port, "participant", SLUG, cookie, (RESULTS_ID, QUESTION_LIST_ID)))
        check.displays["presenter snapshot"] = shown(await snapshot(port, "presenter", SLUG, presenter))
        for where, seen in check.displays.items():
            if (seen.voters, seen.chart, seen.table) != (check.db_voters, check.db_options, check.db_options):
                check.problems.append(f"{where}: {seen.voters} voters, chart {seen.chart}, table {seen.table}; "
                                      f"database {check.db_voters}, {check.db_options}")
            if where != "presenter snapshot" and (seen.upvotes != check.db_upvotes
                                                   or seen.upvote_attrs != check.db_upvotes):
                check.problems.append(f"{where}: upvotes {seen.upvotes} (data-votes {seen.upvote_attrs}); "
                                      f"database {check.db_upvotes}")
        if set(check.db_upvotes) != set(approved):
            check.problems.append(f"public questions {sorted(check.db_upvotes)}, approved {approved}")
        return check


def run(config: Config, log: Callable[[str], None] | None = None, *, database_url: str | None = None,
        broker_url: str | None = None) -> Result:
    """One run in its own temp dir; the server is always stopped. Without ``database_url`` a fresh SQLite file."""
    headline = f"races: {config.participants} participants x {config.burst} concurrent requests, {config.backend}"
    return run_with_server(config, Run, "samen-races-", headline, log, database_url=database_url, broker_url=broker_url)


def table(result: Result) -> str:
    c, r = result.config, result
    acks = percentiles(r.ack_seconds)
    sent = ", ".join(f"{n} {kind}s" for kind, n in sorted(r.requests.items()))
    answers = Counter()
    for (_kind, status), n in r.statuses.items():
        answers[status] += n
    rows = [
        ("backend", f"{c.backend}, {c.participants} participants, {c.parallel} bursting at once"),
        ("requests (each participant's burst sent at once)", f"{sum(r.requests.values())}: {sent}"),
        ("answers", ", ".join(f"{n}× {status}" for status, n in sorted(answers.items(), key=str))),
        ("answer time p50 / p95 / max s", " / ".join(f"{acks[k]:.2f}" for k in ("p50", "p95", "max")) if acks else "–"),
        ("double ballots (same person, same poll question)", str(r.double_ballots)),
        ("single-choice ballots without exactly one choice", str(r.bad_single)),
        ("single-choice ballots holding an answer never sent / missing", str(r.wrong_choice)),
        ("multiple-choice ballots that are a mixture (or missing)", str(r.mixed_selections)),
        ("double upvotes / missing upvotes", f"{r.double_upvotes} / {r.missing_upvotes}"),
        ("double-submitted questions stored twice / not at all", f"{r.duplicate_questions} / {r.missing_questions}"),
    ]
    for check in r.checks:
        agree = "yes" if not check.problems else "NO"
        rows.append((f"{check.name}: page, participant and presenter snapshot = database",
                     f"{agree} ({check.db_voters} voters, per answer {check.db_options}, upvotes "
                     f"{sorted(check.db_upvotes.values())})"))
    rows.append(("run", f"bursts {r.burst_seconds:.1f} s, total {r.total_seconds:.0f} s"))
    rows.append(("verdict", "PASS" if r.ok else "FAIL"))
    lines = ["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    for (kind, status), n in sorted(r.non_2xx.items(), key=str):
        lines.append(f"- {n}× {kind} answered {status}")
    for check in r.checks:
        lines += [f"- {check.name}: {p}" for p in check.problems]
    for line in r.server_errors[:10]:
        lines.append(f"server log: {line[:200]}")
    return "\n".join(lines)
