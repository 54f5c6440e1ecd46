"""Directly standardised rates with Dobson confidence limits, on the 2013 European Standard
Population.

References
----------
.. [Dobson] Dobson, A. J., Kuulasmaa, K., Eberle, E. & Scherer, J. (1991). Confidence intervals
   for weighted sums of Poisson parameters. *Stat Med* 10, 457-462.
.. [ESP2013] Eurostat (2013). *Revision of the European Standard Population*. Luxembourg.
.. [TG-CI] Public Health England (2018). *Technical Guide - Confidence Intervals*, appendix 4.
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

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float,
    check_confidence,
    check_positive_number,
)
from cw_pophealth.stats.intervals import byars_ci

logger = logging.getLogger(__name__)

__all__ = ["ESP2013", "DSRResult", "dsr_ci", "dsr_table", "normalise_age_band"]

#: Keys are normalised age-band labels (see :func:`normalise_age_band`); read-only.
ESP2013: Mapping[str, int] = MappingProxyType(
    {
        "0-4": 5000, "5-9": 5500, "10-14": 5500, "15-19": 5500, "20-24": 6000,
        "25-29": 6000, "30-34": 6500, "35-39": 7000, "40-44": 7000, "45-49": 7000,
        "50-54": 7000, "55-59": 6500, "60-64": 6000, "65-69": 5500, "70-74": 5000,
        "75-79": 4000, "80-84": 2500, "85-89": 1500, "90+": 1000,
    }
)



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
    c = check_confidence(confidence)
    mult = check_positive_number(multiplier, "multiplier")
    x = np.ravel(as_float(counts, "counts"))
    n = np.ravel(as_float(populations, "populations"))
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
