"""Seating engine for the lunch tables: pure Python, no web imports.

Goals, in order (see the lunch-tables brief): balanced table sizes (spread <= 1), as few same-municipality pairs
as possible, topic preferences met, no repeated pairs across rounds. Hosts are fixed and count for size and city.
Greedy placement (largest city first, each guest to the cheapest table) followed by a local search of guest
swaps; deterministic for a given seed.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from math import comb

W_CITY = 100.0  # one extra same-city pair costs more than anything but an overfull table
W_REPEAT = 30.0  # times met before, squared
W_TOPIC = 10.0  # a guest who wanted another topic
W_FILL = 0.01  # among equals, prefer the emptier table


@dataclass(frozen=True)
class Person:
    id: int
    city: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Table:
    id: int
    capacity: int
    host: Person | None = None
    topic: str | None = None


@dataclass
class Quality:
    same_city_pairs: int
    lower_bound: int
    tables_with_duplicate_city: int
    size_spread: int
    topic_wanted: int
    topic_met: int
    repeated_pairs: int
    moved: int = 0
    seconds: float = 0.0

    @property
    def optimal(self) -> bool:
        return self.same_city_pairs == self.lower_bound

    @property
    def topic_share(self) -> float | None:
        return self.topic_met / self.topic_wanted if self.topic_wanted else None


@dataclass
class Seating:
    """Who sits where (guests only; hosts are part of their table)."""

    tables: list[Table]
    seats: dict[int, int] = field(default_factory=dict)  # person id -> table id

    def members(self, people: dict[int, Person]) -> dict[int, list[Person]]:
        by_table: dict[int, list[Person]] = {t.id: ([t.host] if t.host else []) for t in self.tables}
        for person_id, table_id in self.seats.items():
            by_table[table_id].append(people[person_id])
        return by_table


def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def lower_bound(cities: Iterable[str | None], tables: int) -> int:
    """The fewest same-city pairs possible: each city spread as evenly as it can be over the tables."""
    total = 0
    for n in Counter(c for c in cities if c).values():
        q, r = divmod(n, tables)
        total += r * comb(q + 1, 2) + (tables - r) * comb(q, 2)
    return total


def target_sizes(tables: list[Table], total: int, rng: random.Random) -> dict[int, int]:
    """Balanced sizes (spread <= 1) that respect capacities where the room allows it."""
    count = len(tables)
    base, extra = divmod(total, count)
    order = sorted(tables, key=lambda t: (-t.capacity, rng.random()))
    return {t.id: base + (1 if i < extra else 0) for i, t in enumerate(order)}


class _State:
    """Counts kept up to date while people move, so a move or swap is priced without rescanning tables."""

    def __init__(self, tables: list[Table], history: dict[tuple[int, int], int]) -> None:
        self.tables = {t.id: t for t in tables}
        self.members: dict[int, list[Person]] = {t.id: [] for t in tables}
        self.cities: dict[int, Counter] = {t.id: Counter() for t in tables}
        self.where: dict[int, int] = {}
        self.met: dict[int, dict[int, int]] = defaultdict(dict)  # person -> {earlier table-mate: times}
        for (a, b), times in history.items():
            self.met[a][b] = times
            self.met[b][a] = times
        for t in tables:
            if t.host:
                self._add(t.host, t.id)

    def _add(self, person: Person, table_id: int) -> None:
        self.members[table_id].append(person)
        self.where[person.id] = table_id
        if person.city:
            self.cities[table_id][person.city] += 1

    def _remove(self, person: Person, table_id: int) -> None:
        self.members[table_id].remove(person)
        del self.where[person.id]
        if person.city:
            self.cities[table_id][person.city] -= 1

    def repeats(self, person: Person, without: Person | None = None) -> dict[int, float]:
        """What earlier meetings would cost at each table (only tables where someone met before sits)."""
        cost: dict[int, float] = defaultdict(float)
        for partner, times in self.met.get(person.id, {}).items():
            table_id = self.where.get(partner)
            if table_id is not None and partner != person.id and (without is None or partner != without.id):
                cost[table_id] += W_REPEAT * times * times
        return cost

    def same_city(self, person: Person, table_id: int, without: Person | None = None) -> int:
        """How many at table_id share person's city, not counting person and (optionally) `without`."""
        if not person.city:
            return 0
        same = self.cities[table_id][person.city]
        if self.where.get(person.id) == table_id:
            same -= 1  # not paired with oneself
        if without is not None and without.city == person.city and without.id != person.id:
            same -= 1
        return same

    def cost_with(self, person: Person, table_id: int, without: Person | None = None,
                  repeats: dict[int, float] | None = None) -> float:
        """What seating person at table_id costs (optionally as if `without` had left it)."""
        table = self.tables[table_id]
        cost = W_CITY * self.same_city(person, table_id, without)
        if person.topic and table.topic and person.topic != table.topic:
            cost += W_TOPIC
        if repeats is None:
            repeats = self.repeats(person, without)
        return cost + repeats.get(table_id, 0.0)


