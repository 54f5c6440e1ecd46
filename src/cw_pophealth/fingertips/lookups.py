"""Lookups: profiles, indicators, metadata, area types, areas and which data exist where.

The functions mirror fingertipsR (``profiles``, ``indicators``, ``indicator_metadata``,
``area_types``, ``areas``, ``parent_to_child_areas``, ``available_data`` for fingertipsR's
``indicator_areatypes``) and return DataFrames with snake_case columns and nullable dtypes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.config import Settings
from cw_pophealth.errors import (
    ParameterError,
    UnknownAreaError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from cw_pophealth.fingertips.args import (
    as_type_id,
    chunks,
    int_or_na,
    resolve_indicator_ids,
    settings_or_default,
)
from cw_pophealth.fingertips.fetch import checked_in_order, get_json, run_parallel
from cw_pophealth.geography import validate_area_code

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_IDS_PER_REQUEST",
    "area_types",
    "areas",
    "available_data",
    "indicator_metadata",
    "indicators",
    "parent_to_child_areas",
    "profiles",
    "require_area_types",
    "require_known_areas",
]

#: The API accepts at most 100 indicator ids per request (fingertips-open server).
MAX_IDS_PER_REQUEST = 100


def profiles(profile_id: int | None = None, *, settings: Settings | None = None) -> pd.DataFrame:
    """Fingertips profiles and their domains (``profiles`` / ``profile`` endpoints).

    Parameters
    ----------
    profile_id : int, optional
        One profile (e.g. 19, Public Health Outcomes Framework); all profiles when omitted.
    settings : Settings, optional
        Defaults to :func:`~cw_pophealth.config.get_settings`.

    Returns
    -------
    pandas.DataFrame
        One row per profile and domain: ``profile_id`` (Int64), ``profile_name``,
        ``profile_key`` (the URL key, e.g. ``public-health-outcomes-framework``), ``domain_id``
        (Int64; a profile's "domains" are the API's ``GroupIds``; missing if it has none).

    Raises
    ------
    ParameterError
        If ``profile_id`` is not a profile.
    FingertipsAPIError
        If the API is unavailable or answers with something unusable.

    See Also
    --------
    indicators : the indicators in a profile.

    Examples
    --------
    >>> profiles(19)[["profile_id", "profile_name"]].drop_duplicates()  # doctest: +SKIP
       profile_id                      profile_name
    0          19  Public Health Outcomes Framework
    """
    settings = settings_or_default(settings)
    if profile_id is None:
        items = get_json("profiles", None, settings=settings, expect=list)
    else:
        pid = int(profile_id)
        item = get_json("profile", {"profile_id": pid}, settings=settings, expect=dict,
                         allow_null=True)
        if not item:
            raise ParameterError(
                f"profile_id={profile_id!r} is not a Fingertips profile. List profiles with "
                "cw_pophealth.fingertips.profiles().")
        items = [item]
    rows = []
    for item in items:
        groups = item.get("GroupIds") or [None]
        for group in groups:
            rows.append({"profile_id": item.get("Id"), "profile_name": item.get("Name"),
                         "profile_key": item.get("Key"), "domain_id": group})
    frame = pd.DataFrame(rows, columns=["profile_id", "profile_name", "profile_key", "domain_id"])
    return frame.astype({"profile_id": "Int64", "profile_name": "string",
                         "profile_key": "string", "domain_id": "Int64"})


def _metadata_rows(payload: dict) -> list[dict]:
    """Flatten the API's ``{id: IndicatorMetadata}`` object into rows."""
    rows = []
    for key, item in payload.items():
        if not isinstance(item, dict):
            continue
        desc = item.get("Descriptive") or {}
        unit = item.get("Unit") or {}
        value_type = item.get("ValueType") or {}
        change = item.get("DataChange") or {}
        rows.append({
            "indicator_id": int_or_na(item.get("IID", key)),
            "indicator_name": desc.get("Name") or desc.get("NameLong"),
            "name_long": desc.get("NameLong"),
            "definition": desc.get("Definition"),
            "rationale": desc.get("Rationale"),
            "data_source": desc.get("DataSource"),
            "unit": unit.get("Label"),
            "value_type": value_type.get("Label") or value_type.get("Name"),
            "value_type_id": int_or_na(item.get("ValueTypeId", value_type.get("Id"))),
            "year_type_id": int_or_na(item.get("YearTypeId")),
            "confidence_level": item.get("ConfidenceLevel"),
            "ci_method_id": int_or_na(item.get("CIMethodId")),
            "last_uploaded_at": change.get("LastUploadedAt"),
        })
    return rows


