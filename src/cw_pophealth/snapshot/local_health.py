"""The ``psychty_local_health`` extract: OHID Local Health life expectancy, **undated**.

OHID Local Health publishes life expectancy at birth from 5 years of pooled deaths with a 90+
upper age band (``life_expectancy_metadata.txt``). The two files (UTLA and LTLA, 2021
geography; Warwickshire, Coventry and all five Warwickshire districts) **state no period**. The
same upstream commit's ``index.html`` is titled "Local variation in Life Expectancy and
Mortality; 2015-2019", and its ``deaths_metadata.txt`` counts deaths registered in 2015-19, but
neither is a statement in the data file, so the rows stay undated.

Undated rows cannot enter the tidy indicator table, whose periods are required and drive every
"latest period" choice, and they are **not** Fingertips 90366 (3-year rolling): they get their
own table (:data:`LOCAL_ESTIMATES_COLUMNS`) under the local id
:data:`cw_pophealth.catalogue.LOCAL_HEALTH_LE_ID`, with ``period`` "undated".
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.errors import SchemaDriftError, SchemaValidationError
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.snapshot.extracts import require_columns
from cw_pophealth.snapshot.releases import with_release

logger = logging.getLogger(__name__)

__all__ = ["LOCAL_ESTIMATES_COLUMNS", "LOCAL_HEALTH_FILES", "UNDATED", "read_local_health_le",
           "validate_local_estimates"]

LOCAL_HEALTH_FILES = ("psychty_local_health/utla_raw.csv", "psychty_local_health/ltla_raw.csv")
#: ``period`` of every row: the files state none.
UNDATED = "undated"
_LE_COLUMNS = {"Life expectancy at birth for females": "Female",
               "Life expectancy at birth for males": "Male"}
#: The columns of the undated local-estimates table, in order.
LOCAL_ESTIMATES_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator_name", "area_code", "area_name", "area_type", "sex", "period",
    "value", "value_note", "source", "source_ref", "release", "release_date",
)
_NOTE = ("Period not stated in the file (probably 2015-19: the same upstream commit's page is "
         "titled 'Local variation in Life Expectancy and Mortality; 2015-2019'); 5-year pooled "
         "deaths, 90+ upper age band; not the 3-year Fingertips 90366")


def _read_semicolons(path: Path) -> pd.DataFrame:
    """A ``;``-separated file whose data lines end in a run of commas stuck to the last field
    (``...;134.1,,,,,,,,,,,``); the commas are stripped from that field only."""
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    last = raw.columns[-1]
    return raw.assign(**{last: raw[last].str.replace(r",+$", "", regex=True)})


def read_local_health_le(root: Path) -> pd.DataFrame:
    """Local Health life expectancy at birth (female, male) for every UTLA and LTLA, undated.

    Single-tier authorities appear in both files; their copies are checked to be identical and
    kept once. Values as published (1 dp); no CIs, no England row.

    Parameters
    ----------
    root : pathlib.Path
        The extracts folder.

    Returns
    -------
    pandas.DataFrame
        :data:`LOCAL_ESTIMATES_COLUMNS`, ``period`` "undated", ``indicator_id`` -1001.

    Raises
    ------
    cw_pophealth.errors.SchemaDriftError
        If a column is missing or the two files disagree about an authority.
    """
    frames = []
    for ref in LOCAL_HEALTH_FILES:
        raw = _read_semicolons(root / ref)
        require_columns(raw, ("Code", "Label", *_LE_COLUMNS), ref)
        for column, sex in _LE_COLUMNS.items():
            frames.append(pd.DataFrame({
                "area_code": raw["Code"], "area_name": raw["Label"], "sex": sex,
                "value": pd.to_numeric(raw[column].replace("", None), errors="raise"),
                "source_ref": ref}))
    long = pd.concat(frames, ignore_index=True)
    repeated = long.loc[long.duplicated(["area_code", "sex"], keep=False)]
    differ = repeated.groupby(["area_code", "sex"])["value"].nunique(dropna=False) > 1
    if differ.any():
        raise SchemaDriftError(f"psychty_local_health: the UTLA and LTLA files disagree for "
                               f"{differ[differ].index.tolist()[:3]}", url=LOCAL_HEALTH_FILES[0])
    kept = long.drop_duplicates(["area_code", "sex"], keep="first")
    spec = catalogue.LOCAL_HEALTH_LE_ID
    out = with_release(pd.DataFrame({
        "indicator_id": spec,
        "indicator_name": "Life expectancy at birth, 5-year pooled (OHID Local Health)",
        "area_code": kept["area_code"],
        "area_name": kept["area_name"],
        "area_type": normalise_area_type(kept["area_code"]),
        "sex": kept["sex"],
        "period": UNDATED,
        "value": kept["value"],
        "value_note": _NOTE,
        "source": "psychty_local_health: OHID Local Health download (UTLA/LTLA 2021 geography), "
                  "values as published (1 dp); period not stated",
        "source_ref": kept["source_ref"],
    })).loc[:, list(LOCAL_ESTIMATES_COLUMNS)].reset_index(drop=True)
    out = validate_local_estimates(out)
    logger.info("Local Health life expectancy: %d undated rows (%d single-tier copies dropped)",
                len(out), len(long) - len(kept))
    return out


def validate_local_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """Check the undated table: its columns, local (negative) ids only, every row "undated",
    a release on every row; return it typed.

    Raises
    ------
    cw_pophealth.errors.SchemaValidationError
        Naming the broken rule.
    """
    missing = [c for c in LOCAL_ESTIMATES_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaValidationError(f"Local estimates table lacks column(s) {missing}; rebuild "
                                    "it with `make data`.")
    out = df.loc[:, list(LOCAL_ESTIMATES_COLUMNS)].copy()
    out["indicator_id"] = out["indicator_id"].astype("Int64")
    out["value"] = out["value"].astype("float64")
    out["release_date"] = pd.to_datetime(out["release_date"]).astype("datetime64[ns]")
    for col in ("indicator_name", "area_code", "area_name", "area_type", "sex", "period",
                "value_note", "source", "source_ref", "release"):
        out[col] = out[col].astype("string")
    if not out["indicator_id"].map(catalogue.is_local_indicator).all():
        raise SchemaValidationError("Undated rows must carry a local (negative) indicator id, "
                                    "never a Fingertips id such as 90366.")
    if not (out["period"] == UNDATED).all():
        raise SchemaValidationError("Every row of the local estimates table must be 'undated'.")
    for col in ("area_code", "sex", "source_ref", "release", "release_date"):
        if out[col].isna().any():
            raise SchemaValidationError(f"Local estimates table: {col} is missing on some rows.")
    return out
