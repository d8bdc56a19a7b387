"""Bad input across every entry point: configs, sweep files, every reader format, ``score``,
``results``, ``report``, ``study`` and ``tasks``.

Each case builds its input under tmp_path, snapshots the whole tree, runs ``xstilts ...`` in this
process and asserts: exit code 2, exactly one stderr line, which names the file:line or the
dotted key, no traceback, and nothing new or changed on disk (no store, no ``-wal``/``-shm``,
no lock file, no work dir, no report). No case trains anything.
"""

from __future__ import annotations

import json
from contextlib import closing
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

from xstilts.metrics.xtreme import XTREME_TASK2LANGS

from reliability_helpers import set_key, run_cli, write_run_config


@dataclass(frozen=True)
class Ctx:
    root: Path  # the case's folder (everything it makes lives here)
    data_dir: Path
    encoder: Path

    def config(self, **top_level) -> Path:
        """A valid tiny run config at root/run.yaml (store and work dir beside it)."""
        return write_run_config(self.root, self.data_dir, self.encoder, **top_level)

    def edit_config(self, edit: Callable[[dict], None]) -> Path:
        path = self.config()
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(config)
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def sweep(self, body: dict | str, name: str = "sweep.yaml") -> Path:
        self.config()
        text = body if isinstance(body, str) else yaml.safe_dump({"base": "run.yaml", **body})
        return self.write(name, text)


# A case: (class, name, build(ctx) -> (argv, text the one error line must contain)).
Build = Callable[[Ctx], tuple[list, str]]
CASES: list[tuple[str, str, Build]] = []


def case(klass: str, name: str):
    def register(build: Build) -> Build:
        CASES.append((klass, name, build))
        return build
    return register


# --- run configs ------------------------------------------------------------------------------

def _run_edit(name: str, edit: Callable[[dict], None], expected: str) -> None:
    @case("config", name)
    def build(ctx: Ctx):
        return ["run", ctx.edit_config(edit)], expected


def _run_override(name: str, override: str, expected: str) -> None:
    @case("config", name)
    def build(ctx: Ctx):
        return ["run", ctx.config(), override], expected


def _run_text(name: str, text: str | bytes, expected: str) -> None:
    @case("config", name)
    def build(ctx: Ctx):
        path = ctx.write("run.yaml", text)
        return ["run", path], expected.format(path=path)


