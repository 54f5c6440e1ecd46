"""Geography: area-code checks, names, area types and parent/child relationships.

The offline lookup is built from the real Pholio (Fingertips back-end) reference tables in the
extracts folder (``fphd_pholio_reference/``: current areas and their relationships). Pholio's own
area-type ids are UUIDs; they are mapped here to the Fingertips API ids analysts use
(15 England, 6 regions, 502 counties & UAs, 501 districts & UAs).

Integrated Care Boards
----------------------
An ICB code (``E54...``, e.g. E54000018, NHS Coventry and Warwickshire ICB) is accepted as a
focus area and stands for its constituent upper-tier authorities
(:meth:`AreaLookup.icb_constituents`). The Pholio tables list the ICBs but hold **no**
ICB-to-authority relationships, so the constituents come, in this order, from

1. the relationship table, when it lists upper-tier children of the ICB (none today); else
2. the ICB's own name in ``area.csv`` ("NHS Coventry and Warwickshire Integrated Care Board -
   QWU"): the places it names, each matched exactly to one current county or unitary
   authority, the whole name accounted for. An ICB whose name does not decompose this way is
   refused with a message, never guessed.

A name lists only the authorities it names. For Coventry and Warwickshire that is the whole
ICB, but some ICBs also cover unitary authorities their names omit (NHS Devon ICB also covers
Plymouth and Torbay; NHS Dorset ICB, Bournemouth, Christchurch and Poole; NHS Hampshire and Isle
of Wight ICB, Portsmouth and Southampton), and a county can be split between ICBs. The
name-derived list is therefore labelled as such wherever it is shown; for those ICBs give the
authorities' codes instead, or add a boundary lookup (ONS LAD-to-ICB) to the reference
tables.

The expansion says which evidence it used, and the reports say so beside the figures.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import InvalidAreaCodeError, UnknownAreaError, UnknownAreaTypeError
from cw_pophealth.schema import AREA_CODE_PATTERN

logger = logging.getLogger(__name__)

AREA_TYPE_NAMES = {
    catalogue.AREA_TYPE_ENGLAND: "England",
    catalogue.AREA_TYPE_REGION: "Regions (statistical)",
    catalogue.AREA_TYPE_COUNTY_UA: "Counties & UAs (from Apr 2023)",
    catalogue.AREA_TYPE_DISTRICT_UA: "Districts & UAs (from Apr 2023)",
}
_PHOLIO_TYPE_TO_FINGERTIPS = {
    "England": (catalogue.AREA_TYPE_ENGLAND,),
    "Regions (statistical)": (catalogue.AREA_TYPE_REGION,),
    "County unchanged": (catalogue.AREA_TYPE_COUNTY_UA,),
    "LA unchanged": (catalogue.AREA_TYPE_DISTRICT_UA,),
}
_UA_TYPES = ("UA unchanged", "UA new 2019", "UA new 2020", "UA new 2021", "UA new 2023")
_ICB_TYPE = "ICBs"
_ICB_NAME = re.compile(r"^NHS (?P<places>.+?) Integrated Care Board(?: - \w+)?$")
_SEPARATOR = re.compile(r"(, | and )")
REFERENCE_SUBDIR = "fphd_pholio_reference"

_PREFIX_TYPES = {
    "E92": "England",
    "E12": "Region",
    "E10": "County",
    "E11": "Metropolitan county",
    "E06": "UA",
    "E08": "UA",  # metropolitan districts are single-tier: Fingertips shows them as UAs
    "E09": "UA",  # London boroughs
    "E07": "District",
    "E47": "Combined authority",
    "E13": "London sub-region",
}


def normalise_area_type(area_code: pd.Series, published: pd.Series | None = None) -> pd.Series:
    """Map area codes to one vocabulary: England, Region, County, UA, District, Combined authority.

    English ONS codes carry their entity type in the first three characters, which is more
    reliable than the sources' own labels ("County & UA", "Local Authority District", "Country").
    Codes with an unknown prefix keep the published label.
    """
    by_prefix = area_code.astype("string").str[:3].map(_PREFIX_TYPES)
    if published is None:
        return by_prefix.astype("string")
    return by_prefix.fillna(published).astype("string")


def validate_area_code(code: object, parameter: str = "area_code") -> str:
    """Check that ``code`` looks like an ONS area code and return it upper-cased.

    Parameters
    ----------
    code : object
        The value to check.
    parameter : str
        Name of the argument or report parameter, used in the error message.

    Raises
    ------
    InvalidAreaCodeError
        If it is not a letter followed by eight digits.

    Examples
    --------
    >>> validate_area_code("e08000026")
    'E08000026'
    """
    text = str(code).strip().upper() if code is not None else ""
    if not AREA_CODE_PATTERN.fullmatch(text):
        raise InvalidAreaCodeError(
            f"{parameter}={code!r} is not an ONS area code. Codes are a letter and eight digits, "
            "e.g. E08000026 (Coventry) or E10000031 (Warwickshire); list valid codes with "
            "cw_pophealth.fingertips.areas(502) or cw_pophealth.geography.get_geography()"
            ".areas(502)."
        )
    return text


@dataclass(frozen=True)
class AreaLookup:
    """Current English areas with names, Fingertips area types and parents.

    Attributes
    ----------
    areas_table : pandas.DataFrame
        One row per (area, Fingertips area type): ``area_code, area_name, area_type_id``.
    relationships : pandas.DataFrame
        ``parent_code, child_code`` pairs (England→region, region→county/UA/district,
        county→district).
    source : str
        Where the tables came from.
    """

    areas_table: pd.DataFrame
    relationships: pd.DataFrame
    source: str
    icbs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["area_code", "area_name"]))

    def is_icb(self, code: object) -> bool:
        """True for the code of a current Integrated Care Board in the reference tables."""
        return str(code).strip().upper() in set(self.icbs["area_code"])

    def icb_constituents(self, code: str) -> IcbExpansion:
        """The upper-tier authorities an ICB stands for, with the evidence used.

        See the module docstring for the order of evidence.

        Raises
        ------
        UnknownAreaError
            If ``code`` is not an ICB, or its constituents cannot be shown from the reference
            tables (the message says why).

        Examples
        --------
        >>> get_geography().icb_constituents("E54000018").constituents  # doctest: +SKIP
        ('E08000026', 'E10000031')
        """
        code = str(code).strip().upper()
        if not self.is_icb(code):
            raise UnknownAreaError(f"{code} is not an Integrated Care Board in {self.source}.")
        name = str(self.icbs.loc[self.icbs["area_code"] == code, "area_name"].iloc[0])
        upper = set(self.upper_tier_areas())
        related = sorted(set(self.relationships.loc[self.relationships["parent_code"] == code,
                                                    "child_code"]) & upper)
        if related:
            return IcbExpansion(code, name, tuple(related),
                                f"the area relationships of {self.source}")
        match = _ICB_NAME.match(name)
        by_name = {_place_key(n): c for c, n in zip(
            self.areas(catalogue.AREA_TYPE_COUNTY_UA)["area_code"],
            self.areas(catalogue.AREA_TYPE_COUNTY_UA)["area_name"], strict=True)}
        found = _split_places(match["places"], by_name) if match else None
        if not found:
            raise UnknownAreaError(
                f"{code} ({name}) cannot be expanded offline: {self.source} holds no "
                "ICB-to-authority relationships, and the places its name lists are not all "
                "current counties or unitary authorities. Give the authorities' codes instead.")
        logger.warning("%s expanded from its name to %s: the reference tables hold no "
                       "ICB-to-authority relationships, so authorities its name omits would be "
                       "missing", code, ", ".join(found))
        return IcbExpansion(code, name, tuple(found), f"the places the ICB's name lists in "
                            f"{REFERENCE_SUBDIR}/area.csv, each matched exactly to a current "
                            "county or unitary authority (the reference tables hold no "
                            "ICB-to-authority relationships, so an authority its name omits "
                            "would not be shown)")

    def areas(self, area_type_id: int) -> pd.DataFrame:
        """Areas of one Fingertips area type, sorted by code.

        Raises
        ------
        UnknownAreaTypeError
            If the type is not one of 15, 6, 501, 502.
        """
        if area_type_id not in AREA_TYPE_NAMES:
            raise UnknownAreaTypeError(
                f"area_type_id={area_type_id!r} is not available offline. Use one of "
                f"{sorted(AREA_TYPE_NAMES)} ({', '.join(AREA_TYPE_NAMES.values())})."
            )
        rows = self.areas_table.loc[self.areas_table["area_type_id"] == area_type_id]
        return rows.sort_values("area_code").reset_index(drop=True)

    def require(self, code: object, parameter: str = "area_code") -> str:
        """Validate the code's form and that the area exists; return the code.

        Raises
        ------
        InvalidAreaCodeError, UnknownAreaError
        """
        text = validate_area_code(code, parameter)
        if text not in set(self.areas_table["area_code"]):
            raise UnknownAreaError(
                f"{parameter}={text!r} is not a current English area in {self.source}. Check "
                "the code (areas merged in 2019-2023 have new codes) or list areas with "
                "cw_pophealth.geography.get_geography().areas(502) for counties & UAs, "
                "areas(501) for districts."
            )
        return text

    def name(self, code: str) -> str:
        """Area name for a code (regions without the ' region (statistical)' suffix)."""
        code = self.require(code)
        names = self.areas_table.loc[self.areas_table["area_code"] == code, "area_name"]
        return str(names.iloc[0])

    def area_type_ids(self, code: str) -> list[int]:
        """Fingertips area types the area belongs to (a UA is in both 501 and 502)."""
        code = self.require(code)
        rows = self.areas_table.loc[self.areas_table["area_code"] == code, "area_type_id"]
        return sorted(int(x) for x in rows)

    def children(self, parent_code: str, area_type_id: int | None = None) -> list[str]:
        """Codes of the areas directly under ``parent_code`` (optionally of one type).

        A county's children are its districts; a region's are its counties, UAs and districts.
        """
        parent_code = self.require(parent_code, "parent_area_code")
        kids = self.relationships.loc[
            self.relationships["parent_code"] == parent_code, "child_code"
        ]
        kids = [k for k in kids.unique() if k != parent_code]
        if area_type_id is not None:
            typed = set(self.areas(area_type_id)["area_code"])
            kids = [k for k in kids if k in typed]
        return sorted(kids)

    def region_of(self, code: str) -> str | None:
        """The statistical region containing the area, or ``None`` for England/regions."""
        code = self.require(code)
        regions = set(self.areas(catalogue.AREA_TYPE_REGION)["area_code"])
        parents = self.relationships.loc[self.relationships["child_code"] == code, "parent_code"]
        found = [p for p in parents if p in regions]
        return found[0] if found else None

    def upper_tier_areas(self) -> list[str]:
        """Codes of every county and unitary authority (Fingertips area type 502)."""
        return list(self.areas(catalogue.AREA_TYPE_COUNTY_UA)["area_code"])

    def parent_to_child(self, child_area_type_id: int, parent_area_type_id: int) -> dict:
        """``{parent_code: [child_code, ...]}``, shaped like the API's ``parent_to_child_areas``."""
        parents = set(self.areas(parent_area_type_id)["area_code"])
        children = set(self.areas(child_area_type_id)["area_code"])
        rel = self.relationships
        pairs = rel.loc[rel["parent_code"].isin(parents) & rel["child_code"].isin(children)]
        if parent_area_type_id == catalogue.AREA_TYPE_COUNTY_UA and (
            child_area_type_id == catalogue.AREA_TYPE_DISTRICT_UA
        ):
            # A unitary authority is its own lower tier.
            own = sorted(parents & children)
            pairs = pd.concat([pairs, pd.DataFrame({"parent_code": own, "child_code": own})])
        out: dict[str, list[str]] = {}
        for parent, group in pairs.groupby("parent_code"):
            out[str(parent)] = sorted(set(group["child_code"]))
        return out


