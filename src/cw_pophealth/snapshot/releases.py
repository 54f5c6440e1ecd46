"""Releases: which publication or extract each file of the extracts folder is, and its date.

Every tidy row carries ``release`` (a label naming the publisher's state and the copy, e.g.
"Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough @fb261d4)") and
``release_date``. The date is, in this order of preference:

1. the publisher's own release date when the file states one (ONS Explore Local Statistics
   ``sourceDate`` in the dataset's ``.json``, dd/mm/yyyy), which :func:`check_stated_date`
   re-reads on every build so that an updated file cannot keep an old release;
2. otherwise the date of the **last commit that changed the file** in the repository that
   pulled it from the publisher (the pull happened on or shortly before that date). These were
   read with ``git log -- <path>`` in mirrors of the repositories, and the files' git blob hashes
   were checked against the copies in the extracts folder (2026-12).

A file without an entry here cannot be read into the table: :func:`release_for` raises, so no
row is ever left without a release.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cw_pophealth.errors import SchemaDriftError

logger = logging.getLogger(__name__)

__all__ = ["RELEASES", "Release", "check_stated_date", "release_for", "stated_source_date",
           "with_release"]


@dataclass(frozen=True)
class Release:
    """The release of one source file.

    Attributes
    ----------
    label : str
        Stored in ``release``.
    date : str
        ISO date stored in ``release_date``.
    basis : str
        What the date is and the evidence for it.
    """

    label: str
    date: str
    basis: str


_LAST_CHANGE = "last commit changing the file upstream: "

_WALKTHROUGH = Release(
    "Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough @fb261d4)",
    "2020-02-04",
    _LAST_CHANGE + "fb261d4 'Jan 2020 PHOF update' (2020-02-04), the same commit for all six "
    "files; the pulling script takes the latest period of each indicator as of January 2020")
_LOCAL_HEALTH = Release(
    "OHID Local Health download (psychty/local_estimates_of_mortality @98a8d13)",
    "2021-12-19",
    _LAST_CHANGE + "98a8d13 'file upload' (2021-12-19); deleted in aed0b94 (2022-04-12)")
_THEMES = ("Fingertips as of {month} (all_data CSV, traffordDataLab/trafford_themes @{commit})")
_ELS = "{what}, source date {date} (ONS Explore Local Statistics @{commit})"
_ELS_BASIS = "ess-beta-metadata sourceDate in the dataset's .json (dd/mm/yyyy)"

#: The release of every file read into the tables, keyed by its path in the extracts folder.
RELEASES: dict[str, Release] = {
    **{f"psychty_la_ph_walkthrough/{name}": _WALKTHROUGH for name in (
        "ut_data_neighbours.json", "Comp_data_ut.json", "lt_data_neighbours.json",
        "Comp_data_lt.json")},
    **{f"psychty_local_health/{name}": _LOCAL_HEALTH for name in ("utla_raw.csv",
                                                                   "ltla_raw.csv")},
    "trafford_dashboard_alcohol/alcohol_related_admissions.csv": Release(
        "Fingertips as of May 2019 (fingertipsR pull, Districts & UAs, "
        "traffordDataLab/dashboard @9b1acb6)", "2019-05-22",
        _LAST_CHANGE + "9b1acb6 'Added GM data' (2019-05-22); the snapshot commit 83e9bc0 "
        "(2020-08-20) did not change it"),
    "trafford_dashboard/healthy_life_expectancy_at_birth.csv": Release(
        "Fingertips as of June 2020 (fingertipsR pull, Counties & UAs pre 4/19, "
        "traffordDataLab/dashboard @24d9348)", "2020-06-18",
        _LAST_CHANGE + "24d9348 'Include all LAs' (2020-06-18); the snapshot commit 83e9bc0 "
        "(2020-08-20) did not change it"),
    "psychty_gbd2017/level_2_risk_all_cause_NN_2017.json": Release(
        "IHME GBD 2017 results (GBD Results Tool download, psychty/GBD @1eac033)", "2019-10-31",
        _LAST_CHANGE + "1eac033 'Risk bars started' (2019-10-31)"),
    "ons_els/cigarette-smokers_annual_2025-10-06.csv": Release(
        _ELS.format(what="ONS Adult smoking habits in the UK (APS)", date="2024-10-01",
                    commit="fdece5d"), "2024-10-01", _ELS_BASIS),
    "ons_els/healthy-life-expectancy.csv": Release(
        _ELS.format(what="ONS healthy life expectancy", date="2026-02-19", commit="4972c58"),
        "2026-02-19", _ELS_BASIS),
    "ons_els/adult-obesity-prevalence.csv": Release(
        _ELS.format(what="OHID Fingertips 93881", date="2026-05-06", commit="4972c58"),
        "2026-05-06", _ELS_BASIS),
    "ons_els/preventable-cardiovascular-mortality-england.csv": Release(
        _ELS.format(what="OHID Fingertips 93722", date="2025-11-04", commit="4972c58"),
        "2025-11-04", _ELS_BASIS),
    "trafford_themes/adults_smoking.csv": Release(
        _THEMES.format(month="April 2026", commit="2daf91f"), "2026-04-30",
        _LAST_CHANGE + "2daf91f 'Update of 10 indicators for the Health theme' (2026-04-30)"),
    **{f"trafford_themes/{name}": Release(
        _THEMES.format(month="May 2026", commit="ae20a08"), "2026-05-13",
        _LAST_CHANGE + "ae20a08 'Update 6 indicators for the Health priority' (2026-05-13)")
       for name in ("life_expectancy.csv", "healthy_life_expectancy.csv",
                    "inactive_adults.csv", "overweight_adult.csv")},
}


def release_for(source_ref: str) -> Release:
    """The :class:`Release` of a file of the extracts folder.

    Parameters
    ----------
    source_ref : str
        The file's path relative to the extracts folder.

    Raises
    ------
    KeyError
        If no release is recorded for it (the message says where to add one).

    Examples
    --------
    >>> release_for("trafford_themes/adults_smoking.csv").date
    '2026-04-30'
    """
    try:
        return RELEASES[str(source_ref)]
    except KeyError:
        raise KeyError(f"No release is recorded for {source_ref!r}: add it, with the evidence "
                       "for its date, to cw_pophealth.snapshot.releases.RELEASES.") from None


def with_release(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of tidy rows with ``release`` and ``release_date`` from their ``source_ref``.

    Raises
    ------
    KeyError
        If a ``source_ref`` has no recorded release.
    """
    refs = df["source_ref"].astype(str)
    known = {ref: release_for(ref) for ref in refs.unique()}
    return df.assign(
        release=refs.map(lambda r: known[r].label).astype("string"),
        release_date=pd.to_datetime(refs.map(lambda r: known[r].date)),
    )


