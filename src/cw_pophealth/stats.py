"""Statistical methods that reproduce what OHID Fingertips publishes.

One small function per method, each citing its source. Every function takes scalars, NumPy
arrays or pandas Series (Series are matched by position, and their index is kept on the result;
Series passed together must share one index). Missing values (NaN) pass through as NaN, or as
``"Not compared"`` / ``"Cannot be calculated"`` for the labelling functions. Invalid inputs
(negative counts, a count above its denominator, a confidence level outside (0, 1), lower limits
above upper limits, ...) raise :class:`cw_pophealth.errors.ParameterError` before anything is
computed.

All normal quantiles come from :func:`z_value` (``scipy.stats.norm.ppf``), never a literal 1.96.
The one deliberate exception is the recent-trend test, which divides a 95% CI width by 3.92
because the Fingertips server does (see :func:`recent_trend`).

The methods are written from the published formulas. The GPL-3 reference packages
(PHEindicatormethods, PHStatsMethods) were used only as independent checks in the tests, never
as a source of code.

References
----------
.. [TG-CI] Public Health England (2018). *Technical Guide - Confidence Intervals*. Public Health
   Data Science, 25 May 2018, appendices 1-4.
.. [Wilson] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *J Am Stat Assoc* 22, 209-212.
.. [Byar] Breslow, N. E. & Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II*.
   IARC, Lyon (Byar's approximation to the exact Poisson limits, p. 69).
.. [Dobson] Dobson, A. J., Kuulasmaa, K., Eberle, E. & Scherer, J. (1991). Confidence intervals
   for weighted sums of Poisson parameters. *Stat Med* 10, 457-462.
.. [ESP2013] Eurostat (2013). *Revision of the European Standard Population*. Luxembourg.
.. [TM] OHID Fingertips. *Trend markers* (public-health technical guidance):
   https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Presentation/Trend_markers.html
.. [FTO] ukhsa-collaboration/fingertips-open @6780897, ``PholioVisualisationWS/Analysis``:
   ``SingleOverlappingCIsComparer``, ``SingleOverlappingCIsForTwoCILevelsComparer``,
   ``QuintilesComparer``/``ValueCategoriesCalculator``, ``TrendMarkers/TrendMarkerCalculator``.
.. [Next] dhsc-govuk/FingertipsNext @d1600f4, ``BenchmarkComparisonEngine.cs`` and
   ``GetIndicatorDataWithQuintileBenchmarkComparison.sql``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cw_pophealth.catalogue import (
    POLARITY_HIGH_IS_GOOD,
    POLARITY_LOW_IS_GOOD,
    POLARITY_NO_JUDGEMENT,
    POLARITY_NOT_APPLICABLE,
)
from cw_pophealth.errors import ParameterError

logger = logging.getLogger(__name__)

__all__ = [
    "BETTER",
    "BEST",
    "CANNOT_BE_CALCULATED",
    "ESP2013",
    "HIGHER",
    "LOWER",
    "NOT_COMPARED",
    "NO_SIGNIFICANT_CHANGE",
    "SIMILAR",
    "TREND_CHI2_THRESHOLD",
    "WINDOW_OF_NEED_METHOD",
    "WORSE",
    "WORST",
    "DSRResult",
    "TrendResult",
    "byars_ci",
    "ci_from_se",
    "compare_to_benchmark",
    "compare_two_level",
    "dsr_ci",
    "dsr_table",
    "normalise_age_band",
    "quintile_comparison",
    "rate_ci",
    "recent_trend",
    "rescale_symmetric_ci",
    "se_from_ci",
    "wilson_ci",
    "window_of_need_ci",
    "z_value",
]

# --------------------------------------------------------------------------------------------
# Labels (the strings Fingertips exports in "Compared to England value or percentiles")
# --------------------------------------------------------------------------------------------
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

NO_SIGNIFICANT_CHANGE = "No significant change"
CANNOT_BE_CALCULATED = "Cannot be calculated"

_VALID_POLARITIES = (
    POLARITY_HIGH_IS_GOOD,
    POLARITY_LOW_IS_GOOD,
    POLARITY_NO_JUDGEMENT,
    POLARITY_NOT_APPLICABLE,
)

#: chi-square(1) at 99.8% = 9.549536; the Fingertips recent-trend significance threshold [TM].
TREND_CHI2_THRESHOLD = float(_sps.chi2.ppf(0.998, df=1))

#: Divisor the Fingertips trend calculator uses to turn a 95% CI width into an SE [FTO]:
#: 2 x 1.96, written as the literal 3.92 on the server. Kept so trend results match Fingertips.
FINGERTIPS_TREND_CI_DIVISOR = 3.92

#: Method note for figures that show LE - HLE with an interval (FEATURE-ANCHORS d6).
WINDOW_OF_NEED_METHOD = (
    "Window of need = life expectancy minus healthy life expectancy (years lived in not-good "
    "health). Approximate, conservative interval: SE = sqrt(SE_LE^2 + SE_HLE^2), each SE taken "
    "from its published symmetric 95% CI. It overstates the uncertainty (too wide) because LE "
    "and HLE share one life table and are positively correlated; no official CI for the gap "
    "is published. Valid only when LE and HLE come from the same ONS release, period, sex and "
    "geography."
)

#: European Standard Population 2013 [ESP2013], 19 age bands (0-4 ... 85-89, 90+), total 100,000.
#: Keys are normalised age-band labels (see :func:`normalise_age_band`); read-only.
ESP2013: Mapping[str, int] = MappingProxyType(
    {
        "0-4": 5000, "5-9": 5500, "10-14": 5500, "15-19": 5500, "20-24": 6000,
        "25-29": 6000, "30-34": 6500, "35-39": 7000, "40-44": 7000, "45-49": 7000,
        "50-54": 7000, "55-59": 6500, "60-64": 6000, "65-69": 5500, "70-74": 5000,
        "75-79": 4000, "80-84": 2500, "85-89": 1500, "90+": 1000,
    }
)


# --------------------------------------------------------------------------------------------
# Input helpers
# --------------------------------------------------------------------------------------------
def _check_confidence(confidence: Any, name: str = "confidence") -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)):
        raise ParameterError(
            f"{name} must be a number strictly between 0 and 1 (e.g. 0.95 or 0.998); "
            f"got {confidence!r}."
        )
    c = float(confidence)
    if not (0.0 < c < 1.0):
        raise ParameterError(
            f"{name} must be strictly between 0 and 1 (e.g. 0.95 for 95%, 0.998 for 99.8%); "
            f"got {confidence!r}. Pass a fraction, not a percentage."
        )
    return c


def _check_positive_number(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name} must be a positive number; got {x!r}.")
    v = float(x)
    if not (v > 0 and math.isfinite(v)):
        raise ParameterError(f"{name} must be a positive, finite number; got {x!r}.")
    return v


def _check_counts(x: np.ndarray) -> None:
    """Event counts must not be negative (missing values pass and give NaN results)."""
    with np.errstate(invalid="ignore"):
        if np.any(x < 0):
            raise ParameterError("count must be >= 0 (a number of events); got a negative value.")


def _check_denominators(n: np.ndarray) -> None:
    """Denominators must be positive (missing values pass and give NaN results)."""
    with np.errstate(invalid="ignore"):
        if np.any(n <= 0):
            raise ParameterError("denominator must be > 0; got zero or a negative value.")


def _as_float(x: Any, name: str) -> np.ndarray:
    """Turn a scalar, list, array or Series into a float array (NaN for missing)."""
    if isinstance(x, (pd.Series, pd.Index)):
        try:
            return x.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{name} must be numeric; got dtype {x.dtype}.") from exc
    if x is None:
        return np.asarray(np.nan)
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be numeric (a number, array or Series).") from exc


def _series_template(*inputs: Any) -> pd.Series | None:
    """Return the first Series among ``inputs`` after checking that all Series share an index."""
    series = [x for x in inputs if isinstance(x, pd.Series)]
    if not series:
        return None
    first = series[0]
    for other in series[1:]:
        if not first.index.equals(other.index):
            raise ParameterError(
                "The pandas Series passed together must share one index (values are matched "
                "by position). Align them first, e.g. with DataFrame columns or .reindex()."
            )
    return first


def _broadcast(names: Sequence[str], values: Sequence[Any]) -> list[np.ndarray]:
    arrays = [_as_float(v, n) for n, v in zip(names, values, strict=True)]
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, arrays, strict=True))
        raise ParameterError(
            f"Inputs have incompatible lengths: {shapes}. Pass equal-length arrays or scalars."
        ) from exc


def _wrap(result: np.ndarray, template: pd.Series | None, *, name: str | None = None) -> Any:
    """Give ``result`` the shape of the inputs: float/str for scalars, Series if one came in."""
    if template is not None:
        return pd.Series(result, index=template.index, name=name)
    if np.ndim(result) == 0:
        item = np.asarray(result).item()
        return float(item) if isinstance(item, (float, int, np.floating)) else item
    return result


def _check_polarity(polarity: Any) -> np.ndarray:
    pol = _as_float(polarity, "polarity")
    flat = np.ravel(pol)
    bad = sorted({p for p in flat.tolist() if p not in _VALID_POLARITIES or math.isnan(p)})
    if bad:
        raise ParameterError(
            "polarity must be a Fingertips polarity id: 1 (high is good), 0 (low is good), "
            f"99 (no judgement, BOB) or -1 (not applicable); got {bad}."
        )
    return pol


def _check_ordered(lower: np.ndarray, upper: np.ndarray, lname: str, uname: str) -> None:
    with np.errstate(invalid="ignore"):
        wrong = lower > upper
    if np.any(wrong):
        i = int(np.flatnonzero(np.ravel(wrong))[0])
        raise ParameterError(
            f"{lname} is above {uname} (first at position {i}: "
            f"{np.ravel(lower)[i]} > {np.ravel(upper)[i]}). Check the columns are not swapped."
        )


# --------------------------------------------------------------------------------------------
# z, proportions, counts and rates
# --------------------------------------------------------------------------------------------
def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile z = Phi^-1(1 - alpha/2) for a confidence level.

    Parameters
    ----------
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1 (0.95, 0.998, ...).

    Returns
    -------
    float
        1.959964 for 95%, 3.090232 for 99.8%.

    Raises
    ------
    ParameterError
        If ``confidence`` is not a number in (0, 1).

    References
    ----------
    [TG-CI] section "Notation": use the exact quantile, not the rounded 1.96.

    Examples
    --------
    >>> round(z_value(0.95), 6), round(z_value(0.998), 6)
    (1.959964, 3.090232)
    """
    c = _check_confidence(confidence)
    return float(_sps.norm.ppf(0.5 + c / 2.0))


