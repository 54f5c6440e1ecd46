"""The tidy indicator table: its one documented schema, validation, de-duplication and I/O.

Every source (the live API's CSV, Fingertips CSV exports on disk, the offline extracts) is turned
into this shape, and the table is validated whenever it is written or read. Values keep the
precision they arrived with (some upstream files round to 1 dp; the ``source`` column says so);
missing values stay missing.

Releases
--------
Every row names its **release**: the publication or extract it comes from (``release``) and the
date that publication was released or extracted (``release_date``). One observation (indicator,
area, sex, age, category and period: :data:`OBSERVATION_KEY`) may be published by several
releases, e.g. life expectancy 2016 - 18 as Fingertips showed it in January 2020 and as it shows
it after the 2021 Census rebasing. All of them stay in the table; :func:`mark_current` flags the
latest release of each observation ``current`` and names it in the others' ``superseded_by``.
Analyses show current rows (:func:`current_rows`) unless a rule, such as the window of need's
same-release pairing, needs an earlier release.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from cw_pophealth import atomic
from cw_pophealth.errors import DamagedTableError, SchemaValidationError
from cw_pophealth.fingerprint import sha256_bytes

logger = logging.getLogger(__name__)

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
    """

    name: str
    dtype: str
    required: bool
    description: str


TIDY_SCHEMA: tuple[Column, ...] = (
    Column("indicator_id", "Int64", True, "Fingertips indicator id"),
    Column("indicator_name", "string", True, "Fingertips indicator name"),
    Column("area_code", "string", True, "ONS area code (e.g. E08000026)"),
    Column("area_name", "string", True, "Area name as published"),
    Column("area_type", "string", True,
           "England, Region, County, UA, District, Combined authority or the source's own label"),
    Column("parent_code", "string", False, "Code of the parent area in the request"),
    Column("parent_name", "string", False, "Name of the parent area"),
    Column("sex", "string", True, "Persons, Male or Female"),
    Column("age", "string", False, "Age band as published (e.g. '18+ yrs'); missing if the "
           "source does not say"),
    Column("category_type", "string", False, "Breakdown type; missing for headline rows"),
    Column("category", "string", False, "Breakdown category; missing for headline rows"),
    Column("period", "string", True, "Time period label as Fingertips shows it ('2021 - 23', "
           "'2022/23', '2023')"),
    Column("period_start", "datetime64[ns]", True, "First day of the period"),
    Column("period_end", "datetime64[ns]", True, "Last day of the period"),
    Column("period_sortable", "Int64", False, "Fingertips 'Time period Sortable' (YYYY0000)"),
    Column("value", "float64", False, "The indicator value; missing when suppressed or absent"),
    Column("lower_ci_95", "float64", False, "Lower 95% confidence limit"),
    Column("upper_ci_95", "float64", False, "Upper 95% confidence limit"),
    Column("lower_ci_99_8", "float64", False, "Lower 99.8% confidence limit"),
    Column("upper_ci_99_8", "float64", False, "Upper 99.8% confidence limit"),
    Column("count", "float64", False, "Numerator (events or respondents)"),
    Column("denominator", "float64", False, "Denominator (population or sample)"),
    Column("value_note", "string", False, "Fingertips value note (e.g. suppression reason)"),
    Column("recent_trend", "string", False, "Fingertips recent-trend label as published"),
    Column("compared_to_england", "string", False, "Better/Similar/Worse/Higher/Lower/Not "
           "compared, as published"),
    Column("compared_to_parent", "string", False, "Comparison with the parent (region), as "
           "published"),
    Column("new_data", "string", False, "Fingertips 'New data' flag ('New data' or missing), as "
           "published"),
    Column("compared_to_goal", "string", False, "Fingertips 'Compared to goal' (Red/Amber/Green/"
           "Not compared; missing when the indicator has no goal), as published"),
    Column("time_period_range", "string", False, "Fingertips 'Time period range' (e.g. '1y', "
           "'3y'), as published"),
    Column("source", "string", True, "Where the row came from: a short label naming the file or "
           "API, its vintage, and any upstream rounding"),
    Column("source_ref", "string", True, "The source file path (relative to the extracts folder) "
                                         "or the request URL"),
    Column("release", "string", True, "The publication or extract the value is from, e.g. "
           "'Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough "
           "@fb261d4)' or 'Fingertips API, retrieved 2026-12-02'"),
    Column("release_date", "datetime64[ns]", True, "The date that release was published or "
           "extracted (see the source's entry in cw_pophealth.snapshot.releases)"),
    Column("current", "boolean", True, "True for the latest release of the observation "
           "(OBSERVATION_KEY), the value analyses show; False for a superseded release"),
    Column("superseded_by", "string", False, "For a row that is not current: the release that "
           "replaces it; missing for current rows"),
)

