"""Content addresses: a phase's output is named by a hash of everything that changes it.

Two trials that would compute the same phase get the same key, so the phase runs once and is
reused; a finished key is never recomputed. Bump PIPELINE_VERSION when phase code changes
its outputs for the same inputs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

PIPELINE_VERSION = 1


def content_key(phase: str, payload: Mapping[str, Any]) -> str:
    blob = json.dumps({"phase": phase, "version": PIPELINE_VERSION, **payload}, sort_keys=True, default=str)
    return f"{phase}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"
