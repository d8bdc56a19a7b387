"""One description of a trial: its phases, their content keys, parents and what each reads.

    graph = TrialGraph.build(config)      # reads specs, data files and the model's files; trains nothing

Running (`execute.run_trial`), planning (`xstilts run --dry-run`, `xstilts sweep plan`),
preflight, the leakage guard and sweep calibration all read this object, so they cannot
disagree on which phases a trial has or under which keys they are stored. Bad input (an
unknown task or split, an unreadable file, an empty slice) is found here, before anything is
written.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xstilts.config import RunConfig, TargetConfig
from xstilts.data.splits import SplitRef, split_origin, translation_group
from xstilts.errors import ConfigError, DataError
from xstilts.models.cache import default_cache_dir
from xstilts.pipeline.keys import content_key, folder_stamp, memo_model_fingerprint, spec_fingerprint
from xstilts.pipeline.overlap import drop_overlapping
from xstilts.pipeline.reads import ReadCache, SplitRead, TrainedLines, english_of, languages_present, reported_as, resolve_read
from xstilts.tasks.registry import get_task, one_snapshot
from xstilts.train.settings import TrainSettings

def phase_settings(settings: TrainSettings, config: RunConfig) -> TrainSettings:
    """A phase's training settings as the trial runs them: the trial seed drives every phase, the
    run's `cpu_bf16` reaches every phase, and a micro-batch never exceeds the effective batch."""
    micro = min(settings.micro_batch_size, settings.batch_size)
    while settings.batch_size % micro:
        micro -= 1
    return settings.model_copy(update={"seed": config.seed, "micro_batch_size": micro, "bf16_on_cpu": config.cpu_bf16})


TRAINED_PHASES = ("intermediate", "target")  # the phases whose folders hold model weights


@dataclass(frozen=True)
class PhaseNode:
    phase: str  # base | intermediate | target | zero_shot | retrieval
    task: str  # the task it trains or evaluates ('sst2+anli' for a mixture; '' for base)
    key: str
    parents: tuple[str, ...] = ()
    trains_on: tuple[SplitRead, ...] = ()
    selects_on: tuple[SplitRead, ...] = ()  # English dev for model selection (BUCC: the threshold's dev)
    oracle: tuple[SplitRead, ...] = ()  # target-language dev for the oracle selector: evaluated data by design
    evaluates: tuple[SplitRead, ...] = ()
    train_examples: int = 0  # examples seen over all epochs: what the planner charges
    batch_size: int = 0
    max_length: int = 0
    done: bool = False  # its DONE.json exists in the work dir
    borrows: str | None = None  # zero_shot with model_from: the target task whose model it uses
    # zero_shot: the model's training read, whose most frequent label the trivial predictor answers
    trivial_from: SplitRead | None = None

    def folder(self, work_dir: Path) -> Path:
        return Path(work_dir) / self.phase / self.key


@dataclass(frozen=True)
class TrialGraph:
    config: RunConfig = field(repr=False)
    nodes: tuple[PhaseNode, ...]
    trained: TrainedLines  # the leakage guard's lines, from every node's training/selection reads
    model_dir: Path  # the resolved base checkpoint
    data_dir: Path
    cache_dir: Path

    @classmethod
    def build(cls, config: RunConfig) -> "TrialGraph":
        with one_snapshot():  # one trial's thousands of task lookups read the specs once
            return _Builder(config).build()

    def node(self, phase: str, task: str | None = None) -> PhaseNode:
        return next(n for n in self.nodes if n.phase == phase and (task is None or n.task == task))

    def find(self, phase: str, task: str) -> PhaseNode | None:
        return next((n for n in self.nodes if n.phase == phase and n.task == task), None)

    def planned(self) -> list[PhaseNode]:
        """Every phase that computes something (the base encoder only resolves a folder)."""
        return [n for n in self.nodes if n.phase != "base"]