def stated_source_date(json_path: Path) -> str | None:
    """The ``sourceDate`` an ONS Explore Local Statistics ``.json`` states, as an ISO date.

    Returns ``None`` when the file or the field is absent.
    """
    if not json_path.is_file():
        return None
    meta = json.loads(json_path.read_text(encoding="utf-8-sig")).get("ess-beta-metadata", {})
    meta = meta.get("shared", meta)
    raw = meta.get("sourceDate")
    if not raw:
        return None
    return pd.to_datetime(raw, format="%d/%m/%Y").strftime("%Y-%m-%d")


def check_stated_date(root: Path, source_ref: str) -> None:
    """Check that a file which states its release date still states the recorded one.

    Raises
    ------
    SchemaDriftError
        If the ``.json`` beside an ONS Explore Local Statistics file gives another
        ``sourceDate`` (the file was updated: record its new release).
    """
    path = root / source_ref
    stated = stated_source_date(path.with_suffix(".json"))
    recorded = release_for(source_ref).date
    if stated is not None and stated != recorded:
        raise SchemaDriftError(
            f"{source_ref}: its .json states source date {stated}, but the release recorded "
            f"for it is {recorded}. The file was updated: record its new release in "
            "cw_pophealth.snapshot.releases.RELEASES.", url=str(path))
