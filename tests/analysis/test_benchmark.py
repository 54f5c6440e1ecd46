"""Tests for cw_pophealth.analysis.benchmark: values compared with a benchmark area."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cw_pophealth import analysis, stats
from cw_pophealth.analysis import benchmark
from cw_pophealth.errors import NoDataError
from helpers import COV, ENG, WARKS, WM, tidy


class TestBenchmarkTable:
    @pytest.fixture
    def table(self):
        base = {"indicator_id": 93881, "period": "2022/23"}
        return tidy([
            {**base, "area_code": ENG, "value": 26.0, "lower_ci_95": 25.8, "upper_ci_95": 26.2},
            {**base, "area_code": COV, "value": 30.0, "lower_ci_95": 28.0, "upper_ci_95": 32.0},
            {**base, "area_code": WARKS, "value": 25.0, "lower_ci_95": 22.0,
             "upper_ci_95": 28.0},
            {**base, "area_code": WM, "value": 20.0, "lower_ci_95": 19.0, "upper_ci_95": 21.0},
            {**base, "indicator_id": 93015, "area_code": ENG, "value": 22.0,
             "compared_to_england": "Not compared"},
            {**base, "indicator_id": 93015, "area_code": COV, "value": 29.0,
             "compared_to_england": "Worse"},
        ])

    def _row(self, bench, code, indicator=93881):
        return bench.loc[(bench["area_code"] == code)
                         & (bench["indicator_id"] == indicator)].iloc[0]

    @pytest.mark.parametrize(("code", "label"), [
        pytest.param(COV, "Worse", id="above England, low is good"),
        pytest.param(WARKS, "Similar", id="CI contains England"),
        pytest.param(WM, "Better", id="below England, low is good"),
    ])
    def test_labels_follow_ci_overlap_and_polarity(self, table, code, label):
        bench = analysis.benchmark_table(table, "obesity", [COV, WARKS, WM, ENG])
        assert self._row(bench, code)["comparison"] == label

    def test_labels_match_stats_compare_to_benchmark(self, table):
        bench = analysis.benchmark_table(table, "obesity", [COV])
        row = self._row(bench, COV)
        assert row["comparison"] == stats.compare_to_benchmark(30.0, 28.0, 32.0, 26.0, 0)

    def test_the_benchmark_is_not_compared_with_itself(self, table):
        row = self._row(analysis.benchmark_table(table, "obesity", [ENG]), ENG)
        assert (row["comparison"], row["comparison_source"]) == ("Not compared",
                                                                  benchmark.SOURCE_SELF)

    def test_computed_comparisons_say_so(self, table):
        row = self._row(analysis.benchmark_table(table, "obesity", [COV]), COV)
        assert row["comparison_source"] == "computed (95% CI overlap)"

    def test_without_a_ci_the_published_label_is_shown_and_attributed(self, table):
        row = self._row(analysis.benchmark_table(table, "physical_inactivity", [COV]), COV,
                        93015)
        assert (row["comparison"], row["computed_comparison"], row["comparison_source"]) == (
            "Worse", "Not compared", "published by Fingertips")

    def test_published_england_labels_are_not_reused_against_a_region(self, table):
        bench = analysis.benchmark_table(table, "physical_inactivity", [COV], WM)
        assert self._row(bench, COV, 93015)["comparison"] == "Not compared"

    def test_a_region_benchmark_uses_the_region_value(self, table):
        bench = analysis.benchmark_table(table, "obesity", [COV], WM)
        row = self._row(bench, COV)
        assert (row["benchmark_value"], row["comparison"]) == (20.0, "Worse")

    def test_an_area_without_data_gets_an_explicit_row(self, table):
        bench = analysis.benchmark_table(table, "physical_inactivity", [COV, WARKS])
        row = self._row(bench, WARKS, 93015)
        assert np.isnan(row["value"]) and row["status"] == (
            "No data in snapshot for Warwickshire (93015): a live pull (cw-pophealth pull) "
            "would fetch Fingertips 93015 for it")

    def test_an_indicator_without_any_data_is_kept(self, table):
        bench = analysis.benchmark_table(table, ["obesity", "alcohol"], [COV])
        alcohol = bench.loc[bench["indicator_key"] == "alcohol"]
        assert alcohol["status"].str.startswith("No data in snapshot").all()

    def test_a_period_no_indicator_has_names_the_period(self, table):
        with pytest.raises(NoDataError, match="period='2030/31'"):
            analysis.benchmark_table(table, "obesity", [COV], period="2030/31")

    def test_99_8_limits_are_used_when_asked(self):
        table = tidy([
            {"indicator_id": 93881, "period": "2022/23", "area_code": ENG, "value": 26.0},
            {"indicator_id": 93881, "period": "2022/23", "area_code": COV, "value": 28.5,
             "lower_ci_95": 27.0, "upper_ci_95": 30.0, "lower_ci_99_8": 25.5,
             "upper_ci_99_8": 31.5},
        ])
        bench = analysis.benchmark_table(table, "obesity", [COV], confidence=0.998)
        row = self._row(bench, COV)
        assert (row["comparison"], row["comparison_source"]) == (
            "Similar", "computed (99.8% CI overlap)")


class TestBenchmarkFromTheExtracts:
    def test_each_area_shows_its_own_latest_period(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "smoking", [COV, WARKS])
        assert bench.set_index("area_code")["period"].to_dict() == {COV: "2024", WARKS: "2018"}

    def test_warwickshire_smoking_2018_is_the_january_2020_release(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "smoking", [WARKS])
        row = bench.iloc[0]
        assert (row["value"], row["lower"], row["upper"], row["earlier_release"]) == (
            14.1038, 11.6604, 16.5473, True)

    def test_the_benchmark_comes_from_the_same_release(self, snapshot_table):
        # England 2018 as Fingertips published it in January 2020, not today's 14.4.
        bench = analysis.benchmark_table(snapshot_table, "smoking", [WARKS])
        row = bench.iloc[0]
        assert (row["benchmark_value"], row["benchmark_release"]) == (14.4493, row["release"])

    def test_warwickshire_is_compared_within_its_release(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "physical_inactivity", [WARKS])
        row = bench.iloc[0]
        assert (row["period"], row["value"], row["benchmark_value"], row["comparison"]) == (
            "2017/18", 21.6086, 22.2272, "Similar")

    def test_warwickshire_alcohol_admissions_2018_19(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "alcohol_admissions", [COV, WARKS])
        got = bench.set_index("area_code")[["period", "value", "benchmark_value", "comparison"]]
        assert got.loc[WARKS].tolist() == ["2018/19", 674.71, 663.68, "Similar"]
        assert got.loc[COV].tolist() == ["2018/19", 872.25, 663.68, "Worse"]

    def test_the_current_release_is_not_flagged_earlier(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "smoking", [COV])
        assert not bench["earlier_release"].any()

    def test_alcohol_has_no_data_offline(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "alcohol", [COV, WARKS, ENG])
        assert bench["value"].isna().all()

    def test_trafford_rows_show_the_published_label(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "physical_inactivity", [COV],
                                           period="2022/23")
        row = bench.iloc[0]
        assert (row["value"], row["comparison"], row["comparison_source"]) == (
            24.5, "Similar", "published by Fingertips")

    def test_summary_has_one_row_per_area(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, ["smoking", "alcohol"], [COV, WARKS])
        summary = analysis.benchmark_summary(bench)
        assert (list(summary.index), summary.loc["Warwickshire"].iloc[1]) == (
            ["Coventry", "Warwickshire"], "no data")

    def test_summary_names_a_period_that_differs_from_the_others(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, ["smoking"], [COV, WARKS])
        summary = analysis.benchmark_summary(bench)
        assert summary.loc["Warwickshire"].iloc[0] == "14.1% (Similar), 2018"


class TestAPeriodOfAnotherType:
    def test_a_calendar_year_indicator_takes_the_matching_year(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "smoking", [COV], period="2022/23")
        row = bench.iloc[0]
        assert (row["period"], row["status"], pd.notna(row["value"])) == ("2022", "OK", True)

    def test_it_says_which_year_it_used(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "smoking", [COV], period="2022/23")
        assert bench.iloc[0]["period_note"].startswith("calendar year 2022 used for 2022/23")

    def test_an_indicator_with_the_label_keeps_it(self, snapshot_table):
        bench = analysis.benchmark_table(snapshot_table, "physical_inactivity", [COV],
                                         period="2022/23")
        assert (bench.iloc[0]["period"], bench.iloc[0]["period_note"]) == ("2022/23", "")


class TestMatchingPeriod:
    @pytest.mark.parametrize(("label", "available", "expected"), [
        pytest.param("2022/23", ["2021", "2022", "2023"], "2022", id="financial to calendar"),
        pytest.param("2022", ["2021/22", "2022/23"], "2022/23", id="calendar to financial"),
        pytest.param("2022/23", ["2020 - 22"], None, id="a 3-year period is not a match"),
        pytest.param("2022/23", [], None, id="nothing available"),
    ])
    def test_takes_the_period_overlapping_most(self, label, available, expected):
        assert analysis.selection.matching_period(label, available)[0] == expected
