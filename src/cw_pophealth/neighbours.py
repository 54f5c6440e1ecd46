"""Statistical neighbours: an area compared with the areas most like it.

A neighbour list comes from one of two places:

* **the extracts** (offline): the CIPFA nearest-neighbour sets that a West Sussex County
  Council analysis used in January 2020 (``psychty_la_ph_walkthrough/ut_data_neighbours.json``,
  real published values; see ``PROVENANCE.md``). They hold the neighbours of West Sussex, East
  Sussex and Brighton & Hove, whose groups include Warwickshire and Coventry;
* **the Fingertips API** (online): :func:`cw_pophealth.fingertips.nearest_neighbours`.

:func:`neighbour_table` then places the area among its neighbours for each indicator: its
value, its rank in the group (1 = best by the indicator's polarity) and the spread of the
neighbours' values. Nothing is filled in: an area or neighbour without a value says so.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.analysis.selection import resolve_periods
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import NoDataError, ParameterError
from cw_pophealth.geography import AreaLookup, get_geography, validate_area_code

logger = logging.getLogger(__name__)

__all__ = ["NEIGHBOUR_SET_FILE", "PUBLISHED_MEASURE", "SOURCES", "neighbour_list",
           "neighbour_table", "present_neighbour_table", "published_neighbours"]

#: The file of published neighbour sets, relative to the extracts folder.
NEIGHBOUR_SET_FILE = "psychty_la_ph_walkthrough/ut_data_neighbours.json"
#: What those sets are.
PUBLISHED_MEASURE = ("CIPFA nearest neighbours (upper tier), as used in January 2020 "
                     "(psychty/la-ph-walkthrough)")
#: Where :func:`neighbour_list` can take a list from.
SOURCES = ("extracts", "api")
_COLUMNS = {"area_code": "string", "area_name": "string", "measure": "string",
            "status": "string"}


def _current_upper_tier(geo: AreaLookup) -> dict[str, str]:
    """Current counties & UAs by name; the 2023 unitary North Yorkshire and Somerset are
    ``... UA`` in the Pholio tables."""
    table = geo.areas(catalogue.AREA_TYPE_COUNTY_UA)
    return {str(n).removesuffix(" UA"): str(c)
            for n, c in zip(table["area_name"], table["area_code"], strict=True)}


def published_neighbours(area_code: str, *, settings: Settings | None = None,
                         geography: AreaLookup | None = None) -> pd.DataFrame:
    """The CIPFA nearest neighbours the extracts hold for an area.

    Parameters
    ----------
    area_code : str
        An upper-tier area, e.g. ``"E10000032"`` (West Sussex).
    settings : Settings, optional
    geography : AreaLookup, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``measure``, ``status``, in the file's (alphabetical)
        order. A neighbour that is no longer an area (Northamptonshire, split in 2021) has no
        code and says so in ``status``; the others are ``"current area"``.

    Raises
    ------
    NoDataError
        If the extracts hold no neighbour list for the area; the message names the areas
        they hold and the live alternative.

    Examples
    --------
    >>> "E10000031" in set(published_neighbours("E10000032")["area_code"])  # doctest: +SKIP
    True
    """
    settings = settings or get_settings()
    code = validate_area_code(area_code, "area_code")
    geo = geography or get_geography(settings)
    path = settings.require_extracts_dir() / NEIGHBOUR_SET_FILE
    if not path.is_file():
        raise NoDataError(f"The neighbour sets {path} are not in the extracts folder; take "
                          "neighbours from the API with neighbours_from='api'.")
    code_of = _current_upper_tier(geo)
    name_of = {c: n for n, c in code_of.items()}
    sets: dict[str, list[str]] = {}
    for row in json.loads(Path(path).read_text(encoding="utf-8-sig")):
        if row["Area_name"] != row["Area_x"]:
            members = sets.setdefault(row["Area_x"], [])
            if row["Area_name"] not in members:
                members.append(row["Area_name"])
    holder = name_of.get(code)
    if holder not in sets:
        held = ", ".join(f"{n} ({code_of.get(n, '?')})" for n in sets)
        raise NoDataError(
            f"The extracts hold no neighbour list for {code}: they have the CIPFA neighbours of "
            f"{held} only. Online, take them from the API with neighbours_from='api' "
            "(cw_pophealth.fingertips.nearest_neighbours).")
    rows = [{"area_code": code_of.get(n), "area_name": n, "measure": PUBLISHED_MEASURE,
             "status": "current area" if n in code_of else
             "no longer an area (split or merged since 2020)"} for n in sets[holder]]
    gone = [str(r["area_name"]) for r in rows if r["area_code"] is None]
    if gone:
        logger.info("Neighbours of %s that are no longer areas: %s", code, ", ".join(gone))
    return pd.DataFrame(rows, columns=list(_COLUMNS)).astype(_COLUMNS)


def neighbour_list(area_code: str, source: str = "extracts", *,
                   area_type_id: int = catalogue.AREA_TYPE_COUNTY_UA, measure: str | None = None,
                   settings: Settings | None = None) -> pd.DataFrame:
    """An area's statistical neighbours from the extracts or from the Fingertips API.

    Parameters
    ----------
    area_code : str
    source : {"extracts", "api"}
        ``"extracts"``: :func:`published_neighbours` (offline). ``"api"``:
        :func:`cw_pophealth.fingertips.nearest_neighbours` (needs the network or the raw cache).
    area_type_id : int, default 502
        For ``"api"``: the area type of the neighbours.
    measure : str, optional
        For ``"api"``: ``"CIPFA"`` or ``"NHSE"``.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``measure``, ``status``.

    Raises
    ------
    ParameterError
        For another ``source``.
    NoDataError
        When the source holds no list for the area.
    """
    if source == "extracts":
        return published_neighbours(area_code, settings=settings)
    if source != "api":
        raise ParameterError(f"neighbours_from={source!r}: use one of {SOURCES} (the published "
                             "lists in the extracts, or the Fingertips API).")
    from cw_pophealth.fingertips import nearest_neighbours

    found = nearest_neighbours(area_code, area_type_id, measure, settings=settings)
    if found.empty:
        raise NoDataError(f"Fingertips lists no nearest neighbours for {area_code} at area type "
                          f"{area_type_id}.")
    return found.assign(status="current area").loc[:, list(_COLUMNS)].astype(_COLUMNS)


def _rank_note(polarity: int) -> str:
    if polarity == catalogue.POLARITY_LOW_IS_GOOD:
        return "1 = lowest (low is good)"
    if polarity == catalogue.POLARITY_HIGH_IS_GOOD:
        return "1 = highest (high is good)"
    return "1 = lowest (no judgement of better or worse)"


def neighbour_table(table: pd.DataFrame, area_code: str, neighbour_codes: Any,
                    indicators: Any, *, period: Any = "latest") -> pd.DataFrame:
    """Where an area stands among its neighbours, per indicator and sex.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy table (headline rows are used).
    area_code : str
        The area.
    neighbour_codes : sequence of str
        Its neighbours (e.g. ``neighbour_list(...)["area_code"].dropna()``).
    indicators : str, int or sequence
        Catalogue keys or Fingertips ids.
    period : str, default "latest"
        ``"latest"`` (the latest period in which the area has a value, else in which any
        neighbour has) or a period label.

    Returns
    -------
    pandas.DataFrame
        One row per indicator and sex: ``indicator_id``, ``indicator_key``,
        ``indicator_name``, ``sex``, ``period``, ``area_code``, ``area_name``, ``value``,
        ``lower_ci_95``, ``upper_ci_95``, ``rank`` (Int64, in the group of the area and its
        neighbours with a value; ties share the lowest rank), ``group_size`` (areas ranked),
        ``neighbours_with_value``, ``neighbours_total``, ``neighbour_median``,
        ``neighbour_min``, ``neighbour_max``, ``rank_basis`` and ``status`` (``"OK"``, or why
        there is no value).

    Examples
    --------
    >>> from cw_pophealth import snapshot  # doctest: +SKIP
    >>> neighbour_table(snapshot.load_indicators(), "E10000032", ["E10000031"],
    ...                 "obesity")[["area_name", "rank", "group_size"]]  # doctest: +SKIP
    """
    code = validate_area_code(area_code, "area_code")
    others = [c for c in dict.fromkeys(str(c) for c in neighbour_codes) if c != code]
    keys = [indicators] if isinstance(indicators, (str, int)) else list(indicators)
    headline = table.loc[table["category_type"].isna() & table["category"].isna()]
    out = []
    for key in keys:
        spec = catalogue.indicator_spec(key)
        rows = headline.loc[headline["indicator_id"] == spec.indicator_id]
        for sex in spec.sexes:
            mine = rows.loc[(rows["sex"] == sex) & (rows["area_code"] == code)]
            group_rows = rows.loc[(rows["sex"] == sex) & rows["area_code"].isin(others)]
            record: dict[str, Any] = {"indicator_id": spec.indicator_id,
                                      "indicator_key": spec.key,
                                      "indicator_name": spec.name, "sex": sex,
                                      "area_code": code, "neighbours_total": len(others),
                                      "rank_basis": _rank_note(spec.polarity)}
            try:
                (label,) = resolve_periods(rows.loc[rows["sex"] == sex], period,
                                           preferred=mine, what=f"{spec.key} ({sex})")[-1:]
            except (NoDataError, ValueError):
                out.append({**record, "status": f"No data for {spec.key} ({sex}) in the table"})
                continue
            here = mine.loc[mine["period"] == label]
            there = group_rows.loc[group_rows["period"] == label].dropna(subset=["value"])
            values = there["value"].to_numpy(dtype=float)
            record.update(period=label, neighbours_with_value=len(values),
                          neighbour_median=np.median(values) if len(values) else np.nan,
                          neighbour_min=values.min() if len(values) else np.nan,
                          neighbour_max=values.max() if len(values) else np.nan)
            if here.empty or here["value"].isna().all():
                out.append({**record, "status": f"No value for {code} in {label}"})
                continue
            first = here.iloc[0]
            value = float(first["value"])
            higher_is_better = spec.polarity == catalogue.POLARITY_HIGH_IS_GOOD
            better = (values > value) if higher_is_better else (values < value)
            record.update(area_name=first["area_name"], value=value,
                          lower_ci_95=first["lower_ci_95"], upper_ci_95=first["upper_ci_95"],
                          rank=int(better.sum()) + 1, group_size=len(values) + 1, status="OK")
            out.append(record)
    columns = {"indicator_id": "Int64", "indicator_key": "string", "indicator_name": "string",
               "sex": "string", "period": "string", "area_code": "string",
               "area_name": "string", "value": "float64", "lower_ci_95": "float64",
               "upper_ci_95": "float64", "rank": "Int64", "group_size": "Int64",
               "neighbours_with_value": "Int64", "neighbours_total": "Int64",
               "neighbour_median": "float64", "neighbour_min": "float64",
               "neighbour_max": "float64", "rank_basis": "string", "status": "string"}
    return pd.DataFrame(out).reindex(columns=list(columns)).astype(columns)


def present_neighbour_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`neighbour_table` as readers see it: 1 dp, ranks as "3 of 16", gaps spelled out."""

    def one(v: Any) -> str:
        return "—" if pd.isna(v) else f"{v:.1f}"

    return pd.DataFrame({
        "Indicator": frame["indicator_name"], "Sex": frame["sex"],
        "Period": frame["period"].fillna("—"), "Value": frame["value"].map(one),
        "Rank among neighbours": [
            "—" if pd.isna(r) else f"{r} of {n}"
            for r, n in zip(frame["rank"], frame["group_size"], strict=True)],
        "Rank basis": frame["rank_basis"],
        "Neighbours' median (range)": [
            "—" if pd.isna(m) else f"{m:.1f} ({lo:.1f}–{hi:.1f})"
            for m, lo, hi in zip(frame["neighbour_median"], frame["neighbour_min"],
                                 frame["neighbour_max"], strict=True)],
        "Neighbours with a value": [
            f"{w if not pd.isna(w) else 0} of {t}"
            for w, t in zip(frame["neighbours_with_value"], frame["neighbours_total"],
                            strict=True)],
        "Status": frame["status"],
    })
