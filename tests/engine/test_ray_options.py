"""The Ray backend's options, checked without a cluster (these tests need no Ray)."""

from __future__ import annotations

import sys

import pytest

from neurolab.cli import main
from neurolab.errors import ClusterError, SpecError
from neurolab.execution.ray_cluster import actors_that_fit
from neurolab.runner import Runner
from neurolab.spec import ExperimentSpec

from .conftest import tiny_spec


@pytest.mark.parametrize(
    ("execution", "phrase"),
    [
        ({"address": "auto"}, 'execution.address: \'auto\' is not allowed (an address applies to backend = "ray" only)'),
        ({"backend": "ray", "address": "head:port"}, 'give "auto", "ray://HOST:PORT" or "HOST:PORT"'),
        ({"gpus_per_candidate": 0.5}, 'GPU shares apply to backend = "ray" only'),
        ({"backend": "ray", "gpus_per_candidate": 1.5}, "at most 1 (a share of one GPU) or a whole"),
        ({"backend": "ray", "gpus_per_candidate": 0.5, "device": "cpu"}, 'not "cpu"'),
        ({"backend": "slurm"}, "execution.backend: 'slurm' is not allowed"),
    ],
)  # fmt: skip
def test_bad_ray_options_name_the_field(execution, phrase):
    with pytest.raises(SpecError) as err:
        ExperimentSpec.from_dict({"data": {"name": "moons"}, "execution": execution})
    assert phrase in str(err.value)


def test_ray_options_round_trip_through_toml(tmp_path):
    spec = tiny_spec(
        **{
            "execution.backend": "ray",
            "execution.address": "ray://10.0.0.5:10001",
            "execution.gpus_per_candidate": 0.25,
        }
    )
    spec.save_toml(tmp_path / "ray.toml")
    again = ExperimentSpec.from_toml(tmp_path / "ray.toml")
    assert again.execution == spec.execution
    # Specs written before the Ray backend existed still load, as local runs.
    assert ExperimentSpec.from_dict({"data": {"name": "moons"}}).execution.backend == "local"


def test_actors_fit_the_clusters_cpus_and_gpu_shares():
    assert actors_that_fit({"CPU": 16.0}, 4, 0.0) == 4
    assert actors_that_fit({"CPU": 2.0}, 8, 0.0) == 2
    assert actors_that_fit({"CPU": 16.0, "GPU": 2.0}, 16, 0.25) == 8
    assert actors_that_fit({"CPU": 16.0, "GPU": 1.0}, 16, 1 / 3) == 3
    with pytest.raises(ClusterError, match="no room for one worker"):
        actors_that_fit({"CPU": 16.0}, 4, 0.5)


def test_without_ray_a_ray_run_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    spec = tiny_spec(**{"execution.backend": "ray"})
    with pytest.raises(ClusterError, match=r"pip install 'neurolab\[ray\]'"):
        Runner(spec, tmp_path / "never.nlab").run()
    assert not (tmp_path / "never.nlab").exists()  # refused before the project file is made

    code = main(
        ["run", "--dataset", "moons", "--backend", "ray", "--out", str(tmp_path / "x.nlab")]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("neurolab-run: error: the Ray backend needs Ray: pip install")
    assert not (tmp_path / "x.nlab").exists()


def test_cli_flags_set_the_ray_options(tmp_path, capsys):
    out = str(tmp_path / "x.nlab")
    assert main(["run", "--dataset", "moons", "--address", "auto", "--out", out]) == 2
    assert "an address applies to backend" in capsys.readouterr().err
    # An address where nothing answers fails in seconds, before the project file is touched.
    pytest.importorskip("ray")
    args = ["run", "--dataset", "moons", "--backend", "ray", "--address", "127.0.0.1:1"]
    assert main([*args, "--gpus-per-candidate", "0.5", "--out", out]) == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message == (
        "neurolab-run: error: cannot connect to the Ray cluster at 127.0.0.1:1: "
        "nothing answers there (Connection refused)"
    )
    assert not (tmp_path / "x.nlab").exists()
