"""'Lijkt op': similar questions and themes for the moderator, offline and Dutch-aware, in pure Python.

Questions never leave the process: no cloud service, no model download. A question becomes one sparse TF-IDF
vector of length 1 over two kinds of features:

- character n-grams (3 to 5, within word boundaries): Dutch glues words together ("jeugdzorgtekort",
  "opschalingskorting"), inflects them ("gemeente"/"gemeenten") and participants type fast ("jeugzorg"); n-grams
  match those without a stemmer or a dictionary;
- whole words: a shared rare word ("verhuurderheffing") counts as a word too, and words make the theme labels.

Before that the text is folded (lower case, diacritics dropped: "één" -> "een") and Dutch and English function
words are dropped. Term frequency is sublinear (1 + log tf); IDF is smooth, log((1 + N) / (1 + df)) + 1, over the
event's questions so far; similarity is the cosine.

What it measures is shared wording, not meaning: a duplicate phrased in other words is missed, and a different
question with the same key words is suggested. docs/similar.md has the measured precision and recall.

The index is incremental. Adding a question updates the document frequencies of its own features only. The idf of
every feature shifts a little with every question (N changes), so stored vectors go stale; instead of recomputing
all of them per question, each `add` re-weights the next REFRESH_PER_ADD stored vectors in a rolling cycle, and
the query's own vector is always computed with the current idf. Search is MaxScore over an inverted index
(feature -> question -> weight): see `_search`. It returns exactly what scoring every stored question would.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass

# The "shown" threshold: the best F0.5 (precision counts double: a wrong hint costs the moderator attention) on the
# development half of the hand-labelled corpus (tests/unit/similar_corpus.py). There: precision 0.46, recall 0.36;
# on the held-out half 0.69 and 0.29. Table and method in docs/similar.md.
THRESHOLD = 0.28
# Themes are looser than duplicates: questions on the same subject that ask different things (chosen by reading the
# themes of the corpus; at 0.10 its 241 questions form 81 themes, 17 of them a single question).
CLUSTER_THRESHOLD = 0.1
# Weight of a whole-word feature against a character n-gram's 1 (measured: 0 to 2 are within noise of each other).
WORD_WEIGHT = 1.0
NGRAMS = (3, 5)
# Stored vectors re-weighted per added question: at 2,000 questions, 4 keep scores within 0.002 on average (at most
# 0.016) of an exact re-weighting of every question, for about a millisecond (bench/similar.py).
REFRESH_PER_ADD = 4

# Function words that carry no subject. Compact on purpose: words like "geld", "kabinet" or "gemeenten" are
# frequent in this debate but not meaningless, and IDF already weighs them down.
DUTCH_STOP_WORDS = frozenset("""
    aan al alle alles als altijd ander andere ben bij daar daarom dan dat de der deze die dit doch doen doet door
    dus een eens eigenlijk en er even ge geen geweest gaan gaat haar had heb hebben hebt heeft heel hem het hier hij
    hoe hun iemand iets ik in is ja je jij jou jouw jullie kan kon kunnen maar me meer men met mij mijn moet moeten
    na naar niet niets nog nu of om omdat ons onze ook op over reeds te tegen toch toen tot u uit uw van veel voor
    waar waarom wanneer want waren was wat we wel welk welke werd wie wij wil willen word wordt worden zal ze zei
    zelf zich zij zijn zo zoals zonder zou zouden zullen
""".split())
ENGLISH_STOP_WORDS = frozenset("""
    a an and are as at be by can could do does for from has have how i if in into is it its of on or our should so
    than that the their them there these they this those to us was we were what when where which who why will with
    would you your
""".split())
STOP_WORDS = DUTCH_STOP_WORDS | ENGLISH_STOP_WORDS

# The frame of a question, not its subject: never a theme's label while it has another word. Only for labels: as
# stop words they did not help "lijkt op" on the development set (docs/similar.md, what was tried).
_LABEL_SKIP = frozenset("""
    krijg krijgen krijgt kreeg kregen gekregen kom komen komt kwam kwamen gekomen zorgen zorgt maak maken maakt
    gemaakt houd houden houdt hield geholpen helpen helpt gebruiken gebruikt vraag vragen vraagt gevraagd staan staat
    stond betekent betekenen zien ziet gezien vinden vindt vond denken denkt verwacht verwachten blijven blijft bleef
    laten laat zetten zet geven geeft gegeven nemen neemt genomen leggen legt lopen loopt brengen brengt pakken pakt
    mag mogen lukt lukken nieuw nieuwe goed goede echt echte steeds weer nou eindelijk allemaal helemaal vooral gewoon
    eigen extra genoeg jaar jaren keer manier mensen iets elkaar alleen inmiddels straks vaak tussen onder boven via
    per sinds tijdens naast zodat terwijl hoeveel kijken kijkt plaats get gets make makes keep keeps new also any more
    most
