import csv
import re

import pandas as pd

from report_fixtures import FAST_RESAMPLES, HOSTILE_TASK
from synthetic_frames import SyntheticTruth, synthetic_results_frame
from xstilts.report.build import CSV_TABLES, build_report


def test_build_report_writes_every_file(hostile_report):
    out = hostile_report.html.parent
    assert hostile_report.html == out / "report.html" and hostile_report.markdown == out / "report.md"
    assert {path.name for path in hostile_report.csvs} == set(CSV_TABLES) - {"trivial_baselines.csv"}  # none stored
    for path in hostile_report.csvs:
        with path.open(newline="") as handle:
            assert len(list(csv.reader(handle))) > 1, path
    pngs = [p for p in hostile_report.plots if p.suffix == ".png"]
    svgs = [p for p in hostile_report.plots if p.suffix == ".svg"]
    # frontier, scatter, 2 grids, task heat map + bars, 2 language maps, curves
    assert len(pngs) == len(svgs) >= 9
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert all(b"<svg" in p.read_bytes()[:2000] for p in svgs)
    # The markdown links every plot it shows.
    markdown = hostile_report.markdown.read_text()
    for png in pngs:
        assert f"(plots/{png.name})" in markdown


def test_markup_in_names_and_notes_is_escaped(hostile_report):
    html = hostile_report.html.read_text()
    assert HOSTILE_TASK not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "tiny &lt;b&gt;model&lt;/b&gt;" in html and "<b>model</b>" not in html
    assert "<title>Study &lt;i&gt;x&lt;/i&gt;</title>" in html
    markdown = hostile_report.markdown.read_text()
    assert HOSTILE_TASK not in markdown and "&lt;script&gt;" in markdown


def test_html_is_self_contained(hostile_report):
    html = hostile_report.html.read_text()
    sources = re.findall(r'\ssrc="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'\s(href|src)="(https?:|//|file:)', html)
    assert "Content-Security-Policy" in html


def test_report_opens_with_at_most_five_sentences_then_the_evidence_in_order(hostile_report):
    html = hostile_report.html.read_text()
    answer = html[html.index("<h2>Answer</h2>"): html.index("</section>")]
    assert answer.count("<p>") <= 5
    assert "per doubling of the intermediate batch size" in answer and "over 24 settings" in answer
    assert "fewer than 5 seeds" in answer and "no trivial scores stored" in answer
    titles = re.findall(r"<h2>(.*?)</h2>", html)
    assert len(titles) == len(set(titles))  # no section twice
    order = ["Answer", "Batch size and learning rate", "Throughput, device-hours and the efficiency frontier",
             "Gains by target task and language"]
    assert titles[:4] == order and titles[-1].startswith("Appendix")
    assert html.index("<h2>Answer</h2>") < html.index("<img")  # the answer precedes the evidence
    study = html[html.index("<h2>Study</h2>"):]
    assert "2 of 72 intermediate trials diverged and 1 failed" in study
    assert "intermediate: 2,000 examples; target: 500 examples" in study
    appendix = html[html.index("<h2>Appendix"):]
    assert "Sanity check" in appendix and "Model selection" in appendix and "adjusted p" in appendix


def test_unfinished_trials_are_listed(hostile_report):
    trials = pd.read_csv(hostile_report.html.parent / "trials.csv")
    unfinished = trials.loc[trials["status"] != "done", "trial_id"]
    assert len(unfinished) == 3
    html = hostile_report.html.read_text()
    listing = html[html.index("Trials that diverged or failed"):]
    assert all(f"<td>{trial}</td>" in listing for trial in unfinished)


def test_tiny_study_still_builds_and_says_what_it_cannot_estimate(tmp_path):
    frame = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}), batch_sizes=(16,),
                                    learning_rates=(2e-5,), seeds=(0, 1))
    report = build_report(frame, None, tmp_path, n_resamples=100)
    markdown = report.markdown.read_text()
    assert "Too few settings with a measured throughput" in markdown
    assert "Too few batch sizes or learning rates have finished trials" in markdown
    assert "No training curves were recorded." in markdown


def test_dollar_signs_in_task_names_do_not_break_the_plots(tmp_path):
    truth = SyntheticTruth(task_effects={r"a$\frac$b": 1.0, "$x": 2.0})
    frame = synthetic_results_frame(truth, seeds=(0, 1), batch_sizes=(8, 16))
    report = build_report(frame, None, tmp_path, n_resamples=100)
    assert any("grid" in p.name for p in report.plots)
    assert r"a$\frac$b" in report.html.read_text()


def test_same_inputs_give_the_same_report(hostile_study, hostile_report, tmp_path):
    frame, curves = hostile_study
    again = build_report(frame, curves, tmp_path, title="Study <i>x</i>", n_resamples=FAST_RESAMPLES,
                         study_notes={"data_per_phase": {"intermediate": "2,000 examples", "target": "500 examples"},
                                      "model": "tiny <b>model</b>"})
    assert again.html.read_text() == hostile_report.html.read_text()
    for first, second in zip(hostile_report.csvs, again.csvs):
        assert first.read_text() == second.read_text(), first.name


def test_a_study_where_every_run_diverged_still_reports(tmp_path):
    frame = synthetic_results_frame(SyntheticTruth(task_effects={"mnli": 1.0}), batch_sizes=(16,),
                                    learning_rates=(1e-5, 1e-3), seeds=(0, 1), n_diverged=4)
    report = build_report(frame, None, tmp_path, n_resamples=100)
    markdown = report.markdown.read_text()
    assert "4 of 4 intermediate trials diverged and 0 failed" in markdown
    assert "No finished trial could be paired with a baseline" in markdown
    assert markdown.count("| diverged | mnli |") == 4  # the listing: trial, status, task, ...


def test_trivial_rows_and_a_fixed_steps_arm_reach_the_report(tmp_path):
    truth = SyntheticTruth(task_effects={"mnli": 1.0}, gain_per_log2_batch=0.5)
    frame = synthetic_results_frame(truth, seeds=(0, 1, 2), batch_sizes=(8, 16), learning_rates=(1e-5, 3e-5))
    steps = frame[frame["intermediate_task"] != "none"].assign(trial_id=lambda f: "steps-" + f["trial_id"],
                                                                 max_steps=50)
    trivial = frame[frame["selection"] == "english_dev"].assign(selection="trivial")
    trivial["score"] = trivial["target_task"].map({"xnli": 0.0, "pawsx": 100.0})
    report = build_report(pd.concat([frame, steps, trivial], ignore_index=True), None, tmp_path, n_resamples=100)
    markdown = report.markdown.read_text()
    assert "does not beat the trivial predictor: pawsx." in markdown
    assert "| pawsx | accuracy |" in markdown and "no: reported apart" in markdown
    assert "fixed epochs: " in markdown and "fixed steps: " in markdown
    assert {"grid-0-fixed_epochs-mnli.png", "grid-1-fixed_steps-mnli.png", "frontier.png"} <= {
        p.name for p in report.plots}
    margins = pd.read_csv(tmp_path / "trivial_baselines.csv").set_index("target_task")
    assert margins.loc["pawsx", "reported_apart"] and not margins.loc["xnli", "reported_apart"]
