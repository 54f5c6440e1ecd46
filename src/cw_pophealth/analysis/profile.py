"""Area profile: every core indicator for one area, with what a spine chart needs."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.analysis.benchmark import area_batches, one_benchmark_table
from cw_pophealth.analysis.selection import as_area_frame, indicator_rows, select
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.memo import memo
from cw_pophealth.periods import LATEST

logger = logging.getLogger(__name__)

__all__ = ["PEER_AREA_TYPES", "area_profile_table", "one_row_per_area"]

#: Tidy ``area_type`` values that count as peers of an area of a given type, for spine-chart
#: ranges: upper tier (Fingertips 502, counties & UAs) for counties and UAs, lower tier (501,
#: districts & UAs) for districts.
PEER_AREA_TYPES: dict[str, tuple[str, ...]] = {
    "UA": ("UA", "County"),
    "County": ("UA", "County"),
    "District": ("District", "UA"),
    "Region": ("Region",),
    "England": ("England",),
}


_NO_VALUES = np.empty(0, dtype=float)


def _peer_values(table: pd.DataFrame, indicator_id: int, peers: tuple[str, ...]
                 ) -> dict[tuple[str, str], tuple[np.ndarray, tuple[str, ...]]]:
    """The current values of an indicator's peer areas by (sex, period), in table order,
    computed once per table: every area's spine chart in a fan-out shares them. Superseded
    releases are left out, so an area with two releases of a period counts once."""
    def compute() -> dict[tuple[str, str], tuple[np.ndarray, tuple[str, ...]]]:
        rows = select(indicator_rows(table, indicator_id))
        rows = one_row_per_area(rows.loc[rows["area_type"].isin(peers) & rows["value"].notna()])
        return {(str(sex), str(period)): (group["value"].to_numpy(dtype=float),
                                          tuple(sorted(set(group["area_type"].astype(str)))))
                for (sex, period), group in rows.groupby(["sex", "period"], sort=False)}

    return memo(table, ("peer values", int(indicator_id), peers), compute)


def one_row_per_area(rows: pd.DataFrame) -> pd.DataFrame:
    """Count each area once per sex and period, though the data hold it under two codes.

    An area whose ONS code changed (Barnsley E08000016 to E08000038 and Sheffield E08000019 to
    E08000039 after their 2021 boundary change) appears in the data under both codes for the
    same periods, from different sources. Rows of the same area name and type, sex and period
    are one area: the row of the newest release is kept (on a tie, the newer code).
    """
    if rows.empty:
        return rows
    order = rows.sort_values(["release_date", "area_code"], kind="stable", na_position="first")
    kept = order.drop_duplicates(["area_name", "area_type", "sex", "period"], keep="last")
    dropped = len(rows) - len(kept)
    if dropped:
        logger.debug("%d peer row(s) of areas held under two codes counted once", dropped)
    return kept.loc[rows.index.intersection(kept.index)]


def _peer_stats(values: np.ndarray) -> dict[str, float]:
    """Min, R type-7 quartiles, median and max of peer values (NaN when there are none)."""
    if values.size == 0:
        return dict.fromkeys(("minimum", "q25", "median", "q75", "maximum"), np.nan)
    q = np.quantile(values, [0.0, 0.25, 0.5, 0.75, 1.0], method="linear")  # R type 7
    return dict(zip(("minimum", "q25", "median", "q75", "maximum"), map(float, q), strict=True))


def area_profile_table(table: pd.DataFrame, area_code: str, *, indicators=None,
                       benchmark_code: str = "E92000001", period=LATEST,
                       peer_area_types: tuple[str, ...] | None = None,
                       confidence: float = 0.95) -> pd.DataFrame:
    """One row per core indicator x sex for an area, with what a spine chart needs.

    For each indicator the period is its latest with an England value (or the label given;
    indicators without it get a "No value for <area> in <period>" row);
    the range is taken over areas of the same tier in that period and sex (counties & UAs for
    a county or UA, districts & UAs for a district; :data:`PEER_AREA_TYPES`), with R type-7
    quantiles. Spine-chart positions follow fingertipscharts: England at 0, scaled by
    ``half_range = max(|min - England|, |max - England|)``, and oriented so that **right is
    better** (for polarity 0, low is good, the axis is flipped; for 99, no judgement, higher
    is right).

    Indicators with no data for the area get an explicit row (value missing, ``status`` "No
    data in snapshot for <area> (<id>)"), so the chart can say so.

    Parameters
    ----------
    table : pandas.DataFrame
    area_code : str
    indicators : sequence, optional
        Catalogue keys or ids; default every core indicator
        (:data:`cw_pophealth.catalogue.CORE_INDICATORS`).
    benchmark_code : str, default England
    period : str, default "latest"
    peer_area_types : tuple of str, optional
        Override the tidy ``area_type`` values whose areas form the range.
    confidence : {0.95, 0.998}

    Returns
    -------
    pandas.DataFrame
        The :func:`benchmark_table` columns plus ``n_areas``, ``range_area_types`` (the tidy
        area types the range holds, e.g. "UA" where the data hold no county values),
        ``minimum``, ``q25``, ``median``, ``q75``, ``maximum``, ``worst``, ``best``, ``half_range``,
        ``spine_worst``, ``spine_q25``, ``spine_q75``, ``spine_best``, ``spine_area``.
    """
    code = str(area_code).strip().upper()
    keys = ([s.key for s in catalogue.CORE_INDICATORS] if indicators is None
            else ([indicators] if isinstance(indicators, (str, int)) else list(indicators)))
    area_type = _area_types(table).get(code, "UA")
    peers = tuple(peer_area_types or PEER_AREA_TYPES.get(area_type, (area_type,)))
    batch = _batch(table, code, area_type, keys, benchmark_code, period, peers, confidence)
    if batch is None:
        out = _profile_rows(table, [code], keys, benchmark_code, period, peers, confidence)
    else:
        rows, positions = batch
        out = rows.take(positions[code]).reset_index(drop=True)
    out.attrs.update(area_code=code, peer_area_types=peers)
    logger.info("Area profile for %s: %d indicator rows (%d without data)", code, len(out),
                int(out["value"].isna().sum()))
    return out


def _area_types(table: pd.DataFrame) -> dict[str, str]:
    """Each area code's most frequent tidy ``area_type`` (the first in sort order on a tie, as
    :meth:`pandas.Series.mode` gives), computed once per table."""
    def compute() -> dict[str, str]:
        counts = table.groupby(["area_code", "area_type"], observed=True).size()
        best: dict[str, tuple[int, str]] = {}
        for (code, kind), n in counts.items():
            kind, n = str(kind), int(n)
            held = best.get(str(code))
            if held is None or n > held[0] or (n == held[0] and kind < held[1]):
                best[str(code)] = (n, kind)
        return {code: kind for code, (_, kind) in best.items()}

    return memo(table, "area types", compute)


def _batch(table: pd.DataFrame, code: str, area_type: str, keys: list, benchmark_code: str,
           period, peers: tuple[str, ...], confidence: float
           ) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """The profile rows of every area of ``code``'s type, once a second area of that type is
    profiled on the same unchanged table with the same arguments (a fan-out in a warm kernel),
    or ``None`` (the first area; arguments that cannot be a cache key).

    The areas are grouped so that each area's rows do not depend on the others computed with
    it (:func:`~cw_pophealth.analysis.benchmark.area_batches`): an area's rows from the batch
    are the rows it gets alone. Returned with a map from each code to its row positions.
    """
    try:
        key = ("area profile", tuple(keys), benchmark_code,
               tuple(period) if isinstance(period, list) else period, peers, confidence,
               area_type)
        hash(key)
    except TypeError:
        return None
    types = _area_types(table)
    if code not in types:  # not in the table: nothing to batch with
        return None
    seen = memo(table, (*key, "areas asked"), set)
    seen.add(code)
    if len(seen) < 2:
        return None
    codes = sorted(c for c, kind in types.items() if kind == area_type)
    if not memo(table, (*key, "batch saves work"), lambda: _batch_saves_work(
            table, codes, keys, benchmark_code, period)):
        return None

    def compute() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        rows = _profile_rows(table, codes, keys, benchmark_code, period, peers, confidence)
        positions = pd.Series(np.arange(len(rows))).groupby(rows["area_code"].to_numpy(),
                                                             sort=False)
        logger.debug("Area profiles of %d %s areas computed at once", len(codes), area_type)
        return rows, {str(c): group.to_numpy() for c, group in positions}

    # Only ever read (each area takes a copy of its rows), so the cached frame is returned.
    return memo(table, key, compute)


def _batch_saves_work(table: pd.DataFrame, codes: list[str], keys: list, benchmark_code: str,
                      period) -> bool:
    """Whether computing ``codes`` together is cheaper than one at a time: every indicator
    takes them in one group (plus, at most, the group of areas without a value). With
    ``"all"`` periods, or a benchmark without values, each area with a value is a group of
    its own (:func:`~cw_pophealth.analysis.benchmark.area_batches`), so a batch would compute
    every area of the type one by one, seconds for an analyst who asked for two."""
    return all(len(area_batches(table, key, codes, benchmark_code, period=period)) <= 2
               for key in keys)


def _profile_rows(table: pd.DataFrame, codes: list[str], keys: list, benchmark_code: str,
                  period, peers: tuple[str, ...], confidence: float) -> pd.DataFrame:
    """:func:`area_profile_table`'s rows for ``codes``, without attributes."""
    area_frame = as_area_frame(codes, table)
    kwargs = dict(polarity=None, period=period, sexes=None, confidence=confidence)
    parts = []
    for key in keys:
        spec = indicator_spec(key)
        groups = ([codes] if len(codes) == 1 else
                  area_batches(table, key, codes, benchmark_code, period=period))
        part = pd.concat([one_benchmark_table(
            table, key, area_frame.loc[area_frame["area_code"].isin(group)], benchmark_code,
            **kwargs) for group in groups], ignore_index=True)
        peer_values = _peer_values(table, spec.indicator_id, peers)
        extra = []
        for row in part.itertuples(index=False):
            vals, types = peer_values.get((row.sex, row.period), (_NO_VALUES, ()))
            extra.append({"n_areas": int(vals.size), "range_area_types": ", ".join(types),
                          **_peer_stats(vals)})
        parts.append(pd.concat([part.reset_index(drop=True), pd.DataFrame(extra)], axis=1))
    out = pd.concat(parts, ignore_index=True)
    low_good = out["polarity"] == catalogue.POLARITY_LOW_IS_GOOD
    out["worst"] = np.where(low_good, out["maximum"], out["minimum"])
    out["best"] = np.where(low_good, out["minimum"], out["maximum"])
    eng = out["benchmark_value"]
    half = np.maximum((out["minimum"] - eng).abs(), (out["maximum"] - eng).abs())
    out["half_range"] = half.where(half > 0)
    sign = np.where(low_good, -1.0, 1.0)
    for name, col in (("worst", "worst"), ("q25", "q25"), ("q75", "q75"), ("best", "best"),
                      ("area", "value")):
        out[f"spine_{name}"] = sign * (out[col] - eng) / out["half_range"]
    # For low-is-good indicators the 25th percentile sits on the better side: swap so that
    # spine_q25 is always the worse quartile.
    out.loc[low_good, ["spine_q25", "spine_q75"]] = out.loc[
        low_good, ["spine_q75", "spine_q25"]].to_numpy()
    return out

