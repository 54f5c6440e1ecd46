"""Analysis tables: what the notebooks show and the plots draw, built from the tidy table.

:mod:`~cw_pophealth.analysis.selection`
    Areas and their roles (focus, district, comparator), rows, periods and CI columns.
:mod:`~cw_pophealth.analysis.window_of_need`
    Life expectancy minus healthy life expectancy.
:mod:`~cw_pophealth.analysis.benchmark`
    Values with CIs compared with a benchmark area.
:mod:`~cw_pophealth.analysis.trends`
    Every period compared with the benchmark, and the recent trend.
:mod:`~cw_pophealth.analysis.profile`
    The spine-chart table of one area.
:mod:`~cw_pophealth.analysis.releases`
    Which rows are of an earlier release; the LE/HLE same-release pairing rule.
:mod:`~cw_pophealth.analysis.coverage`
    What the data hold for each area and indicator, and what a live pull would add.
:mod:`~cw_pophealth.analysis.claims`
    A document's numeric claims checked against the data, one verdict each.
:mod:`~cw_pophealth.analysis.burden`
    Deaths (or DALYs) attributable to risks, GBD 2017, by area.
:mod:`~cw_pophealth.analysis.inequalities`
    The published SII in life expectancy, and indicators by deprivation decile with the SII
    and RII.
:mod:`~cw_pophealth.analysis.present`
    The same tables as readers see them (1 dp, missing values spelled out).

Words: the **benchmark** is the one area every value is compared with (England, or a region);
**comparators** are further areas shown for context (``comparator_codes``, role
``"comparator"``). Comparisons and intervals come from :mod:`cw_pophealth.stats`; nothing here
rounds or fills values.
"""

from __future__ import annotations

from cw_pophealth.analysis.benchmark import benchmark_table
from cw_pophealth.analysis.burden import (
    BEHAVIOURAL_RISKS,
    burden_table,
    present_burden,
    risk_ranking,
)
from cw_pophealth.analysis.claims import check_claims, load_claims, present_claims
from cw_pophealth.analysis.coverage import coverage_table
from cw_pophealth.analysis.inequalities import (
    deprivation_rows,
    deprivation_sii,
    inequality_coverage,
    live_pull_command,
    present_deprivation_sii,
    present_published_sii,
    published_sii,
)
from cw_pophealth.analysis.present import (
    benchmark_summary,
    earlier_release_note,
    present_area_profile,
    present_benchmark,
    present_coverage,
    present_local_estimates,
    present_window_of_need,
    report_heading,
    window_of_need_over_time,
)
from cw_pophealth.analysis.profile import PEER_AREA_TYPES, area_profile_table
from cw_pophealth.analysis.selection import (
    STATUS_OK,
    area_selection,
    latest_period,
    select,
    selection_note,
)
from cw_pophealth.analysis.trends import recent_trends, trend_table
from cw_pophealth.analysis.window_of_need import window_of_need

__all__ = [
    "BEHAVIOURAL_RISKS",
    "PEER_AREA_TYPES",
    "STATUS_OK",
    "area_profile_table",
    "area_selection",
    "benchmark_summary",
    "benchmark_table",
    "burden_table",
    "check_claims",
    "coverage_table",
    "deprivation_rows",
    "deprivation_sii",
    "inequality_coverage",
    "latest_period",
    "live_pull_command",
    "load_claims",
    "present_area_profile",
    "present_benchmark",
    "present_burden",
    "present_claims",
    "present_coverage",
    "present_deprivation_sii",
    "present_local_estimates",
    "present_published_sii",
    "present_window_of_need",
    "published_sii",
    "recent_trends",
    "risk_ranking",
    "select",
    "selection_note",
    "trend_table",
    "window_of_need",
    "window_of_need_over_time",
    "earlier_release_note",
    "report_heading",
]
