"""``reports/index.html``: every report, its figures and tables, with their data periods."""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cw_pophealth import __version__, atomic
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.fingerprint import file_sha256
from cw_pophealth.runner.config import ReportRun
from cw_pophealth.runner.state import MANIFEST_FILE, RunOutcome

logger = logging.getLogger(__name__)

__all__ = ["write_index"]


def _data_provenance(table: pd.DataFrame | None, settings: Settings) -> list[str]:
    lines = []
    path = settings.indicators_table
    if path.is_file():
        built = _dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
        lines.append(f"Input table <code>{html.escape(path.name)}</code> in the data folder "
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


def _links(name: str, manifest: dict) -> str:
    """The list of a report's saved figures and tables, linked, with their data periods."""
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
            body = _links(run.name, manifest)
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
    path = atomic.write_text(reports_dir / "index.html", page)
    logger.info("Wrote %s", path)
    return path
