"""The offline snapshot as a :class:`~cw_pophealth.sources.TidySource`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cw_pophealth.config import Settings, get_settings
from cw_pophealth.snapshot import build_snapshot

__all__ = ["SnapshotSource"]


@dataclass(frozen=True)
class SnapshotSource:
    """The tidy table built from the real extracts, with no network.

    Parameters
    ----------
    settings : Settings, optional
        Where the extracts are; default :func:`~cw_pophealth.config.get_settings`.

    Examples
    --------
    >>> from cw_pophealth.sources import load
    >>> table = load(SnapshotSource())  # doctest: +SKIP
    >>> sorted(table["source"].str.split(":").str[0].unique())  # doctest: +SKIP
    ['ons_els', 'trafford_themes']
    """

    settings: Settings | None = None
    name: str = "offline snapshot"

    def tidy(self) -> pd.DataFrame:
        """:func:`cw_pophealth.snapshot.build_snapshot`, without writing the table."""
        return build_snapshot(self.settings or get_settings(), write=False)
