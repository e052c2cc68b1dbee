"""The packaging files: entry points call freeze_support first; the spec and .desktop are sound.

The PyInstaller build itself is `bash packaging/build.sh` (minutes), run by a person, not here.
"""

import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _first_call(body: list[ast.stmt]) -> str:
    for node in body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Call), ast.dump(node)
        return ast.unparse(node.value)
    raise AssertionError("empty body")


@pytest.mark.parametrize("launcher", ["neurolab_gui.py", "neurolab_run.py"])
def test_frozen_launchers_call_freeze_support_first(launcher):
    tree = ast.parse((ROOT / "packaging" / launcher).read_text())
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in imports for a in n.names] == ["multiprocessing"]  # nothing heavy
    main_block = next(n for n in tree.body if isinstance(n, ast.If))
    assert ast.unparse(main_block.test) == "__name__ == '__main__'"
    assert _first_call(main_block.body) == "multiprocessing.freeze_support()"


@pytest.mark.parametrize("module", ["neurolab/cli.py", "neurolab/ui/app.py"])
def test_entry_point_mains_call_freeze_support_first(module):
    tree = ast.parse((ROOT / module).read_text())
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    assert _first_call(main.body) == "multiprocessing.freeze_support()"


def test_spec_names_both_programs_and_the_files_they_need():
    spec = (ROOT / "packaging" / "neurolab.spec").read_text()
    compile(spec, "neurolab.spec", "exec")
    for needed in (
        '"neurolab"',
        '"neurolab-run"',
        "predict_script.py",
        "style.qss",
        "neurolab.png",
    ):
        assert needed in spec
    for path in ("resources/neurolab.png", "resources/style.qss", "neurolab/predict_script.py"):
        assert (ROOT / path).exists()


def test_desktop_entry():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "neurolab.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].split()[0] == "neurolab"
    assert desktop["Icon"] == "neurolab" and desktop["Terminal"] == "false"
