"""Trends: every period of each indicator compared with the benchmark, and the recent trend."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cw_pophealth import stats
from cw_pophealth.analysis.benchmark import benchmark_table
from cw_pophealth.analysis.selection import as_area_frame, select
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.periods import ALL_PERIODS, is_rolling_period, period_order

logger = logging.getLogger(__name__)

__all__ = ["recent_trends", "trend_table"]


def trend_table(table: pd.DataFrame, indicators, areas, benchmark_code: str = "E92000001",
                *, sex=None, confidence: float = 0.95) -> pd.DataFrame:
    """Every period of each indicator for each area, compared with the benchmark per period.

    :func:`benchmark_table` over all periods, keeping only periods an area has a row for (an
    area with no data at all keeps its single "No data in snapshot" row).

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`benchmark_table`, sorted by indicator, area and period.
    """
    out = benchmark_table(table, indicators, areas, benchmark_code, period=ALL_PERIODS,
                          sex=sex, confidence=confidence)
    keep = ~out["status"].str.startswith("No value for ")
    return out.loc[keep].reset_index(drop=True)


def recent_trends(table: pd.DataFrame, indicators, areas, *, sex=None) -> pd.DataFrame:
    """Fingertips "recent trend" for each indicator x area x sex (latest 5 periods).

    Uses :func:`cw_pophealth.stats.recent_trend` on the indicator's full run of periods (a
    missing period breaks the run). Proportions with published counts and denominators use
    the chi-square test; otherwise the inverse-variance weighted slope on the 95% CIs is used
    (the method FingertipsNext applies to every type), and the ``method`` column says so.
    Rolling multi-year periods, and sources publishing neither counts nor CIs, give
    "Cannot be calculated" with the reason.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_key``, ``indicator_name``, ``area_code``, ``area_name``,
        ``role``, ``sex``, ``trend``, ``direction``, ``chi2``, ``slope``, ``n_points``,
        ``method``, ``reason``, ``periods`` (first to last period tested).
    """
    specs = [indicators] if isinstance(indicators, (str, int, np.integer)) else list(indicators)
    area_frame = as_area_frame(areas, table)
    records = []
    for ind in specs:
        spec = indicator_spec(ind)
        sexes = list(spec.sexes) if sex is None else ([sex] if isinstance(sex, str) else sex)
        ind_rows = select(table, indicator_id=spec.indicator_id, sex=sexes)
        periods = period_order(ind_rows.dropna(subset=["value"]))
        rolling = any(is_rolling_period(p) for p in periods)
        for area in area_frame.itertuples(index=False):
            for s in sexes:
                series = (ind_rows.loc[(ind_rows["area_code"] == area.area_code)
                                       & (ind_rows["sex"] == s)]
                          .drop_duplicates("period").set_index("period").reindex(periods))
                base = {"indicator_id": spec.indicator_id, "indicator_key": spec.key,
                        "indicator_name": spec.short_name, "area_code": area.area_code,
                        "area_name": area.area_name, "role": area.role, "sex": s}
                valued = series["value"].notna()
                if not valued.any():
                    records.append({**base, "trend": stats.CANNOT_BE_CALCULATED,
                                    "reason": f"No data in snapshot for {area.area_name} "
                                              f"({spec.indicator_id})", "n_points": 0})
                    continue
                has_counts = series["count"].notna().any() and series["denominator"].notna().any()
                has_ci = series["lower_ci_95"].notna().any()
                note = ""
                if rolling:
                    kwargs = {"lower": series["lower_ci_95"], "upper": series["upper_ci_95"],
                              "value_type": "rate"}
                elif spec.value_type == "proportion" and has_counts:
                    kwargs = {"counts": series["count"], "denominators": series["denominator"],
                              "value_type": "proportion"}
                elif has_ci:
                    kwargs = {"lower": series["lower_ci_95"], "upper": series["upper_ci_95"],
                              "value_type": "rate" if spec.value_type == "proportion"
                              else spec.value_type}
                    if spec.value_type == "proportion":
                        note = " on 95% CIs (no counts published; FingertipsNext method)"
                else:
                    records.append({**base, "trend": stats.CANNOT_BE_CALCULATED,
                                    "n_points": int(valued.sum()),
                                    "reason": "the source publishes neither counts nor "
                                              "confidence intervals, so no trend test is "
                                              "possible"})
                    continue
                result = stats.recent_trend(series["value"].to_numpy(dtype=float),
                                            polarity=spec.polarity,
                                            periods_are_annual=not rolling, **{
                                                k: (v.to_numpy(dtype=float)
                                                    if isinstance(v, pd.Series) else v)
                                                for k, v in kwargs.items()})
                tested = [p for p, ok in zip(periods, valued, strict=True) if ok]
                records.append({**base, "trend": result.label, "direction": result.direction,
                                "chi2": result.chi2, "slope": result.slope,
                                "n_points": result.n_points,
                                "method": (result.method + note) if result.method else None,
                                "reason": result.reason,
                                "periods": (f"{tested[-result.n_points]} to {tested[-1]}"
                                            if result.n_points else None)})
    columns = ["indicator_id", "indicator_key", "indicator_name", "area_code", "area_name",
               "role", "sex", "trend", "direction", "chi2", "slope", "n_points", "method",
               "reason", "periods"]
    return pd.DataFrame.from_records(records).reindex(columns=columns)

