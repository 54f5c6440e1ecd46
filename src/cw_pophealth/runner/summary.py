"""The summary page's content: headline numbers, what is worse, sources, in plain words.

Everything here comes from the package's analysis functions on the tidy table
(:func:`~cw_pophealth.analysis.window_of_need`, :func:`~cw_pophealth.analysis.benchmark_table`,
:func:`~cw_pophealth.analysis.recent_trends`) for the areas and parameters of the reports in the
folder; nothing is typed in. A value the data lack is an em dash with the reason. The functions
return plain dicts and lists of text, so that the page's template only displays them
(:mod:`cw_pophealth.runner.index`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from cw_pophealth import analysis, catalogue
from cw_pophealth.analysis.releases import short_release
from cw_pophealth.errors import CwPopHealthError
from cw_pophealth.periods import LATEST

logger = logging.getLogger(__name__)

__all__ = ["DASH", "areas_title", "focus_codes", "risk_headline", "sources_in_words",
           "watch_list", "window_headline"]

#: What a missing value reads as (followed by its reason).
DASH = "—"
#: The notebooks whose parameters give the headline numbers.
WINDOW_NOTEBOOK = "window_of_need.ipynb"
RISK_NOTEBOOK = "risk_factors.ipynb"
#: Indicators shown in the risk-factor headline when no risk-factor report says which.
DEFAULT_RISK_KEYS = ("smoking", "physical_inactivity", "overweight", "obesity", "alcohol",
                     "alcohol_admissions")


def fmt_value(value: Any, unit: str | None = None, digits: int = 1) -> str:
    """A value as a reader sees it: 1 dp and its unit, or :data:`DASH` when missing.

    Examples
    --------
    >>> fmt_value(14.1038, "%"), fmt_value(674.71, "per 100,000"), fmt_value(None, "%")
    ('14.1%', '674.7 per 100,000', '—')
    """
    if value is None or pd.isna(value):
        return DASH
    text = f"{float(value):.{digits}f}"
    if not unit:
        return text
    return text + ("%" if unit == "%" else f" {unit}")


def _codes(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def focus_codes(manifests: Iterable[Mapping[str, Any]]) -> list[str]:
    """The focus areas of the reports, in order: every ``area_codes`` parameter, each once."""
    out: list[str] = []
    for manifest in manifests:
        for code in _codes(manifest.get("parameters", {}).get("area_codes")):
            if code not in out:
                out.append(code)
    return out


def _focus_frame(table: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """The focus areas with names (an ICB code expands to its authorities)."""
    frame = analysis.area_selection(list(codes), [], include_districts=False)
    return frame.loc[frame["role"] == "focus"].reset_index(drop=True)


def areas_title(table: pd.DataFrame, codes: Sequence[str]) -> str:
    """The page title's areas: "Coventry and Warwickshire", "A, B and C" (empty without any).

    The areas are those of the reports' ``area_codes``, named as the table names them.
    """
    if not codes:
        return ""
    try:
        names = list(dict.fromkeys(_focus_frame(table, codes)["area_name"].astype(str)))
    except CwPopHealthError as exc:
        logger.warning("Page title: the areas %s could not be named: %s", codes, exc)
        names = list(codes)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _reason(status: Any, period: Any = None) -> str:
    text = str(status) if status is not None and not pd.isna(status) else "not in the data"
    return text + (f" for {period}" if period is not None and not pd.isna(period) else "")


def window_headline(table: pd.DataFrame, codes: Sequence[str], *,
                    sexes: Sequence[str] = ("Male", "Female"),
                    period: str = LATEST) -> dict[str, Any]:
    """Life expectancy, healthy life expectancy and the window of need for each focus area.

    The headline period is ``period`` when it names one, else the newest period for which any
    focus area has a gap (:func:`~cw_pophealth.analysis.window_of_need` with ``"latest"``).
    Every area and sex gets a row for that period; a value it lacks reads :data:`DASH` with the
    reason, and the row says the area's own latest gap where it has one in another period.

    Returns
    -------
    dict
        ``period``; ``rows`` (``area``, ``sex``, ``le``, ``hle``, ``gap``, ``note``) as text;
        ``error`` (why there is no headline, else empty).
    """
    try:
        areas = _focus_frame(table, codes)
        latest = analysis.window_of_need(table, areas, sexes=list(sexes), period=LATEST)
        with_gap = latest.dropna(subset=["gap"])
        if str(period).strip().lower() != LATEST:
            headline = str(period)
        elif len(with_gap):
            headline = str(with_gap.sort_values("period_start")["period"].iloc[-1])
        else:
            headline = None
        shown = (analysis.window_of_need(table, areas, sexes=list(sexes), period=headline)
                 if headline is not None else latest)
    except CwPopHealthError as exc:
        return {"period": "", "rows": [], "error": str(exc)}
    own = with_gap.set_index(["area_code", "sex"])
    rows = []
    for r in shown.itertuples(index=False):
        note = ""
        if pd.isna(r.gap):
            note = _reason(r.status, r.period)
            if (r.area_code, r.sex) in own.index:
                o = own.loc[(r.area_code, r.sex)]
                releases = "; ".join(short_release(x) for x in dict.fromkeys(
                    [o["le_release"], o["hle_release"]]) if not pd.isna(x))
                note += (f". Latest window of need in the data: {fmt_value(o['gap'])} years "
                         f"in {o['period']} ({releases}"
                         + (", an earlier release" if bool(o["earlier_release"]) else "") + ")")
        elif bool(r.earlier_release):
            note = "earlier release"
        rows.append({"area": str(r.area_name), "sex": str(r.sex),
                     "le": fmt_value(r.le), "hle": fmt_value(r.hle), "gap": fmt_value(r.gap),
                     "note": note})
    return {"period": headline or "", "rows": rows, "error": ""}


def risk_headline(table: pd.DataFrame, codes: Sequence[str], *,
                  indicator_keys: Sequence[str] = DEFAULT_RISK_KEYS,
                  benchmark_code: str = catalogue.ENGLAND,
                  period: str = LATEST) -> dict[str, Any]:
    """Each risk factor for each focus area against the benchmark, with its period.

    One :func:`~cw_pophealth.analysis.benchmark_table` (each area its own latest period unless
    ``period`` names one). A missing value reads :data:`DASH` with the table's status.

    Returns
    -------
    dict
        ``benchmark`` (its name), ``areas`` (names, the columns), ``rows`` (``indicator`` and
        ``cells``: one per area with ``value``, ``comparison``, ``period``, ``note``),
        ``error``.
    """
    try:
        areas = _focus_frame(table, codes)
        bench = analysis.benchmark_table(table, list(indicator_keys), areas, benchmark_code,
                                         period=period)
    except CwPopHealthError as exc:
        return {"benchmark": "", "areas": [], "rows": [], "error": str(exc)}
    bench = bench.loc[bench["area_code"].isin(set(areas["area_code"]))]
    names = list(dict.fromkeys(areas["area_name"].astype(str)))
    rows = []
    for (_, ind_name, sex), group in bench.groupby(["indicator_id", "indicator_name", "sex"],
                                                    sort=False, dropna=False):
        cells = []
        for r in group.drop_duplicates("area_code").itertuples(index=False):
            missing = pd.isna(r.value)
            note = _reason(r.status) if missing else (
                "earlier release" if bool(r.earlier_release) else "")
            cells.append({"value": fmt_value(r.value, r.unit),
                          "comparison": "" if missing else str(r.comparison),
                          "period": "" if pd.isna(r.period) else str(r.period), "note": note})
        label = f"{ind_name} ({group['indicator_id'].iloc[0]})"
        if not pd.isna(sex) and sex != "Persons":
            label += f", {sex}"
        rows.append({"indicator": label, "cells": cells})
    return {"benchmark": str(bench["benchmark_name"].iloc[0]) if len(bench) else "",
            "areas": names, "rows": rows, "error": ""}


def watch_list(table: pd.DataFrame, codes: Sequence[str], *,
               indicator_keys: Sequence[str] = DEFAULT_RISK_KEYS,
               benchmark_code: str = catalogue.ENGLAND) -> dict[str, Any]:
    """What is worse than the benchmark, and what is getting worse, for the focus areas.

    "Worse" rows are :func:`~cw_pophealth.analysis.benchmark_table` rows (life expectancy,
    healthy life expectancy and the risk factors, each area's latest period) labelled Worse;
    "getting worse" rows are :func:`~cw_pophealth.analysis.recent_trends` results that end
    "and getting worse". ``trend_note`` says how many series could be tested at all.

    Returns
    -------
    dict
        ``worse`` and ``getting_worse`` (lists of sentences), ``trend_note``, ``error``.
    """
    keys = ["life_expectancy", "healthy_life_expectancy",
            *[k for k in indicator_keys if k not in ("life_expectancy",
                                                     "healthy_life_expectancy")]]
    try:
        areas = _focus_frame(table, codes)
        bench = analysis.benchmark_table(table, keys, areas, benchmark_code)
        trends = analysis.recent_trends(table, list(indicator_keys), areas)
    except CwPopHealthError as exc:
        return {"worse": [], "getting_worse": [], "trend_note": "", "error": str(exc)}
    worse = []
    for r in bench.loc[bench["comparison"] == "Worse"].itertuples(index=False):
        sex = "" if pd.isna(r.sex) or r.sex == "Persons" else f" ({r.sex.lower()})"
        worse.append(f"{r.area_name}: {r.indicator_name}{sex}, {fmt_value(r.value, r.unit)} in "
                     f"{r.period}, against {r.benchmark_name}'s "
                     f"{fmt_value(r.benchmark_value, r.unit)}"
                     + (" (earlier release)" if bool(r.earlier_release) else ""))
    getting_worse = [
        f"{r.area_name}: {r.indicator_name}, {str(r.trend).lower()} ({r.periods})"
        for r in trends.itertuples(index=False)
        if str(r.trend).lower().endswith("getting worse")]
    tested = trends["trend"].ne("Cannot be calculated").sum()
    trend_note = (f"A recent trend (the latest 5 annual points) could be tested for {tested} of "
                  f"{len(trends)} area and indicator series; the others lack 5 consecutive "
                  "annual values with confidence intervals or counts in the data.")
    return {"worse": worse, "getting_worse": getting_worse, "trend_note": trend_note,
            "error": ""}


def sources_in_words(table: pd.DataFrame | None) -> list[str]:
    """One sentence per release in the table: what it holds, its periods and its date.

    Examples
    --------
    >>> sources_in_words(None)
    []
    """
    if table is None or table.empty:
        return []
    current = table.loc[table["current"].astype(bool)] if "current" in table.columns else table
    out = []
    ordered = current.sort_values("release_date", ascending=False)
    for release, group in ordered.groupby("release", sort=False):
        names = []
        for i in sorted(set(group["indicator_id"])):
            try:
                names.append(catalogue.indicator_spec(int(i)).short_name)
            except CwPopHealthError:
                names.append(str(group.loc[group["indicator_id"] == i,
                                           "indicator_name"].iloc[0]))
        first = group.loc[group["period_start"].idxmin(), "period"]
        last = group.loc[group["period_end"].idxmax(), "period"]
        date = pd.Timestamp(group["release_date"].iloc[0])
        span = f"{first}" if first == last else f"{first} to {last}"
        shown = names if len(names) <= 6 else [*names[:6], f"{len(names) - 6} more"]
        out.append(f"{release}, dated {date:%-d %B %Y}: {', '.join(shown)}; periods {span}.")
    return out


def changes_for_page(refresh: Mapping[str, Any], codes: Sequence[str], *,
                     limit: int = 15) -> dict[str, Any]:
    """The changes since the last refresh as the page lists them.

    Indicators that appeared or vanished and new or withdrawn periods are listed in full;
    comparisons that changed and revised values are listed for the focus areas (``codes``) and
    England, at most ``limit`` of each, with the number left to the CSV.

    Parameters
    ----------
    refresh : mapping
        :func:`cw_pophealth.runner.refresh.record_refresh` output.
    codes : sequence of str
        The focus areas.
    """
    from cw_pophealth.analysis import changes as ch

    frame = refresh.get("changes")
    out: dict[str, Any] = {"compared": bool(refresh.get("compared")),
                           "message": (refresh.get("message")
                                       or "There is no earlier refresh to compare with."),
                           "csv": refresh.get("csv", ""),
                           "counts": [], "indicators": [], "periods": [], "comparisons": [],
                           "revisions": [], "more": {}}
    if frame is None or not out["compared"]:
        return out
    out["counts"] = [{"kind": k, "n": n} for k, n in ch.count_changes(frame).items()]

    def label(r) -> str:
        parts = [str(r.area_name) if not pd.isna(r.area_name) else "",
                 str(r.indicator_name)]
        if not pd.isna(r.sex) and r.sex != "Persons":
            parts.append(str(r.sex).lower())
        return ", ".join(p for p in parts if p) + f", {r.period}"

    for r in frame.loc[frame["change"].isin([ch.APPEARED, ch.VANISHED])].itertuples(index=False):
        out["indicators"].append(f"{r.indicator_name} ({r.indicator_id}) {r.change.split()[-1]}"
                                 f": {r.detail}")
    for r in frame.loc[frame["change"].isin([ch.NEW_PERIOD, ch.WITHDRAWN])].itertuples(
            index=False):
        verb = "new period" if r.change == ch.NEW_PERIOD else "period withdrawn"
        out["periods"].append(f"{r.indicator_name} ({r.indicator_id}): {verb} {r.period}, "
                              f"{int(r.n_areas)} area(s)")
    near = set(codes) | {catalogue.ENGLAND}
    for kind, key in ((ch.COMPARISON, "comparisons"), (ch.REVISED, "revisions")):
        rows = frame.loc[(frame["change"] == kind) & frame["area_code"].isin(near)]
        total = int((frame["change"] == kind).sum())
        for r in rows.head(limit).itertuples(index=False):
            out[key].append({"what": label(r), "old": (str(r.old_comparison) if kind ==
                                                        ch.COMPARISON else fmt_value(r.old_value)),
                             "new": (str(r.new_comparison) if kind == ch.COMPARISON
                                     else fmt_value(r.new_value)),
                             "note": "" if pd.isna(r.detail) or kind == ch.COMPARISON
                             else str(r.detail)})
        out["more"][key] = total - min(len(rows), limit)
    return out
