"""Presentation: analysis tables as readers see them (1 dp, explicit text for missing values)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cw_pophealth.analysis.releases import short_release
from cw_pophealth.periods import period_order

__all__ = ["benchmark_summary", "earlier_release_note", "present_area_profile",
           "present_benchmark", "present_coverage", "report_heading",
           "present_local_estimates", "present_window_of_need", "window_of_need_over_time"]


def _fmt(value, digits: int = 1, missing: str = "—") -> str:
    return missing if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _fmt_ci(lower, upper, digits: int = 1) -> str:
    if pd.isna(lower) or pd.isna(upper):
        return "not in data"
    return f"{lower:.{digits}f} to {upper:.{digits}f}"


def present_window_of_need(won: pd.DataFrame, *, drop_empty: bool = False,
                           districts: bool = True) -> pd.DataFrame:
    """The :func:`window_of_need` table as a reader sees it (1 dp, "not in data" spelled out).

    Parameters
    ----------
    won : pandas.DataFrame
        :func:`window_of_need` output.
    drop_empty : bool, default False
        Leave out rows with neither LE nor HLE (e.g. periods before an indicator starts).
    districts : bool, default True
        Keep rows whose role is a district (set False for a shorter multi-period table).

    Returns
    -------
    pandas.DataFrame
        Columns Area, Sex, Period, Life expectancy, LE 95% CI, Healthy life expectancy,
        HLE 95% CI, Gap (years in not-good health), Gap 95% CI (approx.), Release (of LE and
        HLE, "earlier release" where more than a year older than the newest), Status.
    """
    if drop_empty:
        won = won.loc[won["le"].notna() | won["hle"].notna()]
    if not districts and "role" in won.columns:
        won = won.loc[~won["role"].astype(str).str.startswith("district")]
    won = won.reset_index(drop=True)
    return pd.DataFrame({
        "Area": won["area_name"],
        "Sex": won["sex"],
        "Period": won["period"],
        "Life expectancy (years)": [_fmt(v, missing="not in data") for v in won["le"]],
        "LE 95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                      zip(won["le"], won["le_lower"], won["le_upper"], strict=True)],
        "Healthy life expectancy (years)": [_fmt(v, missing="not in data") for v in won["hle"]],
        "HLE 95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                       zip(won["hle"], won["hle_lower"], won["hle_upper"], strict=True)],
        "Gap: years in not-good health": [_fmt(v, missing="cannot be calculated")
                                          for v in won["gap"]],
        "Gap 95% CI (approx.)": [_fmt_ci(lo, hi) if pd.notna(g) else "" for g, lo, hi in
                                 zip(won["gap"], won["gap_lower"], won["gap_upper"],
                                     strict=True)],
        "Release": [_releases(le, hle, old) for le, hle, old in zip(
            won.get("le_release", pd.Series(pd.NA, index=won.index)),
            won.get("hle_release", pd.Series(pd.NA, index=won.index)),
            won.get("earlier_release", pd.Series(False, index=won.index)), strict=True)],
        "Status": won["status"],
    })


def _releases(le, hle, old) -> str:
    parts = [f"{what} {short_release(r)}" for what, r in (("LE", le), ("HLE", hle))
             if r is not None and not pd.isna(r)]
    return "; ".join(parts) + (" (earlier release)" if bool(old) else "")


def window_of_need_over_time(won: pd.DataFrame) -> pd.DataFrame:
    """Gap (LE - HLE, years) by area and sex (rows) and period (columns), 1 dp as text.

    Cells without a gap read "—". Areas and periods with no gap at all are left out of this
    summary; the ``status`` column of :func:`window_of_need` says why for each of them.
    """
    wide = won.pivot_table(index=["area_name", "sex"], columns="period", values="gap",
                           aggfunc="first", sort=False, dropna=False)
    periods = period_order(won.dropna(subset=["period_start"]))
    wide = wide.reindex(columns=[p for p in periods if p in wide.columns])
    order = won.drop_duplicates(["area_name", "sex"])[["area_name", "sex"]]
    wide = wide.reindex(pd.MultiIndex.from_frame(order))
    wide = wide.dropna(how="all").dropna(axis=1, how="all")
    wide.index.names = ["Area", "Sex"]
    wide.columns.name = "Period"
    return wide.map(_fmt)


def present_benchmark(bench: pd.DataFrame) -> pd.DataFrame:
    """A :func:`benchmark_table` as a reader sees it, one row per indicator x area x sex."""
    return pd.DataFrame({
        "Indicator": bench["indicator_name"] + " (" + bench["indicator_id"].astype(str) + ")",
        "Area": bench["area_name"],
        "Sex": bench["sex"].fillna(""),
        "Period": bench["period"].fillna("—"),
        "Value": [_fmt(v, missing="no data") + ("" if pd.isna(v) else f" {u}".replace(" %", "%"))
                  for v, u in zip(bench["value"], bench["unit"], strict=True)],
        "95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                   zip(bench["value"], bench["lower"], bench["upper"], strict=True)],
        "Benchmark": [f"{n} {_fmt(b)}" for n, b in
                      zip(bench["benchmark_name"], bench["benchmark_value"], strict=True)],
        "Compared with benchmark": bench["comparison"],
        "How compared": bench["comparison_source"],
        "Release": [("" if pd.isna(r) else short_release(r))
                    + (" (earlier release)" if bool(e) else "")
                    for r, e in zip(bench["release"], bench["earlier_release"], strict=True)],
        "Status": bench["status"],
    })


def _main_period(periods: pd.Series) -> str:
    """The period most rows show (the latest of equally common ones)."""
    counts = periods.value_counts(sort=False)
    return str(counts[counts == counts.max()].index[-1])


def benchmark_summary(bench: pd.DataFrame) -> pd.DataFrame:
    """One row per area, one column per indicator: "value unit (comparison)" or "no data".

    The column header names the indicator, its id and the period most areas show; a cell of
    another period (an area's own latest, e.g. Warwickshire's 2018) names it:
    "14.1% (Similar), 2018".
    """
    valued = bench.dropna(subset=["value"])
    main = (valued.sort_values("period_start").groupby("indicator_id", sort=False)["period"]
            .agg(_main_period))
    label = [
        "no data" if pd.isna(v) else f"{v:.1f}{'%' if u == '%' else ' ' + u} ({c})"
        + ("" if p == main.get(i) else f", {p}")
        for v, u, c, p, i in zip(bench["value"], bench["unit"], bench["comparison"],
                                 bench["period"], bench["indicator_id"], strict=True)
    ]
    several = valued.groupby("indicator_id")["period"].nunique() > 1
    header = [f"{n} ({i}), {main.get(i, 'no data')}" + (" unless stated" if several.get(i)
                                                         else "")
              for n, i in zip(bench["indicator_name"], bench["indicator_id"], strict=True)]
    frame = bench.assign(_label=label, _header=header, _sex=bench["sex"].fillna("Persons"))
    wide = frame.pivot_table(index=["area_name", "_sex"], columns="_header", values="_label",
                             aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(header)))
    if (wide.index.get_level_values("_sex") == "Persons").all():
        wide.index = wide.index.droplevel("_sex")
        wide.index.name = "Area"
    else:
        wide.index.names = ["Area", "Sex"]
    wide.columns.name = None
    return wide.fillna("no data")


def present_area_profile(profile: pd.DataFrame) -> pd.DataFrame:
    """An :func:`area_profile_table` as a reader sees it (the table beside a spine chart)."""
    return pd.DataFrame({
        "Indicator": profile["indicator_name"] + np.where(
            profile["sex"].fillna("Persons") == "Persons", "", " (" + profile["sex"].fillna("")
            + ")") + " [" + profile["indicator_id"].astype(str) + "]",
        "Period": profile["period"].fillna("—"),
        "Unit": profile["unit"],
        "Area value": [_fmt(v, missing="no data") for v in profile["value"]],
        "England": [_fmt(v) for v in profile["benchmark_value"]],
        "Worst": [_fmt(v) for v in profile["worst"]],
        "25th pct": [_fmt(v) for v in profile["q25"]],
        "75th pct": [_fmt(v) for v in profile["q75"]],
        "Best": [_fmt(v) for v in profile["best"]],
        "Areas in range": profile["n_areas"],
        "Compared with England": profile["comparison"],
        "How compared": profile["comparison_source"],
        "Status": profile["status"],
    })


def present_coverage(coverage: pd.DataFrame) -> pd.DataFrame:
    """A :func:`~cw_pophealth.analysis.coverage_table` as a reader sees it."""
    return pd.DataFrame({
        "Indicator": coverage["indicator_name"] + " (" + coverage["indicator_id"].astype(str)
        + ")" + np.where(coverage["sex"] == "Persons", "", ", " + coverage["sex"]),
        "Area": coverage["area_name"],
        "Latest period in the data": coverage["latest_period"].fillna("none"),
        "Release": [("" if pd.isna(r) else str(r)) + (" (earlier release)" if bool(e) else "")
                    for r, e in zip(coverage["release"], coverage["earlier_release"],
                                    strict=True)],
        "Latest period any area has": coverage["newest_period"].fillna("none"),
        "Status": coverage["status"],
    })


def present_local_estimates(local: pd.DataFrame, areas) -> pd.DataFrame:
    """Undated local estimates (OHID Local Health life expectancy) for the selected areas.

    Parameters
    ----------
    local : pandas.DataFrame
        :func:`cw_pophealth.snapshot.load_local_estimates` output.
    areas : pandas.DataFrame or sequence of str
        An :func:`~cw_pophealth.analysis.area_selection` frame, or codes (kept in order).

    Returns
    -------
    pandas.DataFrame
        Area, Female, Male (1 dp, "not in data" where absent), Period ("not stated in the
        file"), Measure, Release. Never a 3-year 90366 value.
    """
    codes = list(areas["area_code"]) if isinstance(areas, pd.DataFrame) else list(areas)
    wide = local.loc[local["area_code"].isin(codes)].pivot_table(
        index=["area_code", "area_name"], columns="sex", values="value", aggfunc="first")
    wide = wide.reset_index().set_index("area_code").reindex(
        [c for c in codes if c in set(local["area_code"])])
    release = local.drop_duplicates("area_code").set_index("area_code")["release"]
    return pd.DataFrame({
        "Area": wide["area_name"],
        "Female (years)": [_fmt(v, missing="not in data") for v in wide.get("Female", [])],
        "Male (years)": [_fmt(v, missing="not in data") for v in wide.get("Male", [])],
        "Period": "not stated in the file (probably 2015-19)",
        "Measure": "life expectancy at birth, 5-year pooled, 90+ upper age band (OHID Local "
                   "Health); not the 3-year Fingertips 90366",
        "Release": [short_release(release.get(c)) for c in wide.index],
    }).reset_index(drop=True)


def _and(names) -> str:
    names = [str(n) for n in dict.fromkeys(names)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def report_heading(areas: pd.DataFrame, *, benchmark: str | None = None,
                   period: object = "latest") -> str:
    """The heading a report opens with, naming its actual areas, benchmark and period.

    Parameters
    ----------
    areas : pandas.DataFrame
        :func:`~cw_pophealth.analysis.area_selection` output (areas and their roles).
    benchmark : str, optional
        The benchmark's name; without one, the comparators are named as such.
    period : str, default "latest"
        The report's ``period`` parameter.

    Returns
    -------
    str
        Plain text (escape it before it goes into Markdown: ``report.markdown``).

    Examples
    --------
    >>> areas = pd.DataFrame({"area_name": ["Coventry", "Warwickshire", "Rugby", "England"],
    ...                       "role": ["focus", "focus", "district of Warwickshire",
    ...                                "comparator"]})
    >>> report_heading(areas, benchmark="England",
    ...                period="2022/23")  # doctest: +NORMALIZE_WHITESPACE
    'Coventry and Warwickshire (with the districts of Warwickshire) compared with England,
    2022/23'
    >>> report_heading(areas)  # doctest: +NORMALIZE_WHITESPACE
    "Coventry and Warwickshire (with the districts of Warwickshire), beside England; each
    area's latest period"
    """
    roles = areas["role"].astype(str)
    text = _and(areas.loc[roles == "focus", "area_name"]) or "The selected areas"
    counties = [r.removeprefix("district of ") for r in dict.fromkeys(roles)
                if r.startswith("district of ")]
    if counties:
        text += f" (with the districts of {_and(counties)})"
    comparators = [n for n in areas.loc[roles == "comparator", "area_name"] if n != benchmark]
    if benchmark:
        text += f" compared with {benchmark}"
        if comparators:
            text += f", beside {_and(comparators)}"
    elif comparators:
        text += f", beside {_and(comparators)}"
    when = str(period).strip()
    if when.lower() in ("latest", ""):
        return text + ("; each area's latest period" if not benchmark or comparators
                       else ", each area's latest period")
    if when.lower() == "all":
        return text + ", every period"
    return f"{text}, {when}"


def earlier_release_note(frame: pd.DataFrame) -> str:
    """Which areas' values are from an earlier release, and which release, from the table.

    ``frame`` is a :func:`benchmark_table` or :func:`window_of_need` table. Returns "" when no
    value shown is from an earlier release.
    """
    if "earlier_release" not in frame.columns:
        return ""
    old = frame.loc[frame["earlier_release"].fillna(False).astype(bool)]
    if old.empty:
        return ""
    release_col = "release" if "release" in old.columns else "le_release"
    parts = []
    for name, rows in old.groupby("area_name", sort=False):
        periods = ", ".join(dict.fromkeys(map(str, rows["period"].dropna())))
        releases = "; ".join(dict.fromkeys(short_release(r) for r in rows[release_col].dropna()))
        parts.append(f"{name} ({periods}: {releases})")
    return ("Values from an earlier release (more than a year older than the indicator's "
            "newest), hatched in the figures: " + "; ".join(parts) + ".")
