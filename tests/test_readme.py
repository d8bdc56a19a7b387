"""The README's Architecture section names only modules that exist, and every package."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "xstilts"


def _architecture() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Architecture", 1)[1].split("\n## ", 1)[0]


def test_architecture_names_only_existing_modules():
    named = 0
    for row in re.findall(r"^\| `(\w+)/` \|(.*)\|$", _architecture(), flags=re.MULTILINE):
        package, cells = row
        for module in re.findall(r"`(\w+)\.py`", cells):
            assert (PACKAGE / package / f"{module}.py").is_file(), f"{package}/{module}.py"
            named += 1
    for path in re.findall(r"(\w+/\w+\.py)", _architecture().split("| package |")[0]):
        assert (PACKAGE / path).is_file(), path
        named += 1
    assert named > 40


def test_architecture_lists_every_package():
    listed = set(re.findall(r"^\| `(\w+)/` \|", _architecture(), flags=re.MULTILINE))
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert listed == packages
