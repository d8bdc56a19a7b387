"""Reference text for config files, generated from their pydantic models.

``xstilts run --help-config`` lists every run-config key (nested ``targets.<task>.*`` and
``intermediate.mlm.*`` included) and ``xstilts sweep --help-config`` the sweep-file keys, each
with its default and the field's description, so the help cannot drift from the code.
"""

from __future__ import annotations

import textwrap
import types
import typing
from typing import Any, Literal

# Keys whose models carry no description of their own (the text lives here rather than in
# config.py / sweep/spec.py, which other modules own).
EXTRA_HELP = {
    "model": "The encoder every phase starts from.",
    "intermediate": "The intermediate (English) training phase.",
    "search": "'grid': every combination of the grid's values; 'random': `samples` of them, drawn with `seed`.",
    "resources": "What one trial asks of a Ray cluster, and how often a lost trial is retried.",
}
WIDTH = 100


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _optional_model(annotation: Any) -> Any:
    """The model M of ``M | None``, else None."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    models = [arg for arg in typing.get_args(annotation) if _is_model(arg)]
    return models[0] if len(models) == 1 else None


def _dict_of_models(annotation: Any) -> Any:
    """The model M of ``dict[str, M]``, else None."""
    if typing.get_origin(annotation) is not dict:
        return None
    value = typing.get_args(annotation)[1]
    return value if _is_model(value) else None


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    return repr(field.get_default(call_default_factory=True))


def _text(key: str, field: Any) -> str:
    text = field.description or EXTRA_HELP.get(key, "")
    if typing.get_origin(field.annotation) is Literal:
        text += f" One of: {', '.join(map(str, typing.get_args(field.annotation)))}."
    return text.strip()


def describe_model(model: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, meaning) for every field of a pydantic model, sections included.

    ``dict[str, Model]`` fields are described once as ``key.<name>.*`` (e.g. ``targets.<task>.*``);
    ``Model | None`` fields get a row of their own (unset = off) and then their keys.
    """
    rows: list[tuple[str, str, str]] = []
    from xstilts.config import TRIAL_OWNED_TRAIN_FIELDS

    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        if prefix.endswith("train.") and name in TRIAL_OWNED_TRAIN_FIELDS:
            continue  # set for the whole trial (top-level seed, cpu_bf16); refused per phase
        annotation = field.annotation
        if _is_model(annotation):
            if EXTRA_HELP.get(key) or field.description:
                rows.append((key, "(section)", _text(key, field)))
            rows.extend(describe_model(annotation, key + "."))
        elif (inner := _optional_model(annotation)) is not None:
            rows.append((key, _default(field), _text(key, field) + " Unset (null) = off."))
            rows.extend(describe_model(inner, key + "."))
        elif (inner := _dict_of_models(annotation)) is not None:
            slot = "<task>" if name == "targets" else "<name>"
            rows.append((key, _default(field), _text(key, field)))
            rows.extend(describe_model(inner, f"{key}.{slot}."))
        else:
            rows.append((key, _default(field), _text(key, field)))
    return rows


def format_rows(rows: list[tuple[str, str, str]]) -> str:
    """``key = default`` then the meaning, indented and wrapped to a terminal's width."""
    lines: list[str] = []
    for key, default, text in rows:
        lines.append(f"{key} = {default}")
        lines.extend(textwrap.wrap(text, WIDTH, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def run_config_help() -> str:
    from xstilts.config import RunConfig

    head = ("Run config keys (YAML; nested keys can also be given as dotted.key=value after the config "
            "file, e.g. `xstilts run configs/mini.yaml intermediate.train.learning_rate=3e-5`). "
            "Relative paths (data_dir, work_dir, store) are resolved against the config file's folder.")
    return "\n".join(textwrap.wrap(head, WIDTH)) + "\n\n" + format_rows(describe_model(RunConfig))


def sweep_file_help() -> str:
    from xstilts.sweep import spec

    head = ("A sweep file (YAML) crosses a base run config with a grid of values; each grid point is one "
            "trial. Keys of `overrides` and `grid` are run-config keys (see `xstilts run --help-config`); "
            "trials share every phase they have in common, and rerunning a sweep resumes it.")
    example = textwrap.dedent((spec.__doc__ or "").split("\n\n")[1]) if spec.__doc__ else ""
    return ("\n".join(textwrap.wrap(head, WIDTH)) + "\n\n" + format_rows(describe_model(spec.SweepSpec))
            + ("\n\nExample:\n\n" + textwrap.indent(example, "    ") if example else ""))
