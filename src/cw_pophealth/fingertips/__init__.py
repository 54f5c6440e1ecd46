"""Fingertips API client: lookups and indicator data as pandas DataFrames, robust and cached.

The functions mirror fingertipsR (``profiles``, ``indicators``, ``indicator_metadata``,
``area_types``, ``category_types``, ``indicator_areatypes``, ``nearest_neighbours``,
``deprivation_decile``, ``fingertips_data`` with ``rank`` and ``url_only``) and return
DataFrames with snake_case columns. :func:`pull` is what ``cw-pophealth pull`` runs.

The client is one module per concern:

:mod:`~cw_pophealth.fingertips.http`
    The one function that does HTTP: pooled sessions, TLS always verified, ``(connect, read)``
    timeouts, retries with back-off on timeouts, 429 (``Retry-After``) and 5xx.
:mod:`~cw_pophealth.fingertips.throttle`
    An adaptive per-host cap on requests in flight, shared by every thread.
:mod:`~cw_pophealth.fingertips.parse`
    The response formats: the ``all_data`` CSV header, its parser and its mapping to the tidy
    schema; checks of JSON bodies.
:mod:`~cw_pophealth.fingertips.cache`
    The raw-response cache (``data/raw``) and the derived caches that make repeated pulls fast.
:mod:`~cw_pophealth.fingertips.fetch`
    Fetching through the cache, and running lookups and requests concurrently.
:mod:`~cw_pophealth.fingertips.lookups`, :mod:`~cw_pophealth.fingertips.areas`,
:mod:`~cw_pophealth.fingertips.neighbours`, :mod:`~cw_pophealth.fingertips.data`,
:mod:`~cw_pophealth.fingertips.deprivation`, :mod:`~cw_pophealth.fingertips.pull`
    The public functions.
:mod:`~cw_pophealth.fingertips.rank`
    What fingertipsR derives on the client: ranks, and dplyr's ``ntile``.

Every response is checked before it is used or cached, so a failure never replaces good cached
data, and with ``settings.offline`` (``--offline`` / ``CW_POPHEALTH_OFFLINE=1``) every call is
answered from the raw cache.
"""

from __future__ import annotations

from cw_pophealth.fingertips.areas import (
    area_types,
    areas,
    available_data,
    indicator_areatypes,
    parent_to_child_areas,
)
from cw_pophealth.fingertips.data import API_SOURCE_LABEL, fingertips_data
from cw_pophealth.fingertips.deprivation import deprivation_decile
from cw_pophealth.fingertips.lookups import (
    MAX_IDS_PER_REQUEST,
    category_types,
    indicator_metadata,
    indicator_polarities,
    indicators,
    profiles,
)
from cw_pophealth.fingertips.neighbours import nearest_neighbour_types, nearest_neighbours
from cw_pophealth.fingertips.pull import pull

__all__ = [
    "API_SOURCE_LABEL",
    "MAX_IDS_PER_REQUEST",
    "area_types",
    "areas",
    "available_data",
    "category_types",
    "deprivation_decile",
    "fingertips_data",
    "indicator_areatypes",
    "indicator_metadata",
    "indicator_polarities",
    "indicators",
    "nearest_neighbour_types",
    "nearest_neighbours",
    "parent_to_child_areas",
    "profiles",
    "pull",
]
