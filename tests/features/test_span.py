from __future__ import annotations

import numpy as np
import pytest

from xstilts.data.examples import Answer, SpanExample
from xstilts.errors import XstiltsError
from xstilts.features import featurize, postprocess_qa
from xstilts.features.qa_postprocess import span_text


def qa(qid: str, context: str, answer: str | None, question: str = "Where is the treasure?") -> SpanExample:
    if answer is None:
        return SpanExample(id=qid, question=question, context=context, answers=(), is_impossible=True)
    return SpanExample(
        id=qid, question=question, context=context, answers=(Answer(answer, context.index(answer)),)
    )


LONG_CONTEXT = " ".join(f"Filler sentence number {i} says nothing." for i in range(60)) + (
    " The treasure is buried under the old oak tree. " + " ".join(f"More filler {i}." for i in range(20))
)


def one_hot_logits(fs, positions: list[tuple[int, int]]):
    width = max(fs.lengths())
    starts = np.full((len(fs), width), -10.0)
    ends = np.full((len(fs), width), -10.0)
    for f, (s, e) in enumerate(positions):
        starts[f, s] = 10.0
        ends[f, e] = 10.0
    return starts, ends


def test_long_context_splits_into_overlapping_windows(tokenizer):
    fs = featurize(
        "span_extraction",
        [qa("q", LONG_CONTEXT, "under the old oak tree")],
        tokenizer,
        max_length=128,
        doc_stride=32,
    )
    assert len(fs) > 3
    assert all(length <= 128 for length in fs.lengths())
    assert set(fs.refs["example_index"]) == {0}
    inside = [f for f in range(len(fs)) if fs.inputs["start_positions"][f] != 0]
    assert inside, "some window must contain the answer"
    for f in inside:
        assert (
            span_text(fs, f, fs.inputs["start_positions"][f], fs.inputs["end_positions"][f])
            == "under the old oak tree"
        )
    for f in set(range(len(fs))) - set(inside):
        assert (fs.inputs["start_positions"][f], fs.inputs["end_positions"][f]) == (0, 0)
    # Consecutive windows share `doc_stride` context tokens.
    first_ctx = [o for o, m in zip(fs.refs["offset_mapping"][0], fs.refs["context_mask"][0]) if m]
    second_ctx = [o for o, m in zip(fs.refs["offset_mapping"][1], fs.refs["context_mask"][1]) if m]
    assert first_ctx[-32:] == second_ctx[:32]


def test_unanswerable_points_at_cls(tokenizer):
    fs = featurize(
        "span_extraction",
        [qa("q", "Nothing about treasure here.", None)],
        tokenizer,
        max_length=64,
        doc_stride=16,
    )
    assert (fs.inputs["start_positions"], fs.inputs["end_positions"]) == ([0], [0])


def test_postprocess_recovers_gold_from_one_hot_logits(tokenizer):
    examples = [
        qa("q1", LONG_CONTEXT, "the old oak tree"),
        qa("q2", "Paris is the capital of France.", "Paris", question="What is the capital?"),
    ]
    fs = featurize("span_extraction", examples, tokenizer, max_length=128, doc_stride=32)
    starts, ends = one_hot_logits(fs, list(zip(fs.inputs["start_positions"], fs.inputs["end_positions"])))
    assert postprocess_qa(fs, starts, ends) == {"q1": "the old oak tree", "q2": "Paris"}


def test_postprocess_respects_max_answer_length_and_context_only(tokenizer):
    context = "Alpha beta gamma delta epsilon zeta eta theta."
    fs = featurize(
        "span_extraction",
        [qa("q", context, "Alpha", question="First letter?")],
        tokenizer,
        max_length=64,
        doc_stride=16,
    )
    ctx = [i for i, m in enumerate(fs.refs["context_mask"][0]) if m]
    starts, ends = one_hot_logits(fs, [(ctx[0], ctx[-1])])
    starts[0, 1] = 50.0  # a question token: never a valid answer start
    assert postprocess_qa(fs, starts, ends, max_answer_length=100) == {"q": context}
    # Too long a span is refused; the best short span left starts at the strong start logit.
    answer = postprocess_qa(fs, starts, ends, max_answer_length=3)["q"]
    assert answer == span_text(fs, 0, ctx[0], ctx[0])


def test_null_answer_wins_only_when_allowed(tokenizer):
    fs = featurize(
        "span_extraction",
        [qa("q", "Paris is big.", "Paris", question="Which city?")],
        tokenizer,
        max_length=64,
        doc_stride=16,
    )
    start = fs.inputs["start_positions"][0]
    starts, ends = one_hot_logits(fs, [(start, start)])
    starts[0, 0] = ends[0, 0] = 20.0  # null score 40 > span score 10 + 10
    assert postprocess_qa(fs, starts, ends) == {"q": "Paris"}
    assert postprocess_qa(fs, starts, ends, allow_null=True) == {"q": ""}
    assert postprocess_qa(fs, starts, ends, allow_null=True, null_score_diff_threshold=30.0) == {"q": "Paris"}


def test_long_questions_are_clipped(tokenizer):
    question = " ".join(["why"] * 100) + "?"
    fs = featurize(
        "span_extraction",
        [qa("q", "Because.", "Because", question=question)],
        tokenizer,
        max_length=128,
        max_query_length=16,
        doc_stride=32,
    )
    question_tokens = fs.refs["context_mask"][0].index(1) - 3  # <s> question </s></s> context
    assert question_tokens == 16


def test_stride_must_leave_room(tokenizer):
    with pytest.raises(XstiltsError, match="doc_stride 128"):
        featurize("span_extraction", [qa("q", "Paris.", "Paris")], tokenizer, max_length=128, doc_stride=128)
