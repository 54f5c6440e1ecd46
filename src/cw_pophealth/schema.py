"""The tidy indicator table: its one documented schema, validation, and Parquet I/O.

Every source (the live API's CSV, Fingertips CSV exports on disk, the offline extracts) is turned
into this shape by :mod:`cw_pophealth.transforms` or :mod:`cw_pophealth.snapshot`, and the table is
validated whenever it is written or read. Values keep the precision they arrived with (some
upstream files round to 1 dp; the ``source`` column says so); missing values stay missing.

The Fingertips CSV header constants live here too, because they are the other schema this package
depends on: :data:`FINGERTIPS_CSV_COLUMNS_2017` is the exact 26-column header of a real export;
the current API adds ``Time period range`` (27 columns).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cw_pophealth.errors import SchemaValidationError

logger = logging.getLogger(__name__)

#: Exact header of a real Fingertips ``all_data/csv`` export (≈2017; API_NOTES.md).
FINGERTIPS_CSV_COLUMNS_2017: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
    "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
    "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
    "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles",
    "Time period Sortable", "New data", "Compared to goal",
)
#: The current API's 27 columns: the 26 above plus ``Time period range`` (fingertipsR 1.0.9+).
#: Its position is not evidenced; it is placed after ``Time period Sortable`` here and located
#: by name, never by position, when reading.
FINGERTIPS_CSV_COLUMNS: tuple[str, ...] = (
    FINGERTIPS_CSV_COLUMNS_2017[:24] + ("Time period range",) + FINGERTIPS_CSV_COLUMNS_2017[24:]
)
#: Columns a response must have for the client to use it (the rest are optional).
FINGERTIPS_CSV_REQUIRED: tuple[str, ...] = (
    "Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age",
    "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
)

AREA_CODE_PATTERN = re.compile(r"^[EWSNK]\d{8}$")
SEXES = ("Persons", "Male", "Female")


@dataclass(frozen=True)
class Column:
    """One column of the tidy table.

    Attributes
    ----------
    name : str
    dtype : str
        pandas dtype the column is stored as.
    required : bool
        Whether every row must have a value.
    description : str
    fingertips : str or None
        The Fingertips CSV column it comes from, if any.
    """

    name: str
    dtype: str
    required: bool
    description: str
    fingertips: str | None = None


TIDY_SCHEMA: tuple[Column, ...] = (
    Column("indicator_id", "Int64", True, "Fingertips indicator id", "Indicator ID"),
    Column("indicator_name", "string", True, "Fingertips indicator name", "Indicator Name"),
    Column("area_code", "string", True, "ONS area code (e.g. E08000026)", "Area Code"),
    Column("area_name", "string", True, "Area name as published", "Area Name"),
    Column("area_type", "string", True,
           "England, Region, County, UA, District, Combined authority or the source's own label",
           "Area Type"),
    Column("parent_code", "string", False, "Code of the parent area in the request", "Parent Code"),
    Column("parent_name", "string", False, "Name of the parent area", "Parent Name"),
    Column("sex", "string", True, "Persons, Male or Female", "Sex"),
    Column("age", "string", False, "Age band as published (e.g. '18+ yrs'); missing if the "
           "source does not say", "Age"),
    Column("category_type", "string", False, "Breakdown type; missing for headline rows",
           "Category Type"),
    Column("category", "string", False, "Breakdown category; missing for headline rows",
           "Category"),
    Column("period", "string", True, "Time period label as Fingertips shows it ('2021 - 23', "
           "'2022/23', '2023')", "Time period"),
    Column("period_start", "datetime64[ns]", True, "First day of the period"),
    Column("period_end", "datetime64[ns]", True, "Last day of the period"),
    Column("period_sortable", "Int64", False, "Fingertips 'Time period Sortable' (YYYY0000)",
           "Time period Sortable"),
    Column("value", "float64", False, "The indicator value; missing when suppressed or absent",
           "Value"),
    Column("lower_ci_95", "float64", False, "Lower 95% confidence limit", "Lower CI 95.0 limit"),
    Column("upper_ci_95", "float64", False, "Upper 95% confidence limit", "Upper CI 95.0 limit"),
    Column("lower_ci_99_8", "float64", False, "Lower 99.8% confidence limit",
           "Lower CI 99.8 limit"),
    Column("upper_ci_99_8", "float64", False, "Upper 99.8% confidence limit",
           "Upper CI 99.8 limit"),
    Column("count", "float64", False, "Numerator (events or respondents)", "Count"),
    Column("denominator", "float64", False, "Denominator (population or sample)", "Denominator"),
    Column("value_note", "string", False, "Fingertips value note (e.g. suppression reason)",
           "Value note"),
    Column("recent_trend", "string", False, "Fingertips recent-trend label as published",
           "Recent Trend"),
    Column("compared_to_england", "string", False, "Better/Similar/Worse/Higher/Lower/Not "
           "compared, as published", "Compared to England value or percentiles"),
    Column("compared_to_parent", "string", False, "Comparison with the parent (region), as "
           "published", "Compared to Region value or percentiles"),
    Column("source", "string", True, "Where the row came from: a short label naming the file or "
           "API, its vintage, and any upstream rounding"),
    Column("source_ref", "string", True, "The source file path (relative to the extracts folder) "
                                         "or the request URL"),
)

TIDY_COLUMNS: tuple[str, ...] = tuple(c.name for c in TIDY_SCHEMA)
#: Columns that identify one observation. ``source`` is part of the key so that two sources of
#: the same indicator can sit side by side before de-duplication.
TIDY_KEY: tuple[str, ...] = (
    "indicator_id", "area_code", "sex", "age", "category_type", "category", "period", "source",
)
_FLOAT_COLUMNS = [c.name for c in TIDY_SCHEMA if c.dtype == "float64"]


def empty_tidy() -> pd.DataFrame:
    """Return a zero-row tidy table with the schema's dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in TIDY_SCHEMA})


