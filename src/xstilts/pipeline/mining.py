"""Bitext mining as XTREME mines BUCC: ratio-margin scores over k nearest neighbours, both ways.

XTREME (``third_party/utils_retrieve.py``: ``mine_bitext`` with ``retrieval='max'``,
``margin='ratio'``, ``neighborhood=4``, after LASER) scores a pair (x, y) by

    cos(x, y) / ((mean cos of x's k nearest targets + mean cos of y's k nearest sources) / 2)

so a pair stands out only if it beats both sentences' usual neighbours ("hubs" that are close
to everything score low). Every source row proposes its best-scoring target among its k
neighbours and every target row its best source; the proposals are taken best first, skipping
any whose source or target was already taken, and kept when the score is > 0.

The neighbours are exact (faiss ``IndexFlatIP`` on L2-normalised rows, so inner product =
cosine), searched a chunk of query rows at a time: memory grows with rows * k, never with
source rows * target rows as a dense similarity matrix does. Pure: vectors in, candidate row
pairs and scores out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEIGHBOURS = 4  # XTREME's (and LASER's) neighbourhood size for BUCC
CHUNK_ROWS = 16384  # query rows per faiss search call; bounds the temporary buffers


@dataclass(frozen=True)
class Neighbours:
    """Each query row's k nearest database rows, nearest first, with their margin scores."""

    indices: np.ndarray  # (rows, k) int64 database rows
    similarities: np.ndarray  # (rows, k) float32 cosines
    scores: np.ndarray  # (rows, k) float32 ratio-margin scores of the same pairs


@dataclass(frozen=True)
class Candidates:
    """Mined pairs, best score first: ``source[i]`` and ``target[i]`` are row indices."""

    source: np.ndarray  # (pairs,) int64
    target: np.ndarray  # (pairs,) int64
    scores: np.ndarray  # (pairs,) float64 ratio-margin scores, descending

    def __len__(self) -> int:
        return len(self.scores)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Float32 C-contiguous rows of unit length (all-zero rows stay zero, as faiss'
    ``normalize_L2`` leaves them). Input that already is that comes back as it is, since it is
    only read (a copy of a BUCC side at width 768 is up to 1.7 GB); otherwise a normalised
    copy: the caller's array is never modified."""
    array = np.asarray(vectors)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d array of row vectors, got shape {array.shape}")
    if array.dtype == np.float32 and array.flags.c_contiguous:
        squared = np.einsum("ij,ij->i", array, array)  # no rows x width temporary, unlike np.linalg.norm
        if np.all((np.abs(squared - 1) < 1e-5) | (squared == 0)):
            return array
    out = np.array(array, dtype=np.float32, order="C", copy=True)
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))[:, None]
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def knn(queries: np.ndarray, database: np.ndarray, k: int, chunk_rows: int = CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest database rows of every query row by inner product: (similarities
    float32, indices int64), each (queries, min(k, database rows)), nearest first."""
    import faiss  # imported here: only BUCC mining needs it, every trial imports the pipeline

    k = min(k, len(database))
    index = faiss.IndexFlatIP(database.shape[1])
    index.add(database)
    similarities = np.empty((len(queries), k), dtype=np.float32)
    indices = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), chunk_rows):
        stop = min(start + chunk_rows, len(queries))
        similarities[start:stop], indices[start:stop] = index.search(queries[start:stop], k)
    return similarities, indices


def margin_neighbours(
    source: np.ndarray, target: np.ndarray, k: int = NEIGHBOURS, chunk_rows: int = CHUNK_ROWS
) -> tuple[Neighbours, Neighbours]:
    """(forward: each source row's k nearest targets, backward: each target row's k nearest
    sources), both with ratio-margin scores. Rows are normalised here, as XTREME does."""
    x, y = unit_rows(source), unit_rows(target)
    fwd_sim, fwd_ind = knn(x, y, k, chunk_rows)
    bwd_sim, bwd_ind = knn(y, x, k, chunk_rows)
    fwd_mean, bwd_mean = fwd_sim.mean(axis=1), bwd_sim.mean(axis=1)
    forward = Neighbours(fwd_ind, fwd_sim, fwd_sim / ((fwd_mean[:, None] + bwd_mean[fwd_ind]) / 2))
    backward = Neighbours(bwd_ind, bwd_sim, bwd_sim / ((bwd_mean[:, None] + fwd_mean[bwd_ind]) / 2))
    return forward, backward


def _best(neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray]:
    """Each query row's best-scoring neighbour and its score (first one on a tie, as argmax)."""
    column = neighbours.scores.argmax(axis=1)
    rows = np.arange(len(column))
    return neighbours.indices[rows, column], neighbours.scores[rows, column].astype(np.float64)


def mine(source: np.ndarray, target: np.ndarray, k: int = NEIGHBOURS, chunk_rows: int = CHUNK_ROWS) -> Candidates:
    """XTREME's ``retrieval='max'`` mining: both directions' best proposals, taken best score
    first, at most one pair per source row and per target row, scores > 0 only."""
    if len(source) == 0 or len(target) == 0:
        empty = np.empty(0, dtype=np.int64)
        return Candidates(empty, empty, np.empty(0, dtype=np.float64))
    forward, backward = margin_neighbours(source, target, k, chunk_rows)
    fwd_best, fwd_score = _best(forward)
    bwd_best, bwd_score = _best(backward)
    src = np.concatenate((np.arange(len(source)), bwd_best))
    tgt = np.concatenate((fwd_best, np.arange(len(target))))
    scores = np.concatenate((fwd_score, bwd_score))
    order = np.argsort(-scores, kind="stable")  # stable: equal scores keep a fixed order
    kept = _one_to_one(src[order].tolist(), tgt[order].tolist(), len(source), len(target))
    chosen = order[kept]
    chosen = chosen[scores[chosen] > 0]  # XTREME writes only scores above its threshold of 0
    return Candidates(src[chosen], tgt[chosen], scores[chosen])


def _one_to_one(src: list[int], tgt: list[int], n_source: int, n_target: int) -> np.ndarray:
    """Positions of the pairs kept by a greedy pass: a pair is kept when neither its source
    nor its target row was kept before (inherently sequential; plain lists keep it fast)."""
    seen_src, seen_tgt = [False] * n_source, [False] * n_target
    kept = []
    for position, (s, t) in enumerate(zip(src, tgt)):
        if not seen_src[s] and not seen_tgt[t]:
            seen_src[s] = seen_tgt[t] = True
            kept.append(position)
    return np.asarray(kept, dtype=np.int64)
