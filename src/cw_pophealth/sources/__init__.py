"""Sources of tidy rows: the one seam between where the data come from and what uses them.

Everything downstream (``analysis``, ``plots``, the notebooks) reads the tidy table
(:data:`cw_pophealth.schema.TIDY_SCHEMA`) and nothing else, so a new source of data is one
class that satisfies :class:`TidySource`: a ``name`` and a ``tidy()`` method that returns a
validated tidy frame. Nothing in analysis or plots changes to use it.

Sources
-------
:class:`~cw_pophealth.sources.snapshot.SnapshotSource`
    The offline snapshot built from the real extracts
    (:func:`cw_pophealth.snapshot.build_snapshot`).
:class:`~cw_pophealth.sources.fingertips_api.FingertipsAPISource`
    The live Fingertips API (:func:`cw_pophealth.fingertips.pull`).
:class:`~cw_pophealth.sources.fingertipsnext.FingertipsNextSource`
    Saved responses of FingertipsNext's ``GET /indicators/{id}/data``, the successor API, which
    is not public yet; :func:`~cw_pophealth.sources.fingertipsnext.tidy_from_fingertipsnext` is
    the field-by-field mapping (``docs/fingertipsnext_mapping.md``).

Examples
--------
>>> class Rows:
...     name = "two synthetic rows"
...     def tidy(self):
...         from cw_pophealth import schema
...         return schema.empty_tidy()
>>> isinstance(Rows(), TidySource)
True
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from cw_pophealth import schema
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.fingerprint import digest_of

logger = logging.getLogger(__name__)

__all__ = ["TidySource", "load", "write_table"]


@runtime_checkable
class TidySource(Protocol):
    """What a source of tidy rows is.

    Attributes
    ----------
    name : str
        A short label for logs and errors (``"offline snapshot"``, ``"Fingertips API"``).
    """

    name: str

    def tidy(self) -> pd.DataFrame:
        """The source's rows as a validated tidy table (:func:`cw_pophealth.schema.validate_tidy`).

        Raises
        ------
        cw_pophealth.errors.CwPopHealthError
            A subclass saying what went wrong and what to do.
        """
        ...


def load(source: TidySource) -> pd.DataFrame:
    """The rows of ``source``, validated again at the seam (whatever the source promised).

    Parameters
    ----------
    source : TidySource

    Returns
    -------
    pandas.DataFrame
        The tidy table.

    Raises
    ------
    cw_pophealth.errors.SchemaValidationError
        If the source returned rows that break the schema (the message names the source).
    """
    table = schema.validate_tidy(source.tidy(), where=f"the {source.name} source")
    logger.info("%s: %d rows, %d indicators, %d areas", source.name, len(table),
                table["indicator_id"].nunique(), table["area_code"].nunique())
    return table


def write_table(source: TidySource, settings: Settings | None = None) -> Path:
    """Write the rows of ``source`` to the processed table that the reports read.

    Parameters
    ----------
    source : TidySource
    settings : Settings, optional
        ``settings.indicators_table`` is written atomically (a failure leaves the old table).

    Returns
    -------
    pathlib.Path
        The written table.

    Notes
    -----
    The table's stamp (:func:`cw_pophealth.schema.write_table_stamp`) names the source as its
    maker, unless the source wrote and stamped these very bytes itself (a pull). So a stamp
    left by an earlier ``cw-pophealth build`` never claims the new table: ``build --if-stale``
    rebuilds it, as it does a pulled table, and a damaged one is not silently replaced by the
    snapshot.
    """
    settings = settings or get_settings()
    path = schema.write_tidy(load(source), settings.indicators_table)
    stamp = schema.read_table_stamp(path)
    if stamp is None or schema.read_stamped_table(path, str(stamp.get("inputs_sha256"))) is None:
        schema.write_table_stamp(path, digest_of({"kind": "tidy source", "source": source.name}),
                                 made_by=f"cw_pophealth.sources.write_table ({source.name})")
    return path
