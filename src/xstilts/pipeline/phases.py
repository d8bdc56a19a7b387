"""The three phases as functions: each takes an artifact and returns one.

    base_encoder(ctx)                      -> EncoderArtifact   (the pretrained encoder)
    intermediate(encoder, ctx)             -> EncoderArtifact   (English intermediate task)
    target(encoder, task, ctx)             -> TaskArtifact      (English training set of a target)
    zero_shot(task_artifact, task, ctx)    -> Predictions       (every language, XTREME layout)
    retrieval(encoder, task, ctx)          -> Predictions       (BUCC / Tatoeba, no training)

Phases exchange only these descriptors and folders on disk. Each output folder is named by a
content address; a folder with DONE.json is reused, never recomputed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef
from xstilts.errors import ConfigError
from xstilts.io import atomic_write_text
from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder, save_encoder
from xstilts.models.sources import resolve_model_source
from xstilts.models.task_model import build_task_model
from xstilts.pipeline import data, training
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.keys import content_key
from xstilts.pipeline.mixture_phase import mixture_intermediate
from xstilts.results import PhaseRecord, ScoreRow
from xstilts.tasks.registry import get_task
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import CheckpointError, quarantine, verify_dir, write_verified_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncoderArtifact:
    key: str
    path: Path  # a Hugging Face checkpoint dir (config, safetensors, tokenizer)


@dataclass(frozen=True)
class TaskArtifact:
    key: str
    task: str
    encoder: EncoderArtifact
    weights: dict[str, str]  # selection ("english_dev" | "target_dev" | "final") -> weights folder
    labels: list[str] | None


@dataclass(frozen=True)
class Predictions:
    key: str
    task: str
    folder: Path
    scores: list[ScoreRow]


def base_key(config: RunConfig) -> str:
    return content_key("base", {"source": config.model.source})


def intermediate_key(config: RunConfig, encoder_key: str) -> str:
    cfg = config.intermediate
    return content_key("intermediate", {
        "encoder": encoder_key, "task": cfg.task, "train_split": cfg.train_split, "dev_split": cfg.dev_split,
        "max_dev": cfg.max_dev_examples, "max_length": cfg.max_length, "doc_stride": cfg.doc_stride,
        "train": training.phase_settings(cfg.train, config).trajectory_fields(),
        "freeze": config.model.freeze_word_embeddings, "mlm": cfg.mlm.model_dump() if cfg.mlm else None,
    })


def target_key(config: RunConfig, task: str, encoder_key: str) -> str:
    cfg = config.targets[task]
    return content_key("target", {
        "encoder": encoder_key, "task": task, "train_split": cfg.train_split or get_task(task).english_train,
        "dev_split": cfg.dev_split, "oracle": [cfg.oracle_dev_examples, cfg.eval_split, cfg.languages],
        "max_length": cfg.max_length, "doc_stride": cfg.doc_stride,
        "train": training.phase_settings(cfg.train, config).trajectory_fields(),
        "freeze": config.model.freeze_word_embeddings,
    })


def base_encoder(ctx: PhaseContext) -> EncoderArtifact:
    source = ctx.config.model.source
    return EncoderArtifact(key=base_key(ctx.config), path=resolve_model_source(source, ctx.cache_dir))


def intermediate(encoder: EncoderArtifact, ctx: PhaseContext) -> EncoderArtifact | None:
    """Train the encoder on the English intermediate task(s); None when training diverged."""
    cfg = ctx.config.intermediate
    settings = training.phase_settings(cfg.train, ctx.config)
    key = intermediate_key(ctx.config, encoder.key)
    out = ctx.work_dir / "intermediate" / key
    done = _reuse(out, ctx, _encoder_folder(out))
    if done is None:
        build = _single_intermediate if len(cfg.task_names()) == 1 and cfg.mlm is None else mixture_intermediate
        with _seeded_init(ctx.config.seed):
            model, training_data, evaluator = build(encoder, settings, ctx)
        outcome, record = training.fit(model, cfg.task, training_data, settings, out, "intermediate", key, evaluator, ctx)
        if outcome.status == "done":
            training.load_best(model, outcome, "english_dev")
            _write_encoder(model, out)
        done = _finish(out, record, {})
    ctx.records.append(_reused_record(done))
    return EncoderArtifact(key=key, path=out / "encoder") if done["record"]["status"] == "done" else None


def _single_intermediate(encoder: EncoderArtifact, settings, ctx: PhaseContext):
    cfg = ctx.config.intermediate
    spec = get_task(cfg.task)
    examples = data.training_examples(SplitRef.parse(cfg.train_split, spec.name, "intermediate.train_split"), ctx, "intermediate.train_split")
    labels = data.label_list(spec.name, examples)
    model = _task_model(encoder.path, spec.kind, labels, ctx)
    evaluator = training.english_dev_evaluator(spec, cfg.dev_split, cfg.max_dev_examples, cfg.max_length, encoder.path, labels, ctx, cfg.doc_stride)
    return model, training.single_task_data(spec, examples, labels, settings, cfg.max_length, encoder.path, ctx, cfg.doc_stride), evaluator


def target(encoder: EncoderArtifact, spec: TaskSpec, ctx: PhaseContext) -> TaskArtifact | None:
    """Fine-tune on the target's English training data, starting from `encoder`."""
    cfg = ctx.config.targets[spec.name]
    train_text = cfg.train_split or spec.english_train
    if not train_text:
        raise ConfigError(f"targets.{spec.name}.train_split", f"{spec.name} has no English training source")
    settings = training.phase_settings(cfg.train, ctx.config)
    key = target_key(ctx.config, spec.name, encoder.key)
    out = ctx.work_dir / "target" / key
    done = _reuse(out, ctx, lambda done: list(_target_weights(out, done).values()))
    if done is None:
        train_ref = SplitRef.parse(train_text, spec.name, f"targets.{spec.name}.train_split")
        examples = data.training_examples(train_ref, ctx, f"targets.{spec.name}.train_split")
        labels = data.label_list(spec.name, examples) if spec.labels is None else spec.labels
        with _seeded_init(ctx.config.seed):
            model = _task_model(encoder.path, spec.kind, labels, ctx)
        evaluator = training.target_evaluator(spec, cfg, encoder.path, labels, ctx)
        train_data = training.single_task_data(spec, examples, labels, settings, cfg.max_length, encoder.path, ctx, cfg.doc_stride)
        outcome, record = training.fit(model, spec.name, train_data, settings, out, "target", key, evaluator, ctx)
        weights = {k: best.path for k, best in outcome.best.items()} or {"final": outcome.final_checkpoint}
        done = _finish(out, record, {"weights": _relative_to(out, weights), "labels": labels})
    ctx.records.append(_reused_record(done))
    if done["record"]["status"] != "done":
        return None
    weights = {k: str(path) for k, path in _target_weights(out, done).items()}
    return TaskArtifact(key=key, task=spec.name, encoder=encoder, weights=weights, labels=done["extra"]["labels"])


