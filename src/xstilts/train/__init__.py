"""Training loop, checkpoints and throughput meter.

``loop.train(model, dataset, collate_fn, settings, checkpoint_dir=...)`` trains any module whose
``forward(**batch)`` returns an object with ``.loss`` and returns a ``TrainOutcome``.

Submodules are imported directly (nothing is re-exported here): the run config imports
``train.settings``, and must not pay for importing torch.
"""
