"""Building the offline tables from the extracts folder, and loading them.

:func:`build_snapshot` reads every file named in :mod:`cw_pophealth.snapshot` and writes three
tables to ``data/processed/``:

``indicators.parquet``
    The tidy indicator table (:data:`cw_pophealth.schema.TIDY_SCHEMA`): every release of every
    observation, the latest one flagged ``current`` (:func:`cw_pophealth.schema.mark_current`).
``burden.parquet``
    GBD 2017 deaths, YLLs, YLDs and DALYs attributable to risks
    (:mod:`cw_pophealth.snapshot.burden`).
``local_estimates.parquet``
    OHID Local Health life expectancy, which states no period
    (:mod:`cw_pophealth.snapshot.local_health`).

Each table gets a stamp (:func:`cw_pophealth.schema.write_table_stamp`) recording the digest of
its inputs (:func:`inputs_digest`: every extract file :func:`input_files` lists, and the code),
so ``cw-pophealth build --if-stale`` (``make data``) rebuilds only when :func:`is_current` says
the tables are not the ones the extracts and the code make now.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from cw_pophealth import atomic, memo, schema
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import DamagedTableError
from cw_pophealth.fingerprint import code_fingerprint, digest_of, file_sha256
from cw_pophealth.fingertips import parse
from cw_pophealth.snapshot import burden as _burden
from cw_pophealth.snapshot import local_health as _local_health
from cw_pophealth.snapshot import names as _names
from cw_pophealth.snapshot import walkthrough as _walkthrough
from cw_pophealth.snapshot.burden import read_gbd_burden, validate_burden
from cw_pophealth.snapshot.extracts import (
    DASHBOARD_ALCOHOL,
    DASHBOARD_HLE,
    ONS_APS_SMOKING,
    ONS_ELS_FILES,
    TRAFFORD_FILES,
    read_ons_aps_smoking,
    read_ons_els_file,
    read_trafford_alcohol,
    read_trafford_dashboard_hle,
    read_trafford_file,
)
from cw_pophealth.snapshot.local_health import read_local_health_le, validate_local_estimates
from cw_pophealth.snapshot.names import load_references, map_names
from cw_pophealth.snapshot.walkthrough import read_walkthrough

logger = logging.getLogger(__name__)

__all__ = ["BUILD_COMMAND", "NOT_USED", "SOURCE_PRIORITY", "build_snapshot", "input_files",
           "inputs_digest", "is_current", "load_burden", "load_indicators",
           "load_local_estimates", "name_mappings", "read_fingertips_export"]

#: Between copies of one publication in two sources (today: the ONS healthy life expectancy in
#: ONS Explore Local Statistics, with CIs, and republished by Fingertips, 1 dp), the preferred
#: source first. Releases are not copies: they are all kept (see ``schema.mark_current``).
SOURCE_PRIORITY = ["ons_els", "trafford_themes", "Fingertips"]

#: Files of the extracts folder deliberately not read, and why.
NOT_USED = {
    "trafford_dashboard/smoking_adults.csv, physically_inactive.csv": "Districts & UAs only, "
    "older releases of periods the current trafford_themes files hold; used only as name-to-code "
    "evidence",
    "fingertipsnext/": "metadata only (FingertipsNext schema); no observations",
    "api_samples/": "a format sample (Campylobacter 93356), read by read_fingertips_export",
}


#: ``made_by`` of a table written by :func:`build_snapshot` (see :func:`is_current`).
BUILD_COMMAND = "cw-pophealth build"


def input_files(root: Path) -> list[Path]:
    """Every extract file :func:`build_snapshot` reads (with the ONS metadata beside its CSV).

    The current Fingertips and ONS extracts, the earlier releases (the January 2020 walkthrough,
    the June 2020 healthy life expectancy, the May 2019 alcohol admissions), the ONS APS
    cigarette series, GBD 2017, OHID Local Health and the name-to-code references. A listed file
    may be absent (the optional name references are); :func:`inputs_digest` records that too.
    """
    refs = [spec.path for spec in (*TRAFFORD_FILES, *ONS_ELS_FILES, ONS_APS_SMOKING)]
    refs += [DASHBOARD_HLE, DASHBOARD_ALCOHOL, _burden.GBD_FILE,
             *_local_health.LOCAL_HEALTH_FILES, _names.PHOLIO_AREAS,
             *(ref.path for ref in _names.REFERENCE_FILES)]
    refs += [f"{_walkthrough.WALKTHROUGH_DIR}/{name}" for tier in _walkthrough.TIERS
             for name in (f"{tier}_data_neighbours.json", f"{tier}_data_meta_extract.json",
                          f"Comp_data_{tier}.json")]
    files = [root / ref for ref in refs]
    files += [f.with_suffix(".json") for f in files
              if f.suffix == ".csv" and f.with_suffix(".json").is_file()]
    return sorted(set(files))


def inputs_digest(root: Path) -> str:
    """A digest of the snapshot's inputs: every extract file's bytes (or its absence) and this
    package's code."""
    return digest_of({
        "kind": "snapshot", "code": code_fingerprint(),
        "files": {p.relative_to(root).as_posix(): file_sha256(p) if p.is_file() else None
                  for p in input_files(root)},
    })


