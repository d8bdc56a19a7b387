"""Check a run's inputs before any training starts, so bad input costs seconds, not hours.

Reads every split the run will touch (readers raise DataError with file:line), resolves the
model source (ConfigError for an unreadable path), and checks every slice has examples.
"""

from __future__ import annotations

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef, read_bitext, read_split
from xstilts.errors import ConfigError
from xstilts.models.sources import resolve_model_source
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.data import available_languages
from xstilts.tasks.registry import get_task


def _check_slice(ref: SplitRef, ctx: PhaseContext, key: str, lang: str = "en") -> None:
    spec = get_task(ref.task)
    if not spec.files(ctx.data_dir, ref.split, lang):
        raise ConfigError(key, f"no files for {ref.task}:{ref.split} ({lang}) under {ctx.data_dir}")
    if spec.kind == "retrieval":
        read_bitext(spec, ctx.data_dir, ref.split, lang)
        return
    examples = read_split(spec, ctx.data_dir, ref.split, lang)
    if not ref.lines(len(examples)):
        raise ConfigError(key, f"{ref} selects no examples (the split has {len(examples)})")


def _training_refs(config: RunConfig) -> list[tuple[SplitRef, str]]:
    refs = []
    inter = config.intermediate
    for name in inter.task_names():
        refs.append((SplitRef.parse(inter.train_split, name, "intermediate.train_split"), "intermediate.train_split"))
        if inter.dev_split:
            refs.append((SplitRef.parse(inter.dev_split, name, "intermediate.dev_split"), "intermediate.dev_split"))
    for task, target in config.targets.items():
        train_text = target.train_split or get_task(task).english_train
        if train_text and get_task(task).kind != "retrieval":
            refs.append((SplitRef.parse(train_text, task, f"targets.{task}.train_split"), f"targets.{task}.train_split"))
        if target.dev_split:
            refs.append((SplitRef.parse(target.dev_split, task, f"targets.{task}.dev_split"), f"targets.{task}.dev_split"))
    return refs


def preflight(config: RunConfig) -> None:
    ctx = PhaseContext.from_config(config)
    resolve_model_source(config.model.source, ctx.cache_dir)
    for ref, key in _training_refs(config):
        _check_slice(ref, ctx, key)
    for task, target in config.targets.items():
        key = f"targets.{task}.eval_split"
        ref = SplitRef.parse(target.eval_split, task, key)
        langs = available_languages(ref, ctx, target.languages)
        if not langs:
            raise ConfigError(key, f"no files for {task}:{ref.split} in any language under {ctx.data_dir}")
        for lang in langs:
            _check_slice(ref, ctx, key, lang)
