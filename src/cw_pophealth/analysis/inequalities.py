"""Inequalities within an area: the published SII in life expectancy, and indicators by
deprivation decile with the SII and RII computed here.

Two sources of tidy rows feed these tables:

* **The published SII** (Fingertips 92901, "Slope index of inequality in life expectancy at
  birth", Male and Female): ordinary headline rows. :func:`published_sii` shows each focus area
  beside its comparators and the benchmark (England).
* **Deprivation categories**: rows whose ``category_type`` is a set of deprivation deciles or
  quintiles (e.g. "County & UA deprivation deciles in England (IMD2019, 4/21 geography)", with
  ``category`` "Most deprived decile (IMD2019)"). A live pull with
  ``fingertips_data(..., include_categories=True)`` keeps them; the offline extracts hold none.
  :func:`deprivation_rows` orders them from most to least deprived and
  :func:`deprivation_sii` computes the SII and RII with
  :func:`cw_pophealth.stats.slope_index_of_inequality`.

Nothing here fills in a missing value: an area without rows gets a row that says so, and
:func:`inequality_coverage` says what a live pull would add.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import catalogue, stats
from cw_pophealth.analysis.present import _fmt, _fmt_ci
from cw_pophealth.analysis.selection import STATUS_OK, as_area_frame, as_codes, select
from cw_pophealth.errors import CwPopHealthError, ParameterError, UnknownIndicatorError
from cw_pophealth.geography import get_geography
from cw_pophealth.periods import ALL_PERIODS, LATEST, period_order

logger = logging.getLogger(__name__)

__all__ = ["NOT_IN_TABLE", "PEER_RULE", "SII_LE_ID", "deprivation_rank", "deprivation_rows",
           "deprivation_sii", "inequality_coverage", "live_pull_command",
           "present_deprivation_sii", "present_published_sii", "published_sii"]

#: Fingertips id of the published slope index of inequality in life expectancy at birth.
SII_LE_ID = catalogue.indicator_spec("sii_life_expectancy").indicator_id
#: How the comparators of a focus area are chosen, for notes and tables.
PEER_RULE = ("each focus area is shown with the comparators of its own kind (counties with "
             "counties; unitary, metropolitan and London authorities with each other) and any "
             "regions, against the benchmark")
NOT_IN_TABLE = "SII not in the table"

_ORDINALS = {"most": 1, "least": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_LABEL = re.compile(r"^\s*(?P<ord>most|least|second|third|fourth|fifth)\s*"
                    r"(?P<dir>most|least|more|less)?\s*deprived\s+(?P<kind>decile|quintile)\b",
                    re.IGNORECASE)
_MIDDLE = re.compile(r"^\s*middle\s+(deprived\s+)?quintile\b", re.IGNORECASE)
_SIZE = {"decile": 10, "quintile": 5}


def _current(table: pd.DataFrame) -> pd.DataFrame:
    """The current release of each observation, when the table records releases."""
    if "current" not in table.columns:
        return table
    return table.loc[table["current"].astype("boolean").fillna(True).to_numpy(dtype=bool)]


def _tier(code: str) -> str:
    prefix = str(code)[:3]
    if prefix == "E10":
        return "county"
    if prefix in ("E06", "E08", "E09"):
        return "single tier"
    return "region" if prefix == "E12" else "other"


def _release_columns(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for col in ("release", "release_date"):
        if col not in out.columns:
            out[col] = pd.NA
    return out


def _latest(rows: pd.DataFrame) -> str | None:
    valued = rows.dropna(subset=["value"])
    return period_order(valued)[-1] if not valued.empty else None


def published_sii(table: pd.DataFrame, areas: Any, *,
                  benchmark_code: str = catalogue.ENGLAND, sexes: Any = ("Male", "Female"),
                  period: Any = LATEST) -> pd.DataFrame:
    """The published SII in life expectancy for each focus area, its comparators and England.

    For every focus area in ``areas`` a group of rows is built: the focus area, the comparators
    of the same kind of authority (counties with counties; unitary, metropolitan and London
    authorities together), any regions, and the benchmark. Each area with a value is compared
    with the benchmark's value by its 95% CI (Fingertips method 1, polarity "low is good": a
    smaller gap is better). Areas without a value keep a row whose ``status`` says so.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy table. Only rows of indicator 92901 are used (the current release when the
        table records releases).
    areas : str, sequence of str or pandas.DataFrame
        Codes or an :func:`cw_pophealth.analysis.area_selection` frame; ``role == "focus"``
        marks the focus areas (all of them when there is no role column).
    benchmark_code : str, default England
    sexes : sequence of str, default ("Male", "Female")
    period : str, default "latest"
        ``"latest"``: the latest period with a value for any focus area (or, failing that, for
        any area); or a period label such as ``"2016 - 18"``.

    Returns
    -------
    pandas.DataFrame
        One row per focus area x sex x area shown: ``focus_code``, ``focus_name``,
        ``area_code``, ``area_name``, ``role`` ("focus", "comparator" or "benchmark"),
        ``sex``, ``period``, ``value``, ``lower``, ``upper`` (years, 95%), ``benchmark_value``,
        ``comparison``, ``published_comparison`` (as published, if any), ``status``,
        ``source``, ``source_ref``, ``release``, ``release_date``. Empty of values (all
        ``status`` "SII not in the table") when the table holds no 92901 rows.

    Examples
    --------
    >>> t = published_sii(pd.DataFrame(columns=["indicator_id", "area_code", "area_name",
    ...                   "sex", "period", "value"]), ["E10000031"])
    >>> t[["area_code", "role", "sex", "status"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['E10000031', 'focus', 'Male', 'SII not in the table'],
     ['E92000001', 'benchmark', 'Male', 'SII not in the table'],
     ['E10000031', 'focus', 'Female', 'SII not in the table'],
     ['E92000001', 'benchmark', 'Female', 'SII not in the table']]
    """
    spec = catalogue.indicator_spec(SII_LE_ID)
    sexes = [sexes] if isinstance(sexes, str) else list(sexes)
    frame = as_area_frame(areas, table) if len(table) else _names_only(areas)
    focus = frame.loc[frame["role"] == "focus"] if (frame["role"] == "focus").any() else frame
    comparators = frame.loc[~frame["area_code"].isin(focus["area_code"])
                            & (frame["area_code"] != benchmark_code)]
    rows = _release_columns(_current(select(table, indicator_id=SII_LE_ID, sex=sexes)))
    if isinstance(period, str) and period.strip().lower() in (LATEST, ALL_PERIODS):
        chosen = (_latest(rows.loc[rows["area_code"].isin(focus["area_code"])])
                  or _latest(rows))
    else:
        chosen = str(period).strip()
    at = rows.loc[rows["period"] == chosen] if chosen else rows.iloc[0:0]
    keyed = at.drop_duplicates(["area_code", "sex"]).set_index(["area_code", "sex"])
    bench_name = _area_name(benchmark_code, table)
    records = []
    for f in focus.itertuples(index=False):
        peers = comparators.loc[comparators["area_code"].map(_tier).isin(
            {_tier(f.area_code), "region"})]
        members = [(f.area_code, f.area_name, "focus")] + [
            (c.area_code, c.area_name, "comparator") for c in peers.itertuples(index=False)] + [
            (benchmark_code, bench_name, "benchmark")]
        for sex in sexes:
            bench = keyed["value"].get((benchmark_code, sex), np.nan)
            for code, name, role in members:
                row = (keyed.loc[(code, sex)] if (code, sex) in keyed.index
                       else pd.Series(dtype=object))
                has = pd.notna(row.get("value", np.nan))
                records.append({
                    "focus_code": f.area_code, "focus_name": f.area_name, "area_code": code,
                    "area_name": name, "role": role, "sex": sex, "period": chosen or pd.NA,
                    "value": row.get("value", np.nan),
                    "lower": row.get("lower_ci_95", np.nan),
                    "upper": row.get("upper_ci_95", np.nan),
                    "benchmark_value": bench,
                    "published_comparison": row.get("compared_to_england", pd.NA),
                    "status": STATUS_OK if has else NOT_IN_TABLE,
                    **{col: row.get(col, pd.NA)
                       for col in ("source", "source_ref", "release", "release_date")},
                })
    out = pd.DataFrame.from_records(records, columns=[
        "focus_code", "focus_name", "area_code", "area_name", "role", "sex", "period", "value",
        "lower", "upper", "benchmark_value", "published_comparison", "status", "source",
        "source_ref", "release", "release_date"])
    for col in ("value", "lower", "upper", "benchmark_value"):
        out[col] = out[col].astype("float64")
    comparison = stats.compare_to_benchmark(
        out["value"], out["lower"], out["upper"], out["benchmark_value"], spec.polarity,
        confidence_label="95%", is_benchmark=(out["area_code"] == benchmark_code).to_numpy())
    out.insert(out.columns.get_loc("published_comparison"), "comparison",
               np.asarray(comparison, dtype=object))
    out.attrs.update(indicator_id=SII_LE_ID, indicator_name=spec.name, unit=spec.unit,
                     benchmark_code=benchmark_code, benchmark_name=bench_name,
                     peer_rule=PEER_RULE)
    logger.info("Published SII in LE: period %s, %d of %d rows with a value", chosen,
                int(out["value"].notna().sum()), len(out))
    return out


def _area_name(code: str, table: pd.DataFrame) -> str:
    """The area's name from the table, else from the geography lookup, else its code."""
    if len(table) and "area_name" in table.columns:
        named = table.loc[table["area_code"] == code, "area_name"].dropna()
        if len(named):
            return str(named.iloc[0])
    try:
        return get_geography().name(code)
    except (CwPopHealthError, OSError):
        return code


def _names_only(areas: Any) -> pd.DataFrame:
    """An area frame when the table is empty (names fall back to the codes)."""
    return as_area_frame(areas, pd.DataFrame({"area_code": pd.Series(dtype=str),
                                              "area_name": pd.Series(dtype=str)}))


def deprivation_rank(category: Any) -> tuple[int, int] | None:
    """(rank, number of quantiles) of a Fingertips deprivation category, 1 = most deprived.

    Parameters
    ----------
    category : str
        A Fingertips ``Category`` label such as "Most deprived decile (IMD2019)", "Third less
        deprived decile", "Second most deprived quintile" or "Middle quintile".

    Returns
    -------
    tuple of int or None
        ``(rank, n)`` with n = 10 for deciles and 5 for quintiles; None for any other label.

    Examples
    --------
    >>> deprivation_rank("Most deprived decile (IMD2019)")
    (1, 10)
    >>> deprivation_rank("Fourth less deprived decile (IMD2015)")
    (7, 10)
    >>> deprivation_rank("Middle quintile")
    (3, 5)
    >>> deprivation_rank("Asian or Asian British") is None
    True
    """
    if not isinstance(category, str):
        return None
    if _MIDDLE.match(category):
        return 3, 5
    m = _LABEL.match(category)
    if m is None:
        return None
    n = _SIZE[m["kind"].lower()]
    k = _ORDINALS[m["ord"].lower()]
    word = (m["dir"] or m["ord"]).lower()
    if word in ("most", "more"):
        return (k, n) if k <= (n + 1) // 2 else None
    return (n + 1 - k, n) if k <= n // 2 else None


def _multiplier(rows: pd.DataFrame) -> float | None:
    """The power of ten with value = count / denominator x m, if every row with counts says so."""
    ok = rows["count"].notna() & (rows["denominator"] > 0) & rows["value"].notna()
    if not ok.any():
        return None
    ratio = rows.loc[ok, "value"] / (rows.loc[ok, "count"] / rows.loc[ok, "denominator"])
    ratio = ratio.replace([np.inf, -np.inf], np.nan).dropna()
    if ratio.empty:
        return None
    m = 10.0 ** round(math.log10(float(ratio.median())))
    return m if np.allclose(ratio, m, rtol=1e-6) else None


def _value_type(indicator_id: int, multiplier: float | None) -> str:
    """"proportion", "rate" or "other", from the catalogue or from how values were made."""
    try:
        known: str | None = catalogue.indicator_spec(int(indicator_id)).value_type
    except UnknownIndicatorError:
        known = None
    if known in ("proportion", "rate"):
        return known
    if known is not None:
        return "other"
    if multiplier in (1.0, 100.0):
        return "proportion"
    return "rate" if multiplier is not None else "other"


def deprivation_rows(table: pd.DataFrame, areas: Any, *, period: Any = LATEST) -> pd.DataFrame:
    """Deprivation-category rows of the given areas, ordered from most to least deprived.

    Keeps the rows whose ``category`` is a Fingertips deprivation decile or quintile
    (:func:`deprivation_rank`) for the areas given, in each group's latest period (or the given
    one). A group is one indicator, area, sex, age and category type. Confidence limits are the
    published ones; where a group publishes none but has counts and denominators with
    ``value = count / denominator x m``, they are computed here (Wilson for proportions, Byar's
    for rates) and ``ci_source`` says so.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy table, with category rows (a live pull with ``include_categories=True``).
    areas : str, sequence of str or pandas.DataFrame
        Areas whose rows are wanted (e.g. the focus areas and England).
    period : str, default "latest"
        ``"latest"`` (each group's latest period) or a period label.

    Returns
    -------
    pandas.DataFrame
        The tidy columns plus ``quantile`` (1 = most deprived), ``n_quantiles``, ``lower``,
        ``upper``, ``ci_source`` and ``multiplier``; zero rows when the table has none.
    """
    codes = list(as_area_frame(areas, table)["area_code"]) if len(table) else list(
        _names_only(areas)["area_code"])
    rows = _release_columns(_current(select(table, area_codes=codes)))
    if "category" not in rows.columns or rows["category"].isna().all():
        return _empty_rows(rows)
    ranks = rows["category"].map(deprivation_rank)
    rows = rows.loc[ranks.notna()].copy()
    if rows.empty:
        return _empty_rows(rows)
    rows["quantile"] = [r[0] for r in ranks.dropna()]
    rows["n_quantiles"] = [r[1] for r in ranks.dropna()]
    group = ["indicator_id", "area_code", "sex", "age", "category_type"]
    pieces = []
    for _, g in rows.groupby(group, dropna=False, sort=False):
        chosen = _latest(g) if not _explicit(period) else str(period).strip()
        pieces.append(_with_limits(g.loc[g["period"] == chosen]))
    out = pd.concat(pieces, ignore_index=True) if pieces else _empty_rows(rows)
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_a=out["area_code"].map(order)).sort_values(
        ["_a", "indicator_id", "sex", "category_type", "quantile"], kind="stable").drop(
        columns="_a").reset_index(drop=True)
    logger.info("Deprivation rows: %d in %d group(s)", len(out),
                out.groupby(group, dropna=False).ngroups if len(out) else 0)
    return out


