"""The window of need: life expectancy minus healthy life expectancy, by area, sex and period."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import stats
from cw_pophealth.analysis.releases import earlier_release, pairing, short_release
from cw_pophealth.analysis.selection import (
    STATUS_OK,
    as_area_frame,
    confidence_columns,
    resolve_periods,
    select,
)
from cw_pophealth.catalogue import HEALTHY_LIFE_EXPECTANCY_ID as HLE
from cw_pophealth.catalogue import LIFE_EXPECTANCY_ID as LE
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.errors import ParameterError
from cw_pophealth.periods import ALL_PERIODS, LATEST

logger = logging.getLogger(__name__)

__all__ = ["window_of_need"]

_KEY = ["area_code", "sex", "period"]
_COLUMNS = ["area_code", "area_name", "role", "sex", "period", "period_start", "le",
            "le_lower", "le_upper", "hle", "hle_lower", "hle_upper", "gap", "gap_lower",
            "gap_upper", "status", "pairing", "earlier_release", "le_release", "hle_release",
            "le_release_date", "hle_release_date", "le_source_ref", "hle_source_ref",
            "le_source", "hle_source", "caveat"]


def _pick_hle(le_row: pd.Series | None, hle_rows: pd.DataFrame) -> tuple[pd.Series | None, str]:
    """The HLE row to show beside an LE row, and the pairing verdict.

    With LE, the HLE rows that :func:`~cw_pophealth.analysis.releases.pairing` allows are
    preferred (the current one first, then the nearest release); without an allowed one the
    current HLE is shown and the verdict says why no gap is computed.
    """
    if hle_rows.empty:
        return None, ""
    current = hle_rows.loc[hle_rows["current"].astype(bool)]
    fallback = current.iloc[0] if len(current) else hle_rows.iloc[0]
    if le_row is None:
        return fallback, ""
    verdicts = [pairing(le_row["release"], le_row["release_date"], h["release"],
                        h["release_date"]) for _, h in hle_rows.iterrows()]
    allowed = hle_rows.assign(_ok=[v[0] for v in verdicts], _why=[v[1] for v in verdicts],
                              _distance=(hle_rows["release_date"]
                                         - le_row["release_date"]).abs())
    allowed = allowed.loc[allowed["_ok"]]
    if allowed.empty:
        why = next(v[1] for v, (_, h) in zip(verdicts, hle_rows.iterrows(), strict=True)
                   if h["release"] == fallback["release"])
        return fallback, f"not paired: {why}"
    best = allowed.sort_values(["current", "_distance"], ascending=[False, True]).iloc[0]
    return best, str(best["_why"])


def _pairs(le_rows: pd.DataFrame, hle_rows: pd.DataFrame, lower: str,
           upper: str) -> pd.DataFrame:
    """One record per area x sex x period with LE and/or HLE: the values shown and the pairing."""
    records = []
    le_current = le_rows.loc[le_rows["current"].astype(bool)].set_index(_KEY)
    hle_groups = {k: g for k, g in hle_rows.groupby(_KEY)}
    keys = set(le_current.index) | {k for k, g in hle_groups.items()
                                    if g["current"].astype(bool).any()}
    for key in keys:
        le_row = le_current.loc[key] if key in le_current.index else None
        if isinstance(le_row, pd.DataFrame):
            le_row = le_row.iloc[0]
        hle_row, verdict = _pick_hle(le_row, hle_groups.get(key, hle_rows.iloc[0:0]))
        rec: dict[str, Any] = dict(zip(_KEY, key, strict=True))
        rec["pairing"] = verdict
        for prefix, row in (("le", le_row), ("hle", hle_row)):
            if row is None:
                continue
            rec.update({prefix: row["value"], f"{prefix}_lower": row[lower],
                        f"{prefix}_upper": row[upper], f"{prefix}_release": row["release"],
                        f"{prefix}_release_date": row["release_date"],
                        f"{prefix}_source": row["source"],
                        f"{prefix}_source_ref": row["source_ref"]})
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[
        *_KEY, "pairing", *[f"{p}{s}" for p in ("le", "hle") for s in (
            "", "_lower", "_upper", "_release", "_release_date", "_source", "_source_ref")]])
    for col in ("le", "le_lower", "le_upper", "hle", "hle_lower", "hle_upper"):
        frame[col] = frame[col].astype("float64")
    return frame


def _check_sexes(table: pd.DataFrame, sexes: list[str]) -> None:
    """Blame the ``sexes`` parameter, not the data, for a sex LE and HLE are not published for.

    Raises
    ------
    ParameterError
        Naming each sex of ``sexes`` that LE and HLE are not published for (the catalogue's
        sexes of 90366 and 90362: males and females, never persons), and those that are.
    """
    published = [s for s in indicator_spec(LE).sexes if s in indicator_spec(HLE).sexes]
    wrong = [s for s in sexes if s not in published]
    if not sexes or wrong:
        choices = ", ".join(published)
        raise ParameterError(
            f"sexes={sexes!r}: life expectancy (90366) and healthy life expectancy (90362) are "
            f"published for {choices} only, not for {', '.join(map(repr, wrong)) or 'no sex'}. "
            f"Use sexes: [{choices}] (or one of them).")


def window_of_need(table: pd.DataFrame, areas: Any, *, sexes: Any = ("Male", "Female"),
                   period: Any = LATEST, confidence: float = 0.95) -> pd.DataFrame:
    """Life expectancy, healthy life expectancy and the gap between them ("window of need").

    LE (Fingertips 90366) and HLE (90362) are paired only for the same area, sex and period
    **and from the same release** (:func:`cw_pophealth.analysis.releases.pairing`): one
    publication, or releases of one annual cycle on the same population base. The LE shown is
    the current release; the HLE is the one of the same release, even when a later release of
    HLE has superseded it (Warwickshire 2016 - 18: January 2020 LE 79.8957/83.6566 with June
    2020 HLE 64.8/63.9, both before the 2021 Census rebasing, not with today's revised HLE). The
    gap is ``LE - HLE`` (years lived in not-good health); its interval comes from
    :func:`cw_pophealth.stats.window_of_need_ci` (approximate and conservative; missing when
    either CI is missing). Nothing is filled: an area without LE keeps its HLE and gets
    ``status`` "LE not in data".

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (:func:`cw_pophealth.snapshot.load_indicators`), every
        release.
    areas : str, sequence of str or pandas.DataFrame
        Area codes, or an :func:`area_selection` frame (keeps names, roles and order).
    sexes : sequence of str, default ("Male", "Female")
    period : str or sequence of str, default "latest"
        ``"latest"``: for each area and sex, its own latest period with a gap, else its latest
        period with LE or HLE; ``"all"``: every period with LE or HLE; or period label(s) such
        as ``"2021 - 23"``.
    confidence : {0.95, 0.998}
        Level of the published limits used for the gap interval.

    Returns
    -------
    pandas.DataFrame
        One row per area x sex x period, areas in the given order: ``area_code``,
        ``area_name``, ``role``, ``sex``, ``period``, ``period_start``, ``le``, ``le_lower``,
        ``le_upper``, ``hle``, ``hle_lower``, ``hle_upper``, ``gap``, ``gap_lower``,
        ``gap_upper``, ``status``, ``pairing`` (how LE and HLE were paired, or why not),
        ``earlier_release`` (LE or HLE more than a year older than the newest release of its
        indicator), ``le_release``, ``hle_release``, their dates, ``le_source_ref``,
        ``hle_source_ref``, ``le_source``, ``hle_source``, ``caveat``.

    Raises
    ------
    NoDataError
        If neither LE nor HLE has any value, or a requested period is absent (naming
        ``period``).
    ParameterError
        For a confidence level Fingertips does not publish limits at, or a sex that LE and
        HLE are not published for (``sexes=["Persons"]``), naming the parameter.

    Examples
    --------
    >>> from cw_pophealth.snapshot import load_indicators  # doctest: +SKIP
    >>> won = window_of_need(load_indicators(), ["E10000031"])  # doctest: +SKIP
    >>> won[["sex", "period", "gap"]].round(2).values.tolist()  # doctest: +SKIP
    [['Male', '2016 - 18', 15.1], ['Female', '2016 - 18', 19.76]]
    """
    lower_col, upper_col, _ = confidence_columns(confidence)
    area_frame = as_area_frame(areas, table)
    codes = list(area_frame["area_code"])
    sexes = [sexes] if isinstance(sexes, str) else list(sexes)
    _check_sexes(table, sexes)
    every = select(table, indicator_id=[LE, HLE], area_codes=codes, sex=sexes,
                   current_only=False)
    current = every.loc[every["current"].astype(bool)]
    what = f"life expectancy / healthy life expectancy in {', '.join(codes)}"
    pairs = _pairs(every.loc[every["indicator_id"] == LE],
                   every.loc[every["indicator_id"] == HLE], lower_col, upper_col)
    bounds = every.drop_duplicates("period").set_index("period")[["period_start", "period_end"]]
    pairs = pairs.join(bounds, on="period")
    has_le, has_hle = pairs["le"].notna(), pairs["hle"].notna()
    paired = has_le & has_hle & ~pairs["pairing"].str.startswith("not paired")
    per_area = isinstance(period, str) and period.strip().lower() == LATEST
    if per_area:
        resolve_periods(current, LATEST, what=what)  # raises when there is nothing at all
        ranked = pairs.assign(_paired=paired, _any=has_le | has_hle).sort_values(
            ["_paired", "_any", "period_end", "period_start"])
        chosen = ranked.loc[ranked["_any"]].groupby(["area_code", "sex"]).tail(1)
        grid = chosen[["area_code", "sex", "period"]]
        missing = pd.MultiIndex.from_product([codes, sexes]).difference(
            pd.MultiIndex.from_frame(grid[["area_code", "sex"]]))
        grid = pd.concat([grid, pd.DataFrame(list(missing), columns=["area_code", "sex"])],
                         ignore_index=True)
    else:
        periods = resolve_periods(current, ALL_PERIODS if str(period).strip().lower()
                                  == ALL_PERIODS else period, what=what)
        grid = pd.DataFrame(list(pd.MultiIndex.from_product([codes, sexes, periods])),
                            columns=_KEY)
    out = grid.merge(pairs.drop(columns=["period_start", "period_end"]), on=_KEY, how="left")
    out["pairing"] = out["pairing"].fillna("")
    has_le, has_hle = out["le"].notna(), out["hle"].notna()
    refused = has_le & has_hle & out["pairing"].str.startswith("not paired")
    inverted = has_le & has_hle & ~refused & (out["hle"] > out["le"])
    usable = has_le & has_hle & ~refused & ~inverted
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
    out["status"] = np.select(
        [usable, refused, inverted, ~has_le & ~has_hle, ~has_le, ~has_hle],
        [STATUS_OK, "LE and HLE are from releases that cannot be paired: gap not shown",
         "HLE above LE: sources do not match, gap not shown", "LE and HLE not in data",
         "LE not in data", "HLE not in data"], default="")
    out["caveat"] = np.where(
        usable & out["pairing"].str.startswith("contemporaneous"),
        "LE (" + out["le_release"].map(short_release) + ") and HLE ("
        + out["hle_release"].map(short_release) + ") are two releases of one publication cycle "
        "on the same population base; the gap is valid on that base", "")
    le_old = earlier_release(pd.Series(LE, index=out.index), out["le_release_date"], table)
    hle_old = earlier_release(pd.Series(HLE, index=out.index), out["hle_release_date"], table)
    out["earlier_release"] = le_old | hle_old
    out = out.join(bounds[["period_start"]], on="period")
    out = area_frame.merge(out, on="area_code", how="right")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_a=out["area_code"].map(order), _s=out["sex"].map(sexes.index)).sort_values(
        ["_a", "_s", "period_start"], kind="stable").drop(columns=["_a", "_s"])
    out = out.reindex(columns=_COLUMNS).reset_index(drop=True)
    out.attrs.update(method=stats.WINDOW_OF_NEED_METHOD, indicator_ids=(LE, HLE),
                     confidence=confidence)
    if area_frame.attrs.get("area_note"):
        out.attrs["area_note"] = area_frame.attrs["area_note"]
    logger.info("Window of need: %d rows (%d with a gap) for %d area(s), period(s) %s",
                len(out), int(usable.sum()), len(codes),
                ", ".join(dict.fromkeys(out["period"].dropna())))
    return out
