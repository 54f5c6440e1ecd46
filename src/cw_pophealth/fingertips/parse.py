"""The Fingertips response formats: the one place that knows them.

* The ``all_data/csv`` export: its header (:data:`FINGERTIPS_CSV_COLUMNS`), which columns are
  required, how its columns map to the tidy schema (:data:`CSV_TO_TIDY`), and
  :func:`parse_fingertips_csv`, which both the API client and the reader of exports saved on disk
  (:func:`cw_pophealth.snapshot.read_fingertips_export`) use, so that the two accept and reject
  exactly the same bytes.
* The JSON endpoints: :func:`check_body` and :func:`parse_json` reject HTML pages, empty bodies
  and invalid JSON before anything is used or cached; the fields of each endpoint's answer are
  checked by :mod:`cw_pophealth.fingertips.shapes`.

Nothing here rounds or fills values: a malformed number is an error, a blank field is missing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pyarrow.csv as pa_csv

from cw_pophealth import schema
from cw_pophealth.arrow_memory import lean_pool
from cw_pophealth.errors import OFFLINE_HINT, MalformedResponseError, SchemaDriftError
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.periods import add_period_bounds

logger = logging.getLogger(__name__)

__all__ = [
    "CSV_TO_TIDY",
    "FINGERTIPS_CSV_COLUMNS",
    "FINGERTIPS_CSV_COLUMNS_2017",
    "FINGERTIPS_CSV_REQUIRED",
    "as_pandas",
    "check_body",
    "check_fingertips_columns",
    "drop_repeated_parent_rows",
    "indicator_ids_in",
    "parse_fingertips_csv",
    "parse_json",
    "snippet",
    "tidy_from_fingertips_csv",
    "tidy_rows_of_responses",
]

#: Exact header of a real Fingertips ``all_data/csv`` export of about 2017 (the file
#: ``indicators-CountyUA.data.csv`` in jargonautical/data-dev).
FINGERTIPS_CSV_COLUMNS_2017: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
    "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
    "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
    "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles",
    "Time period Sortable", "New data", "Compared to goal",
)
#: The current API's 27 columns: the 26 above plus ``Time period range``, **last**
#: (fingertipsR 1.0.9+: its README prints ``TimeperiodSortable Newdata Comparedtogoal
#: Timeperiodrange``, and its tests expect 27 columns). Columns are located by name, never by
#: position, when reading. The parent comparison column is named after the parent area type
#: (``Compared to percentiles`` when the parent is England, type 15), so this tuple shows the
#: regions form only as an example.
FINGERTIPS_CSV_COLUMNS: tuple[str, ...] = FINGERTIPS_CSV_COLUMNS_2017 + ("Time period range",)
#: Columns a response must have for the client to use it (the rest are optional).
FINGERTIPS_CSV_REQUIRED: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age",
    "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
)

#: Fingertips CSV column -> tidy column. The parent comparison column's name varies with the
#: parent area type, so it is matched by pattern in :func:`check_fingertips_columns`.
CSV_TO_TIDY: dict[str, str] = {
    "Indicator ID": "indicator_id",
    "Indicator Name": "indicator_name",
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Area Type": "area_type",
    "Parent Code": "parent_code",
    "Parent Name": "parent_name",
    "Sex": "sex",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Time period": "period",
    "Time period Sortable": "period_sortable",
    "Value": "value",
    "Lower CI 95.0 limit": "lower_ci_95",
    "Upper CI 95.0 limit": "upper_ci_95",
    "Lower CI 99.8 limit": "lower_ci_99_8",
    "Upper CI 99.8 limit": "upper_ci_99_8",
    "Count": "count",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_to_england",
    "New data": "new_data",
    "Compared to goal": "compared_to_goal",
    "Target data": "compared_to_goal",  # the older name of "Compared to goal" (fingertipsR)
    "Time period range": "time_period_range",
}
#: The England comparison column, told apart from the parent comparison column.
ENGLAND_COMPARISON = "Compared to England value or percentiles"
#: The comparison columns that are not the parent's (fingertipsR finds the parent column as any
#: other ``Compared to ...`` column).
_NOT_PARENT_COMPARISONS = frozenset({ENGLAND_COMPARISON, "Compared to goal"})

# Fingertips CSV columns read as numbers; every other column is read as text.
_CSV_INT_COLUMNS = ("Indicator ID", "Time period Sortable")
_CSV_FLOAT_COLUMNS = ("Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
                      "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator")
#: Parse CSVs with pyarrow's multi-threaded reader when available (tests switch this off to
#: exercise the C-engine path).
PREFER_PYARROW = True
#: Advice appended to format errors about an API response.
API_ADVICE = f"Nothing was cached; {OFFLINE_HINT}"

def snippet(body: bytes, limit: int = 200) -> str:
    """A short, printable start of a body for error messages (an HTML page's title)."""
    text = body[:limit * 2].decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if title:
        return f"page title {title.group(1).strip()[:limit]!r}"
    return repr(" ".join(text.split())[:limit])


# ---------------------------------------------------------------------------------------------
# JSON endpoints
# ---------------------------------------------------------------------------------------------
def check_body(body: bytes, content_type: str | None, url: str, what: str) -> None:
    """Reject empty bodies and HTML pages served with status 200.

    Raises
    ------
    MalformedResponseError
        Naming the URL and, for an HTML page, its title.
    """
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise MalformedResponseError(
            f"The Fingertips API returned an empty body for {url} (expected {what}). Nothing was "
            f"cached; {OFFLINE_HINT}.", url=url)
    if "text/html" in (content_type or "").lower() or stripped[:1] == b"<":
        raise MalformedResponseError(
            f"The Fingertips API returned an HTML page instead of {what} for {url} "
            f"({snippet(stripped)}); this is usually a maintenance or error page. Nothing was "
            f"cached. Check https://fingertips.phe.org.uk, {OFFLINE_HINT}.", url=url)


def parse_json(body: bytes, url: str, *, expect: type | tuple[type, ...],
               allow_null: bool = False) -> Any:
    """Decode a JSON body and check its top-level type.

    Raises
    ------
    MalformedResponseError
        Invalid JSON, or a top-level value that is not of type ``expect`` (``null`` is accepted
        only with ``allow_null``).
    """
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedResponseError(
            f"The Fingertips API returned invalid JSON for {url} ({exc}; starts "
            f"{snippet(body, 80)}). The response may have been cut short; nothing was cached. "
            f"{OFFLINE_HINT.capitalize()}.", url=url) from exc
    if data is None and allow_null:
        return None
    if not isinstance(data, expect):
        types = (expect,) if isinstance(expect, type) else expect
        names = "/".join(t.__name__ for t in types)
        raise MalformedResponseError(
            f"The Fingertips API returned a JSON {type(data).__name__} for {url}, expected a "
            f"{names}. The endpoint's format may have changed; nothing was cached.", url=url)
    return data


# ---------------------------------------------------------------------------------------------
# The all_data CSV
# ---------------------------------------------------------------------------------------------
def check_fingertips_columns(columns: Iterable[object], *, where: str) -> dict[str, str]:
    """Check a Fingertips CSV header and return the rename map to the tidy schema.

    Accepts the 26-column (≈2017) and 27-column (current) headers, the older ``Target data``
    name for ``Compared to goal``, and one parent comparison column under any name: the server
    writes ``Compared to percentiles`` when the parent area type is England (15) and
    ``Compared to <parent type's short name> value or percentiles`` otherwise
    (fingertips-open ``CsvBuilderIndicatorDataHeaderWriter``); older exports wrote
    ``Compared to subnational parent value or percentiles``. As in fingertipsR, the parent
    column is any ``Compared to ...`` column other than the England and goal columns.

    Raises
    ------
    SchemaDriftError
        If a required column is missing; the message lists the missing and unexpected names.

    Examples
    --------
    >>> rename = check_fingertips_columns(FINGERTIPS_CSV_COLUMNS, where="example")
    >>> rename["Compared to Region value or percentiles"]
    'compared_to_parent'
    >>> check_fingertips_columns([*FINGERTIPS_CSV_REQUIRED, "Compared to percentiles"],
    ...                          where="example")["Compared to percentiles"]
    'compared_to_parent'
    """
    cols = [str(c) for c in columns]
    missing = [c for c in FINGERTIPS_CSV_REQUIRED if c not in cols]
    parent_cols = [c for c in cols
                   if c.startswith("Compared to ") and c not in _NOT_PARENT_COMPARISONS]
    known = set(FINGERTIPS_CSV_COLUMNS) | {"Target data"} | set(parent_cols)
    unexpected = [c for c in cols if c not in known]
    if missing:
        raise SchemaDriftError(
            f"The Fingertips CSV from {where} lacks column(s) {missing}"
            + (f" and has unexpected column(s) {unexpected}" if unexpected else "")
            + ". The API's format has changed: check fingertipsR's NEWS for the new header, "
            "then update cw_pophealth.fingertips.parse.FINGERTIPS_CSV_COLUMNS. The cached data "
            "was not changed.",
            url=where,
        )
    if unexpected:
        logger.warning("Fingertips CSV from %s has unexpected column(s) %s (ignored)", where,
                       unexpected)
    rename = dict(CSV_TO_TIDY)
    if parent_cols:
        rename[parent_cols[0]] = "compared_to_parent"
    return rename


def drop_repeated_parent_rows(df: pd.DataFrame, *, within: str | None = None) -> pd.DataFrame:
    """Drop the second copy of a row whose area is its own parent.

    The server writes England first, then the areas of the parent type, then the children
    (fingertips-open ``CsvBuilderIndicatorDataBodyPeriodWriter``). With England as the parent
    type (15) the parent block is England again, so every England row comes twice, the second
    time with ``Parent Code`` ``E92000001``; with counties & UAs as the parent of districts &
    UAs, a unitary authority comes once as a parent and once as its own child. Such a copy,
    whose ``parent_code`` is its own ``area_code``, is dropped when the same observation is also
    in the file (fingertipsR drops the England copy with ``AreaType != ParentName``).
    ``within`` names a column saying which file each row came from, for the rows of several.

    Examples
    --------
    >>> rows = pd.DataFrame({"indicator_id": [1, 1], "area_code": ["E92000001"] * 2,
    ...                      "parent_code": [pd.NA, "E92000001"], "sex": ["Male"] * 2,
    ...                      "period": ["2021 - 23"] * 2})
    >>> drop_repeated_parent_rows(rows)["parent_code"].isna().tolist()
    [True]
    """
    if df.empty or "parent_code" not in df.columns:
        return df
    own_parent = (df["area_code"].astype("string") == df["parent_code"].astype("string"))
    own_parent = own_parent.fillna(False).astype(bool)
    if not own_parent.any():
        return df
    key = [c for c in schema.TIDY_KEY if c in df.columns and c != "source"]
    repeated = df.duplicated(key + ([within] if within else []), keep=False).to_numpy()
    return df.loc[~(own_parent.to_numpy() & repeated)]


def tidy_from_fingertips_csv(
    raw: pd.DataFrame, *, source: str, source_ref: str, release: str, release_date: Any,
    include_categories: bool = False
) -> pd.DataFrame:
    """Turn a parsed Fingertips ``all_data/csv`` frame into validated tidy rows.

    Parameters
    ----------
    raw : pandas.DataFrame
        The CSV as :func:`parse_fingertips_csv` and :func:`as_pandas` read it.
    source : str
        Short provenance label stored in every row (e.g. ``'Fingertips API'``).
    source_ref : str
        The URL or file the rows came from.
    release : str
        Which publication or extract the rows are (e.g. ``'Fingertips API, retrieved
        2026-12-02'``), stored in every row; the rows are marked ``current``.
    release_date : date-like
        When that release was retrieved or published.
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
    rows, _ = tidy_rows_of_responses(raw, None, source=source, source_refs=[source_ref],
                                     releases=[(release, release_date)], where=source_ref,
                                     include_categories=include_categories)
    return schema.validate_tidy(rows, where=source_ref)


def tidy_rows_of_responses(
    raw: pd.DataFrame, response: np.ndarray | None, *, source: str, source_refs: list[str],
    releases: list[tuple[str, Any]], where: str, include_categories: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of :func:`tidy_from_fingertips_csv` for one or several responses at once,
    neither converted to the schema's dtypes nor validated (:func:`schema.validate_tidy` does
    both, once).

    Parameters
    ----------
    raw : pandas.DataFrame
        The parsed CSVs, concatenated (columns matched by name).
    response : numpy array of int, or None
        Which response each row of ``raw`` came from (an index into ``source_refs`` and
        ``releases``); ``None``: every row is from response 0. Repeated parent rows are found
        within a response (:func:`drop_repeated_parent_rows`).
    source : str
    source_refs : list of str
        Each response's URL or file, stored as ``source_ref`` in its rows.
    releases : list of (str, date-like)
        Each response's release and release date.
    where : str
        Named in errors about the header.
    include_categories : bool, default False

    Returns
    -------
    tuple of (pandas.DataFrame, numpy array)
        The tidy rows and the response of each.
    """
    rename = check_fingertips_columns(raw.columns, where=where)
    df = raw.rename(columns=rename)
    df = df.loc[:, [c for c in df.columns if c in schema.TIDY_COLUMNS]]
    within = None
    if response is not None:
        within = "_response"
        df = df.assign(_response=np.asarray(response))
    df = drop_repeated_parent_rows(df, within=within)
    for text_col in ("category_type", "category", "value_note", "age", "parent_code",
                     "new_data", "compared_to_goal", "time_period_range"):
        if text_col in df.columns:
            df[text_col] = df[text_col].astype("string").str.strip().replace("", pd.NA)
    if not include_categories and "category_type" in df.columns:
        df = df.loc[df["category_type"].isna()]
    if within is None:
        codes = np.zeros(len(df), dtype=np.intp)
        per_row: dict[str, Any] = {"source_ref": source_refs[0], "release": releases[0][0],
                                   "release_date": pd.Timestamp(releases[0][1])}
    else:
        codes = df.pop(within).to_numpy()
        per_row = {
            "source_ref": pd.array(np.asarray(source_refs, dtype=object)[codes],
                                   dtype="string"),
            "release": pd.array(np.asarray([r[0] for r in releases], dtype=object)[codes],
                                dtype="string"),
            "release_date": pd.DatetimeIndex([pd.Timestamp(r[1]) for r in releases])[codes]
            .to_numpy(),
        }
    df = df.assign(
        indicator_name=df["indicator_name"].astype("string").str.strip(),
        area_type=normalise_area_type(df["area_code"], df["area_type"]),
        source=source,
        **per_row,
        current=True,
    )
    df = add_period_bounds(df)
    absent = {c.name: pd.Series(pd.NA, index=df.index, dtype=c.dtype) for c in schema.TIDY_SCHEMA
              if c.name not in df.columns}
    return (df.assign(**absent) if absent else df), codes


def _check_field_counts(body: bytes, header: list[str], where: str, advice: str) -> None:
    """Check every record's field count (the C engine pads short rows silently).

    A record shorter than the header is accepted (and padded with empty fields) only when every
    column it lacks is a trailing optional one and the record ends with a line break. Older
    exports were written one field short (the real ≈2017 export has 26 header fields and 25 in
    every row); fingertipsR reads them with ``fill = TRUE``. A cut-off body, a record that lacks
    a required column, or a record with too many fields is rejected.
    """
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace"), newline=""),
                        strict=True)
    ends_cleanly = body.endswith(b"\n")
    padded: dict[int, int] = {}
    try:
        previous: tuple[int, list[str]] | None = None
        for number, row in enumerate(reader, start=1):
            if previous is not None:
                _check_record(*previous, header, where, advice, padded, terminated=True)
            previous = (number, row)
        if previous is not None:
            _check_record(*previous, header, where, advice, padded, terminated=ends_cleanly)
    except csv.Error as exc:
        raise MalformedResponseError(
            f"The CSV from {where} ends inside a quoted field ({exc}): it was cut short. "
            f"{advice}.", url=where) from exc
    if padded:
        lacking = ", ".join(f"{count} row(s) without {header[n:]}" for n, count in padded.items())
        logger.info("The CSV from %s is in an older format with shorter rows: %s (read as "
                    "empty)", where, lacking)


