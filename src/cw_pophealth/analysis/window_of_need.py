"""The window of need: life expectancy minus healthy life expectancy, by area, sex and period."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import stats
from cw_pophealth.analysis.selection import (
    STATUS_OK,
    as_area_frame,
    confidence_columns,
    resolve_periods,
    select,
)
from cw_pophealth.catalogue import HEALTHY_LIFE_EXPECTANCY_ID as HLE
from cw_pophealth.catalogue import LIFE_EXPECTANCY_ID as LE
from cw_pophealth.periods import LATEST

logger = logging.getLogger(__name__)

__all__ = ["window_of_need"]


def window_of_need(table: pd.DataFrame, areas: Any, *, sexes: Any = ("Male", "Female"),
                   period: Any = LATEST, confidence: float = 0.95) -> pd.DataFrame:
    """Life expectancy, healthy life expectancy and the gap between them ("window of need").

    LE (Fingertips 90366) and HLE (90362) are paired only when they share the same period
    label, sex and area; the gap is ``LE - HLE`` (years lived in not-good health) and its
    interval comes from :func:`cw_pophealth.stats.window_of_need_ci` (approximate and
    conservative; missing when either CI is missing, which it is for the Fingertips LE in the
    offline extracts). Nothing is filled: an area without LE (e.g. Warwickshire county offline)
    keeps its HLE and gets ``status`` "LE not in data".

    Same-release caveat: the gap is valid only when LE and HLE come from the same ONS
    release, period, sex and geography. The ``le_source_ref`` and
    ``hle_source_ref`` columns name the files used; when they differ the ``caveat`` column
    says so.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (:func:`cw_pophealth.snapshot.load_indicators`).
    areas : str, sequence of str or pandas.DataFrame
        Area codes, or an :func:`area_selection` frame (keeps names, roles and order).
    sexes : sequence of str, default ("Male", "Female")
    period : str or sequence of str, default "latest"
        ``"latest"``: the latest period in which both LE and HLE are published for any of the
        areas; ``"all"``: every period with LE or HLE; or period label(s) such as
        ``"2021 - 23"``.
    confidence : {0.95, 0.998}
        Level of the published limits used for the gap interval.

    Returns
    -------
    pandas.DataFrame
        One row per area x sex x period, areas in the given order: ``area_code``,
        ``area_name``, ``role``, ``sex``, ``period``, ``period_start``, ``le``, ``le_lower``,
        ``le_upper``, ``hle``, ``hle_lower``, ``hle_upper``, ``gap``, ``gap_lower``,
        ``gap_upper``, ``status``, ``le_source_ref``, ``hle_source_ref`` (files),
        ``le_source``, ``hle_source`` (provenance labels), ``caveat``.

    Raises
    ------
    NoDataError
        If neither LE nor HLE has any value, or a requested period is absent (naming
        ``period``).
    ParameterError
        For a confidence level Fingertips does not publish limits at.

    Examples
    --------
    >>> from cw_pophealth.snapshot import load_indicators  # doctest: +SKIP
    >>> won = window_of_need(load_indicators(), ["E08000026"], period="2021 - 23")  # doctest: +SKIP
    >>> won[["sex", "gap"]].round(1).values.tolist()  # doctest: +SKIP
    [['Male', 18.8], ['Female', 23.6]]
    """
    lower_col, upper_col, _ = confidence_columns(confidence)
    area_frame = as_area_frame(areas, table)
    codes = list(area_frame["area_code"])
    sexes = [sexes] if isinstance(sexes, str) else list(sexes)
    rows = select(table, indicator_id=[LE, HLE], area_codes=codes, sex=sexes)
    what = f"life expectancy / healthy life expectancy in {', '.join(codes)}"
    if isinstance(period, str) and period.strip().lower() == LATEST:
        valued = rows.dropna(subset=["value"])
        both = set(valued.loc[valued["indicator_id"] == LE, "period"]) & set(
            valued.loc[valued["indicator_id"] == HLE, "period"])
        paired = valued.loc[valued["period"].isin(both)]
        periods = resolve_periods(paired if not paired.empty else rows, LATEST, what=what)
    else:
        periods = resolve_periods(rows, period, what=what)
    bounds = rows.drop_duplicates("period").set_index("period")["period_start"]

    def part(indicator_id: int, prefix: str) -> pd.DataFrame:
        sub = rows.loc[rows["indicator_id"] == indicator_id]
        return sub.set_index(["area_code", "sex", "period"])[
            ["value", lower_col, upper_col, "source", "source_ref"]
        ].set_axis([prefix, f"{prefix}_lower", f"{prefix}_upper", f"{prefix}_source",
                    f"{prefix}_source_ref"], axis=1)

    grid = pd.MultiIndex.from_product([codes, sexes, periods],
                                      names=["area_code", "sex", "period"])
    out = pd.DataFrame(index=grid).join(part(LE, "le")).join(part(HLE, "hle"))
    out = out.reset_index()
    for col in ("le", "le_lower", "le_upper", "hle", "hle_lower", "hle_upper"):
        out[col] = out[col].astype("float64")
    has_le, has_hle = out["le"].notna(), out["hle"].notna()
    inverted = has_le & has_hle & (out["hle"] > out["le"])
    usable = has_le & has_hle & ~inverted
    gap = pd.Series(np.nan, index=out.index)
    lower = pd.Series(np.nan, index=out.index)
    upper = pd.Series(np.nan, index=out.index)
    if usable.any():
        g, lo, hi = stats.window_of_need_ci(
            out.loc[usable, "le"], out.loc[usable, "le_lower"], out.loc[usable, "le_upper"],
            out.loc[usable, "hle"], out.loc[usable, "hle_lower"], out.loc[usable, "hle_upper"],
            confidence=confidence,
        )
        gap[usable], lower[usable], upper[usable] = (np.asarray(g), np.asarray(lo),
                                                     np.asarray(hi))
    out["gap"], out["gap_lower"], out["gap_upper"] = gap, lower, upper
    status = np.select(
        [usable, inverted, ~has_le & ~has_hle, ~has_le, ~has_hle],
        [STATUS_OK, "HLE above LE: sources do not match, gap not shown", "LE and HLE not in data",
         "LE not in data", "HLE not in data"],
        default="",
    )
    out["status"] = status
    different = usable & (out["le_source_ref"].astype(str) != out["hle_source_ref"].astype(str))
    out["caveat"] = np.where(
        different,
        "LE and HLE are from different publications of the same period; the gap assumes the "
        "same ONS release (see method note)",
        "",
    )
    out["period_start"] = out["period"].map(bounds)
    out = area_frame.merge(out, on="area_code", how="right")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_a=out["area_code"].map(order), _s=out["sex"].map(sexes.index)).sort_values(
        ["_a", "_s", "period_start"], kind="stable").drop(columns=["_a", "_s"])
    columns = ["area_code", "area_name", "role", "sex", "period", "period_start", "le",
               "le_lower", "le_upper", "hle", "hle_lower", "hle_upper", "gap", "gap_lower",
               "gap_upper", "status", "le_source_ref", "hle_source_ref", "le_source",
               "hle_source", "caveat"]
    out = out.loc[:, columns].reset_index(drop=True)
    out.attrs.update(method=stats.WINDOW_OF_NEED_METHOD, indicator_ids=(LE, HLE),
                     confidence=confidence)
    logger.info("Window of need: %d rows (%d with a gap) for %d area(s), period(s) %s",
                len(out), int(usable.sum()), len(codes), ", ".join(periods))
    return out

