"""Period life expectancy: Chiang's abridged life table, with Silcocks' variance for the open band.

This is the method of the PHE/OHID Life Expectancy Calculator and of ONS sub-national life
expectancy [Chiang; ONS; PHE-LE]: age bands 0, 1-4, 5-9, ..., 85-89 and an open band 90+ (20
bands). An open band of 85+ (19 bands) is also accepted, because many local extracts stop there
(PHEindicatormethods issue #96). It gives LE for any grouping the published tables lack: a
Place, a deprivation quintile, a custom set of wards.

For band *i* with deaths D_i, population (person-years) P_i and width n_i::

    M_i = D_i / P_i
    a_i = 0.1 for the first band (age 0), 0.5 otherwise
    q_i = n_i M_i / (1 + n_i M_i (1 - a_i)),   set to 1 when D_i > P_i / (n_i a_i)
    q_w = 1 for the open band w, whose mean survival is 1 / M_w

With l_0 = 100,000, l_{i+1} = l_i (1 - q_i), d_i = l_i q_i, L_i = n_i (l_{i+1} + a_i d_i),
L_w = l_w / M_w and T_i = sum_{j>=i} L_j, life expectancy is e_i = T_i / l_i. It is computed
here by the equivalent backward recursion, which needs no l_i and so no 0/0 after a q_i = 1::

    e_w = 1 / M_w,      e_i = n_i (1 - (1 - a_i) q_i) + (1 - q_i) e_{i+1}

Variance: Chiang's, plus Silcocks et al.'s term for the open band [Silcocks]::

    s2(q_i) = q_i^2 (1 - q_i) / D_i                    (0 when D_i = 0)
    Var(e_x) = [ sum_{x<=j<w} l_j^2 ((1 - a_j) n_j + e_{j+1})^2 s2(q_j)
                 + (l_w / 2)^2 * 4 / (D_w M_w^2) ] / l_x^2

(the last term, l_w^2 / (D_w M_w^2), is the variance of the mean survival 1/M_w with D_w
Poisson), computed backwards as ``V_w = 1/(D_w M_w^2)``,
``V_i = ((1-a_i) n_i + e_{i+1})^2 s2(q_i) + (1-q_i)^2 V_{i+1}``. The interval is
``e -/+ z sqrt(Var)`` with the exact normal quantile z.

What happens to each problem
----------------------------
Raised as :class:`~cw_pophealth.errors.ParameterError` (nothing computed):
    negative deaths or populations; missing, duplicated or unknown age bands (anything but 0,
    1-4, 5-9, ..., with the open band at 85+ or 90+); inputs of different lengths; ``age_from``
    not a band start; a bad confidence level. :func:`life_expectancy_table` with
    ``invalid="suppress"`` turns these per-group errors into suppressed rows with the reason,
    so that one bad area does not stop the rest.
Cannot be calculated (value and limits NaN, with a reason):
    a missing (NaN) count in any band; zero population in any band (no rate); no deaths in the
    open band (mean survival 1/M undefined) [PHE-LE].
Suppressed by the PHE rules when ``suppress=True`` [PHE-LE; PHEim-le]:
    total population (all ages) under 5,000: value and limits NaN;
    deaths above population in any band: value and limits NaN;
    95% CI wider than 20 years: the *value* is NaN but the limits are shown, as in the PHE
    calculator (the 95% width is used whatever ``confidence`` is).
    With ``suppress=False`` the numbers are returned and ``reason`` says what would have been
    suppressed.
Flagged, not suppressed:
    q_i capped at 1 in a closed band (deaths >= 40% of a 5-year band's population, 50% for
    1-4), as the PHE calculator does (PHEindicatormethods issue #47).

References
----------
.. [Chiang] Chiang CL (1984). *The Life Table and its Applications*. Malabar, FL: Krieger
   (method II abridged life table; the variance of e_x).
.. [Silcocks] Silcocks PBS, Jenner DA, Reza R (2001). Life expectancy as a summary of mortality
   in a population: statistical considerations and suitability for use by health authorities.
   *J Epidemiol Community Health* 55:38-43.
.. [EW] Eayres DP, Williams ES (2004). Evaluation of methodologies for small area life
   expectancy estimation. *J Epidemiol Community Health* 58:243-249 (the 5,000 minimum
   population; Chiang II with Silcocks' variance recommended).
.. [ONS] Office for National Statistics. *Life expectancy for local areas of the UK:
   methodology* (abridged life table, 90+ open band, a_0 = 0.1).
.. [PHE-LE] Public Health England / OHID. Life Expectancy Calculator and public health technical
   guidance (Fingertips "PH methods"): suppression when the population is under 5,000 or the 95%
   CI is wider than 20 years; at least one death in the open band.
.. [PHEim-le] PHEindicatormethods ``phe_life_expectancy`` documentation and NEWS (v1.3.0,
   v1.4.0); issues #47 (q capped at 1) and #96 (85+ open band). Read for behaviour and reference
   values only; its GPL-3 code is not used.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float_1d,
    check_confidence,
    check_flag,
    normal_quantile,
    series_template,
)
from cw_pophealth.stats.dsr import normalise_age_band

logger = logging.getLogger(__name__)

__all__ = ["AGE_BANDS_85", "AGE_BANDS_90", "LE_METHOD", "MAX_CI_WIDTH_YEARS",
           "MIN_TOTAL_POPULATION", "life_expectancy_ci", "life_expectancy_table"]

_STARTS_90 = (0, 1) + tuple(range(5, 95, 5))
_STARTS_85 = (0, 1) + tuple(range(5, 90, 5))


def _labels(starts: Sequence[int]) -> tuple[str, ...]:
    out = []
    for i, s in enumerate(starts):
        if i == len(starts) - 1:
            out.append(f"{s}+")
        else:
            out.append("0" if s == 0 else f"{s}-{starts[i + 1] - 1}")
    return tuple(out)


#: The 20 bands of ONS sub-national LE and the PHE calculator: "0", "1-4", ..., "85-89", "90+".
AGE_BANDS_90: tuple[str, ...] = _labels(_STARTS_90)
#: The 19-band layout with an open 85+ band: "0", "1-4", ..., "80-84", "85+".
AGE_BANDS_85: tuple[str, ...] = _labels(_STARTS_85)
#: Suppress when the total (all-age) population is below this [EW; PHE-LE].
MIN_TOTAL_POPULATION = 5000
#: Suppress a value whose 95% confidence interval is wider than this many years [PHE-LE].
MAX_CI_WIDTH_YEARS = 20.0
LE_METHOD = "Chiang II abridged life table; Silcocks et al. (2001) variance for the open band"

_COLUMNS = ["age_from", "value", "lower", "upper", "se", "confidence", "pops_used",
            "deaths_used", "suppressed", "reason"]
_CLOSED = re.compile(r"^(\d+)-(\d+)$")
_OPEN = re.compile(r"^(\d+)\+$")
_INFANT = re.compile(r"^(<\s*1|under\s*1|0|00)(\s*(yrs?|years?))?$")
_START = re.compile(r"^(?:aged?\s*)?(\d+)(\s*(yrs?|years?))?$")


def _parse_band(label: Any) -> tuple[int, int | None, bool | None]:
    """(start, end or None, open?) of one age-band label; ``open`` is None when it cannot tell.

    Accepts start ages (0, 1, 5, ...) and labels such as "0", "<1", "1-4", "01 - 04", "5–9",
    "10 to 14", "90+", "90 and over", "Aged 85+" (normalised with :func:`normalise_age_band`).
    """
    if isinstance(label, (bool, np.bool_)):
        raise ParameterError(f"age band {label!r} is not an age band label.")
    if isinstance(label, (int, np.integer)) or (
            isinstance(label, (float, np.floating)) and math.isfinite(label)
            and float(label).is_integer()):
        return int(label), None, None
    hint = ("use start ages (0, 1, 5, ..., 90) or labels like '0', '1-4', '5-9', ..., '90+'.")
    if not isinstance(label, str):
        raise ParameterError(f"age band {label!r} is not understood; {hint}")
    text = normalise_age_band(label).strip().lower()
    if _INFANT.match(text):
        return 0, 0, False
    if m := _CLOSED.match(text):
        start, end = int(m[1]), int(m[2])
        if end < start:
            raise ParameterError(f"age band {label!r} ends before it starts.")
        return start, end, False
    if m := _OPEN.match(text):
        return int(m[1]), None, True
    if m := _START.match(text):
        return int(m[1]), None, None
    raise ParameterError(f"age band {label!r} is not understood; {hint}")


def _band_names(starts: Sequence[int] | np.ndarray, mask: np.ndarray) -> str:
    labels = _labels(tuple(int(s) for s in starts))
    return ", ".join(lab for lab, flag in zip(labels, mask, strict=True) if flag)


def _layout_from(age_bands: Any, expected: tuple[int, ...] | None = None
                 ) -> tuple[tuple[int, ...], np.ndarray]:
    """Check a list of bands; return the layout's start ages and each given band's start.

    The layout is ``expected`` when given, else inferred from the highest start (85 or 90).
    """
    if isinstance(age_bands, (str, bytes)) or not isinstance(
            age_bands, (Sequence, np.ndarray, pd.Series, pd.Index)):
        raise ParameterError("age_bands must be a list of age bands (e.g. AGE_BANDS_90 or "
                             f"AGE_BANDS_85); got {age_bands!r}.")
    labels = list(age_bands)
    parsed = [_parse_band(b) for b in labels]
    starts = [p[0] for p in parsed]
    dup = sorted({s for s in starts if starts.count(s) > 1})
    if dup:
        raise ParameterError(f"age_bands lists the band(s) starting at {dup} more than once.")
    layout = expected or (_STARTS_85 if starts and max(starts) == 85 else _STARTS_90)
    missing = [s for s in layout if s not in starts]
    extra = sorted(s for s in starts if s not in layout)
    if missing or extra:
        names = dict(zip(layout, _labels(layout), strict=True))
        parts = (["missing " + ", ".join(names[s] for s in missing)] if missing else []) + (
            [f"unexpected band start(s) {extra}"] if extra else [])
        raise ParameterError(
            "age bands must be exactly 0, 1-4, 5-9, ..., 85-89, 90+ (20 bands) or 0, 1-4, ..., "
            f"80-84, 85+ (19 bands): {'; '.join(parts)}. A band with no deaths needs a row with "
            "0 deaths, not a missing row.")
    nxt: dict[int, int | None] = dict(zip(layout, [*layout[1:], None], strict=True))
    for (start, end, is_open), label in zip(parsed, labels, strict=True):
        following = nxt[start]
        last = following is None
        if last and is_open is False:
            raise ParameterError(f"the last age band must be open-ended (e.g. '{start}+'); got "
                                 f"{label!r}. Add the open band, or use AGE_BANDS_85 if your "
                                 "data stop at 85+.")
        if not last and is_open:
            raise ParameterError(f"age band {label!r} is open-ended but is not the last band "
                                 f"(the open band of this layout starts at {layout[-1]}).")
        if end is not None and following is not None and end != following - 1:
            raise ParameterError(f"age band {label!r} should end at {following - 1} (the next "
                                 f"band starts at {following}).")
    return layout, np.array(starts)


def _chiang(d: np.ndarray, p: np.ndarray, starts: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """e_x, Var(e_x) and q for sorted bands; needs p > 0 everywhere and d_w > 0."""
    k = len(starts)
    n = np.diff(starts).astype(float)
    a = np.full(k - 1, 0.5)
    a[0] = 0.1
    m = d / p
    nm = n * m[:-1]
    q = np.ones(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        q[:-1] = np.minimum(nm / (1.0 + nm * (1.0 - a)), 1.0)  # q = 1 exactly when D >= P/(n a)
        s2q = np.where(d[:-1] > 0, q[:-1] ** 2 * (1.0 - q[:-1]) / d[:-1], 0.0)
    e, v = np.empty(k), np.empty(k)
    e[-1] = 1.0 / m[-1]
    v[-1] = 1.0 / (d[-1] * m[-1] ** 2)  # Silcocks: (l_w/2)^2 * 4/(D_w M_w^2), over l_w^2
    for i in range(k - 2, -1, -1):
        e[i] = n[i] * (1.0 - (1.0 - a[i]) * q[i]) + (1.0 - q[i]) * e[i + 1]
        v[i] = ((1.0 - a[i]) * n[i] + e[i + 1]) ** 2 * s2q[i] + (1.0 - q[i]) ** 2 * v[i + 1]
    return e, v, q


def _cannot(d: np.ndarray, p: np.ndarray, starts: np.ndarray) -> str:
    """Why no life table can be built ("" when it can)."""
    bad = ~np.isfinite(d) | ~np.isfinite(p)
    if bad.any():
        return "cannot be calculated: missing deaths or population in " + _band_names(starts, bad)
    out = []
    if np.any(p == 0):
        out.append("cannot be calculated: zero population in " + _band_names(starts, p == 0)
                   + " (no death rate)")
    if d[-1] == 0:
        out.append(f"cannot be calculated: no deaths in the open band {int(starts[-1])}+ (its "
                   "mean survival 1/M is undefined)")
    return "; ".join(out)


def _result_frame(starts: np.ndarray, d: np.ndarray, p: np.ndarray, ages: list[int],
                  confidence: float, suppress: bool) -> pd.DataFrame:
    """LE for sorted, checked (non-negative) bands, with the PHE rules applied."""
    k = len(starts)
    pos = [int(np.flatnonzero(starts == x)[0]) for x in ages]
    with np.errstate(invalid="ignore"):
        pops_used, deaths_used = np.cumsum(p[::-1])[::-1], np.cumsum(d[::-1])[::-1]
    value, lower, upper, se = (np.full(k, np.nan) for _ in range(4))
    reasons: list[list[str]] = [[] for _ in range(k)]
    suppressed = np.zeros(k, dtype=bool)
    cannot = _cannot(d, p, starts)
    if cannot:
        reasons = [[cannot] for _ in range(k)]
        suppressed[:] = True
    else:
        e, var, q = _chiang(d, p, starts)
        s = np.sqrt(var)
        z = normal_quantile(confidence)
        value, se, lower, upper = e, s, e - z * s, e + z * s
        prefix = "suppressed: " if suppress else "would be suppressed (suppress=False): "
        whole = []
        if np.any(d > p):
            whole.append("deaths exceed population in " + _band_names(starts, d > p))
        total = float(p.sum())
        if total < MIN_TOTAL_POPULATION:
            whole.append(f"total population {total:,.0f} is below {MIN_TOTAL_POPULATION:,}")
        withheld = bool(whole) and suppress
        if whole:
            for r in reasons:
                r.append(prefix + "; ".join(whole))
            if suppress:
                value, lower, upper, se = (np.full(k, np.nan) for _ in range(4))
                suppressed[:] = True
        width95 = 2.0 * normal_quantile(0.95) * s
        wide = (width95 > MAX_CI_WIDTH_YEARS) & (not withheld)
        for i in np.flatnonzero(wide):
            reasons[i].append(prefix + f"95% confidence interval is {width95[i]:.1f} years wide "
                              f"(over {MAX_CI_WIDTH_YEARS:g}); limits shown, value withheld")
        if suppress and wide.any():
            value = np.where(wide, np.nan, value)
            suppressed |= wide
        capped = np.flatnonzero(q[:-1] >= 1.0)
        if capped.size and not withheld:
            names = _band_names(starts, np.isin(np.arange(k), capped))
            for row in reasons[: int(capped.max()) + 1]:
                row.append(f"note: probability of dying set to 1 in {names} (deaths >= "
                                  "population/(n*a)), as in the PHE calculator")
    out = pd.DataFrame({
        "age_from": [int(starts[i]) for i in pos], "value": value[pos], "lower": lower[pos],
        "upper": upper[pos], "se": se[pos], "confidence": confidence,
        "pops_used": pops_used[pos], "deaths_used": deaths_used[pos],
        "suppressed": suppressed[pos],
        "reason": [("; ".join(reasons[i]) if reasons[i] else None) for i in pos],
    }, columns=_COLUMNS)
    out.attrs["method"] = LE_METHOD
    return out


def _ages_requested(age_from: Any, layout: Sequence[int]) -> list[int]:
    if isinstance(age_from, str):
        if age_from.strip().lower() == "all":
            return list(layout)
        raise ParameterError(f"age_from must be a band start age, a list of them or 'all'; got "
                             f"{age_from!r}.")
    values = [age_from] if np.ndim(age_from) == 0 else list(age_from)
    if not values:
        raise ParameterError("age_from is empty; pass e.g. 0, [0, 65] or 'all'.")
    out = []
    for v in values:
        ok = not isinstance(v, (bool, np.bool_)) and isinstance(
            v, (int, np.integer, float, np.floating))
        if not (ok and math.isfinite(v) and float(v).is_integer() and int(v) in layout):
            raise ParameterError(f"age_from {v!r} is not the start of an age band; use one of "
                                 f"{list(layout)}.")
        out.append(int(v))
    return out


def _check_non_negative(d: np.ndarray, p: np.ndarray, starts: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        for arr, name in ((d, "deaths"), (p, "populations")):
            if np.any(arr < 0):
                raise ParameterError(f"{name} must be >= 0; negative in "
                                     f"{_band_names(starts, arr < 0)}.")


def _one_table(d: np.ndarray, p: np.ndarray, starts: np.ndarray, ages: list[int],
               confidence: float, suppress: bool) -> pd.DataFrame:
    order = np.argsort(starts, kind="stable")
    starts, d, p = starts[order], d[order], p[order]
    _check_non_negative(d, p, starts)
    return _result_frame(starts, d, p, ages, confidence, suppress)


def life_expectancy_ci(
    deaths: Any,
    populations: Any,
    age_bands: Sequence[Any] = AGE_BANDS_90,
    *,
    confidence: float = 0.95,
    age_from: Any = 0,
    suppress: bool = True,
) -> pd.DataFrame:
    """Life expectancy at given ages, with confidence limits, for one area (Chiang II, Silcocks).

    The module docstring gives the formulas and says exactly which problems raise, which give
    "cannot be calculated" and which are suppressed.

    Parameters
    ----------
    deaths, populations : array-like or Series
        Deaths and population (person-years; for pooled periods the summed mid-year
        populations) in each band of ``age_bands``, matched by position. Series passed together
        must share one index.
    age_bands : sequence, default :data:`AGE_BANDS_90`
        Labels or start ages of the bands, in the order of ``deaths`` (any order; rows are
        sorted by age). Exactly 0, 1-4, 5-9, ..., 85-89, 90+, or the 85+ layout
        :data:`AGE_BANDS_85`.
    confidence : float, default 0.95
        Level of the returned interval (the 20-year rule always uses the 95% interval).
    age_from : int, sequence of int, or "all", default 0
        Age(s) at which LE is wanted; each must be a band start (0, 1, 5, ..., 90).
    suppress : bool, default True
        Apply the PHE suppression rules. False returns every computable number; ``reason``
        still says what would have been suppressed.

    Returns
    -------
    pandas.DataFrame
        One row per requested age: ``age_from``, ``value`` (LE in years), ``lower``, ``upper``,
        ``se`` (standard error), ``confidence``, ``pops_used`` and ``deaths_used`` (population
        and deaths at ages >= age_from), ``suppressed`` (bool) and ``reason`` (None, or why the
        value is missing or what was flagged). ``attrs["method"]`` names the method.

    Raises
    ------
    ParameterError
        Negative deaths or populations; lengths that differ from ``age_bands``; missing,
        duplicated or unknown bands; ``age_from`` not a band start; a bad confidence level.

    See Also
    --------
    life_expectancy_table : the same for many areas or groups of a long table.

    References
    ----------
    [Chiang]; [Silcocks]; [EW]; [ONS]; [PHE-LE]. Checked against the PHE calculator's values
    published with PHEindicatormethods (``tests/data/pheim_le_reference.csv``).

    Examples
    --------
    The PHE worked example (20 bands, 90+):

    >>> pops = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...         50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
    >>> deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...           1390, 1605, 1936, 1937]
    >>> le = life_expectancy_ci(deaths, pops, age_from=[0, 65])
    >>> le[["age_from", "value", "lower", "upper"]].round(4).values.tolist()
    [[0.0, 80.1696, 79.8827, 80.4565], [65.0, 18.7686, 18.5757, 18.9614]]

    A small area (under 5,000 people) is suppressed, with the reason:

    >>> small = life_expectancy_ci([d // 100 + 1 for d in deaths], [p // 200 for p in pops])
    >>> bool(small.loc[0, "suppressed"]), small.loc[0, "reason"]
    (True, 'suppressed: total population 3,933 is below 5,000')
    """
    confidence = check_confidence(confidence)
    suppress = check_flag(suppress, "suppress")
    series_template(deaths, populations)
    layout, starts = _layout_from(age_bands)
    d = as_float_1d(deaths, "deaths")
    p = as_float_1d(populations, "populations")
    if len(d) != len(starts) or len(p) != len(starts):
        raise ParameterError(f"deaths ({len(d)}) and populations ({len(p)}) must have one value "
                             f"per age band ({len(starts)} bands in age_bands).")
    return _one_table(d, p, starts, _ages_requested(age_from, layout), confidence, suppress)


def life_expectancy_table(
    df: pd.DataFrame,
    *,
    deaths: str = "deaths",
    population: str = "population",
    age_band: str = "age_band",
    group_cols: str | Sequence[str] | None = None,
    age_bands: Sequence[Any] = AGE_BANDS_90,
    confidence: float = 0.95,
    age_from: Any = 0,
    suppress: bool = True,
    invalid: str = "raise",
) -> pd.DataFrame:
    """Life expectancy for many areas or groups of a long table (one row per group and band).

    Parameters
    ----------
    df : pandas.DataFrame
        Group columns, an age-band column and deaths and population columns, rows in any
        order (bands are matched by their start age).
    deaths, population, age_band : str
        Column names.
    group_cols : str or list of str, optional
        Columns that define one life table (e.g. ``["area_code", "sex", "period"]``); None
        treats the whole table as one group.
    age_bands : sequence, default :data:`AGE_BANDS_90`
        The expected layout (:data:`AGE_BANDS_90` or :data:`AGE_BANDS_85`).
    confidence, age_from, suppress
        As in :func:`life_expectancy_ci`.
    invalid : {"raise", "suppress"}, default "raise"
        What to do with a group whose data are invalid (negative counts; missing, duplicated or
        unknown bands): raise, naming the group, or return its rows with NaN values,
        ``suppressed=True`` and the reason.

    Returns
    -------
    pandas.DataFrame
        The group columns, then the columns of :func:`life_expectancy_ci`; one row per group
        and requested age, groups sorted.

    Raises
    ------
    ParameterError
        Missing columns, a bad ``invalid`` option, or (with ``invalid="raise"``) a group with
        invalid data, naming the group.

    See Also
    --------
    life_expectancy_ci : one area.

    References
    ----------
    As :func:`life_expectancy_ci`.

    Examples
    --------
    Two SYNTHETIC areas with the same deaths, B with twice A's population:

    >>> pops = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    ...         50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
    >>> deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872,
    ...           1390, 1605, 1936, 1937]
    >>> df = pd.DataFrame({"area": ["A"] * 20 + ["B"] * 20, "age_band": list(AGE_BANDS_90) * 2,
    ...                    "deaths": deaths * 2, "population": pops + [x * 2 for x in pops]})
    >>> t = life_expectancy_table(df, group_cols="area")
    >>> t[["area", "value"]].round(3).values.tolist()
    [['A', 80.17], ['B', 88.947]]
    """
    if invalid not in ("raise", "suppress"):
        raise ParameterError(f"invalid must be 'raise' or 'suppress'; got {invalid!r}.")
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("df must be a pandas DataFrame in long format (one row per band).")
    gcols = [] if group_cols is None else (
        [group_cols] if isinstance(group_cols, str) else list(group_cols))
    absent = [c for c in [*gcols, age_band, deaths, population] if c not in df.columns]
    if absent:
        raise ParameterError(f"df has no column(s) {absent}; it has {list(df.columns)}.")
    confidence = check_confidence(confidence)
    suppress = check_flag(suppress, "suppress")
    layout, _ = _layout_from(age_bands)
    ages = _ages_requested(age_from, layout)
    pieces = []
    grouped = df.groupby(gcols, sort=True, dropna=False) if gcols else [((), df)]
    for key, g in grouped:
        key = key if isinstance(key, tuple) else (key,)
        try:
            _, starts = _layout_from(list(g[age_band]), expected=layout)
            res = _one_table(as_float_1d(g[deaths], deaths), as_float_1d(g[population],
                             population), starts, ages, confidence, suppress)
        except ParameterError as exc:
            where = ", ".join(f"{c}={v!r}" for c, v in zip(gcols, key, strict=True)) or "table"
            if invalid == "raise":
                raise ParameterError(f"group {where}: {exc}") from exc
            logger.info("Life expectancy not calculated for group %s: %s", where, exc)
            res = pd.DataFrame({"age_from": ages, "value": np.nan, "lower": np.nan,
                                "upper": np.nan, "se": np.nan, "confidence": confidence,
                                "pops_used": np.nan, "deaths_used": np.nan, "suppressed": True,
                                "reason": f"invalid data: {exc}"}, columns=_COLUMNS)
        for i, (c, v) in enumerate(zip(gcols, key, strict=True)):
            res.insert(i, c, v)
        pieces.append(res)
    if not pieces:
        return pd.DataFrame(columns=[*gcols, *_COLUMNS])
    out = pd.concat(pieces, ignore_index=True)
    out.attrs["method"] = LE_METHOD
    logger.info("Life expectancy for %d group(s); %d with a value suppressed or not calculated",
                len(pieces), sum(bool(piece["suppressed"].any()) for piece in pieces))
    return out
