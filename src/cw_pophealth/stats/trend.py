"""The Fingertips "recent trend" marker: a chi-square test on the latest five points.

References
----------
.. [TM] OHID Fingertips. *Trend markers* (public-health technical guidance):
   https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Presentation/Trend_markers.html
.. [FTO] ukhsa-collaboration/fingertips-open @6780897,
   ``PholioVisualisationWS/Analysis/TrendMarkers/TrendMarkerCalculator``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from cw_pophealth.catalogue import POLARITY_HIGH_IS_GOOD, POLARITY_LOW_IS_GOOD
from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float,
    check_ordered,
    check_polarity,
)

logger = logging.getLogger(__name__)

__all__ = ["CANNOT_BE_CALCULATED", "FINGERTIPS_TREND_CI_DIVISOR", "NO_SIGNIFICANT_CHANGE",
           "TREND_CHI2_THRESHOLD", "TrendResult", "recent_trend"]

NO_SIGNIFICANT_CHANGE = "No significant change"
CANNOT_BE_CALCULATED = "Cannot be calculated"

#: chi-square(1) at 99.8% = 9.549536; the Fingertips recent-trend significance threshold [TM].
TREND_CHI2_THRESHOLD = float(special.chdtri(1, 1 - 0.998))

#: Divisor the Fingertips trend calculator uses to turn a 95% CI width into an SE [FTO]:
#: 2 x 1.96, written as the literal 3.92 on the server. Kept so trend results match Fingertips.
FINGERTIPS_TREND_CI_DIVISOR = 3.92


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
    pol_arr = check_polarity(polarity)
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
    y = np.ravel(as_float(values, "values"))
    n_all = len(y)

    def _same_length(arr: Any, name: str) -> np.ndarray:
        a = np.ravel(as_float(arr, name))
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
        check_ordered(lo, hi, "lower", "upper")
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
    if direction is None or not chi2 > TREND_CHI2_THRESHOLD:
        return TrendResult(NO_SIGNIFICANT_CHANGE, direction, chi2, slope, 5, method,
                           f"chi-square {chi2:.3f} <= {TREND_CHI2_THRESHOLD:.6f}")
    if not all(np.sign(s) == np.sign(slope) and s != 0 for s in loo):
        return TrendResult(
            NO_SIGNIFICANT_CHANGE, direction, chi2, slope, 5, method,
            "chi-square is significant but a leave-one-out refit reverses (or flattens) the "
            "slope: one point drives the trend (outlier check)",
        )
    return TrendResult(_trend_label(direction, pol), direction, chi2, slope, 5, method, None)
