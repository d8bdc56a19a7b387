"""Check a run's inputs before any training starts, so bad input costs seconds, not hours.

Reads every split the run will touch (readers raise DataError with file:line), resolves the
model source and parses its config and weight headers (ConfigError for an unreadable
checkpoint), checks every slice has examples, and finally that the output folders (work
dir, store, cache) can be written, so a read-only or misplaced path fails before training.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

from safetensors import SafetensorError, safe_open
from transformers import AutoConfig

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef, read_bitext, read_split
from xstilts.errors import ConfigError
from xstilts.models.sources import SOURCE_KEY, resolve_model_source
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.data import available_languages
from xstilts.tasks.registry import get_task


@contextlib.contextmanager
def _reported_as(key: str) -> Iterator[None]:
    """An unknown task or split inside a split reference is reported under the run's key."""
    try:
        yield
    except ConfigError as err:
        raise ConfigError(key, err.message) from None


def _check_slice(ref: SplitRef, ctx: PhaseContext, key: str, lang: str = "en") -> None:
    with _reported_as(key):
        spec = get_task(ref.task)
        files = spec.files(ctx.data_dir, ref.split, lang)
    if not files:
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
        if target.model_from:
            continue  # evaluated with another target's model: nothing of its own to train on
        train_text = target.train_split or get_task(task).english_train
        if train_text and get_task(task).kind != "retrieval":
            refs.append((SplitRef.parse(train_text, task, f"targets.{task}.train_split"), f"targets.{task}.train_split"))
        if target.dev_split:
            refs.append((SplitRef.parse(target.dev_split, task, f"targets.{task}.dev_split"), f"targets.{task}.dev_split"))
    return refs


def _check_model(config: RunConfig, ctx: PhaseContext) -> None:
    """The checkpoint's config and every weight file's header parse (cheap: no tensor is read)."""
    path = resolve_model_source(config.model.source, ctx.cache_dir)
    try:
        AutoConfig.from_pretrained(path)
        for weights in sorted(path.glob("*.safetensors")):
            with safe_open(str(weights), framework="pt"):
                pass
    except (OSError, ValueError, SafetensorError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(SOURCE_KEY, f"cannot read the checkpoint in '{path}': {reason}") from None


def _check_writable(folder: Path, key: str) -> None:
    """Create the folder and a probe file in it (as root, permission bits alone prove nothing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ConfigError(key, f"cannot write to '{folder}': {err.strerror or err}") from None


def _check_outputs(config: RunConfig, ctx: PhaseContext) -> None:
    store = Path(config.store)
    if store.is_dir():
        raise ConfigError("store", f"'{store}' is a folder; give the path of an SQLite file")
    _check_writable(store.parent, "store")
    _check_writable(ctx.work_dir, "work_dir")
    _check_writable(ctx.cache_dir, "model.cache_dir")


def preflight(config: RunConfig) -> None:
    ctx = PhaseContext.from_config(config)
    _check_model(config, ctx)
    for ref, key in _training_refs(config):
        _check_slice(ref, ctx, key)
    for task, target in config.targets.items():
        key = f"targets.{task}.eval_split"
        ref = SplitRef.parse(target.eval_split, task, key)
        with _reported_as(key):
            langs = available_languages(ref, ctx, target.languages)
        if not langs:
            raise ConfigError(key, f"no files for {task}:{ref.split} in any language under {ctx.data_dir}")
        for lang in langs:
            _check_slice(ref, ctx, key, lang)
    _check_outputs(config, ctx)