def _explicit(period: Any) -> bool:
    return not (period is None or (isinstance(period, str)
                                   and period.strip().lower() in (LATEST, ALL_PERIODS)))


def _empty_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.iloc[0:0].assign(quantile=pd.Series(dtype="Int64"),
                                 n_quantiles=pd.Series(dtype="Int64"),
                                 lower=pd.Series(dtype=float), upper=pd.Series(dtype=float),
                                 ci_source=pd.Series(dtype=object),
                                 multiplier=pd.Series(dtype=float))


def _with_limits(g: pd.DataFrame) -> pd.DataFrame:
    g = g.copy()
    g["lower"], g["upper"] = g["lower_ci_95"].astype(float), g["upper_ci_95"].astype(float)
    m = _multiplier(g)
    g["multiplier"] = np.nan if m is None else m
    published = g["lower"].notna() & g["upper"].notna()
    g["ci_source"] = np.where(published, "published", "none published")
    if published.all() or m is None or g.empty:
        return g
    todo = ~published & g["count"].notna() & (g["denominator"] > 0)
    vt = _value_type(int(g["indicator_id"].iloc[0]), m)
    x, n = g.loc[todo, "count"].to_numpy(float), g.loc[todo, "denominator"].to_numpy(float)
    if vt == "proportion":
        lo, hi = stats.wilson_ci(x, n, 0.95, multiplier=m)
        how = "computed here (Wilson, from count and denominator)"
    else:
        lo, hi = stats.rate_ci(x, n, 0.95, m)
        how = "computed here (Byar's/exact, from count and denominator)"
    g.loc[todo, "lower"], g.loc[todo, "upper"] = np.asarray(lo), np.asarray(hi)
    g.loc[todo, "ci_source"] = how
    return g