def _tables(settings: Settings) -> list[Path]:
    """The three tables :func:`build_snapshot` writes, the indicator table first."""
    return [settings.indicators_table, settings.burden_table, settings.local_estimates_table]


def is_current(settings: Settings | None = None) -> bool:
    """True when the processed tables are the ones :func:`build_snapshot` made from the extracts
    and code as they are now, byte for byte (so a damaged, edited, missing or pulled table is
    not): the indicator table and the burden and local-estimates tables beside it."""
    settings = settings or get_settings()
    stamp = schema.read_table_stamp(settings.indicators_table)
    if stamp is None or stamp.get("made_by") != BUILD_COMMAND:
        return False
    digest = inputs_digest(settings.require_extracts_dir())
    return all(schema.read_stamped_table(path, digest) is not None
               for path in _tables(settings))


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    plain = frame.copy()
    plain.attrs = {}  # readers' reports stay in memory, not in the file
    atomic.write_via(path, lambda tmp: plain.to_parquet(tmp, index=False))
    logger.info("Wrote %d rows to %s", len(frame), path)


def build_snapshot(settings: Settings | None = None, *, write: bool = True) -> pd.DataFrame:
    """Build the tidy indicator table (and the burden and local-estimates tables) offline.

    Steps: read the current Fingertips and ONS extracts and keep one copy of each observation
    they both publish (:data:`SOURCE_PRIORITY`); add the earlier releases (Fingertips as of
    January 2020, June 2020 and May 2019) and the ONS APS cigarette series; flag the latest
    release of every observation ``current``. Nothing is rounded, filled or derived.

    Parameters
    ----------
    settings : Settings, optional
        Where the extracts are and where to write.
    write : bool, default True
        Write the three tables atomically to ``settings.processed_dir``.

    Returns
    -------
    pandas.DataFrame
        The validated tidy indicator table.

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If the extracts folder is not found (the message says how to set it).
    cw_pophealth.errors.SchemaDriftError
        If an extract's format changed.
    """
    settings = settings or get_settings()
    root = settings.require_extracts_dir()
    references = load_references(root)
    current_era = [read_trafford_file(root, spec) for spec in TRAFFORD_FILES]
    current_era += [read_ons_els_file(root, spec) for spec in ONS_ELS_FILES]
    copies = schema.deduplicate_sources(pd.concat(current_era, ignore_index=True),
                                        SOURCE_PRIORITY)
    releases = [read_walkthrough(root, references=references), read_trafford_dashboard_hle(root),
                read_trafford_alcohol(root), read_ons_aps_smoking(root)]
    combined = pd.concat([copies, *releases], ignore_index=True)
    for ref, count in combined["source_ref"].value_counts(sort=False).items():
        logger.info("Read %d rows from %s", count, ref)
    table = schema.validate_tidy(schema.mark_current(combined),
                                 where=f"the snapshot built from {root}")
    logger.info("Snapshot: %d rows (%d current), %d indicators, %d areas, %d releases",
                len(table), int(table["current"].sum()), table["indicator_id"].nunique(),
                table["area_code"].nunique(), table["release"].nunique())
    if write:
        digest = inputs_digest(root)
        burden = read_gbd_burden(root, references=references)
        local = read_local_health_le(root)
        plain = table.copy()
        plain.attrs = {}
        schema.write_tidy(plain, settings.indicators_table)
        schema.write_table_stamp(settings.indicators_table, digest, made_by=BUILD_COMMAND)
        for frame, path in ((burden, settings.burden_table),
                            (local, settings.local_estimates_table)):
            _write_parquet(frame, path)
            schema.write_table_stamp(path, digest, made_by=BUILD_COMMAND)
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


