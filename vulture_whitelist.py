"""Names vulture cannot see used: frameworks call them by name, or they exist to be read.

Each entry says who uses it. Anything else vulture reports is dead code: delete it (or move a
test-only helper into tests/).
"""

# ruff: noqa
# pydantic: class-level configuration and validators, called by the model machinery.
model_config
_trial_owned, _seed_fits, _targets_mapping, _some_target, _known_tasks  # config.RunConfig & co.
_dotted_keys, _finite_numbers, _non_empty_lists, _random_settings  # sweep.spec
_known_kind, _one_or_many  # tasks.spec
_micro_batch_divides_batch  # train.settings

# typer / click: a Group's command lister, the root callback, eager options handled by callbacks.
list_commands
_root
help_config

# Cache keys: arguments that only make an lru_cache entry change when a file changes.
mtime_ns

# json.JSONDecoder hooks set as attributes (data/readers/_json_positions.py).
parse_object
scan_once

# transformers reads this attribute of a model (Trainer and the loss-kwargs protocol).
accepts_loss_kwargs
# ... and calls TrainerCallback hooks by name (benchmarks/hf_baseline.py).
on_step_end
control

# Dataclass fields written to the store and reports through asdict().
peak_flops_end
details

# Looked up by name in cli/results.py's VIEWS table.
phases_frame

# The per-machine record of matmul probes (train/peak.py): read back by tests and by users who
# compare a phase's probe with the machine's history.
cached_peak

# Benchmarks' floor on repetitions, checked by tests/benchmarks.
MIN_REPETITIONS

# PEP 562 module attribute hook (xstilts/features/__init__.py): loads names on first use.
__getattr__

# FeatureSet's count of examples (as len() counts features), read by the tagging tests.
num_examples