def wilson_ci(count, denominator, confidence: float = 0.95, multiplier: float = 100.0):
    """Wilson score interval for a proportion x/n.

    ``L, U = (2x + z^2 -/+ z*sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``, times ``multiplier``.
    x = 0 gives L = 0 and x = n gives U = 1 (set exactly, free of rounding error).

    Parameters
    ----------
    count : float or array-like
        Events x, with 0 <= x <= n. Non-integer (weighted) counts are accepted.
    denominator : float or array-like
        Sample size n > 0.
    confidence : float, default 0.95
        Confidence level in (0, 1).
    multiplier : float, default 100.0
        Scale of the result (100 for a percentage, 1 for a proportion).

    Returns
    -------
    tuple of (lower, upper)
        Floats for scalar inputs, otherwise arrays (or Series, keeping the input's index).
        NaN where an input is missing.

    Raises
    ------
    ParameterError
        Negative counts, non-positive denominators, count > denominator, bad confidence or
        multiplier.

    References
    ----------
    [Wilson]; [TG-CI] Appendix 3.

    Examples
    --------
    >>> lo, hi = wilson_ci(30, 100)
    >>> round(lo, 3), round(hi, 3)
    (21.895, 39.585)
    """
    z = z_value(confidence)
    mult = _check_positive_number(multiplier, "multiplier")
    template = _series_template(count, denominator)
    x, n = _broadcast(("count", "denominator"), (count, denominator))
    _check_counts(x)
    _check_denominators(n)
    with np.errstate(invalid="ignore"):
        if np.any(x > n):
            raise ParameterError(
                "count must not exceed denominator (a proportion is at most 1); check that the "
                "numerator and denominator columns are not swapped."
            )
        z2 = z * z
        root = z * np.sqrt(z2 + 4.0 * x * (1.0 - x / n))
        lower = (2.0 * x + z2 - root) / (2.0 * (n + z2))
        upper = (2.0 * x + z2 + root) / (2.0 * (n + z2))
        lower = np.where(x == 0, 0.0, np.clip(lower, 0.0, 1.0)) * mult
        upper = np.where(x == n, 1.0, np.clip(upper, 0.0, 1.0)) * mult
    return _wrap(lower, template, name="lower"), _wrap(upper, template, name="upper")


