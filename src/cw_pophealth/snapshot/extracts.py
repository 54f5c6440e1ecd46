"""Readers of the coded CSV extracts: each file's rows in the tidy schema, with their release.

``trafford_themes/`` (Fingertips all_data CSVs cut to 10 columns, values rounded to 1 dp
upstream), ``ons_els/`` (ONS Explore Local Statistics, with 95% CIs), ``trafford_dashboard/``
(the pre-2019 Fingertips healthy life expectancy, 1 dp) and ``trafford_dashboard_alcohol/``
(Fingertips 91414, 0 dp). Every row names its file (``source_ref``), how it was made
(``source``) and its release (:mod:`cw_pophealth.snapshot.releases`). Values are never rounded,
filled or derived here; values the sources publish as missing stay missing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cw_pophealth import catalogue, schema
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.periods import (
    add_period_bounds,
    fingertips_period_label,
    fingertips_range_label,
    parse_period,
)
from cw_pophealth.snapshot.releases import check_stated_date, with_release

logger = logging.getLogger(__name__)

__all__ = ["ONS_APS_SMOKING", "ONS_ELS_FILES", "TRAFFORD_FILES", "ExtractFile",
           "read_ons_aps_smoking", "read_ons_els_file", "read_trafford_alcohol",
           "read_trafford_dashboard_hle", "read_trafford_file", "require_columns"]


@dataclass(frozen=True)
class ExtractFile:
    """One file of the extracts folder and how to read it.

    Attributes
    ----------
    path : str
        Relative to the extracts folder.
    indicator_id : int
        The indicator the rows are (a Fingertips id, or a local id below zero).
    source : str
        Provenance label stored in each row.
    sex_from : str or None
        Column giving the sex (``None``: Persons).
    """

    path: str
    indicator_id: int
    source: str
    sex_from: str | None = None


_TRAFFORD = ("trafford_themes: OHID Fingertips all_data CSV via traffordDataLab/trafford_themes; "
             "values rounded to 1 dp upstream; no CIs")
_ONS_2026 = "ons_els: ONS Explore Local Statistics data @4972c58 (2026-06-26)"

TRAFFORD_FILES: tuple[ExtractFile, ...] = (
    ExtractFile("trafford_themes/life_expectancy.csv", 90366, _TRAFFORD, "inequality"),
    ExtractFile("trafford_themes/healthy_life_expectancy.csv", 90362, _TRAFFORD, "inequality"),
    ExtractFile("trafford_themes/adults_smoking.csv", 92443, _TRAFFORD, "unit"),
    ExtractFile("trafford_themes/inactive_adults.csv", 93015, _TRAFFORD, "unit"),
    ExtractFile("trafford_themes/overweight_adult.csv", 93088, _TRAFFORD, "unit"),
)
ONS_ELS_FILES: tuple[ExtractFile, ...] = (
    ExtractFile("ons_els/healthy-life-expectancy.csv", 90362, _ONS_2026, "indicator"),
    ExtractFile("ons_els/adult-obesity-prevalence.csv", 93881, _ONS_2026),
    ExtractFile("ons_els/preventable-cardiovascular-mortality-england.csv", 93722, _ONS_2026),
)
#: The ONS APS cigarette-smoking file: a second smoking source under a local id, never 92443.
ONS_APS_SMOKING = ExtractFile(
    "ons_els/cigarette-smokers_annual_2025-10-06.csv", catalogue.ONS_APS_SMOKING_ID,
    "ons_els: ONS APS adults who currently smoke cigarettes (annual, before the 2024 APS "
    "reweighting) via ONS Explore Local Statistics @fdece5d; a second smoking source, not "
    "Fingertips 92443")
DASHBOARD_HLE = "trafford_dashboard/healthy_life_expectancy_at_birth.csv"
DASHBOARD_ALCOHOL = "trafford_dashboard_alcohol/alcohol_related_admissions.csv"

_TRAFFORD_COLUMNS = ("area_code", "area_name", "area_type", "period", "indicator", "value",
                     "compared_to_England")
_ONS_COLUMNS = ("areacd", "areanm", "geography", "indicator", "period", "observation",
                "lci_95", "uci_95")
_MISSING = {"NA": None, "": None}


def require_columns(frame: pd.DataFrame, needed: Sequence[str], path: Path | str) -> None:
    """Raise :class:`~cw_pophealth.errors.SchemaDriftError` naming the columns ``frame`` lacks.

    Raises
    ------
    SchemaDriftError
        If any of ``needed`` is not a column of ``frame``.
    """
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaDriftError(
            f"{path} lacks column(s) {missing}; found {list(frame.columns)}. The extract's format "
            "has changed: update cw_pophealth.snapshot for it.", url=str(path))


def _sex_from(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.lower()
    return pd.Series(
        pd.NA, index=values.index, dtype="string"
    ).mask(text.str.contains("female", na=False), "Female").mask(
        text.str.contains(r"\bmale", na=False) & ~text.str.contains("female", na=False), "Male"
    ).fillna("Persons")


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Release columns from ``source_ref``, period bounds, schema dtypes and order."""
    return schema.coerce_tidy(with_release(add_period_bounds(df)))


