"""Bring a store written by an older xstilts up to this version's results.

Opening a store as its writer already adds the columns later schema versions introduced. What
an older version could not store is each score's sampling error (schema 3): it is computed here
from the prediction and gold files that the zero-shot and retrieval phases left in the work dir
(``<work_dir>/<phase>/<phase key>/<selection>/<task>/test-<lang>.*`` beside ``gold/``), with the
same bootstrap the phases now run. Rows whose files are gone stay without one.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.metrics.layout import sampling_se_language, task_file

# Folder that holds a stored selection's predictions: retrieval writes "final" (stored as
# english_dev), and a target_dev row of a task without an oracle selection copies english_dev's.
PREDICTION_FOLDERS = {"english_dev": ("english_dev", "final"), "target_dev": ("target_dev", "english_dev", "final"),
                      "trivial": ("trivial",)}


def _prediction_folder(phase_dir: Path, selection: str, task: str, language: str) -> Path | None:
    for name in PREDICTION_FOLDERS.get(selection, (selection,)):
        if task_file(phase_dir / name, task, language).is_file():
            return phase_dir / name
    return None


def fill_sampling_errors(store, work_dir: Path) -> tuple[int, int]:
    """Compute and store the sampling error of every score that lacks one and whose phase files
    are under ``work_dir``; returns (filled, left without one)."""
    missing = store.scores_without_sampling_error()
    filled, left = [], 0
    for row in missing.itertuples(index=False):
        phase_dir = work_dir / row.phase / row.phase_key
        folder = _prediction_folder(phase_dir, row.selection, row.target_task, row.language)
        gold = phase_dir / "gold"
        se = (sampling_se_language(folder, gold, row.target_task, row.language)
              if folder is not None and task_file(gold, row.target_task, row.language).is_file() else None)
        if se is None:
            left += 1
            continue
        filled.append((se, row.trial_id, row.target_task, row.language, row.metric, row.selection))
    store.set_sampling_errors(filled)
    return len(filled), left
