"""``make reports``: :func:`run_reports` runs every notebook of the reports config.

For every run in the one parameters file (``config/reports.yaml``, read by
:func:`~cw_pophealth.runner.config.load_report_config`), :func:`run_reports`:

1. validates the parameters before anything runs
   (:func:`~cw_pophealth.runner.parameters.validate_parameters`; a bad area code, unknown
   indicator or a period with no data stops everything with a
   :class:`~cw_pophealth.errors.ParameterError` naming the parameter);
2. skips the run if nothing it depends on changed: a stamp in ``reports/.state/<run>.json``
   hashes the notebook file, the parameters, the input table file and the package (version
   and source files);
3. executes the notebook with papermill (kernel ``python3``) into a staging folder, passing
   ``output_dir`` so the notebook's :func:`~cw_pophealth.report.save_figure` and
   :func:`~cw_pophealth.report.save_table` calls write there, then converts it to HTML with
   the code hidden;
4. only when all of that succeeded, swaps the staging folder into ``reports/<run>/``; a failed
   run leaves the previous good report untouched, keeps the partly executed notebook in
   ``reports/.failed/<run>/`` and names the failing cell;
5. runs up to ``jobs`` notebooks at once (worker processes, or a Dask cluster), then writes
   ``reports/index.html`` linking every report, figure and table with its data period.

Layout of one report folder::

    reports/<run>/<run>.ipynb      executed notebook (papermill records the parameters)
    reports/<run>/<run>.html       the notebook as HTML, inputs hidden
    reports/<run>/figures/*.png|svg
    reports/<run>/tables/*.csv
    reports/<run>/outputs.json     what the notebook saved (title, data period, source)
    reports/<run>/manifest.json    run name, parameters, timings, stamp
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import ParameterError
from cw_pophealth.fingerprint import digest_of, file_sha256, package_source_sha256
from cw_pophealth.runner.config import ReportRun, load_report_config
from cw_pophealth.runner.execute import (
    EXECUTORS,
    check_dask_scheduler,
    dask_scheduler_address,
    execute_all,
    kernel_environment,
    path_labels,
    quiet_library_logs,
)
from cw_pophealth.runner.index import write_index
from cw_pophealth.runner.parameters import validate_parameters
from cw_pophealth.runner.refresh import record_refresh
from cw_pophealth.runner.state import (
    FAILED_DIR,
    LOCK_WAIT,
    MANIFEST_FILE,
    STAGING_DIR,
    TRASH_DIR,
    ReportRunError,
    ReportSummary,
    RunOutcome,
    is_up_to_date,
    reports_lock,
    run_stamp,
    swap_into_place,
    write_manifest,
    write_stamp,
)

logger = logging.getLogger(__name__)

__all__ = ["Progress", "report_inputs_sha256", "run_reports"]


def _duration(seconds: float) -> str:
    """``"45 s"``, ``"3 min 5 s"``: a time left as a reader wants it.

    Examples
    --------
    >>> _duration(44.6), _duration(185), _duration(0)
    ('45 s', '3 min 5 s', '0 s')
    """
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


class Progress:
    """A counter of finished notebooks and an estimate of the time left.

    Each notebook is expected to take as long as it took last time (its ``manifest.json``),
    else the mean of those finished in this run; the work left is shared among the jobs.

    Parameters
    ----------
    expected : mapping of str to float or None
        Each notebook's expected seconds (``None`` when unknown).
    jobs : int
        Notebooks run at once.

    Examples
    --------
    >>> p = Progress({"a": 10.0, "b": None, "c": 30.0}, jobs=1)
    >>> p.finished("a", 12.0)
    '[1/3] a done in 12.0 s; about 42 s left'
    >>> p.finished("c", 28.0)
    '[2/3] c done in 28.0 s; about 20 s left'
    >>> p.finished("b", 5.0)
    '[3/3] b done in 5.0 s'
    """

    def __init__(self, expected: dict[str, float | None], jobs: int = 1) -> None:
        self.expected = dict(expected)
        self.total = len(self.expected)
        self.jobs = max(1, int(jobs))
        self.seconds: dict[str, float] = {}

    def left(self) -> float | None:
        """Seconds left (``None`` when nothing is known about a notebook still to run)."""
        if not self.expected:
            return 0.0
        mean = (sum(self.seconds.values()) / len(self.seconds)) if self.seconds else None
        guesses = [e if e is not None else mean for e in self.expected.values()]
        if any(g is None for g in guesses):
            return None
        return sum(g for g in guesses if g is not None) / min(self.jobs, len(guesses))

    def start_message(self) -> str:
        left = self.left()
        return ("" if left is None or not self.total else
                f"; about {_duration(left)} expected from the last run's timings")

    def finished(self, name: str, seconds: float) -> str:
        """Count ``name`` as finished; the progress line to log."""
        self.expected.pop(name, None)
        self.seconds[name] = seconds
        line = f"[{len(self.seconds)}/{self.total}] {name} done in {seconds:.1f} s"
        left = self.left()
        if self.expected:
            line += (f"; about {_duration(left)} left" if left is not None
                     else "; time left not yet known")
        return line


def _last_seconds(reports_dir: Path, name: str) -> float | None:
    """How long the run's notebook took last time, from its manifest."""
    import json

    path = reports_dir / name / MANIFEST_FILE
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def report_inputs_sha256(settings: Settings) -> str:
    """One SHA-256 of every file the reports read: the three processed tables and the claims
    files, so that a changed claims file re-runs the claims report."""
    files = [settings.indicators_table, settings.burden_table, settings.local_estimates_table]
    if settings.claims_dir is not None and settings.claims_dir.is_dir():
        files += sorted(settings.claims_dir.glob("*.yaml"))
    return digest_of({str(p.name): file_sha256(p) for p in files if p.is_file()})


