"""Tests for cw_pophealth.analysis.window_of_need: LE minus HLE, paired by period, sex and area."""

from __future__ import annotations

import numpy as np
import pytest

from cw_pophealth import analysis, catalogue, stats
from cw_pophealth.errors import NoDataError, ParameterError
from helpers import COV, ENG, WARKS, WM, tidy


class TestWindowOfNeedRules:
    @pytest.fixture
    def table(self):
        return tidy([
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 77.3},
            {"indicator_id": 90362, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 58.5, "lower_ci_95": 55.7, "upper_ci_95": 61.2, "source_ref": "hle.csv"},
            {"indicator_id": 90366, "area_code": ENG, "sex": "Male", "period": "2020 - 22",
             "value": 79.0, "lower_ci_95": 78.9, "upper_ci_95": 79.1},
            {"indicator_id": 90362, "area_code": ENG, "sex": "Male", "period": "2021 - 23",
             "value": 61.5, "lower_ci_95": 61.3, "upper_ci_95": 61.8},
            {"indicator_id": 90362, "area_code": WARKS, "sex": "Male", "period": "2021 - 23",
             "value": 62.1, "lower_ci_95": 59.8, "upper_ci_95": 64.4},
        ])

    @pytest.mark.parametrize("confidence", [0.9, 0.99, 95])
    def test_a_confidence_level_without_published_limits_is_an_error(self, table, confidence):
        with pytest.raises(ParameterError, match=f"confidence={confidence!r}"):
            analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23",
                                    confidence=confidence)

    def test_the_99_8_level_takes_the_99_8_limits(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23",
                                      confidence=0.998)
        assert won["hle_lower"].isna().all()  # the synthetic rows publish 95% limits only

    def test_gap_is_le_minus_hle_for_the_same_period(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert won["gap"].iloc[0] == pytest.approx(18.8)

    def test_le_and_hle_from_different_periods_are_never_paired(self, table):
        won = analysis.window_of_need(table, [ENG], sexes=["Male"], period="all")
        assert won["gap"].isna().all()

    def test_missing_le_is_reported_not_filled(self, table):
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"],
                                        period="2021 - 23").iloc[0]
        assert (row["status"], np.isnan(row["le"]), row["hle"]) == ("LE not in data", True, 62.1)

    def test_gap_interval_is_missing_when_le_has_no_ci(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert won[["gap_lower", "gap_upper"]].isna().all(axis=None)

    def test_gap_interval_comes_from_stats_when_both_cis_exist(self):
        table = tidy([
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 77.3, "lower_ci_95": 76.8, "upper_ci_95": 77.8},
            {"indicator_id": 90362, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 58.5, "lower_ci_95": 55.7, "upper_ci_95": 61.2},
        ])
        row = analysis.window_of_need(table, [COV], sexes=["Male"]).iloc[0]
        expected = stats.window_of_need_ci(77.3, 76.8, 77.8, 58.5, 55.7, 61.2)
        assert (row["gap"], row["gap_lower"], row["gap_upper"]) == pytest.approx(expected)

    def test_different_source_files_raise_the_vintage_caveat(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert "different publications" in won["caveat"].iloc[0]

    def test_latest_is_the_latest_period_with_both_le_and_hle(self, table):
        won = analysis.window_of_need(table, [COV, ENG], sexes=["Male"])
        assert set(won["period"]) == {"2021 - 23"}

    def test_hle_above_le_is_flagged_not_subtracted(self):
        table = tidy([
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 50.0},
            {"indicator_id": 90362, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 58.5},
        ])
        row = analysis.window_of_need(table, [COV], sexes=["Male"]).iloc[0]
        assert np.isnan(row["gap"]) and row["status"].startswith("HLE above LE")

    def test_an_absent_period_names_the_period_parameter(self, table):
        with pytest.raises(NoDataError, match="period='2030 - 32'"):
            analysis.window_of_need(table, [COV], period="2030 - 32")

    def test_method_note_travels_with_the_table(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"])
        assert won.attrs["method"] == stats.WINDOW_OF_NEED_METHOD


@pytest.fixture(scope="module")
def won(snapshot_table):
    """Window of need for the default C&W selection, 2021 - 23, from the real extracts."""
    areas = analysis.area_selection([COV, WARKS], [WM, ENG])
    return analysis.window_of_need(snapshot_table, areas, period="2021 - 23")


class TestWindowOfNeedFromTheExtracts:

    @pytest.mark.parametrize(("sex", "le", "hle", "gap"), [
        pytest.param("Male", 77.3, 58.5, 18.8, id="male"),
        pytest.param("Female", 81.7, 58.1, 23.6, id="female"),
    ])
    def test_coventry_2021_23_gap(self, won, sex, le, hle, gap):
        row = won.loc[(won["area_code"] == COV) & (won["sex"] == sex)].iloc[0]
        assert (row["le"], row["hle"], round(row["gap"], 1)) == (le, hle, gap)

    def test_warwickshire_has_hle_but_le_is_not_in_data(self, won):
        rows = won.loc[won["area_code"] == WARKS]
        assert (rows["status"].eq("LE not in data").all() and rows["hle"].notna().all()
                and rows["gap"].isna().all())

    def test_the_five_warwickshire_districts_appear(self, won):
        districts = won.loc[won["role"] == "district of Warwickshire", "area_code"].unique()
        assert sorted(districts) == sorted(catalogue.WARWICKSHIRE_DISTRICTS)

    def test_districts_have_le_and_say_hle_is_not_in_data(self, won):
        rows = won.loc[won["role"] == "district of Warwickshire"]
        assert rows["le"].notna().all() and rows["status"].eq("HLE not in data").all()

    def test_presented_table_spells_out_missing_values(self, won):
        shown = analysis.present_window_of_need(won)
        warks = shown.loc[shown["Area"] == "Warwickshire"]
        assert warks["Life expectancy (years)"].eq("not in data").all()

    def test_presented_table_shows_the_coventry_gaps(self, won):
        shown = analysis.present_window_of_need(won)
        cov = shown.loc[shown["Area"] == "Coventry", "Gap: years in not-good health"]
        assert cov.tolist() == ["18.8", "23.6"]

    def test_over_time_table_has_the_2021_23_column(self, snapshot_table):
        won_all = analysis.window_of_need(snapshot_table, [COV], period="all")
        wide = analysis.window_of_need_over_time(won_all)
        assert wide.loc[("Coventry", "Male"), "2021 - 23"] == "18.8"
