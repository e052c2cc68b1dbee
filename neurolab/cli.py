"""`neurolab-run`: the headless front end on the same engine as the desktop app.

Exit codes: 0 done, 1 the run failed, 2 bad input (one line on stderr), 130 interrupted by
Ctrl-C (everything finished so far is in the project file).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    from neurolab import __version__

    parser = argparse.ArgumentParser(
        prog="neurolab-run",
        description="Evolve neural networks headless: run an experiment into a project file.",
    )
    parser.add_argument("--version", action="version", version=f"neurolab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run an experiment (from a spec file and/or flags)")
    run.add_argument("spec", nargs="?", help="experiment spec (TOML); flags override it")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--dataset", metavar="NAME", help="a built-in dataset (see `datasets`)")
    source.add_argument("--data", metavar="FILE", help="a CSV file")
    run.add_argument("--target", metavar="COLUMN", help="the CSV column to predict")
    run.add_argument("--features", metavar="A,B,..", help="only these CSV columns as features")
    run.add_argument("--task", choices=["classification", "regression"])
    run.add_argument("--engine", choices=["ga", "random", "optuna"])
    run.add_argument(
        "--mode",
        choices=["train", "inherit", "neuroevolution"],
        help="train from scratch, inherit parents' weights, or evolve weights without gradients",
    )
    run.add_argument(
        "--objectives", metavar="metric[,params]", help="metric,params = NSGA-II (two objectives)"
    )
    run.add_argument(
        "--sampler", choices=["tpe", "cmaes", "random", "nsga2"], help="with --engine optuna"
    )
    run.add_argument(
        "--pruner",
        choices=["none", "median", "halving", "hyperband"],
        help="with --engine optuna: stop candidates whose validation loss lags",
    )
    run.add_argument(
        "--storage",
        metavar="URL|FILE",
        help="with --engine optuna: share the study (Optuna RDB URL or journal file)",
    )
    run.add_argument("--population", type=int, metavar="N")
    run.add_argument("--generations", type=int, metavar="N")
    run.add_argument("--budget-seconds", type=float, metavar="S", help="stop after S seconds")
    run.add_argument(
        "--finalists",
        type=int,
        metavar="N",
        help="cross-validate the best N after the search to choose the best (0: off)",
    )
    run.add_argument("--workers", type=int, metavar="N", help="1 = in-process; more = a pool")
    run.add_argument("--device", metavar="auto|cpu|cuda|cuda:N")
    run.add_argument(
        "--candidates-per-gpu", type=int, metavar="N", help="worker slots per GPU (CUDA only)"
    )
    run.add_argument(
        "--candidate-timeout",
        type=float,
        metavar="S",
        help="fail a candidate that trains longer than S seconds (implies a worker process)",
    )
    run.add_argument(
        "--memory-limit",
        type=int,
        metavar="MB",
        help="fail a candidate whose worker allocates more than MB megabytes beyond its start",
    )
    run.add_argument("--backend", choices=["local", "ray"], help="ray: on a Ray cluster")
    run.add_argument("--address", metavar="auto|ray://HOST:PORT", help="with --backend ray")
    run.add_argument("--gpus-per-candidate", type=float, metavar="F", help="with --backend ray")
    run.add_argument("--seed", type=int, metavar="N")
    run.add_argument("--out", metavar="FILE.nlab", help="project file (default: NAME.nlab)")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    resume = commands.add_parser("resume", help="continue an interrupted run of a project file")
    resume.add_argument("project", metavar="FILE.nlab")
    resume.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    show = commands.add_parser(
        "show", help="summarise a project file: best network, importances, history, trials"
    )
    show.add_argument("project", metavar="FILE.nlab")
    show.add_argument("--trials", action="store_true", help="list every trial, not the top 10")
    show.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    export = commands.add_parser(
        "export", help="write a trained network with its preprocessing and a predict.py"
    )
    export.add_argument("project", metavar="FILE.nlab")
    export.add_argument("--candidate", default="best", metavar="best|ID")
    export.add_argument("--format", required=True, choices=["torchscript", "onnx", "safetensors"])
    export.add_argument("--out", required=True, metavar="DIR", help="folder to write into")

    report = commands.add_parser(
        "report", help="write an HTML report with plots and the candidates table (CSV, Parquet)"
    )
    report.add_argument("project", metavar="FILE.nlab")
    report.add_argument("--out", metavar="DIR", help="folder to write into (default: NAME_report)")
    report.add_argument(
        "--table", metavar="FILE.csv|FILE.parquet", help="write only the candidates table"
    )

    commands.add_parser("datasets", help="list the built-in datasets")
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # a frozen app's spawned workers must not re-run main
    argv = list(sys.argv[1:] if argv is None else argv)
    # `neurolab-run SPEC.toml ...` is shorthand for `neurolab-run run SPEC.toml ...`.
    if argv and argv[0].endswith(".toml"):
        argv.insert(0, "run")
    args = _parser().parse_args(argv)

    from neurolab.errors import NeuroLabError

    try:
        if args.command == "run":
            return _run(args)
        if args.command == "resume":
            return _resume(args)
        if args.command == "show":
            return _show(args)
        if args.command == "export":
            return _export(args)
        if args.command == "report":
            return _report(args)
        return _datasets()
    except NeuroLabError as exc:
        print(f"neurolab-run: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("neurolab-run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# --- run ----------------------------------------------------------------------------------
def _spec_from_args(args: argparse.Namespace):
    from neurolab.errors import SpecError
    from neurolab.spec import ExperimentSpec

    if args.spec:
        spec = ExperimentSpec.from_toml(args.spec)
    elif args.dataset or args.data:
        name = args.dataset or Path(args.data).stem
        spec = ExperimentSpec.from_dict({"name": name, "data": _data_section(args)})
    else:
        raise SpecError(
            "nothing to run: give a spec file, --dataset NAME or --data FILE --target COLUMN"
        )
    overrides: dict[str, Any] = {}
    if args.spec and (args.dataset or args.data):
        overrides["data"] = _data_section(args)
    elif args.features or args.target:
        if spec.data.csv is None:
            raise SpecError("--target and --features apply to a CSV (--data FILE)")
        if args.target:
            overrides["data.target"] = args.target
        if args.features:
            overrides["data.features"] = _split(args.features)
    for flag, key in (
        ("task", "task"),
        ("mode", "mode"),
        ("engine", "engine.kind"),
        ("sampler", "engine.sampler"),
        ("pruner", "engine.pruner"),
        ("storage", "engine.storage"),
        ("population", "engine.population"),
        ("generations", "budget.generations"),
        ("budget_seconds", "budget.seconds"),
        ("finalists", "training.finalists"),
        ("workers", "execution.workers"),
        ("device", "execution.device"),
        ("candidates_per_gpu", "execution.candidates_per_gpu"),
        ("candidate_timeout", "execution.candidate_timeout"),
        ("memory_limit", "execution.memory_limit_mb"),
        ("backend", "execution.backend"),
        ("address", "execution.address"),
        ("gpus_per_candidate", "execution.gpus_per_candidate"),
        ("seed", "seed"),
    ):
        if getattr(args, flag) is not None:
            overrides[key] = getattr(args, flag)
    if args.objectives is not None:
        overrides["engine.objectives"] = _split(args.objectives)
    return spec.with_overrides(overrides) if overrides else spec


def _data_section(args: argparse.Namespace) -> dict[str, Any]:
    from neurolab.errors import SpecError

    if args.dataset:
        if args.target or args.features:
            raise SpecError("--target and --features apply to a CSV (--data FILE), not --dataset")
        return {"name": args.dataset}
    if not args.target:
        raise SpecError(f"--data {args.data}: also give --target COLUMN (the column to predict)")
    section: dict[str, Any] = {"csv": str(Path(args.data).resolve()), "target": args.target}
    if args.features:
        section["features"] = _split(args.features)
    return section


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _run(args: argparse.Namespace) -> int:
    from neurolab.data import load_data
    from neurolab.runner import Runner
    from neurolab.store import ProjectStore
    from neurolab.store_checks import remove_sidecars

    spec = _spec_from_args(args)
    out = Path(args.out or f"{spec.name}.nlab")
    # Check everything a user can get wrong before the project file is touched.
    data = load_data(spec.data, spec.task, spec.seed)
    if spec.engine.kind == "optuna":
        from neurolab.search import make_engine

        make_engine(spec)  # a missing sampler package or a storage that cannot be opened
    # Refuses a file that is not a project, or one (or a folder) that cannot be written. A new
    # file made only for this check goes again: the run makes it, and a run refused before it
    # starts (an unreachable cluster) leaves nothing behind.
    existed = out.exists()
    ProjectStore(out).close()
    if not existed:
        out.unlink(missing_ok=True)
        remove_sidecars(out)
    return _execute(Runner(spec, out, data=data), args.json)


def _resume(args: argparse.Namespace) -> int:
    from neurolab.cli_summary import print_summary
    from neurolab.data import load_data
    from neurolab.runner import Runner
    from neurolab.store import ProjectStore

    with ProjectStore(args.project, read_only=True) as store:
        run = store.latest_run()
        if run is not None and run.status == "finished":
            print(f"run {run.run_id} already finished", file=sys.stderr)
            print_summary(store, run.run_id, args.json)
            return EXIT_OK
    ProjectStore(args.project, create=False).close()  # it must be writable to go on
    runner = Runner.resuming(args.project)
    spec = runner.spec
    runner.data = load_data(spec.data, spec.task, spec.seed)
    return _execute(runner, args.json)


def _execute(runner, as_json: bool) -> int:
    """Run with progress on stderr; print the summary; map the outcome to an exit code."""
    from neurolab.cli_progress import ProgressPrinter
    from neurolab.cli_summary import print_summary
    from neurolab.errors import NeuroLabError
    from neurolab.store import ProjectStore

    printer = ProgressPrinter(sys.stderr)
    for note in runner.data.notes:
        printer.note(note)
    runner.sinks.append(printer)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        summary = runner.run()
    except KeyboardInterrupt:
        printer.close()
        print(
            f"neurolab-run: interrupted; finished candidates are kept in {runner.project}"
            f" (continue with: neurolab-run resume {runner.project})",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except NeuroLabError:
        printer.close()
        raise
    except Exception as exc:
        printer.close()
        print(f"neurolab-run: the run failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    printer.close()
    with ProjectStore(runner.project, create=False) as store:
        print_summary(store, summary.run_id, as_json)
    return EXIT_OK


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --- show ---------------------------------------------------------------------------------
def _show(args: argparse.Namespace) -> int:
    from neurolab.cli_insights import format_insights, insights
    from neurolab.cli_summary import print_summary, summary_dict
    from neurolab.errors import ProjectFileError
    from neurolab.store import ProjectStore

    with ProjectStore(args.project, read_only=True) as store:
        run = store.latest_run()
        if run is None:
            raise ProjectFileError(f"{args.project}: the project holds no run yet")
        candidates = store.candidates(run.run_id)
        study = insights(candidates, int(run.spec.get("seed", 0)))
        if args.json:
            print(json.dumps({**summary_dict(store, run.run_id, candidates), "study": study}))
            return EXIT_OK
        print_summary(store, run.run_id, False, candidates)
    print("\n".join(format_insights(study, run.metric, args.trials)))
    return EXIT_OK


# --- export -------------------------------------------------------------------------------
def _export(args: argparse.Namespace) -> int:
    from neurolab.export import MODEL_FILES, export_model

    out = export_model(args.project, args.out, args.format, args.candidate)
    print(
        f"wrote {out / MODEL_FILES[args.format]}, {out / 'neurolab_model.json'} and "
        f"{out / 'predict.py'} (run: python {out / 'predict.py'} rows.csv)"
    )
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from neurolab.report import write_report, write_table

    if args.table:
        print(f"wrote {write_table(args.project, args.table)}")
        return EXIT_OK
    out = Path(args.out or f"{Path(args.project).stem}_report")
    page = write_report(args.project, out)
    written = ", ".join(sorted(p.name for p in out.iterdir()))
    print(f"wrote {page} ({written})")
    return EXIT_OK


# --- datasets -----------------------------------------------------------------------------
def _datasets() -> int:
    from neurolab.data import list_datasets

    rows = list_datasets()
    width = max(len(info.name) for info in rows)
    for info in rows:
        params = ", ".join(f"{k}={v}" for k, v in info.default_params.items())
        print(
            f"{info.name:<{width}}  {info.task:<14}  {info.description}"
            + (f"  [{params}]" if params else "")
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
