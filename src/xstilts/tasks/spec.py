"""Task specs: a task is data (one YAML file under ``tasks/specs``), not code.

A spec names the task's kind, labels, languages, metric, XTREME group, English training source,
and for every split the file pattern(s) + reader format that find it under a data dir, plus the
Hugging Face dataset id for online users. Adding a task in a known format is one YAML file.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from xstilts.errors import ConfigError

KINDS = (
    "classification",
    "pair_classification",
    "multiple_choice",
    "span_extraction",
    "tagging",
    "retrieval",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitSource(_Strict):
    """Where one split of a task lives: a file pattern relative to the data dir and its format."""

    pattern: str = Field(description="Path under the data dir; {lang} and {code} are filled in, globs allowed.")
    format: str = Field(description="Reader name (see xstilts.data.readers.READERS).")
    languages: list[str] | None = Field(None, description="Languages this split exists for (default: the task's).")
    options: dict[str, Any] = Field(default_factory=dict, description="Extra reader options (e.g. GLUE column names).")
    translation_group: str | None = Field(
        None,
        description="Files of one group are line-aligned translations: lines trained on in one "
        "language must not be evaluated in any language.",
    )


class HubSource(_Strict):
    """The same data on the Hugging Face hub, loaded through `datasets` by online users."""

    id: str
    config: str | None = None  # may contain {lang}, {code} or {name}
    names: dict[str, str] = Field(default_factory=dict)  # lang -> name used in config ({name}), or the id prefix of a config that mixes languages
    splits: dict[str, str] = Field(default_factory=dict)  # our split -> hub split
    columns: dict[str, Any] = Field(default_factory=dict)  # example field -> hub column(s)
    skip_labels: list[Any] = Field(default_factory=list)


class TaskSpec(_Strict):
    name: str
    description: str
    role: Literal["target", "intermediate"]
    kind: str
    labels: list[str] | None = None
    languages: list[str]
    lang_codes: dict[str, str] = Field(default_factory=dict)
    metric: str
    group: str | None = None
    english_train: str | None = None  # "<task>:<split>" that trains this target in English
    stand_in_for: str | None = None
    splits: dict[str, list[SplitSource]]
    hub: HubSource | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        return kind

    @field_validator("splits", mode="before")
    @classmethod
    def _one_or_many(cls, splits: dict[str, Any]) -> dict[str, Any]:
        # A split is one source or a list of sources concatenated (e.g. ANLI+ = ANLI + MNLI + SNLI).
        return {name: src if isinstance(src, list) else [src] for name, src in splits.items()}

    def split_languages(self, split: str) -> list[str]:
        langs: list[str] = []
        for source in self.sources(split):
            for lang in source.languages or self.languages:
                if lang not in langs:
                    langs.append(lang)
        return langs

    def sources(self, split: str) -> list[SplitSource]:
        if split not in self.splits:
            raise ConfigError(f"{self.name}.splits", f"task {self.name!r} has no split {split!r}; it has {sorted(self.splits)}")
        return self.splits[split]

    def files(self, data_dir: Path, split: str, lang: str) -> list[tuple[Path, SplitSource]]:
        """The files present under data_dir for one split and language, in a stable order."""
        found: list[tuple[Path, SplitSource]] = []
        for source in self.sources(split):
            if lang not in (source.languages or self.languages):
                continue
            pattern = source.pattern.format(lang=lang, code=self.lang_codes.get(lang, lang))
            for path in sorted(glob.glob(str(data_dir / pattern))):
                found.append((Path(path), source))
        return found

    def format_for(self, path: Path) -> str:
        """The reader format of a file, judged by which split pattern it matches."""
        for sources in self.splits.values():
            for source in sources:
                pattern = source.pattern.replace("{lang}", "*").replace("{code}", "*")
                if Path(path).match(pattern) or Path(path).match(Path(pattern).name):
                    return source.format
        formats = {s.format for sources in self.splits.values() for s in sources}
        if len(formats) == 1:
            return formats.pop()
        raise ConfigError("--task", f"{path} matches no split pattern of task {self.name!r}; pass --format")


def load_spec(path: Path) -> TaskSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TaskSpec.model_validate(raw)
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        raise ConfigError("(yaml)", f"invalid YAML{f' at line {line + 1}' if line is not None else ''}", source=str(path)) from None
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ConfigError(key, first["msg"], source=str(path)) from None
