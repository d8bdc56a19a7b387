"""Check a run's inputs before any training starts, so bad input costs seconds, not hours.

Building the trial graph already reads every split the run touches (readers raise DataError
with file:line), resolves the model source and checks every slice has examples. Preflight adds
what the graph does not need: nothing trained on is evaluated through another task (the
overlap guard by content), the checkpoint's config and weight headers parse, settings that
depend on the model (the retrieval layer) fit it, and the output folders (work dir, store,
cache) can be written, so a read-only or misplaced path fails before training.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from safetensors import SafetensorError, safe_open
from transformers import AutoConfig

from xstilts.config import RunConfig
from xstilts.errors import ConfigError
from xstilts.models.sources import SOURCE_KEY
from xstilts.pipeline.graph import TrialGraph
from xstilts.pipeline.overlap import check_no_overlap


def _check_model(graph: TrialGraph) -> None:
    """The checkpoint's config and every weight file's header parse (cheap: no tensor is read)."""
    path = graph.model_dir
    try:
        config = AutoConfig.from_pretrained(path)
        for weights in sorted(path.glob("*.safetensors")):
            with safe_open(str(weights), framework="pt"):
                pass
    except (OSError, ValueError, SafetensorError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(SOURCE_KEY, f"cannot read the checkpoint in '{path}': {reason}") from None
    layer, layers = graph.config.model.retrieval_layer, getattr(config, "num_hidden_layers", None)
    if layer is not None and layers is not None and not 0 <= layer <= layers:
        raise ConfigError("model.retrieval_layer", f"{layer} is not a layer of this encoder (0-{layers})")


def _check_writable(folder: Path, key: str) -> None:
    """A probe file in the folder, or in its nearest existing parent when it does not exist yet
    (nothing is created for a run that may still fail; as root, permission bits prove nothing)."""
    existing = Path(folder).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(key, f"cannot write to '{folder}': '{existing}' is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ConfigError(key, f"cannot write to '{folder}': {err.strerror or err}") from None


def _check_outputs(graph: TrialGraph) -> None:
    store = Path(graph.config.store)
    if store.is_dir():
        raise ConfigError("store", f"'{store}' is a folder; give the path of an SQLite file")
    _check_writable(store.parent, "store")
    _check_writable(Path(graph.config.work_dir), "work_dir")
    _check_writable(graph.cache_dir, "model.cache_dir")


def preflight(config: RunConfig, graph: TrialGraph | None = None) -> TrialGraph:
    """The trial's graph, once its inputs and outputs are known to be usable."""
    graph = graph or TrialGraph.build(config)
    check_no_overlap(graph.nodes, graph.data_dir)
    _check_model(graph)
    _check_outputs(graph)
    return graph