def deprivation_sii(rows: pd.DataFrame, *, repetitions: int = 100_000,
                    seed: int = 1) -> pd.DataFrame:
    """SII and RII of each group of :func:`deprivation_rows` (PHE method, fixed seed).

    Each group (indicator, area, sex, age, category type, period) needs every quantile of its
    set (10 deciles or 5 quintiles) with a value and 95% limits. The value type decides the
    scale of the standard errors (log for rates, logit for proportions, none otherwise, e.g.
    life expectancy); proportions are fitted as fractions and the SII is returned in the
    indicator's own units (percentage points for percentages). Populations are the published
    denominators when every quantile has one, else equal shares, and ``populations`` says which.

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`deprivation_rows` output.
    repetitions : int, default 100000
        Monte Carlo draws for the limits.
    seed : int, default 1
        Fixed, so the limits are reproducible.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``indicator_id``, ``indicator_name``, ``area_code``, ``area_name``,
        ``sex``, ``age``, ``category_type``, ``period``, ``n_quantiles``, ``value_type``,
        ``sii``, ``sii_lower``, ``sii_upper``, ``rii``, ``rii_lower``, ``rii_upper``,
        ``intercept`` (fitted value at the most deprived end, indicator units),
        ``populations``, ``ci_source``, ``status``, ``source``, ``source_ref``, ``release``.
        Zero rows for zero input rows.
    """
    group = ["indicator_id", "area_code", "sex", "age", "category_type", "period"]
    records = []
    for key, g in rows.groupby(group, dropna=False, sort=False):
        g = g.sort_values("quantile")
        n = int(g["n_quantiles"].iloc[0])
        base = dict(zip(group, key, strict=True)) | {
            "indicator_name": g["indicator_name"].iloc[0], "area_name": g["area_name"].iloc[0],
            "n_quantiles": n, "ci_source": "; ".join(dict.fromkeys(g["ci_source"])),
            **{c: g[c].iloc[0] for c in ("source", "source_ref", "release")}}
        m = g["multiplier"].iloc[0]
        vt = _value_type(int(key[0]), None if pd.isna(m) else float(m))
        base["value_type"] = vt
        have = sorted(set(g["quantile"].astype(int)))
        if have != list(range(1, n + 1)) or len(g) != n:
            records.append(base | {"status": f"needs each of the {n} quantiles once; has "
                                             f"{have}"})
            continue
        pops = g["denominator"].astype(float)
        by_denominator = bool(pops.notna().all() and (pops > 0).all())
        base["populations"] = ("published denominators" if by_denominator
                               else "equal shares (no denominators published)")
        scale = float(m) if vt == "proportion" and pd.notna(m) else (
            100.0 if vt == "proportion" else 1.0)
        try:
            res = stats.slope_index_of_inequality(
                g["value"] / scale, g["lower"] / scale, g["upper"] / scale,
                pops if by_denominator else np.ones(n), value_type=vt, multiplier=scale,
                repetitions=repetitions, seed=seed)
        except ParameterError as exc:
            records.append(base | {"status": f"not calculated: {exc}"})
            continue
        records.append(base | {
            "sii": res.sii, "sii_lower": res.sii_lower, "sii_upper": res.sii_upper,
            "rii": res.rii, "rii_lower": res.rii_lower, "rii_upper": res.rii_upper,
            "intercept": res.intercept * scale, "status": res.reason or STATUS_OK})
    columns = ["indicator_id", "indicator_name", "area_code", "area_name", "sex", "age",
               "category_type", "period", "n_quantiles", "value_type", "sii", "sii_lower",
               "sii_upper", "rii", "rii_lower", "rii_upper", "intercept", "populations",
               "ci_source", "status", "source", "source_ref", "release"]
    out = pd.DataFrame.from_records(records, columns=columns)
    for col in ("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper", "intercept"):
        out[col] = out[col].astype("float64")
    out.attrs.update(method=stats.SII_METHOD, repetitions=repetitions, seed=seed)
    logger.info("Deprivation SII: %d group(s), %d calculated", len(out),
                int((out["status"] == STATUS_OK).sum()))
    return out


