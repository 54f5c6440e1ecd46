"""Snapshot source: the tidy table built from real published files on disk, with no network.

Two kinds of input are read:

* **Fingertips CSV exports** (the ``all_data/csv`` format, 26 or 27 columns), via
  :func:`read_fingertips_export`;
* **the real extracts** in the configured extracts folder: ``trafford_themes/`` (Fingertips
  CSVs reduced to a 10-column tidy form, values rounded to 1 dp upstream) and ``ons_els/``
  (ONS Explore Local Statistics files with 95% CIs).

Every row keeps its provenance in ``source`` (repository, commit date, rounding) and
``source_ref`` (the file, relative to the extracts folder). Values are never rounded, filled or
derived here; rows the sources publish as missing stay missing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cw_pophealth import catalogue, memo, schema
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import DamagedTableError, SchemaDriftError
from cw_pophealth.fingerprint import code_fingerprint, digest_of, file_sha256
from cw_pophealth.fingertips import parse
from cw_pophealth.geography import normalise_area_type
from cw_pophealth.periods import add_period_bounds, fingertips_period_label, parse_period

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractFile:
    """One file of the extracts folder and how to read it.

    Attributes
    ----------
    path : str
        Relative to the extracts folder.
    indicator_id : int
        The Fingertips indicator the rows are.
    source : str
        Provenance label stored in each row.
    sex_from : str or None
        Column giving the sex (``None``: Persons).
    """

    path: str
    indicator_id: int
    source: str
    sex_from: str | None = None


_TRAFFORD = ("trafford_themes: OHID Fingertips all_data CSV via traffordDataLab/trafford_themes "
             "@ae20a08 (2026-05-13); values rounded to 1 dp upstream; no CIs")
_ONS_2026 = "ons_els: ONS Explore Local Statistics data @4972c58 (2026-06-26)"

TRAFFORD_FILES: tuple[ExtractFile, ...] = (
    ExtractFile("trafford_themes/life_expectancy.csv", 90366, _TRAFFORD, "inequality"),
    ExtractFile("trafford_themes/healthy_life_expectancy.csv", 90362, _TRAFFORD, "inequality"),
    ExtractFile("trafford_themes/adults_smoking.csv", 92443, _TRAFFORD, "unit"),
    ExtractFile("trafford_themes/inactive_adults.csv", 93015, _TRAFFORD, "unit"),
    ExtractFile("trafford_themes/overweight_adult.csv", 93088, _TRAFFORD, "unit"),
)
ONS_ELS_FILES: tuple[ExtractFile, ...] = (
    ExtractFile("ons_els/healthy-life-expectancy.csv", 90362, _ONS_2026, "indicator"),
    ExtractFile("ons_els/adult-obesity-prevalence.csv", 93881, _ONS_2026),
    ExtractFile("ons_els/preventable-cardiovascular-mortality-england.csv", 93722, _ONS_2026),
)
#: Preferred source first, when two publish the same observation (ONS ELS has CIs).
SOURCE_PRIORITY = ["ons_els", "trafford_themes", "Fingertips"]

#: Deliberately not read, and why.
NOT_USED = {
    "trafford_dashboard/": "superseded series (pre-2019 area types, old ONS HLE method): pairing "
                           "it with current LE would mix methods",
    "ons_els/cigarette-smokers_annual_2025-10-06.csv": "ONS APS cigarette smokers is a different "
                                                       "measure from Fingertips 92443",
    "fingertipsnext/": "metadata only (FingertipsNext schema); no observations",
}

_TRAFFORD_COLUMNS = ("area_code", "area_name", "area_type", "period", "indicator", "value",
                     "compared_to_England")
_ONS_COLUMNS = ("areacd", "areanm", "geography", "indicator", "period", "observation",
                "lci_95", "uci_95")


def _require_columns(frame: pd.DataFrame, needed, path: Path) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaDriftError(
            f"{path} lacks column(s) {missing}; found {list(frame.columns)}. The extract's format "
            "has changed: update cw_pophealth.snapshot for it.", url=str(path))


def _sex_from(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.lower()
    return pd.Series(
        pd.NA, index=values.index, dtype="string"
    ).mask(text.str.contains("female", na=False), "Female").mask(
        text.str.contains(r"\bmale", na=False) & ~text.str.contains("female", na=False), "Male"
    ).fillna("Persons")


def read_trafford_file(root: Path, spec: ExtractFile) -> pd.DataFrame:
    """Read one ``trafford_themes`` file into tidy rows (``NA`` values stay missing)."""
    path = root / spec.path
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require_columns(raw, _TRAFFORD_COLUMNS + ((spec.sex_from,) if spec.sex_from else ()), path)
    value = pd.to_numeric(raw["value"].replace({"NA": None, "": None}), errors="raise")
    sex = _sex_from(raw[spec.sex_from]) if spec.sex_from else "Persons"
    df = pd.DataFrame({
        "indicator_id": spec.indicator_id,
        "indicator_name": raw["indicator"],
        "area_code": raw["area_code"],
        "area_name": raw["area_name"],
        "area_type": normalise_area_type(raw["area_code"], raw["area_type"]),
        "sex": sex,
        "period": raw["period"],
        "value": value,
        "compared_to_england": raw["compared_to_England"].replace({"NA": None, "": None}),
        "source": spec.source,
        "source_ref": spec.path,
    })
    return schema.coerce_tidy(add_period_bounds(df))


def _ons_source_date(csv_path: Path) -> str | None:
    meta_path = csv_path.with_suffix(".json")
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8-sig")).get("ess-beta-metadata", {})
    meta = meta.get("shared", meta)
    return meta.get("sourceDate")


def read_ons_els_file(root: Path, spec: ExtractFile) -> pd.DataFrame:
    """Read one ONS Explore Local Statistics file into tidy rows, English areas only.

    ISO periods are relabelled the way Fingertips labels the same data
    (:func:`cw_pophealth.fingertips_period_label`), keeping the exact dates.
    """
    path = root / spec.path
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    _require_columns(raw, _ONS_COLUMNS, path)
    raw = raw.loc[raw["areacd"].str.startswith("E")]
    source_date = _ons_source_date(path)
    source = spec.source + (f"; ONS source date {source_date}" if source_date else "")
    spec_meta = catalogue.indicator_spec(spec.indicator_id)

    def num(col: str) -> pd.Series:
        return pd.to_numeric(raw[col].replace("", None), errors="raise")

    df = pd.DataFrame({
        "indicator_id": spec.indicator_id,
        "indicator_name": spec_meta.name,
        "area_code": raw["areacd"],
        "area_name": raw["areanm"],
        "area_type": normalise_area_type(raw["areacd"], raw["geography"]),
        "sex": _sex_from(raw[spec.sex_from]) if spec.sex_from else "Persons",
        "period": raw["period"].map(fingertips_period_label),
        "value": num("observation"),
        "lower_ci_95": num("lci_95"),
        "upper_ci_95": num("uci_95"),
        "value_note": raw.get("notes", pd.Series("", index=raw.index)).replace("", None),
        "source": source,
        "source_ref": spec.path,
    })
    bounds = {p: parse_period(p) for p in raw["period"].unique()}
    return schema.coerce_tidy(df.assign(
        period_start=raw["period"].map(lambda p: bounds[p][0]),
        period_end=raw["period"].map(lambda p: bounds[p][1]),
    ))


def read_fingertips_export(path: str | Path, *, source: str | None = None) -> pd.DataFrame:
    """Read a Fingertips ``all_data/csv`` export saved on disk into the tidy schema.

    The file is parsed by :func:`cw_pophealth.fingertips.parse.parse_fingertips_csv`, the same
    parser the API client uses, so a file is accepted or rejected exactly as the same bytes
    from the API would be: a malformed number (``12,3``) or a cut-off row is an error, never a
    missing value.

    Parameters
    ----------
    path : str or pathlib.Path
        A CSV downloaded from the Fingertips website or API (26- or 27-column header).
    source : str, optional
        Provenance label; defaults to ``'Fingertips CSV export <file name>'``.

    Raises
    ------
    SchemaDriftError
        If the header lacks the Fingertips columns the tidy table needs.
    MalformedResponseError
        If a row or a number is malformed (the message names the file).
    """
    path = Path(path)
    advice = ("Nothing was read. Download the file again from Fingertips, or fix the named "
              "record")
    raw = parse.as_pandas(parse.parse_fingertips_csv(path.read_bytes(), str(path),
                                                     advice=advice))
    label = source or f"Fingertips CSV export {path.name}"
    return parse.tidy_from_fingertips_csv(raw, source=label, source_ref=str(path))


def build_snapshot(settings: Settings | None = None, *, write: bool = True) -> pd.DataFrame:
    """Build the tidy indicator table from the extracts folder and (by default) write it.

    Parameters
    ----------
    settings : Settings, optional
        Where the extracts are and where to write (``settings.indicators_table``).
    write : bool, default True
        Write the validated table atomically to ``settings.indicators_table``.

    Returns
    -------
    pandas.DataFrame
        The validated tidy table, one row per observation (see :data:`SOURCE_PRIORITY`).

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If the extracts folder is not found (the message says how to set it).
    """
    settings = settings or get_settings()
    root = settings.require_extracts_dir()
    frames = []
    for spec in TRAFFORD_FILES:
        frames.append(read_trafford_file(root, spec))
    for spec in ONS_ELS_FILES:
        frames.append(read_ons_els_file(root, spec))
    for part in frames:
        logger.info("Read %d rows from %s", len(part), part["source_ref"].iloc[0])
    combined = schema.validate_tidy(pd.concat(frames, ignore_index=True), where=root)
    table = schema.deduplicate_sources(combined, SOURCE_PRIORITY)
    table = schema.validate_tidy(table, where=f"the snapshot built from {root}")
    logger.info("Snapshot: %d rows, %d indicators, %d areas", len(table),
                table["indicator_id"].nunique(), table["area_code"].nunique())
    if write:
        schema.write_tidy(table, settings.indicators_table)
        schema.write_table_stamp(settings.indicators_table, inputs_digest(root),
                                 made_by=BUILD_COMMAND)
    return table


#: The table last read by :func:`load_indicators`, and the file state it was read from.
_LOADED: dict[str, tuple[tuple[int, int, int], pd.DataFrame]] = {}


def _read_once(path: Path) -> pd.DataFrame:
    """The validated table at ``path``, read again only when the file has changed.

    A kernel that runs many reports in turn (a fan-out) loads the same table for each; it is
    read and validated once while the file's size, modification time and inode are unchanged.
    Each call gets its own copy (shallow under copy-on-write, so it costs nothing), so an edit
    in one notebook never reaches the next; unchanged copies share what the analysis derived
    from the table (:mod:`cw_pophealth.memo`).
    """
    stat = path.stat()
    state = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    cached = _LOADED.get(str(path))
    if cached is None or cached[0] != state:
        _LOADED.clear()
        cached = _LOADED[str(path)] = (state, schema.read_tidy(path))
    kept = cached[1]
    if not memo.copy_on_write():  # pragma: no cover - pandas 2: a shallow copy shares data
        return kept.copy(deep=True)
    return memo.share(kept.copy(deep=False), kept)


#: ``made_by`` of a table written by :func:`build_snapshot` (see :func:`is_current`).
BUILD_COMMAND = "cw-pophealth build"


def input_files(root: Path) -> list[Path]:
    """Every extract file :func:`build_snapshot` reads (with the ONS metadata beside its CSV)."""
    files = [root / spec.path for spec in TRAFFORD_FILES + ONS_ELS_FILES]
    files += [f.with_suffix(".json") for f in files if f.with_suffix(".json").is_file()]
    return sorted(set(files))


def inputs_digest(root: Path) -> str:
    """A digest of the snapshot's inputs: every extract file's bytes and this package's code."""
    return digest_of({
        "kind": "snapshot", "code": code_fingerprint(),
        "files": {str(p.relative_to(root)): file_sha256(p) for p in input_files(root)},
    })


