"""Make the repository's `benchmarks` package importable however pytest is started.

`benchmarks/` lives at the repository root, outside the installed `src/` tree; `python -m pytest`
puts the root on sys.path, plain `pytest` does not (and would then find this test folder as a
namespace package of the same name).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