TIDY_COLUMNS: tuple[str, ...] = tuple(c.name for c in TIDY_SCHEMA)
#: Columns that identify one row. ``source`` and ``release`` are part of the key so that two
#: sources, or two releases, of the same observation can sit side by side.
TIDY_KEY: tuple[str, ...] = (
    "indicator_id", "area_code", "sex", "age", "category_type", "category", "period", "source",
    "release",
)
#: Columns that identify one observation, whatever its source or release: each has exactly one
#: ``current`` row.
OBSERVATION_KEY: tuple[str, ...] = tuple(k for k in TIDY_KEY if k not in ("source", "release"))


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
            elif col.dtype == "boolean" and out[col.name].dtype == "object":
                out[col.name] = pd.array(out[col.name].tolist(), dtype="boolean")
            else:
                out[col.name] = out[col.name].astype(col.dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaValidationError(
                f"Column {col.name!r} cannot be read as {col.dtype}: {exc}"
            ) from exc
    return out.loc[:, list(TIDY_COLUMNS)].reset_index(drop=True)


def validate_tidy(df: pd.DataFrame, *, where: str | os.PathLike | None = None,
                  unique_within: np.ndarray | None = None) -> pd.DataFrame:
    """Check a frame against :data:`TIDY_SCHEMA` and return it with the schema's dtypes.

    Checks: every column present; dtypes convertible; required columns have no missing values;
    area codes are ONS codes; sex is Persons/Male/Female; ``period_start <= period_end``;
    confidence limits bracket the value; the :data:`TIDY_KEY` is unique; at most one row of each
    observation (:data:`OBSERVATION_KEY`) is ``current``, and only rows that are not current
    name a ``superseded_by`` release.

    Parameters
    ----------
    df : pandas.DataFrame
    where : str or path-like, optional
        The file or step the frame came from, named in any error.
    unique_within : numpy array, optional
        A label per row (e.g. which response it came from). The key checks then hold within
        each label rather than across the whole frame, so that rows still to be de-duplicated
        across labels (:func:`deduplicate_sources`) are validated once, before it: every row
        check still covers every row.

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
    keyed = out
    within: list[str] = []
    if unique_within is not None:
        keyed = out.assign(_within=np.asarray(unique_within))
        within = ["_within"]
    dup = keyed.duplicated([*TIDY_KEY, *within], keep=False)
    if dup.any():
        fail("period", f"duplicate rows for the key {list(TIDY_KEY)}", dup)
    current = out["current"].to_numpy(dtype=bool)
    two_current = keyed.loc[current].duplicated([*OBSERVATION_KEY, *within], keep=False)
    if two_current.any():
        fail("current", "more than one current release of the same observation "
             "(use schema.mark_current)", two_current.reindex(out.index, fill_value=False))
    named = out["superseded_by"].notna().to_numpy(dtype=bool) & current
    if named.any():
        fail("superseded_by", "a current row names a release that supersedes it",
             pd.Series(named, index=out.index))
    return out


def write_tidy(df: pd.DataFrame, path: str | os.PathLike, *, validated: bool = False) -> Path:
    """Validate ``df`` and write it to Parquet atomically (a failed write leaves the old file).

    Parameters
    ----------
    df : pandas.DataFrame
    path : path-like
    validated : bool, default False
        ``df`` is, unchanged, what :func:`validate_tidy` returned (or :func:`deduplicate_sources`
        made of such a frame), so it is written without being validated again.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    table = df if validated else validate_tidy(df, where=f"the table being written to {path}")
    atomic.write_via(path, lambda tmp: table.to_parquet(tmp, index=False))
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
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DamagedTableError(
            f"The indicator table {path} is damaged and cannot be read ({exc}). Rebuild it: "
            "`make data` (offline snapshot) or `cw-pophealth pull --offline` (from the raw "
            "cache of an earlier pull).") from exc
    return validate_tidy(frame, where=path)


# ---------------------------------------------------------------------------------------------
# Table stamps: what a written table was built from
# ---------------------------------------------------------------------------------------------
#: File name suffix of a table's stamp (``.indicators.parquet.inputs.json``).
STAMP_SUFFIX = ".inputs.json"


def stamp_path(table_path: str | os.PathLike) -> Path:
    """The stamp file of a table: ``.<name>.inputs.json`` beside it."""
    table_path = Path(table_path)
    return table_path.with_name(f".{table_path.name}{STAMP_SUFFIX}")


def write_table_stamp(table_path: str | os.PathLike, inputs_digest: str, *,
                      made_by: str = "") -> Path:
    """Record that the file now at ``table_path`` was built from inputs with this digest.

    The stamp holds the digest, the command that made the table (``made_by``, e.g.
    ``"cw-pophealth build"``) and the sha256 and size of the table file as it is now, so any
    later change to the file (rebuilt by another command, edited, truncated) voids it.
    """
    table_path = Path(table_path)
    data = table_path.read_bytes()
    stamp = {"inputs_sha256": inputs_digest, "table_sha256": sha256_bytes(data),
             "bytes": len(data), "table_file": table_path.name, "made_by": made_by,
             "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds")
             .replace("+00:00", "Z")}
    return atomic.write_json(stamp_path(table_path), stamp)


