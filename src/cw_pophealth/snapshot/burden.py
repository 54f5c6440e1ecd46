"""The ``psychty_gbd2017`` extract: the burden attributable to risks, GBD 2017, as its own table.

IHME's Global Burden of Disease 2017 estimates of the deaths, YLLs, YLDs and DALYs attributable
to each level-2 risk (all causes together), as **age-standardised rates per 100,000, all ages,
2017**, for West Sussex's CIPFA neighbours (Warwickshire among them), South East England and
England. Coventry is not in the file.

These are modelled estimates with 95% *uncertainty* intervals, keyed by risk, cause and
measure, under IHME's licence (free for non-commercial use, with attribution), not OGL: none of
that fits the Fingertips key of the indicator table without inventing ids, so they form the
separate ``burden`` table (:data:`BURDEN_COLUMNS`), every row carrying :data:`GBD_LICENCE`.

The interval is only in ``Estimate_label`` (``"58.0 (51.2-64.5)"``, with thousands separators,
and lower bounds that may be negative); it is parsed and the label's estimate is checked
against ``Estimate``. The analyst rounded estimates and intervals to 1 dp and ranked the risks
(``rank_published``).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pandas as pd

from cw_pophealth.errors import SchemaDriftError, SchemaValidationError
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.snapshot.extracts import require_columns
from cw_pophealth.snapshot.names import map_names
from cw_pophealth.snapshot.releases import release_for

logger = logging.getLogger(__name__)

__all__ = ["BEHAVIOURAL_RISKS", "BURDEN_COLUMNS", "GBD_ATTRIBUTION", "GBD_FILE", "GBD_LICENCE",
           "read_gbd_burden", "validate_burden"]

GBD_FILE = "psychty_gbd2017/level_2_risk_all_cause_NN_2017.json"
#: The behavioural risks of the Prevention Framework's figure 2, as GBD names them.
BEHAVIOURAL_RISKS = ("Tobacco", "Dietary risks", "Alcohol use", "Low physical activity")
#: The citation IHME's terms ask for.
GBD_ATTRIBUTION = ("Global Burden of Disease Collaborative Network. Global Burden of Disease "
                   "Study 2017 (GBD 2017) Results. Seattle, United States: Institute for Health "
                   "Metrics and Evaluation (IHME), 2018")
GBD_LICENCE = ("IHME GBD 2017: free of charge for non-commercial use, with attribution (" +
               GBD_ATTRIBUTION + ")")
#: The columns of the burden table, in order.
BURDEN_COLUMNS: tuple[str, ...] = (
    "study", "area_code", "area_name", "area_type", "year", "sex", "age", "cause", "risk",
    "risk_group", "measure", "metric", "value", "lower_ui_95", "upper_ui_95", "rank_published",
    "licence", "source", "source_ref", "release", "release_date",
)
#: GBD 2017 describes the areas as they were in 2017.
VINTAGE = "2017-12-31"
_NUMBER = r"-?[\d,]+(?:\.\d+)?"
_LABEL = re.compile(rf"^({_NUMBER}) \(({_NUMBER})-({_NUMBER})\)$")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def read_gbd_burden(root: Path, *, references: pd.DataFrame) -> pd.DataFrame:
    """Every row of the GBD 2017 file as the burden table.

    Parameters
    ----------
    root : pathlib.Path
        The extracts folder.
    references : pandas.DataFrame
        Name references (:func:`cw_pophealth.snapshot.names.load_references`).

    Returns
    -------
    pandas.DataFrame
        :data:`BURDEN_COLUMNS`; GBD's sex "Both" is stored as "Persons". ``attrs["name_mapping"]``
        holds the area names' mapping as records.

    Raises
    ------
    cw_pophealth.errors.SchemaDriftError
        If a field is missing, a label is not "estimate (lower-upper)", a label's estimate
        differs from ``Estimate``, or an area name does not map to a code.
    """
    raw = pd.DataFrame(json.loads((root / GBD_FILE).read_text(encoding="utf-8")))
    require_columns(raw, ("Area", "Sex", "Cause", "Risk", "Risk group", "measure", "metric",
                          "Estimate", "Rank", "Estimate_label"), GBD_FILE)
    parsed = raw["Estimate_label"].str.extract(_LABEL)
    if parsed[0].isna().any():
        bad = raw.loc[parsed[0].isna(), "Estimate_label"].head(3).tolist()
        raise SchemaDriftError(f"{GBD_FILE}: labels not of the form 'estimate (lower-upper)': "
                               f"{bad}", url=GBD_FILE)
    estimate = parsed[0].map(_number)
    if ((estimate - raw["Estimate"].astype(float)).abs() > 1e-9).any():
        raise SchemaDriftError(f"{GBD_FILE}: an Estimate differs from its label's estimate.",
                               url=GBD_FILE)
    mapping = map_names(raw["Area"].unique(), references, vintage=VINTAGE, tier="upper")
    unmapped = mapping.loc[mapping["area_code"].isna(), "name"].tolist()
    if unmapped:
        raise SchemaDriftError(f"{GBD_FILE}: area names that map to no code: {unmapped}",
                               url=GBD_FILE)
    code = dict(zip(mapping["name"], mapping["area_code"], strict=True))
    release = release_for(GBD_FILE)
    out = pd.DataFrame({
        "study": "GBD 2017",
        "area_code": raw["Area"].map(code),
        "area_name": raw["Area"],
        "year": 2017,
        "sex": raw["Sex"].replace({"Both": "Persons"}),
        "age": "All ages, age-standardised",
        "cause": raw["Cause"],
        "risk": raw["Risk"],
        "risk_group": raw["Risk group"],
        "measure": raw["measure"],
        "metric": raw["metric"],
        "value": raw["Estimate"].astype(float),
        "lower_ui_95": parsed[1].map(_number),
        "upper_ui_95": parsed[2].map(_number),
        "rank_published": raw["Rank"],
        "licence": GBD_LICENCE,
        "source": "psychty_gbd2017: IHME GBD 2017 results via psychty/GBD; estimates and 95% "
                  "uncertainty intervals rounded to 1 dp by the analyst, who also ranked them",
        "source_ref": GBD_FILE,
        "release": release.label,
        "release_date": pd.Timestamp(release.date),
    })
    out["area_type"] = normalise_area_type(out["area_code"])
    out = validate_burden(out)
    out.attrs["name_mapping"] = mapping.to_dict("records")
    logger.info("GBD 2017 burden: %d rows, %d areas, %d risks", len(out),
                out["area_code"].nunique(), out["risk"].nunique())
    return out


def validate_burden(df: pd.DataFrame) -> pd.DataFrame:
    """Check the burden table and return it typed, in :data:`BURDEN_COLUMNS` order.

    Checks: every column present; area codes, risks, measures, licence and release on every
    row; uncertainty intervals bracket the estimate; one row per area, sex, risk, cause and
    measure.

    Raises
    ------
    cw_pophealth.errors.SchemaValidationError
        Naming the broken rule.
    """
    missing = [c for c in BURDEN_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaValidationError(f"Burden table lacks column(s) {missing}; rebuild it with "
                                    "`make data`.")
    out = df.loc[:, list(BURDEN_COLUMNS)].reset_index(drop=True).copy()
    for col in ("value", "lower_ui_95", "upper_ui_95"):
        out[col] = out[col].astype("float64")
    out["year"] = out["year"].astype("Int64")
    out["rank_published"] = pd.to_numeric(out["rank_published"]).astype("Int64")
    out["release_date"] = pd.to_datetime(out["release_date"]).astype("datetime64[ns]")
    for col in set(BURDEN_COLUMNS) - {"value", "lower_ui_95", "upper_ui_95", "year",
                                      "rank_published", "release_date"}:
        out[col] = out[col].astype("string")
    for col in ("area_code", "risk", "measure", "licence", "release", "release_date"):
        if out[col].isna().any():
            raise SchemaValidationError(f"Burden table: {col} is missing on some rows.")
    outside = ((out["lower_ui_95"] > out["value"] + 1e-9)
               | (out["upper_ui_95"] < out["value"] - 1e-9)).to_numpy(dtype=bool)
    if outside.any():
        raise SchemaValidationError(f"Burden table: {int(outside.sum())} uncertainty interval(s) "
                                    "do not contain the estimate.")
    key = ["area_code", "sex", "risk", "cause", "measure"]
    if out.duplicated(key).any():
        raise SchemaValidationError(f"Burden table: repeated rows for {key}.")
    return out
