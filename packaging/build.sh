#!/usr/bin/env bash
# Build the NeuroLab folder app with PyInstaller, then smoke-test the frozen programs headless.
# A person runs this (it takes minutes); CI does not. Needs: pip install pyinstaller, and
# NeuroLab's dependencies (plus optionally "neurolab[report]") in the Python that runs it.
#
#   bash packaging/build.sh                 # build into /tmp/neurolab-build/dist/NeuroLab
#   NEUROLAB_BUILD_DIR=out bash packaging/build.sh
#   bash packaging/build.sh --smoke-only    # test an existing build again
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${NEUROLAB_BUILD_DIR:-/tmp/neurolab-build}"
mkdir -p "$BUILD"
BUILD="$(cd "$BUILD" && pwd)"
APP="$BUILD/dist/NeuroLab"
PYTHON="${PYTHON:-python3}"

if [ "${1:-}" != "--smoke-only" ]; then
    start=$(date +%s)
    "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/neurolab.spec
    echo "built $APP in $(( $(date +%s) - start )) s"
fi

# --- smoke tests: the frozen programs, outside the source tree, without a screen --------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
unset PYTHONPATH
export QT_QPA_PLATFORM=offscreen
fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >"$work/out.txt" 2>"$work/err.txt" || \
    { cat "$work/err.txt" >&2; fail "$*"; }; t1=$(date +%s.%N); "$PYTHON" -c "print(round($t1 - $t0, 2))"; }

t=$(seconds "$APP/neurolab-run" --version)
grep -q "^neurolab " "$work/out.txt" || fail "--version printed $(cat "$work/out.txt")"
echo "neurolab-run --version: $(cat "$work/out.txt") in ${t} s"

t=$(seconds "$APP/neurolab-run" datasets)
echo "neurolab-run datasets (imports the data side of the engine): ${t} s"

# A tiny experiment on two worker processes: spawn inside a frozen app needs freeze_support.
t=$(seconds "$APP/neurolab-run" run --dataset xor --population 4 --generations 2 --workers 2 \
    --seed 1 --out tiny.nlab --json)
"$APP/neurolab-run" show tiny.nlab --json >/dev/null || fail "show"
best=$(grep -o '"val": [0-9.]*' "$work/out.txt" | head -1)
[ -n "$best" ] || fail "the run printed no result: $(cat "$work/out.txt")"
echo "tiny run (xor, 6 candidates, 2 workers): ${t} s, best ${best}"
[ "$(pgrep -c -f "$APP/neurolab-run" || true)" = "0" ] || fail "worker processes left running"

t=$(seconds "$APP/neurolab-run" run --dataset moons --engine optuna --population 3 \
    --generations 1 --out optuna.nlab)
echo "tiny Optuna run (moons, 3 trials, in-process): ${t} s"

t=$(seconds "$APP/neurolab-run" export tiny.nlab --format torchscript --out model)
[ -f model/model.pt ] && [ -f model/predict.py ] || fail "export wrote no model"
echo "export (TorchScript): ${t} s"
if "$APP/neurolab-run" report tiny.nlab --out report >/dev/null 2>"$work/err.txt"; then
    echo "report: $(ls report | tr '\n' ' ')"
else
    echo "report: not available in this build ($(tail -1 "$work/err.txt"))"
fi

t=$(seconds "$APP/neurolab" --screenshot shot.png tiny.nlab)
[ -s shot.png ] || fail "no screenshot"
echo "neurolab --screenshot (window, project loaded, saved): ${t} s"
cp shot.png "$BUILD/smoke-screenshot.png"

echo "app size: $(du -sh "$APP" | cut -f1) in $(find "$APP" -type f | wc -l) files ($APP)"
echo "smoke tests passed; screenshot kept at $BUILD/smoke-screenshot.png"
