"""Command line: cw-pophealth build, pull and reports.

``build``
    Build ``data/processed/indicators.parquet`` from the offline extracts (no network).
``pull``
    Pull indicators from the Fingertips API (or, with ``--offline``, from the raw cache) into
    ``data/raw/`` and write the tidy table.
``reports``
    Run every notebook in the reports config through papermill into ``reports/``.

Exit status is 0 on success; 2 for anything the user can correct (a bad argument, parameter,
setting or config file, or a data folder that cannot be written); 1 for any other failure (the
API down, a notebook that failed). Errors are printed as plain sentences that say what to do,
never a traceback (``--verbose`` shows it).
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from pathlib import Path

from cw_pophealth import __version__
from cw_pophealth.config import get_settings
from cw_pophealth.errors import ConfigError, CwPopHealthError, ParameterError

logger = logging.getLogger("cw_pophealth")


def _csv_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _area_type_ids(text: str) -> list[int]:
    """``--area-types``: comma-separated whole numbers (argparse reports anything else)."""
    values = _csv_list(text) or []
    bad = [v for v in values if not v.isdigit()]
    if bad or not values:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of area-type ids: give whole numbers separated by commas, "
            "e.g. 502,501 (counties & UAs, districts & UAs); list them with "
            "cw_pophealth.fingertips.area_types()")
    return [int(v) for v in values]


def _positive_int(text: str) -> int:
    """A whole number of at least 1 (argparse reports anything else)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


#: What to say for operating-system errors a user can fix.
_OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, or set CW_POPHEALTH_DATA / "
                  "CW_POPHEALTH_REPORTS to a folder on another disk",
    errno.EROFS: "the file system is read-only: set CW_POPHEALTH_DATA / CW_POPHEALTH_REPORTS to "
                 "a writable folder",
    errno.EACCES: "permission denied: make the folder writable, or set CW_POPHEALTH_DATA / "
                  "CW_POPHEALTH_REPORTS to a folder you can write",
    errno.EPERM: "permission denied: make the folder writable, or set CW_POPHEALTH_DATA / "
                 "CW_POPHEALTH_REPORTS to a folder you can write",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check CW_POPHEALTH_DATA / "
                   "CW_POPHEALTH_REPORTS",
}


def _os_error_message(exc: OSError) -> str:
    where = exc.filename or "a file"
    advice = _OS_ADVICE.get(exc.errno or 0, "check that the path exists and can be written")
    return f"could not use {where} ({exc.strerror or exc}): {advice}."


def _cmd_build(args: argparse.Namespace) -> int:
    from cw_pophealth import snapshot
    from cw_pophealth.arrow_memory import use_lean_pool

    use_lean_pool()
    settings = get_settings()
    if args.if_stale and snapshot.is_current(settings):
        logger.info("%s is up to date with the extracts and the code; not rebuilt",
                    settings.indicators_table)
        return 0
    table = snapshot.build_snapshot(settings)
    logger.info("Built %s (%d rows, %d current), %s and %s from %s",
                settings.indicators_table, len(table), int(table["current"].sum()),
                settings.burden_table.name, settings.local_estimates_table.name,
                settings.extracts_dir)
    return 0


def _cmd_pull(args: argparse.Namespace) -> int:
    from cw_pophealth import fingertips
    from cw_pophealth.arrow_memory import use_lean_pool

    use_lean_pool()
    settings = get_settings(offline=args.offline or get_settings().offline)
    table = fingertips.pull(
        indicators=_csv_list(args.indicators),
        area_codes=_csv_list(args.areas),
        area_type_ids=args.area_types,
        settings=settings,
        progress=not args.no_progress,
    )
    logger.info("Pulled %d rows into %s", len(table), settings.indicators_table)
    return 0


def _cmd_reports(args: argparse.Namespace) -> int:
    from cw_pophealth.runner import run_reports
    from cw_pophealth.runner.state import LOCK_WAIT

    settings = get_settings()
    config = Path(args.config) if args.config else settings.reports_config
    summary = run_reports(
        config, settings=settings, jobs=args.jobs, force=args.force, only=_csv_list(args.only),
        executor=args.executor, dask_address=args.dask_address,
        wait=0.0 if args.no_wait else LOCK_WAIT, fresh_kernels=args.fresh_kernels,
    )
    logger.info("%s", summary)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and ``--help``)."""
    parser = argparse.ArgumentParser(prog="cw-pophealth", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging, tracebacks")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p_build = sub.add_parser("build", help="build the tidy table from the offline extracts")
    p_build.add_argument("--if-stale", action="store_true",
                         help="rebuild only if the extracts or the code changed since the last "
                              "build, or the table was damaged, edited or replaced by a pull")
    p_build.set_defaults(func=_cmd_build)

    p_pull = sub.add_parser("pull", help="pull indicators from the Fingertips API")
    p_pull.add_argument("--offline", action="store_true",
                        help="serve every request from data/raw (no network)")
    p_pull.add_argument("--indicators", help="comma-separated Fingertips ids or catalogue keys "
                                             "(default: the core indicators)")
    p_pull.add_argument("--areas", help="comma-separated area codes to keep (default: all)")
    p_pull.add_argument("--area-types", type=_area_type_ids,
                        help="comma-separated Fingertips area-type ids (default: 502,501)")
    p_pull.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p_pull.set_defaults(func=_cmd_pull)

    p_rep = sub.add_parser("reports", help="run the notebooks into reports/")
    p_rep.add_argument("--config", help="YAML of report parameters (default config/reports.yaml)")
    p_rep.add_argument("--jobs", type=_positive_int, default=2,
                       help="notebooks run in parallel")
    p_rep.add_argument("--force", action="store_true", help="re-run even if nothing changed")
    p_rep.add_argument("--only", help="comma-separated report names to run")
    p_rep.add_argument("--no-wait", action="store_true",
                       help="stop at once if another run is writing the reports folder (by "
                            "default, wait up to 30 minutes for it to finish)")
    p_rep.add_argument("--executor", choices=("process", "dask"), default="process",
                       help="run notebooks in local worker processes or on a Dask cluster")
    p_rep.add_argument("--dask-address", help="scheduler address of an existing Dask cluster "
                                              "(default: $CW_POPHEALTH_DASK_SCHEDULER, else a "
                                              "LocalCluster of --jobs workers)")
    p_rep.add_argument("--fresh-kernels", action="store_true",
                       help="start a new kernel for every notebook instead of reusing one per "
                            "worker (slower; for comparison and debugging)")
    p_rep.set_defaults(func=_cmd_reports)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cw-pophealth`` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("cw-pophealth: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure becomes one plain message
        if args.verbose:
            raise
        status, message = _status_and_message(exc)
        print(f"cw-pophealth: error: {message}", file=sys.stderr)
        return status


def _status_and_message(exc: BaseException) -> tuple[int, str]:
    """Exit status and message for a failure: 2 when the user can correct it, else 1."""
    if isinstance(exc, (ParameterError, ConfigError)):
        return 2, str(exc)
    if isinstance(exc, OSError) and exc.errno in _OS_ADVICE:
        return 2, _os_error_message(exc)
    if isinstance(exc, (CwPopHealthError, FileNotFoundError)):
        return 1, str(exc)
    if isinstance(exc, OSError):
        return 1, _os_error_message(exc)
    return 1, (f"unexpected {type(exc).__name__}: {exc}. This is a bug in cw-pophealth: "
               "run the command again with --verbose and report the traceback.")

if __name__ == "__main__":
    sys.exit(main())