def _check_record(number: int, row: list[str], header: list[str], where: str, advice: str,
                  padded: dict[int, int], *, terminated: bool) -> None:
    """Accept a full record or a paddable short one (counted in ``padded``); reject the rest."""
    n = len(row)
    if not row or n == len(header):
        return
    lacking = header[n:]
    if 1 < n < len(header) and terminated and not set(lacking) & set(FINGERTIPS_CSV_REQUIRED):
        padded[n] = padded.get(n, 0) + 1
        return
    raise MalformedResponseError(
        f"The CSV from {where} is truncated or ragged: record {number} has {n} field(s), the "
        f"header has {len(header)}. {advice}.", url=where)


def _csv_header(body: bytes, where: str) -> tuple[bytes, list[str]]:
    """The body without a BOM and its header, checked (:class:`SchemaDriftError` on drift)."""
    text_start = body.lstrip(b"\xef\xbb\xbf")
    header_line = text_start.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    header = next(csv.reader([header_line]))
    check_fingertips_columns(header, where=where)
    return text_start, header


def parse_fingertips_csv(body: bytes, where: str, *, advice: str = API_ADVICE
                         ) -> pa.Table | pd.DataFrame:
    """Parse an ``all_data/csv`` body into raw Fingertips columns.

    The header is checked first (:class:`SchemaDriftError` on drift). Numbers are read as numbers
    and every other column as text, missing only when empty. pyarrow's reader (multi-threaded,
    outside the GIL) gives a :class:`pyarrow.Table`; it rejects rows with the wrong number of
    fields and values that are not numbers. Anything it rejects, or every body when
    :data:`PREFER_PYARROW` is off, goes through pandas' C engine after a record-by-record field
    count check (see :func:`_check_field_counts` for the one kind of short row that is
    accepted), which either parses it or raises :class:`MalformedResponseError` saying what is
    wrong: a malformed number such as ``12,3`` is an error, never a missing value.

    Parameters
    ----------
    body : bytes
        The CSV as received or as saved on disk.
    where : str
        The URL or file, named in errors and logs.
    advice : str, optional
        What to do, appended to format errors (default: for an API response).

    Returns
    -------
    pyarrow.Table or pandas.DataFrame
        Use :func:`as_pandas` for a DataFrame either way.

    Raises
    ------
    SchemaDriftError, MalformedResponseError

    Examples
    --------
    >>> header = ",".join(FINGERTIPS_CSV_COLUMNS)
    >>> row = ",".join(["90366", "Life expectancy", "", "", "E92000001", "England", "England",
    ...                 "Male", "All ages", "", "", "2021 - 23", "79.1"] + [""] * 14)
    >>> as_pandas(parse_fingertips_csv(f"{header}\\r\\n{row}\\r\\n".encode(), "example"))["Value"]
    0    79.1
    Name: Value, dtype: float64
    """
    text_start, header = _csv_header(body, where)
    if PREFER_PYARROW:
        types = {c: (pa.int64() if c in _CSV_INT_COLUMNS else pa.float64()
                     if c in _CSV_FLOAT_COLUMNS else pa.string()) for c in header}
        try:
            table = pa_csv.read_csv(
                io.BytesIO(text_start), memory_pool=lean_pool(),
                convert_options=pa_csv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=True))
        except (pa.ArrowException, ValueError, TypeError) as exc:
            logger.debug("pyarrow could not read the CSV from %s (%s); using the C engine", where,
                         exc)
        else:
            _check_finite(table, where, advice)
            return table
    dtypes = {c: ("Int64" if c in _CSV_INT_COLUMNS else "float64" if c in _CSV_FLOAT_COLUMNS
                  else "string") for c in header}
    _check_field_counts(text_start, header, where, advice)
    try:
        frame = pd.read_csv(io.BytesIO(text_start), engine="c", on_bad_lines="error",
                            dtype=dtypes, keep_default_na=False, na_values=[""])
    except (ValueError, TypeError, pd.errors.ParserError) as exc:
        # TypeError: a whole-number column holding a fraction, e.g. an id of 90366.9.
        raise MalformedResponseError(
            f"The CSV from {where} could not be parsed ({exc}). {advice}.", url=where) from exc
    _check_finite(frame, where, advice)
    return frame


