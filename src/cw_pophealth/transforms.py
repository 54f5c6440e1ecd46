"""Transforms: period labels, Fingertips CSV to the tidy table, and analysis-ready slices.

Fingertips CSV columns are renamed to the tidy schema in exactly one place,
:func:`tidy_from_fingertips_csv`. Nothing here rounds or fills values.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from cw_pophealth import schema
from cw_pophealth.errors import NoDataError, SchemaDriftError

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------
_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")
_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_FIN_RANGE = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s+Q([1-4])$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)([YM])$")


def _century(start_year: int, two_digits: str) -> int:
    """Expand the 2-digit end year of '2015 - 17' relative to its start year."""
    if len(two_digits) == 4:
        return int(two_digits)
    end = start_year // 100 * 100 + int(two_digits)
    return end + 100 if end < start_year else end


@lru_cache(maxsize=4096)
def parse_period(label: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Turn a Fingertips or ONS period label into its first and last day.

    Parameters
    ----------
    label : str
        ``'2015'`` (calendar year), ``'2015/16'`` (financial year, April-March),
        ``'2015 - 17'`` or ``'2009-11'`` (calendar-year range), ``'2015/16 - 17/18'``,
        ``'2019/20 Q1'`` (financial quarter), or ISO 8601 start/duration ``'2021-01-01/P3Y'``.

    Returns
    -------
    tuple of pandas.Timestamp
        First and last day, inclusive.

    Raises
    ------
    ValueError
        If the label has none of these forms (the message quotes it).

    Examples
    --------
    >>> [str(d.date()) for d in parse_period("2021 - 23")]
    ['2021-01-01', '2023-12-31']
    >>> [str(d.date()) for d in parse_period("2022/23")]
    ['2022-04-01', '2023-03-31']
    """
    text = str(label).strip()
    if m := _YEAR.match(text):
        y = int(m[1])
        return pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31)
    if m := _FINANCIAL.match(text):
        y = int(m[1])
        return pd.Timestamp(y, 4, 1), pd.Timestamp(_century(y, m[2]), 3, 31)
    if m := _RANGE.match(text):
        y = int(m[1])
        return pd.Timestamp(y, 1, 1), pd.Timestamp(_century(y, m[2]), 12, 31)
    if m := _FIN_RANGE.match(text):
        y = int(m[1])
        end_start = _century(y, m[3])
        return pd.Timestamp(y, 4, 1), pd.Timestamp(_century(end_start, m[4]), 3, 31)
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[3])
        start = pd.Timestamp(y, 4, 1) + pd.DateOffset(months=3 * (q - 1))
        return start, start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    if m := _ISO.match(text):
        start = pd.Timestamp(int(m[1]), int(m[2]), int(m[3]))
        n = int(m[4])
        offset = pd.DateOffset(years=n) if m[5] == "Y" else pd.DateOffset(months=n)
        return start, start + offset - pd.Timedelta(days=1)
    raise ValueError(
        f"Unrecognised time period {label!r}: expected e.g. '2015', '2015/16', '2015 - 17' or "
        "'2021-01-01/P3Y'."
    )


def fingertips_period_label(iso_period: str) -> str:
    """Give an ONS ISO period the label Fingertips uses for the same data.

    A one-year period starting on 1 January is ``'2021'``; one starting on another day
    (Active Lives runs mid-November to mid-November) is ``'2022/23'``; an n-year period starting
    on 1 January is ``'2021 - 23'``.

    Examples
    --------
    >>> fingertips_period_label("2021-01-01/P3Y")
    '2021 - 23'
    >>> fingertips_period_label("2022-11-16/P1Y")
    '2022/23'
    >>> fingertips_period_label("2019-01-01/P1Y")
    '2019'
    """
    start, end = parse_period(iso_period)
    years = end.year - start.year + (1 if (start.month, start.day) == (1, 1) else 0)
    if (start.month, start.day) == (1, 1):
        return str(start.year) if years == 1 else f"{start.year} - {end.year % 100:02d}"
    if years == 1:
        return f"{start.year}/{(start.year + 1) % 100:02d}"
    first = f"{start.year}/{(start.year + 1) % 100:02d}"
    return f"{first} - {end.year % 100:02d}/{(end.year + 1) % 100:02d}"


def add_period_bounds(df: pd.DataFrame, label_column: str = "period") -> pd.DataFrame:
    """Return a copy with ``period_start`` and ``period_end`` parsed from ``label_column``."""
    labels = df[label_column].astype("string")
    # Parse each distinct label once; rows take their bounds by position (a missing label gets
    # position -1, the trailing NaT).
    distinct = pd.Index(labels.dropna().unique())
    bounds = [parse_period(lab) for lab in distinct]
    position = distinct.get_indexer(labels)
    starts = pd.DatetimeIndex([b[0] for b in bounds] + [pd.NaT])
    ends = pd.DatetimeIndex([b[1] for b in bounds] + [pd.NaT])
    return df.assign(period_start=starts[position].to_numpy(),
                     period_end=ends[position].to_numpy())


def is_rolling_period(label: str) -> bool:
    """True for multi-year periods (``'2021 - 23'``), which Fingertips never trend-tests."""
    start, end = parse_period(label)
    return (end - start).days > 370


# ---------------------------------------------------------------------------------------------
# Area types
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Fingertips CSV -> tidy
# ---------------------------------------------------------------------------------------------
_RENAME = {c.fingertips: c.name for c in schema.TIDY_SCHEMA if c.fingertips}
_OPTIONAL_SOURCE_COLUMNS = set(schema.FINGERTIPS_CSV_COLUMNS) - set(schema.FINGERTIPS_CSV_REQUIRED)


