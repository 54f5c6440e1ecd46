"""What changed between two tidy tables: the previous refresh's and this one's.

:func:`compare_tables` lists, one row per change:

- ``indicator appeared`` / ``indicator vanished``: an indicator id in one table only;
- ``new period`` / ``period withdrawn``: a period of an indicator in one table only (one row
  per indicator and period, with the number of areas);
- ``revised value``: an observation (:data:`~cw_pophealth.schema.OBSERVATION_KEY`) in a period
  both tables hold whose current value differs, or which only one of them has;
- ``comparison changed``: an observation whose comparison with England changed (for example
  Similar to Worse).

Only the current release of each observation is compared: that is what the analyses show. The
comparison with England is Fingertips method 1 (:func:`cw_pophealth.stats.compare_to_benchmark`:
the area's 95% CI against England's value for the same indicator, sex, age, breakdown and
period, by the catalogue's polarity), and where a row has no CI or its indicator is not in the
catalogue, the label Fingertips published (``compared_to_england``), as
:func:`~cw_pophealth.analysis.benchmark_table` does.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cw_pophealth import catalogue, schema, stats
from cw_pophealth.errors import UnknownIndicatorError

logger = logging.getLogger(__name__)

__all__ = ["APPEARED", "CHANGE_COLUMNS", "CHANGE_KINDS", "COMPARISON", "NEW_PERIOD",
           "REVISED", "VANISHED", "WITHDRAWN", "compare_tables", "comparison_with_england",
           "count_changes"]

APPEARED = "indicator appeared"
VANISHED = "indicator vanished"
NEW_PERIOD = "new period"
WITHDRAWN = "period withdrawn"
REVISED = "revised value"
COMPARISON = "comparison changed"
#: Every kind of change, in the order they are listed.
CHANGE_KINDS: tuple[str, ...] = (APPEARED, VANISHED, NEW_PERIOD, WITHDRAWN, COMPARISON, REVISED)

#: Columns of :func:`compare_tables`.
CHANGE_COLUMNS: tuple[str, ...] = (
    "change", "indicator_id", "indicator_name", "area_code", "area_name", "sex", "age",
    "category_type", "category", "period", "old_value", "new_value", "old_comparison",
    "new_comparison", "old_release", "new_release", "n_areas", "detail",
)

_KEY = list(schema.OBSERVATION_KEY)
_OPTIONAL_KEY = ("age", "category_type", "category")
#: Values closer than this are the same value (the parquet round trip keeps float64 exactly;
#: this only absorbs noise from a re-computed column).
_TOLERANCE = 1e-9


def _polarity(indicator_id: object) -> float:
    try:
        return float(catalogue.indicator_spec(indicator_id).polarity)
    except (UnknownIndicatorError, TypeError, ValueError):
        return np.nan


def _keyed(table: pd.DataFrame) -> pd.DataFrame:
    """The current rows, with the optional key columns as text ("" for none) so they merge."""
    current = schema.current_rows(table) if "current" in table.columns else table
    out = current.copy()
    for col in _OPTIONAL_KEY:
        out[col] = out[col].astype("string").fillna("")
    return out.reset_index(drop=True)


def comparison_with_england(table: pd.DataFrame) -> pd.Series:
    """Each current row's comparison with England (see the module docstring), by row.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy rows (every release, or the current ones).

    Returns
    -------
    pandas.Series
        Labels (``Better``, ``Similar``, ``Worse``, ``Higher``, ``Lower``, ``Not compared``)
        indexed like :func:`_keyed` rows; missing where there is nothing to compare.
    """
    rows = _keyed(table)
    bench_key = ["indicator_id", "sex", "age", "category_type", "category", "period"]
    england = (rows.loc[rows["area_code"] == catalogue.ENGLAND, [*bench_key, "value"]]
               .drop_duplicates(bench_key).rename(columns={"value": "_england"}))
    merged = rows.merge(england, on=bench_key, how="left")
    polarity = merged["indicator_id"].map(
        {i: _polarity(i) for i in merged["indicator_id"].unique()})
    computable = (merged["lower_ci_95"].notna() & merged["upper_ci_95"].notna()
                  & merged["_england"].notna() & polarity.notna()
                  & (merged["area_code"] != catalogue.ENGLAND))
    labels = pd.Series(pd.NA, index=merged.index, dtype="object")
    if computable.any():
        labels[computable] = np.asarray(stats.compare_to_benchmark(
            merged.loc[computable, "value"].to_numpy(dtype=float),
            merged.loc[computable, "lower_ci_95"].to_numpy(dtype=float),
            merged.loc[computable, "upper_ci_95"].to_numpy(dtype=float),
            merged.loc[computable, "_england"].to_numpy(dtype=float),
            polarity[computable].to_numpy(dtype=int)), dtype=object)
    published = merged["compared_to_england"].astype("object")
    use_published = ~computable & published.notna() & (merged["area_code"] != catalogue.ENGLAND)
    labels[use_published] = published[use_published]
    return labels


def _different(old: pd.Series, new: pd.Series) -> pd.Series:
    old_f, new_f = old.astype(float), new.astype(float)
    both = old_f.notna() & new_f.notna()
    return (old_f.isna() != new_f.isna()) | (both & ((old_f - new_f).abs() > _TOLERANCE))


def _names(*tables: pd.DataFrame, column: str, key: str) -> dict:
    out: dict = {}
    for t in tables:
        out.update(t.drop_duplicates(key).set_index(key)[column].to_dict())
    return out


def compare_tables(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """The changes from ``previous`` to ``current`` (see the module docstring).

    Parameters
    ----------
    previous : pandas.DataFrame or None
        The tidy table of the previous refresh; ``None`` when there is none (the result is
        empty, with ``attrs["compared"] = False``).
    current : pandas.DataFrame
        This refresh's tidy table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHANGE_COLUMNS`, rows ordered by :data:`CHANGE_KINDS`, then indicator,
        area, sex and period. ``n_areas`` is filled for period rows; ``old_*``/``new_*`` for
        observation rows. ``attrs["compared"]`` says whether there was a table to compare with.

    Examples
    --------
    >>> compare_tables(None, pd.DataFrame()).attrs["compared"]
    False
    """
    if previous is None:
        out = pd.DataFrame(columns=list(CHANGE_COLUMNS))
        out.attrs["compared"] = False
        return out
    old, new = _keyed(previous), _keyed(current)
    old = old.assign(comparison=comparison_with_england(previous).to_numpy())
    new = new.assign(comparison=comparison_with_england(current).to_numpy())
    ind_names = _names(old, new, column="indicator_name", key="indicator_id")
    area_names = _names(old, new, column="area_name", key="area_code")
    records: list[dict] = []

    old_ids, new_ids = set(old["indicator_id"]), set(new["indicator_id"])
    for kind, ids, side in ((APPEARED, new_ids - old_ids, new), (VANISHED, old_ids - new_ids, old)):
        for i in sorted(ids):
            rows = side.loc[side["indicator_id"] == i]
            records.append({"change": kind, "indicator_id": i, "indicator_name": ind_names[i],
                            "n_areas": rows["area_code"].nunique(),
                            "detail": f"{len(rows):,} rows, periods "
                                      f"{rows.loc[rows['period_start'].idxmin(), 'period']} to "
                                      f"{rows.loc[rows['period_end'].idxmax(), 'period']}"})

    shared = old_ids & new_ids
    old_s = old.loc[old["indicator_id"].isin(shared)]
    new_s = new.loc[new["indicator_id"].isin(shared)]
    old_periods = set(zip(old_s["indicator_id"], old_s["period"], strict=True))
    new_periods = set(zip(new_s["indicator_id"], new_s["period"], strict=True))
    for kind, pairs, side in ((NEW_PERIOD, new_periods - old_periods, new_s),
                              (WITHDRAWN, old_periods - new_periods, old_s)):
        for i, p in sorted(pairs, key=lambda ip: (ip[0], str(ip[1]))):
            rows = side.loc[(side["indicator_id"] == i) & (side["period"] == p)]
            records.append({"change": kind, "indicator_id": i, "indicator_name": ind_names[i],
                            "period": p, "n_areas": rows["area_code"].nunique(),
                            "detail": f"{rows['area_code'].nunique()} area(s)"})

    both_periods = old_periods & new_periods
    in_both = pd.Series([(i, p) in both_periods for i, p in
                         zip(new_s["indicator_id"], new_s["period"], strict=True)],
                        index=new_s.index, dtype=bool)
    old_in = pd.Series([(i, p) in both_periods for i, p in
                        zip(old_s["indicator_id"], old_s["period"], strict=True)],
                       index=old_s.index, dtype=bool)
    cols = [*_KEY, "value", "release", "comparison"]
    merged = old_s.loc[old_in, cols].merge(new_s.loc[in_both, cols], on=_KEY, how="outer",
                                           suffixes=("_old", "_new"), indicator="side")
    revised = _different(merged["value_old"], merged["value_new"])
    for row in merged.loc[revised].itertuples(index=False):
        where = {"left_only": "not in this refresh's table",
                 "right_only": "not in the previous table"}.get(row.side, "")
        records.append(_observation(REVISED, row, ind_names, area_names, detail=where))
    changed = ((merged["side"] == "both") & merged["comparison_old"].notna()
               & merged["comparison_new"].notna()
               & (merged["comparison_old"] != merged["comparison_new"]))
    for row in merged.loc[changed].itertuples(index=False):
        records.append(_observation(COMPARISON, row, ind_names, area_names,
                                    detail=f"{row.comparison_old} to {row.comparison_new}"))

    out = pd.DataFrame.from_records(records, columns=list(CHANGE_COLUMNS))
    if len(out):
        out["_kind"] = out["change"].map(CHANGE_KINDS.index)
        out = out.sort_values(["_kind", "indicator_id", "area_code", "sex", "period"],
                              na_position="first", kind="stable").drop(columns="_kind")
    out = out.reset_index(drop=True)
    for col in ("old_value", "new_value"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in _OPTIONAL_KEY:
        out[col] = out[col].replace("", pd.NA)
    out.attrs["compared"] = True
    logger.info("Changes since the previous table: %s",
                ", ".join(f"{n} {k}" for k, n in count_changes(out).items() if n) or "none")
    return out


def _observation(kind: str, row, ind_names: dict, area_names: dict, *, detail: str) -> dict:
    return {"change": kind, "indicator_id": row.indicator_id,
            "indicator_name": ind_names[row.indicator_id], "area_code": row.area_code,
            "area_name": area_names.get(row.area_code, row.area_code), "sex": row.sex,
            "age": row.age, "category_type": row.category_type, "category": row.category,
            "period": row.period, "old_value": row.value_old, "new_value": row.value_new,
            "old_comparison": row.comparison_old, "new_comparison": row.comparison_new,
            "old_release": row.release_old, "new_release": row.release_new, "detail": detail}


def count_changes(changes: pd.DataFrame) -> dict[str, int]:
    """How many changes of each kind (:data:`CHANGE_KINDS`, every kind present, zero or not).

    Examples
    --------
    >>> count_changes(pd.DataFrame({"change": ["new period", "new period"]}))["new period"]
    2
    """
    counts = changes["change"].value_counts() if len(changes) else pd.Series(dtype=int)
    return {kind: int(counts.get(kind, 0)) for kind in CHANGE_KINDS}
