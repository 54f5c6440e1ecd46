"""FingertipsNext, the successor API, mapped to the tidy schema.

FingertipsNext (dhsc-govuk/FingertipsNext, ``api/definition/fingertipsAPI.yaml``) is not public
yet, so this module reads its responses from files. :func:`tidy_from_fingertipsnext` is a pure
function from the JSON body of ``GET /indicators/{indicator_id}/data``
(``IndicatorWithHealthDataForArea``) to tidy rows; :class:`FingertipsNextSource` applies it to
saved bodies. ``docs/fingertipsnext_mapping.md`` has the field-by-field mapping and what the
new API does not carry (99.8% limits, denominators, value notes, the area type).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cw_pophealth import catalogue, schema
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.geography import normalise_area_type

logger = logging.getLogger(__name__)

__all__ = ["AREA_TYPE_LABELS", "SOURCE_LABEL", "FingertipsNextSource", "period_label",
           "tidy_from_fingertipsnext"]

#: ``source`` of every row.
SOURCE_LABEL = "FingertipsNext API"
#: FingertipsNext's area-type keys (``frontend/.../areaFilterHelpers/areaType.ts``) -> the label
#: used when an area code's prefix does not say (counties, districts and UAs are told apart by
#: their codes, as for every source: :func:`cw_pophealth.geography.normalise_area_type`).
AREA_TYPE_LABELS = {
    "england": "England", "regions": "Region", "combined-authorities": "Combined authority",
    "counties-and-unitary-authorities": "County or UA",
    "districts-and-unitary-authorities": "District or UA", "gps": "GP",
    "nhs-regions": "NHS region", "nhs-integrated-care-boards": "NHS integrated care board",
    "nhs-sub-integrated-care-boards": "NHS sub integrated care board",
    "nhs-primary-care-networks": "NHS primary care network",
}
#: ``benchmarkComparison.outcome`` -> the legacy CSV's label. The quintile outcomes take the
#: legacy quintile labels; the others are the legacy words already, except ``NotCompared``.
OUTCOME_LABELS = {
    "NotCompared": "Not compared", "Lowest": "Lowest quintile", "Low": "2nd lowest quintile",
    "Middle": "Middle quintile", "High": "2nd highest quintile", "Highest": "Highest quintile",
}
#: ``reportingPeriod`` -> years covered (the legacy ``Time period range``), for the yearly kinds.
_YEARS = {"Yearly": 1, "TwoYearly": 2, "ThreeYearly": 3, "FiveYearly": 5}
_FINANCIAL_TYPES = {"Financial", "FinancialMultiYear", "FinancialYearEndPoint", "Academic",
                    "Yearly"}
_EXPECTED_KEYS = ("name", "benchmarkMethod", "areaHealthData", "indicatorId")


def period_label(date_period: dict, reporting_period: str, where: str) -> str:
    """The legacy Fingertips label of a FingertipsNext period.

    Calendar years are ``2023`` or ``2021 - 23``; financial, academic and Active Lives
    ("Yearly", November to November) years are ``2023/24`` or ``2019/20 - 21/22``; a financial
    quarter is ``2023/24 Q1`` (fingertips-open ``TimePeriodFormatter``).

    Raises
    ------
    SchemaDriftError
        For a kind of period the legacy labels have no form for (monthly data), naming it.

    Examples
    --------
    >>> period_label({"type": "Financial", "from": "2013-04-01", "to": "2014-03-31"},
    ...              "Yearly", "example")
    '2013/14'
    >>> period_label({"type": "Calendar", "from": "2021-01-01", "to": "2023-12-31"},
    ...              "ThreeYearly", "example")
    '2021 - 23'
    """
    kind = date_period.get("type")
    start = pd.Timestamp(date_period["from"])
    end = pd.Timestamp(date_period["to"])
    if reporting_period in _YEARS:
        if kind in _FINANCIAL_TYPES:
            first = f"{start.year}/{(start.year + 1) % 100:02d}"
            if reporting_period == "Yearly":
                return first
            return f"{first} - {(end.year - 1) % 100:02d}/{end.year % 100:02d}"
        if reporting_period == "Yearly":
            return str(start.year)
        return f"{start.year} - {end.year % 100:02d}"
    if reporting_period == "Quarterly" and kind in _FINANCIAL_TYPES:
        year = start.year if start.month >= 4 else start.year - 1
        quarter = (start.month - 4) % 12 // 3 + 1
        return f"{year}/{(year + 1) % 100:02d} Q{quarter}"
    raise SchemaDriftError(
        f"{where}: a {reporting_period!r} period of type {kind!r} ({date_period.get('from')} to "
        f"{date_period.get('to')}) has no Fingertips label this package knows; add its form to "
        "cw_pophealth.sources.fingertipsnext.period_label.", url=where)


def _outcome(point: dict, england: bool) -> str | None:
    """The comparison with England (``england``) or with a sub-national benchmark."""
    comparison = point.get("benchmarkComparison")
    if not isinstance(comparison, dict):
        return None
    if (comparison.get("benchmarkAreaCode") == catalogue.ENGLAND) != england:
        return None
    outcome = comparison.get("outcome")
    return OUTCOME_LABELS.get(outcome, outcome) if outcome else None


def tidy_from_fingertipsnext(body: dict, *, source_ref: str, area_type: str | None = None,
                             release: str | None = None, release_date: Any = None
                             ) -> pd.DataFrame:
    """Tidy rows from one ``GET /indicators/{id}/data`` body (``IndicatorWithHealthDataForArea``).

    Parameters
    ----------
    body : dict
        The decoded JSON body.
    source_ref : str
        The request URL (or file) the body came from, stored in every row.
    area_type : str, optional
        The request's ``area_type`` key (``"regions"``, ``"counties-and-unitary-authorities"``,
        ...): the body does not say. Used only for codes whose prefix does not give the tier.

    Returns
    -------
    pandas.DataFrame
        Validated tidy rows, one per area, segment (sex, age) and data point. Limits go to the
        95% or the 99.8% columns by ``benchmarkMethod`` (95% when it names neither); a point
        compared with a sub-national benchmark fills ``compared_to_parent`` and the parent
        columns; deprivation breakdowns become category rows.

    Raises
    ------
    SchemaDriftError
        A body without the keys of the recorded shape, or a kind of period with no legacy label.
    SchemaValidationError
        Rows that break the tidy schema.

    Examples
    --------
    >>> body = {"name": "Example", "benchmarkMethod": "CIOverlappingReferenceValue95",
    ...         "indicatorId": 1, "areaHealthData": [{"areaCode": "E92000001",
    ...         "areaName": "England", "indicatorSegments": [{"sex": {"value": "Persons"},
    ...         "age": {"value": "All ages"}, "reportingPeriod": "Yearly", "healthData": [
    ...         {"datePeriod": {"type": "Calendar", "from": "2023-01-01", "to": "2023-12-31"},
    ...          "value": 5.0, "lowerCi": 4.0, "upperCi": 6.0}]}]}]}
    >>> tidy_from_fingertipsnext(body, source_ref="example")[["period", "value"]]
      period  value
    0   2023    5.0
    """
    missing = [k for k in _EXPECTED_KEYS if k not in body]
    if missing:
        raise SchemaDriftError(
            f"The FingertipsNext body from {source_ref} lacks {missing} (it has "
            f"{list(body)[:8]}); the API's response shape has changed: update "
            "cw_pophealth.sources.fingertipsnext and docs/fingertipsnext_mapping.md.",
            url=source_ref)
    ci = "99_8" if str(body.get("benchmarkMethod", "")).endswith("99_8") else "95"
    rows: list[dict[str, Any]] = []
    for area in body["areaHealthData"] or []:
        for segment in area.get("indicatorSegments") or []:
            reporting = segment.get("reportingPeriod", "Unknown")
            for point in segment.get("healthData") or []:
                deprivation = point.get("deprivation") or {}
                breakdown = bool(deprivation) and deprivation.get("isAggregate") is False
                parent = point.get("benchmarkComparison") or {}
                sub_national = parent.get("benchmarkAreaCode") not in (None, catalogue.ENGLAND)
                date_period = point["datePeriod"]
                rows.append({
                    "indicator_id": body["indicatorId"], "indicator_name": body["name"],
                    "area_code": area.get("areaCode"), "area_name": area.get("areaName"),
                    "parent_code": parent.get("benchmarkAreaCode") if sub_national else None,
                    "parent_name": parent.get("benchmarkAreaName") if sub_national else None,
                    "sex": (segment.get("sex") or {}).get("value"),
                    "age": (segment.get("age") or {}).get("value"),
                    "category_type": deprivation.get("type") if breakdown else None,
                    "category": deprivation.get("value") if breakdown else None,
                    "period": period_label(date_period, reporting, source_ref),
                    "period_start": pd.Timestamp(date_period["from"]),
                    "period_end": pd.Timestamp(date_period["to"]),
                    "period_sortable": pd.Timestamp(date_period["from"]).year * 10000,
                    "value": point.get("value"),
                    f"lower_ci_{ci}": point.get("lowerCi"),
                    f"upper_ci_{ci}": point.get("upperCi"),
                    "count": point.get("count"),
                    "recent_trend": point.get("trend"),
                    "compared_to_england": _outcome(point, england=True),
                    "compared_to_parent": _outcome(point, england=False),
                    "time_period_range": (f"{_YEARS[reporting]}y" if reporting in _YEARS
                                          else None),
                })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return schema.empty_tidy()
    label = AREA_TYPE_LABELS.get(area_type or "", area_type)
    published = pd.Series(label, index=frame.index, dtype="string")
    when = pd.Timestamp(release_date) if release_date is not None else pd.Timestamp.today()
    frame = frame.assign(area_type=normalise_area_type(frame["area_code"], published),
                         source=SOURCE_LABEL, source_ref=source_ref,
                         release=release or f"FingertipsNext response {source_ref}",
                         release_date=when.normalize(), current=True)
    return schema.validate_tidy(schema.coerce_tidy(frame), where=source_ref)


@dataclass(frozen=True)
class FingertipsNextSource:
    """Saved FingertipsNext ``/indicators/{id}/data`` bodies as a
    :class:`~cw_pophealth.sources.TidySource`.

    Parameters
    ----------
    paths : sequence of path-like
        JSON files, each one response body.
    area_type : str, optional
        The ``area_type`` key the bodies were requested with (see
        :func:`tidy_from_fingertipsnext`).

    Examples
    --------
    >>> from cw_pophealth.sources import load
    >>> table = load(FingertipsNextSource(["indicator_41101.json"]))  # doctest: +SKIP
    """

    paths: Sequence[str | Path] = field(default_factory=tuple)
    area_type: str | None = None
    name: str = "FingertipsNext (saved responses)"

    def tidy(self) -> pd.DataFrame:
        """The rows of every file, in order, validated together."""
        frames = []
        for path in map(Path, self.paths):
            body = json.loads(path.read_text(encoding="utf-8-sig"))
            saved = pd.Timestamp(path.stat().st_mtime, unit="s").normalize()
            frames.append(tidy_from_fingertipsnext(
                body, source_ref=str(path), area_type=self.area_type,
                release=f"FingertipsNext response {path.name}, saved {saved:%Y-%m-%d}",
                release_date=saved))
            logger.info("Read %d FingertipsNext rows from %s", len(frames[-1]), path)
        if not frames:
            return schema.empty_tidy()
        return schema.validate_tidy(pd.concat(frames, ignore_index=True),
                                    where=f"the {self.name}")
