"""Zero-shot prediction: a trained task model evaluated on every language of its target.

Each language read by the graph node is featurized, all languages are predicted in pooled,
length-sorted passes, and the predictions are written in XTREME's folder layout and scored
with the XTREME-equivalent scorer. Retrieval tasks (no training) live beside this, in
retrieval.py.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.pipeline import inputs
from xstilts.pipeline.artifacts import TaskArtifact, task_model
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.graph import PhaseNode
from xstilts.pipeline.predict import predict_pooled
from xstilts.pipeline.reads import load_examples
from xstilts.pipeline.trivial import most_frequent, trivial_predictions
from xstilts.pipeline.scoring import gold_for_file, write_and_score, write_gold_file
from xstilts.results import ScoreRow
from xstilts.tasks.registry import get_task
from xstilts.train.checkpoint import load_weights, weights_digest


def _language_features(node: PhaseNode, artifact: TaskArtifact, out: Path, ctx: PhaseContext):
    """Features per evaluated language; gold files written as XTREME lays them out."""
    spec, cfg = get_task(node.task), ctx.config.targets[node.task]
    tokenizer = inputs.load_tokenizer(artifact.encoder.path)
    sets, examples_by_language = {}, {}
    for read in node.evaluates:
        examples = examples_by_language[read.language] = load_examples(read, ctx.data_dir)
        write_gold_file(spec, read.language, gold_for_file(spec, examples), out / "gold")
        sets[read.language] = inputs.features(ctx, spec.kind, examples, tokenizer, task=spec.name, split=read.ref.split,
                                            language=read.language, max_length=cfg.max_length, labels=artifact.labels,
                                            **inputs.kind_options(spec.kind, cfg.doc_stride))
    return sets, examples_by_language, tokenizer.pad_token_id


def predict_languages(node: PhaseNode, artifact: TaskArtifact, out: Path, ctx: PhaseContext) -> tuple[list[ScoreRow], dict]:
    """Every evaluated language x every selected model: XTREME files written, then scored."""
    spec = get_task(node.task)
    sets, examples, pad = _language_features(node, artifact, out, ctx)
    model = task_model(artifact.encoder.path, spec.kind, artifact.labels, ctx)
    rows, done = [], {}
    for selection, weights in artifact.weights.items():
        # English-dev and oracle selection often pick the same step: identical weights give
        # identical predictions, so they are computed once and written under both names.
        digest = weights_digest(Path(weights))
        if digest not in done:
            load_weights(model, weights)
            ctx.report(event="eval", phase="zero_shot", task=spec.name, language=",".join(sets), selection=selection)
            with ctx.autocast():
                done[digest] = predict_pooled(model, sets, artifact.labels, pad, ctx.config.eval_batch_size,
                                              frozen_compile=ctx.config.cpu_eval_compile)
        for lang in sets:
            rows.append(write_and_score(spec, lang, done[digest][lang], out / selection, out / "gold", selection))
    rows += _trivial_rows(node, examples, out, ctx)
    excluded = {read.language: read.excluded for read in node.evaluates}
    counts = {lang: len(found) for lang, found in examples.items()}
    return rows, {"eval_examples": counts, "excluded_trained_lines": excluded, "eval_split": str(node.evaluates[0].ref),
                  "distinct_weights_evaluated": len(done)}


def _trivial_rows(node: PhaseNode, examples: dict[str, list], out: Path, ctx: PhaseContext) -> list[ScoreRow]:
    """The trivial predictor's score per language, on the same lines and through the same scorer."""
    spec = get_task(node.task)
    common = most_frequent(spec.kind, load_examples(node.trivial_from, ctx.data_dir))
    return [write_and_score(spec, lang, trivial_predictions(spec.kind, common, found), out / "trivial", out / "gold", "trivial")
            for lang, found in examples.items()]
