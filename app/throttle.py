"""Throttling: guessed secrets (event code, passwords, links, API tokens) and per-participant actions (votes).

One policy for all of it: a few free failures, then a wait that doubles with every further failure up to a cap
(`Budget`). Only FAILED guesses are counted; a correct code or link is never counted.

Never by address alone (a whole city hall shares one address, and behind a misconfigured proxy everybody does):

- each guessing browser has its own tight budget, keyed by a random id kept in its signed session cookie
  (``session["b"]``, minted at its first failure);
- the client address (IPv6: its /64) has a generous budget that only catches guessers who throw their cookie away
  (for the unguessable links and the API token it is the only budget: it merely keeps a flood cheap).
  When it runs out it refuses new, *untrusted* browsers on that address; a browser whose signed session already
  holds a participant, role or organiser grant (it once presented a valid secret: an OWASP "device cookie") is
  never held back by the address, only by its own budget. Trade-off: while an address is locked, a newcomer on it
  waits before joining with the code; a personal link, being a different secret with its own budget, still works.

The organiser login is never throttled per account alone (that let anyone who knows a user name keep its owner
out all day by failing once every quarter of an hour). It counts per (submitted user name, browser) and per
(submitted user name, address) (`LOGIN`), plus a generous budget across all names per browser and per address
(`LOGIN_ANY`: spraying many names cannot burn the CPU on password hashes). Keys hold the name as submitted
(normalised as the account lookup does, `app.organiser.auth.login_name`), never the account row, so a name that
does not exist is throttled exactly like one that does. A browser that once signed in as that user keeps a device
cookie in its signed session (``session["d"]``, kept after signing out): for that name it is never held back by
an address, only by its own budget. So failures from other browsers never lock the owner out of their own
browser, and failures from other addresses never hold the owner back at all.

Where the counts live:

- guessable secrets (the 30-bit event code, passwords) are counted in the database (`ThrottleCount`, one row per
  key: failures and locked_until), so every process shares one budget. A failure is one small upsert; a refused
  attempt writes nothing, and once this process knows the lock the throttle reads nothing either.
  Keys are HMACs of the address or browser id (and, for the login, the user name): pseudonyms, not addresses,
  purged a day after they go quiet.
- 192-bit tokens (personal and role links, the API token) cannot be guessed; their throttle only keeps a flood of
  wrong tokens cheap, so it counts in this process's memory: no database write at all, and a refused request does
  not even read the database. With P processes a flooder gets at most P times the budget before every process
  refuses it (approximate on purpose: the secret is not guessable, the cost is what is limited).
- participants' votes and upvotes are counted per participant in memory, per process, for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import DateTime, Integer, String, and_, case, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from app.db import Base, Database, insert_for
from app.i18n import ngettext


@dataclass(frozen=True)
class Budget:
    """`free` failures (or actions) per `window` seconds; from then on each one adds a wait of `base` seconds,
    doubling, at most `cap`. The count starts afresh a window after its first failure, once no wait is running."""

    free: int
    window: float
    base: float
    cap: float

    def wait(self, count: int) -> float:
        if count < self.free:
            return 0.0
        return min(self.base * 2 ** min(count - self.free, 40), self.cap)


@dataclass(frozen=True)
class Rule:
    """What one kind of secret (or action) may cost: per browser, per address, and where it is counted."""

    name: str
    browser: Budget | None
    address: Budget | None
    shared: bool  # True: in the database, for all processes; False: in this process's memory
    per_account: bool = False  # True: every key also holds the submitted user name (the organiser login)


HOUR, MINUTE = 3600.0, 60.0
# The event code is 6 characters of 32 (30 bits): a guesser on one address gets about 50 + 7 tries an hour.
JOIN = Rule("join", Budget(5, HOUR, 30, 15 * MINUTE), Budget(50, HOUR, 30, 15 * MINUTE), shared=True)
# The organiser login, per submitted user name: 5 per browser and 10 per address, then 30 s doubling up to 15
# minutes. Never per account alone: a guesser elsewhere cannot hold the owner back.
LOGIN = Rule("login", Budget(5, HOUR, 30, 15 * MINUTE), Budget(10, HOUR, 30, 15 * MINUTE), shared=True,
             per_account=True)
# And across all names: both are checked before the password hash, so a flood of logins (known or unknown names)
# cannot burn the CPU either.
LOGIN_ANY = Rule("login-any", Budget(10, HOUR, 30, 15 * MINUTE), Budget(50, HOUR, 30, 15 * MINUTE), shared=True)
# 192-bit links: only the cost matters, so short waits (an honest newcomer behind a flooder waits a minute at most).
# Address only, like the API: a forged link must leave no cookie behind (so no browser id is minted for it), and
# a browser holding a grant is not held back by its address anyway.
LINK = Rule("link", None, Budget(100, 10 * MINUTE, 5, MINUTE), shared=False)
# API clients keep no cookies: address only, but a token that worked recently always passes (see `vouched`).
API = Rule("api", None, Budget(100, 10 * MINUTE, 5, MINUTE), shared=False)
# Per participant, every action counts (no honest person upvotes or votes 60 times a minute).
UPVOTE = Rule("upvote", Budget(60, MINUTE, 10, MINUTE), None, shared=False)
POLL_VOTE = Rule("poll-vote", Budget(60, MINUTE, 10, MINUTE), None, shared=False)


@dataclass
class Count:
    n: int
    first: float  # epoch seconds of the window's first failure
    until: float  # epoch seconds until which the key is refused; 0 when it is not

    def after(self, budget: Budget, now: float) -> Count:
        """The count after one more failure at `now`."""
        if self.first < now - budget.window and self.until <= now:
            n, first = 1, now
        else:
            n, first = self.n + 1, self.first
        wait = budget.wait(n)
        return Count(n, first, now + wait if wait else 0.0)


class Store(Protocol):
    async def get(self, keys: list[str]) -> dict[str, Count]: ...

    async def add(self, items: list[tuple[str, Budget]], now: float) -> list[Count]: ...


class MemoryStore:
    """This process only. Bounded: past `max_keys` the key that failed longest ago is forgotten first."""

    def __init__(self, max_keys: int = 50_000) -> None:
        self.max_keys = max_keys
        self._counts: OrderedDict[str, Count] = OrderedDict()

    async def get(self, keys: list[str]) -> dict[str, Count]:
        return {key: self._counts[key] for key in keys if key in self._counts}

    async def add(self, items: list[tuple[str, Budget]], now: float) -> list[Count]:
        result = []
        for key, budget in items:
            count = (self._counts.pop(key, None) or Count(0, now, 0.0)).after(budget, now)
            self._counts[key] = count
            result.append(count)
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        return result


class ThrottleCount(Base):
    """Failed guesses of one key (an HMAC of rule, address or browser id and, for the login, user name)."""

    __tablename__ = "throttle_count"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _epoch(value: datetime | None) -> float:
    return value.replace(tzinfo=UTC).timestamp() if value else 0.0


PURGE_EVERY = 10 * MINUTE
KEEP = 24 * HOUR


class DatabaseStore:
    """Shared by every process: one upsert per failure (atomic on SQLite and PostgreSQL alike)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._purged = 0.0

    async def get(self, keys: list[str]) -> dict[str, Count]:
        async with self.db.read() as session:
            rows = await session.execute(select(ThrottleCount).where(ThrottleCount.key.in_(keys)))
            return {row.key: Count(row.failures, _epoch(row.first_at), _epoch(row.locked_until))
                    for row in rows.scalars()}

    async def add(self, items: list[tuple[str, Budget]], now: float) -> list[Count]:
        table, result = ThrottleCount, []
        async with self.db.write() as session:
            for key, budget in items:
                # The same rule as Count.after, in SQL, so two processes failing at once both count.
                cutoff = _dt(now - budget.window) if math.isfinite(budget.window) else datetime.min
                fresh = and_(table.first_at < cutoff, or_(table.locked_until.is_(None), table.locked_until <= _dt(now)))
                statement = insert_for(session)(table).values(key=key, failures=1, first_at=_dt(now), locked_until=None)
                statement = statement.on_conflict_do_update(index_elements=[table.key], set_={
                    "failures": case((fresh, 1), else_=table.failures + 1),
                    "first_at": case((fresh, _dt(now)), else_=table.first_at),
                }).returning(table.failures, table.first_at)
                failures, first_at = (await session.execute(statement)).one()
                wait = budget.wait(failures)
                until = now + wait if wait else 0.0
                if until:
                    await session.execute(update(table).where(table.key == key).values(locked_until=_dt(until)))
                result.append(Count(failures, _epoch(first_at), until))
            if now - self._purged > PURGE_EVERY:
                # Pseudonymous, but still about people: forget keys a day after they went quiet.
                self._purged = now
                await session.execute(delete(table).where(
                    table.first_at < _dt(now - KEEP),
                    or_(table.locked_until.is_(None), table.locked_until < _dt(now))))
        return result


