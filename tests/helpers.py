"""Helpers shared by several test modules (plain functions; fixtures live in conftest.py).

Values made up here are synthetic test data and are labelled as such.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pandas as pd
from matplotlib.axes import Axes
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cw_pophealth import catalogue, schema
from cw_pophealth.periods import add_period_bounds

if TYPE_CHECKING:
    from cw_pophealth.config import Settings

COVENTRY = catalogue.COVENTRY
WARWICKSHIRE = catalogue.WARWICKSHIRE
LE = catalogue.LIFE_EXPECTANCY_ID
ALCOHOL = 92778  # known to the API's metadata, but the extracts hold no rows for it

COV, WARKS, WM, ENG = (catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.WEST_MIDLANDS,
                       catalogue.ENGLAND)
#: Synthetic test areas: area types and names for :func:`tidy`.
AREA_TYPES = {COV: "UA", WARKS: "County", WM: "Region", ENG: "England",
              "E06000001": "UA", "E06000002": "UA", "E06000003": "UA", "E06000004": "UA"}
NAMES = {COV: "Coventry", WARKS: "Warwickshire", WM: "West Midlands", ENG: "England",
         "E06000001": "Hartlepool", "E06000002": "Middlesbrough", "E06000003": "Redcar",
         "E06000004": "Stockton"}


def fake_api_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a fake Fingertips API serves: the current release of each Fingertips indicator.

    The snapshot keeps every release of an observation and local (negative-id) series; the API
    serves one value per observation and Fingertips ids only.
    """
    current = schema.current_rows(table)
    return current.loc[~current["indicator_id"].map(catalogue.is_local_indicator)]


def data_requests(fake):
    return fake.requests_to("all_data/")


def coventry_le(table: pd.DataFrame, sex: str) -> float:
    row = table.loc[(table["area_code"] == COVENTRY) & (table["indicator_id"] == LE)
                    & (table["period"] == "2021 - 23") & (table["sex"] == sex), "value"]
    return float(row.iloc[0])


def data_cache_files(settings) -> dict:
    """Every file of the raw cache's ``all_data`` responses (bodies and sidecars) with its bytes."""
    root = settings.raw_dir / "fingertips" / "all_data"
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def without_source_ref(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns="source_ref").sort_values(
        ["indicator_id", "area_code", "sex", "period_start"]).reset_index(drop=True)


def derived_files(settings) -> list:
    return sorted((settings.processed_dir / "cache" / "fingertips-tidy").rglob("*.parquet"))


def count_tidy_calls(monkeypatch) -> list:
    """Count the client's conversions of CSV rows to the tidy schema (patched where the client
    calls them): one response or area type at a time (``tidy_from_fingertips_csv``, what
    ``fingertips_data`` does) or every response of a pull at once (``tidy_rows_of_responses``).
    Each call records the ``source_ref`` or the ``where`` it was given."""
    import importlib

    from cw_pophealth.fingertips import data

    pull_module = importlib.import_module("cw_pophealth.fingertips.pull")
    calls = []
    for module, name, label in ((data, "tidy_from_fingertips_csv", "source_ref"),
                                (pull_module, "tidy_rows_of_responses", "where")):
        real = getattr(module, name)

        def counting(*args, _real=real, _label=label, **kwargs):
            calls.append(kwargs.get(_label))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    return calls


def tidy(rows: list[dict]) -> pd.DataFrame:
    """A small SYNTHETIC tidy table from row dicts (indicator_id, area_code, sex, period,
    value, ...)."""
    records = []
    for r in rows:
        records.append({
            "indicator_name": "test", "area_name": NAMES[r["area_code"]],
            "area_type": AREA_TYPES[r["area_code"]], "sex": "Persons",
            "source": r.get("source", "test source (2026-01-01)"),
            "source_ref": r.get("source_ref", "test.csv"),
            "release": r.get("release", "synthetic test release"),
            "release_date": r.get("release_date", pd.Timestamp("2026-01-01")),
            "current": r.get("current", True), **r,
        })
    df = add_period_bounds(pd.DataFrame(records))
    return schema.validate_tidy(schema.coerce_tidy(df))


def one(df: pd.DataFrame, **where) -> pd.Series:
    """The one row of ``df`` whose columns equal ``where`` (the test fails unless exactly one)."""
    mask = pd.Series(True, index=df.index)
    for col, val in where.items():
        mask &= df[col] == val
    assert mask.sum() == 1, (where, df.loc[mask])
    return df.loc[mask].iloc[0]


def all_text(ax: Axes) -> str:
    """Every text artist of an axes, joined (for assertions on what a chart says)."""
    return " | ".join(t.get_text() for t in ax.texts)