def assign(
    tables: list[Table],
    guests: list[Person],
    history: dict[tuple[int, int], int] | None = None,
    locked: dict[int, int] | None = None,
    seed: int = 0,
    max_seconds: float = 0.8,
) -> Seating:
    """Seat every guest. `locked` people stay where the organiser put them.

    Small and tight cases can trap the swap search in a local minimum, so it starts again from other orders
    while a quarter of the time budget allows, and keeps the cheapest seating (deterministic for a seed)."""
    if not tables:
        raise ValueError("no tables")
    started = time.perf_counter()
    best, best_cost = None, None
    for attempt in range(MAX_STARTS):
        seating, cost = _assign_once(tables, guests, history or {}, locked, seed * 7919 + attempt, max_seconds)
        if best_cost is None or cost < best_cost:
            best, best_cost = seating, cost
        if best_cost == 0 or time.perf_counter() - started > max_seconds / 4:
            break
    assert best is not None
    return best


MAX_STARTS = 12


def _assign_once(tables: list[Table], guests: list[Person], history: dict[tuple[int, int], int],
                 locked: dict[int, int] | None, seed: int, max_seconds: float) -> tuple[Seating, float]:
    started = time.perf_counter()
    rng = random.Random(seed)
    locked = {p: t for p, t in (locked or {}).items() if any(t == table.id for table in tables)}
    state = _State(tables, history)
    seats = _seat_locked(state, guests, locked)
    _place_greedily(state, seats, tables, guests, rng)
    _improve(state, seats, set(locked), rng, started + max_seconds)
    total = sum(state.cost_with(p, t) for t, members in state.members.items() for p in members) / 2
    return Seating(tables=tables, seats=seats), total


def _seat_locked(state: _State, guests: list[Person], locked: dict[int, int]) -> dict[int, int]:
    """Seat the locked guests where the organiser put them; returns the seats so far (person id -> table id)."""
    seats: dict[int, int] = {}
    by_id = {g.id: g for g in guests}
    for person_id, table_id in locked.items():
        if person_id in by_id:
            state._add(by_id[person_id], table_id)
            seats[person_id] = table_id
    return seats


def _place_greedily(state: _State, seats: dict[int, int], tables: list[Table], guests: list[Person],
                    rng: random.Random) -> None:
    """Seat every guest not seated yet, each at the cheapest table that still has room."""
    hosts = sum(1 for t in tables if t.host)
    # Which tables get the one extra seat is left to the placement (not fixed up front): a table whose host
    # shares a city with many guests should stay the smaller one.
    base, extra = divmod(hosts + len(guests), len(tables))
    order = _placement_order(guests, seats, rng)
    table_ids = [t.id for t in tables]
    larger = sum(1 for t in table_ids if len(state.members[t]) > base)
    for guest in order:
        best = _cheapest_table(state, guest, table_ids, base, larger >= extra, rng)
        if best is None:  # every table at target (locks overfilled some): take the emptiest
            best = min(table_ids, key=lambda t: len(state.members[t]))
        if len(state.members[best]) == base:
            larger += 1
        state._add(guest, best)
        seats[guest.id] = best


def _placement_order(guests: list[Person], seats: dict[int, int], rng: random.Random) -> list[Person]:
    """The guests not seated yet, largest city first: they are the hardest to spread. Ties broken by the seed."""
    city_size = Counter(g.city for g in guests)
    return sorted((g for g in guests if g.id not in seats),
                  key=lambda g: (-city_size[g.city] if g.city else 0, rng.random()))