def plan_trial(config: RunConfig) -> list[PhaseNode]:
    """The phases a trial computes, with their content keys and whether each is done (no torch
    is imported: planning a finished sweep takes seconds)."""
    return TrialGraph.build(config).planned()


class _Builder:
    def __init__(self, config: RunConfig):
        self.config = config
        self.data_dir = config.resolved_data_dir()
        if config.data_source != "hub" and not self.data_dir.is_dir():
            raise ConfigError("data_dir", f"data dir not found: {self.data_dir}")
        self.cache_dir = Path(config.model.cache_dir) if config.model.cache_dir else default_cache_dir()
        self.work_dir = Path(config.work_dir)
        self.trained = TrainedLines()
        self.nodes: list[PhaseNode] = []
        self.reads = ReadCache(self.cache_dir)
        self.evaluated: tuple[SplitRead, ...] = ()  # set by build() when overlap: drop

    def build(self) -> TrialGraph:
        from xstilts.models.sources import resolve_model_source

        _check_scoreable(self.config.targets)
        model_dir = resolve_model_source(self.config.model.source, self.cache_dir)
        self._register_training_lines()
        # overlap: drop needs every evaluated read before the training reads are built.
        self.evaluated = self._all_evaluated() if self.config.overlap == "drop" else ()
        encoder = self._add(PhaseNode("base", "", content_key("base", {"model": self._model_fingerprint(model_dir)}), done=True))
        if self.config.intermediate.task != "none":
            encoder = self._intermediate(encoder)
        targets = self.config.targets
        trained = {task: self._target(encoder, task, cfg) for task, cfg in targets.items() if self._trains(task, cfg)}
        for task, cfg in targets.items():
            if get_task(task).kind == "retrieval":
                self._retrieval(encoder, task, cfg)
            else:
                self._zero_shot(trained[cfg.model_from or task], task, cfg)
        self.reads.save()
        return TrialGraph(self.config, tuple(self.nodes), self.trained, model_dir, self.data_dir, self.cache_dir)

    def _read(self, ref: SplitRef, language: str, key: str, **options) -> SplitRead:
        return resolve_read(ref, language, self.data_dir, key, cache=self.reads, source=self.config.data_source, **options)

    def _trained_read(self, ref: SplitRef, language: str, key: str, **options) -> SplitRead:
        """A read some phase trains or selects on, less what this run evaluates (overlap: drop)."""
        return drop_overlapping(self._read(ref, language, key, **options), self.evaluated, self.data_dir)

    def _all_evaluated(self) -> tuple[SplitRead, ...]:
        """Every language of every evaluated split, whole: what is dropped does not depend on how
        many lines a trial happens to evaluate (a larger eval cap must not leak), so the training
        phases' keys do not either."""
        reads = []
        for task, cfg in self.config.targets.items():
            if get_task(task).kind == "retrieval":
                continue
            key, ref, langs = self._eval_languages(task, cfg, whole=True)  # not the trial's slice
            reads += [self._read(ref, lang, key) for lang in langs]
        return tuple(reads)

    def _eval_languages(self, task: str, cfg: TargetConfig, *, whole: bool = False) -> tuple[str, SplitRef, list[str]]:
        """The eval split's config key, its reference (the whole split when ``whole``) and the
        languages it has files for."""
        key = f"targets.{task}.eval_split"
        ref = SplitRef.parse(cfg.eval_split, task, key)
        if whole:
            ref = SplitRef(ref.task, ref.split)
        with reported_as(key):
            langs = languages_present(ref, self.data_dir, cfg.languages, self.config.data_source)
        return key, ref, langs

    def _model_fingerprint(self, model_dir: Path) -> str:
        return memo_model_fingerprint(str(model_dir), str(self.cache_dir), folder_stamp(model_dir))

    @staticmethod
    def _trains(task: str, cfg: TargetConfig) -> bool:
        return cfg.model_from is None and get_task(task).kind != "retrieval"

    def _add(self, node: PhaseNode) -> PhaseNode:
        done = node.done or (node.folder(self.work_dir) / "DONE.json").is_file()
        node = replace(node, done=done)
        self.nodes.append(node)
        return node

    def _training_refs(self) -> list[tuple[SplitRef, str]]:
        """Every slice some phase trains or selects on, with the config key that names it."""
        inter, refs = self.config.intermediate, []
        for name in inter.task_names():
            refs.append((SplitRef.parse(inter.train_split, name, "intermediate.train_split"), "intermediate.train_split"))
        if inter.dev_split and inter.task_names():
            refs.append((SplitRef.parse(inter.dev_split, inter.task_names()[0], "intermediate.dev_split"), "intermediate.dev_split"))
        for task, cfg in self.config.targets.items():
            if self._trains(task, cfg):
                refs.append((self._target_train_ref(task, cfg), f"targets.{task}.train_split"))
                if cfg.dev_split:
                    refs.append((SplitRef.parse(cfg.dev_split, task, f"targets.{task}.dev_split"), f"targets.{task}.dev_split"))
        return refs

    def _register_training_lines(self) -> None:
        # Before any evaluated read is resolved: the guard must know every trained line first.
        for ref, key in self._training_refs():
            with reported_as(key):
                self.trained.add(ref)

    @staticmethod
    def _target_train_ref(task: str, cfg: TargetConfig) -> SplitRef:
        key = f"targets.{task}.train_split"
        text = cfg.train_split or get_task(task).english_train
        if not text:
            raise ConfigError(key, f"{task} has no English training source; set {key}")
        return SplitRef.parse(text, task, key)

    def _settings(self, train, **extra: Any) -> dict[str, Any]:
        settings = phase_settings(train, self.config)
        return {"train": settings.trajectory_fields(), "freeze": self.config.model.freeze_word_embeddings, **extra}

    def _intermediate(self, encoder: PhaseNode) -> PhaseNode:
        cfg, key = self.config.intermediate, "intermediate.train_split"
        reads = tuple(self._trained_read(ref, english_of(ref), key)
                      for ref in (SplitRef.parse(cfg.train_split, name, key) for name in cfg.task_names()))
        dev = ()
        if cfg.dev_split:
            ref = SplitRef.parse(cfg.dev_split, cfg.task_names()[0], "intermediate.dev_split")
            dev = (self._trained_read(ref, english_of(ref), "intermediate.dev_split", cap=cfg.max_dev_examples),)
        _check_labelled(reads + dev)
        mlm = self._mlm_reads()
        payload = self._settings(cfg.train, encoder=encoder.key, specs=[spec_fingerprint(get_task(n)) for n in cfg.task_names()],
                                 reads=[r.fingerprint for r in reads], dev=[r.fingerprint for r in dev],
                                 mlm=cfg.mlm.model_dump() if cfg.mlm else None, mlm_text=[r.fingerprint for r in mlm],
                                 max_length=cfg.max_length, doc_stride=cfg.doc_stride, sampler=cfg.sampler,
                                 temperature=cfg.temperature if cfg.sampler == "temperature" else None)
        examples = sum(len(r.lines) for r in reads) + (min(cfg.mlm.max_examples, _mlm_size(mlm)) if cfg.mlm else 0)
        return self._add(PhaseNode("intermediate", cfg.task, content_key("intermediate", payload), (encoder.key,),
                                   trains_on=reads + mlm, selects_on=dev, train_examples=_seen(examples, cfg.train),
                                   batch_size=cfg.train.batch_size, max_length=cfg.max_length))

    def _mlm_reads(self) -> tuple[SplitRead, ...]:
        mlm = self.config.intermediate.mlm
        if mlm is None:
            return ()
        key = "intermediate.mlm.text_task"
        with reported_as(key):
            spec = get_task(mlm.text_task)
        split = next(iter(spec.splits))
        ref = SplitRef(spec.name, split)
        langs = [lang for lang in languages_present(ref, self.data_dir, None, self.config.data_source) if lang != "en"]
        if not langs:
            raise ConfigError(key, f"{spec.name} has no non-English text under {self.data_dir}")
        return tuple(self._read(ref, lang, key) for lang in langs)

    def _target(self, encoder: PhaseNode, task: str, cfg: TargetConfig) -> PhaseNode:
        spec, prefix = get_task(task), f"targets.{task}"
        ref = self._target_train_ref(task, cfg)
        train = (self._trained_read(ref, english_of(ref), f"{prefix}.train_split"),)
        dev = ()
        if cfg.dev_split:
            dev_ref = SplitRef.parse(cfg.dev_split, task, f"{prefix}.dev_split")
            dev = (self._trained_read(dev_ref, "en", f"{prefix}.dev_split"),)
        _check_labelled(train + dev)
        oracle = self._oracle_reads(task, cfg)
        payload = self._settings(cfg.train, encoder=encoder.key, spec=spec_fingerprint(spec),
                                 reads=[r.fingerprint for r in train], dev=[r.fingerprint for r in dev],
                                 oracle={r.language: r.fingerprint for r in oracle},
                                 max_length=cfg.max_length, doc_stride=cfg.doc_stride)
        return self._add(PhaseNode("target", task, content_key("target", payload), (encoder.key,), trains_on=train,
                                   selects_on=dev, oracle=oracle, train_examples=_seen(len(train[0].lines), cfg.train),
                                   batch_size=cfg.train.batch_size, max_length=cfg.max_length))

    def _oracle_reads(self, task: str, cfg: TargetConfig) -> tuple[SplitRead, ...]:
        """Target-language dev for the oracle selector (Keung et al. 2020), when asked."""
        if not cfg.oracle_dev_examples:
            return ()
        key, ref, langs = self._eval_languages(task, cfg)
        reads = (self._read(ref, lang, key, guard=self.trained, cap=cfg.oracle_dev_examples)
                 for lang in langs if lang != "en")
        return tuple(read for read in reads if read.lines)

    def _evaluated(self, task: str, cfg: TargetConfig) -> tuple[SplitRead, ...]:
        key, ref, langs = self._eval_languages(task, cfg)
        if not langs:
            raise ConfigError(key, f"no files for {task}:{ref.split} in any language under {self.data_dir}")
        reads = [self._read(ref, lang, key, guard=self.trained, cap=cfg.max_eval_examples) for lang in langs]
        if get_task(task).kind != "retrieval":
            reads = [read for read in reads if read.lines]  # every line of a language was trained on
        if not reads:
            raise ConfigError(key, f"every evaluated line of {task} is trained or selected on; evaluate other lines")
        _check_aligned(task, ref, reads, self.data_dir)
        _check_labelled(reads)
        return tuple(reads)

    def _zero_shot(self, model: PhaseNode, task: str, cfg: TargetConfig) -> PhaseNode:
        evaluates, trivial_from = self._evaluated(task, cfg), model.trains_on[0]
        payload = {"model": model.key, "spec": spec_fingerprint(get_task(task)), "cpu_bf16": self.config.cpu_bf16,
                   "evaluates": {r.language: r.fingerprint for r in evaluates},
                   "max_length": cfg.max_length, "doc_stride": cfg.doc_stride, "trivial_from": trivial_from.fingerprint}
        if self.config.cpu_eval_compile and self.config.cpu_bf16:  # only when it acts: other zero-shot keys stay as they were
            payload["cpu_eval_compile"] = True
        return self._add(PhaseNode("zero_shot", task, content_key("zero_shot", payload), (model.key,), evaluates=evaluates,
                                   max_length=cfg.max_length, borrows=cfg.model_from, trivial_from=trivial_from))

    def _retrieval(self, encoder: PhaseNode, task: str, cfg: TargetConfig) -> PhaseNode:
        spec, evaluates = get_task(task), self._evaluated(task, cfg)
        # The dev split of the same languages, where BUCC's mining threshold is tuned.
        tuned_on = [split for split in spec.splits if split == "dev" != evaluates[0].ref.split]
        others = tuple(self._read(SplitRef(task, split), read.language, f"targets.{task}.eval_split")
                       for split in tuned_on for read in evaluates if split_origin(spec, self.data_dir, split, read.language, self.config.data_source))
        payload = {"encoder": encoder.key, "spec": spec_fingerprint(spec), "cap": cfg.max_eval_examples,
                   "evaluates": {r.language: r.fingerprint for r in evaluates},
                   "selects_on": {f"{r.ref.split}/{r.language}": r.fingerprint for r in others},
                   "layer": self.config.model.retrieval_layer, "max_length": cfg.max_length, "cpu_bf16": self.config.cpu_bf16}
        return self._add(PhaseNode("retrieval", task, content_key("retrieval", payload), (encoder.key,), selects_on=others,
                                   evaluates=evaluates, max_length=cfg.max_length))


