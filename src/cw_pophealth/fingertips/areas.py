"""Area lookups: area types and their parents, areas, parent-child maps, and which area types
hold data for an indicator.

The functions mirror fingertipsR (``area_types``, ``indicator_areatypes``) and the
``areas``/``parent_to_child_areas`` endpoints, and return DataFrames with snake_case columns and
nullable dtypes. :func:`require_area_types` and :func:`require_known_areas` are the checks
that :func:`~cw_pophealth.fingertips.data.fingertips_data` runs alongside its data requests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.config import Settings
from cw_pophealth.errors import UnknownAreaError, UnknownAreaTypeError
from cw_pophealth.fingertips.args import as_type_id, resolve_indicator_ids, settings_or_default
from cw_pophealth.fingertips.fetch import checked_in_order, get_json
from cw_pophealth.geography import validate_area_code

logger = logging.getLogger(__name__)

__all__ = [
    "CATEGORY_AREA_TYPE_OFFSET",
    "area_types",
    "areas",
    "areas_of_type",
    "available_data",
    "indicator_areatypes",
    "parent_to_child_areas",
    "require_area_types",
    "require_known_areas",
]


#: Ids of the deprivation-decile "parent area types" of ``area_types/parent_area_types`` are
#: 10000 + the category type id (fingertips-open ``PholioObjects/CategoryAreaType.cs``).
CATEGORY_AREA_TYPE_OFFSET = 10000


def _area_type_names(settings: Settings, profile_id: int | None = None) -> list[dict]:
    """The ``area_types`` endpoint: every current area type (or a profile's), no parents."""
    params = {"profile_ids": int(profile_id)} if profile_id is not None else None
    items = get_json("area_types", params, settings=settings, expect=list)
    return [i for i in items if isinstance(i, dict)]


def area_types(profile_id: int | None = None, *, settings: Settings | None = None
               ) -> pd.DataFrame:
    """Area types and their parent area types.

    Two requests, run concurrently: ``area_types`` lists every area type (or those of a
    profile), and ``area_types/parent_area_types`` gives the parent types of the child types
    that have them. The live ``area_types`` endpoint carries no parent types at all: the server
    fills ``ParentAreaTypes`` only on the second endpoint (fingertips-open
    ``AreaTypesWithParentAreaTypesBuilder``), which is the one fingertipsR reads.

    Parameters
    ----------
    profile_id : int, optional
        Only the area types used by this profile.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per area type and parent type, parents in the server's order (the first is
        fingertipsR's default parent): ``area_type_id`` (Int64), ``area_type_name`` (e.g.
        ``Counties & UAs (from Apr 2023)``), ``area_type_short``, ``parent_area_type_id``
        (Int64; missing when the type has no parent types), ``parent_area_type_name`` (the
        parent's short name, as fingertipsR gives it), ``parent_is_category`` (boolean: the
        parent is a set of deprivation deciles, id 10000 + its category type id, rather than
        an area type).

    See Also
    --------
    areas : the areas of one type.
    indicator_areatypes : which area types have data for an indicator.
    category_types : the category types behind the decile parents.

    Examples
    --------
    >>> types = area_types()  # doctest: +SKIP
    >>> types.loc[types["area_type_id"] == 502, "parent_area_type_id"].tolist()  # doctest: +SKIP
    [6, 15, 19139]
    """
    settings = settings_or_default(settings)
    params = {"profile_id": int(profile_id)} if profile_id is not None else None
    listed, with_parents = checked_in_order(
        settings,
        lambda: _area_type_names(settings, profile_id),
        lambda: get_json("area_types/parent_area_types", params, settings=settings,
                         expect=list))
    parents: dict[object, list[dict]] = {}
    extra: list[dict] = []
    listed_ids = {i.get("Id") for i in listed}
    for item in with_parents:
        if not isinstance(item, dict):
            continue
        parents[item.get("Id")] = [p for p in item.get("ParentAreaTypes") or []
                                   if isinstance(p, dict)]
        if item.get("Id") not in listed_ids and profile_id is None:
            extra.append(item)
    rows = []
    for item in [*listed, *extra]:
        for parent in parents.get(item.get("Id")) or [{}]:
            pid = parent.get("Id")
            rows.append({
                "area_type_id": item.get("Id"), "area_type_name": item.get("Name"),
                "area_type_short": item.get("Short"), "parent_area_type_id": pid,
                "parent_area_type_name": parent.get("Short") or parent.get("Name"),
                "parent_is_category": (pd.NA if pid is None
                                       else int(pid) >= CATEGORY_AREA_TYPE_OFFSET),
            })
    columns = {"area_type_id": "Int64", "area_type_name": "string", "area_type_short": "string",
               "parent_area_type_id": "Int64", "parent_area_type_name": "string",
               "parent_is_category": "boolean"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def require_area_types(type_ids: Iterable[int], settings: Settings) -> dict[int, str]:
    """Check area-type ids against the ``area_types`` endpoint; return ``{id: name}``."""
    names = {int(i["Id"]): str(i.get("Name")) for i in _area_type_names(settings)
             if i.get("Id") is not None}
    unknown = [t for t in type_ids if t not in names]
    if unknown:
        examples = ", ".join(f"{i} {names[i]}" for i in sorted(names)[:8])
        raise UnknownAreaTypeError(
            f"Unknown area type id(s) {unknown}. Fingertips lists {len(names)} area types, e.g. "
            f"{examples}; see cw_pophealth.fingertips.area_types(), and "
            "cw_pophealth.fingertips.indicator_areatypes(indicator_id=90366) for the types "
            "that have data for an indicator (here life expectancy).")
    return {t: names[t] for t in type_ids}


def _areas_frame(items: list) -> pd.DataFrame:
    rows = [{"area_code": i.get("Code"), "area_name": i.get("Name"),
             "area_short_name": i.get("Short"), "area_type_id": i.get("AreaTypeId")}
            for i in items if isinstance(i, dict)]
    columns = {"area_code": "string", "area_name": "string", "area_short_name": "string",
               "area_type_id": "Int64"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def areas_of_type(area_type_id: int, settings: Settings) -> pd.DataFrame:
    """Every area of one type (``areas/by_area_type``), without checking the type first."""
    items = get_json("areas/by_area_type", {"area_type_id": int(area_type_id)},
                      settings=settings, expect=list)
    return _areas_frame(items)


def areas(area_type_id: int, parent_area_code: str | None = None, *,
          settings: Settings | None = None) -> pd.DataFrame:
    """The areas of one area type, optionally only those within a parent area.

    Uses ``areas/by_area_type`` or ``areas/by_parent_area_code``.

    Parameters
    ----------
    area_type_id : int
        E.g. 502 counties & UAs, 501 districts & UAs, 6 regions, 15 England.
    parent_area_code : str, optional
        E.g. ``"E10000031"`` (Warwickshire) with ``area_type_id=501`` for its five districts.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``area_short_name``, ``area_type_id`` (Int64).

    Raises
    ------
    InvalidAreaCodeError
        If ``parent_area_code`` is not an ONS code (checked before any request).
    UnknownAreaTypeError
        If the area type is not listed by :func:`area_types`.

    Examples
    --------
    >>> areas(501, parent_area_code="E10000031")["area_code"].tolist()  # doctest: +SKIP
    ['E07000218', 'E07000219', 'E07000220', 'E07000221', 'E07000222']
    """
    settings = settings_or_default(settings)
    type_id = as_type_id(area_type_id, "area_type_id")
    parent = (validate_area_code(parent_area_code, "parent_area_code")
              if parent_area_code is not None else None)
    require_area_types([type_id], settings)
    if parent is None:
        return areas_of_type(type_id, settings)
    items = get_json("areas/by_parent_area_code",
                      {"area_type_id": type_id, "parent_area_code": parent},
                      settings=settings, expect=list)
    frame = _areas_frame(items)
    if frame.empty:
        logger.info("No areas of type %d within %s", type_id, parent)
    return frame


def parent_to_child_areas(child_area_type_id: int, parent_area_type_id: int, *,
                          profile_id: int | None = None, settings: Settings | None = None
                          ) -> pd.DataFrame:
    """Which child areas sit in which parent area (``parent_to_child_areas``).

    Parameters
    ----------
    child_area_type_id, parent_area_type_id : int
        E.g. 501 (districts & UAs) within 502 (counties & UAs).
    profile_id : int, optional
        Passed to the API (which can hide areas a profile ignores).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per pair, sorted: ``parent_area_code``, ``child_area_code``.

    Raises
    ------
    UnknownAreaTypeError
        If either type is not listed by :func:`area_types`.

    Examples
    --------
    >>> pairs = parent_to_child_areas(501, 502)  # doctest: +SKIP
    >>> warks = pairs["parent_area_code"] == "E10000031"  # doctest: +SKIP
    >>> pairs.loc[warks, "child_area_code"].size  # doctest: +SKIP
    5
    """
    settings = settings_or_default(settings)
    child = as_type_id(child_area_type_id, "child_area_type_id")
    parent = as_type_id(parent_area_type_id, "parent_area_type_id")
    require_area_types([child, parent], settings)
    params = {"child_area_type_id": child, "parent_area_type_id": parent,
              "profile_id": profile_id}
    mapping = get_json("parent_to_child_areas", params, settings=settings, expect=dict)
    rows = [(str(p), str(c)) for p, kids in mapping.items() for c in (kids or [])]
    frame = pd.DataFrame(rows, columns=["parent_area_code", "child_area_code"], dtype="string")
    return frame.sort_values(["parent_area_code", "child_area_code"]).reset_index(drop=True)


def indicator_areatypes(indicator_id: int | str | None = None,
                        area_type_id: int | None = None, *,
                        settings: Settings | None = None) -> pd.DataFrame:
    """Which indicators have data at which area types (fingertipsR's ``indicator_areatypes``).

    The answer to "why do I get no rows?": find the area types that hold the indicator. Uses
    ``available_data``. Both filters are sent as their own query parameters (fingertipsR joins
    the second with ``?`` instead of ``&``, so the server ignores both and answers every pair).

    Parameters
    ----------
    indicator_id : int or str, optional
        One indicator id or catalogue key.
    area_type_id : int, optional
        One area type.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``indicator_id`` (Int64), ``area_type_id`` (Int64), sorted. With no arguments: every
        indicator and area type (a large catalogue).

    Raises
    ------
    UnknownIndicatorError, UnknownAreaTypeError
        For an id that is not a number or catalogue key (before any request).

    See Also
    --------
    fingertips_data : raises :class:`~cw_pophealth.errors.NoDataError` naming these types.
    area_types : the names of the area types.

    Examples
    --------
    >>> indicator_areatypes(indicator_id=90366)["area_type_id"].tolist()  # doctest: +SKIP
    [6, 15, 501, 502]
    """
    settings = settings_or_default(settings)
    params: dict[str, object] = {}
    if indicator_id is not None:
        params["indicator_id"] = resolve_indicator_ids([indicator_id])[0]
    if area_type_id is not None:
        params["area_type_id"] = as_type_id(area_type_id, "area_type_id")
    items = get_json("available_data", params or None, settings=settings, expect=list)
    frame = pd.DataFrame(
        [{"indicator_id": i.get("IndicatorId"), "area_type_id": i.get("AreaTypeId")}
         for i in items if isinstance(i, dict)],
        columns=["indicator_id", "area_type_id"],
    ).astype("Int64")
    return frame.drop_duplicates().sort_values(["indicator_id", "area_type_id"]).reset_index(
        drop=True)


def available_data(indicator_id: int | str | None = None, area_type_id: int | None = None, *,
                   settings: Settings | None = None) -> pd.DataFrame:
    """The same as :func:`indicator_areatypes` (this package's earlier name for it).

    Examples
    --------
    >>> available_data(indicator_id=90366)["area_type_id"].tolist()  # doctest: +SKIP
    [6, 15, 501, 502]
    """
    return indicator_areatypes(indicator_id, area_type_id, settings=settings)


def _known_area_codes(type_ids: Iterable[int], settings: Settings) -> set[str]:
    codes = {catalogue.ENGLAND}
    tasks = [(lambda t=t: areas_of_type(t, settings)) for t in dict.fromkeys(type_ids)]
    for frame in checked_in_order(settings, *tasks):
        codes |= set(frame["area_code"].dropna())
    return codes


def require_known_areas(codes: list[str], type_ids: Iterable[int], settings: Settings) -> None:
    type_ids = list(dict.fromkeys(type_ids))
    known = _known_area_codes(type_ids, settings)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UnknownAreaError(
            f"Area code(s) {unknown} are not areas of type(s) {type_ids} (or England). Check the "
            "codes (areas merged in 2019-2023 have new codes) or list valid ones with "
            f"cw_pophealth.fingertips.areas({type_ids[0]}).")
