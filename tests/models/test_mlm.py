"""Masked-LM head (tied to the input embeddings) and the 15 % / 80-10-10 masking collator."""

from __future__ import annotations

import torch

from xstilts.models.heads import build_head
from xstilts.models.mlm import MaskedLMHead, masked_lm_collator
from xstilts.models.multitask import MultiTaskModel


def random_examples(n: int, seed: int) -> list[dict]:
    """Token sequences of varying length framed by <s> ... </s>, so padding gets exercised."""
    rng = torch.Generator().manual_seed(seed)
    lengths = torch.randint(20, 120, (n,), generator=rng)
    return [
        {"input_ids": [0, *torch.randint(5, 250_000, (int(k),), generator=rng).tolist(), 2]}
        for k in lengths
    ]


def test_collator_masks_15_percent_with_80_10_10_split(tokenizer):
    examples = random_examples(300, seed=0)
    batch = masked_lm_collator(tokenizer, seed=0)(examples)
    original = torch.nn.utils.rnn.pad_sequence(
        [torch.tensor(e["input_ids"]) for e in examples], batch_first=True, padding_value=1
    )
    chosen = batch["labels"] != -100
    maskable = (original != 0) & (original != 1) & (original != 2)
    assert not (chosen & ~maskable).any()  # <s>, </s> and <pad> are never chosen
    assert torch.equal(batch["labels"][chosen], original[chosen])
    share = chosen.sum() / maskable.sum()
    assert abs(share.item() - 0.15) < 0.01
    inputs = batch["input_ids"][chosen]
    as_mask = (inputs == tokenizer.mask_token_id).float().mean().item()
    unchanged = (inputs == original[chosen]).float().mean().item()
    assert abs(as_mask - 0.8) < 0.03
    assert abs(unchanged - 0.1) < 0.03
    assert abs(1 - as_mask - unchanged - 0.1) < 0.03  # replaced by a random token
    assert torch.equal(batch["input_ids"][~chosen], original[~chosen])


def test_collator_is_reproducible_with_a_seed(tokenizer):
    examples = random_examples(20, seed=1)
    first = masked_lm_collator(tokenizer, seed=7)(examples)
    second = masked_lm_collator(tokenizer, seed=7)(examples)
    other = masked_lm_collator(tokenizer, seed=8)(examples)
    assert torch.equal(first["input_ids"], second["input_ids"])
    assert not torch.equal(first["labels"], other["labels"])


def test_mlm_head_is_tied_to_the_input_embeddings(tiny_encoder):
    head = MaskedLMHead(tiny_encoder)
    assert head.decoder_weight is tiny_encoder.get_input_embeddings().weight
    model = MultiTaskModel(tiny_encoder, {"mlm": head, "nli": build_head("pair_classification", 32, 3)})
    vocab_by_hidden = tiny_encoder.get_input_embeddings().weight.numel()
    head_params = sum(p.numel() for p in head.parameters())
    assert head_params < vocab_by_hidden / 10  # no second V x H matrix
    keys = list(model.state_dict())
    assert sum(1 for k in keys if "word_embeddings" in k) == 1


SENTENCES = [
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "El rápido zorro marrón salta sobre el perro perezoso.",
    "The quick brown fox jumps over the lazy dog.",
]


def test_mlm_head_learns_a_fixed_masked_batch(tiny_encoder, tokenizer):
    torch.manual_seed(0)
    collate = masked_lm_collator(tokenizer, probability=0.3, seed=0)
    batch = collate([tokenizer(s) for s in SENTENCES])
    model = MultiTaskModel(tiny_encoder, {"mlm": MaskedLMHead(tiny_encoder)})
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = model("mlm", **batch)
    n_masked = int((batch["labels"] != -100).sum())
    assert first.logits.shape == (n_masked, tiny_encoder.config.vocab_size)
    for _ in range(10):
        optimizer.zero_grad()
        model("mlm", **batch).loss.backward()
        optimizer.step()
    assert model("mlm", **batch).loss.item() < 0.7 * first.loss.item()


def test_mlm_head_without_labels_scores_every_position(tiny_encoder, tokenizer):
    batch = dict(tokenizer(["a short one", "a somewhat longer sentence"], padding=True, return_tensors="pt"))
    output = MultiTaskModel(tiny_encoder, {"mlm": MaskedLMHead(tiny_encoder)})("mlm", **batch)
    assert output.loss is None
    assert output.logits.shape == (*batch["input_ids"].shape, tiny_encoder.config.vocab_size)
