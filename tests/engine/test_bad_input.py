"""The bad-input corpus (`tests/data/bad/`): every file gives its own one-line message and exit
code 2 from `neurolab-run`, never a traceback, and no project file is written.

Every file in the folder must be listed here, so the corpus cannot grow untested. Two more are
made by the tests: 10,000 columns and a file too large to read (sparse, so it costs no disk).
"""

from pathlib import Path

import pytest

from neurolab.cli import main
from neurolab.data import load_data
from neurolab.spec import DataSpec

DATA = Path(__file__).parents[1] / "data"
BAD = DATA / "bad"

CORPUS = {
    # --- CSV files (target "label") ---
    "all_missing_features.csv": "'x1': empty: no values; 'x2': empty: no values",
    "binary.csv": "not a text file (it contains binary data)",
    "constant_target.csv": "only one class ('5' in all 30 rows)",
    "duplicate_header.csv": "duplicate column names in the header: 'age' in columns 2 and 4",
    "empty.csv": "the file is empty",
    "excel.csv": "looks like an Excel workbook",
    "gzip.csv": "looks like a gzip-compressed file; decompress it first",
    "header_only.csv": "a header line but no data rows",
    "header_only_crlf.csv": "a header line but no data rows",
    "headerless.csv": "the first line looks like data, not column names",
    "html.csv": "looks like a web page or XML",
    "infinite.csv": "column 'ratio' holds 3 infinite values",
    "json.csv": "looks like JSON, not CSV",
    "latin1.csv": "not UTF-8 text: byte 0xEB at position 65 (line 6)",
    "no_features.csv": "no usable feature column besides the target",
    "one_class.csv": "only one class ('yes' in all 20 rows)",
    "one_row.csv": "only 1 usable data row; at least 10 are needed",
    "only_delimiters.csv": "the file is empty",
    "ragged.csv": "line 8 has 4 fields but the header has 3 columns",
    "target_all_missing.csv": "the target column 'label' is empty in every row",
    "unclosed_quote.csv": "a quoted value that starts near line 10 is never closed",
    "whitespace_only.csv": "the file is empty",
    # --- experiment specs ---
    "both_sources.toml": "give either a built-in dataset `name` or a `csv` path, not both",
    "csv_without_target.toml": "a CSV needs a `target` column",
    "elites_too_many.toml": "elites (4) must be fewer than population (4)",
    "empty.toml": "data: required but missing",
    "latin1.toml": "not a UTF-8 text file",
    "min_above_max.toml": "min_width (64) must not exceed max_width (8)",
    "missing_csv.toml": "missing.csv: file not found",
    "negative_timeout.toml": "execution.candidate_timeout: -5 is not allowed",
    "newer_version.toml": "spec version 99 is newer than this NeuroLab understands",
    "not_toml.toml": "not valid TOML",
    "unknown_dataset.toml": "unknown built-in dataset 'mnist'",
    "unknown_key.toml": "engine.populaton: unknown key",
    "unknown_section.toml": "trainer: unknown key",
    "wrong_type_list.toml": "search_space.activations: 'relu' is not allowed",
    "wrong_type_number.toml": "engine.population: 'many' is not allowed",
    "zero_workers.toml": "execution.workers: 0 is not allowed",
}


def test_every_file_in_the_corpus_is_checked():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CORPUS)
    assert len(CORPUS) >= 25


def refused(path: Path, out: Path, capsys) -> str:
    """Run the file through the CLI; assert exit 2, one line, no traceback; return the line."""
    if path.suffix == ".toml":
        args = ["run", str(path)]
    else:
        args = ["run", "--data", str(path), "--target", "label"]
    capsys.readouterr()
    assert main([*args, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("neurolab-run: error: ") and not captured.out
    assert not out.exists()  # bad input never touches a project file
    return err


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_input_gives_its_own_line_and_exit_2(name, tmp_path, capsys):
    assert CORPUS[name] in refused(BAD / name, tmp_path / "p.nlab", capsys)


def test_10000_columns_are_refused_by_name(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(9_999)) + ",label"
    rows = "".join(",".join(["0.5"] * 9_999) + f",{'ab'[r % 2]}\n" for r in range(30))
    path.write_text(header + "\n" + rows)
    err = refused(path, tmp_path / "p.nlab", capsys)
    assert "wide.csv: 10,000 columns, more than NeuroLab works with (at most 2,000)" in err


def test_a_file_too_large_to_read_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"x,label\n1,a\n")
        handle.truncate(600 << 20)  # 600 MB, sparse: nothing is written or read
    err = refused(path, tmp_path / "p.nlab", capsys)
    assert "huge.csv: the file is 600 MB, more than NeuroLab reads (at most 512 MB)" in err


def test_mixed_types_in_a_target_are_handled_with_a_note():
    # Handled, not refused (like a BOM, semicolons or quoted newlines: see test_data_csv).
    data = load_data(DataSpec(csv=str(DATA / "good" / "mixed_types.csv"), target="x2"), None, 0)
    assert data.task == "regression"
    assert "dropped 10 rows whose target is not a number ('two')" in data.notes
