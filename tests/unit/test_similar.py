"""'Lijkt op' (app/questions/similar.py): normalisation, suggestions, removal, themes and their labels, properties
of the scores and of the pruned search, and the measurement on the hand-labelled corpus (tests/unit/similar_corpus.py).

Timing is not asserted here (machines are shared): `python -m bench.similar` measures it against a baseline."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.questions.similar import THRESHOLD, SimilarityIndex, fold, normalise, tokens
from tests.unit import similar_corpus
from tests.unit.similar_corpus import measure

QUEUE = {
    1: "Hoe voorkomen we dat de opschalingskorting weer bij de G40 terechtkomt?",
    2: "Wanneer krijgen gemeenten structureel voldoende geld voor de jeugdzorg?",
    3: "Hoe zorgen we voor voldoende woningen voor starters in onze binnensteden?",
    4: "Wat is jullie ervaring met energiecoöperaties van bewoners?",
    5: "Is de deadline van 1 juli 2021 voor de RES 1.0 haalbaar voor jullie regio?",
    6: "Moet er een algoritmeregister komen voor gemeenten?",
}
PARAPHRASE = "Gaat het nieuwe kabinet de opschalingskorting schrappen, of betalen de middelgrote steden weer de rekening?"


def queue() -> SimilarityIndex:
    index = SimilarityIndex()
    for question_id, text in QUEUE.items():
        index.add(question_id, text)
    return index


# --- normalisation ---

def test_fold_drops_diacritics_and_case():
    assert fold("Één financiële coördinatie, café's") == "een financiele coordinatie, cafe's"


def test_normalise_drops_stop_words_punctuation_and_single_letters():
    assert normalise("Één overheid: hoe gaat het met de financiële verhoudingen?") == "overheid financiele verhoudingen"
    assert normalise("Wat doen we aan de G40-steden' auto's in 2021?!") == "g40 steden auto 2021"
    assert normalise("How will the cabinet fix this?") == "cabinet fix"
    assert tokens("de het een en van in op te") == []


def test_typed_without_diacritics_is_the_same_text():
    index = queue()
    assert index.score("financiële verhoudingen één overheid", "financiele verhoudingen een overheid") == pytest.approx(1.0)


# --- suggestions ---

def test_a_paraphrase_is_suggested_and_an_unrelated_question_is_not():
    index = queue()
    found = index.similar(PARAPHRASE)
    assert [q for q, _ in found] == [1]
    assert found[0][1] >= THRESHOLD
    assert index.similar("Komt er meer geld voor fietsinfrastructuur en snelfietsroutes tussen stad en regio?") == []


def test_a_typo_and_a_compound_still_match():
    index = queue()
    found = dict(index.similar("Jeugzorg: komt er nou echt structureel extra geld van het rijk?"))
    assert 2 in found


def test_suggestions_for_a_question_are_earlier_questions_best_first():
    index = queue()
    index.add(7, PARAPHRASE)
    index.add(8, "Wordt de opschalingskorting na 2021 nu definitief afgeschaft?")
    found = index.similar(7, threshold=0.0, limit=10)
    assert all(q < 7 for q, _ in found)
    assert found[0][0] == 1
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert 8 in dict(index.similar(7, threshold=0.0, limit=10, earlier_only=False))
    assert len(index.similar(7, threshold=0.0, limit=2)) == 2


def test_remove_forgets_a_question_and_its_features():
    index = queue()
    before = dict(index._df)
    index.add(7, PARAPHRASE)
    index.remove(7)
    index.remove(7)  # unknown ids are ignored
    assert 7 not in index and len(index) == len(QUEUE)
    assert index._df == before
    assert set(index._postings) == set(before)
    index.remove(1)
    assert index.similar(PARAPHRASE) == []


def test_adding_an_id_again_replaces_its_text_and_keeps_its_place():
    index = queue()
    index.add(1, "Wat doen we tegen de wachtlijsten in de jeugd-ggz?")
    assert len(index) == len(QUEUE)
    assert index.similar(PARAPHRASE) == []
    index.add(9, PARAPHRASE)
    index.add(1, QUEUE[1])
    assert [q for q, _ in index.similar(9)] == [1]  # still earlier than 9


def test_only_stop_words_is_similar_to_nothing():
    index = queue()
    assert index.similar("Hoe gaat het met jullie?", threshold=0.0) == []
    index.add(10, "?!")
    assert index.similar(10, threshold=0.0) == []


# --- themes ---

def test_clusters_group_the_queue_by_theme_with_readable_labels():
    index = SimilarityIndex()
    texts = [
        "Opschalingskorting: wordt die na 2021 definitief geschrapt?",
        "Hoe voorkomen we dat de opschalingskorting weer bij de G40 terechtkomt?",
        "Gaat het kabinet de opschalingskorting schrappen voor de G40?",
        "Jeugdzorg: wanneer komt er structureel geld voor de tekorten?",
        "Het tekort op de jeugdzorg loopt op. Komt er structureel geld?",
        "Komt er in 2021 weer een fysieke netwerkdag?",
    ]
    for question_id, text in enumerate(texts, start=1):
        index.add(question_id, text)
    clusters = index.clusters()
    assert [c.ids for c in clusters] == [(1, 2, 3), (4, 5), (6,)]
    assert clusters[0].terms[0] == "opschalingskorting"  # the form typed most, not the sentence-initial capital
    assert "G40" in clusters[0].terms  # kept as typed
    assert "jeugdzorg" in clusters[1].terms and "Jeugdzorg" not in clusters[1].terms
    assert clusters[1].label == " · ".join(clusters[1].terms)
    assert 2 <= len(clusters[0].terms) <= 3
    assert "structureel geld" in clusters[1].terms  # two words always side by side in the theme are one term
    assert [c.ids for c in index.clusters([4, 5, 6, 99])] == [(4, 5), (6,)]
    assert index.clusters([]) == []


def test_labels_skip_the_frame_of_a_question_and_count_a_word_by_its_stem():
    index = SimilarityIndex()
    for question_id, text in enumerate([
        "Hoe krijgt de regio een sterkere stem in Den Haag?",
        "Hoe zorgen we dat de regio een sterkere stem krijgt in Den Haag?",
        "Krijgen de regio's meer invloed in Den Haag?",
    ], start=1):
        index.add(question_id, text)
    (theme,) = index.clusters()
    assert theme.terms[0] == "Den Haag"
    assert "regio" in theme.terms and "regio's" not in theme.terms and "s" not in theme.terms
    assert not {"krijgt", "krijgen", "zorgen"} & set(theme.terms)


def test_every_theme_of_the_corpus_has_a_label_of_one_to_three_words_people_typed():
    for heldout in (False, True):
        qs = similar_corpus.questions(heldout)
        index = SimilarityIndex()
        for q in qs:
            index.add(q.id, q.text)
        typed = {q.id: set(re.findall(r"[^\W_]+", q.text)) for q in qs}
        for theme in index.clusters():
            assert 1 <= len(theme.terms) <= 3
            for term in theme.terms:
                # each word of a term is a whole word as typed in one of the theme's questions: no n-gram, no stem
                assert all(any(word in typed[i] for i in theme.ids) for word in term.split(" ")), (term, theme.ids)
                assert len(term) >= 2


# --- properties ---

WORDS = sorted({w for q in similar_corpus.questions() for w in q.text.split()})
texts = st.one_of(st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join), st.text(max_size=60))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=texts, b=texts)
def test_scores_are_symmetric_in_0_1_and_a_text_is_closest_to_itself(a, b):
    index = queue()
    ab, ba, aa = index.score(a, b), index.score(b, a), index.score(a, a)
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba, abs=1e-12)
    assert aa in (0.0, pytest.approx(1.0))  # 0 when nothing is left after the stop words
    assert ab <= aa + 1e-12


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(texts, min_size=1, max_size=25), removed=st.sets(st.integers(0, 24)),
       threshold=st.sampled_from([0.05, 0.15, THRESHOLD, 0.5]), refresh=st.booleans())
def test_the_pruned_search_finds_exactly_what_scoring_every_question_finds(batch, removed, threshold, refresh):
    index = SimilarityIndex()
    for i, text in enumerate(batch):
        index.add(i, text)
    for i in removed:
        index.remove(i)
    if refresh:
        index.refresh()
    query = batch[-1] + " opschalingskorting jeugdzorg"
    expected = {}
    vector = index._vector(index._tf_of(query))
    for d, doc in index._docs.items():
        s = sum(x * doc.vec.get(f, 0.0) for f, x in vector.items())
        if s >= threshold and set(vector) & set(doc.vec):
            expected[d] = s
    found = dict(index.similar(query, limit=len(batch), threshold=threshold))
    assert found.keys() == expected.keys()
    assert all(found[d] == pytest.approx(min(1.0, expected[d])) for d in found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=st.lists(st.tuples(st.booleans(), st.integers(0, 8), texts), max_size=30))
def test_document_frequencies_follow_adds_and_removes(operations):
    index, alive = SimilarityIndex(), {}
    for add, question_id, text in operations:
        if add:
            index.add(question_id, text)
            alive[question_id] = text
        else:
            index.remove(question_id)
            alive.pop(question_id, None)
    fresh = SimilarityIndex()
    for question_id, text in alive.items():
        fresh.add(question_id, text)
    assert index._df == fresh._df
    assert set(index._postings) == set(index._df) == set(index._max_weight)
    index.refresh()
    fresh.refresh()
    for question_id in alive:
        assert index._docs[question_id].vec == pytest.approx(fresh._docs[question_id].vec)


# --- the measurement ---

TARGET_PRECISION, TARGET_RECALL = 0.8, 0.7  # issue 17


def test_similar_precision_and_recall_on_the_corpus():
    """Feed the corpus in arrival order; for each question, what "lijkt op" shows among the earlier ones (top 3 at
    THRESHOLD). Precision = shown suggestions in the same labelled group / shown; recall = labelled (earlier,
    later) pairs shown / labelled pairs. Both sets are printed; the floors guard the measured figures
    (docs/similar.md), which are below the issue's target: see the test after this one."""
    (dev,) = measure([THRESHOLD], SimilarityIndex)
    (held,) = measure([THRESHOLD], SimilarityIndex, heldout=True)
    for name, m in (("development", dev), ("held-out", held)):
        print(f"\n{name} set at THRESHOLD {THRESHOLD}: precision {m.precision:.2f} ({m.true_positives}/{m.shown} shown), "
              f"recall {m.recall:.2f} ({m.found}/{m.labelled} labelled pairs)")
    assert dev.labelled >= 100 and held.labelled >= 30
    assert dev.precision >= 0.42 and dev.recall >= 0.33
    assert held.precision >= 0.55 and held.recall >= 0.25


