"""Reports: the candidates table (CSV, Parquet) and the HTML page with its plots."""

import base64
import importlib.util
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from neurolab.cli import main
from neurolab.export import export_model
from neurolab.runner import Runner
from neurolab.store import ProjectStore

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (comes with matplotlib)

from neurolab.report import candidates_table, write_report  # noqa: E402

from .conftest import tiny_spec  # noqa: E402

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None


@pytest.fixture(scope="module")
def moons(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("moons") / "moons.nlab"
    Runner(tiny_spec(**{"engine.population": 4, "budget.generations": 2}), path).run()
    return path


def _images(page: Path) -> list[Image.Image]:
    found = re.findall(r'src="data:image/png;base64,([^"]+)"', page.read_text())
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def test_report_has_its_plots_and_tables(moons, tmp_path):
    page = write_report(moons, tmp_path / "report")
    text = page.read_text()
    for title in ("Fitness history", "Best network", "Decision boundary", "Metrics"):
        assert f"<h2>{title}</h2>" in text
    images = _images(page)
    assert len(images) == 4
    for image in images:  # real drawings, not blank canvases
        assert image.width >= 500 and len(image.convert("RGB").getcolors(1 << 20)) > 50
    table = pd.read_csv(tmp_path / "report" / "candidates.csv")
    with ProjectStore(moons, create=False) as store:
        run = store.latest_run()
        records = store.candidates(run.run_id)
        best = store.best(run.run_id)
    assert list(table["candidate"]) == [c.candidate_id for c in records]
    # The best is the finalist with the highest cross-validated accuracy.
    assert table.loc[table["cv_accuracy"].idxmax(), "candidate"] == best.candidate_id
    assert table["cv_accuracy"].notna().sum() == min(8, len(records))
    assert f"Best candidate: {best.candidate_id}" in text


@pytest.mark.skipif(not HAS_PYARROW, reason="needs pyarrow")
def test_parquet_table_equals_the_csv(moons, tmp_path, capsys):
    assert main(["report", str(moons), "--table", str(tmp_path / "c.parquet")]) == 0
    assert main(["report", str(moons), "--table", str(tmp_path / "c.csv")]) == 0
    parquet = pd.read_parquet(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(parquet, candidates_table(moons), check_dtype=False)
    assert len(pd.read_csv(tmp_path / "c.csv")) == len(parquet)
    assert main(["report", str(moons), "--table", str(tmp_path / "c.xlsx")]) == 2
    assert "as .csv or .parquet" in capsys.readouterr().err


def test_without_its_csv_a_project_still_reports_and_exports(tmp_path):
    """The preprocessing lives in the project file: export needs no CSV; the boundary does."""
    csv = shutil.copy(EXAMPLES / "customers.csv", tmp_path / "customers.csv")
    project = tmp_path / "c.nlab"
    tiny = ["--population", "3", "--generations", "1"]
    assert (
        main(["run", "--data", str(csv), "--target", "churned", *tiny, "--out", str(project)]) == 0
    )
    Path(csv).unlink()
    page = write_report(project, tmp_path / "report")
    assert "Not drawn: the data cannot be prepared again" in page.read_text()
    assert len(_images(page)) == 3
    out = export_model(project, tmp_path / "model", "safetensors")
    assert (out / "neurolab_model.json").exists()
