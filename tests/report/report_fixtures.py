"""Constants shared by the report tests (a distinct name: ``conftest`` is ambiguous to import)."""

HOSTILE_TASK = "<script>alert(1)</script>"
FAST_RESAMPLES = 300  # enough for stable wording; the statistics tests use the default 2000