def live_pull_command(area_codes: Any, benchmark_code: str = catalogue.ENGLAND) -> str:
    """What to run, with network access, to add the SII and deprivation rows for these areas.

    The published SII comes with an ordinary pull; deprivation-category rows need the client
    with ``include_categories=True`` (``cw-pophealth pull`` keeps headline rows only).

    Examples
    --------
    >>> print(live_pull_command(["E08000026", "E10000031"]))
    cw-pophealth pull --indicators 92901 --areas E08000026,E10000031,E92000001
    fingertips.fingertips_data([90366], include_categories=True,
                               area_codes=["E08000026", "E10000031", "E92000001"])
    """
    codes = as_codes(area_codes)
    codes += [c for c in as_codes(benchmark_code) if c not in codes]
    quoted = ", ".join(f'"{c}"' for c in codes)
    return (f"cw-pophealth pull --indicators {SII_LE_ID} --areas {','.join(codes)}\n"
            f"fingertips.fingertips_data([{catalogue.LIFE_EXPECTANCY_ID}], "
            "include_categories=True,\n"
            f"                           area_codes=[{quoted}])")


def inequality_coverage(published: pd.DataFrame, deprivation: pd.DataFrame) -> pd.DataFrame:
    """What the table holds for each focus area, and what a live pull would add.

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`published_sii` output.
    deprivation : pandas.DataFrame
        :func:`deprivation_rows` output.

    Returns
    -------
    pandas.DataFrame
        One row per focus area: ``area_code``, ``area_name``, ``published_sii`` (the period and
        release shown, or "not in the table"), ``deprivation_rows`` (the indicators and
        category types present, or "none"), ``a_live_pull_would_add``.
    """
    focus = published.loc[published["role"] == "focus"].drop_duplicates("area_code")
    records = []
    for f in focus.itertuples(index=False):
        mine = published.loc[(published["role"] == "focus")
                             & (published["area_code"] == f.area_code)]
        valued = mine.dropna(subset=["value"])
        if valued.empty:
            shown = "not in the table"
        else:
            rel = ", ".join(str(r) for r in dict.fromkeys(valued["release"].dropna()))
            shown = (f"{valued['period'].iloc[0]}, {' and '.join(valued['sex'])}"
                     + (f" ({rel})" if rel else ""))
        dep = deprivation.loc[deprivation["area_code"] == f.area_code] if len(
            deprivation) else deprivation
        dep_text = "; ".join(
            f"{iid} by {ctype} ({per})" for (iid, ctype, per), _ in dep.groupby(
                ["indicator_id", "category_type", "period"], dropna=False)) or "none"
        adds = []
        if valued.empty:
            adds.append(f"the published SII in life expectancy ({SII_LE_ID}), male and female, "
                        "for the latest period, with its 95% CI and release date")
        if dep_text == "none":
            adds.append(f"any indicator by deprivation decile that Fingertips publishes for "
                        f"{f.area_name} (category rows, e.g. life expectancy "
                        f"{catalogue.LIFE_EXPECTANCY_ID}), from which the SII and RII are "
                        "computed here")
        records.append({"area_code": f.area_code, "area_name": f.area_name,
                        "published_sii": shown, "deprivation_rows": dep_text,
                        "a_live_pull_would_add": "; ".join(adds) or "nothing more"})
    return pd.DataFrame.from_records(records, columns=[
        "area_code", "area_name", "published_sii", "deprivation_rows", "a_live_pull_would_add"])


