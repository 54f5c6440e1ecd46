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
    return f"{start.year}/{(start.year + 1) % 100:02d} - {end.year % 100:02d}/{(end.year + 1) % 100:02d}"


def add_period_bounds(df: pd.DataFrame, label_column: str = "period") -> pd.DataFrame:
    """Return a copy with ``period_start`` and ``period_end`` parsed from ``label_column``."""
    labels = df[label_column].astype("string")
    bounds = {lab: parse_period(lab) for lab in labels.dropna().unique()}
    return df.assign(
        period_start=labels.map(lambda x: bounds[x][0] if x in bounds else pd.NaT),
        period_end=labels.map(lambda x: bounds[x][1] if x in bounds else pd.NaT),
    )


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
