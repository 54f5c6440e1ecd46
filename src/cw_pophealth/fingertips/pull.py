"""``cw-pophealth pull``: the core indicators for the standard area types, into the tidy table.

:func:`pull` plans its requests with :func:`~cw_pophealth.fingertips.data.plan_data`, as
:func:`~cw_pophealth.fingertips.data.fingertips_data` does, then converts every response to the
tidy schema at once, validates the rows once, de-duplicates them
(:func:`pulled_table`) and writes the table atomically, stamped
with a digest of its inputs so that a pull with unchanged inputs reads the table back instead
of rebuilding it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cw_pophealth import catalogue, schema
from cw_pophealth.arrow_memory import lean_pool
from cw_pophealth.config import Settings
from cw_pophealth.errors import CwPopHealthError, ParameterError, SchemaValidationError
from cw_pophealth.fingerprint import digest_of
from cw_pophealth.fingertips import data
from cw_pophealth.fingertips.args import as_list, settings_or_default
from cw_pophealth.fingertips.data import (
    API_SOURCE_LABEL,
    CsvBody,
    DataPlan,
    commit,
    download,
    plan_data,
)
from cw_pophealth.fingertips.fetch import run_parallel
from cw_pophealth.fingertips.parse import as_pandas, tidy_rows_of_responses

logger = logging.getLogger(__name__)

__all__ = ["pull", "pulled_table"]

#: Area types a pull covers by default: counties & UAs, then districts & UAs.
DEFAULT_AREA_TYPES = (catalogue.AREA_TYPE_COUNTY_UA, catalogue.AREA_TYPE_DISTRICT_UA)


def pull(
    indicators: Any = None,
    area_codes: Any = None,
    area_type_ids: Any = None,
    settings: Settings | None = None,
    progress: bool = True,
    per_indicator: bool = True,
) -> pd.DataFrame:
    """Pull indicators from the API (or, offline, the raw cache) and write the tidy table.

    For every area type, one ``all_data/csv/by_indicator_id`` request per indicator (or, with
    ``per_indicator=False``, per 100 indicators), all run concurrently on
    ``settings.max_workers`` threads; regions are the parent type, so England and regional rows
    come with the CSV. Rows are de-duplicated (a UA appears under both 501 and 502), validated
    and written atomically to ``settings.indicators_table``, which is stamped with a digest of
    the inputs. When a pull has the same inputs as the stamp (same response bodies, arguments and
    code) and the table file is unchanged since, the table is read back instead of rebuilt.

    Parameters
    ----------
    indicators : sequence of int or str, optional
        Ids or catalogue keys; default every :data:`cw_pophealth.catalogue.CORE_INDICATORS`.
    area_codes : sequence of str, optional
        Keep only these areas (default: all).
    area_type_ids : sequence of int, optional
        Default ``(502, 501)``: counties & UAs and districts & UAs.
    settings : Settings, optional
        ``settings.offline`` serves everything from ``data/raw`` (no network).
    progress : bool, default True
        Show a progress bar.
    per_indicator : bool, default True
        One request per indicator and area type. The API builds each CSV server-side in time
        that grows with the indicators asked for, so small requests run in parallel finish
        sooner (with enough ``settings.max_workers``). ``False`` batches up to 100 ids per
        request: fewer requests, better when the server's time is mostly per request. The raw
        cache is keyed by request, so an offline pull needs the same setting as the online
        pull that filled the cache.

    Returns
    -------
    pandas.DataFrame
        The validated tidy table that was written.

    Raises
    ------
    CwPopHealthError
        Any of the errors of :func:`fingertips_data`; the existing table and cache are untouched.

    Examples
    --------
    >>> table = pull(["life_expectancy"], area_codes=["E08000026"])  # doctest: +SKIP
    >>> sorted(table["sex"].unique())  # doctest: +SKIP
    ['Female', 'Male']
    """
    settings = settings_or_default(settings)
    wanted = indicators if indicators is not None else [
        spec.indicator_id for spec in catalogue.CORE_INDICATORS]
    if not as_list(wanted):
        raise ParameterError("pull() needs at least one indicator.")
    plan = plan_data(wanted, as_list(area_type_ids) or list(DEFAULT_AREA_TYPES),
                     catalogue.AREA_TYPE_REGION, area_codes=area_codes,
                     per_indicator=per_indicator, settings=settings, caller="pull")
    ids, type_ids = plan.ids, plan.area_type_ids
    logger.info("Pulling %d indicator(s) for area type(s) %s%s", len(ids),
                ", ".join(str(t) for t in type_ids),
                " from the offline cache" if settings.offline else "")
    (names, *_), bodies = download(plan, settings=settings, progress=progress)
    logger.info("Area types: %s", ", ".join(f"{t} ({names[t]})" for t in type_ids))
    inputs = digest_of({
        "kind": "fingertips pull", "code": data.code_fingerprint(), "indicators": ids,
        "area_types": type_ids, "parent_area_type": plan.parent_area_type_id,
        "area_codes": plan.area_codes, "responses": [[b.url, b.sha256] for b in bodies],
    })
    table = _read_if_current(settings.indicators_table, inputs)
    if table is None:
        table = pulled_table(plan, bodies, settings=settings)  # validated and de-duplicated
        schema.write_tidy(table, settings.indicators_table, validated=True)
        try:
            schema.write_table_stamp(settings.indicators_table, inputs,
                                     made_by="cw-pophealth pull")
        except OSError as exc:
            logger.warning("Could not stamp %s (%s); the next pull will rebuild it",
                           settings.indicators_table, exc)
        action = "Pulled"
    else:
        # The stamped table was built by this code from exactly these bodies, so they have
        # been validated: cache any that were fetched online.
        commit(bodies, settings)
        action = "Unchanged inputs: read back"
    present = set(table["indicator_id"].dropna().astype(int))
    empty = [i for i in ids if i not in present]
    if empty:
        logger.warning("No rows for indicator(s) %s at area type(s) %s; see "
                       "cw_pophealth.fingertips.available_data(indicator_id=%d) for the area "
                       "types that have data", empty, type_ids, empty[0])
    logger.info("%s %d rows (%d indicators, %d areas) into %s", action, len(table),
                table["indicator_id"].nunique(), table["area_code"].nunique(),
                settings.indicators_table)
    return table


def pulled_table(plan: DataPlan, bodies: Sequence[CsvBody], *, settings: Settings
                 ) -> pd.DataFrame:
    """The table a pull writes: the rows of every response, kept to the plan's areas and
    de-duplicated (a UA is in the CSVs of both area types; the first copy, in plan order, is
    kept), validated; the bodies fetched online are cached once their rows are valid.

    The same table as :func:`~.data.rows_of` followed by :func:`schema.deduplicate_sources` and
    :func:`schema.validate_tidy`, made leanly: the parsed responses of every area type are
    concatenated once (Arrow), converted to pandas and to the schema once, validated once
    (before de-duplication, so every row is checked; keys within each response) and copied once
    more by the de-duplication. No derived frame is cached: the pulled table's own stamp is
    what makes the next unchanged pull fast. When a row is invalid the responses are converted
    again one area type at a time, as :func:`~.data.tidy` does, so that the error names the
    response(s) it is in.

    Raises
    ------
    NoDataError
        If no row is left; the message lists the area types that have data.
    SchemaValidationError
        A response's rows break the tidy schema; nothing is cached.
    """
    unparsed = [b for b in bodies if b.raw is None]
    run_parallel([b.parsed for b in unparsed], settings=settings, progress=False,
                 description="parse")
    parts = [b for b in bodies if len(b.parsed())]
    if not parts:
        commit(bodies, settings)
        raise data.no_data_error(plan, settings)
    parsed = [b.parsed() for b in parts]
    if all(isinstance(raw, pa.Table) for raw in parsed):
        # One Arrow table in one chunk: picking rows from it later is one fast take.
        pool = lean_pool()
        combined = as_pandas(pa.concat_tables(parsed, promote_options="default",
                                              memory_pool=pool).combine_chunks(memory_pool=pool))
    else:
        combined = pd.concat([as_pandas(raw) for raw in parsed], ignore_index=True)
    response = np.repeat(np.arange(len(parts)), [len(raw) for raw in parsed])
    del parsed
    for b in parts:  # parsed again only if an error needs it
        b.raw = None
    urls = [b.url for b in parts]
    where = (", ".join(urls) if len(urls) <= 3
             else f"{urls[0]} and {len(urls) - 1} other responses")
    rows, codes = tidy_rows_of_responses(
        combined, response, source=API_SOURCE_LABEL, source_refs=urls,
        releases=[b.release for b in parts], where=where, include_categories=False)
    del combined, response
    try:
        table = schema.validate_tidy(rows, where=where, unique_within=codes)
    except SchemaValidationError:
        groups: dict[tuple[str, str], list[CsvBody]] = {}
        for item in parts:
            groups.setdefault(item.group, []).append(item)
        for items in groups.values():
            data._tidy_group(items, include_categories=False)  # raises, naming the group
        raise
    del rows
    commit(bodies, settings)
    if plan.area_codes:
        table = table.loc[table["area_code"].isin(plan.area_codes)]
    if table.empty:
        raise data.no_data_error(plan, settings)
    return schema.deduplicate_sources(table, [API_SOURCE_LABEL])


def _read_if_current(path: Path, inputs_digest: str) -> pd.DataFrame | None:
    """The table at ``path`` if it was stamped as built from ``inputs_digest`` and has not
    changed since (validated on read), else ``None``."""
    data = schema.read_stamped_table(path, inputs_digest)
    if data is None:
        return None
    try:
        return schema.validate_tidy(pd.read_parquet(io.BytesIO(data)), where=path)
    except (CwPopHealthError, OSError, ValueError) as exc:
        logger.info("Rebuilding %s: it could not be read back (%s)", path, exc)
        return None
