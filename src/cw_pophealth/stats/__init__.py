"""Statistical methods that reproduce what OHID Fingertips publishes.

One small, cited function per method, one module per method family:

:mod:`~cw_pophealth.stats.intervals`
    Wilson and Byar's/exact intervals, rates, intervals from standard errors, the window of
    need interval.
:mod:`~cw_pophealth.stats.comparisons`
    Comparison with a benchmark (single CI overlap, two levels, quintiles) by polarity.
:mod:`~cw_pophealth.stats.trend`
    The recent-trend chi-square test.
:mod:`~cw_pophealth.stats.dsr`
    Directly standardised rates with Dobson limits.
:mod:`~cw_pophealth.stats.life_expectancy`
    Life expectancy from deaths and populations by age band (Chiang II, Silcocks' variance).
:mod:`~cw_pophealth.stats.inequality`
    The slope and relative index of inequality (SII/RII) across deprivation quantiles.
:mod:`~cw_pophealth.stats.quantiles`
    Deprivation quantiles (deciles, quintiles) from IMD scores.

Every function takes scalars, NumPy arrays or pandas Series (Series are matched by position,
and their index is kept on the result; Series passed together must share one index). Missing
values (NaN) pass through as NaN, or as ``"Not compared"`` / ``"Cannot be calculated"`` for the
labelling functions. Invalid inputs (negative counts, a count above its denominator, a
confidence level outside (0, 1), lower limits above upper limits, ...) raise
:class:`cw_pophealth.errors.ParameterError` before anything is computed.

All normal quantiles are exact (:func:`z_value`, or the same number from ``scipy.special`` in
the newer modules), never a literal 1.96. The one deliberate
exception is the recent-trend test, which divides a 95% CI width by 3.92 because the Fingertips
server does (see :func:`recent_trend`).

The methods are written from the published formulas. The GPL-3 reference packages
(PHEindicatormethods, PHStatsMethods) are used only as independent checks in the tests, never as
a source of code.
"""

from __future__ import annotations

from cw_pophealth.stats.comparisons import (
    BEST,
    BETTER,
    HIGHER,
    LOWER,
    MUCH_HIGHER,
    MUCH_LOWER,
    NOT_COMPARED,
    QUINTILE_LABELS_BOB,
    QUINTILE_LABELS_RAG,
    SIMILAR,
    WORSE,
    WORST,
    compare_to_benchmark,
    compare_two_level,
    quintile_comparison,
)
from cw_pophealth.stats.dsr import ESP2013, DSRResult, dsr_ci, dsr_table, normalise_age_band
from cw_pophealth.stats.inequality import (
    MIN_SII_REPETITIONS,
    SII_METHOD,
    SIIResult,
    slope_index_of_inequality,
)
from cw_pophealth.stats.intervals import (
    WINDOW_OF_NEED_METHOD,
    byars_ci,
    ci_from_se,
    rate_ci,
    rescale_symmetric_ci,
    se_from_ci,
    wilson_ci,
    window_of_need_ci,
    z_value,
)
from cw_pophealth.stats.life_expectancy import (
    AGE_BANDS_85,
    AGE_BANDS_90,
    LE_METHOD,
    MAX_CI_WIDTH_YEARS,
    MIN_TOTAL_POPULATION,
    life_expectancy_ci,
    life_expectancy_table,
)
from cw_pophealth.stats.quantiles import assign_deprivation_quantiles
from cw_pophealth.stats.trend import (
    CANNOT_BE_CALCULATED,
    FINGERTIPS_TREND_CI_DIVISOR,
    NO_SIGNIFICANT_CHANGE,
    TREND_CHI2_THRESHOLD,
    TrendResult,
    recent_trend,
)

__all__ = [
    "AGE_BANDS_85",
    "AGE_BANDS_90",
    "BEST",
    "BETTER",
    "CANNOT_BE_CALCULATED",
    "ESP2013",
    "FINGERTIPS_TREND_CI_DIVISOR",
    "HIGHER",
    "LE_METHOD",
    "LOWER",
    "MAX_CI_WIDTH_YEARS",
    "MIN_SII_REPETITIONS",
    "MIN_TOTAL_POPULATION",
    "MUCH_HIGHER",
    "MUCH_LOWER",
    "NOT_COMPARED",
    "NO_SIGNIFICANT_CHANGE",
    "QUINTILE_LABELS_BOB",
    "QUINTILE_LABELS_RAG",
    "SIMILAR",
    "SII_METHOD",
    "TREND_CHI2_THRESHOLD",
    "WINDOW_OF_NEED_METHOD",
    "WORSE",
    "WORST",
    "DSRResult",
    "SIIResult",
    "TrendResult",
    "assign_deprivation_quantiles",
    "byars_ci",
    "ci_from_se",
    "compare_to_benchmark",
    "compare_two_level",
    "dsr_ci",
    "dsr_table",
    "life_expectancy_ci",
    "life_expectancy_table",
    "normalise_age_band",
    "quintile_comparison",
    "rate_ci",
    "recent_trend",
    "rescale_symmetric_ci",
    "se_from_ci",
    "slope_index_of_inequality",
    "wilson_ci",
    "window_of_need_ci",
    "z_value",
]