def borrowed(artifact: TaskArtifact | None, spec: TaskSpec) -> TaskArtifact | None:
    """Another target's model for `spec` (targets.<task>.model_from). Its oracle selection was made
    on the other task's languages, so only the English-dev (or final) weights carry over; the
    report's oracle view then falls back to them for this task."""
    if artifact is None:
        return None  # the source target diverged
    weights = {k: path for k, path in artifact.weights.items() if k != "target_dev"}
    if not weights:
        raise ConfigError(f"targets.{spec.name}.model_from", f"{artifact.task} kept only oracle-selected weights; give it a dev_split")
    return TaskArtifact(key=artifact.key, task=spec.name, encoder=artifact.encoder, weights=weights, labels=artifact.labels)


def zero_shot(artifact: TaskArtifact, spec: TaskSpec, ctx: PhaseContext) -> Predictions:
    """Predict every evaluated language with each selected model; write and score XTREME files."""
    cfg = ctx.config.targets[spec.name]
    key = content_key("zero_shot", {"target": artifact.key, "task": spec.name, "eval": cfg.eval_split, "languages": cfg.languages,
                                    "cap": cfg.max_eval_examples, "trained": ctx.trained.ranges,
                                    "cpu_bf16": ctx.config.cpu_bf16})
    out = ctx.work_dir / "zero_shot" / key
    done = _reuse(out, ctx)
    if done is None:
        start = time.perf_counter()
        rows, meta = training.predict_languages(artifact, spec, cfg, out, ctx)
        record = PhaseRecord(key=key, phase="zero_shot", task=spec.name, computed=True, status="done",
                             seconds=time.perf_counter() - start, meta=meta)
        done = _finish(out, record, {"scores": [asdict(r) for r in rows]})
    ctx.records.append(_reused_record(done))
    return Predictions(key=key, task=spec.name, folder=out, scores=[ScoreRow(**r) for r in done["extra"]["scores"]])