def read_trafford_file(root: Path, spec: ExtractFile) -> pd.DataFrame:
    """Read one ``trafford_themes`` file into tidy rows (``NA`` values stay missing).

    Raises
    ------
    SchemaDriftError
        If the file lacks a column the reader needs.
    """
    path = root / spec.path
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(raw, _TRAFFORD_COLUMNS + ((spec.sex_from,) if spec.sex_from else ()), path)
    return _finish(pd.DataFrame({
        "indicator_id": spec.indicator_id,
        "indicator_name": raw["indicator"],
        "area_code": raw["area_code"],
        "area_name": raw["area_name"],
        "area_type": normalise_area_type(raw["area_code"], raw["area_type"]),
        "sex": _sex_from(raw[spec.sex_from]) if spec.sex_from else "Persons",
        "period": raw["period"],
        "value": pd.to_numeric(raw["value"].replace(_MISSING), errors="raise"),
        "compared_to_england": raw["compared_to_England"].replace(_MISSING),
        "source": spec.source,
        "source_ref": spec.path,
    }))


def read_ons_els_file(root: Path, spec: ExtractFile) -> pd.DataFrame:
    """Read one ONS Explore Local Statistics file into tidy rows, English areas only.

    ISO periods are relabelled the way Fingertips labels the same data
    (:func:`cw_pophealth.periods.fingertips_period_label`), keeping the exact dates. The
    release date is the ``sourceDate`` the file's ``.json`` states, checked on every read.

    Raises
    ------
    SchemaDriftError
        If a needed column is missing, or the ``.json`` states another release date.
    """
    raw = _read_ons_csv(root, spec, _ONS_COLUMNS, code_column="areacd")

    def num(col: str) -> pd.Series:
        return _ons_numbers(raw[col])

    df = pd.DataFrame({
        "indicator_id": spec.indicator_id,
        "indicator_name": catalogue.indicator_spec(spec.indicator_id).name,
        "area_code": raw["areacd"],
        "area_name": raw["areanm"],
        "area_type": normalise_area_type(raw["areacd"], raw["geography"]),
        "sex": _sex_from(raw[spec.sex_from]) if spec.sex_from else "Persons",
        "period": raw["period"].map(fingertips_period_label),
        "value": num("observation"),
        "lower_ci_95": num("lci_95"),
        "upper_ci_95": num("uci_95"),
        "value_note": raw.get("notes", pd.Series("", index=raw.index)).replace("", None),
        "source": spec.source,
        "source_ref": spec.path,
    })
    return _with_iso_bounds(df, raw["period"])


def _read_ons_csv(root: Path, spec: ExtractFile, columns: tuple[str, ...], *,
                  code_column: str) -> pd.DataFrame:
    """An ONS CSV as text, after checking its columns and the release date its ``.json``
    states; English areas only (codes in ``code_column`` starting with E)."""
    path = root / spec.path
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    require_columns(raw, columns, path)
    check_stated_date(root, spec.path)
    return raw.loc[raw[code_column].str.startswith("E")]


def _ons_numbers(column: pd.Series) -> pd.Series:
    """ONS numbers as published: a blank cell is missing, anything else must be a number."""
    return pd.to_numeric(column.replace("", None), errors="raise")


def _with_iso_bounds(df: pd.DataFrame, iso: pd.Series) -> pd.DataFrame:
    bounds = {p: parse_period(p) for p in iso.unique()}
    return schema.coerce_tidy(with_release(df.assign(
        period_start=iso.map(lambda p: bounds[p][0]),
        period_end=iso.map(lambda p: bounds[p][1]),
    )))


