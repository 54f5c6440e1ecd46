"""Runner state: stamps that let unchanged runs be skipped, run outcomes, and the moves that put
a finished report in place without ever leaving a half-written one.

Folders under ``reports/``::

    <run>/            the report (swapped in whole, only after the run succeeded)
    .state/<run>.json the stamp of the inputs the report was made from
    .staging/         runs in progress
    .failed/<run>/    the partly executed notebook of the last failed run
    .trash/           reports being replaced (removed at the end of a run)
    .lock             held by the one run that may write here (see :func:`reports_lock`)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from cw_pophealth import __version__, atomic
from cw_pophealth.errors import CwPopHealthError
from cw_pophealth.fingerprint import digest_of, file_sha256, package_source_sha256
from cw_pophealth.runner.config import ReportRun

logger = logging.getLogger(__name__)

__all__ = ["FAILED_DIR", "LOCK_WAIT", "MANIFEST_FILE", "OUTPUTS_FILE", "STAGING_DIR",
           "STATE_DIR", "TRASH_DIR", "ReportRunError", "ReportSummary", "ReportsBusyError",
           "RunOutcome", "is_up_to_date", "reports_lock", "run_stamp", "stamp_path",
           "swap_into_place", "write_manifest", "write_stamp"]

STATE_DIR = ".state"
STAGING_DIR = ".staging"
FAILED_DIR = ".failed"
TRASH_DIR = ".trash"
#: What a notebook saved (written by :mod:`cw_pophealth.report`, read into the manifest).
OUTPUTS_FILE = "outputs.json"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".lock"
#: Who holds the lock (pid, start time), written beside it for the message a waiting run prints.
LOCK_INFO_FILE = ".lock.json"
#: Seconds a second ``make reports`` waits for the first to finish, by default.
LOCK_WAIT = 1800.0


class ReportsBusyError(CwPopHealthError):
    """Another run holds the reports folder's lock and did not finish in time."""