def read_table_stamp(table_path: str | os.PathLike) -> dict | None:
    """The stamp of a table, or ``None`` when there is none or it cannot be read."""
    try:
        stamp = json.loads(stamp_path(table_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def read_stamped_table(table_path: str | os.PathLike, inputs_digest: str) -> bytes | None:
    """The table file's bytes if its stamp says it was built from ``inputs_digest`` and the file
    is unchanged since; otherwise ``None`` (no stamp, other inputs, or a changed file)."""
    table_path = Path(table_path)
    stamp = read_table_stamp(table_path)
    if stamp is None or stamp.get("inputs_sha256") != inputs_digest:
        return None
    try:
        data = table_path.read_bytes()
    except OSError:
        return None
    if len(data) != stamp.get("bytes") or sha256_bytes(data) != stamp.get("table_sha256"):
        logger.info("%s changed since it was written; rebuilding it", table_path)
        return None
    return data


def deduplicate_sources(df: pd.DataFrame, priority: list[str]) -> pd.DataFrame:
    """Keep one row per observation when several sources carry copies of the same publication.

    For copies, not releases: e.g. the ONS healthy life expectancy in ONS Explore Local
    Statistics (with CIs) and the same figures republished by Fingertips (1 dp). Rows whose
    ``source`` starts with an earlier entry of ``priority`` win (the first such row, in the
    frame's order); sources not listed come last. Disagreements larger than rounding (0.051) are
    logged as warnings. Different releases of an observation are kept, not dropped: see
    :func:`mark_current`. The result is sorted by indicator, area, sex and period start (stable)
    with a new index; its columns and dtypes are those of ``df``.
    """
    if df.empty:
        return df
    rank = np.full(len(df), len(priority), dtype=int)
    for i, prefix in enumerate(reversed(priority)):
        rank[df["source"].str.startswith(prefix).to_numpy(dtype=bool)] = len(priority) - 1 - i
    key = list(OBSERVATION_KEY)
    # One factorisation of the key gives every observation an integer id; rows are then picked
    # by position and the frame is copied once, at the end.
    ids = df.groupby(key, dropna=False, sort=False).ngroup().to_numpy()
    order = (np.arange(len(df)) if (rank == rank[0]).all()
             else np.argsort(rank, kind="stable"))
    first = ~pd.Series(ids[order]).duplicated().to_numpy()
    kept = order[first]
    if len(kept) < len(df):
        copies = pd.Series(ids).duplicated(keep=False).to_numpy()
        grouped = df.loc[copies].groupby(key, dropna=False)["value"]
        spread = grouped.max() - grouped.min()
        clash = spread[spread > 0.051]
        if len(clash):
            logger.warning("%d observation(s) differ between sources by more than rounding; "
                           "kept the higher-priority source. First: %s", len(clash),
                           clash.index[0])
    by = ["indicator_id", "area_code", "sex", "period_start"]
    sort_keys = df[by].take(kept).set_axis(kept)
    final = sort_keys.sort_values(by).index.to_numpy()
    return df.take(final).reset_index(drop=True)




def mark_current(df: pd.DataFrame) -> pd.DataFrame:
    """Flag the latest release of each observation ``current``; name it in the others.

    Rows are grouped by :data:`OBSERVATION_KEY`. In each group the row with the latest
    ``release_date`` is current, and every other row gets ``current=False`` and
    ``superseded_by`` set to the current row's ``release``. No row is dropped or changed
    otherwise.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy rows with ``release`` and ``release_date``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``current`` and ``superseded_by`` set.

    Raises
    ------
    SchemaValidationError
        If two different releases of one observation share the latest release date (which is
        later cannot be told), naming an example.

    Examples
    --------
    >>> rows = coerce_tidy(pd.DataFrame({  # SYNTHETIC rows: two releases of one value
    ...     "indicator_id": [1, 1], "area_code": ["E08000026"] * 2, "sex": ["Male"] * 2,
    ...     "period": ["2016 - 18"] * 2, "value": [78.5, 78.4],
    ...     "release": ["old", "new"],
    ...     "release_date": pd.to_datetime(["2020-02-04", "2026-05-13"])}))
    >>> mark_current(rows)[["value", "current", "superseded_by"]].values.tolist()
    [[78.5, False, 'new'], [78.4, True, <NA>]]
    """
    out = df.copy()
    if out.empty:
        return out.assign(current=pd.array([], dtype="boolean"),
                          superseded_by=pd.Series([], dtype="string"))
    key = list(OBSERVATION_KEY)
    order = out.sort_values("release_date", kind="stable")
    latest = order.drop_duplicates(key, keep="last")
    ties = order.merge(latest[[*key, "release_date", "release"]], on=[*key, "release_date"],
                       suffixes=("", "_latest"))
    tied = ties.loc[ties["release"] != ties["release_latest"]]
    if len(tied):
        example = tied[[*key[:3], "period", "release", "release_latest"]].head(2)
        raise SchemaValidationError(
            "Two releases of the same observation share the latest release date, so which is "
            f"current cannot be told; give each release its own date, e.g.\n"
            f"{example.to_string(index=False)}")
    matched = out[key].reset_index(drop=True).merge(
        latest[[*key, "release"]].rename(columns={"release": "_latest"}), on=key, how="left")
    current_release = matched["_latest"].to_numpy(dtype=object)
    is_current = out["release"].to_numpy(dtype=object) == current_release
    out["current"] = pd.array(is_current, dtype="boolean")
    out["superseded_by"] = pd.Series(np.where(is_current, None, current_release),
                                     index=out.index, dtype="string")
    superseded = int((~is_current).sum())
    if superseded:
        logger.info("%d row(s) superseded by a later release of the same observation",
                    superseded)
    return out


def current_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows analyses show: the current release of each observation (``current`` True)."""
    return df.loc[df["current"].fillna(False).to_numpy(dtype=bool)]