def read_ons_aps_smoking(root: Path, spec: ExtractFile = ONS_APS_SMOKING) -> pd.DataFrame:
    """ONS APS adults who currently smoke cigarettes, annual 2012 to 2023, English areas.

    Stored under the local id :data:`cw_pophealth.catalogue.ONS_APS_SMOKING_ID`, never as
    Fingertips 92443: it is the ONS publication before the 2024 APS reweighting, which matches
    92443 to 1 dp in 2018 in these files and then diverges. Values as published (1 dp) with
    95% CIs; an ``Observation Status`` (e.g. "x", no value) and the file's notes go to
    ``value_note``.

    Raises
    ------
    SchemaDriftError
        If a needed column is missing, or the ``.json`` states another release date.
    """
    raw = _read_ons_csv(root, spec, (
        "AREACD", "AREANM", "Geography", "Period", "Observation",
        "Lower Confidence Interval (95%)", "Upper Confidence Interval (95%)",
        "Observation Status", "Notes"), code_column="AREACD")
    status = ("Observation Status " + raw["Observation Status"]).where(
        raw["Observation Status"] != "")
    note = pd.Series([
        "; ".join(t for t in (s, n) if isinstance(t, str) and t) or None
        for s, n in zip(status, raw["Notes"], strict=True)], index=raw.index, dtype="object")

    def num(col: str) -> pd.Series:
        return _ons_numbers(raw[col])

    df = pd.DataFrame({
        "indicator_id": spec.indicator_id,
        "indicator_name": catalogue.indicator_spec(spec.indicator_id).name,
        "area_code": raw["AREACD"],
        "area_name": raw["AREANM"],
        "area_type": normalise_area_type(raw["AREACD"], raw["Geography"]),
        "sex": "Persons",
        "age": "18+ yrs",  # "adults aged 18 and over" in the dataset's .json
        "period": raw["Period"].map(fingertips_period_label),
        "value": num("Observation"),
        "lower_ci_95": num("Lower Confidence Interval (95%)"),
        "upper_ci_95": num("Upper Confidence Interval (95%)"),
        "value_note": note,
        "source": spec.source,
        "source_ref": spec.path,
    })
    return _with_iso_bounds(df, raw["Period"])


def read_trafford_dashboard_hle(root: Path) -> pd.DataFrame:
    """Fingertips 90362 as of June 2020: counties & UAs before April 2019, 2009-11 to 2016-18.

    The release before the 2021 Census rebasing and ONS's later method changes, so it supersedes
    nothing: ONS Explore Local Statistics gives the current values of the same periods
    (Warwickshire 2016 - 18: 64.8/63.9 here, 65.2/66.2 there). It is kept because a window of
    need must pair life expectancy and healthy life expectancy of the same release, and this is
    the release of Warwickshire's January 2020 life expectancy. Values rounded to 1 dp upstream,
    no CIs; periods were written without spaces upstream (``2016-18``) and get the Fingertips
    form (``2016 - 18``), same dates. ``compared_to_england`` is Fingertips' published label.

    Raises
    ------
    SchemaDriftError
        If a needed column is missing.
    """
    path = root / DASHBOARD_HLE
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(raw, ("area_code", "area_name", "period", "value", "indicator", "group",
                          "significance"), path)
    return _finish(pd.DataFrame({
        "indicator_id": catalogue.HEALTHY_LIFE_EXPECTANCY_ID,
        "indicator_name": raw["indicator"],
        "area_code": raw["area_code"],
        "area_name": raw["area_name"],
        "area_type": normalise_area_type(raw["area_code"]),
        "sex": _sex_from(raw["group"]),
        "period": raw["period"].map(fingertips_range_label),
        "value": pd.to_numeric(raw["value"].replace(_MISSING), errors="raise"),
        "compared_to_england": raw["significance"].replace(_MISSING),
        "source": "trafford_dashboard: Fingertips 90362 via fingertipsR (Counties & UAs pre "
                  "4/19) in traffordDataLab/dashboard; ONS HLE before the 2021 Census "
                  "rebasing; values rounded to 1 dp upstream; no CIs",
        "source_ref": DASHBOARD_HLE,
    }))


def read_trafford_alcohol(root: Path) -> pd.DataFrame:
    """Fingertips 91414 (admission episodes for alcohol-related conditions, narrow) as of May 2019.

    Districts & UAs (before April 2019), England and Greater Manchester, Persons, 2008/09 to
    2017/18, directly standardised rate per 100,000, **rounded to 0 dp upstream**, no CIs; no
    county (so no Warwickshire) rows. ``compared_to_england`` is Fingertips' published label.

    Raises
    ------
    SchemaDriftError
        If a needed column is missing or the sex column holds anything but Persons.
    """
    path = root / DASHBOARD_ALCOHOL
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(raw, ("area_code", "area_name", "period", "value", "indicator", "unit",
                          "significance"), path)
    if set(raw["unit"]) != {"Persons"}:
        raise SchemaDriftError(f"{path}: expected Persons only in 'unit', found "
                               f"{sorted(set(raw['unit']))}.", url=str(path))
    return _finish(pd.DataFrame({
        "indicator_id": catalogue.ALCOHOL_ADMISSIONS_ID,
        "indicator_name": raw["indicator"],
        "area_code": raw["area_code"],
        "area_name": raw["area_name"],
        "area_type": normalise_area_type(raw["area_code"]),
        "sex": "Persons",
        "period": raw["period"],
        "value": pd.to_numeric(raw["value"].replace(_MISSING), errors="raise"),
        "compared_to_england": raw["significance"].replace(_MISSING),
        "source": "trafford_dashboard_alcohol: Fingertips 91414 via fingertipsR (Districts & "
                  "UAs) in traffordDataLab/dashboard; values rounded to 0 dp upstream; no CIs",
        "source_ref": DASHBOARD_ALCOHOL,
    }))
