"""Nearest (statistical) neighbours: which areas Fingertips compares an area with.

:func:`nearest_neighbours` has fingertipsR's meaning: the codes of an area's nearest
neighbours in rank order, from ``areas/by_parent_area_code`` with the parent code
``nn-<neighbour type id>-<area code>`` (fingertips-open ``ChildAreaListBuilder``: each area's
``Sequence`` is its rank). Which neighbour models exist, and for which area types, comes from
``nearest_neighbour_types``: CIPFA's for most local-authority types and NHS England's adult
social care model for counties & UAs from April 2023, as fingertipsR documents.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from cw_pophealth.config import Settings
from cw_pophealth.errors import ParameterError, UnknownAreaError, UnknownAreaTypeError
from cw_pophealth.fingertips.areas import areas_of_type
from cw_pophealth.fingertips.args import as_type_id, settings_or_default
from cw_pophealth.fingertips.fetch import checked_in_order, get_json
from cw_pophealth.geography import validate_area_code

logger = logging.getLogger(__name__)

__all__ = ["nearest_neighbour_types", "nearest_neighbours"]

_TYPE_COLUMNS = {"neighbour_type_id": "Int64", "measure": "string", "area_type_id": "Int64",
                 "description": "string"}


def _types_frame(items: list) -> pd.DataFrame:
    rows = []
    for item in items:
        if not isinstance(item, dict):
            continue
        # fingertipsR keeps the area types that can be shown on a map.
        applicable = [a for a in item.get("ApplicableAreaTypes") or []
                      if isinstance(a, dict) and a.get("CanBeDisplayedOnMap", True)]
        for area_type in applicable or [{}]:
            rows.append({"neighbour_type_id": item.get("NeighbourTypeId"),
                         "measure": item.get("Name"), "area_type_id": area_type.get("Id"),
                         "description": item.get("Description")})
    return pd.DataFrame(rows, columns=list(_TYPE_COLUMNS)).astype(_TYPE_COLUMNS)


def nearest_neighbour_types(*, settings: Settings | None = None) -> pd.DataFrame:
    """The nearest-neighbour models and the area types each applies to.

    Parameters
    ----------
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per model and area type: ``neighbour_type_id`` (Int64; 1 is CIPFA),
        ``measure`` (the model's name), ``area_type_id`` (Int64; missing for a model with no
        area type), ``description``. fingertipsR's ``nearest_neighbour_areatypeids()`` is
        the ``area_type_id`` column.

    Examples
    --------
    >>> nearest_neighbour_types()[["measure", "area_type_id"]].head(1)  # doctest: +SKIP
      measure  area_type_id
    0   CIPFA           501
    """
    settings = settings_or_default(settings)
    return _types_frame(get_json("nearest_neighbour_types", None, settings=settings,
                                 expect=list))


def _squash(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _choose_type(types: pd.DataFrame, area_type_id: int, measure: str | None) -> tuple[int, str]:
    """The neighbour type for an area type (and ``measure``), or an error saying what exists."""
    known = types.dropna(subset=["area_type_id"])
    fits = known.loc[known["area_type_id"] == area_type_id]
    supported = sorted({int(t) for t in known["area_type_id"]})
    if fits.empty:
        raise UnknownAreaTypeError(
            f"area_type_id={area_type_id} has no nearest neighbours in Fingertips, which "
            f"publishes them for area types {supported}. See "
            "cw_pophealth.fingertips.nearest_neighbour_types().")
    if measure is not None:
        wanted = _squash(measure)
        fits = fits.loc[fits["measure"].map(lambda m: _squash(m).startswith(wanted)
                                            or wanted in _squash(m))]
        if fits.empty or not wanted:
            offered = known.loc[known["area_type_id"] == area_type_id, "measure"].tolist()
            raise ParameterError(
                f"measure={measure!r} is not a nearest-neighbour model for area type "
                f"{area_type_id}; Fingertips offers {offered} for it (e.g. measure='CIPFA'). "
                "See cw_pophealth.fingertips.nearest_neighbour_types().")
    if len(fits) > 1:
        raise ParameterError(
            f"Area type {area_type_id} has several nearest-neighbour models "
            f"{fits['measure'].tolist()}; choose one with measure=.")
    row = fits.iloc[0]
    return int(row["neighbour_type_id"]), str(row["measure"])


def nearest_neighbours(area_code: str, area_type_id: int, measure: str | None = None, *,
                       settings: Settings | None = None) -> pd.DataFrame:
    """An area's nearest (statistical) neighbours, nearest first (fingertipsR's meaning).

    The neighbour models and the area's membership of the area type are checked by two
    lookups run concurrently (``nearest_neighbour_types`` and ``areas/by_area_type``), then the
    neighbours come from ``areas/by_parent_area_code`` with the parent code
    ``nn-<model id>-<area code>``.

    Parameters
    ----------
    area_code : str
        ONS code of the area, e.g. ``"E10000031"`` (Warwickshire).
    area_type_id : int
        The area type the neighbours are of, e.g. 502 (counties & UAs from April 2023) or 501.
    measure : str, optional
        The model: ``"CIPFA"`` (CIPFA's nearest neighbours) or ``"NHSE"`` (NHS England's adult
        social care peer groups). Matched loosely against the model names. Default: the one
        model Fingertips publishes for the area type (fingertipsR's behaviour).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``rank`` (Int64, 1 = nearest), ``measure``; empty when
        the model lists no neighbours for the area (e.g. the City of London). fingertipsR
        returns the ``area_code`` column as a vector.

    Raises
    ------
    InvalidAreaCodeError
        A malformed area code (before any request).
    UnknownAreaTypeError
        An area type with no neighbour model.
    UnknownAreaError
        An area that is not of the area type.
    ParameterError
        A ``measure`` the area type does not have.

    See Also
    --------
    nearest_neighbour_types : the models and their area types.

    Examples
    --------
    >>> nearest_neighbours("E10000031", 502)["area_code"].head(3).tolist()  # doctest: +SKIP
    ['E10000034', 'E10000024', 'E10000019']
    """
    settings = settings_or_default(settings)
    code = validate_area_code(area_code, "area_code")
    type_id = as_type_id(area_type_id, "area_type_id")
    types, members = checked_in_order(
        settings,
        lambda: nearest_neighbour_types(settings=settings),
        lambda: areas_of_type(type_id, settings))
    neighbour_type, measure_name = _choose_type(types, type_id, measure)
    if code not in set(members["area_code"].dropna()):
        raise UnknownAreaError(
            f"area_code={code!r} is not an area of area type {type_id} (fingertipsR: "
            f"'{code} not in AreaTypeID = {type_id}'). List them with "
            f"cw_pophealth.fingertips.areas({type_id}).")
    items = get_json("areas/by_parent_area_code",
                     {"area_type_id": type_id, "parent_area_code": f"nn-{neighbour_type}-{code}"},
                     settings=settings, expect=list)
    rows = [{"area_code": i.get("Code"), "area_name": i.get("Name"),
             "rank": i.get("Sequence", n)}
            for n, i in enumerate((i for i in items if isinstance(i, dict)), start=1)]
    frame = pd.DataFrame(rows, columns=["area_code", "area_name", "rank"]).assign(
        measure=measure_name)
    frame = frame.astype({"area_code": "string", "area_name": "string", "rank": "Int64",
                          "measure": "string"})
    logger.info("%d %s nearest neighbour(s) of %s at area type %d", len(frame), measure_name,
                code, type_id)
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)