@pytest.mark.xfail(strict=True, reason="Issue 17 asks precision >= 0.8 and recall >= 0.7. Offline lexical similarity "
                   "measures 0.46 / 0.36 on the development set and 0.69 / 0.29 on the held-out set at THRESHOLD, and "
                   "no threshold reaches both on either. A word + concept-map + n-gram scorer tuned on the development "
                   "set reached 0.68 / 0.31 there and 0.86 / 0.16 held out (docs/similar.md). Strict: when a better "
                   "method reaches the target on both sets this fails, to be updated.")
def test_issue_17_target_precision_and_recall():
    for heldout in (False, True):
        (m,) = measure([THRESHOLD], SimilarityIndex, heldout=heldout)
        assert m.precision >= TARGET_PRECISION and m.recall >= TARGET_RECALL


def test_the_corpus_is_as_described():
    qs = similar_corpus.questions()
    assert len(qs) >= 200 and len({q.text for q in qs}) == len(qs)
    assert len(similar_corpus.GROUPS) >= 40
    assert all(2 <= len(group) <= 4 for group in similar_corpus.GROUPS.values())
    assert all(8 <= len(q.text.split()) <= 60 for q in qs + similar_corpus.questions(heldout=True))
    assert not {q.text for q in qs} & {q.text for q in similar_corpus.questions(heldout=True)}


@pytest.mark.slow
def test_the_benchmark_gives_the_baselines_suggestions():
    from bench.similar import timing

    result = timing(size=300, incoming=20)
    assert result["same_as_baseline"] == 1.0
    print(f"\n{result}")
