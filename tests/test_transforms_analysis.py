"""Tests for the analysis tables in cw_pophealth.transforms (window of need, benchmarks, profiles).

Synthetic tables pin the rules; the real extracts pin the numbers the issue names (Coventry
2021 - 23 gap 18.8 years male, 23.6 female) and the explicit "not in data" rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cw_pophealth import catalogue, schema, stats, transforms
from cw_pophealth.errors import InvalidAreaCodeError, NoDataError, UnknownAreaError

COV, WARKS, WM, ENG = (catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.WEST_MIDLANDS,
                       catalogue.ENGLAND)
AREA_TYPES = {COV: "UA", WARKS: "County", WM: "Region", ENG: "England",
              "E06000001": "UA", "E06000002": "UA", "E06000003": "UA", "E06000004": "UA"}
NAMES = {COV: "Coventry", WARKS: "Warwickshire", WM: "West Midlands", ENG: "England",
         "E06000001": "Hartlepool", "E06000002": "Middlesbrough", "E06000003": "Redcar",
         "E06000004": "Stockton"}


def tidy(rows: list[dict]) -> pd.DataFrame:
    """A small tidy table from row dicts (indicator_id, area_code, sex, period, value, ...)."""
    records = []
    for r in rows:
        records.append({
            "indicator_name": "test", "area_name": NAMES[r["area_code"]],
            "area_type": AREA_TYPES[r["area_code"]], "sex": "Persons",
            "source": r.get("source", "test source (2026-01-01)"),
            "source_ref": r.get("source_ref", "test.csv"), **r,
        })
    df = transforms.add_period_bounds(pd.DataFrame(records))
    return schema.validate_tidy(schema.coerce_tidy(df))


# ---------------------------------------------------------------------------------------------
# Window of need
# ---------------------------------------------------------------------------------------------
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

    def test_gap_is_le_minus_hle_for_the_same_period(self, table):
        won = transforms.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert won["gap"].iloc[0] == pytest.approx(18.8)

    def test_le_and_hle_from_different_periods_are_never_paired(self, table):
        won = transforms.window_of_need(table, [ENG], sexes=["Male"], period="all")
        assert won["gap"].isna().all()

    def test_missing_le_is_reported_not_filled(self, table):
        row = transforms.window_of_need(table, [WARKS], sexes=["Male"],
                                        period="2021 - 23").iloc[0]
        assert (row["status"], np.isnan(row["le"]), row["hle"]) == ("LE not in data", True, 62.1)

    def test_gap_interval_is_missing_when_le_has_no_ci(self, table):
        won = transforms.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert won[["gap_lower", "gap_upper"]].isna().all(axis=None)

    def test_gap_interval_comes_from_stats_when_both_cis_exist(self):
        table = tidy([
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 77.3, "lower_ci_95": 76.8, "upper_ci_95": 77.8},
            {"indicator_id": 90362, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 58.5, "lower_ci_95": 55.7, "upper_ci_95": 61.2},
        ])
        row = transforms.window_of_need(table, [COV], sexes=["Male"]).iloc[0]
        expected = stats.window_of_need_ci(77.3, 76.8, 77.8, 58.5, 55.7, 61.2)
        assert (row["gap"], row["gap_lower"], row["gap_upper"]) == pytest.approx(expected)

    def test_different_source_files_raise_the_vintage_caveat(self, table):
        won = transforms.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert "different publications" in won["caveat"].iloc[0]

    def test_latest_is_the_latest_period_with_both_le_and_hle(self, table):
        won = transforms.window_of_need(table, [COV, ENG], sexes=["Male"])
        assert set(won["period"]) == {"2021 - 23"}

    def test_hle_above_le_is_flagged_not_subtracted(self):
        table = tidy([
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 50.0},
            {"indicator_id": 90362, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": 58.5},
        ])
        row = transforms.window_of_need(table, [COV], sexes=["Male"]).iloc[0]
        assert np.isnan(row["gap"]) and row["status"].startswith("HLE above LE")

    def test_an_absent_period_names_the_period_parameter(self, table):
        with pytest.raises(NoDataError, match="period='2030 - 32'"):
            transforms.window_of_need(table, [COV], period="2030 - 32")

    def test_method_note_travels_with_the_table(self, table):
        won = transforms.window_of_need(table, [COV], sexes=["Male"])
        assert won.attrs["method"] == stats.WINDOW_OF_NEED_METHOD


@pytest.fixture(scope="module")
def won(snapshot_table):
    """Window of need for the default C&W selection, 2021 - 23, from the real extracts."""
    areas = transforms.area_selection([COV, WARKS], [WM, ENG])
    return transforms.window_of_need(snapshot_table, areas, period="2021 - 23")


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
        shown = transforms.present_window_of_need(won)
        warks = shown.loc[shown["Area"] == "Warwickshire"]
        assert warks["Life expectancy (years)"].eq("not in data").all()

    def test_presented_table_shows_the_coventry_gaps(self, won):
        shown = transforms.present_window_of_need(won)
        cov = shown.loc[shown["Area"] == "Coventry", "Gap: years in not-good health"]
        assert cov.tolist() == ["18.8", "23.6"]

    def test_over_time_table_has_the_2021_23_column(self, snapshot_table):
        won_all = transforms.window_of_need(snapshot_table, [COV], period="all")
        wide = transforms.window_of_need_over_time(won_all)
        assert wide.loc[("Coventry", "Male"), "2021 - 23"] == "18.8"


class TestAreaSelection:
    def test_counties_are_followed_by_their_districts_then_comparators(self, extracts_settings):
        areas = transforms.area_selection([COV, WARKS], [WM, ENG])
        expected = [COV, WARKS, *catalogue.WARWICKSHIRE_DISTRICTS, WM, ENG]
        assert areas["area_code"].tolist() == expected

    def test_districts_can_be_left_out(self, extracts_settings):
        areas = transforms.area_selection([WARKS], include_districts=False)
        assert areas["area_code"].tolist() == [WARKS]

    def test_a_malformed_code_names_its_parameter(self, extracts_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"area_codes\[1\]"):
            transforms.area_selection([COV, "Coventry"])

    def test_an_unknown_code_names_its_parameter(self, extracts_settings):
        with pytest.raises(UnknownAreaError, match=r"comparator_codes\[0\]"):
            transforms.area_selection([COV], ["E12999999"])


# ---------------------------------------------------------------------------------------------
# Benchmark tables
# ---------------------------------------------------------------------------------------------
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
        bench = transforms.benchmark_table(table, "obesity", [COV, WARKS, WM, ENG])
        assert self._row(bench, code)["comparison"] == label

    def test_labels_match_stats_compare_to_benchmark(self, table):
        bench = transforms.benchmark_table(table, "obesity", [COV])
        row = self._row(bench, COV)
        assert row["comparison"] == stats.compare_to_benchmark(30.0, 28.0, 32.0, 26.0, 0)

    def test_the_benchmark_is_not_compared_with_itself(self, table):
        row = self._row(transforms.benchmark_table(table, "obesity", [ENG]), ENG)
        assert (row["comparison"], row["comparison_source"]) == ("Not compared",
                                                                  transforms.SOURCE_SELF)

    def test_computed_comparisons_say_so(self, table):
        row = self._row(transforms.benchmark_table(table, "obesity", [COV]), COV)
        assert row["comparison_source"] == "computed (95% CI overlap)"

    def test_without_a_ci_the_published_label_is_shown_and_attributed(self, table):
        row = self._row(transforms.benchmark_table(table, "physical_inactivity", [COV]), COV,
                        93015)
        assert (row["comparison"], row["computed_comparison"], row["comparison_source"]) == (
            "Worse", "Not compared", "published by Fingertips")

    def test_published_england_labels_are_not_reused_against_a_region(self, table):
        bench = transforms.benchmark_table(table, "physical_inactivity", [COV], WM)
        assert self._row(bench, COV, 93015)["comparison"] == "Not compared"

    def test_a_region_benchmark_uses_the_region_value(self, table):
        bench = transforms.benchmark_table(table, "obesity", [COV], WM)
        row = self._row(bench, COV)
        assert (row["benchmark_value"], row["comparison"]) == (20.0, "Worse")

    def test_an_area_without_data_gets_an_explicit_row(self, table):
        bench = transforms.benchmark_table(table, "physical_inactivity", [COV, WARKS])
        row = self._row(bench, WARKS, 93015)
        assert np.isnan(row["value"]) and row["status"] == (
            "No data in snapshot for Warwickshire (93015)")

    def test_an_indicator_without_any_data_is_kept(self, table):
        bench = transforms.benchmark_table(table, ["obesity", "alcohol"], [COV])
        alcohol = bench.loc[bench["indicator_key"] == "alcohol"]
        assert alcohol["status"].str.startswith("No data in snapshot").all()

    def test_a_period_no_indicator_has_names_the_period(self, table):
        with pytest.raises(NoDataError, match="period='2030/31'"):
            transforms.benchmark_table(table, "obesity", [COV], period="2030/31")

    def test_99_8_limits_are_used_when_asked(self):
        table = tidy([
            {"indicator_id": 93881, "period": "2022/23", "area_code": ENG, "value": 26.0},
            {"indicator_id": 93881, "period": "2022/23", "area_code": COV, "value": 28.5,
             "lower_ci_95": 27.0, "upper_ci_95": 30.0, "lower_ci_99_8": 25.5,
             "upper_ci_99_8": 31.5},
        ])
        bench = transforms.benchmark_table(table, "obesity", [COV], confidence=0.998)
        row = self._row(bench, COV)
        assert (row["comparison"], row["comparison_source"]) == (
            "Similar", "computed (99.8% CI overlap)")


class TestBenchmarkFromTheExtracts:
    def test_warwickshire_smoking_is_missing_with_a_status(self, snapshot_table):
        bench = transforms.benchmark_table(snapshot_table, "smoking", [COV, WARKS])
        row = bench.loc[bench["area_code"] == WARKS].iloc[0]
        assert row["status"] == "No data in snapshot for Warwickshire (92443)"

    def test_alcohol_has_no_data_offline(self, snapshot_table):
        bench = transforms.benchmark_table(snapshot_table, "alcohol", [COV, WARKS, ENG])
        assert bench["value"].isna().all()

    def test_trafford_rows_show_the_published_label(self, snapshot_table):
        bench = transforms.benchmark_table(snapshot_table, "physical_inactivity", [COV],
                                           period="2022/23")
        row = bench.iloc[0]
        assert (row["value"], row["comparison"], row["comparison_source"]) == (
            24.5, "Similar", "published by Fingertips")

    def test_summary_has_one_row_per_area(self, snapshot_table):
        bench = transforms.benchmark_table(snapshot_table, ["smoking", "obesity"], [COV, WARKS])
        summary = transforms.benchmark_summary(bench)
        assert summary.loc["Warwickshire"].iloc[0] == "no data"


class TestTrends:
    def test_trend_table_keeps_every_period_an_area_has(self, snapshot_table):
        trend = transforms.trend_table(snapshot_table, "obesity", [COV])
        assert len(trend) == 10

    def test_rolling_periods_cannot_be_trend_tested(self, snapshot_table):
        recent = transforms.recent_trends(snapshot_table, "healthy_life_expectancy", [COV])
        assert recent["trend"].eq(stats.CANNOT_BE_CALCULATED).all()

    def test_sources_without_counts_or_cis_give_the_reason(self, snapshot_table):
        recent = transforms.recent_trends(snapshot_table, "smoking", [COV])
        assert "neither counts nor confidence intervals" in recent["reason"].iloc[0]

    def test_proportions_with_cis_use_the_weighted_method(self, snapshot_table):
        recent = transforms.recent_trends(snapshot_table, "obesity", [ENG])
        assert recent["method"].iloc[0].startswith("weighted least squares")


# ---------------------------------------------------------------------------------------------
# Area profile (spine chart table)
# ---------------------------------------------------------------------------------------------
class TestAreaProfileTable:
    @pytest.fixture
    def table(self):
        base = {"indicator_id": 93881, "period": "2022/23"}
        values = {COV: 30.0, "E06000001": 10.0, "E06000002": 20.0, "E06000003": 40.0,
                  "E06000004": 50.0}
        rows = [{**base, "area_code": code, "value": v, "lower_ci_95": v - 1,
                 "upper_ci_95": v + 1} for code, v in values.items()]
        rows.append({**base, "area_code": ENG, "value": 25.0})
        rows.append({**base, "area_code": WM, "value": 99.0})  # a region: not a peer of a UA
        return tidy(rows)

    @pytest.fixture
    def row(self, table):
        return transforms.area_profile_table(table, COV, indicators=["obesity"]).iloc[0]

    def test_quantiles_are_r_type_7_over_peers_of_the_same_tier(self, row):
        assert (row["minimum"], row["q25"], row["q75"], row["maximum"], row["n_areas"]) == (
            10.0, 20.0, 40.0, 50.0, 5)

    def test_low_is_good_puts_the_lowest_value_at_best(self, row):
        assert (row["best"], row["worst"]) == (10.0, 50.0)

    def test_spine_is_centred_on_england_and_better_is_right(self, row):
        # half range = max(|10 - 25|, |50 - 25|) = 25; low is good, so 10 is at +0.6.
        assert (row["half_range"], row["spine_best"], row["spine_worst"],
                row["spine_area"]) == pytest.approx((25.0, 0.6, -1.0, -0.2))

    def test_spine_q25_is_always_the_worse_quartile(self, row):
        assert row["spine_q25"] < row["spine_q75"]

    def test_an_indicator_without_data_gets_an_explicit_row(self, table):
        profile = transforms.area_profile_table(table, COV, indicators=["obesity", "alcohol"])
        alcohol = profile.loc[profile["indicator_key"] == "alcohol"].iloc[0]
        assert alcohol["status"] == "No data in snapshot for Coventry (92778)"

    def test_every_core_indicator_appears_for_a_real_area(self, snapshot_table):
        profile = transforms.area_profile_table(snapshot_table, "E06000001")
        assert set(profile["indicator_key"]) == {s.key for s in catalogue.CORE_INDICATORS}

    def test_presented_profile_reads_no_data(self, snapshot_table):
        profile = transforms.area_profile_table(snapshot_table, WARKS)
        shown = transforms.present_area_profile(profile)
        assert shown.loc[shown["Indicator"].str.contains("92778"), "Area value"].iloc[0] == (
            "no data")