def _check_scoreable(targets) -> None:
    """Targets are scored by XTREME's scorer, which knows its nine tasks' file formats: a custom
    target task (XSTILTS_TASK_SPECS) would only fail after training, so it fails here."""
    from xstilts.metrics.formats import XTREME_TASK_FORMAT

    for task in targets:
        if task not in XTREME_TASK_FORMAT:
            raise ConfigError(f"targets.{task}", f"{task} is not one of XTREME's tasks ({', '.join(XTREME_TASK_FORMAT)}), "
                              "which xstilts scores; add other tasks as intermediate tasks")


def _check_aligned(task: str, ref: SplitRef, reads: list[SplitRead], data_dir: Path) -> None:
    """Files of a translation group are line-aligned: the guard excludes trained lines by number,
    so a translation with missing or extra lines would be scored against the wrong sentences."""
    spec = get_task(task)
    if translation_group(spec, ref.split) is None or len({read.total for read in reads}) < 2:
        return
    reference = next((read for read in reads if read.language == "en"), reads[0])
    odd = next(read for read in reads if read.total != reference.total)
    files = spec.files(data_dir, ref.split, odd.language)
    path = files[0][0] if files else f"{spec.hub.id} ({ref.split}, {odd.language})"  # read from the hub
    raise DataError(path, None, f"has {odd.total} examples but its {reference.language} translation has "
                    f"{reference.total}: the files of {ref.task}:{ref.split} must be line-aligned")


