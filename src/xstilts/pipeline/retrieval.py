"""Retrieval tasks, evaluated directly on an encoder (no training), as XTREME does.

Sentences are embedded by mean-pooling one hidden layer (models.retrieval.embed_sentences).
Tatoeba: the nearest English sentence of each source sentence by cosine, as XTREME searches.
BUCC: candidate pairs mined as XTREME's ``mine_bitext`` mines them (pipeline.mining: ratio
margin over 4 nearest neighbours in both directions, exact search in chunks), kept when their
score clears the threshold that maximises F1 on dev (on the evaluated split itself when no
separate dev exists: flagged in the result's metadata).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from accelerate.utils import send_to_device
from transformers import AutoConfig

from xstilts.data.examples import BitextCorpus
from xstilts.errors import ConfigError
from xstilts.features.batching import length_grouped_batches
from xstilts.features.collate import make_collate
from xstilts.features.registry import featurize
from xstilts.metrics.bucc import optimize_threshold, pairs_at_or_above
from xstilts.models.encoder_io import load_encoder
from xstilts.models.retrieval import embed_sentences, pooled_layer
from xstilts.pipeline import inputs
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.reads import load_bitext
from xstilts.pipeline.mining import mine
from xstilts.pipeline.scoring import write_and_score, write_gold_file
from xstilts.results import ScoreRow
from xstilts.tasks.registry import get_task


@torch.no_grad()
def embed(encoder, tokenizer, sentences: list[str], max_length: int, layer: int | None, batch_size: int) -> np.ndarray:
    """L2-normalised sentence embeddings, rows in input order."""
    fs = featurize("retrieval", sentences, tokenizer, max_length=max_length)
    collate = make_collate("retrieval", tokenizer.pad_token_id)
    out = np.zeros((len(sentences), encoder.config.hidden_size), dtype=np.float32)
    for indices in length_grouped_batches(fs.lengths(), batch_size, shuffle=False):
        batch = send_to_device(collate([fs[i] for i in indices]), encoder.device)
        vectors = embed_sentences(encoder, batch["input_ids"], batch["attention_mask"], layer)
        out[indices] = torch.nn.functional.normalize(vectors.float(), dim=-1).cpu().numpy()
    return out


def capped(corpus: BitextCorpus, cap: int | None) -> BitextCorpus:
    """At most `cap` sentences per side, keeping gold pairs first so the task stays a search
    among distractors rather than among nothing (deterministic: file order)."""
    if cap is None or len(corpus.source) <= cap:
        return corpus
    gold = list(corpus.gold)[: cap // 2] if len(corpus.gold) > cap // 2 else list(corpus.gold)
    def pick(side: dict[str, str], wanted: list[str]) -> dict[str, str]:
        ids = wanted + [i for i in side if i not in set(wanted)][: cap - len(wanted)]
        return {i: side[i] for i in ids}
    source = pick(corpus.source, [s for s, _ in gold])
    target = pick(corpus.target, [t for _, t in gold])
    return BitextCorpus(corpus.source_lang, corpus.target_lang, source, target, tuple(gold))


def _tatoeba(src: np.ndarray, tgt: np.ndarray, corpus: BitextCorpus, **_) -> tuple[list[str], list[str], dict]:
    nearest = (src @ tgt.T).argmax(axis=1)
    return [str(int(i)) for i in nearest], [str(i) for i in range(len(corpus.source))], {}


def _distinct_rows(side: dict[str, str]) -> tuple[list[int], list[str | None]]:
    """(first row of each distinct sentence, its id or None): XTREME mines over distinct
    sentences and maps a mined sentence back to an id only when it occurs once in the file
    (``text_load_unify``, then ``read_sent2id`` drops repeated sentences), so a repeated
    sentence can never be mined."""
    ids, first = list(side), {}
    for row, sentence in enumerate(side.values()):
        first.setdefault(sentence, row)
    occurrences = Counter(sentence.strip() for sentence in side.values())
    return list(first.values()), [ids[row] if occurrences[side[ids[row]].strip()] == 1 else None for row in first.values()]


def _candidates(src: np.ndarray, tgt: np.ndarray, corpus: BitextCorpus) -> dict[tuple[str, str], float]:
    """Mined (source id, target id) -> ratio-margin score, best first."""
    src_rows, src_ids = _distinct_rows(corpus.source)
    tgt_rows, tgt_ids = _distinct_rows(corpus.target)
    mined = mine(src[src_rows], tgt[tgt_rows])
    pairs = zip(mined.source.tolist(), mined.target.tolist(), mined.scores.tolist())
    return {(src_ids[i], tgt_ids[j]): score for i, j, score in pairs if src_ids[i] is not None and tgt_ids[j] is not None}


def _bucc(src: np.ndarray, tgt: np.ndarray, corpus: BitextCorpus, tune: Callable | None = None, **_) -> tuple[list, list, dict]:
    candidates = _candidates(src, tgt, corpus)
    tuned_on_eval = tune is None
    threshold = optimize_threshold(candidates, corpus.gold) if tuned_on_eval else tune()
    mined = pairs_at_or_above(candidates, threshold)
    info = {"threshold": threshold, "threshold_tuned_on_eval_split": tuned_on_eval, "candidates": len(candidates)}
    return mined, list(corpus.gold), info


SEARCHERS = {"tatoeba": _tatoeba, "bucc": _bucc}


def retrieve_languages(node, encoder_dir: Path, out: Path, ctx: PhaseContext) -> tuple[list[ScoreRow], dict]:
    """Every language the graph node evaluates: embed, search (Tatoeba) or mine (BUCC), score.
    The corpora are exactly the node's reads (whose fingerprints are in its key)."""
    spec, cfg = get_task(node.task), ctx.config.targets[node.task]
    layer = _retrieval_layer(encoder_dir, ctx)
    # Layers above the pooled one cannot change its hidden states: not loading them halves the
    # cost of embedding at XTREME's middle layer.
    encoder = load_encoder(encoder_dir, num_layers=max(layer, 1)).eval().to(ctx.device)
    tokenizer = inputs.load_tokenizer(encoder_dir)
    batch = ctx.config.eval_batch_size
    ref = node.evaluates[0].ref
    fmt = spec.sources(ref.split)[0].format
    dev_of = {read.language: read for read in node.selects_on}  # BUCC dev, where the threshold is tuned
    rows, meta = [], {}

    def embeddings(corpus: BitextCorpus) -> tuple[np.ndarray, np.ndarray]:
        with ctx.autocast():
            return (embed(encoder, tokenizer, list(corpus.source.values()), cfg.max_length, layer, batch),
                    embed(encoder, tokenizer, list(corpus.target.values()), cfg.max_length, layer, batch))

    for read in node.evaluates:
        lang = read.language
        corpus = capped(load_bitext(read, ctx.data_dir), cfg.max_eval_examples)
        ctx.report(event="eval", phase="zero_shot", task=spec.name, language=lang)
        tune = _dev_threshold(dev_of.get(lang), cfg, ctx, embeddings) if fmt == "bucc" else None
        predictions, gold, info = SEARCHERS[fmt](*embeddings(corpus), corpus, tune=tune)
        write_gold_file(spec, lang, gold, out / "gold")
        rows.append(write_and_score(spec, lang, predictions, out / "final", out / "gold", "final"))
        meta[lang] = {"source_sentences": len(corpus.source), "target_sentences": len(corpus.target), **info}
    counts = {lang: info["source_sentences"] for lang, info in meta.items()}
    return rows, {"languages": meta, "eval_examples": counts, "eval_split": str(ref)}


def _retrieval_layer(encoder_dir: Path, ctx: PhaseContext) -> int:
    num_layers = AutoConfig.from_pretrained(encoder_dir).num_hidden_layers
    try:
        return pooled_layer(num_layers, ctx.config.model.retrieval_layer)
    except ValueError as err:
        raise ConfigError("model.retrieval_layer", str(err)) from None


def _dev_threshold(read, cfg, ctx, embeddings) -> Callable | None:
    """XTREME tunes the BUCC threshold on dev and applies it to test (None: no separate dev)."""
    if read is None:
        return None
    dev = capped(load_bitext(read, ctx.data_dir), cfg.max_eval_examples)
    return lambda: optimize_threshold(_candidates(*embeddings(dev), dev), dev.gold)
