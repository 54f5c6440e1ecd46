"""Snapshot source: the tables built from real published files on disk, with no network.

Inputs, all in the configured extracts folder (see its ``PROVENANCE.md``):

* current Fingertips and ONS releases: ``trafford_themes/`` (Fingertips, 1 dp) and ``ons_els/``
  (ONS Explore Local Statistics, with CIs), including the ONS APS cigarette series kept as a
  second smoking source (:mod:`~cw_pophealth.snapshot.extracts`);
* earlier Fingertips releases: the January 2020 county and district pull in
  ``psychty_la_ph_walkthrough/`` (:mod:`~cw_pophealth.snapshot.walkthrough`; its areas are named,
  not coded: :mod:`~cw_pophealth.snapshot.names`), the June 2020 healthy life expectancy in
  ``trafford_dashboard/`` and the May 2019 alcohol admissions in ``trafford_dashboard_alcohol/``;
* GBD 2017 (:mod:`~cw_pophealth.snapshot.burden`) and the undated OHID Local Health life
  expectancy (:mod:`~cw_pophealth.snapshot.local_health`), each in its own table;
* Fingertips CSV exports saved anywhere (:func:`read_fingertips_export`).

Every row names its file (``source_ref``), how it was made (``source``) and its release
(``release``, ``release_date``: :mod:`~cw_pophealth.snapshot.releases`). Values are never
rounded, filled or derived; values the sources publish as missing stay missing.

:mod:`~cw_pophealth.snapshot.build` writes the tables with a stamp of their inputs
(:func:`input_files`, :func:`inputs_digest`), so ``cw-pophealth build --if-stale`` rebuilds only
when :func:`is_current` is false, and :func:`load_indicators` reads a table once per process
while its file is unchanged and rebuilds a damaged one.
"""

from __future__ import annotations

from cw_pophealth.snapshot.build import _LOADED as _LOADED  # the per-process table cache
from cw_pophealth.snapshot.build import (
    BUILD_COMMAND,
    NOT_USED,
    SOURCE_PRIORITY,
    build_snapshot,
    input_files,
    inputs_digest,
    is_current,
    load_burden,
    load_indicators,
    load_local_estimates,
    name_mappings,
    read_fingertips_export,
)
from cw_pophealth.snapshot.build import _read_once as _read_once
from cw_pophealth.snapshot.extracts import (
    ONS_APS_SMOKING,
    ONS_ELS_FILES,
    TRAFFORD_FILES,
    ExtractFile,
    read_ons_els_file,
    read_trafford_file,
)

__all__ = [
    "BUILD_COMMAND",
    "NOT_USED",
    "ONS_APS_SMOKING",
    "ONS_ELS_FILES",
    "SOURCE_PRIORITY",
    "TRAFFORD_FILES",
    "ExtractFile",
    "build_snapshot",
    "input_files",
    "inputs_digest",
    "is_current",
    "load_burden",
    "load_indicators",
    "load_local_estimates",
    "name_mappings",
    "read_fingertips_export",
    "read_ons_els_file",
    "read_trafford_file",
]