@dataclass(frozen=True)
class IcbExpansion:
    """An ICB and the upper-tier authorities it stands for.

    Attributes
    ----------
    code, name : str
        The ICB.
    constituents : tuple of str
        Codes of its upper-tier authorities.
    evidence : str
        Where the list comes from.
    """

    code: str
    name: str
    constituents: tuple[str, ...]
    evidence: str

    def note(self, names: dict[str, str]) -> str:
        """A sentence for figures: the ICB, shown as which authorities, and on what evidence."""
        listed = " and ".join(f"{names.get(c, c)} ({c})" for c in self.constituents)
        return (f"{self.name.split(' - ')[0]} ({self.code}) is shown as its upper-tier "
                f"authorities {listed}, from {self.evidence}.")


def _place_key(name: str) -> str:
    text = re.sub(r"\s+", " ", str(name)).strip().casefold().replace("&", "and")
    text = re.sub(r",\s*(city|county) of$", "", text)
    return re.sub(r"^the ", "", text)


def _split_places(places: str, by_name: dict[str, str]) -> list[str] | None:
    """Codes of the areas ``places`` names ("Coventry and Warwickshire"), every word accounted
    for by exact names joined by ", " or " and "; ``None`` if no such reading exists."""
    pieces = _SEPARATOR.split(places)
    words, seps = pieces[0::2], pieces[1::2]

    def solve(start: int) -> list[str] | None:
        if start == len(words):
            return []
        for end in range(len(words), start, -1):
            text = words[start]
            for i in range(start + 1, end):
                text += seps[i - 1] + words[i]
            code = by_name.get(_place_key(text))
            if code is not None:
                rest = solve(end)
                if rest is not None:
                    return [code, *rest]
        return None

    return solve(0)