def run_reports(config_path: str | os.PathLike | None = None, *,
                settings: Settings | None = None, jobs: int = 2, force: bool = False,
                only: Sequence[str] | None = None, raise_on_failure: bool = True,
                timeout: int | None = 900, executor: str = "process",
                dask_address: str | None = None, wait: float = LOCK_WAIT,
                fresh_kernels: bool = False) -> ReportSummary:
    """Run every report in the config through papermill into ``reports/`` (see module doc).

    Parameters
    ----------
    config_path : str or path-like, optional
        The reports YAML (default ``config/reports.yaml``).
    settings : Settings, optional
        Paths; the kernel gets the same data, extracts and reports folders.
    jobs : int, default 2
        Notebooks executed at once (worker processes); ``1`` runs in this process. Each
        worker keeps one warm kernel and runs notebook after notebook in it, reset to a new
        session each time (:mod:`cw_pophealth.runner.kernels`).
    force : bool, default False
        Re-run even when the stamp says nothing changed.
    only : sequence of str, optional
        Run names or config entry names (``"area_profile"`` selects all its fan-out runs).
    raise_on_failure : bool, default True
        Raise :class:`ReportRunError` after writing the index when any run failed.
    timeout : int or None, default 900
        Seconds allowed per notebook cell.
    executor : {"process", "dask"}, default "process"
        Where notebooks run: worker processes on this machine, or a ``dask.distributed``
        cluster (install ``cw-pophealth[dask]``). Each notebook is one task either way.
    wait : float, default 1800
        Seconds to wait for another run that is writing the same reports folder (only one
        run writes it at a time); ``0`` stops at once with a message naming that run.
    dask_address : str, optional
        Scheduler address (``tcp://host:8786``) of an existing Dask cluster; default: the
        ``CW_POPHEALTH_DASK_SCHEDULER`` environment variable, else a ``LocalCluster`` of ``jobs``
        single-threaded workers. Workers need this package installed and the same data paths;
        they send each report's files back, so they need no shared reports folder.
    fresh_kernels : bool, default False
        Start a new kernel for every notebook (slower; the design before warm kernels, kept
        for comparison in ``benchmarks/`` and for debugging a notebook that leaks state).

    Returns
    -------
    ReportSummary

    Raises
    ------
    cw_pophealth.errors.ParameterError
        Before anything runs, if any run's parameters are invalid.
    cw_pophealth.errors.ConfigError
        For a bad config file.
    ReportRunError
        When ``raise_on_failure`` and a notebook failed (earlier good reports are kept).
    ReportsBusyError
        When another run still holds the reports folder after ``wait`` seconds.
    """
    from cw_pophealth import snapshot
    from cw_pophealth.geography import get_geography

    started = time.perf_counter()
    quiet_library_logs()
    if executor not in EXECUTORS:
        raise ParameterError(f"executor={executor!r}: use one of {EXECUTORS}.")
    scheduler = dask_scheduler_address(dask_address) if executor == "dask" else None
    if scheduler is not None:
        check_dask_scheduler(scheduler)
    settings = settings or get_settings()
    config_path = Path(config_path) if config_path else settings.reports_config
    runs = load_report_config(config_path, settings=settings)
    if only:
        wanted = set(only)
        unknown = wanted - {r.name for r in runs} - {r.group for r in runs}
        if unknown:
            raise ParameterError(f"only: no report named {sorted(unknown)} in {config_path}; "
                                 f"names are {[r.name for r in runs]}.")
        runs = [r for r in runs if r.name in wanted or r.group in wanted]
    table = snapshot.load_indicators(settings)
    geo = get_geography(settings)
    checked = []
    for run in runs:
        try:
            params = validate_parameters(run.notebook, run.parameters, table=table,
                                         geography=geo, settings=settings)
        except ParameterError as exc:
            raise type(exc)(f"Report {run.name!r} ({run.notebook.name}): {exc}") from exc
        checked.append(dataclasses.replace(run, parameters=params))
    runs = checked
    reports_dir = settings.reports_dir
    with reports_lock(reports_dir, wait=wait):
        ordered, index = _run_locked(runs, table, settings=settings, force=force, jobs=jobs,
                                     timeout=timeout, executor=executor, scheduler=scheduler,
                                     fresh_kernels=fresh_kernels)
    summary = ReportSummary(ordered, index, time.perf_counter() - started)
    logger.info("Reports: %d executed, %d skipped, %d failed; index %s", len(summary.executed),
                len(summary.skipped), len(summary.failed), index)
    if raise_on_failure and not summary.ok:
        raise ReportRunError(f"{len(summary.failed)} report(s) failed: "
                             + "; ".join(o.message for o in ordered if o.status == "failed"),
                             summary)
    return summary


