"""xstilts: English intermediate-task training and zero-shot cross-lingual transfer on XTREME."""

import os

# OpenMP threads that spin while waiting made 2-thread CPU training ~50x slower on a busy
# 2-core machine (measured by the benchmarks); passive waiting costs nothing when idle.
# Set before torch loads; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