def _check_labelled(reads) -> None:
    for read in reads:
        if read.unlabelled is not None:
            raise ConfigError(read.key, f"{read} has examples without a label (the first: {read.unlabelled}); "
                              "a phase can only train on or score labelled data (XTREME's download blanks test labels: "
                              "use dev, or labelled files from the hub)")


def _seen(examples: int, train) -> int:
    """Examples a phase trains on over all epochs (what its step count follows)."""
    per_epoch = min(examples, train.max_train_examples) if train.max_train_examples else examples
    seen = per_epoch * train.epochs
    return min(seen, train.max_steps * train.batch_size) if train.max_steps else seen


def _mlm_size(reads: tuple[SplitRead, ...]) -> int:
    return sum(len(r.lines) for r in reads)


def discard(node: PhaseNode, work_dir: Path) -> None:
    """Delete a trained phase's folder (weights, checkpoints, DONE.json); a later trial listing
    its key computes it again. The folder is first renamed out of its content address, so a kill
    midway never leaves a DONE.json beside half-deleted weights."""
    if node.phase not in TRAINED_PHASES:
        return  # predictions and retrieval scores are small and stay
    folder = node.folder(work_dir)
    for leftover in folder.parent.glob(".discarded-*"):  # from a run killed while deleting
        shutil.rmtree(leftover, ignore_errors=True)
    if not folder.is_dir():
        return
    doomed = folder.with_name(f".discarded-{folder.name}-{os.getpid()}")
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
