"""Confidence intervals: proportions (Wilson), counts and rates (Byar's / exact Poisson),
intervals from standard errors, and the window of need.

All normal quantiles come from :func:`z_value`, never a literal 1.96.

References
----------
.. [TG-CI] Public Health England (2018). *Technical Guide - Confidence Intervals*. Public Health
   Data Science, 25 May 2018, appendices 1-4.
.. [Wilson] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *J Am Stat Assoc* 22, 209-212.
.. [Byar] Breslow, N. E. & Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II*.
   IARC, Lyon (Byar's approximation to the exact Poisson limits, p. 69).
.. [Sullivan] Sullivan, D. F. (1971). A single index of mortality and morbidity. *HSMHA Health
   Reports* 86, 347-354 (the health expectancy that ONS healthy life expectancy follows).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    broadcast,
    check_confidence,
    check_counts,
    check_denominators,
    check_ordered,
    check_positive_number,
    series_template,
    wrap,
)

__all__ = ["WINDOW_OF_NEED_METHOD", "byars_ci", "ci_from_se", "rate_ci", "rescale_symmetric_ci",
           "se_from_ci", "wilson_ci", "window_of_need_ci", "z_value"]

#: Method note for figures that show LE - HLE with an interval.
WINDOW_OF_NEED_METHOD = (
    "Window of need = life expectancy minus healthy life expectancy (years lived in not-good "
    "health). Approximate, conservative interval: SE = sqrt(SE_LE^2 + SE_HLE^2), each SE taken "
    "from its published symmetric 95% CI. It overstates the uncertainty (too wide) because LE "
    "and HLE share one life table and are positively correlated; no official CI for the gap "
    "is published. Valid only when LE and HLE come from the same ONS release, period, sex and "
    "geography."
)

#: European Standard Population 2013 [ESP2013], 19 age bands (0-4 ... 85-89, 90+), total 100,000.


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
    c = check_confidence(confidence)
    return float(special.ndtri(0.5 + c / 2.0))


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
    mult = check_positive_number(multiplier, "multiplier")
    template = series_template(count, denominator)
    x, n = broadcast(("count", "denominator"), (count, denominator))
    check_counts(x)
    check_denominators(n)
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
    return wrap(lower, template, name="lower"), wrap(upper, template, name="upper")


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
    c = check_confidence(confidence)
    z = z_value(c)
    alpha = 1.0 - c
    template = series_template(count)
    (x,) = broadcast(("count",), (count,))
    check_counts(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        byars = x >= 10
        xs = np.where(byars, x, 10.0)  # safe argument for the Byar's branch
        byar_lo = xs * (1.0 - 1.0 / (9.0 * xs) - z / (3.0 * np.sqrt(xs))) ** 3
        byar_hi = (xs + 1.0) * (1.0 - 1.0 / (9.0 * (xs + 1.0)) + z / (3.0 * np.sqrt(xs + 1.0))) ** 3
        xe = np.where(byars | np.isnan(x), 1.0, x)
        xe_pos = np.where(xe == 0, 1.0, xe)  # chi2 with 0 df is undefined; L = 0 at x = 0
        # chi2.ppf(q, df) is chdtri(df, 1 - q): the inverse of the upper tail.
        exact_lo = np.where(xe == 0, 0.0, special.chdtri(2.0 * xe_pos, 1.0 - alpha / 2.0) / 2.0)
        exact_hi = special.chdtri(2.0 * xe + 2.0, alpha / 2.0) / 2.0
        lower = np.where(np.isnan(x), np.nan, np.where(byars, byar_lo, exact_lo))
        upper = np.where(np.isnan(x), np.nan, np.where(byars, byar_hi, exact_hi))
    return wrap(lower, template, name="lower"), wrap(upper, template, name="upper")


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
    mult = check_positive_number(multiplier, "multiplier")
    template = series_template(count, denominator)
    x, n = broadcast(("count", "denominator"), (count, denominator))
    check_denominators(n)
    lower, upper = byars_ci(x, confidence)
    return (
        wrap(np.asarray(lower) / n * mult, template, name="lower"),
        wrap(np.asarray(upper) / n * mult, template, name="upper"),
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
    template = series_template(lower, upper)
    lo, hi = broadcast(("lower", "upper"), (lower, upper))
    check_ordered(lo, hi, "lower", "upper")
    return wrap((hi - lo) / (2.0 * z), template, name="se")


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
    template = series_template(value, se)
    v, s = broadcast(("value", "se"), (value, se))
    with np.errstate(invalid="ignore"):
        if np.any(s < 0):
            raise ParameterError("se must be >= 0 (a standard error); got a negative value.")
    return wrap(v - z * s, template, name="lower"), wrap(v + z * s, template, name="upper")


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
    [Sullivan] (ONS healthy life expectancy; no CI for the gap is published); [TG-CI].

    Examples
    --------
    >>> gap, lo, hi = window_of_need_ci(77.3, 76.8, 77.8, 58.5, 55.7, 61.2)
    >>> round(gap, 1), round(lo, 3), round(hi, 3)
    (18.8, 16.005, 21.595)
    """
    template = series_template(le, le_lower, le_upper, hle, hle_lower, hle_upper)
    e, el, eu, h, hl, hu = broadcast(
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
        wrap(gap, template, name="window_of_need"),
        wrap(np.asarray(lower), template, name="lower"),
        wrap(np.asarray(upper), template, name="upper"),
    )
