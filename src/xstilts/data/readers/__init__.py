"""One pure reader per file format, and the table that names them.

Every reader is `reader(path, *, labels=None, **options)` and returns examples from
`xstilts.data.examples` (or a BitextCorpus). With `labels`, a label outside it is a DataError
naming the file and line; so is any malformed input.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable, Sequence

from xstilts.data.examples import BitextCorpus, Example
from xstilts.data.readers import bitext, choice, classification_tsv, conllu, nli, squad, tagging_tsv
from xstilts.data.readers.detect import detect_format
from xstilts.errors import ConfigError

Reader = Callable[..., "list[Example] | BitextCorpus"]

READERS: dict[str, Reader] = {
    "xtreme_pair_tsv": classification_tsv.read_xtreme_pair_tsv,
    "pawsx_final_tsv": classification_tsv.read_pawsx_final_tsv,
    "glue_tsv": classification_tsv.read_glue_tsv,
    "anli_jsonl": nli.read_anli_jsonl,
    "anli_csv": nli.read_anli_csv,
    "snli_jsonl": nli.read_snli_jsonl,
    "cosmosqa_csv": choice.read_cosmosqa_csv,
    "cosmosqa_jsonl": choice.read_cosmosqa_jsonl,
    "commonsenseqa_jsonl": choice.read_commonsenseqa_jsonl,
    "hellaswag_jsonl": choice.read_hellaswag_jsonl,
    "squad_json": squad.read_squad_json,
    "conllu": conllu.read_conllu,
    "xtreme_tagging_tsv": tagging_tsv.read_xtreme_tagging_tsv,
    "wikiann_conll": tagging_tsv.read_wikiann_conll,
    "ccg_supertag": tagging_tsv.read_ccg_supertag,
    "bucc": bitext.read_bucc,
    "tatoeba": bitext.read_tatoeba,
}

__all__ = ["READERS", "Reader", "detect_format", "read", "reader_options"]


def read(
    format: str, path: Path, *, labels: Sequence[str] | None = None, **options
) -> list[Example] | BitextCorpus:
    """Read `path` with the reader registered as `format`.

    Unknown formats and options the reader does not take are ConfigErrors (they come from a
    task spec or the command line, not from the data).
    """
    if format not in READERS:
        raise ConfigError("format", f"unknown format {format!r}; known: {', '.join(sorted(READERS))}")
    accepted = reader_options(format)
    for name in options:
        if name not in accepted:
            known = ", ".join(accepted) or "none"
            raise ConfigError(
                f"options.{name}", f"format {format!r} takes no such option (it takes: {known})"
            )
    return READERS[format](Path(path), labels=labels, **options)


def reader_options(format: str) -> list[str]:
    """The option names a format's reader takes, besides `labels`."""
    parameters = inspect.signature(READERS[format]).parameters
    return [
        name
        for name, parameter in parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "labels"
    ]
