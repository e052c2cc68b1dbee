import pickle
import sqlite3

import pytest
import torch
from safetensors.torch import save

from neurolab.errors import ProjectFileError
from neurolab.events import CandidateRecord, GenerationFinished
from neurolab.store import SCHEMA_VERSION, ProjectStore


def _record(cid: int, val: float | None, status: str = "ok") -> CandidateRecord:
    return CandidateRecord(
        candidate_id=cid,
        generation=0,
        genome={"layers": [], "optimizer": "adam"},
        status=status,
        val_metric=val,
        test_metric=val,
        train_metric=val,
        params=3,
        epochs=2,
        seconds=0.1,
        train_losses=(1.0, 0.5),
        val_losses=(1.1, 0.6),
        parents=(1,),
        origin="mutation:width",
    )


def _filled(path):
    store = ProjectStore(path)
    run = store.create_run({"name": "t"}, "accuracy", "cpu", ["a note"])
    weights = save({"0.weight": torch.ones(2, 2), "0.bias": torch.zeros(2)})
    store.add_candidate(run, _record(1, 0.8), weights)
    store.add_candidate(run, _record(2, 0.9))
    store.add_candidate(run, _record(3, None, "failed"))
    store.add_generation(run, GenerationFinished(0, 0.9, 0.85, 0.8, 3, 1, 0.9, 2, 1.5), {"g": 1})
    store.finish_run(run, "finished", 2.0)
    return store, run


def test_round_trip(tmp_path):
    store, run = _filled(tmp_path / "p.nlab")
    store.close()
    with ProjectStore(tmp_path / "p.nlab", create=False) as again:
        info = again.latest_run()
        assert (info.status, info.metric, info.data_notes) == ("finished", "accuracy", ("a note",))
        records = again.candidates(run)
        assert [r.candidate_id for r in records] == [1, 2, 3]
        assert records[0] == _record(1, 0.8)
        assert again.best(run).candidate_id == 2
        assert again.generations(run)[0].best_candidate_id == 2
        assert again.engine_state(run) == (0, {"g": 1})
        assert torch.equal(again.load_weights(run, 1)["0.weight"], torch.ones(2, 2))
        assert again.load_weights(run, 2) is None


def test_keep_weights_prunes_the_rest(tmp_path):
    store, run = _filled(tmp_path / "p.nlab")
    store.keep_weights(run, {2})
    assert store.load_weights(run, 1) is None
    store.close()


def test_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "x.nlab"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a project")
    with pytest.raises(ProjectFileError, match="not a NeuroLab project file"):
        ProjectStore(path)
    assert path.read_bytes().startswith(b"PK")


def test_foreign_sqlite_is_refused(tmp_path):
    path = tmp_path / "other.nlab"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(ProjectFileError, match="not a NeuroLab project"):
        ProjectStore(path)


def test_newer_schema_is_refused(tmp_path):
    store, _ = _filled(tmp_path / "p.nlab")
    store.close()
    with sqlite3.connect(tmp_path / "p.nlab") as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(ProjectFileError, match="newer NeuroLab"):
        ProjectStore(tmp_path / "p.nlab")


def test_truncated_file_is_refused(tmp_path):
    store, _ = _filled(tmp_path / "p.nlab")
    store.close()
    data = (tmp_path / "p.nlab").read_bytes()
    (tmp_path / "cut.nlab").write_bytes(data[: len(data) // 3])
    with pytest.raises(ProjectFileError):
        s = ProjectStore(tmp_path / "cut.nlab")
        s.candidates(1)


class _Payload:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('ran')",))


def test_pickle_payload_in_weights_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store, run = _filled(tmp_path / "p.nlab")
    store.close()
    with sqlite3.connect(tmp_path / "p.nlab") as db:
        db.execute("UPDATE weights SET data=?", (pickle.dumps(_Payload()),))
    with (
        ProjectStore(tmp_path / "p.nlab", create=False) as again,
        pytest.raises(ProjectFileError, match="damaged"),
    ):
        again.load_weights(run, 1)
    assert not (tmp_path / "PWNED").exists()


def test_ties_on_the_metric_go_to_the_smaller_network_everywhere(tmp_path):
    """The runner (live), the project file and the GUI pick the same best among ties."""
    from dataclasses import replace

    from neurolab.ranking import rank
    from neurolab.run_state import RunState

    records = [
        replace(_record(1, 0.9), params=500),
        replace(_record(2, 0.95), params=900),
        replace(_record(3, 0.95), params=40),  # as good as 2, and smaller
        replace(_record(4, 0.95), params=40),  # a later copy of 3
        replace(_record(5, 0.99), status="pruned", params=10),  # pruned: never the best
    ]
    state = RunState(0.0, 1, None)
    for record in records:
        state.offer(record)
    with ProjectStore(tmp_path / "t.nlab") as store:
        run = store.create_run({"name": "t"}, "accuracy", "cpu", [])
        for record in records:
            store.add_candidate(run, record)
        stored = store.best(run)
    assert state.best.candidate_id == stored.candidate_id == 3
    assert min(records, key=rank).candidate_id == 3
