"""What a row was measured on: the machine and the library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_model() -> str:
    """The CPU's marketing name; Linux keeps it in /proc/cpuinfo, platform knows it elsewhere."""
    if CPUINFO.is_file():
        for line in CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def describe_machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    wait = os.environ.get("OMP_WAIT_POLICY", "default")
    return f"{cpu_model()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads (OMP_WAIT_POLICY {wait}), {gpu}"


def library_versions() -> str:
    import accelerate
    import torch
    import transformers

    return f"torch {torch.__version__}, transformers {transformers.__version__}, accelerate {accelerate.__version__}"