def byars_ci(count, confidence: float = 0.95):
    """Confidence limits for a Poisson count: Byar's for x >= 10, exact below 10.

    Byar's (x >= 10)::

        L = x (1 - 1/(9x) - z/(3 sqrt(x)))^3
        U = (x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3

    Exact (x < 10): ``L = chi2_{alpha/2}(2x) / 2`` (0 when x = 0) and
    ``U = chi2_{1-alpha/2}(2x + 2) / 2``.

    Parameters
    ----------
    count : float or array-like
        Observed count x >= 0.
    confidence : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    tuple of (lower, upper)
        Limits on the count scale (divide by a denominator for a rate: see :func:`rate_ci`).

    Raises
    ------
    ParameterError
        Negative counts or a bad confidence level.

    References
    ----------
    [Byar]; [TG-CI] Appendices 1-2.

    Examples
    --------
    >>> lo, hi = byars_ci(100)
    >>> round(lo, 4), round(hi, 4)
    (81.3621, 121.6279)
    >>> lo, hi = byars_ci(0)
    >>> lo, round(hi, 4)
    (0.0, 3.6889)
    """
    c = _check_confidence(confidence)
    z = z_value(c)
    alpha = 1.0 - c
    template = _series_template(count)
    (x,) = _broadcast(("count",), (count,))
    _check_counts(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        byars = x >= 10
        xs = np.where(byars, x, 10.0)  # safe argument for the Byar's branch
        byar_lo = xs * (1.0 - 1.0 / (9.0 * xs) - z / (3.0 * np.sqrt(xs))) ** 3
        byar_hi = (xs + 1.0) * (1.0 - 1.0 / (9.0 * (xs + 1.0)) + z / (3.0 * np.sqrt(xs + 1.0))) ** 3
        xe = np.where(byars | np.isnan(x), 1.0, x)
        xe_pos = np.where(xe == 0, 1.0, xe)  # chi2 with 0 df is undefined; L = 0 at x = 0
        exact_lo = np.where(xe == 0, 0.0, _sps.chi2.ppf(alpha / 2.0, 2.0 * xe_pos) / 2.0)
        exact_hi = _sps.chi2.ppf(1.0 - alpha / 2.0, 2.0 * xe + 2.0) / 2.0
        lower = np.where(np.isnan(x), np.nan, np.where(byars, byar_lo, exact_lo))
        upper = np.where(np.isnan(x), np.nan, np.where(byars, byar_hi, exact_hi))
    return _wrap(lower, template, name="lower"), _wrap(upper, template, name="upper")


def rate_ci(count, denominator, confidence: float = 0.95, multiplier: float = 100000.0):
    """Confidence limits for a crude rate x/n x multiplier (Byar's / exact limits of x over n).

    Parameters
    ----------
    count : float or array-like
        Events x >= 0.
    denominator : float or array-like
        Population or person-time n > 0.
    confidence : float, default 0.95
        Confidence level in (0, 1).
    multiplier : float, default 100000.0
        Rate per ``multiplier`` (100,000 for "per 100,000").

    Returns
    -------
    tuple of (lower, upper)
        Rate limits per ``multiplier``.

    Raises
    ------
    ParameterError
        Negative counts, non-positive denominators, bad confidence or multiplier.

    References
    ----------
    [TG-CI] Appendices 1-2 (limits of the count divided by the denominator).

    Examples
    --------
    >>> lo, hi = rate_ci(100, 50000)
    >>> round(lo, 2), round(hi, 2)
    (162.72, 243.26)
    """
    mult = _check_positive_number(multiplier, "multiplier")
    template = _series_template(count, denominator)
    x, n = _broadcast(("count", "denominator"), (count, denominator))
    _check_denominators(n)
    lower, upper = byars_ci(x, confidence)
    return (
        _wrap(np.asarray(lower) / n * mult, template, name="lower"),
        _wrap(np.asarray(upper) / n * mult, template, name="upper"),
    )


# --------------------------------------------------------------------------------------------
# Symmetric (normal) intervals: LE, HLE and anything published as value +/- z*SE
# --------------------------------------------------------------------------------------------
def se_from_ci(lower, upper, confidence: float = 0.95):
    """Standard error implied by a symmetric normal interval: ``SE = (U - L) / (2z)``.

    Parameters
    ----------
    lower, upper : float or array-like
        Published confidence limits (``lower <= upper``).
    confidence : float, default 0.95
        Level of the published interval.

    Returns
    -------
    float, ndarray or Series
        The standard error (NaN where a limit is missing).

    Raises
    ------
    ParameterError
        If a lower limit is above its upper limit, or the confidence level is bad.

    References
    ----------
    [TG-CI] (normal-approximation intervals, value +/- z x SE).

    Examples
    --------
    >>> round(se_from_ci(55.7, 61.2), 4)
    1.4031
    """
    z = z_value(confidence)
    template = _series_template(lower, upper)
    lo, hi = _broadcast(("lower", "upper"), (lower, upper))
    _check_ordered(lo, hi, "lower", "upper")
    return _wrap((hi - lo) / (2.0 * z), template, name="se")


def ci_from_se(value, se, confidence: float = 0.95):
    """Symmetric normal interval ``value -/+ z x SE``.

    Parameters
    ----------
    value : float or array-like
        Point estimate.
    se : float or array-like
        Standard error (>= 0).
    confidence : float, default 0.95
        Level of the interval to build.

    Returns
    -------
    tuple of (lower, upper)

    Raises
    ------
    ParameterError
        Negative SE or a bad confidence level.

    References
    ----------
    [TG-CI] (normal-approximation intervals).

    Examples
    --------
    >>> lo, hi = ci_from_se(58.5, 1.403)
    >>> round(lo, 1), round(hi, 1)
    (55.8, 61.2)
    """
    z = z_value(confidence)
    template = _series_template(value, se)
    v, s = _broadcast(("value", "se"), (value, se))
    with np.errstate(invalid="ignore"):
        if np.any(s < 0):
            raise ParameterError("se must be >= 0 (a standard error); got a negative value.")
    return _wrap(v - z * s, template, name="lower"), _wrap(v + z * s, template, name="upper")


def rescale_symmetric_ci(
    value, lower, upper, from_confidence: float = 0.95, to_confidence: float = 0.998
):
    """Re-express a published symmetric interval at another confidence level.

    Takes ``SE = (U - L) / (2 z_from)`` and returns ``value -/+ z_to x SE``: e.g. 99.8% limits
    for LE/HLE from the published 95% limits. Only valid for intervals that are symmetric on the
    scale given (LE, HLE); do not use it for Wilson or Byar's intervals.

    Parameters
    ----------
    value, lower, upper : float or array-like
        Point estimate and its published limits.
    from_confidence : float, default 0.95
        Level of the published limits.
    to_confidence : float, default 0.998
        Level wanted.

    Returns
    -------
    tuple of (lower, upper)

    Raises
    ------
    ParameterError
        Lower above upper, or bad confidence levels.

    References
    ----------
    [TG-CI] (normal-approximation intervals).

    Examples
    --------
    >>> lo, hi = rescale_symmetric_ci(58.5, 55.7, 61.2)
    >>> round(lo, 2), round(hi, 2)
    (54.16, 62.84)
    """
    se = se_from_ci(lower, upper, from_confidence)
    return ci_from_se(value, se, to_confidence)


# --------------------------------------------------------------------------------------------
# Directly standardised rates (Dobson)
# --------------------------------------------------------------------------------------------
_RANGE_RE = re.compile(r"(\d+)\s*(?:-|\u2013|\u2014|to)\s*(\d+)")
_OPEN_RE = re.compile(r"(\d+)\s*(?:\+|plus|and\s+over|or\s+over|and\s+older|or\s+older)")


def normalise_age_band(label: Any) -> str:
    """Canonical age-band key: ``"0 - 4"``, ``"00-04"``, ``"0\u20134 yrs"`` -> ``"0-4"``;
    ``"90 +"``, ``"90 and over"`` -> ``"90+"``.

    Parameters
    ----------
    label : str or int
        An age-band label.

    Returns
    -------
    str
        The normalised key, or the stripped label when it has no recognisable ages.

    Examples
    --------
    >>> normalise_age_band("00 - 04 yrs"), normalise_age_band("90 and over")
    ('0-4', '90+')
    """
    text = str(label).strip().lower()
    m = _RANGE_RE.search(text)
    if m:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = _OPEN_RE.search(text)
    if m:
        return f"{int(m.group(1))}+"
    return str(label).strip()


@dataclass(frozen=True)
class DSRResult:
    """A directly standardised rate with its Dobson limits.

    Attributes
    ----------
    value, lower, upper : float
        DSR per ``multiplier`` and its limits (NaN when suppressed).
    total_count : float
        Total observed events O.
    confidence : float
        Level of the limits.
    method : str
        ``"Dobson"``.
    reason : str or None
        Why the value was suppressed, else None.
    """

    value: float
    lower: float
    upper: float
    total_count: float
    confidence: float
    method: str = "Dobson"
    reason: str | None = None


def dsr_ci(
    counts,
    populations,
    age_bands,
    *,
    standard: Mapping[str, float] | pd.Series = ESP2013,
    confidence: float = 0.95,
    multiplier: float = 100000.0,
    min_count: int = 10,
) -> DSRResult:
    """Directly standardised rate for one area with Dobson confidence limits.

    ``DSR = sum(w_i x_i / n_i) / sum(w_i) x mult``;
    ``var = sum(w_i^2 x_i / n_i^2) / (sum w_i)^2``;
    ``L, U = DSR + sqrt(var / O) (O_{L,U} - O) x mult``, with O = sum x_i and O_{L,U} the
    Byar's limits of O (:func:`byars_ci`). The standard population is joined to the data **by
    age-band key** (labels normalised with :func:`normalise_age_band`), never by position.

    Parameters
    ----------
    counts, populations : array-like
        Events x_i >= 0 and populations n_i > 0 per age band.
    age_bands : array-like of str
        Age-band label of each row; every band of ``standard`` must appear exactly once.
    standard : mapping or Series, default :data:`ESP2013`
        Standard population weights keyed by age band.
    confidence : float, default 0.95
        Level of the limits.
    multiplier : float, default 100000.0
        Rate per ``multiplier``.
    min_count : int, default 10
        Suppress (NaN value and limits) when O < ``min_count`` [TG-CI].

    Returns
    -------
    DSRResult

    Raises
    ------
    ParameterError
        Unequal lengths, negative counts, non-positive populations, bands missing from or
        unknown to the standard, duplicated bands, bad confidence or multiplier.

    References
    ----------
    [Dobson]; [TG-CI] Appendix 4; [ESP2013].

    Examples
    --------
    >>> bands = list(ESP2013)
    >>> r = dsr_ci([10] * 19, [10000] * 19, bands)
    >>> round(r.value, 6), round(r.lower, 2), round(r.upper, 2)
    (100.0, 85.54, 116.1)
    >>> import math; math.isnan(dsr_ci([0] * 19, [10000] * 19, bands).value)
    True
    """
    c = _check_confidence(confidence)
    mult = _check_positive_number(multiplier, "multiplier")
    x = np.ravel(_as_float(counts, "counts"))
    n = np.ravel(_as_float(populations, "populations"))
    bands = [normalise_age_band(b) for b in np.ravel(np.asarray(age_bands, dtype=object))]
    if not (len(x) == len(n) == len(bands)):
        raise ParameterError(
            f"counts, populations and age_bands must have the same length; got {len(x)}, "
            f"{len(n)} and {len(bands)}."
        )
    if np.isnan(x).any() or np.isnan(n).any():
        raise ParameterError(
            "counts and populations must not be missing; fill true zeros with 0 before "
            "standardising (a missing age band would silently change the standard)."
        )
    if (x < 0).any():
        raise ParameterError("counts must be >= 0 in every age band.")
    if (n <= 0).any():
        raise ParameterError("populations must be > 0 in every age band.")
    std = {normalise_age_band(k): float(v) for k, v in dict(standard).items()}
    dupes = sorted({b for b in bands if bands.count(b) > 1})
    if dupes:
        raise ParameterError(f"age_bands has duplicated bands {dupes}; give one row per band.")
    unknown = [b for b in bands if b not in std]
    missing = [b for b in std if b not in set(bands)]
    if unknown or missing:
        raise ParameterError(
            "age_bands must match the standard population's bands one-to-one (joined by key). "
            f"Unknown to the standard: {unknown or 'none'}; missing from the data: "
            f"{missing or 'none'}. Relabel the bands (e.g. '0-4', ..., '90+') or pass a "
            "matching `standard`."
        )
    w = np.array([std[b] for b in bands])
    total = float(x.sum())
    if total < min_count:
        reason = f"total count {total:g} < {min_count}: DSR not calculated (unreliable)"
        logger.info("dsr_ci suppressed: %s", reason)
        return DSRResult(math.nan, math.nan, math.nan, total, c, reason=reason)
    sw = w.sum()
    dsr = float(np.sum(w * x / n) / sw)
    var = float(np.sum(w**2 * x / n**2) / sw**2)
    o_lo, o_hi = byars_ci(total, c)
    scale = math.sqrt(var / total)
    return DSRResult(
        value=dsr * mult,
        lower=(dsr + scale * (o_lo - total)) * mult,
        upper=(dsr + scale * (o_hi - total)) * mult,
        total_count=total,
        confidence=c,
    )


def dsr_table(
    df: pd.DataFrame,
    *,
    count_col: str,
    population_col: str,
    age_band_col: str,
    group_cols: str | Sequence[str] | None = None,
    standard: Mapping[str, float] | pd.Series = ESP2013,
    confidence: float = 0.95,
    multiplier: float = 100000.0,
) -> pd.DataFrame:
    """Apply :func:`dsr_ci` to every group of a long (one row per age band) table.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group and age band.
    count_col, population_col, age_band_col : str
        Column names.
    group_cols : str or list of str, optional
        Columns identifying an area/period/sex; None treats the table as one group.
    standard, confidence, multiplier
        As for :func:`dsr_ci`.

    Returns
    -------
    pandas.DataFrame
        The group columns plus ``total_count``, ``value``, ``lower``, ``upper``.

    Raises
    ------
    ParameterError
        A named column is missing, or any group fails :func:`dsr_ci`'s checks.

    References
    ----------
    As :func:`dsr_ci`.

    Examples
    --------
    >>> t = pd.DataFrame({"band": list(ESP2013), "x": 10, "n": 10000})
    >>> float(dsr_table(t, count_col="x", population_col="n", age_band_col="band")["value"][0])
    100.0
    """
    groups = [group_cols] if isinstance(group_cols, str) else list(group_cols or [])
    needed = [count_col, population_col, age_band_col, *groups]
    absent = [col for col in needed if col not in df.columns]
    if absent:
        raise ParameterError(f"df has no column(s) {absent}; it has {list(df.columns)}.")
    rows = []
    grouped = df.groupby(groups, sort=True, dropna=False) if groups else [((), df)]
    for key, part in grouped:
        r = dsr_ci(
            part[count_col], part[population_col], part[age_band_col].tolist(),
            standard=standard, confidence=confidence, multiplier=multiplier,
        )
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(groups, key, strict=True)), "total_count": r.total_count,
                     "value": r.value, "lower": r.lower, "upper": r.upper})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Benchmarking
