"""`xstilts --help` and each subcommand's --help import none of the heavy libraries.

Counted, not timed: a fresh interpreter runs the help and reports which of torch, transformers,
seqeval, sklearn, pandas, matplotlib, datasets (and scipy) are in sys.modules afterwards. Each
costs from a fraction of a second to seconds to import, which made `xstilts --help` take 6-9 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.cli import SUBCOMMANDS, load_subcommand

HELPER = Path(__file__).with_name("cli_imports.py")


def help_imports(*argv: str) -> dict:
    done = subprocess.run([sys.executable, str(HELPER), *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("argv", [(), ("tasks",), ("data", "inspect"), ("run",), ("sweep",), ("sweep", "plan"),
                                  ("sweep", "run"), ("study",), ("score",), ("results",), ("report",)],
                         ids=lambda argv: " ".join(argv) or "xstilts")
def test_help_imports_no_heavy_library(argv):
    shown = help_imports(*argv)
    assert shown["code"] == 0 and "Usage: xstilts" in shown["help"]
    assert shown["imported"] == []


def test_the_top_level_help_lists_every_command_without_importing_it():
    shown = help_imports()
    for name, (_, summary) in SUBCOMMANDS.items():
        assert name in shown["help"] and summary.split()[0] in shown["help"]


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_the_listed_summary_is_the_command_s_own(name):
    """`xstilts --help` shows SUBCOMMANDS' line without importing; it must match the docstring."""
    command = load_subcommand(name)
    assert command.help.strip().splitlines()[0] == SUBCOMMANDS[name][1]
