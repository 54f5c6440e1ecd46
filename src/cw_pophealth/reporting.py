"""Reporting: run the notebooks through papermill into ``reports/`` and save their outputs.

``make reports`` (``cw-pophealth reports``) calls :func:`run_reports`, which for every run in the
one parameters file (``config/reports.yaml``, read by :func:`load_report_config`):

1. validates the parameters before anything runs (:func:`validate_parameters`; a bad area
   code, unknown indicator or a period with no data stops everything with a
   :class:`~cw_pophealth.errors.ParameterError` naming the parameter); papermill's inspection
   of each notebook's ``parameters`` cell is cached in
   ``reports/.state/_notebook_inspection.json`` by the notebook's sha256, so when nothing
   changed neither papermill nor nbformat is imported;
2. skips the run if nothing it depends on changed: a stamp in ``reports/.state/<run>.json``
   hashes the notebook file, the parameters, the input table file and the package (version
   and source files);
3. executes the notebook with papermill (kernel ``python3``) into a staging folder, passing
   ``output_dir`` so the notebook's :func:`save_figure`/:func:`save_table` calls write there,
   then converts it to HTML with the code hidden;
4. only when all of that succeeded, swaps the staging folder into ``reports/<run>/``; a failed
   run leaves the previous good report untouched, keeps the partly executed notebook in
   ``reports/.failed/<run>/`` and names the failing cell;
5. runs up to ``jobs`` notebooks at once (worker processes), then writes
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

import contextlib
import dataclasses
import datetime as _dt
import functools
import hashlib
import html
import json
import logging
import multiprocessing
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from cw_pophealth import __version__, catalogue
from cw_pophealth.cache import package_source_sha256
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import ConfigError, CwPopHealthError, ParameterError

logger = logging.getLogger(__name__)

KERNEL_NAME = "python3"
#: Parameter every report notebook declares; the runner sets it to the staging folder.
OUTPUT_DIR_PARAMETER = "output_dir"
#: ``fan_out.values`` keyword meaning every county and unitary authority (Fingertips type 502).
ALL_UPPER_TIER = "all upper-tier"
STATE_DIR = ".state"
#: Cache of notebook inspections in ``STATE_DIR`` (see :func:`notebook_parameters`).
INSPECTION_CACHE_FILE = "_notebook_inspection.json"
INSPECTION_CACHE_FORMAT = 1
STAGING_DIR = ".staging"
FAILED_DIR = ".failed"
TRASH_DIR = ".trash"
EXECUTORS = ("process", "dask")
OUTPUTS_FILE = "outputs.json"
MANIFEST_FILE = "manifest.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class ReportRunError(CwPopHealthError):
    """One or more notebooks failed; earlier good reports were kept.

    Attributes
    ----------
    summary : ReportSummary
    """

    def __init__(self, message: str, summary: ReportSummary):
        super().__init__(message)
        self.summary = summary


# ---------------------------------------------------------------------------------------------
# Saving figures and tables (called from notebooks)
# ---------------------------------------------------------------------------------------------
def _target_dir(output_dir: str | os.PathLike | None, sub: str, name: str) -> Path | None:
    """Resolve where to write, or ``None`` when ``output_dir`` is "" (interactive/nbval run)."""
    if output_dir is None:
        return Path(name).expanduser().resolve().parent
    if str(output_dir).strip() == "":
        return None
    return Path(output_dir).expanduser().resolve() / sub


def _append_output(output_dir: Path, record: dict) -> None:
    path = output_dir / OUTPUTS_FILE
    records = json.loads(path.read_text()) if path.is_file() else []
    records = [r for r in records if r.get("files") != record["files"]] + [record]
    path.write_text(json.dumps(records, indent=2, default=str))


def save_figure(fig, stem: str, *, output_dir: str | os.PathLike | None = None,
                dpi: int = 150) -> list[Path]:
    """Save a figure as PNG and SVG, with its title, source and data period embedded.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str
        File name without extension (``"window_of_need_latest"``); with ``output_dir=None``
        a path without extension.
    output_dir : str or path-like, optional
        A report's output folder: files go to ``<output_dir>/figures/``. ``""`` means "do not
        save" (the notebooks' default when run interactively or by nbval), and returns ``[]``.
    dpi : int, default 150
        PNG resolution.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG written.
    """
    from cw_pophealth import plots

    folder = _target_dir(output_dir, "figures", stem)
    if folder is None:
        logger.info("output_dir is empty: figure %r not saved", stem)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    meta = plots.figure_metadata(fig)
    title = meta.get("title") or plots.figure_title(fig) or stem
    base = folder / Path(stem).name
    description = f"Source: {meta.get('source', '')}. Data period: {meta.get('period', '')}."
    png, svg = base.with_suffix(".png"), base.with_suffix(".svg")
    fig.savefig(png, dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Title": title, "Description": description,
                          "Software": f"cw_pophealth {__version__}"})
    fig.savefig(svg, bbox_inches="tight", facecolor="white",
                metadata={"Title": title, "Description": description, "Date": None})
    logger.info("Saved figure %s (.png, .svg)", base)
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "figure", "title": title,
                              "period": meta.get("period"), "source": meta.get("source"),
                              "files": [str(p.relative_to(root)) for p in (png, svg)]})
    return [png, svg]


def _period_summary(df: pd.DataFrame) -> str | None:
    """"2021 - 23", "2022 - 24, 2024/25" or "2011 to 2024/25 (24 periods)" for an index entry."""
    if "period" not in df.columns or df["period"].dropna().empty:
        return None
    rows = df.dropna(subset=["period"])
    if "period_start" in rows.columns:
        rows = rows.sort_values("period_start", kind="stable")
    periods = [str(p) for p in dict.fromkeys(rows["period"])]
    if len(periods) <= 3:
        return ", ".join(periods)
    return f"{periods[0]} to {periods[-1]} ({len(periods)} periods)"


def save_table(df: pd.DataFrame, path: str | os.PathLike, *,
               output_dir: str | os.PathLike | None = None,
               title: str | None = None) -> Path | None:
    """Save a table as CSV (UTF-8, no index).

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or path-like
        File name (``"window_of_need.csv"``, extension optional) inside
        ``<output_dir>/tables/``; with ``output_dir=None``, the full path.
    output_dir : str or path-like, optional
        ``""`` means "do not save" and returns ``None``.
    title : str, optional
        Description for the report index.

    Returns
    -------
    pathlib.Path or None
    """
    name = str(path) if str(path).endswith(".csv") else f"{path}.csv"
    folder = _target_dir(output_dir, "tables", name)
    if folder is None:
        logger.info("output_dir is empty: table %r not saved", name)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    df.to_csv(target, index=False, encoding="utf-8")
    logger.info("Saved table %s (%d rows)", target, len(df))
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "table", "title": title or Path(name).stem,
                              "period": _period_summary(df), "rows": len(df),
                              "files": [str(target.relative_to(root))]})
    return target


def display_table(df: pd.DataFrame, *, caption: str | None = None) -> None:
    """Display every row of a table in a notebook (no index, optional caption).

    pandas truncates long frames to their first and last rows; report tables must show all
    of them. Falls back to plain text outside IPython.
    """
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        logger.info("%s\n%s", caption or "", df.to_string(index=False))
        return
    styler = df.style.hide(axis="index").format(na_rep="—", precision=1)
    if caption:
        styler = styler.set_caption(caption)
    with pd.option_context("styler.render.max_rows", None,
                           "styler.render.max_elements", max(262144, df.size + 1)):
        display(styler)


# ---------------------------------------------------------------------------------------------
# The parameters file
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportRun:
    """One notebook execution: where it goes and with which parameters.

    Attributes
    ----------
    name : str
        Folder name under ``reports/`` (letters, digits, ``_.-``).
    notebook : pathlib.Path
        The source notebook.
    parameters : dict
        Values for the notebook's ``parameters`` cell (``output_dir`` is added by the runner).
    title : str
        Heading in the report index.
    group : str
        The config entry the run came from (differs from ``name`` for fan-outs).
    """

    name: str
    notebook: Path
    parameters: dict = field(default_factory=dict)
    title: str = ""
    group: str = ""


def load_report_config(path: str | os.PathLike, *, settings: Settings | None = None,
                       geography=None) -> list[ReportRun]:
    """Read the reports YAML into a list of :class:`ReportRun`.

    The file has a ``reports`` list; each entry has ``name``, ``notebook`` (relative to
    ``notebooks_dir``, which defaults to the project's ``notebooks/``), optional ``title`` and
    ``parameters``, and an optional ``fan_out`` that repeats the entry once per value of one
    parameter::

        reports:
          - name: area_profile
            notebook: area_profile.ipynb
            parameters: {comparator_code: E92000001, period: latest}
            fan_out:
              parameter: area_code
              values: [E08000026, E10000031]     # or "all upper-tier"

    Fan-out runs are named ``<name>-<value>`` (e.g. ``area_profile-E08000026``).

    Raises
    ------
    cw_pophealth.errors.ConfigError
        Missing file, malformed YAML, missing keys, duplicate or unsafe names, or a notebook
        that does not exist.
    """
    settings = settings or get_settings()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Reports config {path} not found. Create it (see "
                          "config/reports.yaml in the repository) or pass --config.")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    entries = doc.get("reports") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} needs a non-empty 'reports:' list of runs.")
    nb_dir = doc.get("notebooks_dir")
    nb_dir = (path.parent / nb_dir).resolve() if nb_dir else settings.notebooks_dir
    runs: list[ReportRun] = []
    for i, entry in enumerate(entries):
        where = f"{path}: reports[{i}]"
        if not isinstance(entry, dict) or "name" not in entry or "notebook" not in entry:
            raise ConfigError(f"{where} needs 'name' and 'notebook'.")
        name = str(entry["name"])
        notebook = (nb_dir / str(entry["notebook"])).resolve()
        if not notebook.is_file():
            raise ConfigError(f"{where} ({name}): notebook {notebook} not found.")
        params = dict(entry.get("parameters") or {})
        title = str(entry.get("title") or name.replace("_", " ").capitalize())
        fan = entry.get("fan_out")
        if fan is None:
            runs.append(ReportRun(name, notebook, params, title, name))
            continue
        if not isinstance(fan, dict) or "parameter" not in fan or "values" not in fan:
            raise ConfigError(f"{where} ({name}): fan_out needs 'parameter' and 'values'.")
        values = fan["values"]
        if isinstance(values, str) and values.strip().lower() == ALL_UPPER_TIER:
            from cw_pophealth.geography import get_geography

            values = (geography or get_geography(settings)).upper_tier_areas()
        if isinstance(values, (str, int, float)):
            values = [values]
        for value in values:
            label = str(value)
            run_title = title
            if str(fan["parameter"]).endswith("_code"):
                with contextlib.suppress(Exception):
                    from cw_pophealth.geography import get_geography

                    label_name = (geography or get_geography(settings)).name(label)
                    run_title = f"{title}: {label_name} ({label})"
            runs.append(ReportRun(f"{name}-{label}", notebook,
                                  {**params, str(fan["parameter"]): value}, run_title, name))
    names = [r.name for r in runs]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise ConfigError(f"{path}: report name(s) {bad} must be letters, digits, '_', '.', '-'.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: report name(s) {dupes} appear more than once.")
    logger.info("Loaded %d report run(s) from %s", len(runs), path)
    return runs


# ---------------------------------------------------------------------------------------------
# Parameter validation
# ---------------------------------------------------------------------------------------------
def _notebook_path(notebook: str | os.PathLike, settings: Settings) -> Path:
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = settings.notebooks_dir / f"{notebook}.ipynb"
    return path


def _inspection_cache_path(settings: Settings) -> Path:
    """Where notebook inspections are cached: ``<reports_dir>/.state/_notebook_inspection.json``.

    Run names start with a letter or digit, so the file never clashes with a run's stamp.
    """
    return settings.reports_dir / STATE_DIR / INSPECTION_CACHE_FILE


@functools.cache
def _inspection_tool_versions() -> dict[str, str | None]:
    """The installed papermill and nbformat versions, read without importing either."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in ("papermill", "nbformat"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def _valid_parameters(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, dict) for k, v in value.items())


def _valid_indicators(value: Any) -> bool:
    return value is None or isinstance(value, list)


#: What each cached field of an inspection must look like; anything else is recomputed.
_INSPECTION_FIELDS = {"parameters": _valid_parameters, "indicators": _valid_indicators}


def _read_inspection_cache(path: Path) -> dict[str, dict]:
    """The cache's entries by notebook sha256; ``{}`` when missing, unreadable or not ours."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
        logger.warning("Ignoring unreadable notebook-inspection cache %s: %s", path, exc)
        return {}
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if (not isinstance(doc, dict) or doc.get("format") != INSPECTION_CACHE_FORMAT
            or not isinstance(entries, dict)):
        logger.warning("Ignoring notebook-inspection cache %s: not in the expected format", path)
        return {}
    return {k: v for k, v in entries.items() if isinstance(v, dict)}


def _write_json_atomic(path: Path, doc: Any) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _cached_inspection(path: Path, field: str, compute: Callable[[], Any],
                       settings: Settings) -> Any:
    """One field of a notebook's inspection, reused while the notebook's bytes are unchanged.

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    field : {"parameters", "indicators"}
        Which result: papermill's parameter inspection, or the indicators in the metadata.
    compute : callable
        Produces the value from the notebook (imports papermill or nbformat); called on a
        cache miss only. Its exceptions propagate and nothing is cached.
    settings : Settings
        Gives the cache file (:func:`_inspection_cache_path`).

    Returns
    -------
    object
        ``compute()``'s value, or an equal one rebuilt from the cache.

    Notes
    -----
    An entry is keyed by the sha256 of the notebook file's bytes and records the papermill
    and nbformat versions that produced it; it is used only when both match and the field has
    the expected shape, so a corrupt or foreign cache costs one recomputation, never a wrong
    answer. A value is stored only if the notebook did not change while it was computed and
    it survives a JSON round trip unchanged. Failing to write the cache is logged, not raised.
    """
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return compute()  # a missing notebook: let papermill/nbformat raise their own error
    cache_file = _inspection_cache_path(settings)
    versions = _inspection_tool_versions()
    entry = _read_inspection_cache(cache_file).get(sha)
    if (entry is not None and all(entry.get(k) == v for k, v in versions.items())
            and field in entry and _INSPECTION_FIELDS[field](entry[field])):
        logger.debug("Notebook %s %s served from %s", path.name, field, cache_file)
        return entry[field]
    value = compute()
    try:
        unchanged = hashlib.sha256(path.read_bytes()).hexdigest() == sha
        if not unchanged or json.loads(json.dumps(value)) != value:
            return value
        entries = _read_inspection_cache(cache_file)
        entry = entries.get(sha)
        if entry is None or any(entry.get(k) != v for k, v in versions.items()):
            entry = {"notebook": str(path), **versions}
        entry[field] = value
        # Older entries for this notebook file can never match again: drop them.
        entries = {k: v for k, v in entries.items() if v.get("notebook") != str(path)}
        entries[sha] = entry
        _write_json_atomic(cache_file, {"format": INSPECTION_CACHE_FORMAT, "entries": entries})
    except (OSError, TypeError, ValueError) as exc:
        logger.warning("Could not cache the inspection of %s in %s: %s", path.name, cache_file,
                       exc)
    return value


def notebook_parameters(notebook: str | os.PathLike, *, settings: Settings | None = None
                        ) -> dict[str, dict]:
    """The notebook's declared parameters (papermill's inspection of the ``parameters`` cell).

    The result is cached in ``<reports_dir>/.state/`` by the notebook file's sha256 (and the
    papermill version), so an unchanged notebook is not inspected again and papermill is not
    even imported.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/`` (``"area_profile"``).
    settings : Settings, optional
        Gives ``notebooks_dir`` and the cache's folder (``reports_dir``).

    Returns
    -------
    dict
        ``{name: {"name": ..., "inferred_type_name": ..., "default": ..., "help": ...}}``.
    """
    settings = settings or get_settings()
    path = _notebook_path(notebook, settings)

    def inspect() -> dict[str, dict]:
        import papermill

        return dict(papermill.inspect_notebook(str(path)))

    if "{" in str(path) or "}" in str(path):
        # papermill formats these as a path template, so it may not read this file's bytes.
        return inspect()
    return _cached_inspection(path, "parameters", inspect, settings)


def notebook_indicators(notebook: str | os.PathLike, *, settings: Settings | None = None
                        ) -> list[str] | None:
    """Indicator keys a notebook declares in its metadata (``metadata.cw_pophealth.indicators``).

    Cached like :func:`notebook_parameters` (keyed by the file's sha256 and the nbformat
    version), so an unchanged notebook is not parsed again.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/``.
    settings : Settings, optional

    Returns
    -------
    list or None
        ``None`` when the notebook declares none.
    """
    settings = settings or get_settings()
    path = _notebook_path(notebook, settings)

    def read() -> list[str] | None:
        import nbformat

        nb = nbformat.read(path, as_version=4)
        keys = nb.metadata.get("cw_pophealth", {}).get("indicators")
        return list(keys) if keys else None

    return _cached_inspection(path, "indicators", read, settings)


_TYPE_CHECKS = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "list": (list, tuple),
    "dict": (dict,),
}


def _check_type(name: str, value: Any, declared: str | None) -> None:
    if not declared or declared == "None":
        return
    base = declared.split("[")[0].strip().lower()
    allowed = _TYPE_CHECKS.get(base)
    if allowed is None:
        return
    ok = isinstance(value, allowed) and not (base in ("int", "float") and isinstance(value, bool))
    if not ok:
        raise ParameterError(f"{name}={value!r} should be a {declared} (as declared in the "
                             "notebook's parameters cell).")


def validate_parameters(notebook: str | os.PathLike, parameters: Mapping[str, Any], *,
                        table: pd.DataFrame | None = None, geography=None,
                        settings: Settings | None = None) -> dict:
    """Check a notebook's parameters before it runs; return them normalised.

    Checks, each failing with a :class:`~cw_pophealth.errors.ParameterError` whose message
    starts with the parameter's name:

    * every name is declared in the notebook's ``parameters`` cell, with the declared type;
    * ``*_code`` / ``*_codes``: ONS form and a current English area (upper-cased on return);
    * ``indicator_keys``: catalogue keys or Fingertips ids;
    * ``sexes``: Persons/Male/Female; ``confidence``: 0.95 or 0.998;
    * ``period``: ``"latest"``, ``"all"`` or a label with data for the notebook's indicators
      and areas;
    * ``area_code``: the area has some data for the notebook's indicators.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/`` (``"area_profile"``).
    parameters : mapping
        The values to check (``output_dir`` may be included).
    table : pandas.DataFrame, optional
        The tidy table, for the data checks (loaded when omitted).
    geography : cw_pophealth.geography.AreaLookup, optional
    settings : Settings, optional

    Returns
    -------
    dict
        The parameters with area codes upper-cased.

    Raises
    ------
    cw_pophealth.errors.ParameterError
    """
    from cw_pophealth import schema, transforms
    from cw_pophealth.errors import UnknownIndicatorError
    from cw_pophealth.geography import get_geography

    settings = settings or get_settings()
    declared = notebook_parameters(notebook, settings=settings)
    nb_name = _notebook_path(notebook, settings).name
    out = dict(parameters)
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(
                f"{name}: not a parameter of {nb_name}. Its parameters are "
                f"{', '.join(sorted(declared))}.")
        _check_type(name, value, declared[name].get("inferred_type_name"))
    geo = None

    def lookup():
        nonlocal geo
        geo = geo or geography or get_geography(settings)
        return geo

    area_codes: list[str] = []
    for name, value in parameters.items():
        if name.endswith("_code"):
            out[name] = lookup().require(value, name)
            area_codes.append(out[name])
        elif name.endswith("_codes"):
            values = [value] if isinstance(value, str) else list(value)
            if not values and name == "area_codes":
                raise ParameterError(f"{name}: give at least one area code.")
            out[name] = [lookup().require(v, f"{name}[{i}]") for i, v in enumerate(values)]
            area_codes.extend(out[name])
    keys = None
    if "indicator_keys" in parameters:
        values = parameters["indicator_keys"]
        values = [values] if isinstance(values, (str, int)) else list(values)
        if not values:
            raise ParameterError("indicator_keys: give at least one indicator key.")
        keys = []
        for i, key in enumerate(values):
            try:
                keys.append(catalogue.indicator_spec(key).key)
            except UnknownIndicatorError as exc:
                raise UnknownIndicatorError(f"indicator_keys[{i}]={key!r}: {exc}") from exc
    if "sexes" in parameters:
        bad = [s for s in parameters["sexes"] if s not in schema.SEXES]
        if bad or not parameters["sexes"]:
            raise ParameterError(f"sexes={parameters['sexes']!r}: use some of {schema.SEXES}.")
    if "confidence" in parameters and parameters["confidence"] not in (0.95, 0.998):
        raise ParameterError(f"confidence={parameters['confidence']!r}: use 0.95 or 0.998.")
    needs_data = "period" in parameters or "area_code" in parameters
    if needs_data:
        if table is None:
            from cw_pophealth import snapshot

            table = snapshot.load_indicators(settings)
        keys = keys or notebook_indicators(notebook, settings=settings) or [
            s.key for s in catalogue.CORE_INDICATORS]
        ids = [catalogue.indicator_spec(k).indicator_id for k in keys]
        rows = table.loc[table["indicator_id"].isin(ids) & table["value"].notna()]
        if "area_code" in out and rows.loc[rows["area_code"] == out["area_code"]].empty:
            raise ParameterError(
                f"area_code={out['area_code']!r} ({lookup().name(out['area_code'])}) has no "
                f"data in the snapshot for any of the indicators {', '.join(map(str, ids))}.")
        period = parameters.get("period")
        if isinstance(period, str) and period.strip().lower() not in (transforms.LATEST,
                                                                       transforms.ALL_PERIODS):
            in_areas = rows.loc[rows["area_code"].isin(area_codes)] if area_codes else rows
            available = transforms._period_order(in_areas)
            if period.strip() not in available:
                raise ParameterError(
                    f"period={period!r}: no data for indicator(s) {', '.join(map(str, ids))} in "
                    f"{', '.join(area_codes) or 'any area'}. Use 'latest' or one of: "
                    f"{', '.join(available) or 'none'}.")
    logger.info("Parameters for %s are valid: %s", nb_name,
                {k: v for k, v in out.items() if k != OUTPUT_DIR_PARAMETER})
    return out


# ---------------------------------------------------------------------------------------------
# Stamps (skip unchanged runs)
# ---------------------------------------------------------------------------------------------
def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    blob = json.dumps(payload, sort_keys=True).encode()
    return {**payload, "hash": hashlib.sha256(blob).hexdigest()}


def _stamp_path(reports_dir: Path, name: str) -> Path:
    return reports_dir / STATE_DIR / f"{name}.json"


def is_up_to_date(run: ReportRun, stamp: dict, reports_dir: Path) -> bool:
    """True if ``reports/<run>/`` exists with its HTML and was made from the same inputs."""
    path = _stamp_path(reports_dir, run.name)
    folder = reports_dir / run.name
    if not path.is_file() or not (folder / f"{run.name}.html").is_file():
        return False
    try:
        previous = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return previous.get("hash") == stamp["hash"]


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------
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


@contextlib.contextmanager
def _environment(overrides: Mapping[str, str]):
    """Temporarily set environment variables (the kernel inherits them)."""
    old = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _kernel_environment(settings: Settings) -> dict[str, str]:
    env = {
        "CW_POPHEALTH_DATA": str(settings.data_dir),
        "CW_POPHEALTH_REPORTS": str(settings.reports_dir),
        # The Makefile exports MPLBACKEND=Agg for tests; notebooks need the inline backend
        # so that their figures appear in the executed notebook and its HTML.
        "MPLBACKEND": _INLINE_BACKEND,
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    if settings.extracts_dir is not None:
        env["CW_POPHEALTH_EXTRACTS"] = str(settings.extracts_dir)
    return env


def _failure_message(run_name: str, notebook: str, exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
        return (f"{notebook} failed in cell {exc.cell_index} (execution count "
                f"{exc.exec_count}, starting {first.strip()[:80]!r}): {exc.ename}: "
                f"{str(exc.evalue).strip()}")
    return f"{notebook} failed: {type(exc).__name__}: {exc}"


def _to_html(executed: Path, target: Path, title: str) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    target.write_text(body, encoding="utf-8")


def _execute(job: dict) -> dict:
    """Execute one run into its staging folder (runs in a worker process or in-process).

    Returns a plain dict so it crosses process boundaries: ``ok``, ``seconds``, ``message``.
    """
    import papermill

    start = time.perf_counter()
    staging = Path(job["staging"])
    staging.mkdir(parents=True, exist_ok=True)
    executed = staging / f"{job['name']}.ipynb"
    params = {**job["parameters"], OUTPUT_DIR_PARAMETER: str(staging)}
    try:
        with _environment(job["env"]):
            papermill.execute_notebook(
                job["notebook"], str(executed), parameters=params, kernel_name=KERNEL_NAME,
                cwd=str(staging), progress_bar=False, log_output=False,
                execution_timeout=job.get("timeout"), start_timeout=120,
            )
        _to_html(executed, staging / f"{job['name']}.html", job["title"])
    except Exception as exc:  # noqa: BLE001 - reported to the caller, never swallowed
        return {"ok": False, "seconds": time.perf_counter() - start,
                "message": _failure_message(job["name"], Path(job["notebook"]).name, exc)}
    return {"ok": True, "seconds": time.perf_counter() - start, "message": ""}


def _worker_init(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _swap_into_place(staging: Path, final: Path) -> None:
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


def _write_manifest(folder: Path, run: ReportRun, stamp: dict, seconds: float) -> None:
    outputs_path = folder / OUTPUTS_FILE
    outputs = json.loads(outputs_path.read_text()) if outputs_path.is_file() else []
    manifest = {
        "name": run.name, "title": run.title, "group": run.group,
        "notebook": run.notebook.name, "parameters": run.parameters,
        "executed_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(seconds, 2), "stamp": stamp, "outputs": outputs,
        "html": f"{run.name}.html", "executed_notebook": f"{run.name}.ipynb",
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))


def _crashed(exc: BaseException) -> dict:
    return {"ok": False, "seconds": 0.0,
            "message": f"worker crashed: {type(exc).__name__}: {exc}"}


def _execute_all(jobs_list: list[dict], *, jobs: int, executor: str,
                 dask_address: str | None) -> Iterable[tuple[str, dict]]:
    """Run notebook jobs and yield ``(run name, result)`` as each finishes.

    ``executor="process"`` uses this machine's worker processes (in this process when ``jobs``
    is 1 or there is one job); ``"dask"`` submits each job to a ``dask.distributed`` cluster.
    A crashed worker is reported as a failed run, never raised.
    """
    if not jobs_list:
        return
    if executor == "dask":
        yield from _execute_on_dask(jobs_list, jobs=jobs, address=dask_address)
        return
    if jobs <= 1 or len(jobs_list) <= 1:
        for job in jobs_list:
            logger.info("Executing %s (%s)", job["name"], Path(job["notebook"]).name)
            yield job["name"], _execute(job)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(logging.getLogger().getEffectiveLevel(),)) as pool:
        futures = {pool.submit(_execute, job): job["name"] for job in jobs_list}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker is a failed run
                result = _crashed(exc)
            yield futures[future], result


def _execute_on_dask(jobs_list: list[dict], *, jobs: int,
                     address: str | None) -> Iterable[tuple[str, dict]]:
    """Submit each notebook job to a Dask cluster (LocalCluster unless an address is given)."""
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise ConfigError("executor='dask' needs dask.distributed: pip install "
                          "'cw-pophealth[dask]' (or use the default process executor).") from exc
    address = address or os.environ.get("CW_POPHEALTH_DASK_SCHEDULER") or None
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1,
                               dashboard_address=None)
    logger.info("Running %d notebook(s) on Dask cluster %s", len(jobs_list),
                address or "LocalCluster")
    try:
        with Client(address or cluster) as client:
            futures = {
                client.submit(_execute, job, key=f"report-{job['name']}-{uuid.uuid4().hex[:6]}",
                              pure=False): job["name"]
                for job in jobs_list
            }
            for future in dask_completed(list(futures)):
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker is a failed run
                    result = _crashed(exc)
                yield futures[future], result
    finally:
        if cluster is not None:
            cluster.close()


def run_reports(config_path: str | os.PathLike | None = None, *,
                settings: Settings | None = None, jobs: int = 2, force: bool = False,
                only: Sequence[str] | None = None, raise_on_failure: bool = True,
                timeout: int | None = 900, executor: str = "process",
                dask_address: str | None = None) -> ReportSummary:
    """Run every report in the config through papermill into ``reports/`` (see module doc).

    Parameters
    ----------
    config_path : str or path-like, optional
        The reports YAML (default ``config/reports.yaml``).
    settings : Settings, optional
        Paths; the kernel gets the same data, extracts and reports folders.
    jobs : int, default 2
        Notebooks executed at once (worker processes); ``1`` runs in this process.
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
    dask_address : str, optional
        Scheduler address (``tcp://host:8786``) of an existing Dask cluster; default: the
        ``CW_POPHEALTH_DASK_SCHEDULER`` environment variable, else a ``LocalCluster`` of ``jobs``
        single-threaded workers. Workers need this package installed and the same data paths.

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
    """
    from cw_pophealth import snapshot
    from cw_pophealth.geography import get_geography

    started = time.perf_counter()
    if executor not in EXECUTORS:
        raise ParameterError(f"executor={executor!r}: use one of {EXECUTORS}.")
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
    reports_dir.mkdir(parents=True, exist_ok=True)
    input_sha = file_sha256(settings.indicators_table)
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
    env = _kernel_environment(settings)
    staging_root = reports_dir / STAGING_DIR
    jobs_by_name = {
        run.name: {
            "name": run.name, "notebook": str(run.notebook), "parameters": run.parameters,
            "title": run.title, "env": env, "timeout": timeout,
            "staging": str(staging_root / f"{run.name}-{uuid.uuid4().hex[:8]}"),
        } for run in todo
    }
    by_name = {r.name: r for r in runs}

    def finish(name: str, result: dict) -> None:
        run, job = by_name[name], jobs_by_name[name]
        staging = Path(job["staging"])
        if result["ok"]:
            _write_manifest(staging, run, stamps[name], result["seconds"])
            _swap_into_place(staging, reports_dir / name)
            stamp_file = _stamp_path(reports_dir, name)
            stamp_file.parent.mkdir(parents=True, exist_ok=True)
            stamp_file.write_text(json.dumps(stamps[name], indent=2))
            outcomes[name] = RunOutcome(name, "executed", result["seconds"], "",
                                        reports_dir / name)
            logger.info("Report %s done in %.1fs", name, result["seconds"])
        else:
            failed = reports_dir / FAILED_DIR / name
            shutil.rmtree(failed, ignore_errors=True)
            failed.parent.mkdir(parents=True, exist_ok=True)
            if staging.exists():
                os.replace(staging, failed)
            kept = (reports_dir / name).exists()
            message = (f"{result['message']} (partly executed notebook in {failed}; "
                       + ("previous report kept" if kept else "no earlier report") + ")")
            outcomes[name] = RunOutcome(name, "failed", result["seconds"], message,
                                        reports_dir / name if kept else None)
            logger.error("Report %s failed: %s", name, message)

    if todo:
        logger.info("Running %d notebook(s) with %d job(s): %s", len(todo), jobs,
                    ", ".join(r.name for r in todo))
    for name, result in _execute_all([jobs_by_name[r.name] for r in todo], jobs=jobs,
                                     executor=executor, dask_address=dask_address):
        finish(name, result)
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(reports_dir / TRASH_DIR, ignore_errors=True)
    ordered = [outcomes[r.name] for r in runs]
    index = write_index(reports_dir, runs, ordered, table=table, settings=settings)
    summary = ReportSummary(ordered, index, time.perf_counter() - started)
    logger.info("Reports: %d executed, %d skipped, %d failed; index %s", len(summary.executed),
                len(summary.skipped), len(summary.failed), index)
    if raise_on_failure and not summary.ok:
        raise ReportRunError(f"{len(summary.failed)} report(s) failed: "
                             + "; ".join(o.message for o in ordered if o.status == "failed"),
                             summary)
    return summary


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------
def _data_provenance(table: pd.DataFrame | None, settings: Settings) -> list[str]:
    lines = []
    path = settings.indicators_table
    if path.is_file():
        built = _dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        lines.append(f"Input table <code>{html.escape(str(path))}</code> "
                     f"(sha256 {file_sha256(path)[:12]}…, built {built:%Y-%m-%d %H:%M %Z}).")
    if table is not None and not table.empty:
        for src, group in table.groupby("source", sort=True):
            ids = ", ".join(str(i) for i in sorted(set(group["indicator_id"])))
            first = group.loc[group["period_start"].idxmin(), "period"]
            last = group.loc[group["period_end"].idxmax(), "period"]
            lines.append(f"{html.escape(str(src))}: indicators {ids}; periods "
                         f"{html.escape(str(first))} to {html.escape(str(last))} "
                         f"({len(group):,} rows)")
    return lines


def _links(folder: Path, name: str, manifest: dict) -> str:
    items = []
    for out in manifest.get("outputs", []):
        files = " ".join(
            f'<a href="{html.escape(name)}/{html.escape(f)}">{html.escape(Path(f).suffix[1:])}'
            f"</a>" for f in out.get("files", []))
        period = f" <span class=period>data period {html.escape(str(out['period']))}</span>" \
            if out.get("period") else ""
        items.append(f"<li>{html.escape(out.get('kind', ''))}: "
                     f"{html.escape(str(out.get('title', '')))} [{files}]{period}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>No saved figures or tables.</p>"


def write_index(reports_dir: Path, runs: Iterable[ReportRun], outcomes: Iterable[RunOutcome], *,
                table: pd.DataFrame | None = None, settings: Settings | None = None) -> Path:
    """Write ``reports/index.html`` linking each report's HTML, notebook, figures and tables.

    Each entry shows the run's status this time, when its report was made, its parameters and
    the data period of every figure and table; the page header gives the input table's hash
    and the sources in it.
    """
    settings = settings or get_settings()
    status = {o.name: o for o in outcomes}
    sections = []
    for run in runs:
        folder = reports_dir / run.name
        manifest_path = folder / MANIFEST_FILE
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        outcome = status.get(run.name)
        state = {"executed": "updated this run", "skipped": "unchanged (not re-run)",
                 "failed": "FAILED this run"}.get(outcome.status if outcome else "", "")
        detail = ""
        if outcome and outcome.status == "failed":
            detail = f"<p class=error>{html.escape(outcome.message)}</p>"
        if manifest:
            head = (f'<a href="{html.escape(run.name)}/{html.escape(manifest["html"])}">'
                    f"{html.escape(run.title)}</a>")
            notebook_href = f"{run.name}/{manifest['executed_notebook']}"
            made = (f"made {html.escape(manifest.get('executed_at', ''))} · "
                    f'<a href="{html.escape(notebook_href)}">executed notebook</a>')
            body = _links(folder, run.name, manifest)
        else:
            head, made, body = html.escape(run.title), "no report yet", ""
        params = ", ".join(f"{html.escape(str(k))}={html.escape(json.dumps(v, default=str))}"
                           for k, v in run.parameters.items())
        sections.append(f"<section><h2>{head}</h2><p class=meta>{html.escape(run.name)} · "
                        f"{html.escape(run.notebook.name)} · {state} · {made}</p>"
                        f"<p class=meta>Parameters: {params}</p>{detail}{body}</section>")
    provenance = "".join(f"<li>{line}</li>" for line in _data_provenance(table, settings))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>cw_pophealth reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; color: #222; }}
section {{ border-top: 1px solid #ddd; padding: 0.5rem 0; }}
h2 {{ font-size: 1.15rem; margin: 0.6rem 0 0.2rem; }}
.meta {{ color: #555; font-size: 0.9rem; margin: 0.1rem 0; }}
.period {{ color: #555; }}
.error {{ color: #a00; }}
</style></head><body>
<h1>Coventry &amp; Warwickshire population health reports</h1>
<p class=meta>Index written {_dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by cw_pophealth
{__version__}. Data are OHID Fingertips / ONS (Crown copyright, Open Government Licence v3.0).</p>
<h2>Data</h2><ul class=meta>{provenance}</ul>
{"".join(sections)}
</body></html>
"""
    path = reports_dir / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    logger.info("Wrote %s", path)
    return path