def check_fingertips_columns(columns, *, where: str) -> dict[str, str]:
    """Check a Fingertips CSV header and return the rename map to the tidy schema.

    Accepts the 26-column (≈2017) and 27-column (current) headers, the older ``Target data``
    name for ``Compared to goal``, and any ``Compared to <parent> value or percentiles`` column
    (the parent's name varies with the parent area type).

    Raises
    ------
    SchemaDriftError
        If a required column is missing; the message lists the missing and unexpected names.
    """
    cols = [str(c) for c in columns]
    missing = [c for c in schema.FINGERTIPS_CSV_REQUIRED if c not in cols]
    parent_cols = [
        c for c in cols
        if c.startswith("Compared to ") and c.endswith("value or percentiles")
        and c != "Compared to England value or percentiles"
    ]
    known = set(schema.FINGERTIPS_CSV_COLUMNS) | {"Target data"} | set(parent_cols)
    unexpected = [c for c in cols if c not in known]
    if missing:
        raise SchemaDriftError(
            f"The Fingertips CSV from {where} lacks column(s) {missing}"
            + (f" and has unexpected column(s) {unexpected}" if unexpected else "")
            + ". The API's format has changed: check API_NOTES.md / fingertipsR's NEWS, then "
            "update cw_pophealth.schema.FINGERTIPS_CSV_COLUMNS. The cached data was not changed.",
            url=where,
        )
    if unexpected:
        logger.warning("Fingertips CSV from %s has unexpected column(s) %s (ignored)", where,
                       unexpected)
    rename = dict(_RENAME)
    rename.pop("Compared to Region value or percentiles", None)
    if parent_cols:
        rename[parent_cols[0]] = "compared_to_parent"
    return rename


def tidy_from_fingertips_csv(
    raw: pd.DataFrame, *, source: str, source_ref: str, include_categories: bool = False
) -> pd.DataFrame:
    """Turn a Fingertips ``all_data/csv`` frame into the tidy schema.

    Parameters
    ----------
    raw : pandas.DataFrame
        The CSV as read (all columns as strings or numbers).
    source : str
        Short provenance label stored in every row (e.g. ``'Fingertips API'``).
    source_ref : str
        The URL or file the rows came from.
    include_categories : bool, default False
        Keep deprivation/ethnicity category rows (``Category Type`` not blank).

    Returns
    -------
    pandas.DataFrame
        Validated tidy rows.

    Raises
    ------
    SchemaDriftError
        If the header lacks required columns.
    """
    rename = check_fingertips_columns(raw.columns, where=source_ref)
    df = raw.rename(columns=rename)
    df = df.loc[:, [c for c in df.columns if c in schema.TIDY_COLUMNS]]
    for text_col in ("category_type", "category", "value_note", "age", "parent_code"):
        if text_col in df.columns:
            df[text_col] = df[text_col].astype("string").str.strip().replace("", pd.NA)
    if not include_categories and "category_type" in df.columns:
        df = df.loc[df["category_type"].isna()]
    df = df.assign(
        indicator_name=df["indicator_name"].astype("string").str.strip(),
        area_type=normalise_area_type(df["area_code"], df["area_type"]),
        source=source,
        source_ref=source_ref,
    )
    df = schema.coerce_tidy(add_period_bounds(df))
    return schema.validate_tidy(df, where=source_ref)


# ---------------------------------------------------------------------------------------------
# Slices for analysis
# ---------------------------------------------------------------------------------------------
def deduplicate_sources(df: pd.DataFrame, priority: list[str]) -> pd.DataFrame:
    """Keep one row per observation when several sources publish it.

    Rows whose ``source`` starts with an earlier entry of ``priority`` win; sources not listed
    come last. Disagreements larger than rounding (0.051) are logged as warnings.
    """
    if df.empty:
        return df
    rank = np.full(len(df), len(priority), dtype=int)
    for i, prefix in enumerate(reversed(priority)):
        rank[df["source"].str.startswith(prefix).to_numpy(dtype=bool)] = len(priority) - 1 - i
    key = [k for k in schema.TIDY_KEY if k != "source"]
    ordered = df.assign(_rank=rank).sort_values("_rank", kind="stable")
    grouped = ordered.groupby(key, dropna=False)["value"]
    spread = grouped.max() - grouped.min()
    clash = spread[spread > 0.051]
    if len(clash):
        logger.warning("%d observation(s) differ between sources by more than rounding; "
                       "kept the higher-priority source. First: %s", len(clash), clash.index[0])
    out = ordered.drop_duplicates(key, keep="first").drop(columns="_rank")
    return out.sort_values(["indicator_id", "area_code", "sex", "period_start"]).reset_index(
        drop=True)


def select(df: pd.DataFrame, *, indicator_id=None, area_codes=None, sex=None,
           period=None) -> pd.DataFrame:
    """Filter the tidy table; each argument may be a single value or a list. ``None`` keeps all."""
    mask = pd.Series(True, index=df.index)
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


# ---------------------------------------------------------------------------------------------
# Analysis tables
# ---------------------------------------------------------------------------------------------
# Tables the notebooks and plots consume. Each returns one row per thing a reader will see,
# including an explicit row (value missing, ``status`` saying why) for every requested area or
# indicator that the data do not hold: figures must say "not in data" rather than drop an area.
# Comparisons and intervals come from :mod:`cw_pophealth.stats`; nothing here rounds or fills.

#: Period selector meaning "the latest period with data" (the default of every notebook).
LATEST = "latest"
#: Period selector meaning "every period" (trend tables).
ALL_PERIODS = "all"
#: ``status`` of a row whose value(s) are present.
STATUS_OK = "OK"
#: Comparison-source labels (column ``comparison_source``).
SOURCE_COMPUTED = "computed ({level} CI overlap)"
SOURCE_PUBLISHED = "published by Fingertips"
SOURCE_SELF = "benchmark area (not compared with itself)"
SOURCE_NONE = "not compared: {why}"

#: Tidy ``area_type`` values that count as peers of an area of a given type, for spine-chart
#: ranges: upper tier (Fingertips 502, counties & UAs) for counties and UAs, lower tier (501,
#: districts & UAs) for districts.
PEER_AREA_TYPES: dict[str, tuple[str, ...]] = {
    "UA": ("UA", "County"),
    "County": ("UA", "County"),
    "District": ("District", "UA"),
    "Region": ("Region",),
    "England": ("England",),
}

_LE_ID = 90366
_HLE_ID = 90362
_AREA_COLUMNS = ["area_code", "area_name", "role"]