def _cheapest_table(state: _State, guest: Person, table_ids: list[int], base: int, extra_taken: bool,
                    rng: random.Random) -> int | None:
    """The cheapest table below its target size (`base`, or base + 1 while extra seats are left); None if none."""
    best, best_cost = None, None
    repeats = state.repeats(guest)
    for table_id in table_ids:
        size = len(state.members[table_id])
        if size > base or (size == base and extra_taken):
            continue
        cost = state.cost_with(guest, table_id, repeats=repeats) + W_FILL * size + rng.random() * 1e-6
        if best_cost is None or cost < best_cost:
            best, best_cost = table_id, cost
    return best


def _improve(state: _State, seats: dict[int, int], fixed: set[int], rng: random.Random, deadline: float) -> None:
    """Swap pairs of guests between tables while it lowers the total cost."""
    people = {p.id: p for table in state.members.values() for p in table}
    movable = {p for p in people if p in seats and p not in fixed}  # guests only: hosts have no seat
    improved = True
    while improved and time.perf_counter() < deadline:
        troubled = [people[p] for p in movable if state.cost_with(people[p], seats[p]) > 0]
        rng.shuffle(troubled)
        improved = _improve_round(state, seats, movable, troubled, deadline)


def _improve_round(state: _State, seats: dict[int, int], movable: set[int], troubled: list[Person],
                   deadline: float) -> bool:
    """One pass over the guests who cost something; True if any of them swapped (and time is left)."""
    improved = False
    for a in troubled:
        if time.perf_counter() > deadline:
            return False  # out of time: the caller's loop must stop as well
        improved = _swap_away(state, seats, movable, a) or improved
    return improved


def _swap_away(state: _State, seats: dict[int, int], movable: set[int], a: Person) -> bool:
    """Make the first swap of `a` with a guest at a cheaper table that lowers the total cost; False if none does."""
    table_a = seats[a.id]
    repeats_a = state.repeats(a)
    cost_a = state.cost_with(a, table_a, repeats=repeats_a)
    if cost_a <= 0:
        return False
    # Only tables where a alone would already be cheaper can hold a better swap partner.
    better = sorted((c, t) for t in state.members if t != table_a
                    and (c := state.cost_with(a, t, repeats=repeats_a)) < cost_a)
    for _, table_b in better:
        for b in list(state.members[table_b]):
            if b.id in movable and _swap_if_cheaper(state, seats, a, table_a, cost_a, b, table_b):
                return True
    return False


def _swap_if_cheaper(state: _State, seats: dict[int, int], a: Person, table_a: int, cost_a: float,
                     b: Person, table_b: int) -> bool:
    """Swap a and b if that lowers their combined cost (cost_a: what a costs at table_a now)."""
    before = cost_a + state.cost_with(b, table_b)
    after = state.cost_with(a, table_b, without=b) + state.cost_with(b, table_a, without=a)
    if after + 1e-9 >= before:
        return False
    state._remove(a, table_a)
    state._remove(b, table_b)
    state._add(a, table_b)
    state._add(b, table_a)
    seats[a.id], seats[b.id] = table_b, table_a
    return True


def quality(
    seating: Seating, people: dict[int, Person], history: dict[tuple[int, int], int] | None = None,
    previous: dict[int, int] | None = None,
) -> Quality:
    members = seating.members(people)
    same_city, duplicates, repeated = _table_counts(list(members.values()), history or {})
    wanted, met = _topic_counts(seating, people)
    sizes = [len(group) for group in members.values()]
    cities = [p.city for group in members.values() for p in group]
    moved = sum(1 for p, t in (previous or {}).items() if p in seating.seats and seating.seats[p] != t)
    return Quality(
        same_city_pairs=same_city,
        lower_bound=lower_bound(cities, len(seating.tables)),
        tables_with_duplicate_city=duplicates,
        size_spread=(max(sizes) - min(sizes)) if sizes else 0,
        topic_wanted=wanted,
        topic_met=met,
        repeated_pairs=repeated,
        moved=moved,
    )


def _table_counts(groups: list[list[Person]], history: dict[tuple[int, int], int]) -> tuple[int, int, int]:
    """Same-city pairs, tables with a city twice or more, and pairs who met before, over all tables."""
    same_city = duplicates = repeated = 0
    for group in groups:
        counts = Counter(p.city for p in group if p.city)
        same_city += sum(comb(n, 2) for n in counts.values())
        duplicates += any(n > 1 for n in counts.values())
        repeated += sum(1 for a, b in combinations(group, 2) if history.get(pair(a.id, b.id)))
    return same_city, duplicates, repeated


