"""Command line: ``cw-pophealth build | pull | reports``.

``build``
    Build ``data/processed/indicators.parquet`` from the offline extracts (no network).
``pull``
    Pull indicators from the Fingertips API (or, with ``--offline``, from the raw cache) into
    ``data/raw/`` and write the tidy table.
``reports``
    Run every notebook in the reports config through papermill into ``reports/``.

Exit status is 0 on success, 2 for a bad argument or parameter, 1 for any other failure; errors
are printed as one plain sentence saying what to do, not a traceback (``--verbose`` shows it).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cw_pophealth import __version__
from cw_pophealth.config import get_settings
from cw_pophealth.errors import CwPopHealthError, ParameterError

logger = logging.getLogger("cw_pophealth")


def _csv_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _cmd_build(_args: argparse.Namespace) -> int:
    from cw_pophealth import snapshot

    settings = get_settings()
    table = snapshot.build_snapshot(settings)
    logger.info("Built %s (%d rows, %d current), %s and %s from %s",
                settings.indicators_table, len(table), int(table["current"].sum()),
                settings.burden_table.name, settings.local_estimates_table.name,
                settings.extracts_dir)
    return 0


def _cmd_pull(args: argparse.Namespace) -> int:
    from cw_pophealth import fingertips

    settings = get_settings(offline=args.offline or get_settings().offline)
    table = fingertips.pull(
        indicators=_csv_list(args.indicators),
        area_codes=_csv_list(args.areas),
        area_type_ids=[int(x) for x in _csv_list(args.area_types) or []] or None,
        settings=settings,
        progress=not args.no_progress,
    )
    logger.info("Pulled %d rows into %s", len(table), settings.indicators_table)
    return 0


def _cmd_reports(args: argparse.Namespace) -> int:
    from cw_pophealth.runner import run_reports

    settings = get_settings()
    config = Path(args.config) if args.config else settings.reports_config
    summary = run_reports(
        config, settings=settings, jobs=args.jobs, force=args.force, only=_csv_list(args.only),
        executor=args.executor, dask_address=args.dask_address,
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
    p_build.set_defaults(func=_cmd_build)

    p_pull = sub.add_parser("pull", help="pull indicators from the Fingertips API")
    p_pull.add_argument("--offline", action="store_true",
                        help="serve every request from data/raw (no network)")
    p_pull.add_argument("--indicators", help="comma-separated Fingertips ids or catalogue keys "
                                             "(default: the core indicators)")
    p_pull.add_argument("--areas", help="comma-separated area codes to keep (default: all)")
    p_pull.add_argument("--area-types", help="comma-separated Fingertips area-type ids "
                                             "(default: 502,501)")
    p_pull.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p_pull.set_defaults(func=_cmd_pull)

    p_rep = sub.add_parser("reports", help="run the notebooks into reports/")
    p_rep.add_argument("--config", help="YAML of report parameters (default config/reports.yaml)")
    p_rep.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel")
    p_rep.add_argument("--force", action="store_true", help="re-run even if nothing changed")
    p_rep.add_argument("--only", help="comma-separated report names to run")
    p_rep.add_argument("--executor", choices=("process", "dask"), default="process",
                       help="run notebooks in local worker processes or on a Dask cluster")
    p_rep.add_argument("--dask-address", help="scheduler address of an existing Dask cluster "
                                              "(default: $CW_POPHEALTH_DASK_SCHEDULER, else a "
                                              "LocalCluster of --jobs workers)")
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
    except ParameterError as exc:
        if args.verbose:
            raise
        print(f"cw-pophealth: error: {exc}", file=sys.stderr)
        return 2
    except (CwPopHealthError, FileNotFoundError) as exc:
        if args.verbose:
            raise
        print(f"cw-pophealth: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
