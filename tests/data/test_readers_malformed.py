"""Malformed input: `xstilts data inspect` exits 2 with ONE stderr line naming the file and line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from xstilts.cli import main


@dataclass(frozen=True)
class Bad:
    fmt: str | None  # --format value; None when the case reads through --task
    files: dict[str, bytes]  # written into tmp_path
    line: int  # the line the error must name
    error_file: str = ""  # the file the error must name (default: the only/first file)
    target: str = ""  # what the command line names (default: the first file)
    task: str | None = None

    def argv(self, folder: Path) -> list[str]:
        how = ["--task", self.task] if self.task else ["--format", self.fmt]
        return ["data", "inspect", *how, str(folder / (self.target or next(iter(self.files))))]

    def where(self, folder: Path) -> str:
        return f"{folder / (self.error_file or next(iter(self.files)))}:{self.line}:"


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


SQUAD_BAD_START = lines(
    "{",
    '  "version": "1.1",',
    '  "data": [',
    "    {",
    '      "title": "T",',
    '      "paragraphs": [',
    "        {",
    '          "context": "Alpha beta gamma.",',
    '          "qas": [',
    "            {",
    '              "id": "q1",',
    '              "question": "Which?",',
    '              "answers": [',
    '                {"text": "beta", "answer_start": 6},',
    '                {"text": "gamma",',
    '                 "answer_start": 3}',
    "              ]",
    "            }",
    "          ]",
    "        }",
    "      ]",
    "    }",
    "  ]",
    "}",
)
SQUAD_ONE_LINE = (  # MLQA files are one line: every error there is on line 1
    b'{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "1", "question": "q?", '
    b'"answers": [{"text": "c", "answer_start": 0}]}]}]}]}'
)
CONLLU_OK = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_"
NLI_JSONL = '{"uid": "u%d", "context": "c", "hypothesis": "h", "label": "e"}'
ANLI_HEADER = "context,statement,gold_label,uid"
COSMOS_HEADER = "id,context,question,answer0,answer1,answer2,answer3,label"

CASES = {
    # XTREME pair TSV
    "pair-tsv-missing-label": Bad("xtreme_pair_tsv", {"dev-x.tsv": lines("a\tb\t0", "c\td\t1", "e\tf")}, 3),
    "pair-tsv-blank-line": Bad("xtreme_pair_tsv", {"dev-x.tsv": lines("a\tb\t0", "", "c\td\t1")}, 2),
    "pair-tsv-four-columns": Bad("xtreme_pair_tsv", {"dev-x.tsv": lines("a\tb\t0\textra")}, 1),
    "pair-tsv-invalid-utf8": Bad(
        "xtreme_pair_tsv", {"dev-x.tsv": lines("a\tb\t0", "c\td\t1") + b"\xff\tb\t0\n"}, 3
    ),
    "pair-tsv-empty-file": Bad("xtreme_pair_tsv", {"dev-x.tsv": b""}, 1),
    "xnli-unknown-label": Bad(None, {"dev-en.tsv": lines("a\tb\tentailment", "c\td\tmaybe")}, 2, task="xnli"),
    # PAWS-X x-final and GLUE
    "pawsx-final-bad-header": Bad("pawsx_final_tsv", {"x.tsv": lines("id\ts1\ts2\tlabel", "1\ta\tb\t0")}, 1),
    "pawsx-final-three-columns": Bad(
        "pawsx_final_tsv", {"x.tsv": lines("id\tsentence1\tsentence2\tlabel", "1\ta\tb\t0", "2\ta\tb")}, 3
    ),
    "glue-short-row": Bad(
        "glue_tsv",
        {"dev.tsv": lines("pairID\tsentence1\tsentence2\tgold_label", "1\ta\tb\tneutral", "2\ta")},
        3,
    ),
    "glue-unknown-header": Bad("glue_tsv", {"dev.tsv": lines("text\ttarget", "a\t1")}, 1),
    # NLI JSONL / CSV
    "anli-jsonl-truncated": Bad("anli_jsonl", {"dev.jsonl": lines(NLI_JSONL % 1, NLI_JSONL % 2)[:-20]}, 2),
    "anli-jsonl-missing-field": Bad(
        "anli_jsonl", {"dev.jsonl": lines(NLI_JSONL % 1, '{"uid": "u2", "context": "c", "label": "n"}')}, 2
    ),
    "anli-csv-unterminated-quote": Bad(
        "anli_csv", {"a.csv": lines(ANLI_HEADER, "x,y,e,u1", '"open, never closed,y,e,u2', "z,y,n,u3")}, 3
    ),
    "anli-csv-columns-after-multiline-field": Bad(
        "anli_csv", {"a.csv": lines(ANLI_HEADER, '"two\nlines",y,e,u1', "z,y,n")}, 4
    ),
    "anli-unknown-label": Bad(
        None, {"ANLI_analysis_r1_dev.csv": lines(ANLI_HEADER, "x,y,e,u1", "x,y,q,u2")}, 3, task="anli"
    ),
    "snli-not-an-object": Bad("snli_jsonl", {"snli.jsonl": lines("", "[1, 2]")}, 2),
    "jsonl-invalid-utf8": Bad("snli_jsonl", {"snli.jsonl": b'{"a": 1}\n{"b": "\xc3("}\n'}, 2),
    # Multiple choice
    "cosmosqa-csv-label-out-of-range": Bad(
        "cosmosqa_csv", {"valid.csv": lines(COSMOS_HEADER, "1,c,q,a,b,c,d,0", "2,c,q,a,b,c,d,4")}, 3
    ),
    "cosmosqa-jsonl-label-not-index": Bad(
        "cosmosqa_jsonl",
        {
            "v.jsonl": lines(
                '{"context": "c", "question": "q", "answer0": "a", "answer1": "b", '
                '"answer2": "c", "answer3": "d", "label": "x"}'
            )
        },
        1,
    ),
    "commonsenseqa-answer-not-a-choice": Bad(
        "commonsenseqa_jsonl",
        {
            "dev.jsonl": lines(
                '{"question": "q", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "A"}',
                '{"question": "q", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "C"}',
            )
        },
        2,
    ),
    "commonsenseqa-uneven-choices": Bad(
        "commonsenseqa_jsonl",
        {
            "dev.jsonl": lines(
                '{"question": "q", "choices": {"label": ["A", "B"], "text": ["x"]}, "answerKey": "A"}'
            )
        },
        1,
    ),
    "hellaswag-label-out-of-range": Bad(
        "hellaswag_jsonl",
        {
            "val.jsonl": lines(
                '{"ctx": "c", "endings": ["a", "b"], "label": 0}',
                '{"ctx": "c", "endings": ["a", "b"], "label": 2}',
            )
        },
        2,
    ),
    # SQuAD JSON
    "squad-answer-start-mismatch": Bad("squad_json", {"dev.json": SQUAD_BAD_START}, 16),
    "squad-answer-start-one-line-file": Bad("squad_json", {"dev.json": SQUAD_ONE_LINE}, 1),
    "squad-trailing-comma": Bad(
        "squad_json", {"dev.json": lines("{", '  "data": [', "    {},", "  ]", "}")}, 4
    ),
    "squad-missing-question": Bad(
        "squad_json",
        {
            "dev.json": lines(
                '{"data": [{"paragraphs": [{"context": "abc",',
                '  "qas": [',
                '    {"id": "1", "answers": []}]}]}]}',
            )
        },
        3,
    ),
    # CoNLL-U
    "conllu-nine-columns": Bad(
        "conllu",
        {"x.conllu": lines("# sent_id = 1", CONLLU_OK, "2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t1:punct")},
        3,
    ),
    "conllu-bad-id": Bad(
        "conllu", {"x.conllu": lines(CONLLU_OK, "", "# text = x", CONLLU_OK.replace("1", "x", 1))}, 4
    ),
    "conllu-ids-out-of-sequence": Bad(
        "conllu", {"x.conllu": lines(CONLLU_OK, CONLLU_OK.replace("1", "3", 1))}, 2
    ),
    "conllu-comment-inside-sentence": Bad("conllu", {"x.conllu": lines(CONLLU_OK, "# late comment")}, 2),
    "conllu-invalid-utf8": Bad(
        "conllu", {"x.conllu": lines(CONLLU_OK, "") + b"1\t\xe9\t_\tX\t_\t_\t0\troot\t_\t_\n"}, 3
    ),
    # Token-per-line tagging
    "tagging-three-columns": Bad("xtreme_tagging_tsv", {"t.tsv": lines("a\tO", "b\tO\tO")}, 2),
    "tagging-no-tab": Bad("xtreme_tagging_tsv", {"t.tsv": lines("a\tO", "", "b O")}, 3),
    "panx-unknown-tag": Bad(None, {"dev-en.tsv": lines("a\tO", "b\tB-PER", "", "c\tB-MISC")}, 4, task="panx"),
    "wikiann-two-columns": Bad("wikiann_conll", {"w.conll": lines("1\ten:a\tO", "en:b\tO")}, 2),
    "ccg-empty-tag": Bad("ccg_supertag", {"c.txt": lines("a\tNP", "b\t")}, 2),
    # Bitext
    "bucc-gold-id-missing": Bad(
        "bucc",
        {
            "de-en.dev.de": lines("de-1\tHallo"),
            "de-en.dev.en": lines("en-1\tHello"),
            "de-en.dev.gold": lines("de-1\ten-1", "de-2\ten-1"),
        },
        2,
        error_file="de-en.dev.gold",
        target="de-en.dev",
    ),
    "bucc-duplicate-id": Bad(
        "bucc",
        {"de-en.dev.de": lines("de-1\tHallo"), "de-en.dev.en": lines("en-1\tHello", "en-1\tHi")},
        2,
        error_file="de-en.dev.en",
        target="de-en.dev",
    ),
    "tatoeba-line-counts-differ": Bad(
        "tatoeba",
        {
            "tatoeba.deu-eng.deu": lines("Hallo", "Danke"),
            "tatoeba.deu-eng.eng": lines("Hello", "Thanks", "Bye"),
        },
        3,
        error_file="tatoeba.deu-eng.eng",
    ),
}

# A real process each: the command's start-up imports torch, so only a handful.
SUBPROCESS_CASES = ["pair-tsv-invalid-utf8", "squad-answer-start-mismatch", "tatoeba-line-counts-differ"]


def write_case(case: Bad, folder: Path) -> None:
    for name, content in case.files.items():
        (folder / name).write_bytes(content)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_file_gives_one_line_naming_file_and_line(name, tmp_path, capsys):
    case = CASES[name]
    write_case(case, tmp_path)
    code = main(case.argv(tmp_path))
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {case.where(tmp_path)}"), err


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_malformed_file_through_the_installed_command(name, tmp_path):
    case = CASES[name]
    write_case(case, tmp_path)
    command = Path(sys.executable).with_name("xstilts")
    done = subprocess.run([str(command), *case.argv(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"error: {case.where(tmp_path)}"), done.stderr
