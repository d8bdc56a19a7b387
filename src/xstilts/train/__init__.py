"""Training loop, checkpoints and throughput meter.

``train(model, dataset, collate_fn, settings, checkpoint_dir=...)`` trains any module whose
``forward(**batch)`` returns an object with ``.loss`` and returns a ``TrainOutcome``.
"""

from xstilts.train.checkpoint import CheckpointError, load_weights
from xstilts.train.loop import StepReport, train
from xstilts.train.outcome import BestState, TrainOutcome, TrainPoint
from xstilts.train.settings import TrainSettings
from xstilts.train.throughput import ThroughputMeter, count_flop_params

__all__ = [
    "BestState",
    "CheckpointError",
    "StepReport",
    "ThroughputMeter",
    "TrainOutcome",
    "TrainPoint",
    "TrainSettings",
    "count_flop_params",
    "load_weights",
    "train",
]