def load_indicators(settings: Settings | None = None, *, rebuild: bool = False) -> pd.DataFrame:
    """Load the processed indicator table, building it from the snapshot if it is absent or
    damaged.

    Every release is in it; analyses show the ``current`` rows
    (:func:`cw_pophealth.schema.current_rows`).

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


def _load_side_table(settings: Settings | None, attribute: str, validate) -> pd.DataFrame:
    settings = settings or get_settings()
    path: Path = getattr(settings, attribute)
    if not path.is_file():
        build_snapshot(settings)
    return validate(pd.read_parquet(path))


def load_burden(settings: Settings | None = None) -> pd.DataFrame:
    """The GBD 2017 burden table (:mod:`cw_pophealth.snapshot.burden`), built if absent."""
    return _load_side_table(settings, "burden_table", validate_burden)


def load_local_estimates(settings: Settings | None = None) -> pd.DataFrame:
    """The undated OHID Local Health life expectancy table, built if absent."""
    return _load_side_table(settings, "local_estimates_table", validate_local_estimates)


def name_mappings(settings: Settings | None = None) -> pd.DataFrame:
    """How every area name of the named-not-coded extracts maps to a code, for review.

    Returns
    -------
    pandas.DataFrame
        One row per file and distinct name: ``file``, ``vintage``, ``tier``, and the columns of
        :func:`cw_pophealth.snapshot.names.map_names` (``status`` says ``unmapped`` for any name
        that does not map; today every name maps).
    """
    from cw_pophealth.snapshot import burden, walkthrough

    settings = settings or get_settings()
    root = settings.require_extracts_dir()
    references = load_references(root)
    frames = []
    for tier, (tier_name, _) in walkthrough.TIERS.items():
        files = [f"{walkthrough.WALKTHROUGH_DIR}/{tier}_data_neighbours.json",
                 f"{walkthrough.WALKTHROUGH_DIR}/Comp_data_{tier}.json"]
        names = pd.concat([pd.read_json(root / ref)["Area_name"] for ref in files]).unique()
        frames.append(map_names(names, references, vintage=walkthrough.VINTAGE, tier=tier_name)
                      .assign(file=" + ".join(files), vintage=walkthrough.VINTAGE,
                              tier=tier_name))
    areas = pd.read_json(root / burden.GBD_FILE)["Area"].unique()
    frames.append(map_names(areas, references, vintage=burden.VINTAGE, tier="upper")
                  .assign(file=burden.GBD_FILE, vintage=burden.VINTAGE, tier="upper"))
    out = pd.concat(frames, ignore_index=True)
    return out.loc[:, ["file", "vintage", "tier", *[c for c in out.columns
                                                  if c not in ("file", "vintage", "tier")]]]


def read_fingertips_export(path: str | Path, *, source: str | None = None,
                           release: str | None = None,
                           release_date: object = None) -> pd.DataFrame:
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
    release : str, optional
        The release the file is; defaults to ``'Fingertips CSV export <file name>, file dated
        <date>'`` with the file's modification date, which is when it was saved, not when
        Fingertips published it: pass the release when you know it.
    release_date : date-like, optional
        Defaults to the file's modification date.

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
    saved = pd.Timestamp(path.stat().st_mtime, unit="s").normalize()
    when = pd.Timestamp(release_date) if release_date is not None else saved
    label = release or f"Fingertips CSV export {path.name}, file dated {when:%Y-%m-%d}"
    return parse.tidy_from_fingertips_csv(
        raw, source=source or f"Fingertips CSV export {path.name}", source_ref=str(path),
        release=label, release_date=when)
