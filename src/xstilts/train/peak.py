"""The machine's matmul speed right now: the peak that MFU divides by.

A spec-sheet peak says nothing about a shared CPU on a busy day, so the peak is *measured*: square
matmuls in the phase's precision (bf16 or fp32), on its device and with its thread count, for
about ``PROBE_SECONDS``; the rate is the median over the timed calls. A phase probes at its
start and at its end (both are stored), so a phase that ran on a slow machine shows a slow probe
beside its slow examples/s, and examples/s can be scaled to a reference machine speed.

Every probe is also appended to a small JSON file in the cache folder, keyed by processor (CPU
model or GPU name), torch version, threads and precision: ``cached_peak`` is the median of that
machine's recent probes, a reference that does not move with one busy minute. Two processes
probing at once may each drop the other's newest sample from the file; the file is a running
record, not a ledger, and every write is atomic.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch

from xstilts.io import atomic_write_text

log = logging.getLogger(__name__)

PROBE_SECONDS = 0.3
PROBE_SECONDS_ENV = "XSTILTS_PEAK_PROBE_S"  # seconds per probe; 0 turns probing (and MFU) off
CACHE_FILE = "peak-flops.json"
KEPT_SAMPLES = 50
CPU_SIZES = (1024, 2048)  # fp32 on one busy core is ~0.1 TFLOP/s: 2048 would take 0.17 s a call
GPU_SIZE = 8192  # a 2048 matmul is ~25 µs on an H100-class GPU: too short to reach its peak
MIN_CALLS = 3
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


def processor_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


@dataclass(frozen=True)
class Probe:
    """One measurement of the matmul peak."""

    flops_per_s: float
    device: str  # processor name
    dtype: str  # "bf16" | "fp32"
    threads: int  # torch intra-op threads (CPU); the GPU ignores them
    size: int  # matmul side
    torch_version: str
    at: str  # UTC time of the measurement

    @property
    def key(self) -> str:
        return cache_key(self.device, self.dtype, self.threads, self.torch_version)


def cache_key(device: str, dtype: str, threads: int, torch_version: str = torch.__version__) -> str:
    return f"{device} | torch {torch_version} | {threads} threads | {dtype}"


def probe_seconds() -> float:
    raw = os.environ.get(PROBE_SECONDS_ENV)
    if raw is None:
        return PROBE_SECONDS
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ValueError(f"{PROBE_SECONDS_ENV}={raw!r} is not a number of seconds") from None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _call_seconds(a: torch.Tensor, b: torch.Tensor, device: torch.device) -> float:
    start = time.perf_counter()
    torch.mm(a, b)
    _sync(device)
    return time.perf_counter() - start


def _operands(size: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(size, size, generator=generator).to(device=device, dtype=dtype) for _ in range(2))
    return a, b


def _pick_size(dtype: torch.dtype, device: torch.device, seconds: float) -> int:
    if device.type == "cuda":
        return GPU_SIZE
    small = CPU_SIZES[0]
    a, b = _operands(small, dtype, device)
    _call_seconds(a, b, device)  # warm-up: kernel selection, page faults
    per_call = _call_seconds(a, b, device) * (CPU_SIZES[1] / small) ** 3
    return CPU_SIZES[1] if per_call * (MIN_CALLS + 1) <= seconds else small


def measure_matmul_flops(dtype: str, device: torch.device | str = "cpu", seconds: float = PROBE_SECONDS) -> Probe:
    """Median FLOP/s of ``size``² matmuls in ``dtype`` over about ``seconds`` (at least MIN_CALLS calls)."""
    device, torch_dtype = torch.device(device), DTYPES[dtype]
    size = _pick_size(torch_dtype, device, seconds)
    with torch.no_grad():
        a, b = _operands(size, torch_dtype, device)
        _call_seconds(a, b, device)
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while len(times) < MIN_CALLS or time.perf_counter() < deadline:
            times.append(_call_seconds(a, b, device))
    rate = 2.0 * size**3 / statistics.median(times)
    return Probe(rate, processor_name(device), dtype, torch.get_num_threads(), size, torch.__version__,
                 datetime.now(UTC).isoformat(timespec="seconds"))


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # absent or unreadable: the cache is only a record, a probe never depends on it
    return data if isinstance(data, dict) else {}


def record_probe(probe: Probe, cache_dir: Path) -> None:
    path = Path(cache_dir) / CACHE_FILE
    data = _read_cache(path)
    samples = [*data.get(probe.key, {}).get("samples", []), {"at": probe.at, "flops_per_s": probe.flops_per_s}]
    data[probe.key] = {**asdict(probe), "samples": samples[-KEPT_SAMPLES:]}
    try:
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True))
    except OSError as error:  # a read-only cache must not fail a training phase
        log.warning("could not record the matmul probe in %s: %s", path, error)


def cached_peak(device: str, dtype: str, threads: int, cache_dir: Path) -> float | None:
    """Median of this machine's recorded probes for the setting, or None if there are none."""
    entry = _read_cache(Path(cache_dir) / CACHE_FILE).get(cache_key(device, dtype, threads), {})
    values = [s["flops_per_s"] for s in entry.get("samples", []) if s.get("flops_per_s")]
    return statistics.median(values) if values else None


def probe_peak(dtype: str, device: torch.device | str = "cpu", cache_dir: Path | None = None) -> Probe | None:
    """Measure now (and record in the cache); None when probing is turned off."""
    seconds = probe_seconds()
    if seconds <= 0:
        return None
    probe = measure_matmul_flops(dtype, device, seconds)
    if cache_dir is None:
        from xstilts.models.cache import default_cache_dir

        cache_dir = default_cache_dir()
    record_probe(probe, cache_dir)
    return probe


def phase_dtype(bf16: bool) -> str:
    return "bf16" if bf16 else "fp32"


def peak_probe_for(device: torch.device, bf16: bool) -> Callable[[], float | None]:
    """What a throughput meter calls at a phase's start and end: FLOP/s now, or None if off."""

    def probe() -> float | None:
        result = probe_peak(phase_dtype(bf16), device)
        return result.flops_per_s if result else None

    return probe