_METADATA_COLUMNS = {
    "indicator_id": "Int64", "indicator_name": "string", "name_long": "string",
    "definition": "string", "rationale": "string", "data_source": "string", "unit": "string",
    "value_type": "string", "value_type_id": "Int64", "year_type_id": "Int64",
    "confidence_level": "float64", "ci_method_id": "Int64", "last_uploaded_at": "string",
}


def indicator_metadata(indicator_ids, *, settings: Settings | None = None) -> pd.DataFrame:
    """Metadata for indicators (``indicator_metadata/by_indicator_id``), in the order asked.

    Parameters
    ----------
    indicator_ids : int, str or sequence
        Fingertips ids (``90366`` or ``"90366"``) or catalogue keys (``"life_expectancy"``).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator_id`` (Int64), ``indicator_name``, ``name_long``,
        ``definition``, ``rationale``, ``data_source``, ``unit`` (label, e.g. ``%``),
        ``value_type`` (e.g. ``Proportion``), ``value_type_id``, ``year_type_id``,
        ``confidence_level`` (e.g. 95), ``ci_method_id``, ``last_uploaded_at`` (the API's
        ``DataChange.LastUploadedAt`` when it sends one: the data vintage).

    Raises
    ------
    UnknownIndicatorError
        If any id is not known to the API (the API silently leaves them out); the message lists
        them and points to :func:`indicators`.

    See Also
    --------
    indicators : search indicator ids and names.

    Examples
    --------
    >>> indicator_metadata([90366])["indicator_name"].iloc[0]  # doctest: +SKIP
    'Life expectancy at birth'
    """
    settings = settings_or_default(settings)
    ids = resolve_indicator_ids(indicator_ids)
    if not ids:
        raise ParameterError("indicator_metadata() needs at least one indicator id.")
    tasks = [
        (lambda batch=batch: get_json("indicator_metadata/by_indicator_id",
                                       {"indicator_ids": batch}, settings=settings, expect=dict))
        for batch in chunks(sorted(ids), MAX_IDS_PER_REQUEST)
    ]
    rows = [row for payload in run_parallel(tasks, settings=settings, progress=False,
                                             description="metadata")
            for row in _metadata_rows(payload)]
    frame = pd.DataFrame(rows, columns=list(_METADATA_COLUMNS))
    frame = frame.astype(_METADATA_COLUMNS)
    found = set(frame["indicator_id"].dropna().astype(int))
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownIndicatorError(
            f"Fingertips does not know indicator id(s) {missing}. Search valid ids and names with "
            "cw_pophealth.fingertips.indicators() (or indicators(profile_id=...) for one profile).")
    order = {ident: n for n, ident in enumerate(ids)}
    frame = frame.drop_duplicates("indicator_id")
    return frame.sort_values("indicator_id", key=lambda s: s.map(order)).reset_index(drop=True)


