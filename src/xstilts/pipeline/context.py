"""What every phase of one trial shares: config, folders, device, progress and the records."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import torch

from xstilts.config import RunConfig
from xstilts.results import CurvePoint, PhaseRecord

if TYPE_CHECKING:
    from xstilts.pipeline.graph import TrialGraph

Progress = Callable[[dict[str, Any]], None]
log = logging.getLogger(__name__)


def _native_cpu_bf16() -> bool:
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@dataclass
class PhaseContext:
    config: RunConfig
    data_dir: Path
    work_dir: Path
    cache_dir: Path
    progress: Progress | None = None
    records: list[PhaseRecord] = field(default_factory=list)
    curves: list[CurvePoint] = field(default_factory=list)

    @classmethod
    def for_graph(cls, graph: "TrialGraph", progress: Progress | None = None) -> "PhaseContext":
        config = graph.config
        if config.cpu_bf16 and not torch.cuda.is_available() and not _native_cpu_bf16():
            log.warning("cpu_bf16 is on, but this CPU has no native bf16 (AMX / AVX512-BF16): expect it to be slower than fp32")
        return cls(config=config, data_dir=graph.data_dir, work_dir=Path(config.work_dir), cache_dir=graph.cache_dir,
                   progress=progress)

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
