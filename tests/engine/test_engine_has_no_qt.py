import pkgutil
import subprocess
import sys

import neurolab


def test_engine_modules_never_import_qt():
    modules = [
        info.name
        for info in pkgutil.walk_packages(neurolab.__path__, "neurolab.")
        if not info.name.startswith("neurolab.ui")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken6')))\n"
        "assert not bad, bad\n"
        "print(len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(modules) > 10
