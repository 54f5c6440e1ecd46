"""Releases in analyses: which rows come from an earlier release, and the LE/HLE pairing rule.

Two rules live here.

**Earlier release.** Fingertips updates its indicators about once a year, so a value whose
release is more than a year older than the newest release of the same indicator in the table
has missed at least one update: :func:`earlier_release` flags it, and charts style it
differently (with a legend entry) so that a 2016 - 18 value never sits silently beside a
2022 - 24 one.

**Window-of-need pairing** (:func:`pairing`). Life expectancy (90366) and healthy life
expectancy (90362) may be subtracted only when they come from the same release of the ONS
figures: the same population base and the same publication cycle. Two rows pair when

1. they are the same area, sex and period (label and dates);
2. they are the same release (one publication state, e.g. one API pull): they pair; otherwise
3. both were released before Census day 2021 (:data:`CENSUS_2021_DAY`), so neither can use
   Census 2021 populations ("pre-2021-Census"), or both on or after the first release date at
   which the extracts show that indicator's sub-national values revised onto the Census 2021
   base (:data:`REBASED_FROM`: "Census-2021-rebased"); a release between the two cannot be
   placed and never pairs;
3. and they are the same release, or releases at most a year apart (:data:`ONE_YEAR`): both
   series are annual, so this keeps a pair within adjacent publication cycles.

Evidence for the dates, all in the extracts folder: Coventry male life expectancy 2016 - 18 is
78.5394 in the January 2020 release and 78.4 in the May 2026 one; Warwickshire healthy life
expectancy 2016 - 18 is 64.8 (male) and 63.9 (female) in the June 2020 release and 65.2 and 66.2
in ONS's release of 2026-02-19. So Warwickshire's January 2020 life expectancy pairs with the
June 2020 healthy life expectancy (135 days apart, both before the Census), and never with
today's ONS figures, which would give a female gap of 17.5 years instead of 19.8.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.memo import memo
from cw_pophealth.schema import current_rows

logger = logging.getLogger(__name__)

__all__ = ["CENSUS_2021_DAY", "ONE_YEAR", "PRE_CENSUS", "REBASED", "REBASED_FROM",
           "UNKNOWN_BASE", "earlier_release", "newest_release_dates", "pairing",
           "release_epoch", "short_release"]

#: Census day 2021: nothing released before it can use Census 2021 populations.
CENSUS_2021_DAY = pd.Timestamp("2021-03-21")
#: The first release date at which the extracts show each indicator's sub-national values
#: revised onto the Census 2021 base (see the module docstring).
REBASED_FROM = {catalogue.LIFE_EXPECTANCY_ID: pd.Timestamp("2026-05-13"),
                catalogue.HEALTHY_LIFE_EXPECTANCY_ID: pd.Timestamp("2026-02-19")}
#: Releases further apart than this are not of one annual publication cycle.
ONE_YEAR = pd.Timedelta(days=366)
PRE_CENSUS = "pre-2021-Census"
REBASED = "Census-2021-rebased"
UNKNOWN_BASE = "unknown"


def short_release(label: object) -> str:
    """A release label without its bracketed provenance, for chart labels.

    Examples
    --------
    >>> short_release("Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough "
    ...               "@fb261d4)")
    'Fingertips as of January 2020'
    """
    text = "" if label is None or pd.isna(label) else str(label)
    return text.split(" (")[0]


def newest_release_dates(table: pd.DataFrame) -> pd.Series:
    """The newest ``release_date`` of each indicator among the table's current rows (computed
    once per unchanged table: :mod:`cw_pophealth.memo`)."""
    return memo(table, "newest release dates",
                lambda: current_rows(table).groupby("indicator_id")["release_date"].max())


def earlier_release(indicator_ids: pd.Series, release_dates: pd.Series,
                    table: pd.DataFrame) -> np.ndarray:
    """True where a release is more than :data:`ONE_YEAR` older than the newest release of the
    same indicator in ``table`` (missing dates are not flagged).

    Parameters
    ----------
    indicator_ids, release_dates : pandas.Series
        Of the rows to flag, aligned.
    table : pandas.DataFrame
        The tidy table the rows came from.

    Returns
    -------
    numpy.ndarray of bool
    """
    newest = newest_release_dates(table)
    ids = pd.Series(np.asarray(indicator_ids), dtype="object")
    dates = pd.to_datetime(pd.Series(np.asarray(release_dates)))
    reference = pd.to_datetime(ids.map(newest.to_dict()))
    return ((reference - dates) > ONE_YEAR).fillna(False).to_numpy(dtype=bool)


def release_epoch(indicator_id: int, release_date: object) -> str:
    """The population base of an LE or HLE release, from its date.

    Examples
    --------
    >>> release_epoch(90366, "2020-02-04"), release_epoch(90362, "2026-02-19")
    ('pre-2021-Census', 'Census-2021-rebased')
    >>> release_epoch(90366, "2021-12-19")
    'unknown'
    """
    when = pd.Timestamp(release_date) if release_date is not None else pd.NaT
    if pd.isna(when):
        return UNKNOWN_BASE
    if when < CENSUS_2021_DAY:
        return PRE_CENSUS
    start = REBASED_FROM.get(int(indicator_id))
    return REBASED if start is not None and when >= start else UNKNOWN_BASE


def pairing(le_release: object, le_date: object, hle_release: object,
            hle_date: object) -> tuple[bool, str]:
    """Whether an LE and an HLE row of the same area, sex and period may be paired, and why.

    Returns
    -------
    tuple of (bool, str)
        ``(True, "same release")``, ``(True, "contemporaneous releases: ...")`` or
        ``(False, <reason>)``.

    Examples
    --------
    >>> pairing("Jan 2020", "2020-02-04", "Jun 2020", "2020-06-18")
    (True, 'contemporaneous releases: both pre-2021-Census, HLE released 135 days after LE')
    >>> pairing("Jan 2020", "2020-02-04", "ONS 2026", "2026-02-19")[0]
    False
    """
    if str(le_release) == str(hle_release):
        return True, "same release"
    le_base = release_epoch(catalogue.LIFE_EXPECTANCY_ID, le_date)
    hle_base = release_epoch(catalogue.HEALTHY_LIFE_EXPECTANCY_ID, hle_date)
    if UNKNOWN_BASE in (le_base, hle_base):
        return False, f"population base unknown (LE {le_base}, HLE {hle_base})"
    if le_base != hle_base:
        return False, f"different population bases: LE {le_base}, HLE {hle_base}"
    days = int((pd.Timestamp(hle_date) - pd.Timestamp(le_date)).days)
    if abs(days) > ONE_YEAR.days:
        return False, f"releases {abs(days)} days apart (more than a year)"
    return True, (f"contemporaneous releases: both {le_base}, HLE released {abs(days)} days "
                  f"{'after' if days >= 0 else 'before'} LE")
