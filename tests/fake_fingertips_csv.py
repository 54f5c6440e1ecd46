"""How the loopback fake writes the ``all_data/csv`` export, as the Fingertips server does.

Everything here follows the server source (ukhsa-collaboration/fingertips-open @ 678089724a51,
``PholioVisualisationWS``) unless it says otherwise:

* **Numbers** (C6): .NET Framework ``double.ToString()``, i.e. ``"G"`` with 15 significant
  digits, emulated by ``format(x, ".15G")`` (``51897``, ``94.7261896202678``, ``1E-05``); -0 is
  written ``0``. All 4,036 numeric fields of the real 2017 export round-trip byte for byte.
  A confidence-interval pair is written only when both limits are valid, a denominator only
  when it is above zero (``Export/CoreDataSetExportFormatter.cs``).
* **Quoting** (C9): a text field is quoted only if it holds ``,``, ``"`` or ``\\n`` (not
  ``\\r``), with inner quotes doubled; numbers are never quoted. Lines end in CRLF, UTF-8
  without a byte-order mark (``DataAccess/CsvWriter.cs``).
* **Header** (C4, C5): 26 columns then ``Time period range`` last (fingertipsR's README,
  2022); the parent comparison column is ``Compared to percentiles`` when the parent type is
  England (15), else ``Compared to <parent short name> value or percentiles``
  (``CsvBuilderIndicatorDataHeaderWriter.cs``).
* **Rows** (C7): for each indicator in request order, for each period oldest first: England,
  then the areas of the parent type (England again when the parent type is 15, with England
  as its parent), then the children with their parent of that type; inside each block by sex
  id, age id, area code, category type id and category id (``GroupDataReader.cs`` ``ORDER
  BY``). ``Recent Trend`` is written only in the latest period.
* **Area Type** (C16): the short name of the first of [England, parent type, child type] that
  holds the area (``Export/LookUpManager.cs``). The post-2020 path that takes ``area_type_id``
  alone (C21) labels each area by its own tier instead (``England``, ``Region``, ``County``,
  ``UA``, ``District``), as 2024-26 scripts show it; which tiers that path returns is not in
  any source (a synthetic test fixture: England, regions, counties, then the children).
* **Old format** (C8): the real 2017 export has the 26-column header and rows one field short:
  ``New data`` is written (``New data`` in the latest period) and ``Compared to goal`` is not.
  :class:`CsvFormat` ``"2017"`` reproduces those bytes, with the short names of that era.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ENGLAND = "E92000001"
#: The header the server writes (``CsvBuilderIndicatorDataHeaderWriter.cs``), as the real 2017
#: export has it; the parent column is renamed per request (:func:`parent_column`). The fake
#: keeps its own copy rather than the client's, so that it cannot agree with a client that
#: gets the format wrong.
HEADER_2017: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
    "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
    "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
    "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles",
    "Time period Sortable", "New data", "Compared to goal",
)
#: The current header: ``Time period range`` last (fingertipsR's README, 2022).
HEADER: tuple[str, ...] = HEADER_2017 + ("Time period range",)
T_ENGLAND, T_REGION = 15, 6

#: Per-area ``Area Type`` labels of the ``area_type_id``-only path (API_NOTES.md [USE]).
TIER_LABELS = {"E92": "England", "E12": "Region", "E10": "County", "E06": "UA", "E08": "UA",
               "E09": "UA", "E07": "District"}


def dotnet_number(value) -> str:
    """A number as .NET Framework's ``double.ToString()`` writes it (15 significant digits).

    >>> dotnet_number(51897.0), dotnet_number(94.72618962026779), dotnet_number(1e-05)
    ('51897', '94.7261896202678', '1E-05')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = format(float(value), ".15G")
    return "0" if text == "-0" else text


def csv_text(value) -> str:
    """A text field: empty when missing, quoted only for ``,`` ``"`` or a line feed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def parent_column(parent_short: str, parent_type: int) -> str:
    """The header of the parent comparison column (C4)."""
    if parent_type == T_ENGLAND:
        return "Compared to percentiles"
    return f"Compared to {parent_short} value or percentiles"


def file_name(child_short: str) -> str:
    """``indicators-<child short name without symbols>.data.csv`` (``SingleEntityFileNamer``)."""
    return f"indicators-{re.sub(r'[^A-Za-z0-9]', '', child_short)}.data.csv"


@dataclass(frozen=True)
class CsvFormat:
    """Which server the fake imitates.

    ``"current"``: the fingertips-open writer plus the post-2020 ``Time period range`` column
    (27 columns). ``"2017"``: the real 2017 export, rows one field short (C8).
    """

    name: str = "current"

    @property
    def header_base(self) -> tuple[str, ...]:
        if self.name == "2017":
            return HEADER_2017
        return HEADER

    def header(self, parent_short: str, parent_type: int) -> list[str]:
        columns = list(self.header_base)
        columns[columns.index("Compared to Region value or percentiles")] = parent_column(
            parent_short, parent_type)
        return columns

    def line(self, head: str, parents: str, area: str, middle: str, parent_comparison: str,
             sortable: str, new_data: str, tail: tuple[str, str], *, latest: bool,
             profile: bool) -> str:
        """One written row from its pre-formatted parts (in header order).

        ``head`` is the indicator's two fields, ``parents`` the parent's two, ``area`` the
        area's code, name and type, ``middle`` ``Sex`` to the England comparison, and
        ``tail`` ``Compared to goal`` and ``Time period range``.
        """
        if self.name == "2017":
            # As the real 2017 export: "New data" in the latest period, no "Compared to goal".
            return (f"{head},{parents},{area},{middle},{parent_comparison},{sortable},"
                    f"{'New data' if latest else ''}")
        if not profile:
            # Without a profile_id there is no profile config, so "New data" is always empty
            # (SingleIndicatorFileWriter.cs).
            new_data = ""
        return (f"{head},{parents},{area},{middle},{parent_comparison},{sortable},{new_data},"
                f"{tail[0]},{tail[1]}")


#: Columns written from each observation (the parent and area-type columns are per request).
DATA_COLUMNS = tuple(c for c in HEADER
                     if c not in ("Parent Code", "Parent Name", "Area Name", "Area Type",
                                  "Compared to Region value or percentiles"))
PARENT_COMPARISON = "compared_to_parent"
