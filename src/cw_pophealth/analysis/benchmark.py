"""Benchmarking: each area's value with its CI and its comparison with a benchmark area."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import catalogue, stats
from cw_pophealth.analysis.selection import (
    STATUS_OK,
    as_area_frame,
    confidence_columns,
    indicator_rows,
    is_explicit_period,
    latest_period,
    resolve_periods,
    select,
)
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.errors import NoDataError
from cw_pophealth.memo import memo
from cw_pophealth.periods import LATEST

logger = logging.getLogger(__name__)

__all__ = ["SOURCE_COMPUTED", "SOURCE_NONE", "SOURCE_PUBLISHED", "SOURCE_SELF",
           "benchmark_table", "one_benchmark_table"]

#: Comparison-source labels (column ``comparison_source``).
SOURCE_COMPUTED = "computed ({level} CI overlap)"
SOURCE_PUBLISHED = "published by Fingertips"
SOURCE_SELF = "benchmark area (not compared with itself)"
SOURCE_NONE = "not compared: {why}"


@dataclass(frozen=True)
class _IndicatorContext:
    """What a benchmark table needs of one indicator, whatever the areas asked for."""

    rows: pd.DataFrame  # the indicator's rows for the sexes asked for
    bench_rows: pd.DataFrame
    keyed: pd.DataFrame  # rows indexed by area, sex and period
    bench: pd.Series  # the benchmark's value by sex and period
    bounds: dict[str, pd.Timestamp]  # each period's first day
    bench_name: str
    valued_codes: set[str]  # areas with at least one value
    bench_latest: str | None  # the benchmark's latest period with a value, if it has one


def _indicator_context(table: pd.DataFrame, indicator_id: int, sexes: tuple[str, ...],
                       benchmark_code: str) -> _IndicatorContext:
    """:class:`_IndicatorContext`, computed once per table (a fan-out asks it once per area)."""
    def compute() -> _IndicatorContext:
        rows = select(indicator_rows(table, indicator_id), sex=list(sexes))
        bench_rows = rows.loc[rows["area_code"] == benchmark_code]
        valued_bench = bench_rows.dropna(subset=["value"])
        return _IndicatorContext(
            rows=rows, bench_rows=bench_rows,
            keyed=rows.set_index(["area_code", "sex", "period"]),
            bench=bench_rows.set_index(["sex", "period"])["value"],
            bounds=rows.drop_duplicates("period").set_index("period")["period_start"].to_dict(),
            bench_name=str(as_area_frame([benchmark_code], table)["area_name"].iloc[0]),
            valued_codes=set(rows.dropna(subset=["value"])["area_code"]),
            bench_latest=None if valued_bench.empty else latest_period(valued_bench))

    return memo(table, ("benchmark context", indicator_id, sexes, benchmark_code), compute)


def one_benchmark_table(table: pd.DataFrame, indicator: Any, area_frame: pd.DataFrame,
                        benchmark_code: str, *, polarity: int | None, period: Any, sexes: Any,
                        confidence: float) -> pd.DataFrame:
    """:func:`benchmark_table` for one indicator and an :func:`as_area_frame` of areas."""
    spec = indicator_spec(indicator)
    pol = spec.polarity if polarity is None else int(polarity)
    sexes = list(spec.sexes) if sexes is None else ([sexes] if isinstance(sexes, str)
                                                     else list(sexes))
    lo_col, hi_col, level = confidence_columns(confidence)
    codes = list(area_frame["area_code"])
    ctx = _indicator_context(table, spec.indicator_id, tuple(sexes), benchmark_code)
    ind_rows, bench_rows = ctx.rows, ctx.bench_rows
    has_any = ctx.valued_codes & set(codes)
    what = f"{spec.short_name} ({spec.indicator_id})"
    if is_explicit_period(period):
        # Requested labels are kept even where this indicator lacks them: those rows say
        # "No value for <area> in <period>" (benchmark_table raises if no indicator has them).
        periods = [str(p).strip() for p in ([period] if isinstance(period, str) else period)]
    elif not has_any and ctx.bench_latest is None:
        periods = []
    elif ctx.bench_latest is not None and (period is None or (
            isinstance(period, str) and period.strip().lower() == LATEST)):
        periods = [ctx.bench_latest]  # "latest" follows the benchmark when it has values
    else:
        rows = ind_rows.loc[ind_rows["area_code"].isin(codes)]
        periods = resolve_periods(pd.concat([rows, bench_rows]), period, preferred=bench_rows,
                                  what=what)
    bounds, keyed, bench, bname = ctx.bounds, ctx.keyed, ctx.bench, ctx.bench_name
    records = []
    for area in area_frame.itertuples(index=False):
        if area.area_code not in has_any:
            # One explicit row per sex; with a single period the benchmark value is kept so
            # tables and charts can still show it beside "no data".
            per = periods[-1] if len(periods) == 1 else pd.NA
            for sex in sexes:
                records.append({
                    "area_code": area.area_code, "area_name": area.area_name,
                    "role": area.role, "sex": sex, "period": per,
                    "benchmark_value": bench.get((sex, per), np.nan) if pd.notna(per)
                    else np.nan,
                    "status": f"No data in snapshot for {area.area_name} ({spec.indicator_id})",
                })
            continue
        for sex in sexes:
            for per in periods:
                rec = {"area_code": area.area_code, "area_name": area.area_name,
                       "role": area.role, "sex": sex, "period": per}
                key = (area.area_code, sex, per)
                if key in keyed.index:
                    row = keyed.loc[key]
                    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
                    rec.update(value=row["value"], lower=row[lo_col], upper=row[hi_col],
                               published_comparison=row["compared_to_england"],
                               value_note=row["value_note"], source=row["source"],
                               source_ref=row["source_ref"])
                    rec["status"] = (STATUS_OK if pd.notna(row["value"]) else
                                     "Value missing in source" + (
                                         f" ({row['value_note']})"
                                         if pd.notna(row["value_note"]) else ""))
                else:
                    rec["status"] = (f"No value for {area.area_name} in {per} "
                                     f"({spec.indicator_id})")
                rec["benchmark_value"] = bench.get((sex, per), np.nan)
                records.append(rec)
    out = pd.DataFrame.from_records(records)
    for col in ("value", "lower", "upper", "benchmark_value"):
        out[col] = pd.to_numeric(out.get(col), errors="coerce").astype("float64")
    for col in ("published_comparison", "value_note", "source", "source_ref"):
        if col not in out.columns:
            out[col] = pd.NA
    is_self = (out["area_code"] == benchmark_code).to_numpy(dtype=bool)
    out["computed_comparison"] = np.asarray(stats.compare_to_benchmark(
        out["value"].to_numpy(), out["lower"].to_numpy(), out["upper"].to_numpy(),
        out["benchmark_value"].to_numpy(), pol, is_benchmark=is_self), dtype=object)
    has_ci = out["lower"].notna() & out["upper"].notna()
    published = out["published_comparison"].astype("object").where(
        out["published_comparison"].notna(), None)
    use_published = (~has_ci & published.notna() & (benchmark_code == catalogue.ENGLAND)
                     & out["value"].notna() & ~is_self)
    out["comparison"] = np.where(use_published, published, out["computed_comparison"])
    why = np.select(
        [out["value"].isna(), out["benchmark_value"].isna(), pd.Series(pol == -1,
                                                                       index=out.index)],
        ["no value", f"no {bname} value for this period", "polarity not applicable"],
        default="no confidence interval in the data and no published label",
    )
    out["comparison_source"] = np.select(
        [is_self, has_ci & out["value"].notna() & out["benchmark_value"].notna() & (pol != -1),
         use_published],
        [SOURCE_SELF, SOURCE_COMPUTED.format(level=level), SOURCE_PUBLISHED],
        default=pd.Series(why).map(lambda w: SOURCE_NONE.format(why=w)).to_numpy(),
    )
    computed_cmp = out["computed_comparison"].where(has_ci & ~is_self)
    out["agrees_with_published"] = pd.array(
        [pd.NA if (pd.isna(c) or pd.isna(p)) else bool(c == p)
         for c, p in zip(computed_cmp, published, strict=True)], dtype="boolean")
    out = out.assign(
        indicator_id=spec.indicator_id, indicator_key=spec.key, indicator_name=spec.short_name,
        unit=spec.unit, value_type=spec.value_type, polarity=pol, confidence=level,
        benchmark_code=benchmark_code, benchmark_name=bname,
        period_start=pd.to_datetime(out["period"].map(bounds)),
    )
    columns = ["indicator_id", "indicator_key", "indicator_name", "unit", "value_type",
               "polarity", "area_code", "area_name", "role", "sex", "period", "period_start",
               "value", "lower", "upper", "confidence", "benchmark_code", "benchmark_name",
               "benchmark_value", "comparison", "comparison_source", "computed_comparison",
               "published_comparison", "agrees_with_published", "status", "value_note",
               "source", "source_ref"]
    return out.loc[:, columns]


def benchmark_table(table: pd.DataFrame, indicators: Any, areas: Any,
                    benchmark_code: str = catalogue.ENGLAND, *, polarity: int | None = None,
                    period: Any = LATEST, sex: Any = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Values with CIs and their comparison with a benchmark area, Fingertips style.

    The comparison is computed with :func:`cw_pophealth.stats.compare_to_benchmark`
    (Fingertips method 1: the area's CI against the benchmark's value, by polarity). Where a row
    has no CI (the ``trafford_themes`` extracts publish values only) the label Fingertips
    published in ``compared_to_england`` is shown instead, when the benchmark is England; the
    ``comparison_source`` column says which ("computed (95% CI overlap)" or "published by
    Fingertips"), and ``computed_comparison``/``published_comparison``/
    ``agrees_with_published`` keep both for cross-checking. The benchmark area is never
    compared with itself.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table.
    indicators : str, int or sequence
        Catalogue key(s) (``"smoking"``) or Fingertips id(s).
    areas : str, sequence of str or pandas.DataFrame
        Area codes or an :func:`area_selection` frame.
    benchmark_code : str, default England (E92000001)
        The benchmark area (England or a region).
    polarity : int, optional
        Override the catalogue polarity (1, 0, 99, -1).
    period : str or sequence of str, default "latest"
        ``"latest"`` (per indicator: the latest period with a benchmark value, else with any
        area value), ``"all"`` or period label(s).
    sex : str or sequence of str, optional
        Defaults to the sexes the indicator is published for.
    confidence : {0.95, 0.998}
        Which published limits to compare with.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x area x sex x period (an area with no data at all for an
        indicator gets one row with ``status`` "No data in snapshot for <area> (<id>)").

    Raises
    ------
    NoDataError
        If a requested period label is absent for every area and the benchmark.
    cw_pophealth.errors.UnknownIndicatorError
        For an unknown indicator key or id.
    """
    specs = [indicators] if isinstance(indicators, (str, int, np.integer)) else list(indicators)
    area_frame = as_area_frame(areas, table)
    benchmark_code = str(benchmark_code).strip().upper()
    parts = [
        one_benchmark_table(table, ind, area_frame, benchmark_code, polarity=polarity,
                            period=period, sexes=sex, confidence=confidence)
        for ind in specs
    ]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if is_explicit_period(period) and len(out) and out["value"].isna().all():
        codes = ", ".join(area_frame["area_code"])
        raise NoDataError(f"period={period!r} has no data for indicator(s) "
                          f"{', '.join(map(str, out['indicator_id'].unique()))} in {codes}.")
    logger.info("Benchmark table: %d rows for %d indicator(s) and %d area(s) vs %s", len(out),
                len(specs), len(area_frame), benchmark_code)
    return out

