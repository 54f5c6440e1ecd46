"""The burden of risk: deaths (or DALYs) attributable to risks, GBD 2017, by area.

Reads the burden table (:func:`cw_pophealth.snapshot.load_burden`): IHME Global Burden of
Disease 2017 estimates for West Sussex's CIPFA nearest neighbours (16 counties, Warwickshire
among them), South East England and England, as age-standardised rates per 100,000, all ages.
The Prevention Framework's figure 2 shows deaths under 70 in 2021 for Coventry and
Warwickshire; that cut is not in the offline data, and Coventry is not in the file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.errors import CwPopHealthError, NoDataError, ParameterError
from cw_pophealth.geography import get_geography

logger = logging.getLogger(__name__)

__all__ = ["BEHAVIOURAL_RISKS", "burden_table", "present_burden", "risk_ranking"]

#: The behavioural risks of the Prevention Framework's figure 2, as GBD names them.
BEHAVIOURAL_RISKS = ("Tobacco", "Dietary risks", "Alcohol use", "Low physical activity")


def _name(code: str) -> str:
    try:
        return get_geography().name(code)
    except CwPopHealthError:
        return code


def _role(code: str, focus: Sequence[str], benchmark: str) -> str:
    if code in focus:
        return "focus"
    if code == benchmark:
        return "benchmark"
    return "region" if code.startswith("E12") else "neighbour"


def burden_table(burden: pd.DataFrame, *, risks: Sequence[str] = BEHAVIOURAL_RISKS,
                 measure: str = "Deaths", sex: str = "Persons",
                 focus: Sequence[str] = (catalogue.WARWICKSHIRE,),
                 benchmark_code: str = catalogue.ENGLAND) -> pd.DataFrame:
    """One row per risk and area: the estimate with its 95% uncertainty interval.

    Parameters
    ----------
    burden : pandas.DataFrame
        The burden table.
    risks : sequence of str
        GBD risk names (default the Framework's four behavioural risks).
    measure : str, default "Deaths"
        A GBD measure of the table ("Deaths", "DALYs (Disability-Adjusted Life Years)", ...).
    sex : {"Persons", "Male", "Female"}
    focus : sequence of str
        Areas to highlight (role "focus"); focus areas absent from the file get a row saying so.
    benchmark_code : str, default England

    Returns
    -------
    pandas.DataFrame
        ``risk``, ``area_code``, ``area_name``, ``role`` (focus, neighbour, region,
        benchmark), ``value``, ``lower_ui_95``, ``upper_ui_95``, ``benchmark_value``,
        ``rank_among_counties`` (1 = highest of the counties in the file), ``n_counties``,
        ``status``, ``study``, ``year``, ``age``, ``measure``, ``metric``, ``sex``,
        ``licence``, ``source``, ``source_ref``, ``release``.

    Raises
    ------
    cw_pophealth.errors.ParameterError
        For a risk, measure or sex the table does not hold (the message lists them).
    """
    for name, wanted, column in (("risks", list(risks), "risk"), ("measure", [measure],
                                                                  "measure"),
                                 ("sex", [sex], "sex")):
        unknown = sorted(set(wanted) - set(burden[column]))
        if unknown:
            raise ParameterError(f"{name}={unknown!r} not in the burden table; use some of "
                                 f"{sorted(set(burden[column]))}.")
    rows = burden.loc[burden["risk"].isin(risks) & (burden["measure"] == measure)
                      & (burden["sex"] == sex)].copy()
    if rows.empty:
        raise NoDataError(f"No burden rows for {measure}, {sex}, {list(risks)}.")
    rows["role"] = [_role(c, focus, benchmark_code) for c in rows["area_code"]]
    bench = rows.loc[rows["area_code"] == benchmark_code].set_index("risk")["value"]
    rows["benchmark_value"] = rows["risk"].map(bench)
    counties = rows["area_code"].str.startswith(("E10", "E06", "E08", "E09"))
    rows["rank_among_counties"] = (rows.loc[counties].groupby("risk")["value"]
                                   .rank(ascending=False, method="min").astype("Int64"))
    rows["n_counties"] = rows["risk"].map(rows.loc[counties].groupby("risk").size())
    rows["status"] = "OK"
    absent = [c for c in focus if c not in set(rows["area_code"])]
    extra = pd.DataFrame([{"risk": r, "area_code": c, "area_name": _name(c), "role": "focus",
                           "status": f"{_name(c)} is not in the GBD 2017 file (not one of West "
                                     "Sussex's neighbours); a GBD Results Tool download would "
                                     "add it"}
                          for c in absent for r in risks])
    order = {r: i for i, r in enumerate(risks)}
    out = pd.concat([rows, extra], ignore_index=True) if len(extra) else rows
    out = out.assign(_r=out["risk"].map(order)).sort_values(
        ["_r", "value"], ascending=[True, False], na_position="last").drop(columns="_r")
    columns = ["risk", "area_code", "area_name", "role", "value", "lower_ui_95", "upper_ui_95",
               "benchmark_value", "rank_among_counties", "n_counties", "status", "study",
               "year", "age", "measure", "metric", "sex", "licence", "source", "source_ref",
               "release"]
    logger.info("Burden table: %s, %s, %d risk(s), %d area(s)", measure, sex, len(risks),
                out["area_code"].nunique())
    return out.reindex(columns=columns).reset_index(drop=True)


def risk_ranking(burden: pd.DataFrame, area_code: str = catalogue.WARWICKSHIRE, *,
                 measures: Sequence[str] = ("Deaths", "DALYs (Disability-Adjusted Life Years)"),
                 sex: str = "Persons") -> pd.DataFrame:
    """Every level-2 risk of an area ranked by its estimate (1 = largest), per measure.

    Ranks are computed from the published estimates (ties share the better rank); GBD's
    intervals overlap, so neighbouring ranks may not differ.

    Returns
    -------
    pandas.DataFrame
        One row per risk: ``risk``, ``risk_group`` and, per measure, ``<measure> rate`` and
        ``<measure> rank``, sorted by the first measure's rank.
    """
    rows = burden.loc[(burden["area_code"] == area_code) & (burden["sex"] == sex)]
    if rows.empty:
        raise NoDataError(f"No GBD 2017 rows for {area_code} ({sex}).")
    wide = None
    for measure in measures:
        part = rows.loc[rows["measure"] == measure, ["risk", "risk_group", "value"]].copy()
        short = measure.split(" (")[0]
        part[f"{short} rank"] = part["value"].rank(ascending=False, method="min").astype(int)
        part = part.rename(columns={"value": f"{short} per 100,000"})
        wide = part if wide is None else wide.merge(part.drop(columns="risk_group"), on="risk",
                                                    how="outer")
    assert wide is not None
    first = f"{measures[0].split(' (')[0]} rank"
    return wide.sort_values(first).reset_index(drop=True)


def present_burden(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`burden_table` as a reader sees it (1 dp; missing values say why)."""
    def fmt(v) -> str:
        return "not in the file" if pd.isna(v) else f"{v:.1f}"

    return pd.DataFrame({
        "Risk": table["risk"],
        "Area": table["area_name"],
        "Deaths per 100,000" if (table["measure"].dropna() == "Deaths").all()
        else "Rate per 100,000": [fmt(v) for v in table["value"]],
        "95% uncertainty interval": ["" if pd.isna(v) else f"{lo:.1f} to {hi:.1f}" for v, lo, hi
                                     in zip(table["value"], table["lower_ui_95"],
                                            table["upper_ui_95"], strict=True)],
        "England": [fmt(v) for v in table["benchmark_value"]],
        "Rank among the counties": ["" if pd.isna(r) else f"{int(r)} of {int(n)}" for r, n in
                                    zip(table["rank_among_counties"], table["n_counties"],
                                        strict=True)],
        "Status": table["status"],
    })
