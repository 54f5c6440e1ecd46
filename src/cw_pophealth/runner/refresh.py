"""What changed since the last refresh: the previous table kept, compared, written as a CSV.

Each ``make reports`` calls :func:`record_refresh` with the tidy table it ran on. The reports
folder keeps two copies of the table in ``.previous/``:

``last_run.parquet``
    The table of the last run.
``indicators.parquet``
    The table before the last refresh, i.e. before the data last changed: the baseline.

When this run's table differs from the last run's (by SHA-256), the last run's table becomes
the baseline and this one the last run. The changes from the baseline to this table
(:func:`cw_pophealth.analysis.changes.compare_tables`) go into
``changes_since_last_refresh.csv``. A run on an unchanged table therefore shows the changes that
the last refresh made, not an empty list; the very first run says there is nothing to compare
with. ``make clean`` keeps ``.previous/``, so a clean rebuild still compares with the last run.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from cw_pophealth import atomic, schema
from cw_pophealth.analysis import changes as _changes
from cw_pophealth.fingerprint import file_sha256

logger = logging.getLogger(__name__)

__all__ = ["CHANGES_CSV", "PREVIOUS_DIR", "record_refresh"]

PREVIOUS_DIR = ".previous"
CHANGES_CSV = "changes_since_last_refresh.csv"
_BASELINE = "indicators"
_LAST = "last_run"


def _meta(folder: Path, stem: str) -> dict[str, Any]:
    path = folder / f"{stem}.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _keep(table_path: Path, folder: Path, stem: str, sha: str) -> None:
    """Copy the table file byte for byte, with when it was built and its hash."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stem}.parquet.tmp"
    shutil.copyfile(table_path, tmp)
    tmp.replace(folder / f"{stem}.parquet")
    built = _dt.datetime.fromtimestamp(table_path.stat().st_mtime).astimezone()
    atomic.write_json(folder / f"{stem}.json",
                      {"sha256": sha, "built": built.isoformat(timespec="seconds")})


def record_refresh(reports_dir: Path, table_path: Path,
                   table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Keep this run's table, compare it with the previous refresh's and write the CSV.

    Parameters
    ----------
    reports_dir : pathlib.Path
        The reports folder (``.previous/`` and the CSV go there).
    table_path : pathlib.Path
        The tidy table file this run used.
    table : pandas.DataFrame, optional
        That table, already read (read from ``table_path`` when not given).

    Returns
    -------
    dict
        ``compared`` (was there a previous table), ``changes`` (the
        :func:`~cw_pophealth.analysis.changes.compare_tables` frame), ``counts``,
        ``baseline_built`` and ``current_built`` (ISO times), ``data_changed_this_run``,
        ``csv`` (its file name in the reports folder), ``message`` (one sentence).
    """
    folder = reports_dir / PREVIOUS_DIR
    if not table_path.is_file():
        return {"compared": False, "changes": _changes.compare_tables(None, pd.DataFrame()),
                "counts": {}, "csv": "", "data_changed_this_run": False,
                "baseline_built": "", "current_built": "",
                "message": "There is no tidy table to compare (make data builds it)."}
    sha = file_sha256(table_path)
    last = _meta(folder, _LAST)
    changed_now = bool(last) and last.get("sha256") != sha
    if changed_now:
        for ext in ("parquet", "json"):
            (folder / f"{_LAST}.{ext}").replace(folder / f"{_BASELINE}.{ext}")
    if not last or changed_now or not (folder / f"{_LAST}.parquet").is_file():
        _keep(table_path, folder, _LAST, sha)
    baseline = _meta(folder, _BASELINE)
    csv = reports_dir / CHANGES_CSV
    current_built = _meta(folder, _LAST).get("built", "")
    if not baseline or not (folder / f"{_BASELINE}.parquet").is_file():
        result = _changes.compare_tables(None, pd.DataFrame())
        message = ("This is the first refresh kept in this reports folder, so there is nothing "
                   "to compare with yet." if not last else
                   f"The data have not changed since the first refresh kept in this reports "
                   f"folder (table built {current_built[:16].replace('T', ' ')}), so there is "
                   "nothing to compare with yet.") + (
                   " The next refresh that changes the data will list what changed.")
    else:
        if table is None:
            table = schema.read_tidy(table_path)
        cached = _meta(folder, "changes")
        if (cached.get("baseline") == baseline.get("sha256") and cached.get("current") == sha
                and csv.is_file()):
            result = pd.read_csv(csv, dtype={"area_code": "string"})
            result.attrs["compared"] = True
        else:
            previous = schema.read_tidy(folder / f"{_BASELINE}.parquet")
            result = _changes.compare_tables(previous, table)
        when = baseline.get("built", "")[:16].replace("T", " ")
        message = (f"Compared with the table of the previous refresh (built {when})"
                   + ("; the data changed in this run." if changed_now else
                      "; the data have not changed since the last run, so these are the "
                      "changes that the last refresh made."))
    if result.attrs.get("compared"):
        atomic.write_text(csv, result.to_csv(index=False))
        atomic.write_json(folder / "changes.json",
                          {"baseline": baseline.get("sha256"), "current": sha})
    elif csv.is_file():
        csv.unlink()
    counts = _changes.count_changes(result)
    logger.info("Changes since the last refresh: %s", ", ".join(
        f"{n} {k}" for k, n in counts.items() if n) or ("none" if result.attrs.get("compared")
                                                          else "nothing to compare with yet"))
    return {"compared": bool(result.attrs.get("compared")), "changes": result,
            "counts": counts, "csv": CHANGES_CSV if csv.is_file() else "",
            "data_changed_this_run": changed_now,
            "baseline_built": baseline.get("built", ""), "current_built": current_built,
            "message": message}