def _codes(values) -> list[str]:
    """A single code or an iterable of codes as a list of upper-case strings (order kept)."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        code = str(v).strip().upper()
        if code not in out:
            out.append(code)
    return out


def area_selection(area_codes, comparator_codes=(), *, include_districts: bool = True,
                   geography=None) -> pd.DataFrame:
    """The areas a report shows, in display order, with their role.

    Each focus area is followed by its districts (when ``include_districts`` and the area is a
    two-tier county), then the comparators. So the default C&W selection reads Coventry,
    Warwickshire, its five districts, West Midlands, England.

    Parameters
    ----------
    area_codes : str or sequence of str
        Focus areas (ONS codes).
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
    from cw_pophealth import catalogue
    from cw_pophealth.geography import get_geography

    geo = geography if geography is not None else get_geography()
    rows: list[dict] = []
    seen: set[str] = set()

    def add(code: str, role: str, parent: str | None) -> None:
        if code not in seen:
            seen.add(code)
            rows.append({"area_code": code, "area_name": geo.name(code), "role": role,
                         "parent_code": parent})

    for i, code in enumerate(_codes(area_codes)):
        code = geo.require(code, f"area_codes[{i}]")
        add(code, "focus", None)
        if include_districts and catalogue.AREA_TYPE_DISTRICT_UA not in geo.area_type_ids(code):
            for child in geo.children(code, catalogue.AREA_TYPE_DISTRICT_UA):
                add(child, f"district of {geo.name(code)}", code)
    for i, code in enumerate(_codes(comparator_codes)):
        add(geo.require(code, f"comparator_codes[{i}]"), "comparator", None)
    frame = pd.DataFrame(rows, columns=[*_AREA_COLUMNS, "parent_code"])
    logger.info("Area selection: %s", ", ".join(frame["area_name"]))
    return frame


def _area_frame(areas, table: pd.DataFrame) -> pd.DataFrame:
    """Normalise a code, list of codes or :func:`area_selection` frame to ``_AREA_COLUMNS``."""
    if isinstance(areas, pd.DataFrame):
        frame = areas.copy()
        if "role" not in frame.columns:
            frame["role"] = "focus"
        if "area_name" not in frame.columns:
            frame["area_name"] = pd.NA
    else:
        frame = pd.DataFrame({"area_code": _codes(areas), "area_name": pd.NA, "role": "focus"})
    names = (table.dropna(subset=["area_name"]).drop_duplicates("area_code")
             .set_index("area_code")["area_name"])
    frame["area_name"] = frame["area_name"].fillna(frame["area_code"].map(names))
    frame["area_name"] = frame["area_name"].fillna(frame["area_code"]).astype(str)
    return frame.loc[:, _AREA_COLUMNS].reset_index(drop=True)


def _spec(indicator):
    from cw_pophealth.catalogue import indicator_spec

    return indicator_spec(indicator)


def _period_order(rows: pd.DataFrame) -> list[str]:
    """Period labels of ``rows`` sorted by start then end date."""
    if rows.empty:
        return []
    keys = [c for c in ("period_start", "period_end") if c in rows.columns]
    ordered = rows.drop_duplicates("period").sort_values(keys)
    return [str(p) for p in ordered["period"]]


def _resolve_periods(rows: pd.DataFrame, period, *, preferred: pd.DataFrame | None = None,
                     what: str) -> list[str]:
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
        return _period_order(valued)
    wanted = [period] if isinstance(period, str) else list(period)
    available = _period_order(valued)
    missing = [p for p in wanted if str(p).strip() not in available]
    if missing:
        raise NoDataError(
            f"period={missing[0]!r} has no data for {what}. Available periods: "
            f"{', '.join(available)} (or 'latest')."
        )
    return [str(p).strip() for p in wanted]


def _source_label(rows: pd.Series) -> str:
    """One short provenance label for a set of rows' ``source_ref`` values."""
    refs = sorted({str(x) for x in rows.dropna()})
    return "; ".join(refs)