def present_published_sii(published: pd.DataFrame, *,
                          drop_empty_comparators: bool = True) -> pd.DataFrame:
    """:func:`published_sii` as a reader sees it: 1 dp, missing values spelled out.

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`published_sii` output.
    drop_empty_comparators : bool, default True
        Leave out comparators without a value (the figure still lists them); focus areas and
        the benchmark are always kept, so a missing SII is said, not hidden.

    Returns
    -------
    pandas.DataFrame
        Columns Focus area, Area, Sex, Period, SII (years), 95% CI, Compared with England,
        Release, Status.
    """
    p = published
    if drop_empty_comparators:
        p = p.loc[(p["role"] != "comparator") | p["value"].notna()]
    p = p.reset_index(drop=True)
    bench = str(p.attrs.get("benchmark_name", "England"))
    return pd.DataFrame({
        "Focus area": p["focus_name"], "Area": p["area_name"], "Sex": p["sex"],
        "Period": p["period"].fillna("—"),
        "SII (years)": [_fmt(v, missing=NOT_IN_TABLE) for v in p["value"]],
        "95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                   zip(p["value"], p["lower"], p["upper"], strict=True)],
        f"Compared with {bench}": p["comparison"],
        "Release": p["release"].fillna(p["source"]).fillna(""),
        "Status": p["status"],
    })


def present_deprivation_sii(sii: pd.DataFrame) -> pd.DataFrame:
    """:func:`deprivation_sii` as a reader sees it (SII 1 dp, RII 3 dp).

    Returns
    -------
    pandas.DataFrame
        Columns Area, Indicator, Sex, Period, Quantiles, SII, SII 95% CI, RII, RII 95% CI,
        Populations, Confidence intervals, Status.
    """
    s = sii.reset_index(drop=True)
    return pd.DataFrame({
        "Area": s["area_name"], "Indicator": s["indicator_name"], "Sex": s["sex"],
        "Period": s["period"], "Quantiles": s["category_type"],
        "SII": [_fmt(v) for v in s["sii"]],
        "SII 95% CI": [_fmt_ci(lo, hi) for lo, hi in zip(s["sii_lower"], s["sii_upper"],
                                                        strict=True)],
        "RII": [_fmt(v, 3) for v in s["rii"]],
        "RII 95% CI": [_fmt_ci(lo, hi, 3) for lo, hi in zip(s["rii_lower"], s["rii_upper"],
                                                           strict=True)],
        "Populations": s["populations"].fillna(""), "Confidence intervals": s["ci_source"],
        "Status": s["status"],
    })
