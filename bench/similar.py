"""'Lijkt op' benchmark: the cost of one incoming question (add it, then find what it looks like) at 2,000 questions,
against a brute-force baseline measured in the same run, and the precision/recall table over thresholds.
Run on purpose: `python -m bench.similar`.

Baseline: the same index and the same stored vectors, but the query is scored against every stored question by a
plain dot product (no inverted index, no skipping of common features). Machines here are shared and noisy, so the
ratio counts, not the absolute figure. The run also checks that both give the same suggestions, and how often the
index's suggestions differ from an exact recomputation with the current idf (stored vectors are re-weighted
gradually, see app/questions/similar.py).

The 2,000 questions are recombined from the corpus' sentences and clauses (tests/unit/similar_corpus.py) with
small variations (a dropped word, a typo, two clauses joined), from a fixed seed."""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import time
from pathlib import Path

from app.questions.similar import THRESHOLD, SimilarityIndex
from tests.unit.similar_corpus import GROUPS, HELDOUT_GROUPS, HELDOUT_SINGLES, SINGLES, measure

SIZE = 2000
INCOMING = 200
SEED = 17


def corpus_texts() -> list[str]:
    return ([t for texts in GROUPS.values() for t in texts] + list(SINGLES)
            + [t for texts in HELDOUT_GROUPS.values() for t in texts] + list(HELDOUT_SINGLES))


def generate(n: int, seed: int = SEED) -> list[str]:
    """`n` questions recombined from the corpus: one to three clauses from different questions, each maybe
    varied (a word dropped, a letter dropped, two words swapped)."""
    rng = random.Random(seed)
    clauses = sorted({c.strip() for t in corpus_texts() for c in re.split(r"(?<=[.?!:;,])\s+", t) if len(c.split()) >= 3})
    out = []
    for _ in range(n):
        parts = [rng.choice(clauses) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        words = " ".join(parts).split()
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(words))
            change = rng.random()
            if change < 0.4 and len(words) > 4:
                del words[i]
            elif change < 0.7 and len(words[i]) > 4:
                j = rng.randrange(1, len(words[i]) - 1)
                words[i] = words[i][:j] + words[i][j + 1:]
            elif i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
        out.append(" ".join(words))
    return out


def brute_force(index: SimilarityIndex, question_id: int, limit: int = 3,
                threshold: float = THRESHOLD) -> list[tuple[int, float]]:
    """The baseline: the query's exact vector against every earlier stored vector, one by one."""
    docs = index._docs  # a benchmark may look inside; the app must not
    me = docs[question_id]
    query = index._vector(me.tf)
    hits = []
    for d, doc in docs.items():
        if doc.seq >= me.seq:
            continue
        vec = doc.vec
        s = sum(x * vec.get(f, 0.0) for f, x in query.items())
        if s >= threshold:
            hits.append((d, min(1.0, s)))
    hits.sort(key=lambda h: (-h[1], docs[h[0]].seq))
    return hits[:limit]


def timing(size: int, incoming: int, exact_every: int = 4) -> dict[str, float]:
    """Fill an index with `size` questions, then time `incoming` more, one by one: `add` + `similar` (the index),
    and `add` + scoring every earlier question (the baseline). Wall time and CPU time (this process), in ms."""
    texts = generate(size + incoming)
    index = SimilarityIndex()
    started = time.perf_counter()
    for i, text in enumerate(texts[:size], start=1):
        index.add(i, text)
    build = time.perf_counter() - started
    wall, cpu, base_wall, base_cpu = [], [], [], []
    same, differences, exact_same, exact_runs = 0, [], 0, 0
    for i, text in enumerate(texts[size:], start=size + 1):
        w, c = time.perf_counter(), time.process_time()
        index.add(i, text)
        found = index.similar(i)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        # Compared on this very state: the timed baseline below adds the question again, which re-weights a few
        # other stored vectors (the rolling refresh), so its scores may differ in the last digits.
        same += [d for d, _ in found] == [d for d, _ in brute_force(index, i)]
        # The baseline pays the same `add` (it keeps the same index), then scores every question.
        index.remove(i)
        w, c = time.perf_counter(), time.process_time()
        index.add(i, text)
        brute_force(index, i)
        base_wall.append(time.perf_counter() - w)
        base_cpu.append(time.process_time() - c)
        if i % exact_every == 0:
            exact = _exact(index, i)
            exact_runs += 1
            exact_same += [d for d, _ in found] == [d for d, _ in exact if _ >= THRESHOLD][:3]
            scores = dict(exact)
            differences += [abs(s - scores[d]) for d, s in found if d in scores]
    ms = 1000.0
    return {
        "build_ms_per_question": build / size * ms,
        "median_ms": statistics.median(wall) * ms, "p95_ms": _p95(wall) * ms, "max_ms": max(wall) * ms,
        "median_cpu_ms": statistics.median(cpu) * ms, "p95_cpu_ms": _p95(cpu) * ms, "max_cpu_ms": max(cpu) * ms,
        "baseline_median_ms": statistics.median(base_wall) * ms, "baseline_p95_ms": _p95(base_wall) * ms,
        "baseline_median_cpu_ms": statistics.median(base_cpu) * ms, "baseline_p95_cpu_ms": _p95(base_cpu) * ms,
        "same_as_baseline": same / incoming,
        "same_as_exact": exact_same / exact_runs if exact_runs else 1.0,
        "mean_score_difference": statistics.mean(differences) if differences else 0.0,
        "max_score_difference": max(differences, default=0.0),
    }


