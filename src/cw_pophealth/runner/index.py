"""``reports/index.html``: the summary page of every report in the reports folder.

The page opens with the headline numbers (:mod:`cw_pophealth.runner.summary`: the window of
need by sex and each risk factor against the benchmark, with periods; what is worse and what is
getting worse), then what changed since the last refresh (:mod:`cw_pophealth.runner.refresh`),
a thumbnail linking to each report, and the sources and data dates in words. Parameters,
hashes and files are in a collapsed "Build details" section.

The page lists every report folder in the reports folder (each has a ``manifest.json``), not
only those of this run's config, so a run of another config adds its reports to the index. It
is rendered by the Jinja2 template ``templates/index.html.j2`` with autoescape on: every name
from the data or the config is escaped.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from cw_pophealth import __version__, atomic, catalogue
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.fingerprint import file_sha256
from cw_pophealth.runner import summary
from cw_pophealth.runner.config import ReportRun
from cw_pophealth.runner.state import MANIFEST_FILE, RunOutcome

logger = logging.getLogger(__name__)

__all__ = ["LICENCE", "index_context", "read_manifests", "render_index", "write_index"]

LICENCE = ("Data: OHID Fingertips and the Office for National Statistics (Crown copyright, "
           "Open Government Licence v3.0); GBD 2017 from IHME (non-commercial use, with "
           "attribution).")
_STATES = {"executed": "updated this run", "skipped": "unchanged (not re-run)",
           "failed": "FAILED this run"}


@cache
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("cw_pophealth.runner", "templates"),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)


def read_manifests(reports_dir: Path, runs: Iterable[ReportRun] = ()) -> list[dict[str, Any]]:
    """Every report folder's manifest: this run's reports in config order, then the others.

    A run of ``runs`` with no report yet gets a stub (``name``, ``title``, ``notebook``,
    ``parameters``) so the page can say so.
    """
    found: dict[str, dict] = {}
    if reports_dir.is_dir():
        for path in sorted(reports_dir.glob(f"*/{MANIFEST_FILE}")):
            if path.parent.name.startswith("."):
                continue
            try:
                found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("Index: %s is unreadable (%s); its report is left out", path, exc)
    ordered = []
    for run in runs:
        manifest = found.pop(run.name, None)
        ordered.append(manifest if manifest is not None else {
            "name": run.name, "title": run.title, "group": run.group,
            "notebook": run.notebook.name, "parameters": run.parameters})
    return ordered + [found[name] for name in sorted(found)]


def _report_entry(manifest: Mapping[str, Any], outcome: RunOutcome | None) -> dict[str, Any]:
    name = str(manifest["name"])
    has_report = "html" in manifest
    outputs = []
    thumbnail, thumbnail_alt, period = "", "", ""
    for out in manifest.get("outputs", []):
        files = [{"href": f"{name}/{f}", "label": Path(f).suffix[1:]}
                 for f in out.get("files", [])]
        outputs.append({"kind": out.get("kind", ""), "title": str(out.get("title", "")),
                        "period": str(out.get("period") or ""), "files": files})
        png = next((f for f in out.get("files", []) if f.endswith(".png")), None)
        if not thumbnail and out.get("kind") == "figure" and png:
            thumbnail = f"{name}/{png}"
            thumbnail_alt = str(out.get("alt") or f"Figure: {out.get('title', '')}")
            period = str(out.get("period") or "")
    failed = ""
    if outcome is not None and outcome.status == "failed":
        failed = ("the report shown is the previous good one" if has_report
                  else "there is no earlier report")
    stamp = manifest.get("stamp") or {}
    return {
        "name": name, "title": str(manifest.get("title") or name),
        "notebook": str(manifest.get("notebook", "")),
        "href": f"{name}/{manifest['html']}" if has_report else "",
        "executed_notebook": (f"{name}/{manifest['executed_notebook']}"
                              if manifest.get("executed_notebook") else ""),
        "thumbnail": thumbnail, "thumbnail_alt": thumbnail_alt, "period": period,
        "made": str(manifest.get("executed_at", "")) if has_report else "no report yet",
        "seconds": manifest.get("seconds", ""),
        "state": _STATES.get(outcome.status, "") if outcome else "",
        "failed": failed, "error": outcome.message if failed and outcome else "",
        "parameters": json.dumps(manifest.get("parameters", {}), default=str),
        "stamp": (f"run {stamp['hash'][:12]}, input table {stamp['input_table_sha256'][:12]}, "
                  f"package {stamp.get('package_version', '')} source "
                  f"{stamp['package_source_sha256'][:12]}" if "hash" in stamp else ""),
        "outputs": outputs,
    }


def _headlines(table: pd.DataFrame | None, manifests: list[dict[str, Any]],
               codes: list[str]) -> tuple[list[dict], list[dict], dict | None]:
    """The window-of-need and risk-factor headlines, one per distinct set of parameters of the
    reports that make them (the focus areas of every report when none does), and the watch
    list."""
    if table is None or table.empty or not codes:
        return [], [], None

    def params(notebook: str) -> list[dict]:
        seen, out = set(), []
        for m in manifests:
            if m.get("notebook") == notebook and "html" in m:
                p = m.get("parameters", {})
                key = json.dumps(p, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    out.append(p)
        return out

    windows = []
    for p in params(summary.WINDOW_NOTEBOOK) or [{"area_codes": codes}]:
        w = summary.window_headline(table, p.get("area_codes", codes),
                                    sexes=p.get("sexes", ("Male", "Female")),
                                    period=p.get("period", "latest"))
        w["areas"] = ("Each area's row is for the headline period; a value the data lack is "
                      f"shown as {summary.DASH} with the reason")
        windows.append(w)
    risks, watch = [], None
    for p in params(summary.RISK_NOTEBOOK) or [{"area_codes": codes}]:
        keys = p.get("indicator_keys", summary.DEFAULT_RISK_KEYS)
        bench = p.get("benchmark_code", catalogue.ENGLAND)
        risks.append(summary.risk_headline(table, p.get("area_codes", codes),
                                           indicator_keys=keys, benchmark_code=bench,
                                           period=p.get("period", "latest")))
        if watch is None:
            watch = summary.watch_list(table, p.get("area_codes", codes), indicator_keys=keys,
                                       benchmark_code=bench)
            watch["benchmark"] = risks[-1].get("benchmark") or "the benchmark"
    return windows, risks, watch


def index_context(reports_dir: Path, runs: Iterable[ReportRun] = (),
                  outcomes: Iterable[RunOutcome] = (), *, table: pd.DataFrame | None = None,
                  settings: Settings | None = None,
                  refresh: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the summary page shows, as plain values (the template only lays them out)."""
    settings = settings or get_settings()
    status = {o.name: o for o in outcomes}
    manifests = read_manifests(reports_dir, list(runs))
    codes = summary.focus_codes(manifests)
    areas = summary.areas_title(table, codes) if table is not None and codes else ""
    windows, risks, watch = _headlines(table, manifests, codes)
    reports = [_report_entry(m, status.get(str(m["name"]))) for m in manifests]
    path = settings.indicators_table
    table_line = ""
    if path.is_file():
        built = _dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        table_line = (f"Input table {path.name} in the data folder, sha256 "
                      f"{file_sha256(path)[:12]}…, built {built:%Y-%m-%d %H:%M %Z}.")
    now = _dt.datetime.now().astimezone()
    n_ok = sum(1 for r in reports if r["href"])
    return {
        "title": f"Population health: {areas}" if areas else "Population health reports",
        "lede": (f"{n_ok} report{'s' if n_ok != 1 else ''}, summary updated "
                 f"{now:%-d %B %Y}. Headline numbers are each area's latest period in the "
                 "data; the reports give the detail, confidence intervals and caveats."),
        "windows": windows, "risks": risks, "watch": watch,
        "changes": summary.changes_for_page(refresh or {}, codes),
        "reports": reports, "sources": summary.sources_in_words(table), "licence": LICENCE,
        "written": f"{now:%Y-%m-%d %H:%M %Z}", "version": __version__,
        "table_line": table_line, "dash": summary.DASH,
    }


def render_index(context: Mapping[str, Any]) -> str:
    """The summary page's HTML from :func:`index_context` (Jinja2, autoescape on)."""
    return _environment().get_template("index.html.j2").render(**context)


def write_index(reports_dir: Path, runs: Iterable[ReportRun], outcomes: Iterable[RunOutcome], *,
                table: pd.DataFrame | None = None, settings: Settings | None = None,
                refresh: Mapping[str, Any] | None = None) -> Path:
    """Write ``reports/index.html``, the summary page (see the module docstring).

    Parameters
    ----------
    reports_dir : pathlib.Path
        The reports folder; every report folder in it is listed.
    runs, outcomes
        This run's reports and how each went (listed first, with their status).
    table : pandas.DataFrame, optional
        The tidy table the reports ran on: the headline numbers and sources come from it.
    settings : Settings, optional
    refresh : mapping, optional
        :func:`cw_pophealth.runner.refresh.record_refresh` output (what changed since the last
        refresh); without it the page says there is nothing to compare with.
    """
    context = index_context(reports_dir, runs, outcomes, table=table, settings=settings,
                            refresh=refresh)
    path = atomic.write_text(reports_dir / "index.html", render_index(context))
    logger.info("Wrote %s", path)
    return path
