"""The phases as functions: each takes its graph node and an artifact and returns one.

    base_encoder(graph)                        -> EncoderArtifact   (the pretrained encoder)
    intermediate(node, encoder, ctx)           -> EncoderArtifact   (English intermediate task)
    target(node, encoder, ctx)                 -> TaskArtifact      (English training set of a target)
    zero_shot(node, task_artifact, ctx)        -> Predictions       (every language, XTREME layout)
    retrieval(node, encoder, ctx)              -> Predictions       (BUCC / Tatoeba, no training)

The node (pipeline.graph) says what a phase reads and the key its output folder is named by;
phases exchange only artifacts (folders on disk). A folder with DONE.json is reused, never
recomputed: DONE.json is the one completion marker, written and read only here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

import torch

from xstilts.errors import ConfigError
from xstilts.io import atomic_write_text
from xstilts.models.encoder_io import save_encoder
from xstilts.pipeline import inputs
from xstilts.pipeline import fitting
from xstilts.pipeline.artifacts import EncoderArtifact, Predictions, TaskArtifact, task_model as _task_model
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.graph import PhaseNode, TrialGraph, phase_settings
from xstilts.pipeline.mixture_phase import mixture_intermediate
from xstilts.pipeline.reads import load_examples
from xstilts.results import PhaseRecord, ScoreRow
from xstilts.tasks.registry import get_task
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import CheckpointError, quarantine, tidy_finished, verify_dir, write_verified_dir

log = logging.getLogger(__name__)


def base_encoder(graph: TrialGraph) -> EncoderArtifact:
    return EncoderArtifact(key=graph.node("base").key, path=graph.model_dir)


def intermediate(node: PhaseNode, encoder: EncoderArtifact, ctx: PhaseContext) -> EncoderArtifact | None:
    """Train the encoder on the English intermediate task(s); None when training diverged."""
    cfg = ctx.config.intermediate
    settings = phase_settings(cfg.train, ctx.config)
    out = node.folder(ctx.work_dir)
    done = _reuse(out, ctx, _encoder_folder(out))
    if done is None:
        build = _single_intermediate if len(cfg.task_names()) == 1 and cfg.mlm is None else mixture_intermediate
        with _seeded_init(ctx.config.seed):
            model, training_data, evaluator = build(node, encoder, settings, ctx)
        outcome, record = fitting.fit(model, training_data, settings=settings, out=out, node=node, evaluator=evaluator, ctx=ctx)
        if outcome.status == "done":
            fitting.load_best(model, outcome, "english_dev")
            _write_encoder(model, out)
        done = _finish(out, record, {})
    ctx.records.append(_reused_record(done))
    return EncoderArtifact(key=node.key, path=out / "encoder") if done["record"]["status"] == "done" else None


def _single_intermediate(node: PhaseNode, encoder: EncoderArtifact, settings, ctx: PhaseContext):
    cfg = ctx.config.intermediate
    spec = get_task(cfg.task)
    examples = load_examples(node.trains_on[0], ctx.data_dir)
    labels = inputs.label_list(spec.name, examples)
    model = _task_model(encoder.path, spec.kind, labels, ctx)
    geometry = fitting.Geometry(cfg.max_length, cfg.doc_stride)
    shared = {"geometry": geometry, "encoder_dir": encoder.path, "labels": labels, "ctx": ctx}
    evaluator = fitting.english_dev_evaluator(spec, node.selects_on, **shared)
    return model, fitting.single_task_data(spec, examples, settings=settings, **shared), evaluator


def target(node: PhaseNode, encoder: EncoderArtifact, ctx: PhaseContext) -> TaskArtifact | None:
    """Fine-tune on the target's English training data, starting from `encoder`."""
    spec = get_task(node.task)
    cfg = ctx.config.targets[spec.name]
    settings = phase_settings(cfg.train, ctx.config)
    out = node.folder(ctx.work_dir)
    done = _reuse(out, ctx, lambda done: list(_target_weights(out, done).values()))
    if done is None:
        examples = load_examples(node.trains_on[0], ctx.data_dir)
        labels = inputs.label_list(spec.name, examples) if spec.labels is None else spec.labels
        with _seeded_init(ctx.config.seed):
            model = _task_model(encoder.path, spec.kind, labels, ctx)
        geometry = fitting.Geometry(cfg.max_length, cfg.doc_stride)
        shared = {"geometry": geometry, "encoder_dir": encoder.path, "labels": labels, "ctx": ctx}
        evaluator = fitting.target_evaluator(spec, node.selects_on, node.oracle, **shared)
        train_data = fitting.single_task_data(spec, examples, settings=settings, **shared)
        outcome, record = fitting.fit(model, train_data, settings=settings, out=out, node=node, evaluator=evaluator, ctx=ctx)
        weights = {k: best.path for k, best in outcome.best.items()} or {"final": outcome.final_checkpoint}
        done = _finish(out, record, {"weights": _relative_to(out, weights), "labels": labels})
    ctx.records.append(_reused_record(done))
    if done["record"]["status"] != "done":
        return None
    weights = {k: str(path) for k, path in _target_weights(out, done).items()}
    return TaskArtifact(key=node.key, task=spec.name, encoder=encoder, weights=weights, labels=done["extra"]["labels"])


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


def zero_shot(node: PhaseNode, artifact: TaskArtifact, ctx: PhaseContext) -> Predictions:
    """Predict every evaluated language with each selected model; write and score XTREME files."""
    from xstilts.pipeline.zero_shot import predict_languages

    return _evaluation(node, ctx, lambda out: predict_languages(node, artifact, out, ctx))


def retrieval(node: PhaseNode, encoder: EncoderArtifact, ctx: PhaseContext) -> Predictions:
    """Embed both sides with the encoder's pooled hidden states and search (Tatoeba) or mine (BUCC)."""
    from xstilts.pipeline.retrieval import retrieve_languages

    return _evaluation(node, ctx, lambda out: retrieve_languages(node, encoder.path, out, ctx))


def _evaluation(node: PhaseNode, ctx: PhaseContext, compute: Callable[[Path], tuple[list[ScoreRow], dict]]) -> Predictions:
    """A phase that trains nothing: compute (or reuse) its scored predictions."""
    out = node.folder(ctx.work_dir)
    done = _reuse(out, ctx)
    if done is None:
        start = time.perf_counter()
        rows, meta = compute(out)
        record = PhaseRecord(key=node.key, phase=node.phase, task=node.task, computed=True, status="done",
                             seconds=time.perf_counter() - start, meta=meta)
        done = _finish(out, record, {"scores": [asdict(r) for r in rows]})
    ctx.records.append(_reused_record(done))
    return Predictions(key=node.key, task=node.task, folder=out, scores=[ScoreRow(**r) for r in done["extra"]["scores"]])


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
        # Its other checkpoints (optimizer state included) only take disk: ~350 MB per e5-small phase.
        tidy_finished(out / "ckpt", {out / p for p in extra.get("weights", {}).values()})
    return done


def _reused_record(done: dict) -> PhaseRecord:
    from xstilts.results import Throughput

    raw = dict(done["record"])
    raw["throughput"] = Throughput(**raw["throughput"]) if raw.get("throughput") else None
    return PhaseRecord(**raw)