def _exact(index: SimilarityIndex, question_id: int) -> list[tuple[int, float]]:
    """Every earlier question within 0.05 below the threshold or above, as an index re-weighted entirely with the
    current idf would score it (all vectors fresh), best first."""
    docs = index._docs
    me = docs[question_id]
    query = index._vector(me.tf)
    hits = []
    for d, doc in docs.items():
        if doc.seq < me.seq:
            vec = index._vector(doc.tf)
            s = sum(x * vec.get(f, 0.0) for f, x in query.items())
            if s >= THRESHOLD - 0.05:
                hits.append((d, s))
    hits.sort(key=lambda h: (-h[1], docs[h[0]].seq))
    return hits


def clusters_timing(size: int, queue: int) -> float:
    texts = generate(size)
    index = SimilarityIndex()
    for i, text in enumerate(texts, start=1):
        index.add(i, text)
    ids = range(size - queue + 1, size + 1)
    started = time.perf_counter()
    index.clusters(ids)
    return (time.perf_counter() - started) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def quality_table(thresholds: list[float]) -> str:
    dev = measure(thresholds, SimilarityIndex)
    held = measure(thresholds, SimilarityIndex, heldout=True)
    lines = ["| threshold | dev precision | dev recall | dev shown | held-out precision | held-out recall | "
             "held-out shown |", "|---|---|---|---|---|---|---|"]
    for d, h in zip(dev, held, strict=True):
        mark = " (THRESHOLD)" if math.isclose(d.threshold, THRESHOLD) else ""
        lines.append(f"| {d.threshold:.2f}{mark} | {d.precision:.2f} | {d.recall:.2f} ({d.found}/{d.labelled}) | "
                     f"{d.shown} | {h.precision:.2f} | {h.recall:.2f} ({h.found}/{h.labelled}) | {h.shown} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--incoming", type=int, default=INCOMING)
    args = parser.parse_args()
    print(quality_table([0.20, 0.24, 0.28, 0.32, 0.36, 0.40]))
    print()
    t = timing(args.size, args.incoming)
    print(f"| per incoming question at {args.size} questions | median | p95 | max |")
    print("|---|---|---|---|")
    print(f"| index: wall | {t['median_ms']:.1f} ms | {t['p95_ms']:.1f} ms | {t['max_ms']:.1f} ms |")
    print(f"| index: CPU | {t['median_cpu_ms']:.1f} ms | {t['p95_cpu_ms']:.1f} ms | {t['max_cpu_ms']:.1f} ms |")
    print(f"| baseline (scores every question): wall | {t['baseline_median_ms']:.1f} ms | {t['baseline_p95_ms']:.1f} ms | |")
    print(f"| baseline: CPU | {t['baseline_median_cpu_ms']:.1f} ms | {t['baseline_p95_cpu_ms']:.1f} ms | |")
    print(f"| ratio baseline / index (CPU) | {t['baseline_median_cpu_ms'] / t['median_cpu_ms']:.1f}x | "
          f"{t['baseline_p95_cpu_ms'] / t['p95_cpu_ms']:.1f}x | |")
    print()
    print(f"building the index: {t['build_ms_per_question']:.2f} ms per question (wall)")
    print(f"same suggestions as the baseline: {t['same_as_baseline']:.0%}; as an exact re-weighting of every question: "
          f"{t['same_as_exact']:.0%}, scores {t['mean_score_difference']:.4f} apart on average "
          f"(at most {t['max_score_difference']:.4f})")
    for queue in (50, 150):
        print(f"clusters of a queue of {queue} in an index of {args.size}: {clusters_timing(args.size, queue):.0f} ms (wall)")
    load = Path("/proc/loadavg")
    if load.exists():
        print(f"load average during the run (1, 5, 15 min): {' '.join(load.read_text().split()[:3])}")


if __name__ == "__main__":
    main()