def coerce_tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the schema's column order and dtypes (missing optional columns added).

    Raises
    ------
    SchemaValidationError
        If a column cannot be converted to its dtype.
    """
    out = df.copy()
    for col in TIDY_SCHEMA:
        if col.name not in out.columns:
            out[col.name] = pd.Series(pd.NA, index=out.index, dtype="object")
        try:
            if col.dtype.startswith("datetime"):
                out[col.name] = pd.to_datetime(out[col.name]).astype(col.dtype)
            elif col.dtype == "float64":
                out[col.name] = pd.to_numeric(out[col.name], errors="raise").astype("float64")
            else:
                out[col.name] = out[col.name].astype(col.dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaValidationError(
                f"Column {col.name!r} cannot be read as {col.dtype}: {exc}"
            ) from exc
    return out.loc[:, list(TIDY_COLUMNS)].reset_index(drop=True)


def validate_tidy(df: pd.DataFrame, *, where: str | os.PathLike | None = None) -> pd.DataFrame:
    """Check a frame against :data:`TIDY_SCHEMA` and return it with the schema's dtypes.

    Checks: every column present; dtypes convertible; required columns have no missing values;
    area codes are ONS codes; sex is Persons/Male/Female; ``period_start <= period_end``;
    confidence limits bracket the value; the :data:`TIDY_KEY` is unique.

    Parameters
    ----------
    df : pandas.DataFrame
    where : str or path-like, optional
        The file or step the frame came from, named in any error.

    Returns
    -------
    pandas.DataFrame
        The validated frame in schema order.

    Raises
    ------
    SchemaValidationError
        Naming the first broken column, the file, and example offending rows.
    """
    origin = f" in {where}" if where is not None else ""
    missing = [c for c in TIDY_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaValidationError(
            f"Column(s) {missing} missing{origin}. A tidy indicator table needs all of "
            f"{list(TIDY_COLUMNS)}; rebuild it with `make data` "
            "(or cw_pophealth.snapshot.build_snapshot)."
        )
    try:
        out = coerce_tidy(df)
    except SchemaValidationError as exc:
        raise SchemaValidationError(f"{exc}{origin}") from exc

    def fail(column: str, problem: str, mask: pd.Series) -> None:
        examples = out.loc[mask, ["indicator_id", "area_code", "period", column]].head(3)
        raise SchemaValidationError(
            f"Column {column!r}{origin}: {problem} ({int(mask.sum())} row(s)), e.g.\n"
            f"{examples.to_string(index=False)}"
        )

    for col in TIDY_SCHEMA:
        if col.required:
            mask = out[col.name].isna()
            if mask.any():
                fail(col.name, "required value is missing", mask)
    bad_code = ~out["area_code"].str.fullmatch(AREA_CODE_PATTERN.pattern).fillna(False)
    if bad_code.any():
        fail("area_code", "not an ONS area code (letter + 8 digits)", bad_code.astype(bool))
    bad_sex = ~out["sex"].isin(SEXES)
    if bad_sex.any():
        fail("sex", f"not one of {SEXES}", bad_sex.astype(bool))
    bad_period = out["period_start"] > out["period_end"]
    if bad_period.any():
        fail("period_start", "starts after period_end", bad_period)
    for lower, upper in (("lower_ci_95", "upper_ci_95"), ("lower_ci_99_8", "upper_ci_99_8")):
        # Published limits are rounded independently of the value, so allow half a unit in the
        # last published place (0.05 for 1 dp) before calling a limit inverted.
        tol = 0.05 + 1e-9
        bad_lo = (out[lower] > out["value"] + tol).fillna(False).astype(bool)
        if bad_lo.any():
            fail(lower, "lower confidence limit is above the value", bad_lo)
        bad_hi = (out[upper] < out["value"] - tol).fillna(False).astype(bool)
        if bad_hi.any():
            fail(upper, "upper confidence limit is below the value", bad_hi)
    dup = out.duplicated(list(TIDY_KEY), keep=False)
    if dup.any():
        fail("period", f"duplicate rows for the key {list(TIDY_KEY)}", dup)
    return out


def write_tidy(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Validate ``df`` and write it to Parquet atomically (a failed write leaves the old file).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    table = validate_tidy(df, where=f"the table being written to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    logger.info("Wrote %d rows to %s", len(table), path)
    return path


def read_tidy(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tidy Parquet table and validate it.

    Raises
    ------
    FileNotFoundError
        If the file is absent, with the command that builds it.
    SchemaValidationError
        If the file breaks the schema (the message names the column and the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No indicator table at {path}. Build it with `make data` (offline snapshot) or "
            "`cw-pophealth pull` (live API)."
        )
    return validate_tidy(pd.read_parquet(path), where=path)
