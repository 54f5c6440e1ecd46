"""Coverage: what the data hold for each area and indicator, and what a live pull would add."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.analysis.releases import ONE_YEAR, earlier_release, short_release
from cw_pophealth.analysis.selection import as_area_frame, select
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.periods import period_order
from cw_pophealth.schema import current_rows

logger = logging.getLogger(__name__)

__all__ = ["coverage_table"]

#: Status of an area whose latest period is the latest any area has in the data.
UP_TO_DATE = "as recent as any area in the data"


def coverage_table(table: pd.DataFrame, indicators: Any, areas: Any, *,
                   roles: Sequence[str] | None = ("focus",)) -> pd.DataFrame:
    """For each area and indicator: its latest period in the data, that value's release, and
    the later periods (held for other areas) that a live pull would add.

    Nothing is filled: an area behind the others is reported as behind, with the periods it
    lacks, and an area with no value says so.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table.
    indicators : str, int or sequence
        Catalogue keys or ids.
    areas : str, sequence of str or pandas.DataFrame
        Area codes or an :func:`~cw_pophealth.analysis.area_selection` frame.
    roles : sequence of str, optional
        Keep areas whose role starts with one of these (default the focus areas); ``None``
        keeps every area.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_name``, ``area_code``, ``area_name``, ``sex``,
        ``latest_period``, ``release``, ``earlier_release``, ``newest_period`` (the latest
        period any area has), ``missing_periods`` (after the area's latest, up to the newest),
        ``status``.
    """
    specs = [indicators] if isinstance(indicators, (str, int)) else list(indicators)
    frame = as_area_frame(areas, table)
    if roles is not None:
        frame = frame.loc[frame["role"].astype(str).str.startswith(tuple(roles))]
    records = []
    newest = current_rows(table)["release_date"].max()
    for key in specs:
        spec = indicator_spec(key)
        rows = select(table, indicator_id=spec.indicator_id).dropna(subset=["value"])
        local = catalogue.is_local_indicator(spec.indicator_id)
        for sex in spec.sexes:
            of_sex = rows.loc[rows["sex"] == sex]
            order = period_order(of_sex)
            ends = of_sex.drop_duplicates("period").set_index("period")["period_end"]
            for area in frame.itertuples(index=False):
                mine = of_sex.loc[of_sex["area_code"] == area.area_code].sort_values(
                    ["period_end", "period_start"])
                base = {"indicator_id": spec.indicator_id, "indicator_name": spec.short_name,
                        "area_code": area.area_code, "area_name": area.area_name, "sex": sex,
                        "newest_period": order[-1] if order else pd.NA}
                if mine.empty:
                    records.append({**base, "status": (
                        "no value in the data (not a Fingertips indicator, so no live pull)"
                        if local else f"no value in the data: a live pull would fetch "
                                      f"Fingertips {spec.indicator_id}")})
                    continue
                last = mine.iloc[-1]
                later = [p for p in order if ends[p] > last["period_end"]]
                status = UP_TO_DATE if not later else (
                    f"behind: latest {last['period']}; later periods in the data for other "
                    f"areas: {later[0]} to {later[-1]}" + (
                        "" if local else "; a live pull would add them"))
                if not later and not local and newest - last["release_date"] > ONE_YEAR:
                    status += (f", but its newest release here is "
                               f"{short_release(last['release'])}: a live pull would add any "
                               "later periods")
                records.append({**base, "latest_period": last["period"],
                                "release": short_release(last["release"]),
                                "release_date": last["release_date"],
                                "missing_periods": ", ".join(later), "status": status})
    out = pd.DataFrame.from_records(records)
    for col in ("latest_period", "release", "missing_periods"):
        if col not in out.columns:
            out[col] = pd.NA
    out["release_date"] = pd.to_datetime(out.get("release_date"))
    out["earlier_release"] = earlier_release(out["indicator_id"], out["release_date"], table)
    logger.info("Coverage: %d area-indicator rows, %d behind or missing", len(out),
                int((out["status"] != UP_TO_DATE).sum()))
    return out.loc[:, ["indicator_id", "indicator_name", "area_code", "area_name", "sex",
                       "latest_period", "release", "earlier_release", "newest_period",
                       "missing_periods", "status"]]