# --------------------------------------------------------------------------------------------
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
    template = _series_template(value, lower, upper, benchmark, polarity, is_benchmark)
    pol = _check_polarity(polarity)
    v, lo, hi, b, pol = _broadcast(
        ("value", "lower", "upper", "benchmark", "polarity"), (value, lower, upper, benchmark, pol)
    )
    _check_ordered(lo, hi, "lower", "upper")
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
    result = _wrap(labels, template, name="compared_to_benchmark")
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
    template = _series_template(value, lower95, upper95, lower998, upper998, benchmark, polarity)
    pol = _check_polarity(polarity)
    v, l95, u95, l998, u998, b, pol = _broadcast(
        ("value", "lower95", "upper95", "lower998", "upper998", "benchmark", "polarity"),
        (value, lower95, upper95, lower998, upper998, benchmark, pol),
    )
    _check_ordered(l95, u95, "lower95", "upper95")
    _check_ordered(l998, l95, "lower998", "lower95")
    _check_ordered(u95, u998, "upper95", "upper998")
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
    return _wrap(np.asarray(labels, dtype=object), template, name="compared_to_benchmark")


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
    pol = int(_check_polarity(polarity))
    template = _series_template(values)
    v = np.atleast_1d(_as_float(values, "values")).astype(float)
    labels = np.full(v.shape, NOT_COMPARED, dtype=object)
    valid = np.isfinite(v)
    if valid.sum() < 5 or pol == POLARITY_NOT_APPLICABLE:
        if valid.sum() < 5:
            logger.info("quintile_comparison: %d valid values (< 5); not compared", valid.sum())
        return _wrap(labels, template, name="quintile")
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
    return _wrap(labels, template, name="quintile")