def tiny_notebook(path: Path) -> Path:
    """A notebook with a parameters cell that saves one table and can be told to fail."""
    nb = new_notebook(cells=[
        new_markdown_cell("# Tiny report"),
        new_code_cell('message: str = "hello"  # text to save\n'
                      "fail: bool = False  # raise an error in the next cell\n"
                      'output_dir: str = ""  # where to save; empty means do not save',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import pandas as pd\nfrom cw_pophealth import report"),
        new_code_cell('assert not fail, "asked to fail"'),
        new_code_cell('report.save_table(pd.DataFrame({"message": [message]}), "message", '
                      "output_dir=output_dir)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    nbformat.write(nb, path)
    return path


def tiny_run(name: str = "tiny", **params) -> dict:
    """A reports-config entry for the tiny notebook."""
    return {"name": name, "notebook": "tiny.ipynb", "parameters": params}


PROBE_KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}}

#: What the probe notebook records about the kernel it ran in.
PROBE = """\
import json, os, sys, warnings
import matplotlib.pyplot as plt
state = {
    "pid": os.getpid(),
    "cwd": os.getcwd(),
    "marker": os.environ.get("CW_TEST_MARKER"),
    "data": os.environ.get("CW_POPHEALTH_DATA"),
    "leftover": "left_by_last_notebook" in dir(),
    "open_figures": len(plt.get_fignums()),
    "filters": len(warnings.filters),
}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("default")
    warnings.warn_explicit("shown once per location", UserWarning, "probe.py", 1,
                           module="probe", registry=sys.modules["__main__"].__dict__
                           .setdefault("__warningregistry__", {}))
state["warned"] = len(caught)
"""
#: What the probe then leaves behind, for the next notebook in the same kernel to find.
LITTER = """\
left_by_last_notebook = 1
plt.figure()
warnings.filterwarnings("ignore")
open(os.path.join(output_dir, "state.json"), "w").write(json.dumps(state))
"""


def probe_notebook(path: Path, *, fail: bool = False) -> Path:
    """A notebook that records the kernel it ran in (pid, folder, environment, leftovers) in
    ``state.json`` and then litters the kernel, for the warm-kernel tests."""
    cells = [new_code_cell('output_dir: str = ""', metadata={"tags": ["parameters"]}),
             new_code_cell(PROBE), new_code_cell(LITTER)]
    if fail:
        cells.append(new_code_cell("raise RuntimeError('probe asked to fail')"))
    nbformat.write(new_notebook(cells=cells, metadata=PROBE_KERNELSPEC), path)
    return path


def probe_job(tmp_path: Path, name: str, notebook: Path, **extra) -> dict:
    """A runner job (as :mod:`cw_pophealth.runner.execute` takes) for the probe notebook."""
    return {"name": name, "notebook": str(notebook), "parameters": {}, "title": name,
            "env": {"CW_TEST_MARKER": "same"}, "timeout": 120, "labels": {},
            "staging": str(tmp_path / "staging" / name), **extra}


def probe_state(j: dict) -> dict:
    """What the probe notebook of job ``j`` recorded."""
    return json.loads((Path(j["staging"]) / "state.json").read_text())


def deduplicate_sources_before_issue_14(df: pd.DataFrame, priority: list[str]) -> pd.DataFrame:
    """``schema.deduplicate_sources`` as it was before issue 14 (a stable sort by priority, a
    groupby for the clash warning, ``drop_duplicates`` and a sort): the reference that the lean
    version must match row for row."""
    import logging

    import numpy as np

    if df.empty:
        return df
    rank = np.full(len(df), len(priority), dtype=int)
    for i, prefix in enumerate(reversed(priority)):
        rank[df["source"].str.startswith(prefix).to_numpy(dtype=bool)] = len(priority) - 1 - i
    key = list(schema.OBSERVATION_KEY)
    ordered = df.assign(_rank=rank).sort_values("_rank", kind="stable")
    grouped = ordered.groupby(key, dropna=False)["value"]
    spread = grouped.max() - grouped.min()
    clash = spread[spread > 0.051]
    if len(clash):
        logging.getLogger("cw_pophealth.schema").warning(
            "%d observation(s) differ between sources by more than rounding; kept the "
            "higher-priority source. First: %s", len(clash), clash.index[0])
    out = ordered.drop_duplicates(key, keep="first").drop(columns="_rank")
    return out.sort_values(["indicator_id", "area_code", "sex", "period_start"]).reset_index(
        drop=True)


def pulled_table_before_issue_14(plan, bodies) -> pd.DataFrame:
    """The table a pull wrote before issue 14, built the old way from the same responses: each
    response converted and validated on its own, concatenated in plan order, de-duplicated
    (:func:`deduplicate_sources_before_issue_14`) and validated again."""
    from cw_pophealth.fingertips import data, parse

    frames = [parse.tidy_from_fingertips_csv(
        parse.as_pandas(parse.parse_fingertips_csv(b.body, b.url)), source=data.API_SOURCE_LABEL,
        source_ref=b.url, release=b.release[0], release_date=b.release[1])
        for b in bodies]
    frames = [f for f in frames if len(f)]
    table = pd.concat(frames, ignore_index=True)
    if plan.area_codes:
        table = table.loc[table["area_code"].isin(plan.area_codes)]
    table = deduplicate_sources_before_issue_14(table, [data.API_SOURCE_LABEL])
    return schema.validate_tidy(table)


def copy_of_built_data(built: Settings, data_dir: Path) -> Settings:
    """``built``'s settings with ``data_dir`` holding a copy of its data folder (the snapshot
    the session built): what `build` writes, without building again. The tables' stamps hold
    content hashes and file names, so the copy is current (``snapshot.is_current``)."""
    shutil.copytree(built.data_dir, data_dir)
    return built.with_(data_dir=data_dir)
