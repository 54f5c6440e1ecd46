"""Tests for cw_pophealth.snapshot.walkthrough: Fingertips as of January 2020, exact values."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import catalogue, schema
from cw_pophealth.snapshot import names, walkthrough
from helpers import one

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND
STRATFORD = "E07000221"


@pytest.fixture(scope="module")
def rows(extracts_dir):
    return walkthrough.read_walkthrough(extracts_dir,
                                        references=names.load_references(extracts_dir))


# (area, indicator, sex, period, value, lower, upper) as published in January 2020.
PUBLISHED = [
    (WARKS, 90366, "Male", "2016 - 18", 79.8957, 79.6081, 80.1833),
    (WARKS, 90366, "Female", "2016 - 18", 83.6566, 83.3944, 83.9188),
    (WARKS, 92443, "Persons", "2018", 14.1038, 11.6604, 16.5473),
    (WARKS, 93015, "Persons", "2017/18", 21.6086, 20.0203, 23.2853),
    (WARKS, 93088, "Persons", "2017/18", 62.358, 60.3456, 64.4092),
    (WARKS, 91414, "Persons", "2018/19", 674.71, 653.5, 696.4),
    (COV, 91414, "Persons", "2018/19", 872.25, 838.4, 907.1),
]
VALUES_ONLY = [
    (COV, 90366, "Male", 78.5394), (COV, 90366, "Female", 82.3477),
    (COV, 92443, "Persons", 15.9278),
    (COV, 93015, "Persons", 29.5084), (COV, 93088, "Persons", 64.8085),
    (ENG, 90366, "Male", 79.6267), (ENG, 90366, "Female", 83.2127),
    (ENG, 92443, "Persons", 14.4493), (ENG, 93015, "Persons", 22.2272),
    (ENG, 93088, "Persons", 61.9804), (ENG, 91414, "Persons", 663.68),
    (STRATFORD, 90366, "Male", 81.2904), (STRATFORD, 90366, "Female", 84.6423),
    (STRATFORD, 92443, "Persons", 9.3614), (STRATFORD, 93015, "Persons", 18.6736),
    (STRATFORD, 93088, "Persons", 56.3965), (STRATFORD, 91414, "Persons", 670.78),
]


class TestPublishedValues:
    @pytest.mark.parametrize("case", PUBLISHED, ids=lambda c: f"{c[0]} {c[1]} {c[2]}")
    def test_value_and_ci_as_published(self, rows, case):
        area, ind, sex, period, value, lower, upper = case
        row = one(rows, area_code=area, indicator_id=ind, sex=sex)
        assert (row["period"], row["value"], row["lower_ci_95"], row["upper_ci_95"]) == (
            period, value, lower, upper)

    @pytest.mark.parametrize("case", VALUES_ONLY, ids=lambda c: f"{c[0]} {c[1]} {c[2]}")
    def test_value_as_published(self, rows, case):
        area, ind, sex, value = case
        assert one(rows, area_code=area, indicator_id=ind, sex=sex)["value"] == value

    def test_district_life_expectancy_cis_are_missing_not_zero(self, rows):
        row = one(rows, area_code=STRATFORD, indicator_id=90366, sex="Male")
        assert pd.isna(row["lower_ci_95"]) and "CI missing in source" in row["value_note"]

    def test_no_placeholder_zero_survives(self, rows):
        both_zero = (rows["lower_ci_95"] == 0) & (rows["upper_ci_95"] == 0)
        assert not both_zero.any() and not (rows["value"] == 0).any()

    def test_a_single_published_zero_limit_is_kept(self, rows):
        # Southend-on-Sea, outdoor space (11601): 15.108 with 95% CI 0 to 30.6724, a symmetric
        # interval clipped at zero as published, not a placeholder (the upper limit is there).
        row = one(rows, area_name="Southend-on-Sea", indicator_id=11601)
        assert (row["lower_ci_95"], row["upper_ci_95"]) == (0.0, 30.6724)

    def test_slope_index_of_inequality_is_published_to_1_dp(self, rows):
        sii = one(rows, area_code=WARKS, indicator_id=catalogue.LE_INEQUALITY_SII_ID, sex="Male")
        assert (sii["value"], sii["lower_ci_95"], sii["upper_ci_95"]) == (9.0, 8.0, 10.0)


class TestWhatTheFilesDoNotSay:
    def test_indicators_without_a_sex_filter_are_skipped_not_guessed(self, rows):
        # e.g. breastfeeding initiation (20201) is female-only in Fingertips.
        assert not rows["indicator_id"].isin([20201, 93085, 22001]).any()

    def test_the_analysts_own_series_are_skipped(self, rows):
        report = rows.attrs["report"]["lt"]
        assert report["skipped_not_fingertips"] == ["004", "005", "008", "013", "014", "015",
                                                    "016", "029"]

    def test_periods_come_from_the_meta_file(self, rows):
        row = one(rows, area_code=WARKS, indicator_id=11601, sex="Persons")
        assert (row["period"], row["period_start"], row["period_end"]) == (
            "Mar 2015 - Feb 2016", pd.Timestamp("2015-03-01"), pd.Timestamp("2016-02-29"))

    def test_the_analysts_significance_is_not_stored_as_fingertips_comparison(self, rows):
        assert rows["compared_to_england"].isna().all()


class TestCopies:
    def test_warwickshire_listed_under_two_comparator_areas_is_kept_once(self, rows):
        le = rows.loc[(rows["area_code"] == WARKS) & (rows["indicator_id"] == 90366)]
        assert len(le) == 2

    def test_areas_in_both_tiers_are_kept_once(self, rows):
        le = rows.loc[(rows["area_code"] == COV) & (rows["indicator_id"] == 90366)]
        assert set(le["source_ref"]) == {"psychty_la_ph_walkthrough/ut_data_neighbours.json"}

    def test_every_row_is_the_january_2020_release(self, rows):
        assert set(rows["release_date"]) == {pd.Timestamp("2020-02-04")}

    def test_rows_are_valid_tidy_rows(self, rows):
        assert len(schema.validate_tidy(rows.assign(current=True))) == len(rows)


class TestIndicatorList:
    def test_sex_evidence_names_the_script_line(self, extracts_dir):
        listed = walkthrough.walkthrough_indicators(extracts_dir, "ut").set_index("ID")
        assert (listed.loc["92443", "sex_evidence"], listed.loc["92443", "script_line"]) == (
            "Persons", 543)
