"""Extractive QA features: (question, context window) pairs with gold start/end token positions.

A context longer than one window is split into overlapping windows (HF `stride` semantics:
`doc_stride` is the number of context tokens consecutive windows share). A window that does not
contain the whole gold answer, and every unanswerable question, points at the CLS token (0, 0),
the SQuAD v2 convention for "no answer here".
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from xstilts.data.examples import SpanExample
from xstilts.errors import XstiltsError
from xstilts.features.featureset import FeatureSet

NO_ANSWER = (0, 0)  # CLS position


def featurize_span(
    examples: Sequence[SpanExample],
    tokenizer,
    *,
    max_length: int,
    labels: Sequence[str] | None = None,  # unused: spans carry their own gold positions
    doc_stride: int = 128,
    max_query_length: int = 64,
) -> FeatureSet:
    # Leading spaces in questions waste tokens and can break the window arithmetic.
    questions, longest = _clip_questions(
        tokenizer, [ex.question.lstrip() for ex in examples], max_query_length
    )
    _check_window_fits(tokenizer, max_length, doc_stride, longest)
    encoded = tokenizer(
        questions,
        text_pair=[ex.context for ex in examples],
        truncation="only_second",
        max_length=max_length,
        stride=doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    example_index = list(encoded["overflow_to_sample_mapping"])
    # Lists, not the tokenizer's tuples, so a FeatureSet equals its Arrow round trip.
    offsets = [[[start, end] for start, end in row] for row in encoded["offset_mapping"]]
    context_masks = [[int(s == 1) for s in encoded.sequence_ids(f)] for f in range(len(example_index))]
    gold = [gold_token_span(examples[ex], offsets[f], context_masks[f]) for f, ex in enumerate(example_index)]
    inputs = {name: list(encoded[name]) for name in encoded if name in tokenizer.model_input_names}
    inputs["start_positions"] = [start for start, _ in gold]
    inputs["end_positions"] = [end for _, end in gold]
    return FeatureSet(
        kind="span_extraction",
        inputs=inputs,
        refs={"example_index": example_index, "offset_mapping": offsets, "context_mask": context_masks},
        examples={"example_id": [ex.id for ex in examples], "context": [ex.context for ex in examples]},
        info={"max_length": max_length, "doc_stride": doc_stride, "max_query_length": max_query_length},
    )


def gold_token_span(
    example: SpanExample, offsets: list[list[int]], context_mask: list[int]
) -> tuple[int, int]:
    """Token positions of the first gold answer inside this window, or CLS when it is not inside.

    Training uses the first answer only (the SQuAD convention); evaluation compares predicted
    text against all answers, so the others are not lost.
    """
    if example.is_impossible or not example.answers:
        return NO_ANSWER
    answer = example.answers[0]
    char_start, char_end = answer.start, answer.start + len(answer.text)
    context_tokens = [i for i, inside in enumerate(context_mask) if inside]
    starts = [offsets[i][0] for i in context_tokens]
    ends = [offsets[i][1] for i in context_tokens]
    if not context_tokens or starts[0] > char_start or ends[-1] < char_end:
        return NO_ANSWER
    # Last token starting at/before the answer start, first token ending at/after its end: a
    # token that straddles a boundary is included, never cut.
    first = bisect_right(starts, char_start) - 1
    last = bisect_left(ends, char_end)
    return context_tokens[first], context_tokens[last]


def _clip_questions(tokenizer, questions: list[str], max_query_length: int) -> tuple[list[str], int]:
    """Cut questions after `max_query_length` tokens, at the character where that token ends.

    Returns the questions and the token count of the longest one after clipping.
    """
    encoded = tokenizer(
        questions, add_special_tokens=False, return_offsets_mapping=True, return_attention_mask=False
    )
    spans = encoded["offset_mapping"]
    clipped = [
        question if len(offsets) <= max_query_length else question[: offsets[max_query_length - 1][1]]
        for question, offsets in zip(questions, spans)
    ]
    return clipped, min(max(len(offsets) for offsets in spans), max_query_length)


def _check_window_fits(tokenizer, max_length: int, doc_stride: int, question_tokens: int) -> None:
    # The tokenizer fails with an opaque message when the overlap leaves no room to advance.
    room = max_length - question_tokens - tokenizer.num_special_tokens_to_add(pair=True)
    if doc_stride >= room:
        raise XstiltsError(
            f"doc_stride {doc_stride} must be smaller than the context tokens a window holds "
            f"({room} = max_length {max_length} - {question_tokens} question tokens - special tokens)"
        )