# --------------------------------------------------------------------------------------------
# Recent trend
# --------------------------------------------------------------------------------------------
_TREND_VALUE_TYPES = {
    "proportion": "proportion",
    "percentage": "proportion",
    "rate": "other",
    "crude rate": "other",
    "directly standardised rate": "other",
    "dsr": "other",
    "ratio": "other",
    "indirectly standardised ratio": "other",
    "life expectancy": "other",
    "healthy life expectancy": "other",
    "mean": "other",
    "sii": "other",
}


@dataclass(frozen=True)
class TrendResult:
    """Outcome of :func:`recent_trend`.

    Attributes
    ----------
    label : str
        Fingertips wording, e.g. "Decreasing and getting better", "No significant change",
        "Cannot be calculated".
    direction : str or None
        "Increasing"/"Decreasing": the sign of the fitted slope, reported whether or not it is
        significant; None when nothing could be fitted.
    chi2 : float
        Test statistic (NaN if not calculated).
    slope : float
        Slope per period: of logit(proportion) for proportions, of the value otherwise.
    n_points : int
        Points used (5), or the length of the valid run found when too short.
    method : str or None
        "chi-square (proportion)" or "weighted least squares"; None if not calculated.
    reason : str or None
        Why the trend cannot be calculated or is not significant; None when significant.
    """

    label: str
    direction: str | None
    chi2: float
    slope: float
    n_points: int
    method: str | None
    reason: str | None = None