_run_text("empty YAML file", "", "'targets'")
_run_text("name only", "name: x\n", "'targets'")
_run_text("targets left empty", "name: x\ntargets:\n", "'targets'")
_run_text("a list, not a mapping", "- a\n- b\n", "{path}")
_run_text("non-UTF-8 bytes", b"name: x\nseed: \xff\xfe\n", "{path}:2")
_run_text("duplicate key", "name: a\nseed: 1\nname: b\n", "{path}:3")
_run_text("python tag", "name: !!python/object/apply:os.system ['true']\n", "{path}:1")
_run_text("alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)), "{path}")
_run_text("recursive alias", "a: &a [1, *a]\n", "{path}")
_run_text("YAML nested 5000 deep", "a: " + "[" * 5000 + "]" * 5000 + "\n", "{path}")
_run_text("learning rate .inf in the file", "intermediate: {train: {learning_rate: .inf}}\ntargets: {pawsx: {}}\n",
          "'intermediate.train.learning_rate'")
_run_text("a .nan in the file", "intermediate: {temperature: .nan}\ntargets: {pawsx: {}}\n", "'intermediate.temperature'")
_run_edit("languages: []", set_key("targets.pawsx.languages", []), "'targets.pawsx.languages'")
_run_edit("unknown key", set_key("intermediate.bogus", 1), "'intermediate.bogus'")
_run_edit("mlm text task unknown", set_key("intermediate.mlm", {"text_task": "nosuch"}), "'intermediate.mlm.text_task'")
_run_edit("seed 10**30", set_key("seed", 10**30), "'seed'")
_run_override("learning rate .inf override", "intermediate.train.learning_rate=.inf", "'intermediate.train.learning_rate'")
_run_override("learning rate -.inf override", "targets.pawsx.train.learning_rate=-.inf", "'targets.pawsx.train.learning_rate'")
_run_override("override without '='", "seed", "'seed'")
_run_override("override of a value with a section", "seed.x=1", "'seed.x'")


# --- found by the trial graph / preflight, before anything is trained or written ---------------

_run_override("retrieval layer past the encoder's layers", "model.retrieval_layer=99", "'model.retrieval_layer'")
_run_override("intermediate slice past the end", "intermediate.train_split=train[99000000:]", "'intermediate.train_split'")
_run_override("unknown split in a target's train_split", "targets.pawsx.train_split=pawsx:nosuch", "'targets.pawsx.train_split'")


def _pack_copy(ctx: Ctx, edit: Callable[[Path], Path]) -> tuple[Path, Path]:
    """The files the base config reads, copied under the case's folder; ``edit`` damages one
    and returns it. Returns (config, damaged file)."""
    copy = ctx.root / "data"
    for name in ("target/pawsx/dev-en.tsv", "target/pawsx/dev-de.tsv", "intermediate/sst2/train.tsv",
                 "intermediate/sst2/dev.tsv"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((ctx.data_dir / name).read_bytes())
    damaged = edit(copy)
    return ctx.edit_config(set_key("data_dir", str(copy))), damaged


@case("graph", "a translation with a line missing")
def _translation_short(ctx: Ctx):
    def drop_line(copy: Path) -> Path:
        german = copy / "target/pawsx/dev-de.tsv"
        lines = german.read_text(encoding="utf-8").splitlines(keepends=True)
        german.write_text("".join(lines[:10] + lines[11:]), encoding="utf-8")
        return german
    config, damaged = _pack_copy(ctx, drop_line)
    return ["run", config], str(damaged)


@case("graph", "an English training file without labels")
def _training_unlabelled(ctx: Ctx):
    def drop_labels(copy: Path) -> Path:
        english = copy / "target/pawsx/dev-en.tsv"
        rows = [line.split("\t")[:2] for line in english.read_text(encoding="utf-8").splitlines()]
        english.write_text("".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
        return english
    config, _ = _pack_copy(ctx, drop_labels)
    return ["run", config], "'targets.pawsx.train_split'"


@case("graph", "a custom target task the XTREME scorer does not know")
def _custom_target(ctx: Ctx):
    specs = ctx.root / "specs"
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "src/xstilts/tasks/specs/pawsx.yaml").read_text())
    ctx.write("specs/mypawsx.yaml", yaml.safe_dump(spec | {"name": "mypawsx", "english_train": "mypawsx:dev"}))
    import os
    os.environ["XSTILTS_TASK_SPECS"] = str(specs)  # restored by the test's monkeypatch (see below)
    def rename(config: dict) -> None:
        config["targets"] = {"mypawsx": config["targets"]["pawsx"] | {"train_split": "mypawsx:dev[0:64]"}}
    return ["run", ctx.edit_config(rename)], "'targets.mypawsx'"


@case("config", "config is a folder")
def _config_folder(ctx: Ctx):
    folder = ctx.root / "configs"
    folder.mkdir()
    return ["run", folder], str(folder)


@case("config", "config file missing")
def _config_missing(ctx: Ctx):
    return ["run", ctx.root / "absent.yaml"], str(ctx.root / "absent.yaml")


@case("config", "store names a text file")
def _store_text(ctx: Ctx):
    ctx.write("notes.txt", "not a database\n")
    return ["run", ctx.config(store="notes.txt")], "'store'"


@case("config", "store names another program's SQLite file")
def _store_foreign(ctx: Ctx):
    _foreign_sqlite(ctx.root / "contacts.sqlite")
    return ["run", ctx.config(store="contacts.sqlite")], "'store'"


@case("config", "store names a folder")
def _store_folder(ctx: Ctx):
    (ctx.root / "stores").mkdir()
    return ["run", ctx.config(store="stores")], "'store'"


# --- sweep files (planned without calibration: nothing trains) -------------------------------

def _plan(ctx: Ctx, sweep: Path, *extra) -> list:
    return ["sweep", "plan", sweep, "--no-calibrate", *extra]


def _sweep(name: str, body: dict | str, expected: str) -> None:
    @case("sweep", name)
    def build(ctx: Ctx):
        path = ctx.sweep(body)
        return _plan(ctx, path), expected.format(path=path)


_sweep("unknown top-level key", {"grdi": {"seed": [0]}}, "'grdi'")
_sweep("grid value .inf", {"grid": {"intermediate.train.learning_rate": [1e-5, float("inf")]}}, "'grid'")
_sweep("override value .nan", {"overrides": {"intermediate.temperature": float("nan")}}, "'overrides'")
_sweep("grid value of the wrong type blames the sweep file", {"grid": {"intermediate.train.batch_size": ["abc"]}},
       "{path}: config key 'intermediate.train.batch_size'")
_sweep("override of an unknown key blames the sweep file", {"overrides": {"intermediate.bogus": 1}},
       "{path}: config key 'intermediate.bogus'")
_sweep("negative seed in the grid", {"grid": {"seed": [0, -1]}}, "{path}: config key 'seed'")
_sweep("base config missing", {"base": "absent.yaml"}, "'base'")
_sweep("duplicate key", "base: run.yaml\ngrid: {seed: [0]}\ngrid: {seed: [1]}\n", "{path}:3")
_sweep("malformed YAML", "base: run.yaml\ngrid: [unclosed\n", "{path}:3")
_sweep("alias bomb", "base: run.yaml\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)), "{path}")


@case("sweep", "sweep file is a folder")
def _sweep_folder(ctx: Ctx):
    (ctx.root / "sweeps").mkdir()
    return _plan(ctx, ctx.root / "sweeps"), str(ctx.root / "sweeps")


@case("sweep", "sweep file not UTF-8")
def _sweep_bytes(ctx: Ctx):
    ctx.config()
    path = ctx.write("sweep.yaml", b"base: run.yaml\nname: \xc3\x28\n")
    return _plan(ctx, path), f"{path}:2"


@case("sweep", "sweep plan --store names a folder")
def _sweep_store_folder(ctx: Ctx):
    path = ctx.sweep({"grid": {"seed": [0]}})
    return ["sweep", "plan", path, "--store", ctx.root], str(ctx.root)


@case("sweep", "sweep plan --no-calibrate --store names a folder")
def _sweep_store_folder_uncalibrated(ctx: Ctx):
    path = ctx.sweep({"grid": {"seed": [0]}})
    return _plan(ctx, path, "--store", ctx.root), str(ctx.root)


@case("sweep", "sweep run with a store that is a text file")
def _sweep_run_text_store(ctx: Ctx):
    ctx.write("results.txt", "hello\n")
    path = ctx.sweep({"overrides": {"store": "results.txt"}})
    return ["sweep", "run", path, "--no-calibrate"], f"{path}: config key 'store'"


# --- every reader format, through `data inspect --format` --------------------------------------

def _reader(fmt: str, name: str, filename: str, content: str | bytes, line: int | None) -> None:
    @case("reader", f"{fmt}: {name}")
    def build(ctx: Ctx):
        path = ctx.write(filename, content)
        return ["data", "inspect", "--format", fmt, path], f"{path}:{line}" if line else str(path)


DEEP_JSON = "[" * 100_000 + "]" * 100_000
PAIR = "a cat\ta dog\t1\n"
_reader("xtreme_pair_tsv", "missing label column", "pairs.tsv", PAIR + PAIR + "only one column\n", 3)
_reader("xtreme_pair_tsv", "byte-order mark in mid-file", "pairs.tsv", PAIR + "\ufeff" + PAIR, 2)
_reader("xtreme_pair_tsv", "empty file", "pairs.tsv", "", 1)
_reader("pawsx_final_tsv", "wrong header", "paws.tsv", "id\ts1\ts2\tlabel\n1\ta\tb\t0\n", 1)
_reader("glue_tsv", "not UTF-8", "glue.tsv", b"sentence\tlabel\nok\t1\n\xff\t0\n", 3)
_reader("anli_jsonl", "invalid JSON line", "anli.jsonl",
        '{"uid": "1", "context": "a", "hypothesis": "b", "label": "e"}\n{"uid": \n', 2)
_reader("anli_jsonl", "JSON nested 100k deep", "anli.jsonl",
        '{"uid": "1", "context": "a", "hypothesis": "b", "label": "e"}\n' + DEEP_JSON + "\n", 2)
_reader("anli_csv", "unterminated quote", "anli.csv", 'uid,context,statement,gold_label\n1,"a,b,e\n', 2)
_reader("snli_jsonl", "missing field", "snli.jsonl", '{"sentence1": "a", "gold_label": "neutral"}\n', 1)
_reader("cosmosqa_csv", "label '²'", "cosmos.csv",
        "id,context,question,answer0,answer1,answer2,answer3,label\n1,c,q,a,b,c,d,\u00b2\n", 2)
_reader("cosmosqa_jsonl", "label out of range", "cosmos.jsonl", json.dumps(
    {"id": "1", "context": "c", "question": "q", "answer0": "a", "answer1": "b", "answer2": "c", "answer3": "d",
     "label": 4}) + "\n", 1)
_reader("commonsenseqa_jsonl", "answerKey 0", "csqa.jsonl", json.dumps(
    {"id": "1", "question": "q", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": 0}) + "\n", 1)
_reader("hellaswag_jsonl", "zero endings", "hs.jsonl", json.dumps({"ctx": "c", "endings": [], "label": 0}) + "\n", 1)
_reader("hellaswag_jsonl", "unequal endings", "hs.jsonl", json.dumps({"ctx": "c", "endings": ["a", "b"], "label": 0})
        + "\n" + json.dumps({"ctx": "c", "endings": ["a", "b", "c"], "label": 0}) + "\n", 2)
_reader("hellaswag_jsonl", "label '²'", "hs.jsonl", json.dumps({"ctx": "c", "endings": ["a", "b"], "label": "\u00b2"})
        + "\n", 1)


def _squad(answer: dict) -> str:
    qa = {"id": "q1", "question": "Who?", "answers": [answer]}
    return json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "Marie Curie won.", "qas": [qa]}]}]}, indent=1)


