"""Reference data of the loopback fake Fingertips API: what it serves besides the observations.

Each table says where its values come from:

* **server source**: ukhsa-collaboration/fingertips-open @ 678089724a51 (2020-01-14),
  ``PholioVisualisationWS``; the JSON shapes and the constants (area-type, category-type,
  sex and neighbour-type ids) are read from it;
* **fingertipsR**: ropensci/fingertipsR @ fb48519 (2025-10-16), its README and tests run
  against the live API;
* **extracts**: files in the shared extracts folder (``PROVENANCE.md`` there);
* **synthetic test fixture**: invented where neither holds a value, marked at each definition.
  None of it reaches ``make reports``: only the tests and the benchmarks run the fake.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Area types (C1)
# ---------------------------------------------------------------------------------------------
#: Fingertips area-type ids with evidence, by Pholio area-type name. Server source:
#: ``PholioObjects/Constants.cs`` ``AreaTypeIds`` (1, 4, 6, 7, 14, 15, 16, 41, 101, 102, 110,
#: 115, 126, 152, 154, 165, 180, 201, 202); API_NOTES.md and fingertipsR (301/302, 401/402,
#: 501/502 and their names).
EVIDENCED_AREA_TYPE_IDS = {
    "England": 15, "Regions (statistical)": 6, "GPs": 7, "LSOA": 4, "Ambulance Trust": 41,
    "Districts & UAs (pre Apr 2019)": 101, "Counties & UAs (pre Apr 2019)": 102,
    "ONS 2001 cluster group": 110, "ONS 2011 group": 115, "Combined authorities": 126,
    "CCGs (2017/18)": 152, "CCGs (2018/19)": 154, "CCGs (2019/20)": 165,
    "County unchanged": 180,
    "Districts & UAs (2019/20)": 201, "Counties & UAs (2019/20)": 202,
    "Districts & UAs (2020/21)": 301, "Counties & UAs (2020/21)": 302,
    "Districts & UAs (2021/22-2022/23)": 401, "Counties & UAs (2021/22-2022/23)": 402,
    "Districts & UAs (from Apr 2023)": 501, "Counties & UAs (from Apr 2023)": 502,
}
#: Synthetic test fixture: the ids of the other Pholio area types are not evidenced; they are
#: numbered from here in the order of ``area_type.csv``.
SYNTHETIC_AREA_TYPE_ID_START = 9001

#: The short names the 2017-era export used (the real ``indicators-CountyUA.data.csv``):
#: ``Area Type`` was ``Country``, ``Region`` and ``County & UA``; the file name
#: ``indicators-CountyUA`` is ``County & UA`` without its symbols. ``District & UA`` follows the
#: same pattern (synthetic test fixture).
SHORT_NAMES_2017 = {15: "Country", 6: "Region", 502: "County & UA", 501: "District & UA"}


def load_area_types(extracts_dir: Path | None) -> list[dict]:
    """The ``AreaType`` objects of every Pholio area type in ``area_type.csv`` (101 of them).

    Keys and their order are ``PholioObjects/AreaType.cs`` (``Id, Name, Short, IsSearchable,
    CanBeDisplayedOnMap``; ``ParentAreaTypes`` only from ``area_types/parent_area_types``).
    ``Short`` equals ``Name`` (the server's short names are not in the extracts: synthetic test
    fixture), and so do ``IsSearchable`` and ``CanBeDisplayedOnMap`` (true for local-authority
    and NHS geographies, false for England: synthetic test fixture).
    """
    names: list[str] = []
    path = Path(extracts_dir) / "fphd_pholio_reference" / "area_type.csv" if extracts_dir else None
    if path is not None and path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            names = [row["name"] for row in csv.DictReader(handle)]
    for required in ("England", "Regions (statistical)", "Districts & UAs (from Apr 2023)",
                     "Counties & UAs (from Apr 2023)"):
        if required not in names:
            names.append(required)
    out, next_id = [], SYNTHETIC_AREA_TYPE_ID_START
    for name in names:
        type_id = EVIDENCED_AREA_TYPE_IDS.get(name)
        if type_id is None:
            type_id, next_id = next_id, next_id + 1
        out.append({"Id": type_id, "Name": name, "Short": name,
                    "IsSearchable": type_id not in (15, 6),
                    "CanBeDisplayedOnMap": type_id != 15})
    return out


#: The regions of the unitary authorities created in 2020-2023, which the Pholio relationship
#: table in the extracts does not link to any region (ONS region membership; without these the
#: fake would skip them as children without a parent, which the live server does not do).
NEW_UA_REGIONS = {"E06000060": "E12000008", "E06000061": "E12000004", "E06000062": "E12000004",
                  "E06000063": "E12000002", "E06000064": "E12000002", "E06000065": "E12000003",
                  "E06000066": "E12000009"}

# ---------------------------------------------------------------------------------------------
# Category types (deprivation deciles, ethnic groups)
# ---------------------------------------------------------------------------------------------
_DECILES_2015 = ("Most deprived decile", "Second most deprived decile",
                 "Third more deprived decile", "Fourth more deprived decile",
                 "Fifth more deprived decile", "Fifth less deprived decile",
                 "Fourth less deprived decile", "Third less deprived decile",
                 "Second least deprived decile", "Least deprived decile")


def _deciles(type_id: int, suffix: str) -> list[dict]:
    # Category ids 1..10 from most deprived (server source CategoryIds.MostDeprivedDecile = 1).
    # ShortName: synthetic test fixture (not in the extracts).
    return [{"Id": n, "CategoryTypeId": type_id, "Name": f"{label}{suffix}",
             "ShortName": label.replace(" decile", "")}
            for n, label in enumerate(_DECILES_2015, start=1)]


#: ``CategoryType`` objects (``PholioObjects/CategoryType.cs``: ``Id, Name, Short, Description,
#: Notes, Categories``; ``Category`` is ``Id, CategoryTypeId, Name, ShortName``).
#:
#: * 39 and 40: ids from the server source (``CategoryTypeIds``); names and category names
#:   exactly as in the real 2017 export (``api_samples``).
#: * 9139: the IMD2019 deciles of counties & UAs on the April 2023 geography, named as in
#:   FingertipsNext's ``test-indicators-inequalities.http``; its id is a synthetic test
#:   fixture (the server source predates it).
#: * 4: ethnic groups (server source ``CategoryTypeIds.EthnicGroups7`` and ``CategoryIds``
#:   1-5 White, Mixed, Asian, Black, Other); the names are a synthetic test fixture.
#:
#: ``Short`` starts with "Deprivation" for the decile types (fingertipsR filters parent types
#: with ``^Depr``); ``Short``, ``Description`` and ``Notes`` are synthetic test fixtures.
CATEGORY_TYPES: tuple[dict, ...] = (
    {"Id": 39, "Name": "County & UA deprivation deciles in England (IMD2015)",
     "Short": "Deprivation deciles (IMD2015, counties & UAs)",
     "Description": "Synthetic test fixture description.", "Notes": None,
     "Categories": _deciles(39, " (IMD2015)")},
    {"Id": 40, "Name": "District & UA deprivation deciles in England (IMD2015)",
     "Short": "Deprivation deciles (IMD2015, districts & UAs)",
     "Description": "Synthetic test fixture description.", "Notes": None,
     "Categories": _deciles(40, " (IMD2015)")},
    {"Id": 9139, "Name": "Counties and Unitary Authorities deprivation deciles: Apr 2023 "
                         "geography (Index of Multiple Deprivation 2019)",
     "Short": "Deprivation deciles (IMD2019, counties & UAs 2023)",
     "Description": "Synthetic test fixture description.", "Notes": None,
     "Categories": _deciles(9139, " (IMD2019)")},
    {"Id": 4, "Name": "Ethnic groups", "Short": "Ethnic groups",
     "Description": "Synthetic test fixture description.", "Notes": None,
     "Categories": [{"Id": n, "CategoryTypeId": 4, "Name": name, "ShortName": name}
                    for n, name in enumerate(("White", "Mixed", "Asian", "Black", "Other"),
                                             start=1)]},
)
CATEGORY_TYPE_BY_NAME = {t["Name"]: t for t in CATEGORY_TYPES}
CATEGORY_ID_BY_NAME = {(t["Id"], c["Name"]): c["Id"] for t in CATEGORY_TYPES
                       for c in t["Categories"]}


def category_area_type(category_type: dict) -> dict:
    """The deprivation-decile "parent area type" of ``area_types/parent_area_types``: a
    ``CategoryAreaType`` with only ``Id`` (10000 + category type id), ``Name`` and ``Short``
    (both the category type's short name) (``PholioObjects/CategoryAreaType.cs``)."""
    return {"Id": 10000 + category_type["Id"], "Name": category_type["Short"],
            "Short": category_type["Short"]}


#: Parent area types of each child type, in ``ParentAreaGroup.Sequence`` order (the first is
#: fingertipsR's default parent). Which types and category types are listed, and their order,
#: are a synthetic test fixture (the groups live in the database); the shapes are the server's.
PARENT_AREA_TYPE_IDS = {6: (15,), 502: (6, 15, 10000 + 9139), 501: (6, 15, 502, 10000 + 40)}

# ---------------------------------------------------------------------------------------------
# Profiles and domains (C17, C19)
# ---------------------------------------------------------------------------------------------
#: Profile ids and names are real (API_NOTES.md [R16]); PHOF's domain ids and names are the
#: live API's as fingertipsR's README prints them. Synthetic test fixture: the keys of 18 and
#: 26, their domain ids and names, and the ``Sequence`` of every domain (their order).
PROFILES = (
    {"Id": 18, "Name": "Local Tobacco Control Profiles", "Key": "tobacco-control",
     "Domains": [(1800001, "Synthetic test fixture: smoking prevalence")]},
    {"Id": 19, "Name": "Public Health Outcomes Framework",
     "Key": "public-health-outcomes-framework",
     "Domains": [(1000049, "A. Overarching indicators"),
                 (1000041, "B. Wider determinants of health"),
                 (1000042, "C. Health improvement"), (1000043, "D. Health protection"),
                 (1000044, "E. Healthcare and premature mortality"),
                 (1938132983, "Supporting information")]},
    {"Id": 26, "Name": "Health Profiles", "Key": "health-profiles",
     "Domains": [(2600001, "Synthetic test fixture: health profile")]},
)
#: Synthetic test fixture: which indicators each domain holds, in grouping order.
GROUP_INDICATORS = {
    1800001: (92443,),
    1000049: (90366, 90362),
    1000041: (93553,),
    1000042: (92443, 93015, 93088, 93881, 92778),
    1000043: (93356,),
    1000044: (93722,),
    1938132983: (),
    2600001: (90366, 92443, 93015, 93088),
}


def group_metadata(profile: dict) -> list[dict]:
    """``GroupingMetadata`` objects of a profile (``Id, Name, Sequence, ProfileId``)."""
    return [{"Id": gid, "Name": name, "Sequence": n, "ProfileId": profile["Id"]}
            for n, (gid, name) in enumerate(profile["Domains"], start=1)]


def profile_json(profile: dict) -> dict:
    """A ``Profile`` as the server writes it: ``Id, Name, Key, GroupIds, GroupMetadata``."""
    meta = group_metadata(profile)
    return {"Id": profile["Id"], "Name": profile["Name"], "Key": profile["Key"],
            "GroupIds": [m["Id"] for m in meta], "GroupMetadata": meta}


GROUPS = {gid: (profile, n) for profile in PROFILES
          for n, (gid, _) in enumerate(profile["Domains"], start=1)}

# ---------------------------------------------------------------------------------------------
# Sexes, ages, polarities
# ---------------------------------------------------------------------------------------------
#: Sex ids (server source ``SexIds``): the CSV rows are ordered by them, so Male comes first.
SEX_IDS = {"Male": 1, "Female": 2, "Persons": 4}
#: Age ids: 1 All ages is real ([R16] ``ages``); the others are a synthetic test fixture, only
#: their order matters (rows are ordered by age id).
AGE_IDS = {"All ages": 1, "18+ yrs": 168, "19+ yrs": 188, "<75 yrs": 163, "0-9 yrs": 224}
#: Polarity names of the metadata CSV's ``Polarity`` column, by the catalogue's polarity ids.
#: "RAG - High is good" and "RAG - Low is good" are the Profile Manager's own labels
#: (``FingertipsProfileManager/MainUI/js/PageIndicatorEdit.js``); the other two are a synthetic
#: test fixture.
POLARITY_NAMES = {1: "RAG - High is good", 0: "RAG - Low is good",
                  99: "BOB - Blue orange blue", -1: "Not applicable"}
#: Year types (server source ``Constants.cs``): 1 Calendar, 2 Financial; FingertipsNext calls
#: the Active Lives years "Yearly" (November to November), shown here as financial.
YEAR_TYPES = {"Calendar": 1, "Financial": 2, "Academic": 3, "Yearly": 2}

#: The text properties of the metadata CSV, in order: their display names (fingertipsR's
#: ``indicator_metadata`` column list) and the ``Descriptive`` keys they come from (the
#: database column names, fingertips-open ``ProfileData/Constants.cs``).
METADATA_TEXT_PROPERTIES = (
    ("Indicator", "Name"), ("Definition", "Definition"), ("Rationale", "Rationale"),
    ("Data source", "DataSource"), ("Indicator source", "Producer"),
    ("Methodology", "IndMethod"), ("Standard population/values", "StandardPop"),
    ("Confidence interval details", "CIMethod"), ("Source of numerator", "CountSource"),
    ("Definition of numerator", "CountDefinition"), ("Source of denominator", "DenomSource"),
    ("Definition of denominator", "DenomDefinition"), ("Disclosure control", "DiscControl"),
    ("Caveats", "Caveats"), ("Copyright", "Copyright"), ("Data re-use", "Reuse"),
    ("Links", "Links"), ("Indicator number", "RefNum"), ("Notes", "Notes"),
    ("Frequency", "Frequency"), ("Rounding", "Rounding"),
    ("Indicator Content", "IndicatorContent"), ("Specific rationale", "SpecificRationale"),
    ("Impact of COVID-19", "ImpactOfCovid"),
)
#: FingertipsNext metadata field -> the legacy ``Descriptive`` key it fills.
NEXT_TO_DESCRIPTIVE = {
    "indicatorDefinition": "Definition", "rationale": "Rationale", "dataSource": "DataSource",
    "method": "IndMethod", "standardPopulation": "StandardPop", "ciMethodDetails": "CIMethod",
    "countSource": "CountSource", "countDefinition": "CountDefinition",
    "denominatorSource": "DenomSource", "denominatorDefinition": "DenomDefinition",
    "disclouseControl": "DiscControl", "caveats": "Caveats", "copyright": "Copyright",
    "reuse": "Reuse", "notes": "Notes", "rounding": "Rounding",
}

# ---------------------------------------------------------------------------------------------
# Nearest neighbours
# ---------------------------------------------------------------------------------------------
#: ``nearest_neighbour_types``: ``NearestNeighbourType`` (``NeighbourTypeId, Name, Description,
#: LinkText, SelectedText, ExtraLink``, each string only when not null) plus the post-2020
#: ``ApplicableAreaTypes`` that fingertipsR reads. CIPFA is id 1 (server source
#: ``NearestNeighbourTypeIds.Cipfa``); fingertipsR documents the NHS England adult social care
#: model for counties & UAs from April 2023 and CIPFA for the other local-authority types. The
#: NHS England type's id, and every description, are a synthetic test fixture.
NEIGHBOUR_TYPES = (
    {"NeighbourTypeId": 1, "Name": "CIPFA",
     "Description": "Synthetic test fixture: CIPFA nearest neighbours model.",
     "ExtraLink": "https://www.cipfastats.net/resources/nearestneighbours/",
     "ApplicableTypeIds": (501, 401, 402, 301, 302, 201, 202, 101, 102)},
    {"NeighbourTypeId": 9004, "Name": "NHS England ASC nearest neighbours",
     "Description": "Synthetic test fixture: NHS England adult social care peer groups.",
     "ExtraLink": "https://github.com/NHSDigital/ASC_LA_Peer_Groups",
     "ApplicableTypeIds": (502,)},
)

#: Real CIPFA nearest-neighbour sets (upper tier, as used in January 2020), by the area whose
#: neighbours they are: ``psychty_la_ph_walkthrough/ut_data_neighbours.json`` (``Area_x`` and
#: the ``Area_name`` of its rows). The file lists them alphabetically, so the *order* here
#: (the neighbour rank) is a synthetic test fixture.
NEIGHBOUR_SET_FILE = "psychty_la_ph_walkthrough/ut_data_neighbours.json"
#: Synthetic test fixture: neighbour lists in rank order for the Coventry & Warwickshire areas
#: (the extracts hold none), by neighbour type id.
SYNTHETIC_NEIGHBOURS = {
    9004: {"E10000031": ["E10000034", "E10000024", "E10000019", "E10000018", "E10000030",
                         "E10000014"],
           "E08000026": ["E08000025", "E06000018", "E08000032", "E06000016", "E08000035"]},
    1: {"E07000222": ["E07000221", "E07000218", "E07000219", "E07000220"],
        "E08000026": ["E08000025", "E06000018", "E08000032"]},
}


def load_neighbour_sets(extracts_dir: Path | None, code_of_name: dict[str, str]
                        ) -> dict[str, list[str]]:
    """The real CIPFA neighbour sets in the extracts, as current area codes.

    Names are matched to current counties & UAs; a neighbour that is no longer an area (e.g.
    Northamptonshire, split in 2021) is left out.
    """
    if extracts_dir is None:
        return {}
    path = Path(extracts_dir) / NEIGHBOUR_SET_FILE
    if not path.is_file():
        return {}
    sets: dict[str, set[str]] = {}
    for row in json.loads(path.read_text(encoding="utf-8-sig")):
        if row["Area_name"] != row["Area_x"]:
            sets.setdefault(row["Area_x"], set()).add(row["Area_name"])
    out = {}
    for area, names in sets.items():
        code = code_of_name.get(area)
        if code:
            out[code] = sorted(code_of_name[n] for n in names if n in code_of_name)
    return out


# ---------------------------------------------------------------------------------------------
# Synthetic observations: IMD scores and an indicator with ethnicity rows
# ---------------------------------------------------------------------------------------------
#: The IMD 2019 score indicator (fingertipsR's ``deprivation_decile``; name from
#: ``fingertipsnext/indicators.csv``).
IMD_2019 = 93553
IMD_2019_NAME = "Deprivation score (Index of Multiple Deprivation 2019)"
#: A synthetic indicator whose rows include ethnic-group category rows.
ETHNICITY_INDICATOR = 900001
ETHNICITY_INDICATOR_NAME = "Synthetic test fixture: indicator with ethnic-group rows"


def synthetic_score(code: str, low: float = 5.0, high: float = 45.0) -> float:
    """A stable made-up score for an area (synthetic test fixture: not an IMD value)."""
    fraction = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return round(low + (high - low) * fraction, 3)