def _trend_label(direction: str, polarity: int) -> str:
    increasing = direction == "Increasing"
    if polarity == POLARITY_HIGH_IS_GOOD:
        return f"{direction} and getting {'better' if increasing else 'worse'}"
    if polarity == POLARITY_LOW_IS_GOOD:
        return f"{direction} and getting {'worse' if increasing else 'better'}"
    return direction


def _ols_slope(t: np.ndarray, y: np.ndarray) -> float:
    tc = t - t.mean()
    return float(np.sum(tc * (y - y.mean())) / np.sum(tc * tc))


def _wls_slope_and_chi2(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    s, swt, swy = w.sum(), np.sum(w * t), np.sum(w * y)
    swtt, swty = np.sum(w * t * t), np.sum(w * t * y)
    det = s * swtt - swt**2
    beta = (s * swty - swt * swy) / det
    se_beta = math.sqrt(s / det)
    return float(beta), float((beta / se_beta) ** 2)


def _proportion_chi2(t: np.ndarray, c: np.ndarray, d: np.ndarray) -> float:
    big_d, big_c = d.sum(), c.sum()
    num = big_d * (big_d * np.sum(c * t) - big_c * np.sum(d * t)) ** 2
    den = big_c * (big_d - big_c) * (big_d * np.sum(d * t * t) - np.sum(d * t) ** 2)
    return float(num / den)


def recent_trend(
    values,
    *,
    counts=None,
    denominators=None,
    lower=None,
    upper=None,
    value_type: str = "proportion",
    polarity: int = 0,
    periods_are_annual: bool = True,
) -> TrendResult:
    """Fingertips "recent trend" marker for one area's time series.

    Eligibility [TM]: periods must be annual and non-overlapping (rolling 3-year LE/HLE and
    rolling survey averages are not tested); the latest 5 points of the unbroken run of valid
    points ending at the latest period are used (t = 1..5, oldest first). Proportions need
    counts and denominators with 0 < count < denominator; other types need 95% CIs.

    Proportions: Cochran-Armitage-type chi-square ::

        chi2 = D (D sum(c_t t) - C sum(d_t t))^2 / (C (D - C) (D sum(d_t t^2) - (sum d_t t)^2))

    with the direction from the OLS slope of logit(c_t / d_t) on t.

    Other types: inverse-variance weighted least squares of the value on t, with
    ``SE_t = (U_t - L_t) / 3.92`` (the literal 3.92 = 2 x 1.96 used by the Fingertips server;
    kept so results match Fingertips), ``w_t = 1 / SE_t^2`` and ``chi2 = (beta / SE(beta))^2``.

    Significant when chi2 > 9.549536 (chi-square(1) at 99.8%) **and** all 5 leave-one-out refits
    give a slope of the same sign (the outlier check); the label is then "Increasing"/
    "Decreasing", plus "and getting better/worse" for RAG polarities (none for 99 or -1).

    Divergences (pinned to the published method [TM] and PHEindicatormethods PR #92): legacy
    fingertips-open never set the slope on its proportion path; FingertipsNext's port uses the
    weighted method for every type.

    Parameters
    ----------
    values : array-like
        The indicator values, oldest first (NaN for missing periods).
    counts, denominators : array-like, optional
        Required for proportions (same length as ``values``).
    lower, upper : array-like, optional
        95% limits; required for other value types.
    value_type : str, default "proportion"
        "proportion" (or "percentage"), "rate", "crude rate", "directly standardised rate",
        "dsr", "ratio", "indirectly standardised ratio", "life expectancy",
        "healthy life expectancy", "mean" or "sii".
    polarity : int, default 0
        Fingertips polarity id.
    periods_are_annual : bool, default True
        False for rolling/overlapping periods: returns "Cannot be calculated".

    Returns
    -------
    TrendResult

    Raises
    ------
    ParameterError
        Unknown value type or polarity, missing counts/CIs for the type, unequal lengths,
        negative counts or count above denominator, lower above upper.

    References
    ----------
    [TM]; [FTO] ``TrendMarkers/TrendMarkerCalculator``; dhsc-govuk/PHEindicatormethods PR #92.

    Examples
    --------
    >>> r = recent_trend([20, 19, 18, 17, 16], counts=[1000, 950, 900, 850, 800],
    ...                  denominators=[5000] * 5, polarity=0)
    >>> r.label, round(r.chi2, 3)
    ('Decreasing and getting better', 33.875)
    """
    pol_arr = _check_polarity(polarity)
    if pol_arr.ndim != 0:
        raise ParameterError("polarity must be a single Fingertips polarity id for a trend.")
    pol = int(pol_arr)
    vt = str(value_type).strip().lower()
    if vt not in _TREND_VALUE_TYPES:
        raise ParameterError(
            f"value_type {value_type!r} is not tested for trend; use one of "
            f"{sorted(_TREND_VALUE_TYPES)}."
        )
    kind = _TREND_VALUE_TYPES[vt]
    y = np.ravel(_as_float(values, "values"))
    n_all = len(y)

    def _same_length(arr: Any, name: str) -> np.ndarray:
        a = np.ravel(_as_float(arr, name))
        if len(a) != n_all:
            raise ParameterError(f"{name} has {len(a)} entries but values has {n_all}.")
        return a

    if kind == "proportion":
        if counts is None or denominators is None:
            raise ParameterError(
                "counts and denominators are required for a proportion trend (the chi-square "
                "test uses them); pass value_type='rate' etc. with lower/upper otherwise."
            )
        c = _same_length(counts, "counts")
        d = _same_length(denominators, "denominators")
        with np.errstate(invalid="ignore"):
            if np.any(c < 0) or np.any(d <= 0):
                raise ParameterError("counts must be >= 0 and denominators > 0.")
            if np.any(c > d):
                raise ParameterError("counts must not exceed denominators.")
            valid = np.isfinite(y) & np.isfinite(c) & np.isfinite(d) & (c > 0) & (c < d)
    else:
        if lower is None or upper is None:
            raise ParameterError(
                f"lower and upper 95% limits are required for a {value_type!r} trend "
                "(the weighted fit uses SE = (upper - lower) / 3.92)."
            )
        lo = _same_length(lower, "lower")
        hi = _same_length(upper, "upper")
        _check_ordered(lo, hi, "lower", "upper")
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi) & (hi > lo)

    def _cannot(reason: str, n_points: int) -> TrendResult:
        logger.debug("recent_trend: cannot be calculated: %s", reason)
        return TrendResult(CANNOT_BE_CALCULATED, None, math.nan, math.nan, n_points, None, reason)

    if not periods_are_annual:
        return _cannot(
            "periods are rolling/overlapping (e.g. 3-year LE/HLE or rolling survey averages): "
            "consecutive points share data, so Fingertips does not test them for trend",
            0,
        )
    run = 0
    for ok in valid[::-1]:
        if not ok:
            break
        run += 1
    if run < 5:
        what = ("0 < count < denominator" if kind == "proportion"
                else "a value and a 95% CI with upper > lower")
        return _cannot(
            f"only {run} consecutive valid point(s) end at the latest period; 5 are needed "
            f"(a valid point has {what})",
            run,
        )
    idx = np.arange(n_all - 5, n_all)
    t = np.arange(1.0, 6.0)

    if kind == "proportion":
        cs, ds = c[idx], d[idx]
        chi2 = _proportion_chi2(t, cs, ds)
        logit = np.log(cs / (ds - cs))
        slope = _ols_slope(t, logit)
        loo = [_ols_slope(np.delete(t, i), np.delete(logit, i)) for i in range(5)]
        method = "chi-square (proportion)"
    else:
        ys = y[idx]
        w = 1.0 / ((hi[idx] - lo[idx]) / FINGERTIPS_TREND_CI_DIVISOR) ** 2
        slope, chi2 = _wls_slope_and_chi2(t, ys, w)
        loo = [_wls_slope_and_chi2(np.delete(t, i), np.delete(ys, i), np.delete(w, i))[0]
               for i in range(5)]
        method = "weighted least squares"

    direction = None if slope == 0 else ("Increasing" if slope > 0 else "Decreasing")
    if not chi2 > TREND_CHI2_THRESHOLD:
        return TrendResult(NO_SIGNIFICANT_CHANGE, direction, chi2, slope, 5, method,
                           f"chi-square {chi2:.3f} <= {TREND_CHI2_THRESHOLD:.6f}")
    if not all(np.sign(s) == np.sign(slope) and s != 0 for s in loo):
        return TrendResult(
            NO_SIGNIFICANT_CHANGE, direction, chi2, slope, 5, method,
            "chi-square is significant but a leave-one-out refit reverses (or flattens) the "
            "slope: one point drives the trend (outlier check)",
        )
    return TrendResult(_trend_label(direction, pol), direction, chi2, slope, 5, method, None)


