"""Several `neurolab-run` processes share one Optuna study through a journal file."""

from __future__ import annotations

import os
import subprocess
import sys

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend

from neurolab.errors import SpecError
from neurolab.search import make_engine
from neurolab.store import ProjectStore
from tests.engine.test_optuna_search import ROOT, SHORT_TRAINING, _spec


def test_two_processes_share_one_history(tmp_path):
    spec = tmp_path / "short.toml"
    spec.write_text(SHORT_TRAINING)
    journal = tmp_path / "study.journal"
    args = ["--dataset", "xor", "--engine", "optuna", "--population", "3", "--generations", "2"]
    args += ["--storage", str(journal)]
    env = {**os.environ, "PYTHONPATH": ROOT}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "neurolab.cli", "run", str(spec), *args, "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in (tmp_path / "a.nlab", tmp_path / "b.nlab")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.load_study(study_name="short", storage=storage)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 12  # both processes' 2 x 3 trials, in one history
    assert sorted(t.number for t in trials) == list(range(12))  # no duplicate numbers
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    genomes = []
    for out in ("a.nlab", "b.nlab"):
        with ProjectStore(tmp_path / out, create=False) as store:
            records = store.candidates(1)
            genomes.append([r.genome for r in records])
        assert len(records) == 6
    assert genomes[0] != genomes[1]  # equal seeds, but each process proposes its own trials


def test_a_bad_storage_is_a_spec_error(tmp_path, capsys):
    from neurolab.cli import main

    out = tmp_path / "x.nlab"
    args = ["run", "--dataset", "xor", "--engine", "optuna", "--out", str(out)]
    assert main([*args, "--storage", str(tmp_path / "nowhere" / "j.log")]) == 2
    assert "engine.storage: folder" in capsys.readouterr().err and not out.exists()
    spec = _spec("tpe").with_overrides({"engine.storage": str(tmp_path / "nowhere" / "j.log")})
    with pytest.raises(SpecError, match="engine.storage: folder"):
        make_engine(spec)
    spec = _spec("tpe").with_overrides({"engine.storage": "nosuchdb://x"})
    with pytest.raises(SpecError, match="engine.storage"):
        make_engine(spec)
