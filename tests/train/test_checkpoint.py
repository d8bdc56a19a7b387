import json
import logging

import pytest
import torch

from tiny_training import TinyClassifier
from xstilts.train.checkpoint import CheckpointError, load_weights
from xstilts.train import checkpoint as ckpt
from xstilts.train.schedule import build_optimizer, build_scheduler
from xstilts.train.settings import TrainSettings


def trained_objects(seed=0):
    torch.manual_seed(seed)
    model = TinyClassifier()
    settings = TrainSettings(learning_rate=0.1, batch_size=2, micro_batch_size=2)
    optimizer = build_optimizer(model, settings)
    scheduler = build_scheduler(optimizer, settings, total_steps=10)
    for _ in range(2):  # give AdamW some state
        loss = model(torch.randint(1, 40, (2, 5)), torch.ones(2, 5), torch.tensor([0, 1])).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return model, optimizer, scheduler


def save(root, step, model, optimizer, scheduler, keep=2):
    return ckpt.save_checkpoint(root, step, model, optimizer, scheduler, {"run": {"best": {}}, "step": step}, keep)


def flip_byte(path, offset=-1):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_restore_brings_back_weights_optimizer_scheduler_and_rng(tmp_path):
    model, optimizer, scheduler = trained_objects()
    torch.manual_seed(123)
    path = save(tmp_path, 2, model, optimizer, scheduler)
    expected_draw = torch.rand(3)

    fresh, fresh_optimizer, fresh_scheduler = trained_objects(seed=1)
    torch.manual_seed(999)
    state = ckpt.restore_checkpoint(path, fresh, fresh_optimizer, fresh_scheduler, torch.device("cpu"))
    assert state["step"] == 2
    assert torch.equal(torch.rand(3), expected_draw)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, fresh.state_dict()[name])
    saved_adam, restored_adam = optimizer.state_dict()["state"], fresh_optimizer.state_dict()["state"]
    assert all(torch.equal(saved_adam[k]["exp_avg"], restored_adam[k]["exp_avg"]) for k in saved_adam)
    assert fresh_scheduler.state_dict()["last_epoch"] == scheduler.state_dict()["last_epoch"] == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "extra", "manifest"])
def test_damaged_checkpoints_fail_verification(tmp_path, damage):
    path = save(tmp_path, 1, *trained_objects())
    weights = path / ckpt.WEIGHTS
    {
        "flip": lambda: flip_byte(weights, offset=len(weights.read_bytes()) // 2),
        "truncate": lambda: weights.write_bytes(weights.read_bytes()[:-10]),
        "delete": lambda: (path / "optimizer.pt").unlink(),
        "extra": lambda: (path / "stray.bin").write_bytes(b"x"),
        "manifest": lambda: (path / ckpt.MANIFEST).write_text("{not json"),
    }[damage]()
    with pytest.raises(CheckpointError, match=str(path)):
        ckpt.verify_dir(path)


def test_newest_valid_checkpoint_skips_a_corrupt_newest_with_a_warning(tmp_path, caplog):
    objects = trained_objects()
    older = save(tmp_path, 1, *objects)
    newer = save(tmp_path, 2, *objects)
    flip_byte(newer / "rng.pt")
    with caplog.at_level(logging.WARNING):
        found, corrupt = ckpt.newest_valid_checkpoint(tmp_path)
    assert (found, corrupt) == (older, [newer])
    assert "checksum mismatch in rng.pt" in caplog.text
    ckpt.quarantine(corrupt)
    assert ckpt.checkpoint_dirs(tmp_path) == [older]


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    objects = trained_objects()
    for step in (1, 2, 3):
        save(tmp_path, step, *objects, keep=2)
    assert [p.name for p in ckpt.checkpoint_dirs(tmp_path)] == ["step-00000003", "step-00000002"]


def test_a_writer_that_dies_leaves_no_visible_folder(tmp_path):
    def write_then_fail(folder):
        (folder / "half.bin").write_bytes(b"abc")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ckpt.write_verified_dir(tmp_path / "checkpoints" / "step-00000001", write_then_fail)
    assert list((tmp_path / "checkpoints").iterdir()) == []


def test_staging_leftovers_of_a_killed_writer_are_removed(tmp_path):
    (tmp_path / "checkpoints" / ".tmp-step-00000004-abc").mkdir(parents=True)
    (tmp_path / "best" / "score" / ".tmp-step-00000002-x").mkdir(parents=True)
    ckpt.remove_staging_leftovers(tmp_path)
    assert list((tmp_path / "checkpoints").iterdir()) == [] and list((tmp_path / "best" / "score").iterdir()) == []


def test_best_weights_load_only_when_intact(tmp_path):
    model, _, _ = trained_objects()
    path = ckpt.save_best(tmp_path, "english_dev", 4, model, {"english_dev": 70.0})
    assert json.loads((path / "scores.json").read_text()) == {"english_dev": 70.0}
    fresh = TinyClassifier()
    load_weights(fresh, path)
    assert torch.equal(fresh.head.weight, model.head.weight)
    flip_byte(path / ckpt.WEIGHTS)
    with pytest.raises(CheckpointError, match="checksum mismatch in model.safetensors"):
        load_weights(fresh, path)


def test_unreferenced_best_folders_are_pruned(tmp_path):
    model, _, _ = trained_objects()
    kept = ckpt.save_best(tmp_path, "score", 4, model, {"score": 2.0})
    dropped = ckpt.save_best(tmp_path, "score", 2, model, {"score": 1.0})
    ckpt.prune_best(tmp_path, {kept.resolve()})
    assert kept.is_dir() and not dropped.exists()


def test_selection_keys_must_be_safe_folder_names(tmp_path):
    model, _, _ = trained_objects()
    with pytest.raises(Exception, match="select_on"):
        ckpt.save_best(tmp_path, "../escape", 1, model, {})


def test_frozen_parameters_are_left_out_and_checked_on_load(tmp_path):
    torch.manual_seed(0)
    model = TinyClassifier(dim=64)
    model.embed.weight.requires_grad_(False)
    torch.nn.init.normal_(model.head.weight)
    full = ckpt.save_best(tmp_path / "full", "score", 1, TinyClassifier(dim=64), {"score": 1.0})
    slim = ckpt.save_best(tmp_path, "score", 1, model, {"score": 1.0})
    saved = (full / ckpt.WEIGHTS).stat().st_size - (slim / ckpt.WEIGHTS).stat().st_size
    assert saved >= 0.9 * model.embed.weight.numel() * 4  # the frozen matrix is not in the file (a fingerprint is)

    same_base = TinyClassifier(dim=64)
    same_base.embed.load_state_dict(model.embed.state_dict())
    load_weights(same_base, slim)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, same_base.state_dict()[name]), name

    other_base = TinyClassifier(dim=64)  # different (random) embeddings than the ones trained with
    with pytest.raises(CheckpointError, match="frozen weight embed.weight differs"):
        load_weights(other_base, slim)
