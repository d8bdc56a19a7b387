"""Random-number-generator state as plain tensors and lists.

Kept to types that ``torch.load(weights_only=True)`` accepts, so a checkpoint's RNG file loads
without unpickling arbitrary objects.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def capture_rng() -> dict:
    version, internal, gauss = random.getstate()
    kind, keys, position, has_gauss, cached_gauss = np.random.get_state()
    state = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached_gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
