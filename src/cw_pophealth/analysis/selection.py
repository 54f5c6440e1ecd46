"""Selecting what a report shows: areas (with their roles), rows, periods and CI columns.

Every analysis table returns one row per thing a reader will see, including an explicit row
(value missing, ``status`` saying why) for every requested area or indicator that the data do not
hold: figures say "not in data" rather than drop an area. Nothing here rounds or fills values.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.errors import NoDataError, ParameterError
from cw_pophealth.geography import AreaLookup, get_geography
from cw_pophealth.memo import memo
from cw_pophealth.periods import ALL_PERIODS, LATEST, period_order

logger = logging.getLogger(__name__)

__all__ = ["AREA_COLUMNS", "STATUS_OK", "area_selection", "as_area_frame", "as_codes",
           "confidence_columns", "indicator_rows", "is_explicit_period", "latest_period",
           "matching_period",
           "resolve_periods", "select", "selection_note"]

#: ``status`` of a row whose value(s) are present.
STATUS_OK = "OK"
#: The columns that describe an area in every analysis table.
AREA_COLUMNS = ["area_code", "area_name", "role"]


def as_codes(values) -> list[str]:
    """A single code or an iterable of codes as a list of upper-case strings (order kept)."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        code = str(v).strip().upper()
        if code not in out:
            out.append(code)
    return out



def area_selection(area_codes: Any, comparator_codes: Any = (), *,
                   include_districts: bool = True,
                   geography: AreaLookup | None = None) -> pd.DataFrame:
    """The areas a report shows, in display order, with their role.

    Each focus area is followed by its districts (when ``include_districts`` and the area is a
    two-tier county), then the comparators. So the default C&W selection reads Coventry,
    Warwickshire, its five districts, West Midlands, England.

    An Integrated Care Board code among ``area_codes`` (E54000018) expands to its upper-tier
    authorities (:meth:`cw_pophealth.geography.AreaLookup.icb_constituents`); the frame's
    ``attrs["area_note"]`` says so and on what evidence, and the analysis tables and figures
    carry that note.

    Parameters
    ----------
    area_codes : str or sequence of str
        Focus areas (ONS codes of English areas, or ICB codes).
    comparator_codes : str or sequence of str, optional
        Comparator areas (e.g. the region and England), shown last.
    include_districts : bool, default True
        Add the lower-tier districts of any county among ``area_codes``.
    geography : cw_pophealth.geography.AreaLookup, optional
        Used for names and districts; defaults to :func:`cw_pophealth.geography.get_geography`.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_code``, ``area_name``, ``role`` (``"focus"``, ``"district of <county>"``
        or ``"comparator"``), ``parent_code``.

    Raises
    ------
    cw_pophealth.errors.InvalidAreaCodeError, cw_pophealth.errors.UnknownAreaError
        For a malformed or unknown code (the message names ``area_codes``/``comparator_codes``).
    """
    geo = geography if geography is not None else get_geography()
    rows: list[dict] = []
    seen: set[str] = set()

    def add(code: str, role: str, parent: str | None) -> None:
        if code not in seen:
            seen.add(code)
            rows.append({"area_code": code, "area_name": geo.name(code), "role": role,
                         "parent_code": parent})

    notes = []
    focus: list[str] = []
    for i, code in enumerate(as_codes(area_codes)):
        if geo.is_icb(code):
            expansion = geo.icb_constituents(code)
            notes.append(expansion.note({c: geo.name(c) for c in expansion.constituents}))
            focus.extend(expansion.constituents)
        else:
            focus.append(geo.require(code, f"area_codes[{i}]"))
    for code in focus:
        add(code, "focus", None)
        if include_districts and catalogue.AREA_TYPE_DISTRICT_UA not in geo.area_type_ids(code):
            for child in geo.children(code, catalogue.AREA_TYPE_DISTRICT_UA):
                add(child, f"district of {geo.name(code)}", code)
    for i, code in enumerate(as_codes(comparator_codes)):
        add(geo.require(code, f"comparator_codes[{i}]"), "comparator", None)
    frame = pd.DataFrame(rows, columns=[*AREA_COLUMNS, "parent_code"])
    if notes:
        frame.attrs["area_note"] = " ".join(notes)
    logger.info("Area selection: %s", ", ".join(frame["area_name"]))
    return frame



def selection_note(areas: pd.DataFrame) -> str:
    """One sentence naming the areas an :func:`area_selection` frame shows, by role."""
    parts = []
    for role, label in (("focus", "Focus areas"), ("district", "districts"),
                        ("comparator", "comparators")):
        names = areas.loc[areas["role"].astype(str).str.startswith(role), "area_name"]
        if len(names):
            parts.append(f"{label}: {', '.join(names)}")
    note = "; ".join(parts) + "."
    expanded = areas.attrs.get("area_note")
    return f"{expanded} {note}" if expanded else note


def as_area_frame(areas: Any, table: pd.DataFrame) -> pd.DataFrame:
    """Normalise a code, list of codes or :func:`area_selection` frame to ``AREA_COLUMNS``."""
    if isinstance(areas, pd.DataFrame):
        frame = areas.copy()
        if "role" not in frame.columns:
            frame["role"] = "focus"
        if "area_name" not in frame.columns:
            frame["area_name"] = pd.NA
    else:
        frame = pd.DataFrame({"area_code": as_codes(areas), "area_name": pd.NA, "role": "focus"})
    names = memo(table, "area names", lambda: (
        table.dropna(subset=["area_name"]).drop_duplicates("area_code")
        .set_index("area_code")["area_name"]))
    frame["area_name"] = frame["area_name"].fillna(frame["area_code"].map(names))
    frame["area_name"] = frame["area_name"].fillna(frame["area_code"]).astype(str)
    out = frame.loc[:, AREA_COLUMNS].reset_index(drop=True)
    out.attrs = dict(areas.attrs) if isinstance(areas, pd.DataFrame) else {}
    return out


