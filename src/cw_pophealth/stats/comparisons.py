"""Comparing an area with a benchmark the way Fingertips does: single CI overlap (95% or
99.8%), the two-level method and quintiles, each honouring the indicator's polarity.

The labels are the strings Fingertips exports in ``Compared to England value or percentiles``.

References
----------
.. [FTO] ukhsa-collaboration/fingertips-open @6780897, ``PholioVisualisationWS/Analysis``:
   ``SingleOverlappingCIsComparer``, ``SingleOverlappingCIsForTwoCILevelsComparer``,
   ``QuintilesComparer``/``ValueCategoriesCalculator``, ``IndicatorComparer.AdjustForPolarity``.
.. [Next] dhsc-govuk/FingertipsNext @d1600f4, ``BenchmarkComparisonEngine.cs`` and
   ``GetIndicatorDataWithQuintileBenchmarkComparison.sql``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cw_pophealth.catalogue import (
    POLARITY_HIGH_IS_GOOD,
    POLARITY_LOW_IS_GOOD,
    POLARITY_NO_JUDGEMENT,
    POLARITY_NOT_APPLICABLE,
)
from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float,
    broadcast,
    check_ordered,
    check_polarity,
    series_template,
    wrap,
)

logger = logging.getLogger(__name__)

__all__ = ["BEST", "BETTER", "HIGHER", "LOWER", "MUCH_HIGHER", "MUCH_LOWER", "NOT_COMPARED",
           "QUINTILE_LABELS_BOB", "QUINTILE_LABELS_RAG", "SIMILAR", "WORSE", "WORST",
           "compare_to_benchmark", "compare_two_level", "quintile_comparison"]

BETTER = "Better"
SIMILAR = "Similar"
WORSE = "Worse"
HIGHER = "Higher"
LOWER = "Lower"
NOT_COMPARED = "Not compared"
BEST = "Best"
WORST = "Worst"
# Two-level comparison for BOB (polarity 99): Fingertips defines no labels; this package's choice.
MUCH_HIGHER = "Much higher"
MUCH_LOWER = "Much lower"

QUINTILE_LABELS_BOB = ("Lowest", "Low", "Middle", "High", "Highest")
QUINTILE_LABELS_RAG = ("Best", "Better", "Middle", "Worse", "Worst")


def _apply_polarity(raw: np.ndarray, pol: np.ndarray) -> np.ndarray:
    """Map raw "Higher"/"Lower" (and "Much higher"/"Much lower") to polarity labels."""
    out = raw.copy()
    high_good = pol == POLARITY_HIGH_IS_GOOD
    low_good = pol == POLARITY_LOW_IS_GOOD
    mapping = {
        HIGHER: (BETTER, WORSE),
        LOWER: (WORSE, BETTER),
        MUCH_HIGHER: (BEST, WORST),
        MUCH_LOWER: (WORST, BEST),
    }
    for raw_label, (if_high_good, if_low_good) in mapping.items():
        is_raw = raw == raw_label
        out = np.where(is_raw & high_good, if_high_good, out)
        out = np.where(is_raw & low_good, if_low_good, out)
    return out


def compare_to_benchmark(
    value,
    lower,
    upper,
    benchmark,
    polarity,
    *,
    confidence_label: str | None = None,
    is_benchmark=None,
):
    """Fingertips comparator method 1: an area's CI against the benchmark's point value.

    - ``"Not compared"``: value, a limit or the benchmark is missing; polarity is -1; or the row
      is the benchmark itself (``is_benchmark``). Never compare an area with itself.
    - ``"Similar"``: ``lower <= benchmark <= upper`` (inclusive).
    - Otherwise "Higher" if value >= benchmark, "Lower" if below, then mapped by polarity:
      1 (high is good) Higher->"Better", Lower->"Worse"; 0 (low is good) swapped;
      99 (no judgement) stays "Higher"/"Lower".

    The benchmark's own CI is ignored, as on Fingertips. Pass 95% limits for the default
    Fingertips comparison or 99.8% limits for the 99.8% variant.

    Parameters
    ----------
    value, lower, upper : float or array-like
        Area values and their limits.
    benchmark : float or array-like
        Benchmark point value(s), e.g. England's value for the same period and sex.
    polarity : int or array-like of int
        Fingertips polarity id(s): 1, 0, 99 or -1.
    confidence_label : str, optional
        Level of the supplied limits (e.g. ``"95%"``, ``"99.8%"``). Stored in
        ``result.attrs["confidence"]`` when the result is a Series, for legends.
    is_benchmark : bool or array-like of bool, optional
        True for rows that *are* the benchmark area (e.g. ``area_code == "E92000001"``);
        these are labelled "Not compared".

    Returns
    -------
    str, ndarray of str or Series of str
        One label per row (a str for scalar inputs).

    Raises
    ------
    ParameterError
        Unknown polarity ids, lower above upper, mismatched lengths.

    References
    ----------
    [FTO] ``SingleOverlappingCIsComparer`` and ``IndicatorComparer.AdjustForPolarity``;
    [Next] ``BenchmarkComparisonEngine`` (benchmark area returned unbenchmarked).

    Examples
    --------
    >>> compare_to_benchmark(58.5, 55.7, 61.2, 61.5, polarity=1)
    'Worse'
    >>> compare_to_benchmark([58.5, 62.0], [55.7, 59.8], [61.2, 64.4], 61.5, 0).tolist()
    ['Better', 'Similar']
    """
    template = series_template(value, lower, upper, benchmark, polarity, is_benchmark)
    pol = check_polarity(polarity)
    v, lo, hi, b, pol = broadcast(
        ("value", "lower", "upper", "benchmark", "polarity"), (value, lower, upper, benchmark, pol)
    )
    check_ordered(lo, hi, "lower", "upper")
    if is_benchmark is None:
        self_row = np.zeros(v.shape, dtype=bool)
    else:
        raw_mask = (is_benchmark.to_numpy() if isinstance(is_benchmark, pd.Series)
                    else np.asarray(is_benchmark))
        if raw_mask.dtype != bool:
            raise ParameterError("is_benchmark must be boolean (True for the benchmark's rows).")
        self_row = np.broadcast_to(raw_mask, v.shape)
    missing = np.isnan(v) | np.isnan(lo) | np.isnan(hi) | np.isnan(b)
    with np.errstate(invalid="ignore"):
        similar = (lo <= b) & (b <= hi)
        raw = np.where(similar, SIMILAR, np.where(v < b, LOWER, HIGHER)).astype(object)
    labels = _apply_polarity(raw, pol)
    labels = np.where(missing | (pol == POLARITY_NOT_APPLICABLE) | self_row, NOT_COMPARED, labels)
    labels = np.asarray(labels, dtype=object)
    result = wrap(labels, template, name="compared_to_benchmark")
    if isinstance(result, pd.Series) and confidence_label is not None:
        result.attrs["confidence"] = str(confidence_label)
    return result


def compare_two_level(value, lower95, upper95, lower998, upper998, benchmark, polarity):
    """Fingertips comparator method 17: single overlapping CIs at two levels (95% and 99.8%).

    - ``"Similar"``: benchmark inside the 95% CI (inclusive).
    - Benchmark outside the 95% CI but inside the 99.8% CI (inclusive): "Better"/"Worse" by
      polarity ("Higher"/"Lower" for polarity 99).
    - Benchmark outside the 99.8% CI: "Best"/"Worst" by polarity. Fingertips defines no
      no-judgement labels for this level; this package uses "Much higher"/"Much lower".
    - ``"Not compared"``: any input missing (both CIs are required) or polarity -1.

    Note: fingertips-open's ``AdjustForPolarity`` swaps only Better/Worse, so for low-is-good
    indicators its server would label a value far *below* the benchmark "Worst". This function
    applies the polarity to Best/Worst too (far below the benchmark is "Best" when low is good).

    Parameters
    ----------
    value : float or array-like
        Area values.
    lower95, upper95, lower998, upper998 : float or array-like
        95% and 99.8% limits (the 99.8% interval must contain the 95% one).
    benchmark : float or array-like
        Benchmark point value(s).
    polarity : int or array-like of int
        Fingertips polarity id(s).

    Returns
    -------
    str, ndarray of str or Series of str

    Raises
    ------
    ParameterError
        Unknown polarity, lower above upper, or 99.8% limits inside the 95% limits.

    References
    ----------
    [FTO] ``SingleOverlappingCIsForTwoCILevelsComparer``.

    Examples
    --------
    >>> compare_two_level(50.0, 45.0, 55.0, 42.0, 58.0, 43.0, polarity=1)
    'Better'
    >>> compare_two_level(50.0, 45.0, 55.0, 42.0, 58.0, 40.0, polarity=0)
    'Worst'
    """
    template = series_template(value, lower95, upper95, lower998, upper998, benchmark, polarity)
    pol = check_polarity(polarity)
    v, l95, u95, l998, u998, b, pol = broadcast(
        ("value", "lower95", "upper95", "lower998", "upper998", "benchmark", "polarity"),
        (value, lower95, upper95, lower998, upper998, benchmark, pol),
    )
    check_ordered(l95, u95, "lower95", "upper95")
    check_ordered(l998, l95, "lower998", "lower95")
    check_ordered(u95, u998, "upper95", "upper998")
    missing = np.isnan(v) | np.isnan(l95) | np.isnan(u95) | np.isnan(l998) | np.isnan(u998)
    missing |= np.isnan(b)
    with np.errstate(invalid="ignore"):
        in95 = (l95 <= b) & (b <= u95)
        in998 = (l998 <= b) & (b <= u998)
        below = v < b
        raw = np.where(
            in95, SIMILAR,
            np.where(in998, np.where(below, LOWER, HIGHER),
                     np.where(below, MUCH_LOWER, MUCH_HIGHER)),
        ).astype(object)
    labels = _apply_polarity(raw, pol)
    labels = np.where(missing | (pol == POLARITY_NOT_APPLICABLE), NOT_COMPARED, labels)
    return wrap(np.asarray(labels, dtype=object), template, name="compared_to_benchmark")


def _percentile_inc(sorted_values: np.ndarray, fraction: float) -> float:
    """Excel PERCENTILE.INC: rank k = (n-1)p + 1, linear interpolation (R/NumPy type 7)."""
    n = len(sorted_values)
    k = (n - 1) * fraction + 1.0
    if k <= 1.0:
        return float(sorted_values[0])
    if k >= n:
        return float(sorted_values[-1])
    i = int(k)
    d = k - i
    p = sorted_values[i - 1] + d * (sorted_values[i] - sorted_values[i - 1])
    return round(float(p), 10)  # the server rounds away float artefacts (30.8000000000001)


def quintile_comparison(values, polarity):
    """Legacy Fingertips quintiles: place each area's value among the quintiles of all areas.

    Bounds are the minimum, the 20th/40th/60th/80th percentiles (Excel ``PERCENTILE.INC``:
    k = (n-1)p + 1 with linear interpolation, rounded to 10 dp as the server does) and the
    maximum of the valid (non-missing) values; a value goes in the first quintile whose upper
    bound it does not exceed (upper bounds inclusive). At least 5 valid values are needed, else
    every row is "Not compared". FingertipsNext instead uses SQL ``NTILE(5)`` (equal counts), so
    results can differ at the quintile edges; this function follows the legacy server.

    Labels (this package's documented choice, matching FingertipsNext's wording):

    - polarity 99 (BOB): "Lowest", "Low", "Middle", "High", "Highest" by value.
    - polarity 0 (low is good): lowest quintile "Best" ... highest quintile "Worst".
    - polarity 1 (high is good): reversed (categories 1 <-> 5, as the legacy server does):
      highest quintile "Best" ... lowest quintile "Worst".
    - polarity -1: every row "Not compared".

    Parameters
    ----------
    values : array-like
        One value per area (NaN = no value, labelled "Not compared").
    polarity : int
        Fingertips polarity id for the indicator (a single id).

    Returns
    -------
    ndarray of str or Series of str

    Raises
    ------
    ParameterError
        Unknown polarity.

    References
    ----------
    [FTO] ``QuintilesComparer``, ``ValueCategoriesCalculator``; [Next]
    ``GetIndicatorDataWithQuintileBenchmarkComparison.sql``.

    Examples
    --------
    >>> quintile_comparison([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99).tolist()[:4]
    ['Lowest', 'Lowest', 'Low', 'Low']
    >>> quintile_comparison([1, 2, 3], 0).tolist()
    ['Not compared', 'Not compared', 'Not compared']
    """
    if np.ndim(polarity) != 0:
        raise ParameterError("polarity must be a single Fingertips polarity id for quintiles.")
    pol = int(check_polarity(polarity))
    template = series_template(values)
    v = np.atleast_1d(as_float(values, "values")).astype(float)
    labels = np.full(v.shape, NOT_COMPARED, dtype=object)
    valid = np.isfinite(v)
    if valid.sum() < 5 or pol == POLARITY_NOT_APPLICABLE:
        if valid.sum() < 5:
            logger.info("quintile_comparison: %d valid values (< 5); not compared", valid.sum())
        return wrap(labels, template, name="quintile")
    sv = np.sort(v[valid])
    bounds = [_percentile_inc(sv, q / 5.0) for q in (1, 2, 3, 4)]
    category = np.searchsorted(np.asarray(bounds), v[valid], side="left")  # 0..4, upper incl.
    if pol == POLARITY_NO_JUDGEMENT:
        names = QUINTILE_LABELS_BOB
    elif pol == POLARITY_LOW_IS_GOOD:
        names = QUINTILE_LABELS_RAG
    else:
        names = QUINTILE_LABELS_RAG[::-1]
    labels[valid] = np.asarray(names, dtype=object)[category]
    return wrap(labels, template, name="quintile")
