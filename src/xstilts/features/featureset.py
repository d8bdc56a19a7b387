"""FeatureSet: tokenized model inputs plus the back-references needed to map predictions back.

Column-oriented (dict of equal-length lists) because that is what the tokenizer returns, what
Arrow stores, and what a length-grouped sampler needs (one `lengths()` pass, no row objects).
Three tables, each with its own row count:

* ``inputs``   — one row per *feature*: what the model consumes (`input_ids`, `attention_mask`,
  `token_type_ids` when the tokenizer gives them, and `labels` / `start_positions` /
  `end_positions`). Indexing a FeatureSet yields these rows, so it is a map-style torch dataset.
* ``refs``     — one row per feature: `example_index` (always) plus kind-specific references
  (QA: `offset_mapping`, `context_mask`; tagging: `word_ids`).
* ``examples`` — one row per *example*: `example_id` (always) plus what post-processing needs
  (QA: `context`; tagging: `n_words`).

One example may yield several features (QA windows), so predictions are mapped back through
``refs["example_index"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Tagging word_ids use -1 for special tokens so the column stays a plain int list in Arrow.
NO_WORD = -1


@dataclass
class FeatureSet:
    kind: str
    inputs: dict[str, list]
    refs: dict[str, list]
    examples: dict[str, list]
    info: dict[str, Any] = field(default_factory=dict)  # small JSON-able facts (e.g. max_length)

    def __post_init__(self) -> None:
        _check_equal_lengths("inputs", self.inputs)
        _check_equal_lengths("refs", self.refs)
        _check_equal_lengths("examples", self.examples)
        if len(self.refs["example_index"]) != len(self):
            raise ValueError("refs and inputs must have one row per feature")

    def __len__(self) -> int:
        return len(self.inputs["input_ids"])

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {name: column[index] for name, column in self.inputs.items()}

    @property
    def num_examples(self) -> int:
        return len(self.examples["example_id"])

    def lengths(self) -> list[int]:
        """Tokens per feature; for multiple choice the longest choice (what padding pads to)."""
        row_length = ROW_LENGTH.get(self.kind, len)
        return [row_length(ids) for ids in self.inputs["input_ids"]]


def _longest_choice(choices: list[list[int]]) -> int:
    return max(len(choice) for choice in choices)


# Kinds whose input_ids rows are not one token list (every other kind: `len`).
ROW_LENGTH = {"multiple_choice": _longest_choice}


def _check_equal_lengths(table: str, columns: dict[str, list]) -> None:
    sizes = {name: len(column) for name, column in columns.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"FeatureSet.{table} columns differ in length: {sizes}")
