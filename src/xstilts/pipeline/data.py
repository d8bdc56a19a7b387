"""Examples and features for phases: split references resolved, leakage guarded, features cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from transformers import AutoTokenizer, PreTrainedTokenizerBase

from xstilts.data.examples import Example
from xstilts.data.splits import SplitRef, read_split, translation_group
from xstilts.errors import ConfigError
from xstilts.features.cache import cached_featurize, feature_cache_key
from xstilts.features.featureset import FeatureSet
from xstilts.features.registry import featurize
from xstilts.pipeline.context import PhaseContext
from xstilts.tasks.registry import get_task


@lru_cache(maxsize=8)
def _tokenizer(encoder_dir: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(encoder_dir)


def load_tokenizer(encoder_dir: Path) -> PreTrainedTokenizerBase:
    """One tokenizer per checkpoint dir per process: loading a 250k-piece vocabulary takes ~1 s,
    and a target phase asks for it once per evaluated language."""
    return _tokenizer(str(encoder_dir))


def training_examples(ref: SplitRef, ctx: PhaseContext, key: str) -> list[Example]:
    """English examples of one split slice (concatenated over the split's files)."""
    spec = get_task(ref.task)
    lang = "en" if "en" in spec.split_languages(ref.split) else spec.split_languages(ref.split)[0]
    examples = read_split(spec, ctx.data_dir, ref.split, lang)
    chosen = [examples[i] for i in ref.lines(len(examples))]
    if not chosen:
        raise ConfigError(key, f"{ref} has no examples under {ctx.data_dir}")
    return chosen


def eval_examples(
    ref: SplitRef, lang: str, ctx: PhaseContext, cap: int | None, guard: bool = True
) -> tuple[list[Example], int]:
    """Examples of one language for evaluation, minus lines any phase trained on.

    Returns (examples, excluded), so the report can say how many lines the guard removed.
    `guard=False` is for the English dev slice a phase selects on: it is registered as used
    (so no language is *evaluated* on it) but must still be readable for selection.
    """
    spec = get_task(ref.task)
    group = translation_group(spec, ref.split) if guard else None
    examples = read_split(spec, ctx.data_dir, ref.split, lang)
    kept = [i for i in ref.lines(len(examples)) if not ctx.trained.excludes(group, i)]
    excluded = len(ref.lines(len(examples))) - len(kept)
    if cap is not None:
        kept = kept[:cap]
    return [examples[i] for i in kept], excluded


def available_languages(ref: SplitRef, ctx: PhaseContext, wanted: Sequence[str] | None) -> list[str]:
    spec = get_task(ref.task)
    langs = wanted or spec.split_languages(ref.split)
    return [lang for lang in langs if spec.files(ctx.data_dir, ref.split, lang)]


def features(
    ctx: PhaseContext,
    kind: str,
    examples: Sequence[Any],
    tokenizer: PreTrainedTokenizerBase,
    *,
    task: str,
    split: str,
    language: str,
    max_length: int,
    labels: Sequence[str] | None,
    **options: Any,
) -> FeatureSet:
    """Featurize through the on-disk cache, so sweeps never tokenize the same data twice."""
    key = feature_cache_key(
        tokenizer=tokenizer, task=task, split=split, language=language,
        max_length=max_length, examples=examples, labels=list(labels or []), **options,
    )
    build = lambda: featurize(kind, examples, tokenizer, max_length=max_length, labels=labels, **options)  # noqa: E731
    return cached_featurize(ctx.cache_dir / "features", key, build)


def kind_options(kind: str, doc_stride: int) -> dict[str, Any]:
    """Featurizer options that only some kinds take (QA windows overlap by doc_stride)."""
    return {"doc_stride": doc_stride} if kind == "span_extraction" else {}


def label_list(task: str, examples: Sequence[Example]) -> list[str] | None:
    """The spec's labels; for open inventories (CCG supertags) the labels seen in training."""
    spec = get_task(task)
    if spec.labels is not None or spec.kind not in ("tagging",):
        return spec.labels
    return sorted({tag for example in examples for tag in (example.tags or ())})