@dataclass(frozen=True)
class Refusal:
    seconds: int

    def message(self) -> str:
        if self.seconds < 120:
            return ngettext("Too many attempts. Try again in %(num)s second.",
                            "Too many attempts. Try again in %(num)s seconds.", self.seconds)
        minutes = math.ceil(self.seconds / 60)
        return ngettext("Too many attempts. Try again in %(num)s minute.",
                        "Too many attempts. Try again in %(num)s minutes.", minutes)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.seconds)}


class Throttled(Exception):
    """Raised by `limit` for a participant's action; `app.web.answers_with_status` answers it with 429."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.seconds)
        self.refusal = refusal


def client_address(conn: HTTPConnection) -> str:
    """The client's address as the budget sees it: IPv4 as is, IPv6 by its /64 (one household or office gets a
    whole /64, so single IPv6 addresses cost an attacker nothing)."""
    host = conn.client.host if conn.client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:100] or "?"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def browser_id(conn: HTTPConnection, create: bool = False) -> str | None:
    """This browser's throttle id from its signed session (unforgeable, but free to throw away: hence the
    address budget)."""
    session = conn.scope.get("session")
    if not isinstance(session, dict):
        return None
    value = session.get("b")
    if isinstance(value, str) and 8 <= len(value) <= 40:
        return value
    if create:
        session["b"] = secrets.token_urlsafe(12)
        return session["b"]
    return None


def trusted(conn: HTTPConnection) -> bool:
    """The signed session holds a grant, so this browser presented a valid secret before."""
    session = conn.scope.get("session")
    if not isinstance(session, dict):
        return False
    return bool(session.get("p")) or bool(session.get("r")) or isinstance(session.get("org"), int)


class Throttles:
    """One per process (on app.state): the two stores, and the locks this process already knows of."""

    MAX_KNOWN = 20_000

    def __init__(self, db: Database, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.shared: Store = DatabaseStore(db)
        self.local: Store = MemoryStore()
        self.clock = clock
        self._secret = hashlib.sha256(f"samen-throttle:{secret_key}".encode()).digest()
        self._locks: dict[str, float] = {}
        self._vouched: OrderedDict[str, float] = OrderedDict()

    def _key(self, rule: Rule, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{rule.name}|{kind}|{value}".encode(), hashlib.sha256).hexdigest()[:40]

    def _targets(self, conn: HTTPConnection, rule: Rule, create: bool, address: bool = True,
                 account: str | None = None) -> list[tuple[str, Budget]]:
        scope = ""
        if rule.per_account:
            assert account is not None, f"{rule.name} is counted per user name"
            scope = f"{len(account)}:{account}|"
        targets = []
        if rule.browser is not None:
            browser = browser_id(conn, create)
            if browser:
                targets.append((self._key(rule, "b", scope + browser), rule.browser))
        if rule.address is not None and address:
            targets.append((self._key(rule, "a", scope + client_address(conn)), rule.address))
        return targets

    def _store(self, rules: tuple[Rule, ...]) -> Store:
        assert len({rule.shared for rule in rules}) == 1, "rules checked together are counted in one place"
        return self.shared if rules[0].shared else self.local

    async def _refusal(self, store: Store, keys: list[str], now: float) -> Refusal | None:
        until = max((self._locks.get(key, 0.0) for key in keys), default=0.0)
        if until <= now:  # not known to be locked here: ask the store (the database for shared rules)
            counts = await store.get(keys)
            for key, count in counts.items():
                self._remember(key, count.until, now)
            until = max((count.until for count in counts.values()), default=0.0)
        return Refusal(max(1, math.ceil(until - now))) if until > now else None

    def _remember(self, key: str, until: float, now: float) -> None:
        if until <= now:
            return
        if len(self._locks) >= self.MAX_KNOWN:
            self._locks = {k: v for k, v in self._locks.items() if v > now}
        if len(self._locks) < self.MAX_KNOWN:
            self._locks[key] = until

    async def check(self, conn: HTTPConnection, *rules: Rule, account: str | None = None) -> Refusal | None:
        """Before looking at a guess: refused while this browser, or (for an untrusted browser) this address,
        is waiting. Nothing is written. With `account` (the organiser login: `auth.login_name`) only that user's
        device cookie makes a browser trusted."""
        address = not (self.known_device(conn, account) if account is not None else trusted(conn))
        keys = [key for rule in rules
                for key, _budget in self._targets(conn, rule, create=False, address=address, account=account)]
        return await self._refusal(self._store(rules), keys, self.clock()) if keys else None

    async def failed(self, conn: HTTPConnection, *rules: Rule, account: str | None = None) -> None:
        """A wrong guess: counted for this browser (given an id now if it has none) and for its address."""
        now = self.clock()
        targets = [target for rule in rules for target in self._targets(conn, rule, create=True, account=account)]
        counts = await self._store(rules).add(targets, now)
        for (key, _budget), count in zip(targets, counts, strict=True):
            self._remember(key, count.until, now)

    # The organiser login's device cookie (OWASP): tags of the user names this browser signed in as, in its
    # signed session. Kept after signing out; HMACs, so the cookie does not show the names.
    MAX_DEVICE_TAGS = 5

    def _device_tag(self, account: str) -> str:
        return hmac.new(self._secret, f"device|{account}".encode(), hashlib.sha256).hexdigest()[:16]

    def known_device(self, conn: HTTPConnection, account: str) -> bool:
        session = conn.scope.get("session")
        tags = session.get("d") if isinstance(session, dict) else None
        return isinstance(tags, list) and self._device_tag(account) in tags

    def remember_device(self, conn: HTTPConnection, account: str) -> None:
        """After a successful login: this browser is trusted for this user name from now on."""
        session = conn.scope.get("session")
        if not isinstance(session, dict):
            return
        tag, known = self._device_tag(account), session.get("d")
        tags = [t for t in known if isinstance(t, str) and t != tag] if isinstance(known, list) else []
        session["d"] = (tags + [tag])[-self.MAX_DEVICE_TAGS:]

    async def act(self, rule: Rule, who: str) -> Refusal | None:
        """One action of one participant (every action counts); refused, and then not counted, over the budget."""
        assert rule.browser is not None and not rule.shared
        now, key = self.clock(), self._key(rule, "p", who)
        refusal = await self._refusal(self.local, [key], now)
        if refusal is None:
            (count,) = await self.local.add([(key, rule.browser)], now)
            self._remember(key, count.until, now)
        return refusal

    # A token that just worked passes an address lock: a flooder on the same address never locks out the
    # stream's overlay. Only a pass through the throttle: the token itself is checked again every time.
    def vouch(self, token: str) -> None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        self._vouched.pop(digest, None)
        self._vouched[digest] = self.clock() + 10 * MINUTE
        while len(self._vouched) > 1000:
            self._vouched.popitem(last=False)

    def vouched(self, token: str) -> bool:
        return self._vouched.get(hashlib.sha256(token.encode()).hexdigest(), 0.0) > self.clock()


def throttles(app: object) -> Throttles:
    """The process's throttles, made at first use (the app's database exists once the lifespan has started)."""
    state = app.state  # type: ignore[attr-defined]
    found = getattr(state, "throttles", None)
    if found is None or found.db is not state.db:  # a restarted lifespan has a new database object
        found = state.throttles = Throttles(state.db, state.settings.secret_key)
    return found


async def limit(conn: HTTPConnection, rule: Rule, who: str) -> None:
    """Count a participant's action; raise Throttled when they go over their budget."""
    refusal = await throttles(conn.app).act(rule, who)
    if refusal is not None:
        raise Throttled(refusal)


def refused_page(request: Request, refusal: Refusal) -> Response:
    """A full page for a refused link (a link is opened by a plain GET, not by htmx)."""
    from app.templating import templates  # here, so that Alembic's import of the models stays light

    return templates.TemplateResponse(request, "pages/error.html", {"message": refusal.message(), "status": 429},
                                      status_code=429, headers=refusal.headers)
