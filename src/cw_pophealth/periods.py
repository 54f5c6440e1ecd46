"""Time periods: Fingertips and ONS period labels and the dates they cover.

Fingertips labels periods as calendar years (``2023``), financial years (``2022/23``), rolling
ranges (``2021 - 23``), financial ranges, quarters and months (``May 2017``, ``Mar 2015 - Feb
2016``); ONS Explore Local Statistics uses ISO 8601 start/duration (``2021-01-01/P3Y``).
:func:`parse_period` turns any of them into inclusive first and last days, so that periods from
different sources sort and match by date.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

__all__ = [
    "ALL_PERIODS",
    "LATEST",
    "add_period_bounds",
    "fingertips_period_label",
    "fingertips_range_label",
    "is_rolling_period",
    "parse_period",
    "period_order",
]

#: Period selector meaning "the latest period with data" (the default of every notebook).
LATEST = "latest"
#: Period selector meaning "every period" (trend tables).
ALL_PERIODS = "all"

_YEAR = re.compile(r"^(\d{4})$")
_FINANCIAL = re.compile(r"^(\d{4})/(\d{2})$")
_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_FIN_RANGE = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s+Q([1-4])$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)([YM])$")
_MONTH = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})$")
_MONTH_RANGE = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})\s*-\s*([A-Za-z]{3})[a-z]*\s+(\d{4})$")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                        "sep", "oct", "nov", "dec"), start=1)}


def _month_start(name: str, year: str, label: str) -> pd.Timestamp:
    month = _MONTHS.get(name.casefold())
    if month is None:
        raise ValueError(f"Unrecognised month {name!r} in time period {label!r}.")
    return pd.Timestamp(int(year), month, 1)


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
        ``'2019/20 Q1'`` (financial quarter), ``'May 2017'`` (a month), ``'Mar 2015 - Feb 2016'``
        (whole months), or ISO 8601 start/duration ``'2021-01-01/P3Y'``.

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
    >>> [str(d.date()) for d in parse_period("Aug 2017 - Jul 2018")]
    ['2017-08-01', '2018-07-31']
    """
    text = re.sub(r"\s+", " ", str(label)).strip()
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
    if m := _MONTH_RANGE.match(text):
        start = _month_start(m[1], m[2], text)
        return start, _month_start(m[3], m[4], text) + pd.offsets.MonthEnd(0)
    if m := _MONTH.match(text):
        start = _month_start(m[1], m[2], text)
        return start, start + pd.offsets.MonthEnd(0)
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


def fingertips_range_label(label: str) -> str:
    """Write a calendar-year range the way Fingertips does; leave other labels as they are.

    Some upstream scripts stripped the spaces (``'2016-18'``); Fingertips and this table use
    ``'2016 - 18'`` (same dates).

    Examples
    --------
    >>> fingertips_range_label("2016-18")
    '2016 - 18'
    >>> fingertips_range_label("2017/18")
    '2017/18'
    """
    text = re.sub(r"\s+", " ", str(label)).strip()
    if m := _RANGE.match(text):
        return f"{m[1]} - {m[2][-2:]}"
    return text


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



def period_order(rows: pd.DataFrame) -> list[str]:
    """Period labels of ``rows`` (a frame with ``period`` and its bounds), sorted by start then
    end date.

    Examples
    --------
    >>> rows = add_period_bounds(pd.DataFrame({"period": ["2022/23", "2021 - 23", "2021"]}))
    >>> period_order(rows)
    ['2021', '2021 - 23', '2022/23']
    """
    if rows.empty:
        return []
    keys = [c for c in ("period_start", "period_end") if c in rows.columns]
    ordered = rows.drop_duplicates("period").sort_values(keys)
    return [str(p) for p in ordered["period"]]