_reader("squad_json", "answer with empty text", "squad.json", _squad({"text": "", "answer_start": 0}), 14)
_reader("squad_json", "answer_start outside the context", "squad.json", _squad({"text": "Marie", "answer_start": 99}), 15)
_reader("squad_json", "JSON nested 100k deep", "squad.json", DEEP_JSON, 1)
_reader("squad_json", "truncated JSON", "squad.json", '{"data": [\n', 2)
_reader("conllu", "bad word id", "ud.conllu", "1\ta\t_\tNOUN\t_\t_\t0\troot\t_\t_\n\u00b2\tb\t_\tNOUN\t_\t_\t1\tdep\t_\t_\n", 2)
_reader("xtreme_tagging_tsv", "three columns", "tags.tsv", "a\tO\nb\tO\textra\n", 2)
_reader("wikiann_conll", "missing tag", "wiki.conll", "1\ten:a\tO\n2\ten:b\n", 2)
_reader("ccg_supertag", "empty tag", "ccg.txt", "Pierre\tN/N\nsleeps\t\n", 2)
_reader("tatoeba", "file named unlike tatoeba", "sentences.txt", "a\n", None)
_reader("bucc", "duplicate sentence id", "zh-en.dev.zh", "zh-1\ta\nzh-1\tb\n", 2)