def _run_locked(runs: list[ReportRun], table: pd.DataFrame, *, settings: Settings, force: bool,
                jobs: int, timeout: int | None, executor: str, scheduler: str | None,
                fresh_kernels: bool = False) -> tuple[list[RunOutcome], Path]:
    """The part of :func:`run_reports` that writes ``reports/``, run under its lock.

    Stages what is left in ``.staging`` by a run that was killed are removed first: while this
    run holds the lock, no other run can be using them.
    """
    reports_dir = settings.reports_dir
    staging_root = reports_dir / STAGING_DIR
    shutil.rmtree(staging_root, ignore_errors=True)
    input_sha = report_inputs_sha256(settings)
    source_sha = package_source_sha256()
    stamps = {r.name: run_stamp(r, input_sha256=input_sha, source_sha256=source_sha)
              for r in runs}
    outcomes: dict[str, RunOutcome] = {}
    todo = []
    for run in runs:
        if not force and is_up_to_date(run, stamps[run.name], reports_dir):
            logger.info("Skipping %s: notebook, parameters, data and code unchanged", run.name)
            outcomes[run.name] = RunOutcome(run.name, "skipped", 0.0, "",
                                            reports_dir / run.name)
        else:
            todo.append(run)
    env = kernel_environment(settings)
    labels = path_labels(settings)
    jobs_by_name: dict[str, dict[str, Any]] = {
        run.name: {
            "name": run.name, "notebook": str(run.notebook), "parameters": run.parameters,
            "title": run.title, "timeout": timeout, "labels": labels,
            "env": {**env, "CW_POPHEALTH_SLIDES": "1" if run.slides else "0"},
            "fresh_kernel": fresh_kernels, "code": source_sha,
            "staging": str(staging_root / f"{run.name}-{uuid.uuid4().hex[:8]}"),
        } for run in todo
    }
    by_name = {r.name: r for r in runs}
    progress = Progress({r.name: _last_seconds(reports_dir, r.name) for r in todo}, jobs=jobs)

    def finish(name: str, result: dict) -> None:
        run, job = by_name[name], jobs_by_name[name]
        staging = Path(job["staging"])
        if result["ok"]:
            write_manifest(staging, run, stamps[name], result["seconds"])
            swap_into_place(staging, reports_dir / name)
            write_stamp(reports_dir, stamps[name], name)
            outcomes[name] = RunOutcome(name, "executed", result["seconds"], "",
                                        reports_dir / name)
            logger.info("Report %s", progress.finished(name, result["seconds"]))
        else:
            failed = reports_dir / FAILED_DIR / name
            shutil.rmtree(failed, ignore_errors=True)
            failed.parent.mkdir(parents=True, exist_ok=True)
            if staging.exists():
                os.replace(staging, failed)
            kept = (reports_dir / name).exists()
            message = (f"{result['message']} (partly executed notebook in "
                       f"{failed.relative_to(reports_dir)} in the reports folder; "
                       + ("previous report kept" if kept else "no earlier report") + ")")
            outcomes[name] = RunOutcome(name, "failed", result["seconds"], message,
                                        reports_dir / name if kept else None)
            logger.error("Report %s failed: %s", name, message)
            logger.info("Report %s", progress.finished(name, result["seconds"]))

    if todo:
        logger.info("Running %d notebook(s) with %d job(s)%s: %s", len(todo), jobs,
                    progress.start_message(), ", ".join(r.name for r in todo))
    for name, result in execute_all([jobs_by_name[r.name] for r in todo], jobs=jobs,
                                     executor=executor, dask_address=scheduler):
        finish(name, result)
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(reports_dir / TRASH_DIR, ignore_errors=True)
    ordered = [outcomes[r.name] for r in runs]
    refresh = record_refresh(reports_dir, settings.indicators_table, table)
    return ordered, write_index(reports_dir, runs, ordered, table=table, settings=settings,
                                refresh=refresh)
