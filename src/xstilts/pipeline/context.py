"""What every phase of one trial shares: config, folders, the leakage guard and the records."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from xstilts.config import RunConfig
from xstilts.data.splits import SplitRef, translation_group
from xstilts.errors import ConfigError
from xstilts.models.cache import default_cache_dir
from xstilts.results import CurvePoint, PhaseRecord
from xstilts.tasks.registry import get_task

Progress = Callable[[dict[str, Any]], None]
log = logging.getLogger(__name__)


def _native_cpu_bf16() -> bool:
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@dataclass
class TrainedLines:
    """Lines of translated dev/test sets that some phase trains or selects on.

    Files in one translation group are line-aligned translations (PAWS-X, XNLI dev), so a line
    trained on in English must not be evaluated in *any* language.
    """

    ranges: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)

    def add(self, ref: SplitRef) -> None:
        group = translation_group(get_task(ref.task), ref.split)
        if group:
            self.ranges.setdefault(group, []).append((ref.start, ref.stop))

    def excludes(self, group: str | None, line: int) -> bool:
        return any(start <= line and (stop is None or line < stop) for start, stop in self.ranges.get(group or "", []))


@dataclass
class PhaseContext:
    config: RunConfig
    data_dir: Path
    work_dir: Path
    cache_dir: Path
    progress: Progress | None = None
    records: list[PhaseRecord] = field(default_factory=list)
    curves: list[CurvePoint] = field(default_factory=list)
    trained: TrainedLines = field(default_factory=TrainedLines)

    @classmethod
    def from_config(cls, config: RunConfig, progress: Progress | None = None) -> "PhaseContext":
        data_dir = config.resolved_data_dir()
        if not data_dir.is_dir():
            raise ConfigError("data_dir", f"data dir not found: {data_dir}")
        cache = Path(config.model.cache_dir) if config.model.cache_dir else default_cache_dir()
        if config.cpu_bf16 and not torch.cuda.is_available() and not _native_cpu_bf16():
            log.warning("cpu_bf16 is on, but this CPU has no native bf16 (AMX / AVX512-BF16): expect it to be slower than fp32")
        return cls(config=config, data_dir=data_dir, work_dir=Path(config.work_dir), cache_dir=cache, progress=progress)

    @property
    def device(self) -> torch.device:
        """Where models are evaluated: the GPU when there is one, as training runs there too."""
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def autocast(self) -> torch.autocast:
        """bf16 autocast for evaluation: always on a GPU (as TrainSettings.bf16 trains there by
        default), on CPU when the run asks for it (cpu_bf16)."""
        on_gpu = self.device.type == "cuda"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=on_gpu or self.config.cpu_bf16)

    def report(self, **event: Any) -> None:
        if self.progress is not None:
            self.progress(event)
