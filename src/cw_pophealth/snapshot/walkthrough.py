"""The ``psychty_la_ph_walkthrough`` extract: Fingertips as of January 2020, areas named, not coded.

A West Sussex analyst pulled 39 upper-tier (``ut``, Fingertips AreaTypeID 202) and 35 lower-tier
(``lt``, AreaTypeID 101) indicators with fingertipsR in January 2020, keeping the latest period
of each, for West Sussex's, East Sussex's and Brighton's CIPFA neighbours. Warwickshire is a
neighbour of both Sussexes, Coventry of Brighton, Stratford-on-Avon a district neighbour. The
files hold values, 95% CIs, numerators and denominators, unrounded, but no area codes and no
periods. The scripts that made them (``PH Walkthrough Journey {Upper,Lower} Tier LA.R`` at
fb261d4, read in a mirror of the repository; not copied) supply what the files lack:

* **indicator id and period**: ``{tier}_data_meta_extract.json`` (``ID``, ``Timeperiod``),
  joined on ``Name``. Ids with a leading zero (``004``, ``013`` ...) are the analyst's own
  non-Fingertips series (DWP, ASHE, Nomis ...) and are skipped.
* **sex**: only the scripts' ``filter(Sex == ...)`` lines say it (:data:`SCRIPT_FILTERS`, with
  line numbers); for life expectancy (90366) and its slope index of inequality (92901) the Name
  says it too ("Male life expectancy at birth"). Indicators the scripts do not filter by sex
  (some are female-only in Fingertips, e.g. 20201 breastfeeding) are **skipped, not guessed**.
* **age**: left missing. The files do not state it (the scripts filter e.g. 92443 on 18+), and
  the other offline releases of the same observations (trafford_themes) carry no age, so a
  missing age lets :func:`cw_pophealth.schema.mark_current` see them as one observation.
* **area code**: :func:`cw_pophealth.snapshot.names.map_names` at the January 2020 vintage;
  names that do not map are dropped and listed in the report (every name maps today).

Cleaning, counted in ``attrs["report"]``: the scripts wrote ``0`` for missing values and CIs
(``replace_na(..., 0)``), so rows flagged ``data_available == "No data"`` get missing value and
CIs, and CIs that are both exactly 0 on rows with data become missing (district life
expectancy had no CIs in January 2020). Areas listed under several comparator areas
(``Area_x``) are kept once after checking the copies are identical; areas in both tiers
(Coventry, Brighton and Hove, England) are kept from the upper tier after the same check.

The files' ``Significance`` column is the analyst's own test (area 95% CI against England's
95% CI), not Fingertips' comparison, so it is not stored: comparisons are computed from the CIs
like every other row's.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from cw_pophealth import schema
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.periods import add_period_bounds, fingertips_range_label
from cw_pophealth.snapshot.extracts import require_columns
from cw_pophealth.snapshot.names import map_names
from cw_pophealth.snapshot.releases import with_release

logger = logging.getLogger(__name__)

__all__ = ["SCRIPT_FILTERS", "VINTAGE", "WALKTHROUGH_DIR", "read_walkthrough",
           "walkthrough_indicators"]

WALKTHROUGH_DIR = "psychty_la_ph_walkthrough"
#: Tier -> (name tier for :func:`map_names`, Fingertips area type id of the pull).
TIERS = {"ut": ("upper", 202), "lt": ("lower", 101)}
#: The areas are as Fingertips had them in January 2020.
VINTAGE = "2020-01-31"
_FIELDS = ("Area_x", "Area_name", "Name", "Value", "Lower_CI", "Upper_CI", "Numerator",
           "Denominator", "data_available")
_DATA = ("Area_name", "Name", "Value", "Lower_CI", "Upper_CI", "Numerator", "Denominator",
         "data_available")
_BY_NAME = "by name"
_NO_FILTER = (None, None)

#: The sex of each indicator as the pulling scripts filter it, with the script line:
#: ``(tier, id) -> (sex, line)``. ``"by name"``: the Name says Male/Female. ``None``: the script
#: has no sex filter, so the file does not say which sex a row is; such indicators are skipped.
SCRIPT_FILTERS: dict[tuple[str, str], tuple[str | None, int | None]] = {
    **{("ut", i): _NO_FILTER for i in (
        "93085", "20101", "91323", "92196", "20201", "20401", "93378", "11001", "22001",
        "91720", "91100", "90791", "30314", "90280")},
    ("ut", "90631"): ("Persons", 212), ("ut", "20601"): ("Persons", 237),
    ("ut", "20602"): ("Persons", 261), ("ut", "92672"): ("Persons", 289),
    ("ut", "10101"): ("Persons", 316), ("ut", "90285"): ("Persons", 339),
    ("ut", "91548"): ("Persons", 393), ("ut", "93203"): ("Persons", 443),
    ("ut", "10401"): ("Persons", 466), ("ut", "11601"): ("Persons", 496),
    ("ut", "92443"): ("Persons", 543), ("ut", "21001"): ("Persons", 568),
    ("ut", "90245"): ("Persons", 595), ("ut", "91414"): ("Persons", 620),
    ("ut", "93014"): ("Persons", 645), ("ut", "93015"): ("Persons", 670),
    ("ut", "22303"): ("Persons", 695), ("ut", "93088"): ("Persons", 720),
    ("ut", "40401"): ("Persons", 841), ("ut", "40501"): ("Persons", 866),
    ("ut", "41401"): ("Persons", 939),
    ("ut", "92901"): (_BY_NAME, 964), ("ut", "90366"): (_BY_NAME, 1018),
    **{("lt", i): _NO_FILTER for i in (
        "92196", "20101", "20201", "20401", "92199", "11001", "11202", "22001", "91720",
        "93560", "93561", "90356")},
    ("lt", "20601"): ("Persons", 241), ("lt", "20602"): ("Persons", 269),
    ("lt", "10101"): ("Persons", 339), ("lt", "21001"): ("Persons", 366),
    ("lt", "91414"): ("Persons", 725), ("lt", "93014"): ("Persons", 754),
    ("lt", "93015"): ("Persons", 783), ("lt", "92443"): ("Persons", 811),
    ("lt", "93088"): ("Persons", 839), ("lt", "40501"): ("Persons", 993),
    ("lt", "40401"): ("Persons", 1022), ("lt", "41401"): ("Persons", 1124),
    ("lt", "90360"): ("Persons", 1153), ("lt", "90366"): (_BY_NAME, 1182),
}


def _load(path: Path) -> pd.DataFrame:
    return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))


def _sex_from_name(name: str) -> str | None:
    low = name.casefold()
    return "Female" if low.startswith("female ") else "Male" if low.startswith("male ") else None


def _one_copy(rows: pd.DataFrame, key: list[str], where: str) -> tuple[pd.DataFrame, int]:
    """Rows with repeated ``key`` kept once, after checking the copies are identical."""
    distinct = rows.drop_duplicates()
    clash = distinct.duplicated(key, keep=False)
    if clash.any():
        raise SchemaDriftError(
            f"{where}: copies of the same area and indicator differ, e.g.\n"
            f"{distinct.loc[clash].head(4).to_string(index=False)}", url=where)
    return distinct, len(rows) - len(distinct)


def _read_tier(root: Path, tier: str, references: pd.DataFrame) -> pd.DataFrame:
    name_tier, area_type_id = TIERS[tier]
    ref_rows = f"{WALKTHROUGH_DIR}/{tier}_data_neighbours.json"
    ref_meta = f"{WALKTHROUGH_DIR}/{tier}_data_meta_extract.json"
    ref_comp = f"{WALKTHROUGH_DIR}/Comp_data_{tier}.json"
    rows, meta, comp = (_load(root / r) for r in (ref_rows, ref_meta, ref_comp))
    require_columns(rows, _FIELDS, ref_rows)
    require_columns(meta, ("ID", "Name", "Timeperiod"), ref_meta)
    require_columns(comp, ("Name", "Area_name", "Comp_Value", "Comp_Lower_CI", "Comp_Upper_CI"),
                    ref_comp)
    if meta["Name"].duplicated().any():
        raise SchemaDriftError(f"{ref_meta} repeats a Name, so ids cannot be joined on it.",
                               url=ref_meta)
    report: dict = {"rows_in_file": len(rows)}
    no_data = rows["data_available"].eq("No data")
    zero_ci = ~no_data & rows["Lower_CI"].eq(0) & rows["Upper_CI"].eq(0)
    report["no_data_rows_set_missing"] = int(no_data.sum())
    report["zero_ci_rows_set_missing"] = int(zero_ci.sum())
    rows = rows.copy()
    rows.loc[no_data, ["Value", "Lower_CI", "Upper_CI"]] = np.nan
    rows.loc[zero_ci, ["Lower_CI", "Upper_CI"]] = np.nan
    data, dropped = _one_copy(rows.loc[:, list(_DATA)], ["Area_name", "Name"], ref_rows)
    report["repeated_area_copies_dropped"] = dropped
    data = data.assign(_ref=ref_rows, _note=np.select(
        [data["data_available"].eq("No data"),
         data["Value"].notna() & data["Lower_CI"].isna()],
        ["No data in source (the pulling script wrote 0; set missing)",
         "CI missing in source (the pulling script wrote 0; set missing)"], default=""))
    england = comp.rename(columns={"Comp_Value": "Value", "Comp_Lower_CI": "Lower_CI",
                                   "Comp_Upper_CI": "Upper_CI"}).assign(
        Numerator=np.nan, Denominator=np.nan, data_available="Data", _ref=ref_comp, _note="")
    both = pd.concat([data, england.loc[:, list(data.columns)]], ignore_index=True)
    both = both.merge(meta[["ID", "Name", "Timeperiod"]], on="Name", how="left",
                      validate="many_to_one")
    if both["ID"].isna().any():
        raise SchemaDriftError(f"{ref_rows}: Names without an entry in {ref_meta}: "
                               f"{sorted(both.loc[both['ID'].isna(), 'Name'].unique())}",
                               url=ref_rows)
    ids = both["ID"].astype(str)
    local = ids.str.fullmatch(r"0\d*")
    report["skipped_not_fingertips"] = sorted(set(ids[local]))
    filters = [SCRIPT_FILTERS.get((tier, i), _NO_FILTER)[0] for i in ids]
    sex = [(_sex_from_name(n) if f == _BY_NAME else f)
           for f, n in zip(filters, both["Name"], strict=True)]
    both = both.assign(sex=sex)
    unsexed = both["sex"].isna() & ~local
    report["skipped_sex_not_stated"] = sorted(set(ids[unsexed]))
    both = both.loc[~local & ~unsexed]
    mapping = map_names(both["Area_name"].unique(), references, vintage=VINTAGE, tier=name_tier)
    report["name_mapping"] = mapping.to_dict("records")
    report["unmapped_names"] = mapping.loc[mapping["status"] == "unmapped", "name"].tolist()
    code = dict(zip(mapping["name"], mapping["area_code"], strict=True))
    both = both.assign(area_code=both["Area_name"].map(code))
    report["rows_dropped_unmapped"] = int(both["area_code"].isna().sum())
    both = both.loc[both["area_code"].notna()]
    source = (f"psychty_la_ph_walkthrough {tier}: fingertipsR, AreaTypeID {area_type_id}, the "
              "latest period of each indicator as of January 2020, unrounded; area codes mapped "
              "from names")
    df = pd.DataFrame({
        "indicator_id": both["ID"].astype(int),
        "indicator_name": both["Name"],
        "area_code": both["area_code"],
        "area_name": both["Area_name"].str.strip(),
        "area_type": normalise_area_type(both["area_code"]),
        "sex": both["sex"],
        "period": both["Timeperiod"].map(fingertips_range_label),
        "value": both["Value"],
        "lower_ci_95": both["Lower_CI"],
        "upper_ci_95": both["Upper_CI"],
        "count": both["Numerator"],
        "denominator": both["Denominator"],
        "value_note": both["_note"].replace("", None),
        "source": source,
        "source_ref": both["_ref"],
    })
    out = schema.coerce_tidy(with_release(add_period_bounds(df)))
    out.attrs["report"] = report
    return out


def read_walkthrough(root: Path, *, references: pd.DataFrame) -> pd.DataFrame:
    """Both tiers of the walkthrough as tidy rows of the January 2020 release.

    Parameters
    ----------
    root : pathlib.Path
        The extracts folder.
    references : pandas.DataFrame
        Name references (:func:`cw_pophealth.snapshot.names.load_references`).

    Returns
    -------
    pandas.DataFrame
        Tidy rows; ``attrs["report"]`` holds, per tier, what was skipped or cleaned and the name
        mapping as records (``report[tier]["name_mapping"]``; see also
        :func:`cw_pophealth.snapshot.name_mappings`).

    Raises
    ------
    cw_pophealth.errors.SchemaDriftError
        If a file lacks a field, a Name has no meta entry, or copies of one observation differ.
    """
    parts = {tier: _read_tier(root, tier, references) for tier in TIERS}
    upper, lower = parts["ut"], parts["lt"]
    key = ["indicator_id", "area_code", "sex", "period"]
    shared = lower.merge(upper[[*key, "value", "lower_ci_95", "upper_ci_95"]], on=key,
                         how="inner", suffixes=("", "_ut"))
    for col in ("value", "lower_ci_95", "upper_ci_95"):
        differ = ~((shared[col] == shared[f"{col}_ut"])
                   | (shared[col].isna() & shared[f"{col}_ut"].isna()))
        if differ.any():
            raise SchemaDriftError(
                f"{WALKTHROUGH_DIR}: the upper- and lower-tier files give different {col} for "
                f"{shared.loc[differ, key].head(3).to_dict('records')}", url=WALKTHROUGH_DIR)
    in_upper = lower[key].merge(upper[key], on=key, how="left", indicator=True)["_merge"]
    lower = lower.loc[(in_upper == "left_only").to_numpy()]
    out = pd.concat([upper, lower], ignore_index=True)
    out.attrs["report"] = {**{tier: part.attrs["report"] for tier, part in parts.items()},
                           "lower_tier_copies_of_upper_tier_rows_dropped": len(shared)}
    logger.info("Walkthrough (Fingertips as of January 2020): %d rows, %d indicators, %d areas",
                len(out), out["indicator_id"].nunique(), out["area_code"].nunique())
    return out


def walkthrough_indicators(root: Path, tier: str = "ut") -> pd.DataFrame:
    """The walkthrough's indicator list with the analyst's unit and polarity and how the sex is
    evidenced (:data:`SCRIPT_FILTERS`).

    Returns
    -------
    pandas.DataFrame
        ``ID``, ``Name``, ``Unit``, ``Timeperiod``, ``Polarity`` as the meta file gives them,
        ``sex_evidence``, ``script_line``, ``fingertips`` (False for the analyst's own ids).
    """
    meta = _load(root / WALKTHROUGH_DIR / f"{tier}_data_meta_extract.json")
    evidence = [SCRIPT_FILTERS.get((tier, str(i)), _NO_FILTER) for i in meta["ID"]]
    return meta[["ID", "Name", "Unit", "Timeperiod", "Polarity"]].assign(
        sex_evidence=[e[0] for e in evidence], script_line=[e[1] for e in evidence],
        fingertips=~meta["ID"].astype(str).str.fullmatch(r"0\d*"))