def _tidy_region_name(name: str) -> str:
    return name.replace(" region (statistical)", "")


def load_reference_geography(reference_dir: Path) -> AreaLookup:
    """Build an :class:`AreaLookup` from the Pholio seed tables in ``reference_dir``.

    Parameters
    ----------
    reference_dir : pathlib.Path
        Folder with ``area.csv``, ``area_type.csv`` and ``area_relationship.csv``.
    """
    area_types = pd.read_csv(reference_dir / "area_type.csv", dtype=str)
    areas = pd.read_csv(reference_dir / "area.csv", dtype=str, keep_default_na=False)
    rel = pd.read_csv(reference_dir / "area_relationship.csv", dtype=str)
    type_name = dict(zip(area_types["id"], area_types["name"], strict=True))
    areas = areas.assign(pholio_type=areas["area_type_id"].map(type_name))
    areas = areas.loc[areas["valid_to"].eq("")]
    icb_rows = areas.loc[areas["pholio_type"] == _ICB_TYPE]
    icbs = pd.DataFrame({"area_code": icb_rows["code"], "area_name": icb_rows["name"]})
    rows = []
    for a in areas.itertuples():
        ids: tuple[int, ...] | None = _PHOLIO_TYPE_TO_FINGERTIPS.get(a.pholio_type)
        if a.pholio_type in _UA_TYPES:
            ids = (catalogue.AREA_TYPE_COUNTY_UA, catalogue.AREA_TYPE_DISTRICT_UA)
        for type_id in ids or ():
            rows.append((a.code, _tidy_region_name(a.name), type_id))
    table = pd.DataFrame(rows, columns=["area_code", "area_name", "area_type_id"])
    code_of = dict(zip(areas["id"], areas["code"], strict=True))
    relationships = pd.DataFrame({
        "parent_code": rel["parent_area_id"].map(code_of),
        "child_code": rel["child_area_id"].map(code_of),
    }).dropna().drop_duplicates().reset_index(drop=True)
    logger.info("Loaded %d areas and %d relationships from %s", table["area_code"].nunique(),
                len(relationships), reference_dir)
    return AreaLookup(table, relationships, source=f"{REFERENCE_SUBDIR} (Pholio seed tables)",
                      icbs=icbs.reset_index(drop=True))


@lru_cache(maxsize=4)
def _cached_lookup(reference_dir: str) -> AreaLookup:
    return load_reference_geography(Path(reference_dir))


def get_geography(settings: Settings | None = None) -> AreaLookup:
    """The offline :class:`AreaLookup` from the configured extracts folder (cached per folder)."""
    settings = settings or get_settings()
    return _cached_lookup(str(settings.require_extracts_dir() / REFERENCE_SUBDIR))