def window_of_need(table: pd.DataFrame, areas, *, sexes=("Male", "Female"),
                   period=LATEST, confidence: float = 0.95) -> pd.DataFrame:
    """Life expectancy, healthy life expectancy and the gap between them ("window of need").

    LE (Fingertips 90366) and HLE (90362) are paired only when they share the same period
    label, sex and area; the gap is ``LE - HLE`` (years lived in not-good health) and its
    interval comes from :func:`cw_pophealth.stats.window_of_need_ci` (approximate and
    conservative; missing when either CI is missing, which it is for the Fingertips LE in the
    offline extracts). Nothing is filled: an area without LE (e.g. Warwickshire county offline)
    keeps its HLE and gets ``status`` "LE not in data".

    Same-vintage caveat (FEATURE-ANCHORS d6): the gap is valid only when LE and HLE come from
    the same ONS release, period, sex and geography. The ``le_source_ref`` and
    ``hle_source_ref`` columns name the files used; when they differ the ``caveat`` column
    says so.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (:func:`cw_pophealth.snapshot.load_indicators`).
    areas : str, sequence of str or pandas.DataFrame
        Area codes, or an :func:`area_selection` frame (keeps names, roles and order).
    sexes : sequence of str, default ("Male", "Female")
    period : str or sequence of str, default "latest"
        ``"latest"``: the latest period in which both LE and HLE are published for any of the
        areas; ``"all"``: every period with LE or HLE; or period label(s) such as
        ``"2021 - 23"``.
    confidence : float, default 0.95
        Level of the published limits used for the gap interval.

    Returns
    -------
    pandas.DataFrame
        One row per area x sex x period, areas in the given order: ``area_code``,
        ``area_name``, ``role``, ``sex``, ``period``, ``period_start``, ``le``, ``le_lower``,
        ``le_upper``, ``hle``, ``hle_lower``, ``hle_upper``, ``gap``, ``gap_lower``,
        ``gap_upper``, ``status``, ``le_source_ref``, ``hle_source_ref`` (files),
        ``le_source``, ``hle_source`` (provenance labels), ``caveat``.

    Raises
    ------
    NoDataError
        If neither LE nor HLE has any value, or a requested period is absent (naming
        ``period``).

    Examples
    --------
    >>> from cw_pophealth.snapshot import load_indicators  # doctest: +SKIP
    >>> won = window_of_need(load_indicators(), ["E08000026"], period="2021 - 23")  # doctest: +SKIP
    >>> won[["sex", "gap"]].round(1).values.tolist()  # doctest: +SKIP
    [['Male', 18.8], ['Female', 23.6]]
    """
    from cw_pophealth import stats

    area_frame = _area_frame(areas, table)
    codes = list(area_frame["area_code"])
    sexes = [sexes] if isinstance(sexes, str) else list(sexes)
    rows = select(table, indicator_id=[_LE_ID, _HLE_ID], area_codes=codes, sex=sexes)
    what = f"life expectancy / healthy life expectancy in {', '.join(codes)}"
    if isinstance(period, str) and period.strip().lower() == LATEST:
        valued = rows.dropna(subset=["value"])
        both = set(valued.loc[valued["indicator_id"] == _LE_ID, "period"]) & set(
            valued.loc[valued["indicator_id"] == _HLE_ID, "period"])
        paired = valued.loc[valued["period"].isin(both)]
        periods = _resolve_periods(paired if not paired.empty else rows, LATEST, what=what)
    else:
        periods = _resolve_periods(rows, period, what=what)
    bounds = rows.drop_duplicates("period").set_index("period")["period_start"]

    def part(indicator_id: int, prefix: str) -> pd.DataFrame:
        sub = rows.loc[rows["indicator_id"] == indicator_id]
        return sub.set_index(["area_code", "sex", "period"])[
            ["value", "lower_ci_95" if confidence == 0.95 else "lower_ci_99_8",
             "upper_ci_95" if confidence == 0.95 else "upper_ci_99_8", "source", "source_ref"]
        ].set_axis([prefix, f"{prefix}_lower", f"{prefix}_upper", f"{prefix}_source",
                    f"{prefix}_source_ref"], axis=1)

    grid = pd.MultiIndex.from_product([codes, sexes, periods],
                                      names=["area_code", "sex", "period"])
    out = pd.DataFrame(index=grid).join(part(_LE_ID, "le")).join(part(_HLE_ID, "hle"))
    out = out.reset_index()
    for col in ("le", "le_lower", "le_upper", "hle", "hle_lower", "hle_upper"):
        out[col] = out[col].astype("float64")
    has_le, has_hle = out["le"].notna(), out["hle"].notna()
    inverted = has_le & has_hle & (out["hle"] > out["le"])
    usable = has_le & has_hle & ~inverted
    gap = pd.Series(np.nan, index=out.index)
    lower = pd.Series(np.nan, index=out.index)
    upper = pd.Series(np.nan, index=out.index)
    if usable.any():
        g, lo, hi = stats.window_of_need_ci(
            out.loc[usable, "le"], out.loc[usable, "le_lower"], out.loc[usable, "le_upper"],
            out.loc[usable, "hle"], out.loc[usable, "hle_lower"], out.loc[usable, "hle_upper"],
            confidence=confidence,
        )
        gap[usable], lower[usable], upper[usable] = (np.asarray(g), np.asarray(lo),
                                                     np.asarray(hi))
    out["gap"], out["gap_lower"], out["gap_upper"] = gap, lower, upper
    status = np.select(
        [usable, inverted, ~has_le & ~has_hle, ~has_le, ~has_hle],
        [STATUS_OK, "HLE above LE: sources do not match, gap not shown", "LE and HLE not in data",
         "LE not in data", "HLE not in data"],
        default="",
    )
    out["status"] = status
    different = usable & (out["le_source_ref"].astype(str) != out["hle_source_ref"].astype(str))
    out["caveat"] = np.where(
        different,
        "LE and HLE are from different publications of the same period; the gap assumes the "
        "same ONS release (see method note)",
        "",
    )
    out["period_start"] = out["period"].map(bounds)
    out = area_frame.merge(out, on="area_code", how="right")
    order = {c: i for i, c in enumerate(codes)}
    out = out.assign(_a=out["area_code"].map(order), _s=out["sex"].map(sexes.index)).sort_values(
        ["_a", "_s", "period_start"], kind="stable").drop(columns=["_a", "_s"])
    columns = ["area_code", "area_name", "role", "sex", "period", "period_start", "le",
               "le_lower", "le_upper", "hle", "hle_lower", "hle_upper", "gap", "gap_lower",
               "gap_upper", "status", "le_source_ref", "hle_source_ref", "le_source",
               "hle_source", "caveat"]
    out = out.loc[:, columns].reset_index(drop=True)
    out.attrs.update(method=stats.WINDOW_OF_NEED_METHOD, indicator_ids=(_LE_ID, _HLE_ID),
                     confidence=confidence)
    logger.info("Window of need: %d rows (%d with a gap) for %d area(s), period(s) %s",
                len(out), int(usable.sum()), len(codes), ", ".join(periods))
    return out


def _confidence_columns(confidence: float) -> tuple[str, str, str]:
    if confidence == 0.95:
        return "lower_ci_95", "upper_ci_95", "95%"
    if confidence == 0.998:
        return "lower_ci_99_8", "upper_ci_99_8", "99.8%"
    from cw_pophealth.errors import ParameterError

    raise ParameterError(f"confidence={confidence!r}: use 0.95 or 0.998 (the levels "
                         "Fingertips publishes).")