""".split())

_WORD = re.compile(r"[^\W_]+")  # letters and digits; hyphens, apostrophes and punctuation separate words
_SENTENCE_END = frozenset(".!?")
_WORD_KEY = "="  # prefix of a whole-word feature; n-gram features are letters, digits and spaces, never "="
_VOWELS = frozenset("aeiouy")
_DOUBLE_CONSONANTS = frozenset(c + c for c in "bcdfgklmnprstvz")


def fold(text: str) -> str:
    """Lower case without diacritics: "Één financiële" -> "een financiele"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=1 << 16)
def _stem(token: str) -> str:
    """Light Dutch stemming of a folded word, for the theme labels: the plural and inflection endings only
    ("gemeenten", "gemeente" -> "gemeent"; "woningen" -> "woning"; "grote", "groot" -> "grot"; "steden" -> "stad"),
    so that "provincie" and "provincies" count as one word. Not a dictionary form: never shown."""
    if len(token) <= 3 or not token.isalpha():
        return token
    return _one_vowel(_strip_e(_strip_plural(token)))


# Endings replaced whole: mogelijkheden -> mogelijkheid, energieen -> energie, raadsleden -> raadslid.
_REPLACED_ENDINGS = (("heden", "heid"), ("ieen", "ie"), ("steden", "stad"), ("leden", "lid"))


def _strip_plural(w: str) -> str:
    for ending, replacement in _REPLACED_ENDINGS:
        if w.endswith(ending):
            return w[:-len(ending)] + replacement
    if len(w) > 5 and w.endswith(("je", "jes")) and w[-4 if w.endswith("s") else -3] not in _VOWELS:
        return w[:-3] if w.endswith("s") else w[:-2]  # diminutive: huisje, huisjes -> huis
    if len(w) >= 5 and w.endswith("en") and w[-3] not in _VOWELS:
        return _undouble(w[:-2])  # plural or infinitive: woningen -> woning, kosten -> kost, bossen -> bos
    if len(w) >= 5 and w.endswith("s") and w[-2] not in "sj" and not w.endswith(("is", "us", "os")):
        return w[:-1]  # plural: inwoners -> inwoner, corporaties -> corporatie
    return w


def _strip_e(w: str) -> str:
    """An inflected adjective or a singular in -e: regionale -> regional, gemeente -> gemeent."""
    return _undouble(w[:-1]) if len(w) >= 5 and w.endswith("e") and w[-2] not in _VOWELS else w


def _undouble(w: str) -> str:
    return w[:-1] if w[-2:] in _DOUBLE_CONSONANTS else w


def _one_vowel(w: str) -> str:
    """One spelling for the closed and the open syllable: "maak"/"maken" -> "mak", "groot"/"grote" -> "grot"."""
    if len(w) >= 4 and w[-1] not in _VOWELS and w[-2] == w[-3] and w[-2] in "aeou" and w[-4] not in _VOWELS:
        return w[:-2] + w[-1]
    return w


@dataclass(frozen=True, slots=True)
class _Word:
    token: str  # folded
    surface: str  # as typed, for labels
    initial: bool  # first word of a sentence: its capital says nothing about how the word is written
    follows: bool  # right after the previous word that counts, with only spaces between ("Den Haag")
    fragment: bool  # glued to the word before by an apostrophe ("ers" of "mbo'ers"): no label on its own


def _words(text: str) -> list[_Word]:
    out = []
    previous_end = 0
    previous_counted = False
    for match in _WORD.finditer(text):
        between = text[previous_end:match.start()]
        initial = previous_end == 0 or any(c in _SENTENCE_END for c in between)
        fragment = previous_end > 0 and between in ("'", "\u2019")
        follows = previous_counted and between.isspace()
        previous_end = match.end()
        surface = match.group()
        token = fold(surface)
        if not token.isalnum():  # a compatibility character that folds into something else ("½" -> "1⁄2")
            token = "".join(c for c in token if c.isalnum())
        previous_counted = (len(token) > 1 or token.isdigit()) and token not in STOP_WORDS
        if previous_counted:
            out.append(_Word(token, surface, initial, follows, fragment))
    return out


