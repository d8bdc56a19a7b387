"""Each head kind: computes a loss, learns a fixed small batch, returns correctly shaped outputs."""

from __future__ import annotations

import pytest
import torch

from xstilts.errors import ConfigError
from xstilts.models.encoder_io import freeze_word_embeddings
from xstilts.models.heads import HEADS, build_head
from xstilts.tasks.spec import KINDS

# Batch keys each kind's head consumes besides the encoder inputs; retrieval trains nothing.
TARGET_KEYS: dict[str, tuple[str, ...]] = {
    "classification": ("labels",),
    "pair_classification": ("labels",),
    "multiple_choice": ("labels",),
    "span_extraction": ("start_positions", "end_positions"),
    "tagging": ("labels",),
    "retrieval": (),
}
from xstilts.models.task_model import build_task_model

SENTENCES = [
    "The weather is lovely today.",
    "Ce film était vraiment ennuyeux.",
    "Das Essen war ausgezeichnet.",
    "Este libro es demasiado largo.",
]
HYPOTHESES = ["It is sunny.", "Le film était génial.", "Das Essen schmeckte.", "El libro es corto."]


def classification_batch(tok):
    batch = dict(tok(SENTENCES, padding=True, return_tensors="pt"))
    return batch | {"labels": torch.tensor([0, 1, 2, 1])}, 3, (4, 3)


def pair_batch(tok):
    batch = dict(tok(SENTENCES, HYPOTHESES, padding=True, return_tensors="pt"))
    return batch | {"labels": torch.tensor([0, 2, 0, 1])}, 3, (4, 3)


def choice_batch(tok):
    questions = ["Where do fish live?", "What do cows drink?"]
    choices = [["in water", "in trees", "in the sky"], ["milk", "water", "oil"]]
    firsts = [q for q, options in zip(questions, choices) for _ in options]
    seconds = [option for options in choices for option in options]
    flat = tok(firsts, seconds, padding=True, return_tensors="pt")
    batch = {name: t.view(2, 3, -1) for name, t in flat.items()}
    return batch | {"labels": torch.tensor([0, 1])}, None, (2, 3)


def span_batch(tok):
    batch = dict(tok(HYPOTHESES, SENTENCES, padding=True, return_tensors="pt"))
    length = batch["input_ids"].size(1)
    # The last example's answer lies outside the window: it must be ignored, not clamped.
    starts = torch.tensor([8, 9, 10, length + 4])
    return batch | {"start_positions": starts, "end_positions": starts + 1}, None, (4, length)


def tagging_batch(tok):
    batch = dict(tok(SENTENCES, padding=True, return_tensors="pt"))
    labels = (batch["input_ids"] % 5).masked_fill(batch["attention_mask"] == 0, -100)
    labels[:, 0] = -100  # <s> carries no tag
    length = batch["input_ids"].size(1)
    return batch | {"labels": labels}, 5, (4, length, 5)


BATCHES = {
    "classification": classification_batch,
    "pair_classification": pair_batch,
    "multiple_choice": choice_batch,
    "span_extraction": span_batch,
    "tagging": tagging_batch,
}


def output_shapes(kind, output):
    if kind == "span_extraction":
        return tuple(output.start_logits.shape), tuple(output.end_logits.shape)
    return tuple(output.logits.shape)


def expected_shapes(kind, shape):
    return (shape, shape) if kind == "span_extraction" else shape


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_head_learns_a_fixed_batch(kind, tiny_encoder, tokenizer):
    torch.manual_seed(0)
    batch, num_labels, shape = BATCHES[kind](tokenizer)
    model = build_task_model(tiny_encoder, kind, num_labels, dropout=0.0)
    freeze_word_embeddings(model)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    first = model(**batch)
    assert output_shapes(kind, first) == expected_shapes(kind, shape)
    assert first.loss.ndim == 0 and torch.isfinite(first.loss)
    for _ in range(60):
        optimizer.zero_grad()
        model(**batch).loss.backward()
        optimizer.step()
    final = model(**batch).loss.item()
    assert final < 0.5 * first.loss.item(), (kind, first.loss.item(), final)


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_head_without_targets_returns_no_loss(kind, tiny_encoder, tokenizer):
    batch, num_labels, shape = BATCHES[kind](tokenizer)
    inputs = {k: v for k, v in batch.items() if k not in TARGET_KEYS[kind]}
    output = build_task_model(tiny_encoder, kind, num_labels).eval()(**inputs)
    assert output.loss is None
    assert output_shapes(kind, output) == expected_shapes(kind, shape)


def test_span_logits_never_pick_padding(tiny_encoder, tokenizer):
    batch, _, _ = span_batch(tokenizer)
    output = build_task_model(tiny_encoder, "span_extraction").eval()(**batch)
    padding = batch["attention_mask"] == 0
    assert padding.any()
    assert (output.start_logits[padding] == torch.finfo(torch.float32).min).all()
    assert not padding.gather(1, output.end_logits.argmax(1, keepdim=True)).any()


def test_span_loss_ignores_positions_outside_the_window(tiny_encoder, tokenizer):
    batch, _, _ = span_batch(tokenizer)
    model = build_task_model(tiny_encoder, "span_extraction").eval()
    full = model(**batch).loss
    inside = {k: v[:3] for k, v in batch.items()}
    assert torch.allclose(full, model(**inside).loss)


def test_every_kind_has_targets_and_only_retrieval_lacks_a_head():
    assert set(TARGET_KEYS) == set(KINDS)
    assert set(KINDS) - set(HEADS) == {"retrieval"}


def test_bad_head_requests_are_config_errors():
    with pytest.raises(ConfigError, match="task.kind"):
        build_head("retrieval", 32)
    with pytest.raises(ConfigError, match="task.num_labels"):
        build_head("classification", 32, num_labels=None)