# --------------------------------------------------------------------------------------------
# Window of need (LE - HLE)
# --------------------------------------------------------------------------------------------
def window_of_need_ci(le, le_lower, le_upper, hle, hle_lower, hle_upper, confidence=0.95):
    """Window of need (LE - HLE) with an approximate, conservative symmetric interval.

    ``gap = LE - HLE``; ``SE = sqrt(SE_LE^2 + SE_HLE^2)`` with each SE from its published
    symmetric interval (:func:`se_from_ci`); limits ``gap -/+ z SE``. The interval is too wide
    (conservative) because LE and HLE are positively correlated; see
    :data:`WINDOW_OF_NEED_METHOD`. The limits are NaN when either CI is missing; the gap is
    still returned whenever both values exist.

    Parameters
    ----------
    le, le_lower, le_upper : float or array-like
        Life expectancy and its limits.
    hle, hle_lower, hle_upper : float or array-like
        Healthy life expectancy and its limits (same release, period, sex and area).
    confidence : float, default 0.95
        Level of the supplied LE/HLE limits and of the returned interval.

    Returns
    -------
    tuple of (gap, lower, upper)

    Raises
    ------
    ParameterError
        HLE above LE (the two do not belong together), a lower limit above its upper limit,
        or a bad confidence level.

    References
    ----------
    FEATURE-ANCHORS d6 (ONS Sullivan HLE; no published CI for the gap); [TG-CI].

    Examples
    --------
    >>> gap, lo, hi = window_of_need_ci(77.3, 76.8, 77.8, 58.5, 55.7, 61.2)
    >>> round(gap, 1), round(lo, 3), round(hi, 3)
    (18.8, 16.005, 21.595)
    """
    template = _series_template(le, le_lower, le_upper, hle, hle_lower, hle_upper)
    e, el, eu, h, hl, hu = _broadcast(
        ("le", "le_lower", "le_upper", "hle", "hle_lower", "hle_upper"),
        (le, le_lower, le_upper, hle, hle_lower, hle_upper),
    )
    with np.errstate(invalid="ignore"):
        if np.any(h > e):
            raise ParameterError(
                "hle is above le for some rows: LE and HLE must come from the same ONS release, "
                "period, sex and area. Check the join."
            )
    se_le = np.asarray(se_from_ci(el, eu, confidence))
    se_hle = np.asarray(se_from_ci(hl, hu, confidence))
    gap = e - h
    lower, upper = ci_from_se(gap, np.sqrt(se_le**2 + se_hle**2), confidence)
    return (
        _wrap(gap, template, name="window_of_need"),
        _wrap(np.asarray(lower), template, name="lower"),
        _wrap(np.asarray(upper), template, name="upper"),
    )