def tokens(text: str) -> list[str]:
    """The words that count, folded, in order: no punctuation, no stop words, no single letters."""
    return [w.token for w in _words(text)]


def normalise(text: str) -> str:
    """`tokens` joined by spaces: "Hoe gaat het met de financiële verhoudingen?" -> "financiele verhoudingen"."""
    return " ".join(tokens(text))


def _term_frequencies(words: Iterable[str]) -> dict[str, float]:
    """Sublinear tf of the whole words and their character n-grams ("char_wb": each word padded with a space)."""
    counts: Counter[str] = Counter()
    low, high = NGRAMS
    for word in words:
        counts[_WORD_KEY + word] += 1
        padded = f" {word} "
        for n in range(low, high + 1):
            if n >= len(padded):  # a short word is one n-gram, counted once (as scikit-learn's char_wb does)
                counts[padded] += 1
                break
            for i in range(len(padded) - n + 1):
                counts[padded[i:i + n]] += 1
    return {f: 1.0 + math.log(c) for f, c in counts.items()}


class _Doc:
    __slots__ = ("seq", "tf", "vec", "words")

    def __init__(self, seq: int, tf: dict[str, float], vec: dict[str, float], words: list[_Word]) -> None:
        self.seq = seq  # arrival order: "earlier" means a smaller seq
        self.tf = tf
        self.vec = vec  # unit length, weighted with the idf of its last refresh
        self.words = words


@dataclass(frozen=True, slots=True)
class Cluster:
    """A theme in the queue: its questions in arrival order and its top terms, as people wrote them."""

    ids: tuple[int, ...]
    terms: tuple[str, ...]

    @property
    def label(self) -> str:
        return " · ".join(self.terms)