def _one_benchmark_table(table: pd.DataFrame, indicator, area_frame: pd.DataFrame,
                         comparator_code: str, *, polarity, period, sexes,
                         confidence: float) -> pd.DataFrame:
    from cw_pophealth import catalogue, stats

    spec = _spec(indicator)
    pol = spec.polarity if polarity is None else int(polarity)
    sexes = list(spec.sexes) if sexes is None else ([sexes] if isinstance(sexes, str)
                                                     else list(sexes))
    lo_col, hi_col, level = _confidence_columns(confidence)
    codes = list(area_frame["area_code"])
    ind_rows = select(table, indicator_id=spec.indicator_id, sex=sexes)
    rows = ind_rows.loc[ind_rows["area_code"].isin(codes)]
    bench_rows = ind_rows.loc[ind_rows["area_code"] == comparator_code]
    what = f"{spec.short_name} ({spec.indicator_id})"
    explicit = not (period is None or (isinstance(period, str) and period.strip().lower()
                                       in (LATEST, ALL_PERIODS)))
    if explicit:
        # Requested labels are kept even where this indicator lacks them: those rows say
        # "No value for <area> in <period>" (benchmark_table raises if no indicator has them).
        periods = [str(p).strip() for p in ([period] if isinstance(period, str) else period)]
    elif rows.dropna(subset=["value"]).empty and bench_rows.dropna(subset=["value"]).empty:
        periods = []
    else:
        periods = _resolve_periods(pd.concat([rows, bench_rows]), period, preferred=bench_rows,
                                   what=what)
    bounds = ind_rows.drop_duplicates("period").set_index("period")["period_start"]
    keyed = rows.set_index(["area_code", "sex", "period"])
    bench = bench_rows.set_index(["sex", "period"])["value"]
    comparator_name = str(_area_frame([comparator_code], table)["area_name"].iloc[0])
    has_any = set(rows.dropna(subset=["value"])["area_code"])
    records = []
    for area in area_frame.itertuples(index=False):
        if area.area_code not in has_any:
            # One explicit row per sex; with a single period the benchmark value is kept so
            # tables and charts can still show it beside "no data".
            per = periods[-1] if len(periods) == 1 else pd.NA
            for sex in sexes:
                records.append({
                    "area_code": area.area_code, "area_name": area.area_name,
                    "role": area.role, "sex": sex, "period": per,
                    "benchmark_value": bench.get((sex, per), np.nan) if pd.notna(per)
                    else np.nan,
                    "status": f"No data in snapshot for {area.area_name} ({spec.indicator_id})",
                })
            continue
        for sex in sexes:
            for per in periods:
                rec = {"area_code": area.area_code, "area_name": area.area_name,
                       "role": area.role, "sex": sex, "period": per}
                key = (area.area_code, sex, per)
                if key in keyed.index:
                    row = keyed.loc[key]
                    row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
                    rec.update(value=row["value"], lower=row[lo_col], upper=row[hi_col],
                               published_comparison=row["compared_to_england"],
                               value_note=row["value_note"], source=row["source"],
                               source_ref=row["source_ref"])
                    rec["status"] = (STATUS_OK if pd.notna(row["value"]) else
                                     "Value missing in source" + (
                                         f" ({row['value_note']})"
                                         if pd.notna(row["value_note"]) else ""))
                else:
                    rec["status"] = (f"No value for {area.area_name} in {per} "
                                     f"({spec.indicator_id})")
                rec["benchmark_value"] = bench.get((sex, per), np.nan)
                records.append(rec)
    out = pd.DataFrame.from_records(records)
    for col in ("value", "lower", "upper", "benchmark_value"):
        out[col] = pd.to_numeric(out.get(col), errors="coerce").astype("float64")
    for col in ("published_comparison", "value_note", "source", "source_ref"):
        if col not in out.columns:
            out[col] = pd.NA
    is_self = (out["area_code"] == comparator_code).to_numpy(dtype=bool)
    out["computed_comparison"] = np.asarray(stats.compare_to_benchmark(
        out["value"].to_numpy(), out["lower"].to_numpy(), out["upper"].to_numpy(),
        out["benchmark_value"].to_numpy(), pol, is_benchmark=is_self), dtype=object)
    has_ci = out["lower"].notna() & out["upper"].notna()
    published = out["published_comparison"].astype("object").where(
        out["published_comparison"].notna(), None)
    use_published = (~has_ci & published.notna() & (comparator_code == catalogue.ENGLAND)
                     & out["value"].notna() & ~is_self)
    out["comparison"] = np.where(use_published, published, out["computed_comparison"])
    why = np.select(
        [out["value"].isna(), out["benchmark_value"].isna(), pd.Series(pol == -1,
                                                                       index=out.index)],
        ["no value", f"no {comparator_name} value for this period", "polarity not applicable"],
        default="no confidence interval in the data and no published label",
    )
    out["comparison_source"] = np.select(
        [is_self, has_ci & out["value"].notna() & out["benchmark_value"].notna() & (pol != -1),
         use_published],
        [SOURCE_SELF, SOURCE_COMPUTED.format(level=level), SOURCE_PUBLISHED],
        default=pd.Series(why).map(lambda w: SOURCE_NONE.format(why=w)).to_numpy(),
    )
    computed_cmp = out["computed_comparison"].where(has_ci & ~is_self)
    out["agrees_with_published"] = pd.array(
        [pd.NA if (pd.isna(c) or pd.isna(p)) else bool(c == p)
         for c, p in zip(computed_cmp, published, strict=True)], dtype="boolean")
    out = out.assign(
        indicator_id=spec.indicator_id, indicator_key=spec.key, indicator_name=spec.short_name,
        unit=spec.unit, value_type=spec.value_type, polarity=pol, confidence=level,
        benchmark_code=comparator_code, benchmark_name=comparator_name,
        period_start=pd.to_datetime(out["period"].map(bounds.to_dict())),
    )
    columns = ["indicator_id", "indicator_key", "indicator_name", "unit", "value_type",
               "polarity", "area_code", "area_name", "role", "sex", "period", "period_start",
               "value", "lower", "upper", "confidence", "benchmark_code", "benchmark_name",
               "benchmark_value", "comparison", "comparison_source", "computed_comparison",
               "published_comparison", "agrees_with_published", "status", "value_note",
               "source", "source_ref"]
    return out.loc[:, columns]


