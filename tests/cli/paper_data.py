"""A data folder holding every split configs/paper.yaml and configs/sweep-paper.yaml read.

`build_paper_data(pack, out)` writes into `out` the first few examples of the shared pack's
files (read in place; nothing of it enters the repo) and, in the real formats (the specs'
`pattern` + `format`), a few made-up examples for each split the pack lacks: MNLI, QQP, SNLI
and ANLI train (ANLI+), SQuAD v1.1 train, HellaSwag, Cosmos QA train, CCG, PAWS-X English
train and TyDiQA-GoldP dev. Made-up texts differ from every evaluated text, so `overlap: drop`
keeps them all.

Slices of three languages per target, not links to the whole pack: planning a trial reads,
fingerprints and overlap-checks every split and language it touches, which on the full pack
(PAN-X and UD-POS train: 20,000+ sentences; Tatoeba: 112 languages) takes seconds per trial.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

# A few examples per split: the planner counts steps, it never trains on them.
N_EXAMPLES = 6
# Planning cost grows with the splits a trial reads (one per language): three languages per
# target (Tatoeba: their ISO 639-3 codes) keep 246 trials quick and every phase multilingual.
KEPT_LANGUAGES = {"en", "de", "zh", "deu", "cmn"}
SELECTED_PAWSX_LINES = 500  # paper.yaml: targets.pawsx.dev_split dev[0:500]
NLI_LABELS = ("entailment", "neutral", "contradiction")
MNLI_HEADER = ("index promptID pairID genre sentence1_binary_parse sentence2_binary_parse sentence1_parse "
               "sentence2_parse sentence1 sentence2 label1 gold_label").split()


def _pair(task: str, i: int) -> tuple[str, str]:
    return f"The {task} clerk filed report number {i} on a wet Tuesday.", f"A {task} report was filed ({i})."


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _jsonl(path: Path, rows: list[dict]) -> None:
    _write(path, "".join(json.dumps(row) + "\n" for row in rows))


def _tsv(path: Path, header: list[str] | None, rows: list[list]) -> None:
    lines = ([header] if header else []) + rows
    _write(path, "".join("\t".join(str(cell) for cell in line) + "\n" for line in lines))


def _squad(path: Path, task: str, lang: str = "en") -> None:
    """SQuAD v1.1 JSON: one paragraph per question, answers as character offsets."""
    paragraphs = []
    for i in range(N_EXAMPLES):
        answer = f"harbour {i}"
        context = f"The {task} ferry ({lang}) leaves from {answer} every morning at dawn."
        paragraphs.append({"context": context, "qas": [{
            "id": f"{task}-{lang}-{i}", "question": f"Where does the {task} ferry leave from ({i})?",
            "answers": [{"answer_start": context.index(answer), "text": answer}]}]})
    _write(path, json.dumps({"version": "1.1", "data": [{"title": f"{task} {lang}", "paragraphs": paragraphs}]}))


def _glue(root: Path) -> None:
    for split, name in (("train", "train.tsv"), ("dev", "dev_matched.tsv")):
        rows = [[i, i, f"{i}e", "fiction", "( a )", "( b )", "(ROOT a)", "(ROOT b)", *_pair(f"mnli {split}", i),
                 NLI_LABELS[i % 3], NLI_LABELS[i % 3]] for i in range(N_EXAMPLES)]
        _tsv(root / "intermediate/mnli" / name, MNLI_HEADER, rows)
    for split in ("train", "dev"):
        rows = [[i, 2 * i, 2 * i + 1, *_pair(f"qqp {split}", i), i % 2] for i in range(N_EXAMPLES)]
        _tsv(root / f"intermediate/qqp/{split}.tsv", ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"], rows)


def _nli_jsonl(root: Path) -> None:
    for r in (1, 2, 3):
        _jsonl(root / f"intermediate/anli/R{r}/train.jsonl", [
            {"uid": f"a{r}-train-{i}", "context": _pair(f"anli r{r}", i)[0], "hypothesis": _pair(f"anli r{r}", i)[1],
             "label": "enc"[i % 3], "model_label": "n", "emturk": False, "genre": "", "reason": "", "tag": []}
            for i in range(N_EXAMPLES)])
    _jsonl(root / "intermediate/snli/snli_1.0_train.jsonl", [
        {"annotator_labels": [NLI_LABELS[i % 3]], "captionID": f"{i}.jpg#0", "gold_label": NLI_LABELS[i % 3],
         "pairID": f"{i}.jpg#0r1", "sentence1": _pair("snli", i)[0], "sentence2": _pair("snli", i)[1]}
        for i in range(N_EXAMPLES)])


def _choice(root: Path) -> None:
    for split in ("train", "val"):
        _jsonl(root / f"intermediate/hellaswag/hellaswag_{split}.jsonl", [
            {"ind": i, "activity_label": "Baking", "ctx_a": f"A cook ({split} {i}) mixes flour in a bowl.",
             "ctx_b": "she", "ctx": f"A cook ({split} {i}) mixes flour in a bowl. she", "split": split,
             "split_type": "indomain", "label": i % 4, "source_id": f"activitynet~{split}{i}",
             "endings": ["adds eggs.", "paints a fence.", "drives away.", "swims a lake."]}
            for i in range(N_EXAMPLES)])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"])
    for i in range(N_EXAMPLES):
        writer.writerow([f"cosmos-train-{i}", f"I missed bus {i}, so I walked to work in the rain.",
                         "Why was I wet?", "I swam.", "I walked in the rain.", "I spilled tea.", "None of the above.", 1])
    _write(root / "intermediate/cosmosqa/train.csv", out.getvalue())


def _tagging(root: Path) -> None:
    for split in ("train", "dev"):
        sentences = [[(f"Pat{i}", "N/N"), ("sleeps", "S[dcl]\\NP"), (".", ".")] for i in range(N_EXAMPLES)]
        _write(root / f"intermediate/ccg/ccg.{split}.tsv",
               "\n".join("".join(f"{tok}\t{tag}\n" for tok, tag in s) for s in sentences))


def _blocks(text: str) -> list[str]:
    """Blank-line-separated records (tagging TSV sentences, CoNLL-U sentences)."""
    return [block for block in text.split("\n\n") if block.strip()]


def _squad_slice(text: str) -> str:
    data = json.loads(text)
    for article in data["data"][:2]:
        article["paragraphs"] = article["paragraphs"][:2]
    return json.dumps({**data, "data": data["data"][:2]})


def _bucc_slice(pack_dir: Path, out_dir: Path) -> None:
    """The first gold pairs, their sentences and as many unpaired ones a side."""
    for gold in pack_dir.glob("*.gold"):
        pairs = gold.read_text(encoding="utf-8").splitlines()[:N_EXAMPLES]
        _write(out_dir / gold.name, "".join(line + "\n" for line in pairs))
        wanted = {cell for line in pairs for cell in line.split("\t")}
        for side in pack_dir.glob(gold.stem + ".*"):
            if side.suffix != ".gold":
                lines = side.read_text(encoding="utf-8").splitlines()
                kept = [line for n, line in enumerate(lines) if n < N_EXAMPLES or line.split("\t")[0] in wanted]
                _write(out_dir / side.name, "".join(line + "\n" for line in kept))


def _slice(text: str, suffix: str, rel: str) -> str:
    """The first N_EXAMPLES examples of one pack file, in its own format."""
    if suffix == ".json":
        return _squad_slice(text)
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))[: N_EXAMPLES + 1]  # header + rows (fields hold newlines)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
    if suffix == ".conllu" or rel.startswith(("target/panx/", "target/udpos/")):
        return "\n\n".join(_blocks(text)[:N_EXAMPLES]) + "\n\n"
    keep = N_EXAMPLES + (1 if rel.startswith("intermediate/") and suffix == ".tsv" else 0)  # GLUE TSVs: a header
    if rel.startswith("target/pawsx/dev-"):
        # paper.yaml selects on English dev lines 0-499, and the guard leaves those lines out of
        # every language's (line-aligned) score: keep some lines past them to score.
        keep += SELECTED_PAWSX_LINES
    return "".join(line + "\n" for line in text.splitlines()[:keep])


def build_paper_data(pack: Path, out: Path) -> Path:
    """`out` with slices of the pack's files and the splits it lacks written (see the module)."""
    for path in sorted(p for p in pack.rglob("*") if p.is_file()):
        rel = path.relative_to(pack).as_posix()
        if rel.startswith("target/") and not set(re.split(r"[-._/]", rel)) & KEPT_LANGUAGES:
            continue
        if path.suffix not in (".md", ".tsv", ".json", ".jsonl", ".csv", ".conllu") or rel == "MANIFEST.tsv":
            if rel.startswith("target/tatoeba/"):  # line-aligned pairs, named by language code
                _write(out / rel, _slice(path.read_text(encoding="utf-8"), "", rel))
            continue
        if path.suffix != ".md":
            _write(out / rel, _slice(path.read_text(encoding="utf-8"), path.suffix, rel))
    _bucc_slice(pack / "target/bucc2018", out / "target/bucc2018")
    _glue(out)
    _nli_jsonl(out)
    _choice(out)
    _tagging(out)
    _squad(out / "intermediate/squad/train-v1.1.json", "squad")
    for lang in ("en", "ar"):  # English selects; a second language makes the scored set multilingual
        _squad(out / f"target/tydiqa/tydiqa.goldp.{lang}.dev.json", "tydiqa", lang)
    _tsv(out / "target/pawsx/train-en.tsv", None,
         [[*_pair("pawsx", i), i % 2] for i in range(N_EXAMPLES)])
    return out