class SimilarityIndex:
    """The questions of one event. Not thread-safe; one per event per process, rebuilt from the database at start
    (`add` each question in order of arrival: about a millisecond each)."""

    __slots__ = ("_docs", "_df", "_postings", "_max_weight", "_rolling", "_seq")

    def __init__(self) -> None:
        self._docs: dict[int, _Doc] = {}
        self._df: dict[str, int] = {}
        self._postings: dict[str, dict[int, float]] = {}  # feature -> question id -> stored weight
        self._max_weight: dict[str, float] = {}  # feature -> at least the largest stored weight (a bound)
        self._rolling: deque[tuple[int, _Doc]] = deque()  # the re-weighting cycle
        self._seq = 0

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._docs

    def add(self, question_id: int, text: str) -> None:
        """Index a question. Adding an id again (an edited question) replaces its text but keeps its place in the
        arrival order."""
        seq = None
        if question_id in self._docs:
            seq = self._docs[question_id].seq
            self.remove(question_id)
        if seq is None:
            self._seq += 1
            seq = self._seq
        words = _words(text)
        tf = _term_frequencies(w.token for w in words)
        df = self._df
        for f in tf:
            df[f] = df.get(f, 0) + 1
        doc = _Doc(seq, tf, {}, words)
        self._docs[question_id] = doc
        self._store(question_id, doc)
        self._rolling.append((question_id, doc))
        self._refresh_some(REFRESH_PER_ADD)

    def remove(self, question_id: int) -> None:
        """Forget a question (dismissed, merged, deleted). Unknown ids are ignored."""
        doc = self._docs.pop(question_id, None)
        if doc is None:
            return
        df, postings = self._df, self._postings
        for f in doc.tf:
            if df[f] == 1:
                del df[f]
                del postings[f]
                del self._max_weight[f]
            else:
                df[f] -= 1
                del postings[f][question_id]
        # Its entry in the rolling cycle is dropped when the cycle reaches it (see _refresh_some).

    def refresh(self) -> None:
        """Re-weight every stored vector with the current idf (exact until the next `add`, which does this
        gradually), and tighten the search bounds to the current weights."""
        self._max_weight.clear()
        self._rolling = deque(self._docs.items())
        for question_id, doc in self._rolling:
            self._store(question_id, doc)

    def similar(self, text_or_id: str | int, limit: int = 3, threshold: float = THRESHOLD, *,
                earlier_only: bool = True) -> list[tuple[int, float]]:
        """The closest questions scoring at least `threshold`, best first, as (question id, cosine in [0, 1]).

        For an indexed question id: the other questions, only those that arrived before it unless
        `earlier_only` is false (KeyError for an id not indexed). For a text: every indexed question."""
        if isinstance(text_or_id, str):
            query = self._vector(_term_frequencies(w.token for w in _words(text_or_id)))
            before, skip = None, None
        else:
            doc = self._docs[text_or_id]
            query = self._vector(doc.tf)
            before, skip = (doc.seq if earlier_only else None), text_or_id
        docs = self._docs
        found = [(d, s) for d, s in self._search(query, threshold)
                 if d != skip and (before is None or docs[d].seq < before)]
        found.sort(key=lambda hit: (-hit[1], docs[hit[0]].seq))
        return found[:limit]

    def score(self, a: str | int, b: str | int) -> float:
        """The cosine of two texts or indexed questions, both weighted with the current idf (exact, symmetric)."""
        va, vb = self._vector(self._tf_of(a)), self._vector(self._tf_of(b))
        if len(va) > len(vb):
            va, vb = vb, va
        return _clamp(sum(x * vb.get(f, 0.0) for f, x in va.items()))

    def clusters(self, ids: Iterable[int] | None = None, threshold: float = CLUSTER_THRESHOLD) -> list[Cluster]:
        """Group questions (all, or the given ids that are indexed) into themes: average-link agglomerative
        clustering on cosine, merging the two groups with the highest average similarity while it is at least
        `threshold`. Largest theme first; every question is in exactly one cluster (a question with no neighbour
        forms its own). Meant for a queue (tens to a few hundred questions): the similarities of all pairs that
        share a feature are computed."""
        docs = self._docs
        members = sorted({i for i in (docs if ids is None else ids) if i in docs}, key=lambda i: docs[i].seq)
        if not members:
            return []
        # Pairwise similarities through an inverted index of the members only; pairs sharing nothing are 0.
        local: dict[str, list[tuple[int, float]]] = {}
        sums: dict[int, dict[int, float]] = {i: {} for i in members}  # summed similarity between live groups
        for i in members:
            row = sums[i]
            for f, x in docs[i].vec.items():
                bucket = local.setdefault(f, [])
                for j, w in bucket:
                    row[j] = row.get(j, 0.0) + x * w
                bucket.append((i, x))
            for j, s in row.items():
                sums[j][i] = s
        size = dict.fromkeys(members, 1)
        group = {i: [i] for i in members}
        order = {i: docs[i].seq for i in members}
        heap = [(-s, order[a], order[b], a, b) for a in members for b, s in sums[a].items()
                if s >= threshold and order[a] < order[b]]
        heapq.heapify(heap)
        while heap:
            negative, _, _, a, b = heapq.heappop(heap)
            if a not in group or b not in group or abs(sums[a].get(b, 0.0) / (size[a] * size[b]) + negative) > 1e-12:
                continue  # merged away, or a stale entry from before one of them grew
            # b joins a; a arrived first, so a group is named by its earliest question.
            group[a] += group.pop(b)
            size[a] += size.pop(b)
            for k, s in sums.pop(b).items():
                del sums[k][b]
                if k != a:
                    sums[a][k] = sums[k][a] = sums[a].get(k, 0.0) + s
            for k, s in sums[a].items():
                average = s / (size[a] * size[k])
                if average >= threshold:
                    first, second = (a, k) if order[a] < order[k] else (k, a)
                    heapq.heappush(heap, (-average, order[first], order[second], first, second))
        out = [Cluster(tuple(sorted(g, key=order.__getitem__)), self._terms(g)) for g in group.values()]
        out.sort(key=lambda c: (-len(c.ids), order[c.ids[0]]))
        return out

    # --- internals ---

    def _tf_of(self, text_or_id: str | int) -> dict[str, float]:
        if isinstance(text_or_id, str):
            return _term_frequencies(w.token for w in _words(text_or_id))
        return self._docs[text_or_id].tf

    def _vector(self, tf: dict[str, float]) -> dict[str, float]:
        """Unit-length TF-IDF vector of n-grams and words (words weighted by WORD_WEIGHT), with the current idf."""
        df = self._df
        log_n = math.log(1 + len(self._docs)) + 1.0
        log = math.log
        vec = {}
        squares = 0.0
        has_words = False
        for f, t in tf.items():
            x = t * (log_n - log(1 + df.get(f, 0)))
            if f[0] == _WORD_KEY:
                x *= WORD_WEIGHT
                has_words = True
            vec[f] = x
            squares += x * x
        if not has_words or not squares:  # only stop words or punctuation: nothing to compare
            return {}
        scale = 1.0 / math.sqrt(squares)
        for f, x in vec.items():
            vec[f] = x * scale
        return vec

    def _store(self, question_id: int, doc: _Doc) -> None:
        doc.vec = self._vector(doc.tf)
        postings, max_weight = self._postings, self._max_weight
        for f, x in doc.vec.items():
            posting = postings.get(f)
            if posting is None:
                postings[f] = {question_id: x}
            else:
                posting[question_id] = x
            if x > max_weight.get(f, 0.0):  # never lowered here: a bound only needs to stay above every weight
                max_weight[f] = x

    def _refresh_some(self, budget: int) -> None:
        rolling, docs = self._rolling, self._docs
        while budget > 0 and rolling:
            question_id, doc = rolling.popleft()
            if docs.get(question_id) is not doc:  # removed or replaced since it was queued: drop the entry
                continue
            self._store(question_id, doc)
            rolling.append((question_id, doc))
            budget -= 1

    def _search(self, query: dict[str, float], threshold: float) -> list[tuple[int, float]]:
        """Every indexed question scoring at least `threshold` against `query` (and sharing a feature with it),
        unordered.

        MaxScore: feature f of the query can add at most query[f] * (the largest weight stored for f) to any
        question, and all of the features from some point on at most the sum of those (or, by Cauchy-Schwarz, the
        length of that part of the query: stored vectors have length 1). Features are taken rarest first. While
        the features still to come could lift a question from nothing to the threshold, every question in the
        posting list becomes a candidate; after that, only candidates are updated, and dropped as soon as what
        they have plus what is left cannot reach the threshold. So the long posting lists of common n-grams
        ("ing", "en ") are touched only for the few candidates left, never walked."""
        postings, max_weight = self._postings, self._max_weight
        features = sorted((len(postings[f]), f) for f in query if f in postings)
        n = len(features)
        left = [0.0] * (n + 1)  # left[k]: the most that features k, k+1, ... can add to any question
        gains = squares = 0.0
        for k in range(n - 1, -1, -1):
            f = features[k][1]
            x = query[f]
            gains += x * max_weight[f]
            squares += x * x
            left[k] = min(gains, math.sqrt(squares))
        scores: dict[int, float] = {}
        first_closed = 0  # the first feature that can no longer bring in a new candidate
        while first_closed < n and left[first_closed] >= threshold:
            f = features[first_closed][1]
            x = query[f]
            get = scores.get
            for d, w in postings[f].items():
                scores[d] = get(d, 0.0) + x * w
            first_closed += 1
        for k in range(first_closed, n):
            need = threshold - left[k]  # a candidate with less cannot make it even with every feature left
            scores = {d: s for d, s in scores.items() if s >= need}
            if not scores:
                return []
            f = features[k][1]
            x = query[f]
            posting = postings[f]
            if len(posting) < len(scores):
                for d, w in posting.items():
                    s = scores.get(d)
                    if s is not None:
                        scores[d] = s + x * w
            else:
                get = posting.get
                for d in scores:
                    scores[d] += x * get(d, 0.0)
        return [(d, _clamp(s)) for d, s in scores.items() if s >= threshold]

    def _terms(self, ids: list[int], count: int = 3) -> tuple[str, ...]:
        """The group's top words by class-based TF-IDF (in how many of its questions, times the word's idf in the
        event), shared by two or more of its questions where it has enough of those. Words are counted by stem
        ("provincie" and "provincies" are one) and shown in the form people typed most (a capital only at a
        sentence's start counts half, so "Jeugdzorg" opening a question stays "jeugdzorg", while "G40" and
        "Participatiewet" keep theirs). Two words that always stand side by side in the group's questions are one
        term ("Den Haag"). The frame of a question ("krijgen", "nieuwe", "zorgen"), fragments after an apostrophe,
        and lower-case words and numbers of one or two characters ("af", "0") are never a label while the group
        has any other word."""
        tally = _LabelTally()
        for i in ids:
            tally.add(self._docs[i].words)
        df, n = self._df, len(self._docs)

        def idf(stem: str) -> float:  # of the word as the group typed it most
            return math.log((1 + n) / (1 + df.get(_WORD_KEY + _most(tally.folded[stem]), 0))) + 1.0

        joined = tally.joined()
        used = {stem for pair in joined for stem in pair}
        candidates = [s for s in tally.in_questions if s not in used]
        if joined or any(s in tally.plain_forms for s in candidates):
            candidates = [s for s in candidates if s in tally.plain_forms]
        several = len(ids) > 1
        ranked = sorted([(several and together < 2, -together * max(idf(a), idf(b)), a, (a, b))
                         for (a, b), together in joined.items()]
                        + [(several and tally.in_questions[s] < 2, -tally.in_questions[s] * idf(s), s, s)
                           for s in candidates])
        return tuple(tally.shown(key) for *_, key in ranked[:count])


