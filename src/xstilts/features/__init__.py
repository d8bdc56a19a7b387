"""Featurization: examples → tokenized features (with back-references), batching, caching,
and predictions mapped back to examples."""

from xstilts.features.batching import in_feature_order, length_grouped_batches, padding_stats
from xstilts.features.cache import cached_featurize, feature_cache_key, tokenizer_fingerprint
from xstilts.features.collate import make_collate
from xstilts.features.featureset import FeatureSet
from xstilts.features.labels import IGNORE_INDEX
from xstilts.features.qa_postprocess import postprocess_qa
from xstilts.features.registry import FEATURIZER_VERSION, FEATURIZERS, featurize
from xstilts.features.storage import load_feature_set, save_feature_set
from xstilts.features.tagging import tags_from_logits, truncated_word_count

__all__ = [
    "FEATURIZERS",
    "FEATURIZER_VERSION",
    "IGNORE_INDEX",
    "FeatureSet",
    "cached_featurize",
    "feature_cache_key",
    "featurize",
    "in_feature_order",
    "length_grouped_batches",
    "load_feature_set",
    "make_collate",
    "padding_stats",
    "postprocess_qa",
    "save_feature_set",
    "tags_from_logits",
    "tokenizer_fingerprint",
    "truncated_word_count",
]
