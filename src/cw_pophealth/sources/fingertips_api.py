"""The Fingertips API as a :class:`~cw_pophealth.sources.TidySource`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cw_pophealth.config import Settings
from cw_pophealth.fingertips import pull

__all__ = ["FingertipsAPISource"]


@dataclass(frozen=True)
class FingertipsAPISource:
    """Indicators pulled from the Fingertips API (or, offline, its raw cache).

    A wrapper of :func:`cw_pophealth.fingertips.pull`, which also writes
    ``settings.indicators_table`` as ``cw-pophealth pull`` does.

    Parameters
    ----------
    indicators : sequence of int or str, optional
        Ids or catalogue keys; default the core indicators.
    area_codes : sequence of str, optional
        Keep only these areas.
    area_type_ids : sequence of int, optional
        Default counties & UAs (502) and districts & UAs (501).
    settings : Settings, optional
        ``settings.offline`` serves every request from ``data/raw``.

    Examples
    --------
    >>> from cw_pophealth.sources import load
    >>> table = load(FingertipsAPISource(["life_expectancy"]))  # doctest: +SKIP
    """

    indicators: Sequence[int | str] | None = None
    area_codes: Sequence[str] | None = None
    area_type_ids: Sequence[int] | None = None
    settings: Settings | None = None
    name: str = "Fingertips API"

    def tidy(self) -> pd.DataFrame:
        """:func:`cw_pophealth.fingertips.pull` with this source's arguments."""
        return pull(self.indicators, area_codes=self.area_codes,
                    area_type_ids=self.area_type_ids, settings=self.settings, progress=False)