def retrieval(encoder: EncoderArtifact, spec: TaskSpec, ctx: PhaseContext) -> Predictions:
    """Embed both sides with the encoder's pooled hidden states and search (Tatoeba) or mine (BUCC)."""
    from xstilts.pipeline.retrieval import retrieve_languages

    cfg = ctx.config.targets[spec.name]
    key = content_key("retrieval", {"encoder": encoder.key, "task": spec.name, "eval": cfg.eval_split,
                                    "languages": cfg.languages, "cap": cfg.max_eval_examples,
                                    "layer": ctx.config.model.retrieval_layer, "max_length": cfg.max_length,
                                    "cpu_bf16": ctx.config.cpu_bf16})
    out = ctx.work_dir / "zero_shot" / key
    done = _reuse(out, ctx)
    if done is None:
        start = time.perf_counter()
        rows, meta = retrieve_languages(encoder.path, spec, cfg, out, ctx)
        record = PhaseRecord(key=key, phase="zero_shot", task=spec.name, computed=True, status="done",
                             seconds=time.perf_counter() - start, meta=meta)
        done = _finish(out, record, {"scores": [asdict(r) for r in rows]})
    ctx.records.append(_reused_record(done))
    return Predictions(key=key, task=spec.name, folder=out, scores=[ScoreRow(**r) for r in done["extra"]["scores"]])


def _task_model(encoder_dir: Path, kind: str, labels: list[str] | None, ctx: PhaseContext):
    encoder = load_encoder(encoder_dir)
    if ctx.config.model.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    return build_task_model(encoder, kind, len(labels) if labels else None).to(ctx.device)


def _write_encoder(model, out: Path) -> None:
    """The trained encoder, with a manifest (checked on reuse). Staging folders of a writer that
    was killed mid-save are never read; they are removed here, where this phase alone writes."""
    for leftover in out.glob(".*tmp-encoder-*"):  # write_verified_dir's and save_encoder's own
        shutil.rmtree(leftover, ignore_errors=True)
    write_verified_dir(out / "encoder", lambda folder: save_encoder(model, folder))


@contextlib.contextmanager
def _seeded_init(seed: int) -> Iterator[None]:
    """New heads start from the trial seed: otherwise a repeat of the trial, or a rerun after a
    crash before the first checkpoint, trains from other initial weights than the original."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _encoder_folder(out: Path) -> Callable[[dict], list[Path]]:
    return lambda done: [out / "encoder"] if done["record"]["status"] == "done" else []


def _relative_to(out: Path, weights: dict) -> dict[str, str]:
    """DONE.json names weights relative to its own folder, so a work dir that is copied or moved
    (another machine, a cluster's other mount point) is still reused in place."""
    return {k: str(Path(path).resolve().relative_to(out.resolve())) for k, path in weights.items()}


def _target_weights(out: Path, done: dict) -> dict[str, Path]:
    # `out / p` is p itself when p is absolute: DONE.json files written before paths were relative.
    return {k: out / p for k, p in done["extra"]["weights"].items()} if done["record"]["status"] == "done" else {}


def _weights_intact(out: Path, folders: list[Path]) -> bool:
    """A finished phase's weights must pass their checksums before anything loads them; a damaged
    phase is moved aside (kept for inspection, never loaded) and computed again."""
    try:
        for folder in folders:
            verify_dir(folder)
    except CheckpointError as err:
        log.warning("computing %s again: %s", out.name, err)
        quarantine([out])
        return False
    return True


def _reuse(out: Path, ctx: PhaseContext, weights: Callable[[dict], list[Path]] = lambda done: []) -> dict | None:
    marker = out / "DONE.json"
    if not marker.is_file():
        return None
    done = json.loads(marker.read_text(encoding="utf-8"))
    if not _weights_intact(out, weights(done)):
        return None
    done["record"]["computed"] = False
    ctx.report(event="reused", phase=done["record"]["phase"], task=done["record"]["task"])
    return done


def _finish(out: Path, record: PhaseRecord, extra: dict) -> dict:
    done = {"record": asdict(record), "extra": extra}
    atomic_write_text(out / "DONE.json", json.dumps(done, indent=1, default=str))
    if record.status == "done":
        _drop_unreferenced_checkpoints(out / "ckpt", [out / p for p in extra.get("weights", {}).values()])
    return done


def _drop_unreferenced_checkpoints(ckpt: Path, keep: list[Path]) -> None:
    """Once DONE.json names what a finished phase hands on (the encoder folder, the selected
    weights), its other checkpoints (optimizer state included) only take disk: about 350 MB
    per phase for e5-small. A kill midway is harmless: reuse reads only what DONE.json names."""
    kept = {path.resolve() for path in keep}
    for folder in [*ckpt.glob("checkpoints/step-*"), *ckpt.glob("best/*/step-*")]:
        if folder.resolve() not in kept:
            shutil.rmtree(folder, ignore_errors=True)


def _reused_record(done: dict) -> PhaseRecord:
    from xstilts.results import Throughput

    raw = dict(done["record"])
    raw["throughput"] = Throughput(**raw["throughput"]) if raw.get("throughput") else None
    return PhaseRecord(**raw)
