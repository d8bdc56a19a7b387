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


def _readme_commands() -> list[list[str]]:
    """Every `xstilts ...` command in the README's bash blocks, as argv after `xstilts`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            line = line.split("#", 1)[0]
            for part in line.split("&&"):
                words = part.split()
                if words and words[0].endswith("xstilts"):
                    commands.append(words[1:])
    return commands


def _cheap(argv: list[str]) -> list[str]:
    """The same command made cheap: runs and studies are planned, not trained."""
    if argv[0] == "run":
        return [*argv, "--dry-run"] if "--dry-run" not in argv else argv
    if argv[0] == "study":
        return ["sweep", "plan", argv[1], "--no-calibrate"]
    if argv[:2] == ["sweep", "plan"]:
        return [*argv, "--no-calibrate"]
    if argv[:2] == ["data", "download"]:
        return [*argv, "--dry-run"] if "--dry-run" not in argv else argv
    return argv


def test_every_readme_command_runs(monkeypatch, capsys):
    from xstilts.cli import main

    monkeypatch.chdir(ROOT)  # the README's paths are relative to the repository
    commands = _readme_commands()
    assert len(commands) >= 4 and any(c[0] == "study" for c in commands)
    needs_paper_data, printed = 0, ""
    for argv in commands:
        if argv[0] == "run" and "configs/paper.yaml" in argv:
            # The paper's data is not in the pack: the run stops before anything, naming the fix.
            printed += capsys.readouterr().out
            assert main(_cheap(argv)) == 2, argv
            assert "xstilts data download --for-config" in capsys.readouterr().err
            needs_paper_data += 1
            continue
        assert main(_cheap(argv)) == 0, argv
    assert needs_paper_data == 1
    assert "to run" in printed + capsys.readouterr().out


# --- the README's results come from committed reports -------------------------------------------

# A decimal number standing alone (not a version like "v1.1"), with its sign if it has one.
_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+\.\d+(?![\w.]*\d)")
_REPORT_LINK = re.compile(r"\((docs/results/[\w./-]+/report\.md)\)")


def _results_paragraphs() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What the studies say so far", 1)[1].split("\n## ", 1)[0]
    return [paragraph for paragraph in section.split("\n\n") if paragraph.strip()]


def test_results_numbers_appear_in_the_linked_report():
    """Every decimal number the README states about a study is written, sign and rounding included,
    in the report that paragraph links to: numbers are copied from generated reports, never typed."""
    checked = 0
    for paragraph in _results_paragraphs():
        numbers = _NUMBER.findall(paragraph)
        if not numbers:
            continue
        link = _REPORT_LINK.search(paragraph)
        assert link, f"a results paragraph states {numbers} without linking the report they come from"
        report = (ROOT / link.group(1)).read_text(encoding="utf-8")
        in_report = set(_NUMBER.findall(report))
        missing = [n for n in numbers if n not in in_report]
        assert not missing, f"{link.group(1)} does not state {missing}"
        checked += len(numbers)
    assert checked >= 10


def test_number_pattern_reads_signs_and_skips_versions():
    assert _NUMBER.findall("SQuAD v1.1: +0.20 (XNLI -1.34), r = -0.17, 46.53 vs 34.00; 1.5x") == \
        ["+0.20", "-1.34", "-0.17", "46.53", "34.00", "1.5"]