def indicator_rows(table: pd.DataFrame, indicator_id: int) -> pd.DataFrame:
    """The rows of one indicator (computed once per table; see :mod:`cw_pophealth.memo`)."""
    return memo(table, ("indicator", int(indicator_id)),
                lambda: table.loc[table["indicator_id"] == int(indicator_id)])


def select(df: pd.DataFrame, *, indicator_id: Any = None, area_codes: Any = None,
           sex: Any = None, period: Any = None, current_only: bool = True) -> pd.DataFrame:
    """Filter the tidy table; each argument may be a single value or a list. ``None`` keeps all.

    Only the current release of each observation is kept unless ``current_only=False`` (the
    window of need's same-release pairing needs the earlier releases too).
    """
    mask = pd.Series(True, index=df.index)
    if current_only and "current" in df.columns:
        mask &= df["current"].fillna(False).to_numpy(dtype=bool)
    for column, wanted in (("indicator_id", indicator_id), ("area_code", area_codes),
                           ("sex", sex), ("period", period)):
        if wanted is None:
            continue
        values = [wanted] if isinstance(wanted, (str, int, np.integer)) else list(wanted)
        mask &= df[column].isin(values)
    return df.loc[mask]


def latest_period(df: pd.DataFrame) -> str:
    """Return the latest period label present (by ``period_end``, then ``period_start``).

    Raises
    ------
    NoDataError
        If the frame is empty.
    """
    if df.empty:
        raise NoDataError("No rows to take the latest period from.")
    row = df.sort_values(["period_end", "period_start"]).iloc[-1]
    return str(row["period"])



def resolve_periods(rows: pd.DataFrame, period: Any, *,
                    preferred: pd.DataFrame | None = None, what: str) -> list[str]:
    """Turn ``period`` ("latest", "all", a label or list of labels) into period labels.

    ``latest`` is the latest period with a value in ``preferred`` (e.g. the benchmark's rows)
    when it has any, else in ``rows``.

    Raises
    ------
    NoDataError
        If there are no values at all, or a requested label is absent (naming ``period``).
    """
    valued = rows.dropna(subset=["value"])
    if valued.empty:
        raise NoDataError(f"No values in the data for {what}.")
    if period is None or (isinstance(period, str) and period.strip().lower() == LATEST):
        base = preferred.dropna(subset=["value"]) if preferred is not None else valued
        return [latest_period(base if not base.empty else valued)]
    if isinstance(period, str) and period.strip().lower() == ALL_PERIODS:
        return period_order(valued)
    wanted = [period] if isinstance(period, str) else list(period)
    available = period_order(valued)
    missing = [p for p in wanted if str(p).strip() not in available]
    if missing:
        raise NoDataError(
            f"period={missing[0]!r} has no data for {what}. Available periods: "
            f"{', '.join(available)} (or 'latest')."
        )
    return [str(p).strip() for p in wanted]



def matching_period(label: str, available: Any) -> tuple[str | None, str]:
    """The indicator's own period for a requested label, and a note saying which was used.

    The label itself when ``available`` has it. Otherwise the available period of about the
    same length (within a quarter) that overlaps the requested one most: a calendar-year
    indicator (smoking, "2022") asked for the financial year "2022/23" takes 2022, the
    calendar year holding nine of its twelve months. ``(None, "")`` when nothing overlaps.

    Examples
    --------
    >>> matching_period("2022/23", ["2021", "2022", "2023"])
    ('2022', 'calendar year 2022 used for 2022/23 (the year holding most of it)')
    >>> matching_period("2022/23", ["2022/23"])
    ('2022/23', '')
    >>> matching_period("2022/23", ["2020 - 22"])
    (None, '')
    """
    from cw_pophealth.periods import parse_period

    wanted = str(label).strip()
    labels = [str(a) for a in dict.fromkeys(available) if pd.notna(a)]
    if wanted in labels:
        return wanted, ""
    try:
        start, end = parse_period(wanted)
    except ValueError:
        return None, ""
    length = (end - start).days
    best, best_overlap = None, 0
    for candidate in labels:
        try:
            c_start, c_end = parse_period(candidate)
        except ValueError:
            continue
        if abs((c_end - c_start).days - length) > length / 4:
            continue
        overlap = (min(end, c_end) - max(start, c_start)).days
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    if best is None:
        return None, ""
    kind = "calendar year" if best.isdigit() else "period"
    unit = "year" if best.isdigit() else "period"
    return best, f"{kind} {best} used for {wanted} (the {unit} holding most of it)"


def confidence_columns(confidence: float) -> tuple[str, str, str]:
    """The tidy columns of the limits at ``confidence`` and its label (``"95%"``).

    Raises
    ------
    ParameterError
        For a level Fingertips does not publish (anything but 0.95 and 0.998).
    """
    if confidence == 0.95:
        return "lower_ci_95", "upper_ci_95", "95%"
    if confidence == 0.998:
        return "lower_ci_99_8", "upper_ci_99_8", "99.8%"
    raise ParameterError(f"confidence={confidence!r}: use 0.95 or 0.998 (the levels "
                         "Fingertips publishes).")


def is_explicit_period(period: Any) -> bool:
    """True when ``period`` names period labels rather than ``"latest"`` or ``"all"``."""
    return not (period is None or (isinstance(period, str)
                                   and period.strip().lower() in (LATEST, ALL_PERIODS)))
