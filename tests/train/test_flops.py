"""Model FLOPs (PaLM's accounting) and the matmul peak probe."""

import json

import pytest
import torch
from transformers import BertConfig, BertModel

from xstilts.train import peak as peak_module
from xstilts.train.flops import EncoderShape, encoder_shape, mean_token_pairs
from xstilts.train.peak import cached_peak, measure_matmul_flops, probe_peak


def test_golden_flops_of_a_training_and_an_evaluation_sequence():
    shape = EncoderShape(params=1000, layers=2, hidden=8)
    # Training, one sequence of 10 tokens: 6*1000*10 + 12*2*8*10^2.
    assert shape.sequence_flops([10], training=True) == 60_000 + 19_200
    # Forward only: a third of each term; two sequences of 3 and 4 tokens.
    assert shape.sequence_flops([3, 4], training=False) == 2 * 1000 * 7 + 4 * 2 * 8 * (9 + 16)


def test_mean_token_pairs_is_exact_for_equal_lengths_and_a_lower_bound_otherwise():
    assert mean_token_pairs(4, 40) == 400
    assert mean_token_pairs(2, 10) <= 3**2 + 7**2
    assert mean_token_pairs(0, 0) == 0.0


def test_encoder_shape_reads_the_wrapped_encoder_and_leaves_out_embeddings():
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=20)
    encoder = BertModel(config, add_pooling_layer=False)
    model = torch.nn.Sequential(encoder, torch.nn.Linear(16, 2))
    shape = encoder_shape(model)
    embeddings = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding))
    assert (shape.layers, shape.hidden) == (3, 16)
    assert shape.params == sum(p.numel() for p in model.parameters()) - embeddings


def test_a_model_without_a_config_has_no_attention_term():
    shape = encoder_shape(torch.nn.Linear(4, 3))
    assert (shape.params, shape.layers) == (15, 0)


def test_probe_measures_a_positive_rate_and_records_it(tmp_path, monkeypatch):
    monkeypatch.setenv(peak_module.PROBE_SECONDS_ENV, "0.02")
    first = probe_peak("fp32", "cpu", cache_dir=tmp_path)
    second = probe_peak("fp32", "cpu", cache_dir=tmp_path)
    assert first.flops_per_s > 1e8 and first.size in peak_module.CPU_SIZES and first.threads == torch.get_num_threads()
    data = json.loads((tmp_path / peak_module.CACHE_FILE).read_text())
    assert len(data[first.key]["samples"]) == 2
    assert cached_peak(first.device, "fp32", first.threads, tmp_path) == pytest.approx(
        (first.flops_per_s + second.flops_per_s) / 2)
    assert cached_peak(first.device, "bf16", first.threads, tmp_path) is None


def test_probing_off_gives_no_probe_and_a_bad_setting_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(peak_module.PROBE_SECONDS_ENV, "0")
    assert probe_peak("fp32", cache_dir=tmp_path) is None
    monkeypatch.setenv(peak_module.PROBE_SECONDS_ENV, "fast")
    with pytest.raises(ValueError, match=peak_module.PROBE_SECONDS_ENV):
        probe_peak("fp32", cache_dir=tmp_path)


def test_probe_counts_two_flops_per_multiply_add(monkeypatch):
    times = iter([1.0] * 100)
    monkeypatch.setattr(peak_module, "_call_seconds", lambda a, b, device: next(times))
    probe = measure_matmul_flops("fp32", "cpu", seconds=0.0)
    assert probe.flops_per_s == pytest.approx(2 * probe.size**3)


def test_an_unreadable_cache_is_ignored(tmp_path):
    (tmp_path / peak_module.CACHE_FILE).write_text("not json")
    assert cached_peak("cpu", "fp32", 1, tmp_path) is None
