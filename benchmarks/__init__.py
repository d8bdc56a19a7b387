"""Side-by-side performance benchmarks of xstilts; run with ``python -m benchmarks.run``.

Every figure is a ratio (or a count, or a rate where stated) measured in one run, with both
sides interleaved repetition by repetition so that load from other processes hits both alike.
Results are appended to BENCHMARKS.md at the repository root.
"""
