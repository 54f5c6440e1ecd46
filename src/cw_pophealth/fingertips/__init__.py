"""Fingertips API client: lookups and indicator data as pandas DataFrames, robust and cached.

The functions mirror fingertipsR (``profiles``, ``indicators``, ``indicator_metadata``,
``area_types``, ``areas``, ``parent_to_child_areas``, ``available_data`` for
``indicator_areatypes``, ``fingertips_data``) and return DataFrames with snake_case columns.
:func:`pull` is what ``cw-pophealth pull`` runs.

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
:mod:`~cw_pophealth.fingertips.lookups`, :mod:`~cw_pophealth.fingertips.data`,
:mod:`~cw_pophealth.fingertips.pull`
    The public functions.

Every response is checked before it is used or cached, so a failure never replaces good cached
data, and with ``settings.offline`` (``--offline`` / ``CW_POPHEALTH_OFFLINE=1``) every call is
answered from the raw cache.
"""

from __future__ import annotations

from cw_pophealth.fingertips.data import API_SOURCE_LABEL, fingertips_data
from cw_pophealth.fingertips.lookups import (
    MAX_IDS_PER_REQUEST,
    area_types,
    areas,
    available_data,
    indicator_metadata,
    indicators,
    parent_to_child_areas,
    profiles,
)
from cw_pophealth.fingertips.pull import pull

__all__ = [
    "API_SOURCE_LABEL",
    "MAX_IDS_PER_REQUEST",
    "area_types",
    "areas",
    "available_data",
    "fingertips_data",
    "indicator_metadata",
    "indicators",
    "parent_to_child_areas",
    "profiles",
    "pull",
]
