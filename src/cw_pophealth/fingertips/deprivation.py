"""Deprivation deciles of areas, as fingertipsR's ``deprivation_decile`` makes them.

fingertipsR does not use category types for this: it takes the Index of Multiple Deprivation
score indicator published at the area type (93553 for IMD 2019; 91872 or 93275 for IMD 2015,
whichever is available there, first), keeps the score for the IMD year, and cuts the areas
into ten groups of (nearly) equal size with dplyr's ``ntile``: ``decile = 11 - ntile(score,
10)``, so decile 1 holds the most deprived areas (the highest scores).
"""

from __future__ import annotations

import logging

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.config import Settings
from cw_pophealth.errors import NoDataError, ParameterError
from cw_pophealth.fingertips.areas import indicator_areatypes
from cw_pophealth.fingertips.args import as_type_id, settings_or_default
from cw_pophealth.fingertips.data import fingertips_data
from cw_pophealth.fingertips.fetch import checked_in_order
from cw_pophealth.fingertips.rank import area_tier, ntile

logger = logging.getLogger(__name__)

__all__ = ["IMD_SCORE_INDICATORS", "deprivation_decile"]

#: The IMD score indicators fingertipsR uses, by IMD year, in the order it tries them.
IMD_SCORE_INDICATORS = {2015: (91872, 93275), 2019: (93553,)}


def deprivation_decile(area_type_id: int, year: int = 2019, *,
                       settings: Settings | None = None) -> pd.DataFrame:
    """Each area's IMD score and deprivation decile (1 = most deprived), fingertipsR's meaning.

    Three ``available_data`` lookups (run concurrently) find which IMD score indicator has
    data at the area type, then :func:`~cw_pophealth.fingertips.data.fingertips_data` fetches
    it with England as the parent type.

    Parameters
    ----------
    area_type_id : int
        E.g. 502 (counties & UAs from April 2023) or 501 (districts & UAs).
    year : {2019, 2015}
        The IMD release.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``imd_score`` (float64), ``decile`` (Int64, 1 = the tenth of areas with
        the highest scores), one row per area of the type, in the API's order. England is not
        ranked.

    Raises
    ------
    ParameterError
        A year other than 2015 or 2019, or an area type without IMD scores for that year
        (the message lists the types that have them).
    NoDataError
        The indicator has no score for the IMD year at the area type.

    See Also
    --------
    fingertips_data : ``include_categories=True`` gives the published decile breakdowns.

    Examples
    --------
    >>> deciles = deprivation_decile(502, 2019)  # doctest: +SKIP
    >>> deciles.columns.tolist()  # doctest: +SKIP
    ['area_code', 'imd_score', 'decile']
    """
    settings = settings_or_default(settings)
    type_id = as_type_id(area_type_id, "area_type_id")
    if year not in IMD_SCORE_INDICATORS:
        raise ParameterError(f"year={year!r}: deprivation deciles are for IMD 2015 or 2019 "
                             "(year=2015 or year=2019), as in fingertipsR.")
    candidates = [i for ids in IMD_SCORE_INDICATORS.values() for i in ids]
    found = checked_in_order(settings, *[
        (lambda i=i: indicator_areatypes(i, settings=settings)) for i in candidates])
    types_of = {i: [int(t) for t in f["area_type_id"].dropna()]
                for i, f in zip(candidates, found, strict=True)}
    usable = [i for i in IMD_SCORE_INDICATORS[year] if type_id in types_of[i]]
    if not usable:
        offered = sorted({t for i in IMD_SCORE_INDICATORS[year] for t in types_of[i]})
        elsewhere = sorted(y for y, ids in IMD_SCORE_INDICATORS.items() if y != year
                           and any(type_id in types_of[i] for i in ids))
        also = f"; IMD {elsewhere[0]} scores are available there" if elsewhere else ""
        raise ParameterError(
            f"area_type_id={type_id} has no IMD {year} scores in Fingertips (indicator(s) "
            f"{list(IMD_SCORE_INDICATORS[year])} are published for area types {offered}"
            f"{also}). See cw_pophealth.fingertips.indicator_areatypes().")
    indicator = usable[0]
    table = fingertips_data(indicator, area_type_id=type_id,
                            parent_area_type_id=catalogue.AREA_TYPE_ENGLAND,
                            settings=settings, progress=False)
    tier = area_tier(table, catalogue.AREA_TYPE_ENGLAND)
    scores = table.loc[(tier == "child").to_numpy() & table["period"].eq(str(year)).to_numpy()
                       & table["category_type"].isna().to_numpy()]
    if scores.empty:
        raise NoDataError(
            f"Indicator {indicator} has no IMD {year} score ('{year}' period) at area type "
            f"{type_id}. Check the periods with fingertips_data({indicator}, "
            f"area_type_id={type_id}).")
    out = pd.DataFrame({"area_code": scores["area_code"].astype("string"),
                        "imd_score": scores["value"].astype("float64")}).reset_index(drop=True)
    out["decile"] = (11 - ntile(out["imd_score"], 10)).astype("Int64")
    logger.info("IMD %d deciles of %d areas of type %d (indicator %d)", year, len(out), type_id,
                indicator)
    return out
