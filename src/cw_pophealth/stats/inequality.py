"""Slope and relative index of inequality (SII, RII) across deprivation quantiles, PHE method.

The method [LL; PHE-SII; PHEim-sii]:

1. Order the quantiles (e.g. IMD deciles) from most to least deprived. For quantile *i*,
   ``a_i = pop_i / sum(pop)`` and its relative rank is the midpoint of its cumulative population
   share, ``b_i = sum_{j<i} a_j + a_i / 2`` (0 = the most deprived extreme, 1 = the least).
2. Standard errors from the 95% limits, on the scale on which the interval is symmetric:
   ``SE = (g(U) - g(L)) / (2 z)`` with ``g = log`` for rates, ``logit`` for proportions and the
   identity otherwise (z = 1.959964, exact). A user SE is accepted for "other".
3. Weighted least squares without an intercept column (the square-root weighting makes it WLS
   with weights ``a_i``)::

       sqrt(a_i) y_i = alpha sqrt(a_i) + beta b_i sqrt(a_i)

   with ``y_i`` the value, or ``g(value)`` when ``transform=True`` (off by default, as in the
   published method).
4. The fitted values at the two extremes are ``Y0 = h(alpha)`` (b = 0, most deprived) and
   ``Y1 = h(alpha + beta)`` (b = 1, least deprived), ``h`` the back-transformation or the
   identity. **SII = Y1 - Y0** and **RII = Y1 / Y0**, both in the original units.
   Untransformed, SII = beta and RII = (alpha + beta) / alpha. Log-transformed rates give
   RII = exp(beta); logit-transformed proportions give RII = expit(alpha + beta) / expit(alpha),
   a ratio of proportions and *not* the odds ratio exp(beta). These definitions reproduce the
   PHE reference values exactly (see the tests).
5. ``SII x multiplier`` (e.g. 100 for percentage points). A negative multiplier flips the
   polarity: the SII changes sign and the RII is inverted (1/RII, limits swapped).
6. Confidence limits by Monte Carlo: each quantile's value is drawn independently from
   ``g(value) + SE * N(0, 1)`` (so rates are log-normal and proportions logit-normal), the fit
   is repeated ``repetitions`` times (100,000 by default), and the limits are the
   ``(1 - confidence)/2`` and ``(1 + confidence)/2`` percentiles (linear interpolation) of the
   simulated SIIs and RIIs. The seed is fixed by default, so results are reproducible.
7. Reliability [PHEim-sii vignette]: with ``reliability=True`` the simulation is run 10 times;
   the MAD is the mean absolute difference between the limits of the first run and each of the
   other nine (both limits pooled). A MAD below ``10 ** -(d + 1)`` is needed to show the limits
   to ``d`` decimal places; ``reliable`` says whether that holds for
   ``reliability_decimals = d``.

References
----------
.. [LL] Low A, Low A (2004). Measuring the gap: quantifying and comparing local health
   inequalities. *J Public Health* 26:388-395.
.. [PHE-SII] OHID / Public Health England. *Slope index of inequality (SII) and relative index
   of inequality (RII)*. Public health technical guidance, Fingertips:
   https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/Inequality/SII.html
.. [PHEim-sii] PHEindicatormethods ``phe_sii`` documentation (v2.1.0, sections "Calculation" and
   "Transformations") and its vignette "Worked examples for phe_sii function" (MAD). Read for
   the method and reference values only; its GPL-3 code is not used.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float_1d,
    check_confidence,
    check_flag,
    check_whole_number,
    normal_quantile,
    same_length,
    series_template,
)

logger = logging.getLogger(__name__)

__all__ = ["MIN_SII_REPETITIONS", "SII_METHOD", "SIIResult", "slope_index_of_inequality"]

SII_METHOD = (
    "Slope index of inequality: weighted least squares of the value on the population-midpoint "
    "rank of each quantile (most to least deprived), Monte Carlo confidence limits (PHE/OHID "
    "method, Low & Low 2004)"
)
#: Fewest Monte Carlo draws accepted (as PHEindicatormethods).
MIN_SII_REPETITIONS = 1000

_VALUE_TYPES = {"rate": "rate", 1: "rate", "proportion": "proportion", 2: "proportion",
                "other": "other", 0: "other"}
_TRANSFORMS = {"rate": (np.log, np.exp), "proportion": (logit, expit)}
_RELIABILITY_RUNS = 10
_CHUNK_CELLS = 2_000_000  # draws simulated at once (bounds memory); results do not depend on it


@dataclass(frozen=True)
class SIIResult:
    """Outcome of :func:`slope_index_of_inequality`.

    Attributes
    ----------
    sii, sii_lower, sii_upper : float
        SII (fitted value at the least deprived extreme minus that at the most deprived, times
        ``multiplier``) and its Monte Carlo limits.
    rii, rii_lower, rii_upper : float
        RII (ratio of the same fitted values; inverted when ``multiplier < 0``) and its limits.
    intercept : float
        Fitted value at the most deprived extreme (b = 0), in the original units (not scaled
        by ``multiplier``).
    confidence : float
        Level of the limits.
    repetitions : int
        Monte Carlo draws per run.
    n_quantiles : int
        Number of quantiles used.
    value_type : str
        "rate", "proportion" or "other".
    transform : bool
        Whether the fit was made on the log/logit scale.
    multiplier : float
        Scale applied to the SII.
    sii_mad, rii_mad : float
        Reliability statistics (NaN unless ``reliability=True``).
    reliable : bool or None
        Both MADs below ``10 ** -(reliability_decimals + 1)``; None unless ``reliability=True``.
    reason : str or None
        Why the result is NaN (missing inputs), else None.
    method : str
        Method description.
    """

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    intercept: float
    confidence: float
    repetitions: int
    n_quantiles: int
    value_type: str
    transform: bool
    multiplier: float
    sii_mad: float = math.nan
    rii_mad: float = math.nan
    reliable: bool | None = None
    reason: str | None = None
    method: str = SII_METHOD

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (e.g. for a DataFrame row)."""
        return asdict(self)