def _check_finite(parsed: pa.Table | pd.DataFrame, where: str, advice: str) -> None:
    """Reject ``inf``, ``nan`` and numbers too large for a float, which both readers accept as
    numbers: Fingertips writes a missing value as an empty field, so these are malformed."""
    names = parsed.column_names if isinstance(parsed, pa.Table) else list(parsed.columns)
    for column in (c for c in _CSV_FLOAT_COLUMNS if c in names):
        if isinstance(parsed, pa.Table):
            bad = pa.compute.invert(pa.compute.is_finite(parsed[column]).fill_null(True))
            first = pa.compute.index(bad, True).as_py()
        else:
            values = parsed[column].to_numpy(dtype="float64", na_value=0.0)
            where_bad = (~np.isfinite(values)).nonzero()[0]
            first = int(where_bad[0]) if len(where_bad) else -1
        rows = [first] if first >= 0 else []
        if rows:
            raise MalformedResponseError(
                f"The CSV from {where} has a value that is not a finite number in column "
                f"{column!r} (record {rows[0] + 2}, counting the header as 1): a missing value "
                f"is an empty field, never nan or inf. {advice}.", url=where)


_ARROW_TO_PANDAS = {pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype()}


def as_pandas(parsed: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """A parsed CSV as pandas: text as ``string``, integers as ``Int64``, floats as float64.

    Arrow's own conversion allocates from :func:`~cw_pophealth.arrow_memory.lean_pool`;
    pandas' conversion of the text columns, from the process's default pool."""
    if isinstance(parsed, pd.DataFrame):
        return parsed
    return parsed.to_pandas(types_mapper=_ARROW_TO_PANDAS.get, memory_pool=lean_pool())


def indicator_ids_in(parsed: pa.Table | pd.DataFrame) -> list[int]:
    """The distinct indicator ids in a parsed CSV."""
    column = parsed["Indicator ID"]
    if isinstance(parsed, pa.Table):
        return [int(v) for v in pa.compute.unique(column).to_pylist() if v is not None]
    return [int(v) for v in column.dropna().unique()]
