"""Tests for cw_pophealth.analysis.window_of_need: LE minus HLE, paired by period, sex and area."""

from __future__ import annotations

import numpy as np
import pandas as pd
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

    def test_one_release_pairs_without_a_caveat(self, table):
        won = analysis.window_of_need(table, [COV], sexes=["Male"], period="2021 - 23")
        assert (won["pairing"].iloc[0], won["caveat"].iloc[0]) == ("same release", "")

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


JAN_2020, JUN_2020, ONS_2026 = (pd.Timestamp("2020-02-04"), pd.Timestamp("2020-06-18"),
                                pd.Timestamp("2026-02-19"))


class TestReleasePairing:
    """SYNTHETIC values; the release dates are those of the real extracts."""

    @staticmethod
    def rows(*hle_releases, le_release=("January 2020", JAN_2020)):
        le = {"indicator_id": 90366, "area_code": WARKS, "sex": "Male", "period": "2016 - 18",
              "value": 80.0, "release": le_release[0], "release_date": le_release[1]}
        hle = [{"indicator_id": 90362, "area_code": WARKS, "sex": "Male", "period": "2016 - 18",
                "value": value, "release": name, "release_date": date, "current": current,
                "superseded_by": None if current else "ONS 2026"}
               for value, name, date, current in hle_releases]
        return tidy([le, *hle])

    def test_le_pairs_with_the_hle_of_its_release_even_when_superseded(self):
        table = self.rows((65.0, "June 2020", JUN_2020, False), (66.0, "ONS 2026", ONS_2026, True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert (row["hle"], row["gap"], row["hle_release"]) == (65.0, 15.0, "June 2020")

    def test_the_pairing_says_why_the_releases_belong_together(self):
        table = self.rows((65.0, "June 2020", JUN_2020, False), (66.0, "ONS 2026", ONS_2026, True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert row["pairing"] == ("contemporaneous releases: both pre-2021-Census, HLE "
                                  "released 135 days after LE")

    def test_contemporaneous_releases_carry_a_caveat_naming_both(self):
        table = self.rows((65.0, "June 2020", JUN_2020, False), (66.0, "ONS 2026", ONS_2026, True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert row["caveat"].startswith("LE (January 2020) and HLE (June 2020)")

    def test_releases_on_different_population_bases_are_never_subtracted(self):
        table = self.rows((66.0, "ONS 2026", ONS_2026, True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert (np.isnan(row["gap"]), row["hle"], row["status"]) == (
            True, 66.0, "LE and HLE are from releases that cannot be paired: gap not shown")

    def test_the_refusal_names_the_population_bases(self):
        table = self.rows((66.0, "ONS 2026", ONS_2026, True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert row["pairing"] == ("not paired: different population bases: LE "
                                  "pre-2021-Census, HLE Census-2021-rebased")

    def test_releases_more_than_a_year_apart_are_not_paired(self):
        table = self.rows((65.0, "2018", pd.Timestamp("2018-12-01"), True))
        row = analysis.window_of_need(table, [WARKS], sexes=["Male"]).iloc[0]
        assert row["pairing"] == "not paired: releases 430 days apart (more than a year)"

    def test_latest_is_each_areas_own_latest_pair(self):
        table = pd.concat([self.rows((65.0, "June 2020", JUN_2020, True)), tidy([
            {"indicator_id": i, "area_code": COV, "sex": "Male", "period": "2021 - 23",
             "value": v} for i, v in ((90366, 77.3), (90362, 58.5))])])
        won = analysis.window_of_need(table, [COV, WARKS], sexes=["Male"])
        assert won.set_index("area_code")["period"].to_dict() == {COV: "2021 - 23",
                                                                  WARKS: "2016 - 18"}


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

    @pytest.mark.parametrize(("sex", "le", "hle"), [("Male", 79.8957, 64.8),
                                                  ("Female", 83.6566, 63.9)])
    def test_warwickshire_2016_18_pairs_january_2020_le_with_the_pre_2019_hle(
            self, snapshot_table, sex, le, hle):
        row = analysis.window_of_need(snapshot_table, [WARKS], sexes=[sex]).iloc[0]
        assert (row["period"], row["le"], row["hle"], row["gap"]) == pytest.approx(
            ("2016 - 18", le, hle, le - hle))

    def test_warwickshire_gaps_are_15_1_and_19_8_years(self, snapshot_table):
        won = analysis.window_of_need(snapshot_table, [WARKS])
        assert won["gap"].round(4).tolist() == [15.0957, 19.7566]

    def test_warwickshire_pair_names_both_releases(self, snapshot_table):
        row = analysis.window_of_need(snapshot_table, [WARKS], sexes=["Female"]).iloc[0]
        assert (row["le_release"], row["hle_release"], row["earlier_release"]) == (
            "Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough "
            "@fb261d4)", "Fingertips as of June 2020 (fingertipsR pull, Counties & UAs pre "
            "4/19, traffordDataLab/dashboard @24d9348)", True)

    def test_warwickshire_never_pairs_with_todays_revised_hle(self, snapshot_table):
        # ONS's current Warwickshire female HLE 2016 - 18 is 66.2: a gap of 17.5, not 19.8.
        row = analysis.window_of_need(snapshot_table, [WARKS], sexes=["Female"],
                                      period="2016 - 18").iloc[0]
        assert row["hle"] == 63.9

    def test_coventry_latest_pair_is_2022_24_of_the_current_releases(self, snapshot_table):
        won = analysis.window_of_need(snapshot_table, [COV])
        assert set(won["period"]) == {"2022 - 24"} and not won["earlier_release"].any()

    def test_over_time_table_has_the_2021_23_column(self, snapshot_table):
        won_all = analysis.window_of_need(snapshot_table, [COV], period="all")
        wide = analysis.window_of_need_over_time(won_all)
        assert wide.loc[("Coventry", "Male"), "2021 - 23"] == "18.8"


class TestSexesParameter:
    def test_persons_blames_the_parameter_not_the_data(self, snapshot_table):
        with pytest.raises(ParameterError, match=r"sexes=\['Persons'\].*published for Male, "
                                                 r"Female only.*Use sexes: \[Male, Female\]"):
            analysis.window_of_need(snapshot_table, [COV], sexes=["Persons"])