def indicators(profile_id: int | None = None, *, settings: Settings | None = None
               ) -> pd.DataFrame:
    """Indicator ids and names, for one profile or for all of Fingertips.

    With ``profile_id``, one ``indicator_metadata/by_group_id`` request per domain of the profile
    (run concurrently); without, one ``indicator_metadata/all`` request.

    Parameters
    ----------
    profile_id : int, optional
        Restrict to a profile (see :func:`profiles`).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``indicator_id`` (Int64), ``indicator_name``, ``domain_id`` (Int64), ``profile_id``
        (Int64), ``profile_name``. The last three are filled only when ``profile_id`` is given:
        the all-indicators endpoint does not say which profiles hold an indicator. An indicator
        in several domains has one row per domain.

    Raises
    ------
    ParameterError
        If ``profile_id`` is not a profile.

    See Also
    --------
    indicator_metadata : definitions, units and value types.
    profiles : profile and domain ids.

    Examples
    --------
    >>> phof = indicators(profile_id=19)  # doctest: +SKIP
    >>> 90366 in set(phof["indicator_id"])  # doctest: +SKIP
    True
    """
    settings = settings_or_default(settings)
    columns = {"indicator_id": "Int64", "indicator_name": "string", "domain_id": "Int64",
               "profile_id": "Int64", "profile_name": "string"}
    if profile_id is None:
        payload = get_json("indicator_metadata/all", None, settings=settings, expect=dict)
        rows = [{"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"]}
                for r in _metadata_rows(payload)]
        frame = pd.DataFrame(rows, columns=list(columns))
        return frame.astype(columns).sort_values("indicator_id").reset_index(drop=True)
    prof = profiles(profile_id, settings=settings)
    domains = [int(d) for d in prof["domain_id"].dropna()]
    tasks = [
        (lambda d=d: get_json("indicator_metadata/by_group_id", {"group_ids": d},
                               settings=settings, expect=dict))
        for d in domains
    ]
    payloads = run_parallel(tasks, settings=settings, progress=False, description="domains")
    rows = []
    for domain, payload in zip(domains, payloads, strict=True):
        for r in _metadata_rows(payload):
            rows.append({"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"],
                         "domain_id": domain, "profile_id": int(profile_id),
                         "profile_name": prof["profile_name"].iloc[0]})
    return pd.DataFrame(rows, columns=list(columns)).astype(columns).reset_index(drop=True)


def area_types(profile_id: int | None = None, *, settings: Settings | None = None
               ) -> pd.DataFrame:
    """Area types and their parent area types (``area_types`` endpoint).

    Parameters
    ----------
    profile_id : int, optional
        Only the area types used by this profile.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per area type and parent type: ``area_type_id`` (Int64), ``area_type_name``
        (e.g. ``Counties & UAs (from Apr 2023)``), ``area_type_short``, ``parent_area_type_id``
        (Int64; missing when the type has no parent types), ``parent_area_type_name``.

    See Also
    --------
    areas : the areas of one type.
    available_data : which area types have data for an indicator.

    Examples
    --------
    >>> types = area_types()  # doctest: +SKIP
    >>> types.loc[types["area_type_id"] == 502, "area_type_name"].iloc[0]  # doctest: +SKIP
    'Counties & UAs (from Apr 2023)'
    """
    settings = settings_or_default(settings)
    params = {"profile_ids": int(profile_id)} if profile_id is not None else None
    items = get_json("area_types", params, settings=settings, expect=list)
    rows = []
    for item in items:
        parents = item.get("ParentAreaTypes") or [{}]
        for parent in parents:
            rows.append({
                "area_type_id": item.get("Id"), "area_type_name": item.get("Name"),
                "area_type_short": item.get("Short"),
                "parent_area_type_id": parent.get("Id"),
                "parent_area_type_name": parent.get("Name"),
            })
    columns = {"area_type_id": "Int64", "area_type_name": "string", "area_type_short": "string",
               "parent_area_type_id": "Int64", "parent_area_type_name": "string"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def require_area_types(type_ids: Iterable[int], settings: Settings) -> dict[int, str]:
    """Check area-type ids against :func:`area_types`; return ``{id: name}`` for them."""
    table = area_types(settings=settings)
    names = dict(zip(table["area_type_id"].astype(int), table["area_type_name"], strict=True))
    unknown = [t for t in type_ids if t not in names]
    if unknown:
        examples = ", ".join(f"{i} {names[i]}" for i in sorted(names)[:8])
        raise UnknownAreaTypeError(
            f"Unknown area type id(s) {unknown}. Fingertips lists {len(names)} area types, e.g. "
            f"{examples}; see cw_pophealth.fingertips.area_types(), and available_data("
            "indicator_id=...) for the types that have data for an indicator.")
    return {t: str(names[t]) for t in type_ids}


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


def available_data(indicator_id: int | None = None, area_type_id: int | None = None, *,
                   settings: Settings | None = None) -> pd.DataFrame:
    """Which indicators have data at which area types (fingertipsR's ``indicator_areatypes``).

    The answer to "why do I get no rows?": find the area types that hold the indicator.

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

    See Also
    --------
    fingertips_data : raises :class:`~cw_pophealth.errors.NoDataError` naming these types.

    Examples
    --------
    >>> available_data(indicator_id=90366)["area_type_id"].tolist()  # doctest: +SKIP
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
