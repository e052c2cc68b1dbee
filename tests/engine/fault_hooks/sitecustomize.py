"""Fault injection for tests: loaded by every Python process started with this folder on
PYTHONPATH (spawned workers included). Candidates whose seed is listed in NEUROLAB_TEST_FAULTS
("SEED:exit,SEED:raise,...") misbehave inside training:

- exit: the worker calls os._exit(1);       - raise: training raises RuntimeError;
- hang: training never returns and never checks for a cancel (a deadlock, a C loop);
- slow: every epoch takes two seconds (it still stops when asked, after its epoch);
- alloc: allocates memory until an allocation fails.
"""

import os
import time

_FAULTS = dict(
    item.split(":") for item in os.environ.get("NEUROLAB_TEST_FAULTS", "").split(",") if item
)

if _FAULTS:
    import neurolab.execution.worker as worker

    _train = worker.train_candidate

    def _slow(on_epoch):
        def slow_epoch(*args):
            time.sleep(2.0)
            return on_epoch(*args)

        return slow_epoch

    def _faulty_train(genome, data, *, seed, **kwargs):
        fault = _FAULTS.get(str(seed))
        if fault == "exit":
            os._exit(1)
        if fault == "raise":
            raise RuntimeError("injected fault")
        if fault == "hang":
            while True:
                time.sleep(0.05)
        if fault == "slow":
            kwargs["on_epoch"] = _slow(kwargs["on_epoch"])
        if fault == "alloc":
            hoard = []
            while True:
                hoard.append(bytearray(b"\x01") * (16 << 20))  # touched, so resident
        return _train(genome, data, seed=seed, **kwargs)

    worker.train_candidate = _faulty_train
