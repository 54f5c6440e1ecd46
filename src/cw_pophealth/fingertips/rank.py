"""Values fingertipsR derives on the client: an area's rank among its peers, and ``ntile``.

:func:`add_rank` is ``fingertips_data(rank = TRUE)``: within each indicator, period, sex, age,
category and tier of areas (England, the parent areas, the child areas), R's
``rank(Value, na.last = "keep")``, i.e. ascending whatever the polarity, ties averaged, missing
values unranked. :func:`ntile` is dplyr's ``ntile``, which ``deprivation_decile`` uses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cw_pophealth import catalogue

__all__ = ["RANK_COLUMNS", "add_rank", "area_tier", "ntile"]

#: The columns ``rank=True`` adds, in fingertipsR's order (``Polarity, Rank, AreaValuesCount``).
RANK_COLUMNS = {"polarity": "string", "rank": "float64", "area_values_count": "Int64"}


def area_tier(table: pd.DataFrame, parent_area_type_id: int) -> pd.Series:
    """Which block of the export each row is in: ``"England"``, ``"parent"`` or ``"child"``.

    The server writes England, then the areas of the parent type (whose parent is England),
    then the children; fingertipsR ranks within its ``AreaType`` column, which names those
    blocks (the short name of the first of England, the parent type and the child type that
    holds the area).
    """
    england = table["area_code"].eq(catalogue.ENGLAND).to_numpy(dtype=bool)
    parent_is_england = table["parent_code"].astype("string").eq(catalogue.ENGLAND)
    parent_level = parent_is_england.fillna(False).to_numpy(dtype=bool) & ~england
    if parent_area_type_id == catalogue.AREA_TYPE_ENGLAND:
        parent_level = np.zeros(len(table), dtype=bool)  # children's parent is England too
    tier = np.where(england, "England", np.where(parent_level, "parent", "child"))
    return pd.Series(tier, index=table.index, dtype="string")


def add_rank(table: pd.DataFrame, polarities: pd.DataFrame, *, parent_area_type_id: int
             ) -> pd.DataFrame:
    """``table`` with ``polarity``, ``rank`` and ``area_values_count`` (fingertipsR's meaning).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy rows of one request plan, before any area filter (ranks are among all the areas
        the API returned).
    polarities : pandas.DataFrame
        ``indicator_id`` and ``polarity``
        (:func:`~cw_pophealth.fingertips.lookups.indicator_polarities`).
    parent_area_type_id : int
        The request's parent type (see :func:`area_tier`).

    Returns
    -------
    pandas.DataFrame
        A copy with the three columns: ``rank`` is 1 for the lowest value whatever the
        polarity (fingertipsR's doc says missing values rank last; its code, ``na.last =
        "keep"``, leaves them unranked, as here), ties share the mean of their ranks, and
        ``area_values_count`` counts the values in the group.

    Examples
    --------
    >>> rows = pd.DataFrame({"indicator_id": [1, 1, 1, 1], "period": ["2023"] * 4,
    ...                      "sex": ["Persons"] * 4, "age": ["All ages"] * 4,
    ...                      "category_type": [pd.NA] * 4, "category": [pd.NA] * 4,
    ...                      "area_code": ["E06000001", "E06000002", "E06000003", "E06000004"],
    ...                      "parent_code": ["E12000001"] * 4, "value": [3.0, 1.0, 3.0, None]})
    >>> ranked = add_rank(rows, pd.DataFrame({"indicator_id": [1], "polarity": ["x"]}),
    ...                   parent_area_type_id=6)
    >>> ranked["rank"].tolist(), ranked["area_values_count"].tolist()
    ([2.5, 1.0, 2.5, nan], [3, 3, 3, 3])
    """
    out = table.copy()
    key = out[["indicator_id", "period", "sex", "age", "category_type", "category"]].astype(
        "string").fillna("\0").assign(tier=area_tier(out, parent_area_type_id))
    groups = out["value"].groupby([key[c] for c in key.columns], dropna=False, sort=False)
    out["rank"] = groups.rank(method="average", na_option="keep", ascending=True).astype(
        "float64")
    out["area_values_count"] = groups.transform("count").astype("Int64")
    polarity = dict(zip(polarities["indicator_id"].astype("Int64"),
                        polarities["polarity"], strict=True))
    out.insert(len(out.columns) - 2, "polarity",
               out["indicator_id"].map(polarity).astype("string"))
    return out


def ntile(values: pd.Series, n: int) -> pd.Series:
    """dplyr's ``ntile(x, n)``: the values split into ``n`` groups as equal in size as possible.

    Values are ordered ascending with ties broken by position (``row_number``); the larger
    groups come first; missing values stay missing (dplyr 1.1, ``R/rank.R``).

    Examples
    --------
    >>> ntile(pd.Series([10.0, 30.0, 20.0, None, 40.0]), 3).tolist()
    [1, 2, 1, <NA>, 3]
    """
    order = values.rank(method="first", na_option="keep")
    size = int(order.notna().sum())
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if size == 0:
        return out
    n = int(n)
    n_larger = size % n
    larger, smaller = math.ceil(size / n), size // n
    threshold = larger * n_larger
    for idx, x in order.dropna().items():
        x = int(x)
        if x <= threshold:
            group = (x + larger - 1) // larger
        else:
            group = (x - threshold + smaller - 1) // smaller + n_larger
        out.loc[idx] = group
    return out
