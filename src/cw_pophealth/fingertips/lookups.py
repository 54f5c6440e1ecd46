"""Lookups: profiles and their domains, indicators, indicator metadata and category types.

The functions mirror fingertipsR (``profiles``, ``indicators``, ``indicator_metadata``,
``category_types``) and return DataFrames with snake_case columns and nullable dtypes. Area
lookups are in :mod:`cw_pophealth.fingertips.areas`.
"""

from __future__ import annotations

import io
import logging

import pandas as pd

from cw_pophealth.config import Settings
from cw_pophealth.errors import MalformedResponseError, ParameterError, UnknownIndicatorError
from cw_pophealth.fingertips.args import (
    chunks,
    int_or_na,
    resolve_indicator_ids,
    settings_or_default,
)
from cw_pophealth.fingertips.fetch import fetch, get_json, run_parallel

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_IDS_PER_REQUEST",
    "category_types",
    "indicator_metadata",
    "indicator_polarities",
    "indicators",
    "profiles",
]

#: The API uses at most 100 indicator ids per request: fingertips-open keeps the first 100
#: and silently drops the rest (``DataManagerBase``), so the client never sends more.
MAX_IDS_PER_REQUEST = 100

_PROFILE_COLUMNS = {"profile_id": "Int64", "profile_name": "string", "profile_key": "string",
                    "domain_id": "Int64", "domain_name": "string"}


