"""Map start/end logits of QA windows back to one answer string per example."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xstilts.features.featureset import FeatureSet
from xstilts.features.span import NO_ANSWER


def postprocess_qa(
    feature_set: FeatureSet,
    start_logits: Sequence[Sequence[float]] | np.ndarray,
    end_logits: Sequence[Sequence[float]] | np.ndarray,
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
    allow_null: bool = False,
    null_score_diff_threshold: float = 0.0,
) -> dict[str, str]:
    """Best-scoring span (start + end logit) over all windows of each example → its context text.

    Row f of the logits belongs to feature f (padding beyond the feature's length is ignored;
    the predictor restores that order after length-grouped batching). Rows may be numpy
    arrays, lists or float32 CPU tensors.
    With `allow_null` (SQuAD v2), an example answers "" when its best null score (CLS start+end,
    minimum over windows as in the SQuAD v2 reference setup) beats the best span by more than
    `null_score_diff_threshold`. Examples with no valid span at all also answer "".
    """
    if not len(start_logits) == len(end_logits) == len(feature_set):
        raise ValueError(
            f"{len(start_logits)} start and {len(end_logits)} end logit rows for {len(feature_set)} features"
        )
    best_span: dict[int, tuple[float, int, int, int]] = {}  # example -> (score, feature, start, end)
    null_score: dict[int, float] = {}
    for feature, example in enumerate(feature_set.refs["example_index"]):
        length = len(feature_set.inputs["input_ids"][feature])
        starts = np.asarray(start_logits[feature][:length], dtype=np.float64)
        ends = np.asarray(end_logits[feature][:length], dtype=np.float64)
        null = float(starts[NO_ANSWER[0]] + ends[NO_ANSWER[1]])
        null_score[example] = min(null, null_score.get(example, np.inf))
        mask = np.asarray(feature_set.refs["context_mask"][feature], dtype=bool)
        span = best_span_in_window(starts, ends, mask, n_best, max_answer_length)
        if span is not None and span[0] > best_span.get(example, (-np.inf,))[0]:
            best_span[example] = (span[0], feature, span[1], span[2])
    return {
        example_id: _answer_text(
            feature_set, best_span.get(index), null_score[index], allow_null, null_score_diff_threshold
        )
        for index, example_id in enumerate(feature_set.examples["example_id"])
        if index in null_score
    }


def best_span_in_window(
    starts: np.ndarray, ends: np.ndarray, context_mask: np.ndarray, n_best: int, max_answer_length: int
) -> tuple[float, int, int] | None:
    """(score, start, end) of the best context span among the n_best starts × n_best ends."""
    context = np.flatnonzero(context_mask)
    if context.size == 0:
        return None
    top_starts = context[np.argsort(-starts[context], kind="stable")[:n_best]]
    top_ends = context[np.argsort(-ends[context], kind="stable")[:n_best]]
    scores = starts[top_starts][:, None] + ends[top_ends][None, :]
    span_length = top_ends[None, :] - top_starts[:, None] + 1
    scores[(span_length < 1) | (span_length > max_answer_length)] = -np.inf
    row, col = np.unravel_index(np.argmax(scores), scores.shape)
    if not np.isfinite(scores[row, col]):
        return None
    return float(scores[row, col]), int(top_starts[row]), int(top_ends[col])


def span_text(feature_set: FeatureSet, feature: int, start: int, end: int) -> str:
    """Context characters covered by tokens start..end of a feature (whitespace trimmed: the
    tokenizer's offsets include the space a word-initial piece stands for)."""
    offsets = feature_set.refs["offset_mapping"][feature]
    example = feature_set.refs["example_index"][feature]
    context = feature_set.examples["context"][example]
    return context[offsets[start][0] : offsets[end][1]].strip()


def _answer_text(feature_set, span, null, allow_null, threshold) -> str:
    if span is None:
        return ""
    score, feature, start, end = span
    if allow_null and null - score > threshold:
        return ""
    return span_text(feature_set, feature, start, end)
