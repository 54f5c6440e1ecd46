"""Deprivation quantiles: assign small areas to deciles, quintiles, ... from their IMD scores.

The method [ADC]: rank the small areas of each "higher" geography (England for national
categories, one local authority for local ones) by deprivation and cut the ranked list into ``n``
groups of roughly equal numbers of small areas, quantile 1 holding the most deprived. As one
formula, for area *i* among the *N* areas of its group that have a score::

    quantile_i = floor(n * B_i / N) + 1

where ``B_i`` is the number of areas of the group that are strictly more deprived than *i* (its
rank minus one, tied areas taking the lowest shared rank). This reproduces every quantile of the
PHE quantile tool's reference sheet, tied values included (see the tests).

Choices
-------
* **Counts, not populations, by default.** The guidance groups *small areas* into roughly equal
  groups; LSOAs have roughly equal populations, so equal counts give roughly equal populations.
  The guidance uses population weighting only to give a higher geography (e.g. an LA) one score.
* **Population weighting** (``populations=``) is an extension, not the PHE default: the same
  formula with ``B_i`` the population living in strictly more deprived areas and ``N`` the
  group's population. With equal populations it gives exactly the count-based answer. Use it
  for base areas of very unequal size (wards, GP practices).
* **Quantile 1 is the most deprived** (IMD convention). ``highest_is_most_deprived=True`` suits
  IMD *scores*; pass False for IMD *ranks* (rank 1 = most deprived).
* **Ties are never split**: tied areas share the quantile their first member falls in, so a
  quantile can hold more or fewer than N/n areas. PHE advises manual review where many tied
  areas straddle a boundary [PHEim-q].
* **Too few areas**: a group with fewer areas with a score than ``n`` gets no quantiles (NaN),
  with a warning, as PHEindicatormethods does from v2.0.2 [PHEim-q]. Missing scores get NaN
  and are left out of N.

References
----------
.. [ADC] OHID / Public Health England. *Assigning deprivation categories*. Public health
   technical guidance, Fingertips: https://fingertips.phe.org.uk/static-reports/
   public-health-technical-guidance/Data_processing_methods/Assigning_deprivation_categories.html
.. [PHEim-q] PHEindicatormethods ``phe_quantile`` documentation (v2.1.0) and NEWS v2.0.2. Read
   for behaviour and reference values only; its GPL-3 code is not used.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats._inputs import (
    as_float_1d,
    check_flag,
    check_whole_number,
    same_length,
    series_template,
)

logger = logging.getLogger(__name__)

__all__ = ["assign_deprivation_quantiles"]


def _group_codes(groups: Any, length: int) -> tuple[np.ndarray, Any]:
    """An integer code per row (-1 for a missing group label) and the labels of the codes."""
    if groups is None:
        return np.zeros(length, dtype=np.int64), None
    labels = groups.to_numpy() if isinstance(groups, (pd.Series, pd.Index)) else np.asarray(groups)
    if labels.ndim != 1 or len(labels) != length:
        raise ParameterError(
            f"groups must have one label per score ({length}); got shape {np.shape(labels)}."
        )
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    return codes.astype(np.int64), uniques


def _assign_one_group(score: np.ndarray, weight: np.ndarray, n: int, integral: bool) -> np.ndarray:
    """Quantiles for one group; ``score`` is oriented so that larger means more deprived."""
    order = np.argsort(-score, kind="stable")  # most deprived first
    s_sorted, w_sorted = score[order], weight[order]
    cum_before = np.concatenate(([0.0], np.cumsum(w_sorted)[:-1]))
    # tied areas share the weight strictly before their first member (the lowest shared rank)
    before = cum_before[np.searchsorted(-s_sorted, -s_sorted, side="left")]
    total = w_sorted.sum()
    if integral:
        q = (n * before.astype(np.int64)) // int(total) + 1
    else:
        # a tiny relative tolerance so that 0.3 * 10 / 1.0 lands on 3, not 2.9999999
        q = np.floor(n * before / total * (1.0 + 1e-12)) + 1
    out = np.empty(len(q))
    out[order] = np.minimum(q, n)
    return out


def assign_deprivation_quantiles(
    scores: Any,
    n: int = 10,
    *,
    populations: Any = None,
    groups: Any = None,
    highest_is_most_deprived: bool = True,
) -> Any:
    """Assign each small area a deprivation quantile (1 = most deprived), per OHID guidance.

    ``quantile = floor(n * B / N) + 1``, where ``B`` counts the areas of the same group that are
    strictly more deprived and ``N`` the group's areas with a score (with ``populations``, the
    corresponding populations). The module notes explain ties, small groups and why counting
    areas is the default.

    Parameters
    ----------
    scores : array-like or Series
        Deprivation score (e.g. IMD score) or rank of each small area; NaN if unknown.
    n : int, default 10
        Number of quantiles: 10 for deciles, 5 for quintiles (any whole number >= 2).
    populations : array-like or Series, optional
        Population of each area (>= 0). Given, the quantiles hold roughly equal *populations*
        rather than equal *numbers of areas* (an extension, not the PHE default).
    groups : array-like or Series, optional
        Higher geography of each area (e.g. its LA code) for *local* quantiles, assigned within
        each group. Omit for one national set. Rows with a missing group get NaN.
    highest_is_most_deprived : bool, default True
        True for IMD scores; False for IMD ranks (rank 1 = most deprived).

    Returns
    -------
    numpy.ndarray of float, or pandas.Series of Int64
        Each area's quantile, 1 (most deprived) to ``n``; NaN (``<NA>``) where none can be
        assigned. A Series input gives a nullable ``Int64`` Series named ``"quantile"`` with the
        same index; other inputs give a float array.

    Raises
    ------
    ParameterError
        ``n`` not a whole number >= 2; negative or non-numeric populations; inputs of different
        lengths; Series with different indexes; ``highest_is_most_deprived`` not a bool.

    Warns
    -----
    UserWarning
        When a group has fewer areas with a score than ``n`` (its areas get NaN).

    See Also
    --------
    slope_index_of_inequality : the SII across the quantiles.

    References
    ----------
    [ADC]; checked against every row of the PHE quantile reference sheet shipped with
    PHEindicatormethods (``tests/data/pheim_quantiles_reference.csv``).

    Examples
    --------
    Ten areas into quintiles; the two highest scores are the most deprived (quintile 1):

    >>> assign_deprivation_quantiles([5, 40, 12, 33, 21, 8, 50, 17, 28, 2], n=5)
    array([5., 1., 4., 2., 3., 4., 1., 3., 2., 5.])

    Ties are not split: the three tied 8s all join quintile 2, which so holds three areas and
    quintile 3 only one:

    >>> assign_deprivation_quantiles([10, 9, 8, 8, 8, 5, 4, 3, 2, 1], n=5)
    array([1., 1., 2., 2., 2., 3., 4., 4., 5., 5.])

    Local halves within two LAs from national IMD ranks (1 = most deprived); with 5 areas per LA
    the first half takes 3, because the third-ranked area has floor(2 * 2 / 5) + 1 = 1:

    >>> assign_deprivation_quantiles([1, 9, 4, 7, 2, 8, 3, 6, 5, 10], n=2,
    ...                              groups=list("AAAAABBBBB"), highest_is_most_deprived=False)
    array([1., 2., 1., 2., 1., 2., 1., 1., 1., 2.])
    """
    n = check_whole_number(n, "n", 2)
    highest = check_flag(highest_is_most_deprived, "highest_is_most_deprived")
    template = series_template(scores, populations, groups)
    s = as_float_1d(scores, "scores")
    arrays = {"scores": s}
    if populations is not None:
        pops = as_float_1d(populations, "populations")
        arrays["populations"] = pops
        with np.errstate(invalid="ignore"):
            if np.any(pops < 0):
                raise ParameterError("populations must be >= 0; got a negative value.")
    else:
        pops = np.ones_like(s)
    length = same_length(arrays)
    codes, uniques = _group_codes(groups, length)

    oriented = s if highest else -s
    valid = np.isfinite(oriented) & np.isfinite(pops) & (codes >= 0)
    integral = bool(np.all(np.mod(pops[valid], 1.0) == 0))
    out = np.full(length, np.nan)
    for code in np.unique(codes[valid]):
        idx = np.flatnonzero(valid & (codes == code))
        total = pops[idx].sum()
        if len(idx) < n or total <= 0:
            name = None if uniques is None else uniques[code]
            name = name.item() if isinstance(name, np.generic) else name
            label = "" if name is None else f" {name!r}"
            warnings.warn(
                f"group{label} has {len(idx)} area(s) with a score (total population {total:g}) "
                f"but {n} quantiles were requested; no quantiles assigned (NaN).",
                UserWarning,
                stacklevel=2,
            )
            continue
        out[idx] = _assign_one_group(oriented[idx], pops[idx], n, integral)
    logger.debug("Assigned %d of %d areas to %d quantiles", int(np.isfinite(out).sum()),
                 length, n)
    if template is not None:
        return (pd.Series(pd.array(out, dtype="Float64"), index=template.index)
                .astype("Int64").rename("quantile"))
    return out