def benchmark_table(table: pd.DataFrame, indicators, areas, comparator_code: str = "E92000001",
                    *, polarity: int | None = None, period=LATEST, sex=None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Values with CIs and their comparison with a benchmark area, Fingertips style.

    The comparison is computed with :func:`cw_pophealth.stats.compare_to_benchmark`
    (Fingertips method 1: the area's CI against the benchmark's value, by polarity). Where a row
    has no CI (the ``trafford_themes`` extracts publish values only) the label Fingertips
    published in ``compared_to_england`` is shown instead, when the benchmark is England; the
    ``comparison_source`` column says which ("computed (95% CI overlap)" or "published by
    Fingertips"), and ``computed_comparison``/``published_comparison``/
    ``agrees_with_published`` keep both for cross-checking. The benchmark area is never
    compared with itself.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table.
    indicators : str, int or sequence
        Catalogue key(s) (``"smoking"``) or Fingertips id(s).
    areas : str, sequence of str or pandas.DataFrame
        Area codes or an :func:`area_selection` frame.
    comparator_code : str, default England (E92000001)
        The benchmark area (England or a region).
    polarity : int, optional
        Override the catalogue polarity (1, 0, 99, -1).
    period : str or sequence of str, default "latest"
        ``"latest"`` (per indicator: the latest period with a benchmark value, else with any
        area value), ``"all"`` or period label(s).
    sex : str or sequence of str, optional
        Defaults to the sexes the indicator is published for.
    confidence : {0.95, 0.998}
        Which published limits to compare with.

    Returns
    -------
    pandas.DataFrame
        One row per indicator x area x sex x period (an area with no data at all for an
        indicator gets one row with ``status`` "No data in snapshot for <area> (<id>)").

    Raises
    ------
    NoDataError
        If a requested period label is absent for every area and the benchmark.
    cw_pophealth.errors.UnknownIndicatorError
        For an unknown indicator key or id.
    """
    specs = [indicators] if isinstance(indicators, (str, int, np.integer)) else list(indicators)
    area_frame = _area_frame(areas, table)
    comparator_code = str(comparator_code).strip().upper()
    parts = [
        _one_benchmark_table(table, ind, area_frame, comparator_code, polarity=polarity,
                             period=period, sexes=sex, confidence=confidence)
        for ind in specs
    ]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    explicit = not (period is None or (isinstance(period, str) and period.strip().lower()
                                       in (LATEST, ALL_PERIODS)))
    if explicit and len(out) and out["value"].isna().all():
        codes = ", ".join(area_frame["area_code"])
        raise NoDataError(f"period={period!r} has no data for indicator(s) "
                          f"{', '.join(map(str, out['indicator_id'].unique()))} in {codes}.")
    logger.info("Benchmark table: %d rows for %d indicator(s) and %d area(s) vs %s", len(out),
                len(specs), len(area_frame), comparator_code)
    return out


def trend_table(table: pd.DataFrame, indicators, areas, comparator_code: str = "E92000001",
                *, sex=None, confidence: float = 0.95) -> pd.DataFrame:
    """Every period of each indicator for each area, compared with the benchmark per period.

    :func:`benchmark_table` over all periods, keeping only periods an area has a row for (an
    area with no data at all keeps its single "No data in snapshot" row).

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`benchmark_table`, sorted by indicator, area and period.
    """
    out = benchmark_table(table, indicators, areas, comparator_code, period=ALL_PERIODS,
                          sex=sex, confidence=confidence)
    keep = ~out["status"].str.startswith("No value for ")
    return out.loc[keep].reset_index(drop=True)


def recent_trends(table: pd.DataFrame, indicators, areas, *, sex=None) -> pd.DataFrame:
    """Fingertips "recent trend" for each indicator x area x sex (latest 5 periods).

    Uses :func:`cw_pophealth.stats.recent_trend` on the indicator's full run of periods (a
    missing period breaks the run). Proportions with published counts and denominators use
    the chi-square test; otherwise the inverse-variance weighted slope on the 95% CIs is used
    (the method FingertipsNext applies to every type), and the ``method`` column says so.
    Rolling multi-year periods, and sources publishing neither counts nor CIs, give
    "Cannot be calculated" with the reason.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_key``, ``indicator_name``, ``area_code``, ``area_name``,
        ``role``, ``sex``, ``trend``, ``direction``, ``chi2``, ``slope``, ``n_points``,
        ``method``, ``reason``, ``periods`` (first to last period tested).
    """
    from cw_pophealth import stats

    specs = [indicators] if isinstance(indicators, (str, int, np.integer)) else list(indicators)
    area_frame = _area_frame(areas, table)
    records = []
    for ind in specs:
        spec = _spec(ind)
        sexes = list(spec.sexes) if sex is None else ([sex] if isinstance(sex, str) else sex)
        ind_rows = select(table, indicator_id=spec.indicator_id, sex=sexes)
        periods = _period_order(ind_rows.dropna(subset=["value"]))
        rolling = any(is_rolling_period(p) for p in periods)
        for area in area_frame.itertuples(index=False):
            for s in sexes:
                series = (ind_rows.loc[(ind_rows["area_code"] == area.area_code)
                                       & (ind_rows["sex"] == s)]
                          .drop_duplicates("period").set_index("period").reindex(periods))
                base = {"indicator_id": spec.indicator_id, "indicator_key": spec.key,
                        "indicator_name": spec.short_name, "area_code": area.area_code,
                        "area_name": area.area_name, "role": area.role, "sex": s}
                valued = series["value"].notna()
                if not valued.any():
                    records.append({**base, "trend": stats.CANNOT_BE_CALCULATED,
                                    "reason": f"No data in snapshot for {area.area_name} "
                                              f"({spec.indicator_id})", "n_points": 0})
                    continue
                has_counts = series["count"].notna().any() and series["denominator"].notna().any()
                has_ci = series["lower_ci_95"].notna().any()
                note = ""
                if rolling:
                    kwargs = {"lower": series["lower_ci_95"], "upper": series["upper_ci_95"],
                              "value_type": "rate"}
                elif spec.value_type == "proportion" and has_counts:
                    kwargs = {"counts": series["count"], "denominators": series["denominator"],
                              "value_type": "proportion"}
                elif has_ci:
                    kwargs = {"lower": series["lower_ci_95"], "upper": series["upper_ci_95"],
                              "value_type": "rate" if spec.value_type == "proportion"
                              else spec.value_type}
                    if spec.value_type == "proportion":
                        note = " on 95% CIs (no counts published; FingertipsNext method)"
                else:
                    records.append({**base, "trend": stats.CANNOT_BE_CALCULATED,
                                    "n_points": int(valued.sum()),
                                    "reason": "the source publishes neither counts nor "
                                              "confidence intervals, so no trend test is "
                                              "possible"})
                    continue
                result = stats.recent_trend(series["value"].to_numpy(dtype=float),
                                            polarity=spec.polarity,
                                            periods_are_annual=not rolling, **{
                                                k: (v.to_numpy(dtype=float)
                                                    if isinstance(v, pd.Series) else v)
                                                for k, v in kwargs.items()})
                tested = [p for p, ok in zip(periods, valued, strict=True) if ok]
                records.append({**base, "trend": result.label, "direction": result.direction,
                                "chi2": result.chi2, "slope": result.slope,
                                "n_points": result.n_points,
                                "method": (result.method + note) if result.method else None,
                                "reason": result.reason,
                                "periods": (f"{tested[-result.n_points]} to {tested[-1]}"
                                            if result.n_points else None)})
    columns = ["indicator_id", "indicator_key", "indicator_name", "area_code", "area_name",
               "role", "sex", "trend", "direction", "chi2", "slope", "n_points", "method",
               "reason", "periods"]
    return pd.DataFrame.from_records(records).reindex(columns=columns)


def _peer_stats(values: np.ndarray) -> dict[str, float]:
    """Min, R type-7 quartiles, median and max of peer values (NaN when there are none)."""
    if values.size == 0:
        return dict.fromkeys(("minimum", "q25", "median", "q75", "maximum"), np.nan)
    q = np.quantile(values, [0.0, 0.25, 0.5, 0.75, 1.0], method="linear")  # R type 7
    return dict(zip(("minimum", "q25", "median", "q75", "maximum"), map(float, q), strict=True))


def area_profile_table(table: pd.DataFrame, area_code: str, *, indicators=None,
                       comparator_code: str = "E92000001", period=LATEST,
                       peer_area_types: tuple[str, ...] | None = None,
                       confidence: float = 0.95) -> pd.DataFrame:
    """One row per core indicator x sex for an area, with what a spine chart needs.

    For each indicator the period is its latest with an England value (or the label given;
    indicators without it get a "No value for <area> in <period>" row);
    the range is taken over areas of the same tier in that period and sex (counties & UAs for
    a county or UA, districts & UAs for a district; :data:`PEER_AREA_TYPES`), with R type-7
    quantiles. Spine-chart positions follow fingertipscharts: England at 0, scaled by
    ``half_range = max(|min - England|, |max - England|)``, and oriented so that **right is
    better** (for polarity 0, low is good, the axis is flipped; for 99, no judgement, higher
    is right).

    Indicators with no data for the area get an explicit row (value missing, ``status`` "No
    data in snapshot for <area> (<id>)"), so the chart can say so.

    Parameters
    ----------
    table : pandas.DataFrame
    area_code : str
    indicators : sequence, optional
        Catalogue keys or ids; default every core indicator
        (:data:`cw_pophealth.catalogue.CORE_INDICATORS`).
    comparator_code : str, default England
    period : str, default "latest"
    peer_area_types : tuple of str, optional
        Override the tidy ``area_type`` values whose areas form the range.
    confidence : {0.95, 0.998}

    Returns
    -------
    pandas.DataFrame
        The :func:`benchmark_table` columns plus ``n_areas``, ``minimum``, ``q25``,
        ``median``, ``q75``, ``maximum``, ``worst``, ``best``, ``half_range``,
        ``spine_worst``, ``spine_q25``, ``spine_q75``, ``spine_best``, ``spine_area``.
    """
    from cw_pophealth import catalogue

    code = str(area_code).strip().upper()
    keys = ([s.key for s in catalogue.CORE_INDICATORS] if indicators is None
            else ([indicators] if isinstance(indicators, (str, int)) else list(indicators)))
    area_rows = table.loc[table["area_code"] == code]
    area_type = str(area_rows["area_type"].mode().iloc[0]) if not area_rows.empty else "UA"
    peers = peer_area_types or PEER_AREA_TYPES.get(area_type, (area_type,))
    parts = []
    for key in keys:
        spec = _spec(key)
        part = _one_benchmark_table(table, key, _area_frame([code], table), comparator_code,
                                    polarity=None, period=period, sexes=None,
                                    confidence=confidence)
        ind_rows = table.loc[(table["indicator_id"] == spec.indicator_id)
                             & table["area_type"].isin(peers)]
        extra = []
        for row in part.itertuples(index=False):
            vals = ind_rows.loc[(ind_rows["sex"] == row.sex) & (ind_rows["period"] == row.period),
                                "value"].dropna().to_numpy(dtype=float)
            extra.append({"n_areas": int(vals.size), **_peer_stats(vals)})
        parts.append(pd.concat([part.reset_index(drop=True), pd.DataFrame(extra)], axis=1))
    out = pd.concat(parts, ignore_index=True)
    low_good = out["polarity"] == catalogue.POLARITY_LOW_IS_GOOD
    out["worst"] = np.where(low_good, out["maximum"], out["minimum"])
    out["best"] = np.where(low_good, out["minimum"], out["maximum"])
    eng = out["benchmark_value"]
    half = np.maximum((out["minimum"] - eng).abs(), (out["maximum"] - eng).abs())
    out["half_range"] = half.where(half > 0)
    sign = np.where(low_good, -1.0, 1.0)
    for name, col in (("worst", "worst"), ("q25", "q25"), ("q75", "q75"), ("best", "best"),
                      ("area", "value")):
        out[f"spine_{name}"] = sign * (out[col] - eng) / out["half_range"]
    # For low-is-good indicators the 25th percentile sits on the better side: swap so that
    # spine_q25 is always the worse quartile.
    out.loc[low_good, ["spine_q25", "spine_q75"]] = out.loc[
        low_good, ["spine_q75", "spine_q25"]].to_numpy()
    out.attrs.update(area_code=code, peer_area_types=tuple(peers))
    logger.info("Area profile for %s: %d indicator rows (%d without data)", code, len(out),
                int(out["value"].isna().sum()))
    return out


# ---------------------------------------------------------------------------------------------
# Presentation (tables as readers see them: 1 dp, explicit text for missing values)
# ---------------------------------------------------------------------------------------------
def _fmt(value, digits: int = 1, missing: str = "—") -> str:
    return missing if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _fmt_ci(lower, upper, digits: int = 1) -> str:
    if pd.isna(lower) or pd.isna(upper):
        return "not in data"
    return f"{lower:.{digits}f} to {upper:.{digits}f}"


def present_window_of_need(won: pd.DataFrame, *, drop_empty: bool = False,
                           districts: bool = True) -> pd.DataFrame:
    """The :func:`window_of_need` table as a reader sees it (1 dp, "not in data" spelled out).

    Parameters
    ----------
    won : pandas.DataFrame
        :func:`window_of_need` output.
    drop_empty : bool, default False
        Leave out rows with neither LE nor HLE (e.g. periods before an indicator starts).
    districts : bool, default True
        Keep rows whose role is a district (set False for a shorter multi-period table).

    Returns
    -------
    pandas.DataFrame
        Columns Area, Sex, Period, Life expectancy, LE 95% CI, Healthy life expectancy,
        HLE 95% CI, Gap (years in not-good health), Gap 95% CI (approx.), Status.
    """
    if drop_empty:
        won = won.loc[won["le"].notna() | won["hle"].notna()]
    if not districts and "role" in won.columns:
        won = won.loc[~won["role"].astype(str).str.startswith("district")]
    won = won.reset_index(drop=True)
    return pd.DataFrame({
        "Area": won["area_name"],
        "Sex": won["sex"],
        "Period": won["period"],
        "Life expectancy (years)": [_fmt(v, missing="not in data") for v in won["le"]],
        "LE 95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                      zip(won["le"], won["le_lower"], won["le_upper"], strict=True)],
        "Healthy life expectancy (years)": [_fmt(v, missing="not in data") for v in won["hle"]],
        "HLE 95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                       zip(won["hle"], won["hle_lower"], won["hle_upper"], strict=True)],
        "Gap: years in not-good health": [_fmt(v, missing="cannot be calculated")
                                          for v in won["gap"]],
        "Gap 95% CI (approx.)": [_fmt_ci(lo, hi) if pd.notna(g) else "" for g, lo, hi in
                                 zip(won["gap"], won["gap_lower"], won["gap_upper"],
                                     strict=True)],
        "Status": won["status"],
    })


def window_of_need_over_time(won: pd.DataFrame) -> pd.DataFrame:
    """Gap (LE - HLE, years) by area and sex (rows) and period (columns), 1 dp as text.

    Cells without a gap read "—". Areas and periods with no gap at all are left out of this
    summary; the ``status`` column of :func:`window_of_need` says why for each of them.
    """
    wide = won.pivot_table(index=["area_name", "sex"], columns="period", values="gap",
                           aggfunc="first", sort=False, dropna=False)
    periods = _period_order(won.dropna(subset=["period_start"]))
    wide = wide.reindex(columns=[p for p in periods if p in wide.columns])
    order = won.drop_duplicates(["area_name", "sex"])[["area_name", "sex"]]
    wide = wide.reindex(pd.MultiIndex.from_frame(order))
    wide = wide.dropna(how="all").dropna(axis=1, how="all")
    wide.index.names = ["Area", "Sex"]
    wide.columns.name = "Period"
    return wide.map(_fmt)


def present_benchmark(bench: pd.DataFrame) -> pd.DataFrame:
    """A :func:`benchmark_table` as a reader sees it, one row per indicator x area x sex."""
    return pd.DataFrame({
        "Indicator": bench["indicator_name"] + " (" + bench["indicator_id"].astype(str) + ")",
        "Area": bench["area_name"],
        "Sex": bench["sex"].fillna(""),
        "Period": bench["period"].fillna("—"),
        "Value": [_fmt(v, missing="no data") + ("" if pd.isna(v) else f" {u}".replace(" %", "%"))
                  for v, u in zip(bench["value"], bench["unit"], strict=True)],
        "95% CI": [_fmt_ci(lo, hi) if pd.notna(v) else "" for v, lo, hi in
                   zip(bench["value"], bench["lower"], bench["upper"], strict=True)],
        "Benchmark": [f"{n} {_fmt(b)}" for n, b in
                      zip(bench["benchmark_name"], bench["benchmark_value"], strict=True)],
        "Compared with benchmark": bench["comparison"],
        "How compared": bench["comparison_source"],
        "Status": bench["status"],
    })


def benchmark_summary(bench: pd.DataFrame) -> pd.DataFrame:
    """One row per area, one column per indicator: "value unit (comparison)" or "no data".

    The column header names the indicator, its id and the period shown.
    """
    label = [
        "no data" if pd.isna(v) else f"{v:.1f}{'%' if u == '%' else ' ' + u} ({c})"
        for v, u, c in zip(bench["value"], bench["unit"], bench["comparison"], strict=True)
    ]
    periods = (bench.dropna(subset=["period"]).groupby("indicator_id", sort=False)["period"]
               .agg(lambda s: ", ".join(dict.fromkeys(s))))
    header = [f"{n} ({i}), {periods.get(i, 'no data')}" for n, i in
              zip(bench["indicator_name"], bench["indicator_id"], strict=True)]
    frame = bench.assign(_label=label, _header=header, _sex=bench["sex"].fillna("Persons"))
    wide = frame.pivot_table(index=["area_name", "_sex"], columns="_header", values="_label",
                             aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(header)))
    if (wide.index.get_level_values("_sex") == "Persons").all():
        wide.index = wide.index.droplevel("_sex")
        wide.index.name = "Area"
    else:
        wide.index.names = ["Area", "Sex"]
    wide.columns.name = None
    return wide.fillna("no data")


def present_area_profile(profile: pd.DataFrame) -> pd.DataFrame:
    """An :func:`area_profile_table` as a reader sees it (the table beside a spine chart)."""
    return pd.DataFrame({
        "Indicator": profile["indicator_name"] + np.where(
            profile["sex"].fillna("Persons") == "Persons", "", " (" + profile["sex"].fillna("")
            + ")") + " [" + profile["indicator_id"].astype(str) + "]",
        "Period": profile["period"].fillna("—"),
        "Unit": profile["unit"],
        "Area value": [_fmt(v, missing="no data") for v in profile["value"]],
        "England": [_fmt(v) for v in profile["benchmark_value"]],
        "Worst": [_fmt(v) for v in profile["worst"]],
        "25th pct": [_fmt(v) for v in profile["q25"]],
        "75th pct": [_fmt(v) for v in profile["q75"]],
        "Best": [_fmt(v) for v in profile["best"]],
        "Areas in range": profile["n_areas"],
        "Compared with England": profile["comparison"],
        "How compared": profile["comparison_source"],
        "Status": profile["status"],
    })
