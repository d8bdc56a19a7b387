"""Build the intermediate phase for a task mixture and/or masked-LM mixing (see mixture.py)."""

from __future__ import annotations

from xstilts.data.examples import BitextCorpus, ClassificationExample, TaggingExample
from xstilts.data.splits import read_bitext, read_split
from xstilts.errors import ConfigError
from xstilts.features.collate import make_collate
from xstilts.features.registry import featurize
from xstilts.models.encoder_io import freeze_word_embeddings, load_encoder
from xstilts.models.heads import build_head
from xstilts.models.mlm import MaskedLMHead, masked_lm_collator
from xstilts.models.multitask import MultiTaskModel
from xstilts.pipeline import fitting, inputs
from xstilts.pipeline.context import PhaseContext
from xstilts.pipeline.reads import load_examples
from xstilts.pipeline.mixture import MLM, MixtureDataset, MixtureModel, MixturePart, TaskView, mixture_batch_order, part_probabilities
from xstilts.tasks.registry import get_task

# Sentences a text task contributes to masked-LM, by example type.
SENTENCES = {
    ClassificationExample: lambda e: [e.text_a] + ([e.text_b] if e.text_b else []),
    TaggingExample: lambda e: [" ".join(e.tokens)],
}


def multilingual_text(task: str, limit: int, ctx: PhaseContext) -> list[str]:
    """Up to `limit` non-English sentences of a task, taken round-robin over its languages."""
    spec = get_task(task)
    per_lang: list[list[str]] = []
    split = next(iter(spec.splits))
    for lang in spec.split_languages(split):
        if lang == "en" or not spec.files(ctx.data_dir, split, lang):
            continue
        if spec.kind == "retrieval":
            corpus: BitextCorpus = read_bitext(spec, ctx.data_dir, split, lang)
            per_lang.append(list(corpus.source.values()))
        else:
            per_lang.append([s for e in read_split(spec, ctx.data_dir, split, lang) for s in SENTENCES[type(e)](e)])
    text = [lang_text[i] for i in range(max(map(len, per_lang), default=0)) for lang_text in per_lang if i < len(lang_text)]
    if not text:
        raise ConfigError("intermediate.mlm.text_task", f"{task} has no non-English text under {ctx.data_dir}")
    return text[:limit]


def mixture_intermediate(node, encoder_art, settings, ctx: PhaseContext):
    """(model, TrainingData, evaluator) for a mixture of tasks, plus masked-LM when configured."""
    cfg = ctx.config.intermediate
    encoder = load_encoder(encoder_art.path)
    if ctx.config.model.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    tokenizer = inputs.load_tokenizer(encoder_art.path)
    parts, heads, labels_of = [], {}, {}
    task_reads = {read.ref.task: read for read in node.trains_on if read.key == "intermediate.train_split"}
    for name in cfg.task_names():
        spec = get_task(name)
        examples = load_examples(task_reads[name], ctx.data_dir)
        labels_of[name] = inputs.label_list(name, examples)
        fs = inputs.features(ctx, spec.kind, examples, tokenizer, task=name, split="train", language="en", max_length=cfg.max_length,
                           labels=labels_of[name], **inputs.kind_options(spec.kind, cfg.doc_stride))
        parts.append(MixturePart(name, fs, make_collate(spec.kind, tokenizer.pad_token_id)))
        heads[name] = build_head(spec.kind, encoder.config.hidden_size, len(labels_of[name]) if labels_of[name] else None,
                                 encoder.config.hidden_dropout_prob)
    if cfg.mlm is not None:
        sentences = multilingual_text(cfg.mlm.text_task, cfg.mlm.max_examples, ctx)
        fs = featurize("retrieval", sentences, tokenizer, max_length=cfg.max_length)
        parts.append(MixturePart(MLM, fs, masked_lm_collator(tokenizer, seed=settings.seed)))
        heads[MLM] = MaskedLMHead(encoder)
    dataset = MixtureDataset(parts)
    order = mixture_batch_order(dataset, part_probabilities(dataset, cfg.sampler, cfg.temperature, cfg.mlm.weight if cfg.mlm else 0.0), settings.seed)
    model = MixtureModel(MultiTaskModel(encoder, heads))
    first = cfg.task_names()[0]
    geometry = fitting.Geometry(cfg.max_length, cfg.doc_stride)
    evaluator = fitting.english_dev_evaluator(get_task(first), node.selects_on, geometry=geometry, encoder_dir=encoder_art.path,
                                               labels=labels_of[first], ctx=ctx)
    if evaluator is not None:
        score = evaluator.fn
        evaluator = fitting.Evaluator(fn=lambda m: score(TaskView(m.model, first)), select_on=evaluator.select_on)
    examples = sum(len(p.features) for p in parts)
    return model, fitting.TrainingData(dataset, dataset.collate, order, examples), evaluator
