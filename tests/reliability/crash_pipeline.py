"""The default pipeline plus crash hooks: ``xstilts sweep run --pipeline crash_pipeline``.

Test-only. The sweep imports a pipeline module by name in the driver and in every worker, so
this module is how the crash harness reaches inside both without any hook in ``src/``. With
``XSTILTS_TEST_CRASH=<point>:<n>`` set, the n-th time a process reaches <point> it SIGKILLs the
sweep driver and itself (power loss at a chosen instant); without it this module *is* the
default pipeline.

    checkpoint_write  worker: a checkpoint, best-weights or encoder folder's files are written
                      under its staging name, no manifest yet, not renamed into place
    phase_done        worker: a phase's DONE.json was just written
    store_write       driver: inside ResultStore.record's transaction, before COMMIT
"""

from __future__ import annotations

import os
import signal

from xstilts.pipeline import phases
from xstilts.store import sqlite as store_sqlite
from xstilts.sweep.adapter import load_config, plan_trial, run_trial, time_phase_step  # noqa: F401
from xstilts.train import checkpoint

CRASH_ENV = "XSTILTS_TEST_CRASH"


def power_loss(worker: bool) -> None:
    """SIGKILL the driver (a worker's parent) and this process: nothing gets to clean up."""
    if worker:
        os.kill(os.getppid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


class Countdown:
    def __init__(self, remaining: int, worker: bool):
        self.remaining, self.worker = remaining, worker

    def tick(self) -> None:
        self.remaining -= 1
        if self.remaining == 0:
            power_loss(self.worker)


def _hook_checkpoint_write(countdown: Countdown) -> None:
    original = checkpoint.write_verified_dir

    def write_verified_dir(target, write_files):
        def write_then_tick(folder):
            write_files(folder)
            countdown.tick()

        return original(target, write_then_tick)

    # The trainer's checkpoints and best weights, and the phases' trained encoders.
    checkpoint.write_verified_dir = phases.write_verified_dir = write_verified_dir


def _hook_phase_done(countdown: Countdown) -> None:
    original = phases._finish

    def finish(out, record, extra):
        done = original(out, record, extra)
        countdown.tick()
        return done

    phases._finish = finish


def _hook_store_write(countdown: Countdown) -> None:
    original = store_sqlite.ResultStore._replace_scores

    def replace_scores(self, db, result):
        original(self, db, result)
        countdown.tick()

    store_sqlite.ResultStore._replace_scores = replace_scores


HOOKS = {  # point -> (installer, reached in a worker?)
    "checkpoint_write": (_hook_checkpoint_write, True),
    "phase_done": (_hook_phase_done, True),
    "store_write": (_hook_store_write, False),
}


def install_from_environment() -> None:
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, count = spec.partition(":")
    install, worker = HOOKS[point]
    install(Countdown(int(count), worker))


install_from_environment()
