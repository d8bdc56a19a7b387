"""Side-by-side performance benchmarks of xstilts; run with ``python -m benchmarks.run``.

Every figure is a ratio (or a count, or a rate where stated) measured in one run, with both
sides interleaved repetition by repetition so that load from other processes hits both alike.
Results are appended to BENCHMARKS.md at the repository root.
"""

import os

# Set before anything imports torch, whose OpenMP runtime reads it once. With the default
# (spinning) wait policy, two intra-op threads on cores shared with other processes spin
# against each other: a tiny model's step measured 1.6 s instead of 0.03 s on this project's
# 2-core machine. Passive waiting costs a dedicated machine little and both sides alike.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
