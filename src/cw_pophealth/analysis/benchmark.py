"""Benchmarking: each area's value with its CI and its comparison with a benchmark area."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import catalogue, stats
from cw_pophealth.analysis.releases import earlier_release
from cw_pophealth.analysis.selection import (
    STATUS_OK,
    as_area_frame,
    confidence_columns,
    indicator_rows,
    is_explicit_period,
    latest_period,
    matching_period,
    resolve_periods,
    select,
)
from cw_pophealth.catalogue import indicator_spec
from cw_pophealth.errors import NoDataError
from cw_pophealth.memo import memo
from cw_pophealth.periods import ALL_PERIODS, LATEST

logger = logging.getLogger(__name__)

__all__ = ["SOURCE_COMPUTED", "SOURCE_NONE", "SOURCE_PUBLISHED", "SOURCE_SELF",
           "area_batches", "benchmark_table", "one_benchmark_table"]

#: Comparison-source labels (column ``comparison_source``).
SOURCE_COMPUTED = "computed ({level} CI overlap)"
SOURCE_PUBLISHED = "published by Fingertips"
SOURCE_SELF = "benchmark area (not compared with itself)"
SOURCE_NONE = "not compared: {why}"


def _live_pull_note(spec, area_name: str) -> str:
    """The status of an area with no value offline, saying what a live pull would add."""
    if catalogue.is_local_indicator(spec.indicator_id):
        return f"No data in snapshot for {area_name} ({spec.indicator_id})"
    return (f"No data in snapshot for {area_name} ({spec.indicator_id}): a live pull "
            f"(cw-pophealth pull) would fetch Fingertips {spec.indicator_id} for it")


@dataclass(frozen=True)
class _IndicatorContext:
    """What a benchmark table needs of one indicator, whatever the areas asked for."""

    rows: pd.DataFrame  # the indicator's current rows for the sexes asked for
    bench_rows: pd.DataFrame  # the benchmark's current rows
    keyed: pd.DataFrame  # rows indexed by area, sex and period
    bench_current: pd.DataFrame  # bench_rows indexed by sex and period
    bench_by_release: pd.Series  # the benchmark's value by sex, period and release (every one)
    bounds: dict[str, pd.Timestamp]  # each period's first day (periods of every release)
    bench_name: str
    valued_codes: set[str]  # areas with at least one current value
    latest: dict[tuple[str, str], str]  # each (area, sex)'s latest period with a current value
    bench_latest: str | None  # the benchmark's latest period with a value, if it has one


def _indicator_context(table: pd.DataFrame, indicator_id: int, sexes: tuple[str, ...],
                       benchmark_code: str) -> _IndicatorContext:
    """:class:`_IndicatorContext`, computed once per table (a fan-out asks it once per area)."""
    def compute() -> _IndicatorContext:
        every = indicator_rows(table, indicator_id)
        rows = select(every, sex=list(sexes))
        bench_rows = rows.loc[rows["area_code"] == benchmark_code]
        every_bench = select(every, sex=list(sexes), area_codes=[benchmark_code],
                             current_only=False)
        valued = rows.dropna(subset=["value"])
        valued_bench = bench_rows.dropna(subset=["value"])
        latest = (valued.sort_values(["period_end", "period_start"])
                  .groupby(["area_code", "sex"])["period"].last())
        return _IndicatorContext(
            rows=rows, bench_rows=bench_rows,
            keyed=rows.set_index(["area_code", "sex", "period"]),
            bench_current=bench_rows.set_index(["sex", "period"]),
            bench_by_release=every_bench.set_index(["sex", "period", "release"])["value"],
            bounds=every.drop_duplicates("period").set_index("period")["period_start"].to_dict(),
            bench_name=str(as_area_frame([benchmark_code], table)["area_name"].iloc[0]),
            valued_codes=set(valued["area_code"]),
            latest={(str(a), str(s)): str(p) for (a, s), p in latest.items()},
            bench_latest=None if valued_bench.empty else latest_period(valued_bench))

    return memo(table, ("benchmark context", indicator_id, sexes, benchmark_code), compute)


def area_batches(table: pd.DataFrame, indicator: Any, codes: list[str], benchmark_code: str,
                 *, period: Any, sexes: Any = None) -> list[list[str]]:
    """``codes`` in groups that :func:`one_benchmark_table` may take together, each area
    getting the rows it would get alone.

    The periods shown do not depend on the other areas asked for with explicit period labels,
    or with each area's latest period when the benchmark has a value (its latest period is the
    fallback): then all codes are one group. Otherwise (``"all"`` periods, or a benchmark
    without values) they are resolved over the areas asked for together: the areas without a
    value make one group (they all get no period) and each other area is a group of its own.
    """
    codes = list(codes)
    spec = indicator_spec(indicator)
    if is_explicit_period(period):
        return [codes]
    sexes = list(spec.sexes) if sexes is None else ([sexes] if isinstance(sexes, str)
                                                     else list(sexes))
    ctx = _indicator_context(table, spec.indicator_id, tuple(sexes), benchmark_code)
    if str(period).strip().lower() != ALL_PERIODS and ctx.bench_latest is not None:
        return [codes]
    without = [c for c in codes if c not in ctx.valued_codes]
    return ([without] if without else []) + [[c] for c in codes if c in ctx.valued_codes]


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
    per_area = not is_explicit_period(period) and str(period).strip().lower() != ALL_PERIODS
    period_notes: dict[str, str] = {}
    if is_explicit_period(period):
        # Requested labels are kept even where this indicator lacks them: those rows say
        # "No value for <area> in <period>" (benchmark_table raises if no indicator has them).
        periods = [str(p).strip() for p in ([period] if isinstance(period, str) else period)]
        # A label of another period type (2022/23 for a calendar-year indicator) takes the
        # indicator's own matching period, and every row says which it used.
        matched = [matching_period(p, ctx.bounds) for p in periods]
        period_notes = {m: note for (m, note) in matched if m is not None and note}
        periods = [m if m is not None else p for p, (m, _) in zip(periods, matched,
                                                                   strict=True)]
    elif not has_any and ctx.bench_latest is None:
        periods = []
    elif per_area and ctx.bench_latest is not None:
        # Each area shows its own latest period; rows without data show the benchmark's.
        periods = [ctx.bench_latest]
    else:
        rows = ind_rows.loc[ind_rows["area_code"].isin(codes)]
        periods = resolve_periods(pd.concat([rows, bench_rows]), LATEST if per_area else period,
                                  preferred=bench_rows if per_area else None, what=what)
    bounds, keyed, bname = ctx.bounds, ctx.keyed, ctx.bench_name
    bench_by_release, bench_current, latest = ctx.bench_by_release, ctx.bench_current, ctx.latest

    def benchmark(sex: str, per: Any, release: Any = None) -> tuple[float, Any]:
        """The benchmark's value for a sex and period: of the same release when it has one."""
        if pd.isna(per):
            return np.nan, pd.NA
        if release is not None and (sex, per, release) in bench_by_release.index:
            found = bench_by_release.loc[(sex, per, release)]
            return float(np.asarray(found).ravel()[0]), release
        if (sex, per) in bench_current.index:
            row = bench_current.loc[(sex, per)]
            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
            return float(row["value"]), row["release"]
        return np.nan, pd.NA

    records = []
    for area in area_frame.itertuples(index=False):
        if area.area_code not in has_any:
            # One explicit row per sex; with a single period the benchmark value is kept so
            # tables and charts can still show it beside "no data".
            per = periods[-1] if len(periods) == 1 else pd.NA
            for sex in sexes:
                value, release = benchmark(sex, per)
                records.append({
                    "area_code": area.area_code, "area_name": area.area_name,
                    "role": area.role, "sex": sex, "period": per, "benchmark_value": value,
                    "benchmark_release": release,
                    "status": _live_pull_note(spec, area.area_name),
                })
            continue
        for sex in sexes:
            if per_area:
                own = latest.get((area.area_code, sex))
                area_periods = [own] if own is not None else []
                if not area_periods:
                    records.append({"area_code": area.area_code, "area_name": area.area_name,
                                    "role": area.role, "sex": sex, "period": pd.NA,
                                    "benchmark_value": np.nan, "benchmark_release": pd.NA,
                                    "status": _live_pull_note(spec, f"{area.area_name}, {sex}")})
                    continue
            else:
                area_periods = periods
            for per in area_periods:
                rec = {"area_code": area.area_code, "area_name": area.area_name,
                       "role": area.role, "sex": sex, "period": per}
                key = (area.area_code, sex, per)
                release = None
                if key in keyed.index:
                    row = keyed.loc[key]
                    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
                    release = row["release"]
                    rec.update(value=row["value"], lower=row[lo_col], upper=row[hi_col],
                               published_comparison=row["compared_to_england"],
                               value_note=row["value_note"], source=row["source"],
                               source_ref=row["source_ref"], release=release,
                               release_date=row["release_date"])
                    rec["status"] = (STATUS_OK if pd.notna(row["value"]) else
                                     "Value missing in source" + (
                                         f" ({row['value_note']})"
                                         if pd.notna(row["value_note"]) else ""))
                else:
                    rec["status"] = (f"No value for {area.area_name} in {per} "
                                     f"({spec.indicator_id})")
                rec["benchmark_value"], rec["benchmark_release"] = benchmark(sex, per, release)
                records.append(rec)
    out = pd.DataFrame.from_records(records)
    for col in ("value", "lower", "upper", "benchmark_value"):
        out[col] = pd.to_numeric(out.get(col), errors="coerce").astype("float64")
    for col in ("period", "published_comparison", "value_note", "source", "source_ref",
                "release", "benchmark_release"):
        # Missing is always pd.NA (rows without the field would otherwise hold NaN), so an
        # area's rows are the same whichever areas are asked for with it.
        out[col] = (out[col].astype(object).where(out[col].notna(), pd.NA)
                    if col in out.columns else pd.NA)
    out["release_date"] = pd.to_datetime(out.get("release_date", pd.Series(pd.NaT,
                                                                            index=out.index)))
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
        earlier_release=earlier_release(pd.Series(spec.indicator_id, index=out.index),
                                        out["release_date"], table),
        period_note=out["period"].map(lambda p: period_notes.get(p, "") if pd.notna(p)
                                      else ""),
    )
    columns = ["indicator_id", "indicator_key", "indicator_name", "unit", "value_type",
               "polarity", "area_code", "area_name", "role", "sex", "period", "period_start",
               "value", "lower", "upper", "confidence", "benchmark_code", "benchmark_name",
               "benchmark_value", "comparison", "comparison_source", "computed_comparison",
               "published_comparison", "agrees_with_published", "status", "value_note",
               "source", "source_ref", "release", "release_date", "earlier_release",
               "benchmark_release", "period_note"]
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
        ``"latest"``: each area its own latest period with a value (areas without data show
        the benchmark's latest period); ``"all"`` or period label(s).
    sex : str or sequence of str, optional
        Defaults to the sexes the indicator is published for.
    confidence : {0.95, 0.998}
        Which published limits to compare with.

    The benchmark value of each row is the benchmark's value for the same period **in the same
    release** as the row when the data hold it (so a January 2020 Warwickshire value is compared
    with England as Fingertips published it in January 2020), else the benchmark's current
    value for that period; ``benchmark_release`` says which. ``release``, ``release_date`` and
    ``earlier_release`` (more than a year older than the indicator's newest release:
    :func:`cw_pophealth.analysis.releases.earlier_release`) describe each row's release.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x area x sex x period (an area with no data at all for an
        indicator gets one row with ``status`` "No data in snapshot for <area> (<id>)",
        followed for Fingertips indicators by what a live pull would fetch).

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
    if area_frame.attrs.get("area_note"):
        out.attrs["area_note"] = area_frame.attrs["area_note"]
    out.attrs["period"] = period if isinstance(period, str) else ", ".join(map(str, period))
    if len(out) and "period_note" in out and (out["period_note"] != "").any():
        notes = out.loc[out["period_note"] != ""].drop_duplicates("indicator_id")
        out.attrs["period_note"] = "; ".join(
            f"{r.indicator_name} ({r.indicator_id}): {r.period_note}"
            for r in notes.itertuples(index=False))
    logger.info("Benchmark table: %d rows for %d indicator(s) and %d area(s) vs %s", len(out),
                len(specs), len(area_frame), benchmark_code)
    return out