def _design(populations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sqrt(a) and the 2 x k matrix H with (alpha, beta) = H @ (sqrt(a) * y)."""
    a = populations / populations.sum()
    b = np.cumsum(a) - a / 2.0
    w = np.sqrt(a)
    x = np.column_stack([w, b * w])
    return w, np.linalg.solve(x.T @ x, x.T)


def _extremes(coef: np.ndarray, vt: str, transform: bool) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values at b = 0 and b = 1 in the original units; ``coef`` has shape (..., 2)."""
    alpha, beta = coef[..., 0], coef[..., 1]
    if not transform:
        return alpha, alpha + beta
    back = _TRANSFORMS[vt][1]
    return back(alpha), back(alpha + beta)


def _simulate(centre: np.ndarray, se_t: np.ndarray, w: np.ndarray, h: np.ndarray, vt: str,
              transform: bool, repetitions: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Simulated SIIs and RIIs (unscaled), ``repetitions`` of each."""
    k = len(centre)
    back = _TRANSFORMS[vt][1] if vt in _TRANSFORMS else None
    sii, rii = np.empty(repetitions), np.empty(repetitions)
    step = max(1, _CHUNK_CELLS // k)
    for start in range(0, repetitions, step):
        stop = min(repetitions, start + step)
        t = centre + rng.standard_normal((stop - start, k)) * se_t
        y = t if (transform or back is None) else back(t)
        y0, y1 = _extremes((y * w) @ h.T, vt, transform)
        sii[start:stop] = y1 - y0
        with np.errstate(divide="ignore", invalid="ignore"):
            rii[start:stop] = y1 / y0
    return sii, rii


def _limits(draws: np.ndarray, confidence: float) -> np.ndarray:
    return np.quantile(draws, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])


def _scaled(sii_lim: np.ndarray, rii_lim: np.ndarray,
            multiplier: float) -> tuple[np.ndarray, np.ndarray]:
    s = np.sort(sii_lim * multiplier)
    if multiplier < 0:
        with np.errstate(divide="ignore"):
            return s, np.sort(1.0 / rii_lim)
    return s, rii_lim


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                        and seed >= 0):
        return np.random.default_rng(seed)
    raise ParameterError(f"seed must be a non-negative whole number, None (fresh randomness) or "
                         f"a numpy Generator; got {seed!r}.")


def _value_type(value_type: Any, transform: Any) -> tuple[str, bool]:
    key = value_type.strip().lower() if isinstance(value_type, str) else value_type
    if isinstance(key, bool) or key not in _VALUE_TYPES:
        raise ParameterError(f"value_type must be 'rate', 'proportion' or 'other' (PHE codes 1, "
                             f"2, 0); got {value_type!r}.")
    vt = _VALUE_TYPES[key]
    tr = check_flag(transform, "transform")
    if tr and vt == "other":
        raise ParameterError("transform=True applies to rates (log) and proportions (logit); "
                             "value_type='other' has no transformation. Set value_type or "
                             "transform=False.")
    return vt, tr


def _check_multiplier(multiplier: Any) -> float:
    if (isinstance(multiplier, bool)
            or not isinstance(multiplier, (int, float, np.integer, np.floating))
            or not math.isfinite(multiplier) or multiplier == 0):
        raise ParameterError(f"multiplier must be a non-zero finite number; got {multiplier!r}.")
    return float(multiplier)


def _check_ranges(v: np.ndarray, pop: np.ndarray, lo: np.ndarray | None, hi: np.ndarray | None,
                  se: np.ndarray | None, vt: str) -> None:
    with np.errstate(invalid="ignore"):
        if np.any(pop <= 0):
            raise ParameterError("populations must be > 0 for every quantile (got zero or a "
                                 f"negative value at position(s) "
                                 f"{np.flatnonzero(pop <= 0).tolist()}).")
        if se is not None and np.any(se < 0):
            raise ParameterError("se must be >= 0; got a negative standard error.")
        if lo is None or hi is None:
            return
        if np.any(lo > hi):
            raise ParameterError("lower is above upper for some quantile; check the columns are "
                                 "not swapped.")
        if vt == "rate" and np.any((lo <= 0) | (v <= 0)):
            raise ParameterError("rates and their limits must be > 0 for the log-scale standard "
                                 "error; a zero count has a lower limit of 0. Use "
                                 "value_type='other' for such data.")
        if vt == "proportion" and np.any((hi >= 1) | (lo <= 0) | (v <= 0) | (v >= 1)):
            raise ParameterError("proportions and their limits must lie strictly between 0 and 1 "
                                 "for the logit-scale standard error; divide percentages by 100 "
                                 "first.")


def slope_index_of_inequality(
    values: Any,
    lower: Any = None,
    upper: Any = None,
    populations: Any = None,
    *,
    value_type: str | int = "other",
    transform: bool = False,
    multiplier: float = 1,
    repetitions: int = 100_000,
    confidence: float = 0.95,
    seed: Any = 1,
    reliability: bool = False,
    reliability_decimals: int = 1,
    se: Any = None,
    quantiles: Any = None,
    input_confidence: float = 0.95,
) -> SIIResult:
    """SII and RII with Monte Carlo confidence limits, by the PHE/OHID method.

    The module docstring gives the formulas. Inputs are one entry per quantile, ordered from
    most to least deprived (or give ``quantiles`` labels, 1 = most deprived, to sort by).

    Parameters
    ----------
    values : array-like or Series
        Indicator value per quantile. Proportions are fractions in (0, 1), not percentages.
    lower, upper : array-like or Series
        The values' confidence limits (95% unless ``input_confidence`` says otherwise). Not
        needed when ``se`` is given.
    populations : array-like or Series
        Population (denominator) of each quantile, > 0. Equal populations give equal shares.
    value_type : {"other", "rate", "proportion"} or {0, 1, 2}, default "other"
        Scale of the standard error and of the simulation: log for rates, logit for
        proportions, none for "other" (e.g. life expectancy).
    transform : bool, default False
        Fit on the log (rates) or logit (proportions) scale and back-transform the fitted
        extremes, as PHE recommends when the relation is not linear. Not for "other".
    multiplier : float, default 1
        Scale of the SII (e.g. 100 for percentage points). Negative flips the polarity (the SII
        changes sign, the RII is inverted).
    repetitions : int, default 100000
        Monte Carlo draws (at least :data:`MIN_SII_REPETITIONS`).
    confidence : float, default 0.95
        Level of the SII/RII limits. For several levels call again with the same seed: the
        draws are the same, so the limits are consistent.
    seed : int, None or numpy.random.Generator, default 1
        Fixed by default, so the limits are reproducible.
    reliability : bool, default False
        Also run 9 further simulations and report the MAD statistics and ``reliable``.
    reliability_decimals : int, default 1
        Decimal places you intend to show; ``reliable`` is True when both MADs are below
        ``10 ** -(reliability_decimals + 1)``.
    se : array-like, optional
        Standard errors of the values (``value_type="other"`` only), used instead of limits.
    quantiles : array-like, optional
        Quantile labels (1 = most deprived); rows are sorted by them first. Must be unique.
    input_confidence : float, default 0.95
        Level of ``lower``/``upper``.

    Returns
    -------
    SIIResult
        NaN fields with a ``reason`` when a value, limit or population is missing.

    Raises
    ------
    ParameterError
        Unknown ``value_type``; ``transform`` with "other"; ``se`` with a rate or proportion;
        neither limits nor se; fewer than 2 quantiles; populations <= 0; lower above upper (a
        value outside its limits is accepted, as PHE does); rates or limits <= 0; proportions or
        limits outside (0, 1), e.g. percentages; a negative se; a zero or non-finite
        multiplier; too few repetitions; duplicate quantile labels; a bad seed or confidence.

    Warns
    -----
    UserWarning
        Fewer than 5 quantiles (PHE advises 5 to 100: too few hide the gradient).

    See Also
    --------
    assign_deprivation_quantiles : small areas into deprivation quantiles.

    References
    ----------
    [LL]; [PHE-SII]; [PHEim-sii]. The point estimates match all 22 reference sets of the PHE
    SII sheet (``tests/data/pheim_sii_reference.csv``) to 1e-12.

    Examples
    --------
    Life expectancy by deprivation decile (decile 1 = most deprived), 95% limits given:

    >>> le = [75.93, 78.34, 83.84, 83.64, 80.47, 81.08, 81.74, 84.21, 80.63, 86.33]
    >>> lo = [72.72, 75.25, 80.87, 80.16, 77.13, 78.02, 79.05, 81.44, 75.86, 83.25]
    >>> hi = [79.14, 81.44, 86.80, 87.12, 83.80, 84.14, 84.43, 86.98, 85.39, 89.41]
    >>> pop = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
    >>> r = slope_index_of_inequality(le, lo, hi, pop, repetitions=10_000)
    >>> round(r.sii, 2), round(r.rii, 3), round(r.intercept, 2)
    (6.99, 1.089, 78.06)
    >>> round(r.sii_lower, 1), round(r.sii_upper, 1)
    (3.2, 10.8)
    """
    vt, tr = _value_type(value_type, transform)
    mult = _check_multiplier(multiplier)
    repetitions = check_whole_number(repetitions, "repetitions", MIN_SII_REPETITIONS)
    confidence = check_confidence(confidence)
    z_in = normal_quantile(input_confidence, "input_confidence")
    reliability = check_flag(reliability, "reliability")
    reliability_decimals = check_whole_number(reliability_decimals, "reliability_decimals", 0)
    rng = _rng(seed)

    series_template(values, lower, upper, populations, se, quantiles)
    if populations is None:
        raise ParameterError("populations is required (the population of each quantile).")
    v = as_float_1d(values, "values")
    pop = as_float_1d(populations, "populations")
    arrays = {"values": v, "populations": pop}
    s_user = lo = hi = None
    if se is not None:
        if vt != "other":
            raise ParameterError("se can only be given for value_type='other': rates and "
                                 "proportions need their confidence limits, because their "
                                 "standard error is taken on the log/logit scale.")
        s_user = arrays["se"] = as_float_1d(se, "se")
    elif lower is None or upper is None:
        raise ParameterError("lower and upper confidence limits are required (or se for "
                             "'other').")
    else:
        lo = arrays["lower"] = as_float_1d(lower, "lower")
        hi = arrays["upper"] = as_float_1d(upper, "upper")
    if quantiles is not None:
        arrays["quantiles"] = np.asarray(
            quantiles.to_numpy() if hasattr(quantiles, "to_numpy") else quantiles)
    k = same_length(arrays)
    if quantiles is not None:
        if len(set(arrays["quantiles"].tolist())) != k:
            raise ParameterError("quantiles must be unique: each quantile appears once per area.")
        order = np.argsort(arrays["quantiles"], kind="stable")
        v, pop = v[order], pop[order]
        s_user, lo, hi = (None if x is None else x[order] for x in (s_user, lo, hi))
    if k < 2:
        raise ParameterError(f"at least 2 quantiles are needed to fit a slope; got {k}.")
    if k < 5:
        warnings.warn(f"only {k} quantiles: PHE advises 5 to 100; too few groups can hide the "
                      "gradient.", UserWarning, stacklevel=2)
    _check_ranges(v, pop, lo, hi, s_user, vt)
    parts = [x for x in (v, pop, s_user, lo, hi) if x is not None]
    missing = ~np.all(np.isfinite(np.vstack(parts)), axis=0)
    if np.any(missing):
        nan = math.nan
        reason = ("cannot be calculated: missing value, limit or population for quantile "
                  f"position(s) {np.flatnonzero(missing).tolist()}")
        logger.info("SII %s", reason)
        return SIIResult(nan, nan, nan, nan, nan, nan, nan, confidence, repetitions, k, vt, tr,
                         mult, reason=reason)

    g = _TRANSFORMS[vt][0] if vt in _TRANSFORMS else (lambda x: x)
    se_t = s_user if s_user is not None else (g(hi) - g(lo)) / (2.0 * z_in)
    centre = g(v)

    w, h = _design(pop)
    y0, y1 = (float(x) for x in _extremes(h @ (w * (centre if tr else v)), vt, tr))
    rii = y1 / y0 if y0 != 0 else math.nan
    if mult < 0:
        rii = 1.0 / rii if rii != 0 else math.nan

    lims = []
    for _ in range(_RELIABILITY_RUNS if reliability else 1):
        s_sim, r_sim = _simulate(centre, se_t, w, h, vt, tr, repetitions, rng)
        lims.append(_scaled(_limits(s_sim, confidence), _limits(r_sim, confidence), mult))
    (s_lo, s_hi), (r_lo, r_hi) = lims[0]
    sii_mad = rii_mad = math.nan
    reliable = None
    if reliability:
        sii_mad = float(np.mean([np.abs(s - lims[0][0]) for s, _ in lims[1:]]))
        rii_mad = float(np.mean([np.abs(r - lims[0][1]) for _, r in lims[1:]]))
        threshold = 10.0 ** -(reliability_decimals + 1)
        reliable = bool(sii_mad < threshold and rii_mad < threshold)
    return SIIResult(
        sii=(y1 - y0) * mult, sii_lower=float(s_lo), sii_upper=float(s_hi), rii=float(rii),
        rii_lower=float(r_lo), rii_upper=float(r_hi), intercept=y0, confidence=confidence,
        repetitions=repetitions, n_quantiles=k, value_type=vt, transform=tr, multiplier=mult,
        sii_mad=sii_mad, rii_mad=rii_mad, reliable=reliable,
    )
