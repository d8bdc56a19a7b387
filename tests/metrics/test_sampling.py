"""Sampling error by the bootstrap over examples: the decomposed scores equal the metrics' own on
real XTREME files, and the standard error matches the closed form where one exists."""

import math

import numpy as np
import pytest

from xstilts.metrics.formats import read_squad_gold
from xstilts.metrics.registry import compute_metric
from xstilts.metrics.sampling import DECOMPOSITIONS, bootstrap_se
from xstilts.metrics.xtreme import headline_score


def decomposed_score(metric, gold, predictions, language=None) -> float:
    """The headline score rebuilt from the per-example count rows the bootstrap resamples."""
    decomposition = DECOMPOSITIONS[metric]
    return float(decomposition.score(decomposition.rows(gold, predictions, language).sum(axis=0)))


def panx_sentences(path) -> list[list[str]]:
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
        else:
            current.append(line.split("\t")[-1])
    return sentences + ([current] if current else [])


def corrupt_tags(sentences, rng, rate=0.15):
    """Predictions that are wrong in a known share of tokens (spans split, merged, retyped)."""
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    return [[tags[rng.integers(len(tags))] if rng.random() < rate else tag for tag in sentence]
            for sentence in sentences]


def qa_predictions(gold, rng):
    """Exact answers, truncated answers, wrong answers and missing questions, mixed."""
    predictions = {}
    for question_id, answers in gold:
        draw = rng.random()
        if draw < 0.4:
            predictions[question_id] = answers[0]
        elif draw < 0.7:
            predictions[question_id] = " ".join(answers[0].split()[:1]) + " extra words"
        elif draw < 0.9:
            predictions[question_id] = "nothing like it"
    return predictions


@pytest.mark.parametrize("language", ["de", "ja", "ar"])
def test_span_f1_from_sentence_counts_equals_seqeval(data_dir, language):
    gold = panx_sentences(data_dir / "target" / "panx" / f"dev-{language}.tsv")[:200]
    predictions = corrupt_tags(gold, np.random.default_rng(1))
    expected = compute_metric("span_f1", gold, predictions)["f1"]
    assert 5 < expected < 95  # the corruption leaves a score that can be wrong both ways
    assert decomposed_score("span_f1", gold, predictions) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("metric", "path", "language"), [
    ("squad_em_f1", "target/xquad/xquad.de.json", "de"),
    ("mlqa_em_f1", "target/mlqa/dev-context-ar-question-ar.json", "ar"),
])
def test_qa_headline_from_question_rows_equals_the_metric(data_dir, metric, path, language):
    gold = read_squad_gold(data_dir / path)
    predictions = qa_predictions(gold, np.random.default_rng(2))
    expected = headline_score("xquad", compute_metric(metric, gold, predictions, language))
    assert 10 < expected < 90
    assert decomposed_score(metric, gold, predictions, language) == pytest.approx(expected, abs=1e-9)


def test_accuracy_standard_error_matches_the_binomial_formula():
    rng = np.random.default_rng(3)
    gold = ["a"] * 400
    predictions = ["a" if rng.random() < 0.7 else "b" for _ in gold]
    accuracy = compute_metric("accuracy", gold, predictions)["accuracy"] / 100
    binomial = 100 * math.sqrt(accuracy * (1 - accuracy) / len(gold))
    assert bootstrap_se("accuracy", gold, predictions, resamples=4000) == pytest.approx(binomial, rel=0.06)


def test_standard_error_shrinks_with_the_square_root_of_the_examples(data_dir):
    sentences = panx_sentences(data_dir / "target" / "panx" / "dev-en.tsv")
    predictions = corrupt_tags(sentences, np.random.default_rng(4))
    small = bootstrap_se("span_f1", sentences[:100], predictions[:100], resamples=2000)
    large = bootstrap_se("span_f1", sentences[:400], predictions[:400], resamples=2000)
    assert 0 < large < small and small / large == pytest.approx(2.0, rel=0.25)


def test_bucc_has_no_per_example_error_and_every_other_metric_has_one():
    assert bootstrap_se("bucc_f1", [("1", "2")], [("1", "2")]) is None
    assert set(DECOMPOSITIONS) == {"accuracy", "span_f1", "squad_em_f1", "mlqa_em_f1"}
