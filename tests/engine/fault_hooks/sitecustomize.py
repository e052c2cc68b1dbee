"""Fault injection for tests: loaded by every Python process started with this folder on
PYTHONPATH (spawned workers included). Candidates whose seed is listed in NEUROLAB_TEST_FAULTS
("SEED:exit,SEED:raise") crash their worker with os._exit(1) or raise inside training."""

import os

_FAULTS = dict(
    item.split(":") for item in os.environ.get("NEUROLAB_TEST_FAULTS", "").split(",") if item
)

if _FAULTS:
    import neurolab.execution.worker as worker

    _train = worker.train_candidate

    def _faulty_train(genome, data, *, seed, **kwargs):
        fault = _FAULTS.get(str(seed))
        if fault == "exit":
            os._exit(1)
        if fault == "raise":
            raise RuntimeError("injected fault")
        return _train(genome, data, seed=seed, **kwargs)

    worker.train_candidate = _faulty_train
