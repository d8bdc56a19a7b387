"""Options shared by several subcommands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from xstilts.errors import ConfigError

DATA_DIR_HELP = ("Data folder laid out like xtreme-mini, relative to the current directory (default: "
                 "$XSTILTS_DATA_DIR, else ../shared/data/xtreme-mini: what a run config without data_dir uses).")


def resolve_data_dir(option: Path | None, key: str = "--data-dir") -> Path:
    """--data-dir as given, else $XSTILTS_DATA_DIR, else the run config's default data_dir; a
    relative path is relative to the current directory, as for a config that sets no data_dir."""
    path = option or Path(os.environ.get("XSTILTS_DATA_DIR", "../shared/data/xtreme-mini"))
    if not path.is_dir():
        raise ConfigError(key, f"data dir not found: {path} (resolved: {path.resolve()}); "
                               "pass --data-dir, --config or set $XSTILTS_DATA_DIR")
    return path


def quiet_libraries() -> None:
    """Silence transformers' "Loading weights" bars and LOAD REPORTs (a retrieval encoder cut to
    its middle layer lists the rest as UNEXPECTED, which reads like a failure). The environment
    reaches sweep workers too; a user's own TRANSFORMERS_VERBOSITY wins."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules and os.environ["TRANSFORMERS_VERBOSITY"] == "error":
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def _looks_like_squad_gold(path: Path) -> bool:
    """A SQuAD-format gold file ({"data": [...]}) rather than predictions ({question id: answer})."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return False  # unreadable or absurdly nested: the scorer names the file and line
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def _task_folders(root: Path, known) -> set[str]:
    return {child.name for child in root.iterdir() if child.is_dir() and child.name in known}


def check_score_folders(predictions: Path, gold: Path) -> None:
    """One-line errors for `xstilts score` inputs that would otherwise score nothing (exit 0)
    or fail deep in a metric: no XTREME task in both folders, or the folders swapped."""
    from xstilts.errors import XstiltsError
    from xstilts.metrics.formats import XTREME_TASK_FORMAT

    if not (predictions.is_dir() and gold.is_dir()):
        return  # the scorer reports a missing folder itself
    in_pred, in_gold = (_task_folders(root, XTREME_TASK_FORMAT) for root in (predictions, gold))
    common = sorted(in_pred & in_gold)
    if not common:
        raise XstiltsError(f"no XTREME task folder is in both --predictions {predictions} "
                           f"({', '.join(sorted(in_pred)) or 'none'}) and --gold {gold} "
                           f"({', '.join(sorted(in_gold)) or 'none'}); expected <folder>/<task>/test-<lang>.<tsv|json>")
    for task in (t for t in common if XTREME_TASK_FORMAT[t] == "squad"):
        for pred_file in sorted((predictions / task).glob("test-*.json"))[:1]:
            gold_file = gold / task / pred_file.name
            if _looks_like_squad_gold(pred_file) and not _looks_like_squad_gold(gold_file):
                raise XstiltsError(f"{pred_file} is a gold (SQuAD) file and {gold_file} holds predictions: "
                                   "--predictions and --gold look swapped")
            if _looks_like_squad_gold(pred_file):
                raise XstiltsError(f"{pred_file} is a gold (SQuAD) file, not predictions "
                                   "({question id: answer}); check --predictions")


def reject_run_config(path: Path) -> None:
    """A run config given where a sweep file belongs: say so in one line (pydantic would only
    say that 'base' is missing)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # the sweep loader reports these with the file and line
    if isinstance(data, dict) and "base" not in data and {"targets", "intermediate", "model"} & set(data):
        from xstilts.errors import XstiltsError

        raise XstiltsError(f"{path} is a run config, not a sweep file: run it with `xstilts run {path}` "
                           "(a sweep file names its run config as base:, see `xstilts sweep --help-config`)")