class _LabelTally:
    """The words of a group's questions, counted for its label: by stem, in how many questions, in which forms."""

    __slots__ = ("folded", "forms", "in_questions", "pair_forms", "pairs", "plain_forms")

    def __init__(self) -> None:
        self.in_questions: dict[str, int] = {}  # stem -> in how many of the group's questions
        self.forms: dict[str, dict[str, float]] = {}  # stem -> form as typed -> weight
        self.plain_forms: dict[str, dict[str, float]] = {}  # the same where fit for a label ("zorg", not "zorgen we")
        self.folded: dict[str, dict[str, float]] = {}  # stem -> word as indexed -> count, for the idf
        self.pairs: dict[tuple[str, str], int] = {}  # two stems side by side -> in how many questions
        self.pair_forms: dict[tuple[str, str], dict[str, float]] = {}

    def add(self, words: list[_Word]) -> None:
        seen: set[object] = set()
        previous: tuple[str, _Word] | None = None
        for w in words:
            stem = _stem(w.token)
            weight = 0.5 if w.initial and w.surface[:1].isupper() and w.surface[1:].islower() else 1.0
            if stem not in seen:
                seen.add(stem)
                self.in_questions[stem] = self.in_questions.get(stem, 0) + 1
            _tally(self.forms, stem, w.surface, weight)
            _tally(self.folded, stem, w.token, 1.0)
            if _fit_for_label(w):
                _tally(self.plain_forms, stem, w.surface, weight)
            if previous is not None and w.follows:
                pair = (previous[0], stem)
                _tally(self.pair_forms, pair, f"{previous[1].surface} {w.surface}", weight)
                if pair not in seen:
                    seen.add(pair)
                    self.pairs[pair] = self.pairs.get(pair, 0) + 1
            previous = (stem, w)

    def joined(self) -> dict[tuple[str, str], int]:
        """Pairs of words fit for a label that always stand side by side, in two or more questions ("Den Haag")."""
        out: dict[tuple[str, str], int] = {}
        used: set[str] = set()
        for (a, b), together in self.pairs.items():
            if together >= 2 and together == self.in_questions[a] == self.in_questions[b] and a != b \
                    and a in self.plain_forms and b in self.plain_forms and not used & {a, b}:
                used.update((a, b))
                out[(a, b)] = together
        return out

    def shown(self, key: str | tuple[str, str]) -> str:
        """The form typed most: of the pair, or of the word where it was fit for a label."""
        if isinstance(key, tuple):
            return _most(self.pair_forms[key])
        return _most(self.plain_forms.get(key) or self.forms[key])


def _fit_for_label(w: _Word) -> bool:
    short = len(w.token) < 3 and (w.surface.islower() or w.token.isdigit())
    return not (w.fragment or short or w.token in _LABEL_SKIP)


def _tally(table: dict, key: object, value: str, weight: float) -> None:
    counts = table.get(key)
    if counts is None:
        table[key] = {value: weight}
    else:
        counts[value] = counts.get(value, 0.0) + weight


def _most(counts: dict[str, float]) -> str:
    """The key with the largest count; the first seen of a tie."""
    return max(counts, key=counts.__getitem__)


def _clamp(score: float) -> float:
    return 0.0 if score < 0.0 else 1.0 if score > 1.0 else score