def is_current(settings: Settings | None = None) -> bool:
    """True when the processed table is the one :func:`build_snapshot` made from the extracts
    and code as they are now, byte for byte (so a damaged, edited or pulled table is not)."""
    settings = settings or get_settings()
    path = settings.indicators_table
    stamp = schema.read_table_stamp(path)
    if stamp is None or stamp.get("made_by") != BUILD_COMMAND:
        return False
    root = settings.require_extracts_dir()
    return schema.read_stamped_table(path, inputs_digest(root)) is not None


def load_indicators(settings: Settings | None = None, *, rebuild: bool = False) -> pd.DataFrame:
    """Load the processed table, building it from the snapshot if it is absent or damaged.

    A damaged table (truncated, overwritten, not Parquet) that :func:`build_snapshot` made is
    rebuilt from the extracts, with a warning. One that a pull made is not replaced by the
    snapshot: the error says to run ``cw-pophealth pull --offline``, which rebuilds it from the
    raw cache.

    Parameters
    ----------
    settings : Settings, optional
    rebuild : bool, default False
        Rebuild from the extracts even if the processed table exists.

    Raises
    ------
    cw_pophealth.errors.DamagedTableError
        The table is damaged and was not made by :func:`build_snapshot`.
    """
    settings = settings or get_settings()
    path = settings.indicators_table
    if rebuild or not path.is_file():
        return build_snapshot(settings)
    try:
        return _read_once(path)
    except DamagedTableError as exc:
        stamp = schema.read_table_stamp(path) or {}
        if stamp.get("made_by") != BUILD_COMMAND:
            raise
        logger.warning("%s Rebuilding it from the offline extracts.", exc)
        return build_snapshot(settings)
