"""Area names to ONS codes, for extracts that name their areas but give no codes.

``psychty_la_ph_walkthrough`` and ``psychty_gbd2017`` name areas ("Warwickshire", "South East
England") without codes. A name is mapped only by **exact match after a small, documented
normalisation** (:func:`normalise_name`) against files in the extracts folder that publish
names and codes side by side. Nothing is fuzzy-matched: a name that does not match is reported
as unmapped (:func:`unmapped_report`), never guessed.

Why several references, and a vintage date
------------------------------------------
``fphd_pholio_reference/area.csv`` holds the areas that exist now: it has no Northamptonshire
county or Waveney district, and its "North Yorkshire UA" (E06000065, from 2023) is a different
area from the county North Yorkshire (E10000023) of a January 2020 pull. So each reference
carries the date its codes are evidenced as in use (``as_of``), area.csv rows carry their
``valid_from``/``valid_to``, and :func:`map_names` takes the data's vintage:

1. candidates are the reference rows whose normalised name equals the normalised input name;
2. codes that area.csv dates outside the vintage are dropped, whichever reference lists them
   (Buckinghamshire UA E06000060 is valid from 2020-04-01, so January 2020 gets the county);
3. codes of the wrong tier are dropped (``upper``: counties & UAs; ``lower``: districts & UAs);
4. one code left: ``mapped``; several: the code from the reference nearest the vintage,
   ``mapped_with_conflict`` (every candidate is listed); none: ``unmapped``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cw_pophealth.errors import ParameterError

logger = logging.getLogger(__name__)

__all__ = ["ALIASES", "REFERENCE_FILES", "ReferenceFile", "load_references", "map_names",
           "normalise_name", "unmapped_report"]

#: Code prefixes of the English administrative areas used here.
ADMIN_PREFIXES = ("E92", "E12", "E10", "E11", "E06", "E07", "E08", "E09", "E47")
#: Prefixes allowed per tier: ``upper`` counties & UAs, ``lower`` districts & UAs.
TIER_PREFIXES = {
    "upper": ("E92", "E12", "E10", "E06", "E08", "E09"),
    "lower": ("E92", "E12", "E07", "E06", "E08", "E09"),
    "any": ADMIN_PREFIXES,
}
#: Names a source is known to use for an area whose standard name differs
#: (normalised form -> (normalised form, reason)).
ALIASES: dict[str, tuple[str, str]] = {
    "south east england": ("south east",
                           "GBD's location name for the South East region (E12000008)"),
}
PHOLIO_AREAS = "fphd_pholio_reference/area.csv"
PHOLIO_AS_OF = "2026-08-21"  # find-public-health-data commit 21a13d5 (PROVENANCE.md section 5)


@dataclass(frozen=True)
class ReferenceFile:
    """A file in the extracts folder that publishes area codes next to names.

    Attributes
    ----------
    path : str
        Relative to the extracts folder.
    code_col, name_col : str
        Column names.
    as_of : str
        ISO date its codes are evidenced as in use: the last upstream change to the file.
    label : str
        Short description, used in the mapping report.
    sep : str
        Field separator.
    """

    path: str
    code_col: str
    name_col: str
    as_of: str
    label: str
    sep: str = ","


#: References besides area.csv, oldest first (dates: last upstream commit changing the file).
REFERENCE_FILES: tuple[ReferenceFile, ...] = (
    ReferenceFile("trafford_dashboard_alcohol/alcohol_related_admissions.csv", "area_code",
                  "area_name", "2019-05-22", "Fingertips 91414, Districts & UAs (pre 4/19)"),
    ReferenceFile("trafford_dashboard/healthy_life_expectancy_at_birth.csv", "area_code",
                  "area_name", "2020-06-18", "Fingertips 90362, Counties & UAs (pre 4/19)"),
    ReferenceFile("trafford_dashboard/smoking_adults.csv", "area_code", "area_name",
                  "2020-08-20", "Fingertips 92443, Districts & UAs"),
    ReferenceFile("psychty_local_health/utla_raw.csv", "Code", "Label", "2021-12-19",
                  "OHID Local Health, UTLA 2021", ";"),
    ReferenceFile("psychty_local_health/ltla_raw.csv", "Code", "Label", "2021-12-19",
                  "OHID Local Health, LTLA 2021", ";"),
)


def normalise_name(name: str) -> str:
    """The comparison key of an area name.

    Strip and collapse white space (tabs too), casefold, ``&`` to ``and``, curly apostrophes to
    ``'``, drop a trailing ``, City of`` / ``, County of`` and a trailing `` region`` /
    `` region (statistical)``, then apply :data:`ALIASES`. " UA" is deliberately kept, so that
    "North Yorkshire UA" (2023) never matches the county "North Yorkshire".

    Examples
    --------
    >>> normalise_name("Bristol, City of")
    'bristol'
    >>> normalise_name("South East region (statistical)")
    'south east'
    >>> normalise_name("\\tKingston upon Hull")
    'kingston upon hull'
    """
    text = re.sub(r"\s+", " ", str(name)).strip().casefold()
    text = text.replace("&", "and").replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r",\s*(city|county) of$", "", text)
    text = re.sub(r"\s+region(\s*\(statistical\))?$", "", text)
    return ALIASES.get(text, (text, ""))[0]


def load_references(root: Path) -> pd.DataFrame:
    """Every (name, code) pair the extracts folder publishes, with its evidence.

    Parameters
    ----------
    root : pathlib.Path
        The extracts folder.

    Returns
    -------
    pandas.DataFrame
        ``key`` (normalised name), ``name``, ``code``, ``reference``, ``as_of``, ``valid_from``,
        ``valid_to`` (the last two from area.csv only), one row per reference, code and name.
    """
    areas = pd.read_csv(root / PHOLIO_AREAS, dtype=str, keep_default_na=False)
    areas = areas.loc[areas["code"].str[:3].isin(ADMIN_PREFIXES)]
    frames = [pd.DataFrame({
        "name": areas["name"], "code": areas["code"],
        "reference": f"{PHOLIO_AREAS} (current areas only)", "as_of": PHOLIO_AS_OF,
        "valid_from": areas["valid_from"].replace("", None),
        "valid_to": areas["valid_to"].replace("", None),
    })]
    for ref in REFERENCE_FILES:
        path = root / ref.path
        if not path.is_file():
            logger.warning("Name reference %s is absent; names it would map may not map",
                           ref.path)
            continue
        raw = pd.read_csv(path, dtype=str, sep=ref.sep, keep_default_na=False,
                          encoding="utf-8-sig", usecols=[ref.code_col, ref.name_col])
        raw = raw.drop_duplicates()
        raw = raw.loc[raw[ref.code_col].str[:3].isin(ADMIN_PREFIXES)]
        frames.append(pd.DataFrame({
            "name": raw[ref.name_col], "code": raw[ref.code_col],
            "reference": f"{ref.path} ({ref.label})", "as_of": ref.as_of,
            "valid_from": None, "valid_to": None,
        }))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "key", out["name"].map(normalise_name))
    return out.drop_duplicates(["reference", "code", "name"]).reset_index(drop=True)


def map_names(names: Iterable[str], references: pd.DataFrame, *, vintage: str,
              tier: str = "any") -> pd.DataFrame:
    """Map published area names to the ONS codes in use at ``vintage``.

    Parameters
    ----------
    names : iterable of str
        Names as published (repeats are reported once).
    references : pandas.DataFrame
        :func:`load_references` output.
    vintage : str
        ISO date the data describe the areas at (``"2020-01-31"`` for a January 2020 pull).
    tier : {"upper", "lower", "any"}
        Keep candidate codes of counties & UAs, or of districts & UAs, only.

    Returns
    -------
    pandas.DataFrame
        One row per distinct name: ``name``, ``key``, ``area_code`` (missing unless mapped),
        ``status`` (``mapped``, ``mapped_with_conflict`` or ``unmapped``), ``reference`` (the
        evidence used), ``candidates`` (every code seen, with its reference), ``note``.

    Raises
    ------
    cw_pophealth.errors.ParameterError
        For an unknown ``tier``.
    """
    if tier not in TIER_PREFIXES:
        raise ParameterError(f"tier={tier!r}: use one of {sorted(TIER_PREFIXES)}.")
    when = pd.Timestamp(vintage)
    starts = pd.to_datetime(references["valid_from"])
    ends = pd.to_datetime(references["valid_to"])
    out_of_date = set(references.loc[(starts.notna() & (starts > when))
                                     | (ends.notna() & (ends < when)), "code"])
    rows = []
    for name in dict.fromkeys(str(n) for n in names):
        key = normalise_name(name)
        cand = references.loc[references["key"] == key]
        seen = "; ".join(f"{c} [{r.split(' (')[0]}]" for c, r in zip(
            cand["code"], cand["reference"], strict=True))
        notes = []
        raw_key = re.sub(r"\s+", " ", name).strip().casefold()
        if raw_key in ALIASES:
            notes.append(f"alias: {ALIASES[raw_key][1]}")
        invalid = cand["code"].isin(out_of_date)
        if invalid.any():
            notes.append(f"excluded {sorted(cand.loc[invalid, 'code'].unique())}: not valid at "
                         f"{vintage} per area.csv")
        cand = cand.loc[~invalid]
        wrong_tier = ~cand["code"].str[:3].isin(TIER_PREFIXES[tier])
        if wrong_tier.any():
            notes.append(f"excluded {sorted(cand.loc[wrong_tier, 'code'].unique())}: not a "
                         f"{tier}-tier code")
        cand = cand.loc[~wrong_tier]
        codes = list(dict.fromkeys(cand["code"]))
        if not codes:
            rows.append({"name": name, "key": key, "area_code": pd.NA, "status": "unmapped",
                         "reference": pd.NA, "candidates": seen, "note": "; ".join(notes)})
            continue
        distance = (pd.to_datetime(cand["as_of"]) - when).abs()
        best = str(cand.loc[distance.idxmin(), "code"])
        if len(codes) > 1:
            notes.append(f"{len(codes)} codes for this name: {codes}; kept the one from the "
                         f"reference nearest {vintage}")
        evidence = sorted(set(cand.loc[cand["code"] == best, "reference"]))
        rows.append({"name": name, "key": key, "area_code": best,
                     "status": "mapped" if len(codes) == 1 else "mapped_with_conflict",
                     "reference": " | ".join(evidence), "candidates": seen,
                     "note": "; ".join(notes)})
    mapping = pd.DataFrame(rows, columns=["name", "key", "area_code", "status", "reference",
                                          "candidates", "note"])
    unmapped = mapping.loc[mapping["status"] != "mapped", "name"].tolist()
    if unmapped:
        logger.warning("%d of %d area name(s) did not map cleanly at %s: %s", len(unmapped),
                       len(mapping), vintage, ", ".join(unmapped))
    else:
        logger.info("All %d area names mapped to codes at %s", len(mapping), vintage)
    return mapping


def unmapped_report(mapping: pd.DataFrame) -> str:
    """Plain text listing the names that did not map, or mapped with a conflict.

    Examples
    --------
    >>> unmapped_report(pd.DataFrame({"name": ["Warwickshire"], "area_code": ["E10000031"],
    ...                               "status": ["mapped"], "candidates": [""], "note": [""]}))
    'All names mapped.'
    """
    bad = mapping.loc[mapping["status"] != "mapped"]
    if bad.empty:
        return "All names mapped."
    lines = []
    for row in bad.itertuples(index=False):
        code = row.area_code if pd.notna(row.area_code) else "-"
        lines.append(f"{row.status}: {row.name!r} -> {code} (candidates: "
                     f"{row.candidates or 'none'}) {row.note}".rstrip())
    return "\n".join(lines)