def _domain_names(items: list[dict], settings: Settings) -> dict[int, str]:
    """Domain names by id: each profile's ``GroupMetadata``, or ``group_metadata`` for the
    profiles that do not carry it (one request for all of them)."""
    names: dict[int, str] = {}
    missing: list[int] = []
    for item in items:
        meta = item.get("GroupMetadata")
        if isinstance(meta, list):
            names.update({int(m["Id"]): str(m.get("Name")) for m in meta
                          if isinstance(m, dict) and m.get("Id") is not None})
        else:
            missing += [int(g) for g in item.get("GroupIds") or []]
    if missing:
        meta = get_json("group_metadata", {"group_ids": sorted(set(missing))},
                        settings=settings, expect=list)
        names.update({int(m["Id"]): str(m.get("Name")) for m in meta
                      if isinstance(m, dict) and m.get("Id") is not None})
    return names


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
        One row per profile and domain, domains in the profile's order: ``profile_id``
        (Int64), ``profile_name``, ``profile_key`` (the URL key, e.g.
        ``public-health-outcomes-framework``), ``domain_id`` (Int64; a profile's "domains"
        are the API's groups, ``GroupIds``; missing if it has none), ``domain_name`` (from the
        profile's ``GroupMetadata``, e.g. ``A. Overarching indicators``).

    Raises
    ------
    ParameterError
        If ``profile_id`` is not a profile.
    FingertipsAPIError
        If the API is unavailable or answers with something unusable.

    See Also
    --------
    indicators : the indicators in a profile.
    fingertips_data : ``domain_id=`` takes the data of whole domains.

    Examples
    --------
    >>> profiles(19)[["domain_id", "domain_name"]].head(2)  # doctest: +SKIP
       domain_id                       domain_name
    0    1000049         A. Overarching indicators
    1    1000041  B. Wider determinants of health
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
    items = [i for i in items if isinstance(i, dict)]
    names = _domain_names(items, settings)
    rows = []
    for item in items:
        for group in item.get("GroupIds") or [None]:
            rows.append({"profile_id": item.get("Id"), "profile_name": item.get("Name"),
                         "profile_key": item.get("Key"), "domain_id": group,
                         "domain_name": names.get(int(group)) if group is not None else None})
    frame = pd.DataFrame(rows, columns=list(_PROFILE_COLUMNS))
    return frame.astype(_PROFILE_COLUMNS)


def _metadata_rows(payload: dict) -> list[dict]:
    """Flatten the API's ``{id: IndicatorMetadata}`` object into rows.

    The keys are fingertips-open's (``PholioObjects/IndicatorMetadata.cs``): ``ValueType``,
    ``YearType`` and ``ConfidenceIntervalMethod`` are objects with ``Id`` and ``Name``; the
    ``*Id`` properties are never serialised.
    """
    rows = []
    for key, item in payload.items():
        if not isinstance(item, dict):
            continue
        desc = item.get("Descriptive") or {}
        unit = item.get("Unit") or {}
        value_type = item.get("ValueType") or {}
        year_type = item.get("YearType") or {}
        ci_method = item.get("ConfidenceIntervalMethod") or {}
        change = item.get("DataChange") or {}
        rows.append({
            "indicator_id": int_or_na(item.get("IID", key)),
            "indicator_name": desc.get("Name"),
            "definition": desc.get("Definition"),
            "rationale": desc.get("Rationale"),
            "data_source": desc.get("DataSource"),
            "unit": unit.get("Label"),
            "value_type": value_type.get("Name"),
            "value_type_id": int_or_na(value_type.get("Id")),
            "year_type": year_type.get("Name"),
            "year_type_id": int_or_na(year_type.get("Id")),
            "ci_method": ci_method.get("Name"),
            "ci_method_id": int_or_na(ci_method.get("Id")),
            "ci_details": desc.get("CIMethod"),
            "last_uploaded_at": change.get("LastUploadedAt"),
        })
    return rows


_METADATA_COLUMNS = {
    "indicator_id": "Int64", "indicator_name": "string", "definition": "string",
    "rationale": "string", "data_source": "string", "unit": "string", "value_type": "string",
    "value_type_id": "Int64", "year_type": "string", "year_type_id": "Int64",
    "ci_method": "string", "ci_method_id": "Int64", "ci_details": "string",
    "last_uploaded_at": "string",
}


def indicator_metadata(indicator_ids, *, settings: Settings | None = None) -> pd.DataFrame:
    """Metadata for indicators (``indicator_metadata/by_indicator_id``), in the order asked.

    The request sends ``include_definition=yes``: without it the server cuts the text down to
    the name and data source (fingertips-open ``JsonBuilderIndicatorMetadata``).

    Parameters
    ----------
    indicator_ids : int, str or sequence
        Fingertips ids (``90366`` or ``"90366"``) or catalogue keys (``"life_expectancy"``).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator_id`` (Int64), ``indicator_name``, ``definition``,
        ``rationale``, ``data_source``, ``unit`` (label, e.g. ``%``), ``value_type`` (e.g.
        ``Proportion``) and ``value_type_id``, ``year_type`` (``Calendar``, ``Financial``, ...)
        and ``year_type_id``, ``ci_method`` (the confidence-interval method, e.g. ``Wilson
        Score``) and ``ci_method_id``, ``ci_details`` (the published "Confidence interval
        details" text, which says the levels), ``last_uploaded_at`` (the API's
        ``DataChange.LastUploadedAt`` when it sends one: the data vintage). The metadata
        carry no confidence *level*: Fingertips sets the level of its comparisons per profile
        grouping, and the data carry both the 95% and the 99.8% limits.

    Raises
    ------
    UnknownIndicatorError
        If any id is not known to the API (the API silently leaves them out); the message lists
        them and points to :func:`indicators`.

    See Also
    --------
    indicators : search indicator ids and names.
    indicator_polarities : the polarity of each indicator.

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
                                      {"indicator_ids": batch, "include_definition": "yes"},
                                      settings=settings, expect=dict))
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
            "cw_pophealth.fingertips.indicators(), or cw_pophealth.fingertips.indicators("
            "profile_id=19) for one profile (19: the Public Health Outcomes Framework).")
    order = {ident: n for n, ident in enumerate(ids)}
    frame = frame.drop_duplicates("indicator_id")
    return frame.sort_values("indicator_id", key=lambda s: s.map(order)).reset_index(drop=True)


def _metadata_csv(body: bytes, url: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise MalformedResponseError(
            f"The Fingertips API returned a metadata CSV that could not be parsed for {url} "
            f"({exc}); nothing was cached.", url=url) from exc
    for column in ("Indicator ID", "Polarity"):
        if column not in frame.columns:
            raise MalformedResponseError(
                f"The metadata CSV from {url} has no {column!r} column (columns: "
                f"{list(frame.columns)[:8]}...); the format has changed. Nothing was cached.",
                url=url)
    return frame


def indicator_polarities(indicator_ids, *, profile_id: int | None = None,
                         settings: Settings | None = None) -> pd.DataFrame:
    """Each indicator's polarity, as fingertipsR's ``indicator_metadata`` gives it.

    Uses the metadata CSV (``indicator_metadata/csv/by_indicator_id``), whose ``Polarity``
    column is the most common polarity among the indicator's groupings (the JSON metadata
    carries none).

    Parameters
    ----------
    indicator_ids : int, str or sequence
    profile_id : int, optional
        Take the polarity the indicator has in this profile.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``indicator_id`` (Int64) and ``polarity`` (e.g. ``RAG - Low is good``), in the order
        asked; an id the server does not list has no row.

    Examples
    --------
    >>> indicator_polarities([92443])["polarity"].iloc[0]  # doctest: +SKIP
    'RAG - Low is good'
    """
    settings = settings_or_default(settings)
    ids = resolve_indicator_ids(indicator_ids)
    tasks = [
        (lambda batch=batch: fetch("indicator_metadata/csv/by_indicator_id",
                                   {"indicator_ids": batch, "profile_id": profile_id},
                                   settings=settings, kind="csv", parse=_metadata_csv))
        for batch in chunks(sorted(ids), MAX_IDS_PER_REQUEST)
    ]
    frames = run_parallel(tasks, settings=settings, progress=False, description="polarity")
    rows = [(int(i), p) for f in frames
            for i, p in zip(f["Indicator ID"], f["Polarity"], strict=True) if str(i).isdigit()]
    frame = pd.DataFrame(rows, columns=["indicator_id", "polarity"]).drop_duplicates(
        "indicator_id")
    frame = frame.astype({"indicator_id": "Int64", "polarity": "string"})
    order = {ident: n for n, ident in enumerate(ids)}
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
        ``indicator_id`` (Int64), ``indicator_name``, ``domain_id`` (Int64), ``domain_name``,
        ``profile_id`` (Int64), ``profile_name``. The domain and profile columns are filled
        only when ``profile_id`` is given: the all-indicators endpoint does not say which
        profiles hold an indicator. An indicator in several domains has one row per domain.

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
               "domain_name": "string", "profile_id": "Int64", "profile_name": "string"}
    if profile_id is None:
        payload = get_json("indicator_metadata/all", None, settings=settings, expect=dict)
        rows = [{"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"]}
                for r in _metadata_rows(payload)]
        frame = pd.DataFrame(rows, columns=list(columns))
        return frame.astype(columns).sort_values("indicator_id").reset_index(drop=True)
    prof = profiles(profile_id, settings=settings).dropna(subset=["domain_id"])
    domains = [(int(d), n) for d, n in zip(prof["domain_id"], prof["domain_name"], strict=True)]
    tasks = [
        (lambda d=d: get_json("indicator_metadata/by_group_id", {"group_ids": d},
                              settings=settings, expect=dict))
        for d, _ in domains
    ]
    payloads = run_parallel(tasks, settings=settings, progress=False, description="domains")
    rows = []
    for (domain, name), payload in zip(domains, payloads, strict=True):
        for r in _metadata_rows(payload):
            rows.append({"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"],
                         "domain_id": domain, "domain_name": name, "profile_id": int(profile_id),
                         "profile_name": prof["profile_name"].iloc[0]})
    return pd.DataFrame(rows, columns=list(columns)).astype(columns).reset_index(drop=True)


def category_types(*, settings: Settings | None = None) -> pd.DataFrame:
    """Category types and their categories (fingertipsR's ``category_types``).

    Categories are the breakdowns of category rows (``include_categories=True`` in
    :func:`~cw_pophealth.fingertips.data.fingertips_data`): deprivation deciles, ethnic
    groups.

    Parameters
    ----------
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per category: ``category_type_id`` (Int64), ``category_type_name`` (the
        ``category_type`` of data rows, e.g. ``County & UA deprivation deciles in England
        (IMD2015)``), ``category_type_short``, ``category_id`` (Int64), ``category_name`` (the
        ``category`` of data rows, e.g. ``Most deprived decile (IMD2015)``),
        ``category_short_name``.

    Examples
    --------
    >>> cats = category_types()  # doctest: +SKIP
    >>> cats.loc[cats["category_type_id"] == 39, "category_name"].iloc[0]  # doctest: +SKIP
    'Most deprived decile (IMD2015)'
    """
    settings = settings_or_default(settings)
    items = get_json("category_types", None, settings=settings, expect=list)
    rows = []
    for item in items:
        if not isinstance(item, dict):
            continue
        for cat in item.get("Categories") or [{}]:
            rows.append({"category_type_id": item.get("Id"),
                         "category_type_name": item.get("Name"),
                         "category_type_short": item.get("Short"),
                         "category_id": cat.get("Id"), "category_name": cat.get("Name"),
                         "category_short_name": cat.get("ShortName")})
    columns = {"category_type_id": "Int64", "category_type_name": "string",
               "category_type_short": "string", "category_id": "Int64",
               "category_name": "string", "category_short_name": "string"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)