@contextlib.contextmanager
def reports_lock(reports_dir: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the reports folder's lock (``.lock``) for one run, across processes.

    Only one run at a time writes a reports folder: a second one waits up to ``wait`` seconds
    (logging who holds the lock), or with ``wait=0`` stops at once. The lock is the operating
    system's (the ``filelock`` package), so it is released when its holder exits, even after a
    kill -9.

    Raises
    ------
    ReportsBusyError
        If the lock is still held after ``wait`` seconds; the message names the holder.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(reports_dir / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _lock_holder(reports_dir)
        if wait <= 0:
            raise ReportsBusyError(
                f"Another `cw-pophealth reports` ({holder}) is writing {reports_dir}. Wait for "
                "it to finish, or run again without --no-wait to wait for it.") from None
        logger.warning("Another `cw-pophealth reports` (%s) is writing %s; waiting up to %.0f s "
                       "for it to finish", holder, reports_dir, wait)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise ReportsBusyError(
                f"Another `cw-pophealth reports` ({_lock_holder(reports_dir)}) has been writing "
                f"{reports_dir} for more than {wait:.0f} s. Check whether it is stuck (and stop "
                "it), then run again.") from None
    try:
        atomic.write_json(reports_dir / LOCK_INFO_FILE, {
            "pid": os.getpid(),
            "started": _dt.datetime.now().astimezone().isoformat(timespec="seconds")})
        yield
    finally:
        lock.release()


def _lock_holder(reports_dir: Path) -> str:
    try:
        info = json.loads((reports_dir / LOCK_INFO_FILE).read_text(encoding="utf-8"))
        return f"pid {info['pid']}, started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class ReportRunError(CwPopHealthError):
    """One or more notebooks failed; earlier good reports were kept.

    Attributes
    ----------
    summary : ReportSummary
    """

    def __init__(self, message: str, summary: ReportSummary):
        super().__init__(message)
        self.summary = summary




@dataclass
class RunOutcome:
    """What happened to one run.

    Attributes
    ----------
    name : str
    status : str
        ``"executed"``, ``"skipped"`` (unchanged) or ``"failed"``.
    seconds : float
    message : str
        For failures: the notebook, cell and error.
    report_dir : pathlib.Path or None
    """

    name: str
    status: str
    seconds: float = 0.0
    message: str = ""
    report_dir: Path | None = None


@dataclass
class ReportSummary:
    """Outcomes of :func:`run_reports`, in config order."""

    outcomes: list[RunOutcome]
    index: Path | None = None
    seconds: float = 0.0

    def _names(self, status: str) -> list[str]:
        return [o.name for o in self.outcomes if o.status == status]

    @property
    def executed(self) -> list[str]:
        """Runs that executed and replaced their report."""
        return self._names("executed")

    @property
    def skipped(self) -> list[str]:
        """Runs whose inputs were unchanged."""
        return self._names("skipped")

    @property
    def failed(self) -> list[str]:
        """Runs that failed (their previous report, if any, was kept)."""
        return self._names("failed")

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def __str__(self) -> str:
        lines = [f"Reports: {len(self.executed)} executed, {len(self.skipped)} skipped "
                 f"(unchanged), {len(self.failed)} failed in {self.seconds:.1f}s"
                 + (f"; index {self.index}" if self.index else "")]
        for o in self.outcomes:
            lines.append(f"  {o.status:<8} {o.name} ({o.seconds:.1f}s)"
                         + (f": {o.message}" if o.message else ""))
        return "\n".join(lines)



def run_stamp(run: ReportRun, *, input_sha256: str, source_sha256: str | None = None) -> dict:
    """What a run depends on, and its hash.

    The stamp covers the notebook file, the parameters, the input table file, the package
    version and the package source; any change re-runs the notebook.
    """
    payload = {
        "notebook": run.notebook.name,
        "notebook_sha256": file_sha256(run.notebook),
        "parameters": json.loads(json.dumps(run.parameters, sort_keys=True, default=str)),
        "input_table_sha256": input_sha256,
        "package_version": __version__,
        "package_source_sha256": source_sha256 or package_source_sha256(),
    }
    if not run.slides:  # only when off, so that the stamps of default runs are unchanged
        payload["slides"] = False
    return {**payload, "hash": digest_of(payload)}


def stamp_path(reports_dir: Path, name: str) -> Path:
    return reports_dir / STATE_DIR / f"{name}.json"


def is_up_to_date(run: ReportRun, stamp: dict, reports_dir: Path) -> bool:
    """True if ``reports/<run>/`` exists with its HTML and was made from the same inputs."""
    path = stamp_path(reports_dir, run.name)
    folder = reports_dir / run.name
    if not path.is_file() or not (folder / f"{run.name}.html").is_file():
        return False
    try:
        previous = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return previous.get("hash") == stamp["hash"]



def swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` by two renames, restoring ``final`` on failure."""
    trash = final.parent / TRASH_DIR / f"{final.name}-{uuid.uuid4().hex[:8]}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    moved = False
    if final.exists():
        os.replace(final, trash)
        moved = True
    try:
        os.replace(staging, final)
    except OSError:
        if moved:
            os.replace(trash, final)
        raise
    if moved:
        shutil.rmtree(trash, ignore_errors=True)


def write_manifest(folder: Path, run: ReportRun, stamp: dict, seconds: float) -> None:
    outputs_path = folder / OUTPUTS_FILE
    outputs = json.loads(outputs_path.read_text()) if outputs_path.is_file() else []
    manifest = {
        "name": run.name, "title": run.title, "group": run.group,
        "notebook": run.notebook.name, "parameters": run.parameters,
        "executed_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(seconds, 2), "stamp": stamp, "outputs": outputs,
        "html": f"{run.name}.html", "executed_notebook": f"{run.name}.ipynb",
    }
    atomic.write_json(folder / MANIFEST_FILE, manifest)



def write_stamp(reports_dir: Path, stamp: dict, name: str) -> None:
    """Record that ``reports/<name>/`` was made from the inputs in ``stamp``."""
    atomic.write_json(stamp_path(reports_dir, name), stamp)