def _topic_counts(seating: Seating, people: dict[int, Person]) -> tuple[int, int]:
    """Guests who asked for a topic some table offers, and how many of them got it."""
    topics = {t.id: t.topic for t in seating.tables}
    offered = {t.topic for t in seating.tables if t.topic}
    wanted = met = 0
    for person_id, table_id in seating.seats.items():
        person = people[person_id]
        if person.topic and person.topic in offered:
            wanted += 1
            met += topics[table_id] == person.topic
    return wanted, met


def shuffle(tables: list[Table], guests: list[Person], seed: int = 0) -> Seating:
    """What a video tool does: random rooms of balanced size (hosts still fixed). Shown once, for comparison."""
    rng = random.Random(seed)
    order = list(guests)
    rng.shuffle(order)
    hosts = sum(1 for t in tables if t.host)
    targets = target_sizes(tables, hosts + len(guests), rng)
    room = [t.id for t in tables for _ in range(targets[t.id] - (1 if t.host else 0))]
    return Seating(tables=tables, seats={g.id: room[i % len(room)] for i, g in enumerate(order)})


# --- live operation ------------------------------------------------------------------------------------


def seat_late(seating: Seating, people: dict[int, Person], guest: Person,
              history: dict[tuple[int, int], int] | None = None) -> int:
    """A late joiner: the cheapest of the smallest tables. Nobody else moves."""
    state = _rebuild(seating, people, history or {})
    smallest = min(len(m) for m in state.members.values())
    candidates = [t for t, m in state.members.items() if len(m) == smallest]
    table_id = min(candidates, key=lambda t: (state.cost_with(guest, t), t))
    seating.seats[guest.id] = table_id
    return table_id


def rebalance(seating: Seating, people: dict[int, Person], present: set[int], fixed: set[int],
              not_opened: set[int], history: dict[tuple[int, int], int] | None = None,
              tolerance: int = 2) -> list[tuple[int, int, int]]:
    """Absorb no-shows: do nothing while the spread of present people is within `tolerance`; then move as few
    people as needed (spread <= 1), preferring people who have not opened their table link yet.
    Returns the moves as (person, from_table, to_table)."""
    history = history or {}

    def sizes() -> dict[int, int]:
        count = {t.id: (1 if t.host else 0) for t in seating.tables}
        for person_id, table_id in seating.seats.items():
            if person_id in present:
                count[table_id] += 1
        return count

    current = sizes()
    if max(current.values()) - min(current.values()) <= tolerance:
        return []
    moves: list[tuple[int, int, int]] = []
    state = _rebuild(seating, people, history, present)
    while True:
        current = sizes()
        big = max(current, key=lambda t: (current[t], -t))
        small = min(current, key=lambda t: (current[t], t))
        if current[big] - current[small] <= 1:
            return moves
        candidates = [p for p, t in seating.seats.items() if t == big and p in present and p not in fixed]
        if not candidates:
            return moves
        # Prefer someone who has not opened the table's video link yet, then whoever fits the small table best.
        mover = min(candidates, key=lambda p: (p not in not_opened,
                                               state.cost_with(people[p], small) - state.cost_with(people[p], big), p))
        state._remove(people[mover], big)
        state._add(people[mover], small)
        seating.seats[mover] = small
        moves.append((mover, big, small))


def _rebuild(seating: Seating, people: dict[int, Person], history: dict[tuple[int, int], int],
             present: set[int] | None = None) -> _State:
    state = _State(seating.tables, history)
    for person_id, table_id in seating.seats.items():
        if person_id in people and (present is None or person_id in present):
            state._add(people[person_id], table_id)
    return state


def history_of(rounds: Iterable[dict[int, list[int]]]) -> dict[tuple[int, int], int]:
    """How often each pair sat together in earlier rounds (each round: table -> people, hosts included)."""
    met: dict[tuple[int, int], int] = defaultdict(int)
    for round_ in rounds:
        for group in round_.values():
            for a, b in combinations(sorted(group), 2):
                met[(a, b)] += 1
    return dict(met)