# --- score --------------------------------------------------------------------------------------

def _xquad_folder(root: Path, content: str) -> Path:
    for lang in XTREME_TASK2LANGS["xquad"]:
        (root / "xquad").mkdir(parents=True, exist_ok=True)
        (root / "xquad" / f"test-{lang}.json").write_text(content, encoding="utf-8")
    return root


@case("score", "predictions JSON nested 100k deep")
def _score_deep(ctx: Ctx):
    pred = _xquad_folder(ctx.root / "pred", DEEP_JSON)
    gold = _xquad_folder(ctx.root / "gold", '{"data": []}')
    return ["score", "--predictions", pred, "--gold", gold], f"{pred / 'xquad' / 'test-en.json'}:1"


@case("score", "gold JSON nested 100k deep")
def _score_deep_gold(ctx: Ctx):
    pred = _xquad_folder(ctx.root / "pred", "{}")
    gold = _xquad_folder(ctx.root / "gold", '{"data": \n' + DEEP_JSON + "}")
    return ["score", "--predictions", pred, "--gold", gold], f"{gold / 'xquad' / 'test-en.json'}:2"


@case("score", "gold JSON malformed")
def _score_bad_gold(ctx: Ctx):
    pred = _xquad_folder(ctx.root / "pred", "{}")
    gold = _xquad_folder(ctx.root / "gold", '{"data": [\n')
    return ["score", "--predictions", pred, "--gold", gold], f"{gold / 'xquad' / 'test-en.json'}:2"


