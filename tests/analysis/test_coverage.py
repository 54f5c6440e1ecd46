"""Tests for cw_pophealth.analysis.coverage: what the data hold and what a live pull adds."""

from __future__ import annotations

import pytest

from cw_pophealth import analysis
from helpers import COV, WARKS


@pytest.fixture(scope="module")
def coverage(snapshot_table):
    return analysis.coverage_table(
        snapshot_table, ["smoking", "physical_inactivity", "alcohol", "alcohol_admissions",
                         "smoking_ons_aps"], [COV, WARKS]).set_index(["indicator_id",
                                                                       "area_code"])


class TestCoverageTable:
    def test_warwickshire_inactivity_is_2017_18_from_january_2020(self, coverage):
        row = coverage.loc[(93015, WARKS)]
        assert (row["latest_period"], row["release"], row["earlier_release"]) == (
            "2017/18", "Fingertips as of January 2020", True)

    def test_a_behind_area_lists_the_periods_a_live_pull_would_add(self, coverage):
        assert coverage.loc[(93015, WARKS), "status"] == (
            "behind: latest 2017/18; later periods in the data for other areas: 2018/19 to "
            "2024/25; a live pull would add them")

    def test_an_area_as_recent_as_any_other_is_not_called_behind(self, coverage):
        assert coverage.loc[(93015, COV), "status"] == "as recent as any area in the data"

    def test_an_old_newest_release_still_says_a_live_pull_would_add_later_periods(self,
                                                                                 coverage):
        assert coverage.loc[(91414, COV), "status"].endswith(
            "its newest release here is Fingertips as of January 2020: a live pull would add "
            "any later periods")

    def test_an_indicator_with_no_value_says_what_a_live_pull_would_fetch(self, coverage):
        assert coverage.loc[(92778, WARKS), "status"] == (
            "no value in the data: a live pull would fetch Fingertips 92778")

    def test_a_local_series_never_promises_a_live_pull(self, coverage):
        assert coverage.loc[(-1002, WARKS), "latest_period"] == "2023" and (
            "live pull" not in coverage.loc[(-1002, WARKS), "status"])
