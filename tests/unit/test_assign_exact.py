"""The seating engine against an exact solver on small cases: scipy's HiGHS MILP finds the true minimum of
same-city pairs under the same rules (hosts fixed, balanced sizes), and the engine must reach it."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from app.tables.assign import Person, Table, assign, quality


def exact_minimum(tables: list[Table], guests: list[Person]) -> int:
    """Minimum same-city pairs over all balanced seatings, by MILP.

    z[c,t,k] = 1 when table t has at least k guests of city c; with h hosts of c at t, the k-th guest adds
    (h + k - 1) pairs (convex, so the ordering z[c,t,k] >= z[c,t,k+1] comes for free at the optimum but is
    stated anyway). b[t] = 1 when table t takes one of the r larger sizes."""
    cities = sorted({g.city for g in guests} | {t.host.city for t in tables if t.host})
    n_t, total = len(tables), len(guests) + sum(1 for t in tables if t.host)
    base, r = divmod(total, n_t)
    guests_of = {c: sum(1 for g in guests if g.city == c) for c in cities}
    hosts = {(c, i): int(bool(t.host and t.host.city == c)) for c in cities for i, t in enumerate(tables)}
    k_max = {c: guests_of[c] for c in cities}
    index: dict[tuple, int] = {}
    for c in cities:
        for i in range(n_t):
            for k in range(1, k_max[c] + 1):
                index[(c, i, k)] = len(index)
    b0 = len(index)
    n_vars = b0 + n_t
    cost = np.zeros(n_vars)
    for (c, i, k), j in index.items():
        cost[j] = hosts[(c, i)] + k - 1
    rows, lo, hi = [], [], []

    def row() -> np.ndarray:
        return np.zeros(n_vars)

    for c in cities:  # every guest of c is seated
        a = row()
        for i in range(n_t):
            for k in range(1, k_max[c] + 1):
                a[index[(c, i, k)]] = 1
        rows.append(a), lo.append(guests_of[c]), hi.append(guests_of[c])
    for i, t in enumerate(tables):  # table size = base + b[t], hosts included
        a = row()
        for c in cities:
            for k in range(1, k_max[c] + 1):
                a[index[(c, i, k)]] = 1
        a[b0 + i] = -1
        fixed = base - (1 if t.host else 0)
        rows.append(a), lo.append(fixed), hi.append(fixed)
    a = row()
    a[b0:] = 1
    rows.append(a), lo.append(r), hi.append(r)
    for c in cities:  # ordering
        for i in range(n_t):
            for k in range(1, k_max[c]):
                a = row()
                a[index[(c, i, k)]], a[index[(c, i, k + 1)]] = 1, -1
                rows.append(a), lo.append(0), hi.append(np.inf)
    result = milp(cost, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(n_vars),
                  bounds=Bounds(0, 1))
    assert result.success, result.message
    host_pairs = sum(h * (h - 1) // 2 for (c, i), h in hosts.items())  # at most one host per table: 0
    return int(round(result.fun)) + host_pairs


def small_case(seed: int, n_tables: int, n_guests: int, n_cities: int, hosts: bool):
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(n_cities)]
    cities = [f"c{i}" for i in range(n_cities)]
    tables = [Table(id=i, capacity=20, host=Person(id=1000 + i, city=rng.choices(cities, weights)[0]) if hosts else None)
              for i in range(n_tables)]
    guests = [Person(id=i, city=rng.choices(cities, weights)[0]) for i in range(n_guests)]
    return tables, guests


@pytest.mark.parametrize("seed", range(6))
def test_engine_reaches_the_exact_minimum_on_small_cases(seed):
    tables, guests = small_case(seed, n_tables=3 + seed % 3, n_guests=14 + 2 * seed, n_cities=4 + seed % 3, hosts=True)
    people = {g.id: g for g in guests} | {t.host.id: t.host for t in tables if t.host}
    got = quality(assign(tables, guests, seed=seed), people).same_city_pairs
    assert got == exact_minimum(tables, guests)


def test_the_extra_seats_go_where_they_cost_nothing():
    """Found by hypothesis: two guests of c0 and hosts from c1, c1 and c0; the two larger tables must be the
    c1 ones, so fixing the sizes up front (at random) was not enough."""
    tables = [Table(id=0, capacity=20, host=Person(id=100, city="c1")),
              Table(id=1, capacity=20, host=Person(id=101, city="c1")),
              Table(id=2, capacity=20, host=Person(id=102, city="c0"))]
    guests = [Person(id=1, city="c0"), Person(id=2, city="c0")]
    people = {g.id: g for g in guests} | {t.host.id: t.host for t in tables}
    for seed in range(20):
        assert quality(assign(tables, guests, seed=seed), people).same_city_pairs == 0 == exact_minimum(tables, guests)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_tables=st.integers(2, 4), n_guests=st.integers(2, 16),
       n_cities=st.integers(1, 5), hosts=st.booleans())
def test_engine_matches_the_exact_solver(seed, n_tables, n_guests, n_cities, hosts):
    tables, guests = small_case(seed, n_tables, n_guests, n_cities, hosts)
    people = {g.id: g for g in guests} | {t.host.id: t.host for t in tables if t.host}
    seating = assign(tables, guests, seed=seed)
    assert quality(seating, people).same_city_pairs == exact_minimum(tables, guests)
    assert all(seating.seats[g.id] in {t.id for t in tables} for g in guests)  # hosts stay; guests seated once


def _min_repeats_brute_force(people: list[int], sizes: list[int], met: dict) -> int:
    """Every way to seat people at tables of these sizes (tiny cases only): the least repetition, counted as the
    engine weighs it (a pair that met twice weighs 4, once 1: better two new encounters than one pair thrice)."""
    from itertools import combinations

    def splits(rest: list[int], sizes: list[int]):
        if not sizes:
            yield []
            return
        first, *others = rest
        for mates in combinations(others, sizes[0] - 1):
            group = [first, *mates]
            remaining = [p for p in rest if p not in group]
            for tail in splits(remaining, sizes[1:]):
                yield [group, *tail]

    return min(sum(met.get((a, b), 0) ** 2 for g in split for a, b in combinations(sorted(g), 2))
               for split in splits(people, sizes))


@pytest.mark.parametrize(("n_people", "n_tables", "rounds"), [(6, 2, 3), (8, 2, 3), (9, 3, 4), (8, 4, 4)])
def test_repeated_pairs_across_rounds_are_at_the_proven_minimum(n_people, n_tables, rounds):
    """Small tight cases (everyone from one place, so only meeting new people counts): after each round, the
    next round repeats no more than the best possible seating does (by brute force over every seating)."""
    from app.tables.assign import history_of

    tables = [Table(id=t, capacity=20) for t in range(n_tables)]
    guests = [Person(id=i) for i in range(n_people)]
    people = {g.id: g for g in guests}
    base, extra = divmod(n_people, n_tables)
    sizes = [base + 1] * extra + [base] * (n_tables - extra)
    earlier: list[dict[int, list[int]]] = []
    for number in range(rounds):
        met = history_of(earlier)
        seating = assign(tables, guests, history=met, seed=number)
        got = sum(met.get((min(a.id, b.id), max(a.id, b.id)), 0) ** 2 for g in seating.members(people).values()
                  for i, a in enumerate(g) for b in g[i + 1:])
        assert got == _min_repeats_brute_force(list(range(n_people)), sizes, met), f"round {number + 1}"
        earlier.append({t: [p.id for p in g] for t, g in seating.members(people).items()})