@case("score", "predictions folder missing")
def _score_missing(ctx: Ctx):
    gold = _xquad_folder(ctx.root / "gold", '{"data": []}')
    return ["score", "--predictions", ctx.root / "nope", "--gold", gold], str(ctx.root / "nope")


# --- stores given to results and report --------------------------------------------------------

def _xstilts_store(path: Path) -> Path:
    from xstilts.store.sqlite import ResultStore

    with ResultStore(path):
        pass
    path.with_name(path.name + ".lock").unlink()
    return path


def _foreign_sqlite(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db, db:  # closed at once: a lingering connection would tidy the WAL later
        db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        db.execute("INSERT INTO contacts VALUES ('a', '1')")
    return path


def _same_names_other_columns(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db, db:  # closed at once: a lingering connection would tidy the WAL later
        for table in ("trials", "phases", "trial_phases", "scores", "curves", "calibrations"):
            db.execute(f"CREATE TABLE {table} (x INTEGER)")
    return path


def _newer_schema(path: Path) -> Path:
    _xstilts_store(path)
    with closing(sqlite3.connect(path)) as db, db:  # closed at once: a lingering connection would tidy the WAL later
        db.execute("PRAGMA user_version = 99")
    return path


def _corrupted(path: Path) -> Path:
    _xstilts_store(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\x5a" * (4096 - 100)  # the schema page, after the 100-byte header
    path.write_bytes(bytes(data))
    return path


STORES: dict[str, Callable[[Path], Path]] = {
    "0-byte file": lambda p: (p.write_bytes(b""), p)[1],
    "text file": lambda p: (p.write_text("trial,score\n1,2\n", encoding="utf-8"), p)[1],
    "another program's SQLite": _foreign_sqlite,
    "foreign schema with xstilts table names": _same_names_other_columns,
    "newer schema version": _newer_schema,
    "corrupted store": _corrupted,
    "a folder": lambda p: (p.mkdir(), p)[1],
}

for _store_name, _make in STORES.items():
    def _results_case(ctx: Ctx, make=_make):
        store = make(ctx.root / "results.sqlite")
        return ["results", store], str(store)

    def _report_case(ctx: Ctx, make=_make):
        store = make(ctx.root / "results.sqlite")
        return ["report", store, "--out", ctx.root / "report"], str(store)

    case("results", f"store is a {_store_name}")(_results_case)
    case("report", f"store is a {_store_name}")(_report_case)


@case("results", "store missing")
def _results_missing(ctx: Ctx):
    return ["results", ctx.root / "absent.sqlite"], str(ctx.root / "absent.sqlite")


@case("results", "--out names a folder")
def _results_out_folder(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    (ctx.root / "out").mkdir()
    return ["results", store, "--format", "csv", "--out", ctx.root / "out"], "'--out'"


@case("results", "--out below a file")
def _results_out_below_file(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    blocker = ctx.write("out.csv", "old")
    return ["results", store, "--format", "csv", "--out", blocker / "scores.csv"], "'--out'"


@case("report", "--out below a file")
def _report_out_below_file(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    blocker = ctx.write("report.html", "old")
    return ["report", store, "--out", blocker / "report"], "'--out'"


@case("results", "--where names no column")
def _results_where(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    return ["results", store, "--where", "nosuch=1"], "'nosuch'"


@case("results", "unknown --view")
def _results_view(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    return ["results", store, "--view", "bogus"], "'--view'"


def _report_notes(name: str, content: str | bytes, expected: str) -> None:
    @case("report", f"--notes {name}")
    def build(ctx: Ctx):
        store = _xstilts_store(ctx.root / "results.sqlite")
        notes = ctx.write("notes.yaml", content)
        return ["report", store, "--out", ctx.root / "report", "--notes", notes], expected.format(path=notes)


_report_notes("malformed YAML", "a: 1\n  b: 2\n", "{path}:2")
_report_notes("with a !!python tag", "a: !!python/object/apply:os.system ['true']\n", "{path}:1")
_report_notes("not UTF-8", b"a: ok\nb: \xff\n", "{path}:2")
_report_notes("a list", "- a\n", "{path}")
_report_notes("with a duplicate key", "a: 1\na: 2\n", "{path}:2")


@case("report", "--out names an existing file")
def _report_out_file(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    out = ctx.write("report.html", "<p>old</p>")
    return ["report", store, "--out", out], "'--out'"


# --- data that is not there: found before any file is parsed, naming the path and the fix ------

FETCH = "fetch it with: xstilts data download"


@case("data", "sweep plan with no data folder")
def _sweep_no_data_folder(ctx: Ctx):
    absent = ctx.root / "xtreme"
    path = ctx.sweep({"overrides": {"data_dir": str(absent)}, "grid": {"intermediate.task": ["none", "sst2", "anli"]}})
    # The base config's download plus the intermediate tasks the grid adds.
    return _plan(ctx, path), f"data folder not found: {absent}; {FETCH} --for-config {ctx.root / 'run.yaml'} " \
                             f"--tasks anli,sst2 --out {absent}"


@case("data", "sweep plan: a grid point's intermediate task has no files")
def _sweep_missing_task(ctx: Ctx):
    path = ctx.sweep({"grid": {"intermediate.task": ["sst2", "mnli"]}})
    return _plan(ctx, path), f"'intermediate.train_split': no files for mnli:train (en): looked for " \
                             f"{ctx.data_dir / 'intermediate/mnli/train.tsv'}; {FETCH} --tasks mnli --out {ctx.data_dir}"


@case("data", "run --dry-run: an evaluated split with no files")
def _run_missing_split(ctx: Ctx):
    config = ctx.config()
    return ["run", config, "targets.pawsx.eval_split=test", "--dry-run"], \
        f"no files for pawsx:test in any of its 2 languages: looked for {ctx.data_dir / 'target/pawsx/test-{lang}.tsv'}; " \
        f"{FETCH} --tasks pawsx --out {ctx.data_dir}"


@case("data", "run with no data folder")
def _run_no_data_folder(ctx: Ctx):
    absent = ctx.root / "xtreme"
    config = ctx.edit_config(set_key("data_dir", str(absent)))
    return ["run", config], f"data folder not found: {absent}; {FETCH} --for-config {config} --out {absent}"


def _data_copy(ctx: Ctx, names: list[str], edit: Callable[[Path], Path | None] = lambda copy: None) -> Path:
    """The named pack files copied to root/data; ``edit`` may damage one."""
    copy = ctx.root / "data"
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((ctx.data_dir / name).read_bytes())
    edit(copy)
    return copy


PAWSX_FILES = ["target/pawsx/dev-en.tsv", "target/pawsx/dev-de.tsv", "intermediate/sst2/train.tsv", "intermediate/sst2/dev.tsv"]


@case("data", "evaluated PAWS-X file with its labels blanked (as XTREME's download leaves test)")
def _blanked_pairs(ctx: Ctx):
    def blank(copy: Path) -> None:
        german = copy / "target/pawsx/dev-de.tsv"
        german.write_text("".join("\t".join(line.split("\t")[:2]) + "\n"
                                  for line in german.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    copy = _data_copy(ctx, PAWSX_FILES, blank)
    config = ctx.edit_config(set_key("data_dir", str(copy)))
    return ["run", config, "--dry-run"], f"'targets.pawsx.eval_split': {copy / 'target/pawsx/dev-de.tsv'} has no label column"


@case("data", "evaluated PAN-X file with its tags blanked")
def _blanked_tags(ctx: Ctx):
    def blank(copy: Path) -> None:
        german = copy / "target/panx/dev-de.tsv"
        german.write_text("".join(line.split("\t")[0] + "\n" for line in german.read_text(encoding="utf-8").splitlines()),
                          encoding="utf-8")
    copy = _data_copy(ctx, PAWSX_FILES + ["target/panx/train-en.tsv", "target/panx/dev-de.tsv"], blank)
    panx = {"train_split": "panx:train[0:64]", "eval_split": "dev", "languages": ["de"], "max_length": 48}
    config = ctx.edit_config(lambda c: (set_key("data_dir", str(copy))(c), set_key("targets.panx", panx)(c)))
    return ["run", config, "--dry-run"], f"'targets.panx.eval_split': {copy / 'target/panx/dev-de.tsv'} has no tag column"


@case("data", "evaluated XQuAD file with its answers blanked")
def _blanked_answers(ctx: Ctx):
    def blank(copy: Path) -> None:  # what XTREME's remove_qa_test_annotations writes
        german = copy / "target/xquad/xquad.de.json"
        data = json.loads(german.read_text(encoding="utf-8"))
        for doc in data["data"]:
            for paragraph in doc["paragraphs"]:
                for qa in paragraph["qas"]:
                    qa["answers"] = [{"answer_start": 0, "text": ""}]
        german.write_text(json.dumps(data), encoding="utf-8")
    copy = _data_copy(ctx, PAWSX_FILES + ["target/xquad/xquad.de.json", "target/tydiqa/tydiqa.goldp.en.train.json"], blank)
    xquad = {"train_split": "tydiqa:train[0:32]", "eval_split": "test", "languages": ["de"], "max_length": 64}
    config = ctx.edit_config(lambda c: (set_key("data_dir", str(copy))(c), set_key("targets.xquad", xquad)(c)))
    return ["run", config, "--dry-run"], f"{copy / 'target/xquad/xquad.de.json'} has its answers blanked"


@case("data", "BUCC without its gold pairs file")
def _bucc_no_gold(ctx: Ctx):
    copy = _data_copy(ctx, PAWSX_FILES + ["target/bucc2018/zh-en.dev.zh", "target/bucc2018/zh-en.dev.en"])
    config = ctx.edit_config(lambda c: (set_key("data_dir", str(copy))(c),
                                        set_key("targets.bucc2018", {"eval_split": "dev", "max_length": 32})(c)))
    return ["run", config], f"BUCC gold pairs file missing: {copy / 'target/bucc2018/zh-en.dev.gold'}"


# --- study and tasks ----------------------------------------------------------------------------

@case("study", "sweep file is a folder")
def _study_folder(ctx: Ctx):
    (ctx.root / "sweeps").mkdir()
    return ["study", ctx.root / "sweeps", "--out", ctx.root / "report", "--report-only"], str(ctx.root / "sweeps")


@case("study", "--report-only without a store")
def _study_no_store(ctx: Ctx):
    path = ctx.sweep({"grid": {"seed": [0]}})
    return ["study", path, "--out", ctx.root / "report", "--report-only"], str(ctx.root / "results.sqlite")


@case("study", "--report-only with a store that holds none of the sweep's trials")
def _study_other_trials(ctx: Ctx):
    from xstilts.store.sqlite import ResultStore

    path = ctx.sweep({"grid": {"seed": [0]}})
    ResultStore(ctx.root / "results.sqlite").close()
    with closing(sqlite3.connect(ctx.root / "results.sqlite")) as db, db:  # another sweep's finished trial
        db.execute("INSERT INTO trials (trial_id, params, status, created_at) VALUES ('other', '{}', 'done', 'now')")
    return ["study", path, "--out", ctx.root / "report", "--report-only"], "none of this sweep's 1 trials has finished"


@case("study", "--out names an existing file")
def _study_out_file(ctx: Ctx):
    path = ctx.sweep({"grid": {"seed": [0]}})
    out = ctx.write("report.txt", "old")
    return ["study", path, "--out", out, "--report-only"], "'--out'"


@case("study", "grid value blamed on the sweep file")
def _study_grid(ctx: Ctx):
    path = ctx.sweep({"grid": {"seed": ["x"]}})
    return ["study", path, "--out", ctx.root / "report", "--report-only"], f"{path}: config key 'seed'"


@case("upgrade", "store missing")
def _upgrade_missing(ctx: Ctx):
    (ctx.root / "work").mkdir()
    return ["upgrade", ctx.root / "absent.sqlite", "--work-dir", ctx.root / "work"], str(ctx.root / "absent.sqlite")


@case("upgrade", "--work-dir is not a folder")
def _upgrade_work_dir(ctx: Ctx):
    store = _xstilts_store(ctx.root / "results.sqlite")
    return ["upgrade", store, "--work-dir", ctx.root / "absent"], "'--work-dir'"


@case("upgrade", "store is another program's database")
def _upgrade_foreign(ctx: Ctx):
    path = ctx.root / "contacts.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    (ctx.root / "work").mkdir()
    return ["upgrade", path, "--work-dir", ctx.root / "work"], "not an xstilts results store"


@case("tasks", "--role bogus")
def _tasks_role(ctx: Ctx):
    return ["tasks", "--role", "bogus"], "bogus"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root with its type, size and modification time, except the private
    cache (the autouse fixture's XSTILTS_CACHE_DIR): it memoizes facts about valid inputs
    (a model's fingerprint) that a sweep may look up before it reaches its bad grid point."""
    return {str(p.relative_to(root)): (p.is_dir(), p.stat().st_size if p.is_file() else 0, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.relative_to(root).parts[0] != "cache"}


@pytest.mark.parametrize("klass, name, build", CASES, ids=[f"{k}: {n}" for k, n, _ in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(klass, name, build, tmp_path, data_dir, tiny_encoder,
                                                            capsys, monkeypatch):
    root = tmp_path / "case"
    root.mkdir()
    monkeypatch.chdir(root)  # a default relative path (runs/...) would land here and be seen
    monkeypatch.setenv("XSTILTS_TASK_SPECS", "")  # a case may point it at its own specs
    argv, expected = build(Ctx(root, data_dir, tiny_encoder))
    before = snapshot(tmp_path)
    code, lines = run_cli(capsys, *argv)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0], lines[0]
    assert expected in lines[0], lines[0]
    assert snapshot(tmp_path) == before


def test_the_matrix_is_large_and_covers_every_class():
    classes = {klass for klass, _, _ in CASES}
    assert len(CASES) >= 60
    assert {"config", "graph", "data", "sweep", "reader", "score", "results", "report", "study", "tasks",
            "upgrade"} <= classes


def test_every_reader_format_has_a_bad_input_case():
    from xstilts.data.readers import READERS

    covered = {name.split(":")[0] for klass, name, _ in CASES if klass == "reader"}
    assert covered == set(READERS)
