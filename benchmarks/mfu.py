"""Model FLOPs utilisation beside every ratio: how busy each side kept the machine's matrix units.

MFU = model FLOP/s / peak FLOP/s. Model FLOPs follow PaLM's accounting over the real tokens
(``xstilts.train.flops``: training 6·N + attention, evaluation 2·N + attention, N without the
embedding tables); padding a side computes is not model work, so it lowers that side's MFU.
The peak is the matmul probe of ``xstilts.train.peak`` in the side's precision with the
benchmark's threads, measured at the start and at the end of the figure (the MFU divides by
their mean; both are shown, so a figure measured while the machine slowed down says so).
Every probe is also recorded in the per-machine cache, like a training phase's.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from xstilts.train.flops import encoder_shape
from xstilts.train.peak import Probe, measure_matmul_flops, record_probe


def probe(dtype: str) -> Probe:
    from xstilts.models.cache import default_cache_dir

    measured = measure_matmul_flops(dtype, "cuda" if torch.cuda.is_available() else "cpu")
    record_probe(measured, default_cache_dir())
    return measured


@dataclass
class PeakWindow:
    """Probes of one precision at a figure's start and end."""

    dtype: str
    probes: list[Probe] = field(default_factory=list)

    @classmethod
    def start(cls, dtype: str) -> PeakWindow:
        return cls(dtype, [probe(dtype)])

    def end(self) -> PeakWindow:
        self.probes.append(probe(self.dtype))
        return self

    @property
    def peak(self) -> float:
        return statistics.fmean(p.flops_per_s for p in self.probes)

    def describe(self) -> str:
        values = "/".join(f"{p.flops_per_s / 1e12:.2f}" for p in self.probes)
        return f"{self.dtype} matmul probe {values} TFLOP/s (start/end)"


def mean_training_flops(model: torch.nn.Module, lengths: Sequence[int]) -> float:
    """Model FLOPs of training one example, averaged over a set (both sides draw from all of it)."""
    return encoder_shape(model).sequence_flops(lengths, training=True) / len(lengths)


def forward_flops(model: torch.nn.Module, lengths: Sequence[int]) -> float:
    """Model FLOPs of one forward pass over every sequence of these real lengths."""
    return encoder_shape(model).sequence_flops(lengths, training=False)


def mfu(flops_per_s: float, window: PeakWindow) -> float:
    return flops_per_s / window.peak


def format_mfu(values: dict[str, float]) -> str:
    """``{side: MFU}`` as the summary table and the setup text show it."""
    return ", ".join(f"{side} {100 * value:.1f} %" for side, value in values.items())


def mfu_sentence(values: dict[str, float], windows: Sequence[PeakWindow]) -> str:
    probes = "; ".join(window.describe() for window in windows)
    return f"MFU (median; model FLOPs of the real tokens / probe) {format_mfu(values)}; {probes}"
