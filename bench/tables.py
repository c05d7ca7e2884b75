"""Seating engine benchmark: quality against the proven lower bound and a random shuffle, and time, at the sizes
the lunch-tables brief names. Run on purpose: `python -m bench.tables`.

The baseline measured in the same run is the random shuffle a video tool would do; times are reported with the
shuffle's time beside them so the ratio, not the absolute figure (machines here are shared and noisy), counts."""

from __future__ import annotations

import argparse
import random
import statistics
import time

from app.tables.assign import Person, Table, assign, history_of, quality, shuffle

CASES = [(130, 13, 40), (600, 60, 40), (2000, 200, 40)]


def make(n_people: int, n_tables: int, n_cities: int, seed: int):
    rng = random.Random(seed)
    cities = [f"c{i}" for i in range(n_cities)]
    if n_people <= 200:
        # A G40 day: 40 municipalities sending 2 to 4 people each.
        pool = [c for c in cities for _ in range(rng.randint(2, 4))]
        rng.shuffle(pool)
        pool = (pool * 2)[:n_people]
        pick = iter(pool).__next__
    else:
        weights = [1 / (i + 1) for i in range(n_cities)]  # a few big cities, many small ones

        def pick() -> str:
            return rng.choices(cities, weights)[0]

    tables = [Table(id=10_000 + i, capacity=20, host=Person(id=20_000 + i, city=pick()), topic=f"t{i % 4}")
              for i in range(n_tables)]
    guests = [Person(id=i, city=pick(), topic=rng.choice([None, "t0", "t1", "t2", "t3"]))
              for i in range(n_people - n_tables)]
    return tables, guests, {g.id: g for g in guests} | {t.host.id: t.host for t in tables}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| people / tables | lower bound | Samen same-city pairs | shuffle | spread | topics met | "
          "repeats over 3 rounds (with / without memory) | Samen time (median) | shuffle time | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n_people, n_tables, n_cities in CASES:
        times, shuffle_times = [], []
        for run in range(args.runs):
            tables, guests, people = make(n_people, n_tables, n_cities, seed=run)
            started = time.perf_counter()
            seating = assign(tables, guests, seed=run)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            shuffled = shuffle(tables, guests, seed=run)
            shuffle_times.append(time.perf_counter() - started)
        q, s = quality(seating, people), quality(shuffled, people)
        second = _repeats(tables, guests, people, memory=True)
        without = _repeats(tables, guests, people, memory=False)
        t, ts = statistics.median(times), statistics.median(shuffle_times)
        print(f"| {n_people} / {n_tables} | {q.lower_bound} | {q.same_city_pairs}{' (optimal)' if q.optimal else ''} | "
              f"{s.same_city_pairs} | {q.size_spread} | {q.topic_met}/{q.topic_wanted} | {second} / {without} | "
              f"{t * 1000:.0f} ms | {ts * 1000:.1f} ms | {t / ts:.0f}x |")


def _repeats(tables, guests, people, memory: bool) -> int:
    """Pairs that sit together again in rounds 2 and 3, with and without the engine remembering earlier rounds."""
    rounds, repeats = [], 0
    for number in range(3):
        met = history_of(rounds)
        seating = assign(tables, guests, history=met if memory else None, seed=number)
        repeats += quality(seating, people, met).repeated_pairs
        rounds.append({t: [p.id for p in g] for t, g in seating.members(people).items()})
    return repeats


if __name__ == "__main__":
    main()
