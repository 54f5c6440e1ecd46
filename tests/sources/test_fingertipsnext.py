"""Contract test: FingertipsNext's recorded response shape maps to the tidy schema.

The body is a trimmed copy of a recorded-shaped fixture of dhsc-govuk/FingertipsNext
(provenance in ``tests/data/fingertipsnext_indicator_data_example.provenance.md``). If
FingertipsNext changes the shape, the first class fails and says which keys moved.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from cw_pophealth import schema, sources
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.sources.fingertipsnext import (
    FingertipsNextSource,
    period_label,
    tidy_from_fingertipsnext,
)

EXAMPLE = (Path(__file__).resolve().parents[1] / "data"
           / "fingertipsnext_indicator_data_example.json")
URL = "https://fingertips-next.example/api/indicators/41101/data?area_codes=E12000007"


@pytest.fixture(scope="module")
def body() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows(body) -> pd.DataFrame:
    return tidy_from_fingertipsnext(body, source_ref=URL, area_type="regions")


def row(rows: pd.DataFrame, sex: str, period: str) -> pd.Series:
    found = rows.loc[(rows["sex"] == sex) & (rows["period"] == period)]
    assert len(found) == 1
    return found.iloc[0]


class TestRecordedShape:
    def test_top_level_keys_are_in_the_recorded_order(self, body):
        assert list(body) == ["name", "benchmarkMethod", "areaHealthData", "indicatorId",
                              "polarity", "frequency"]

    def test_a_segment_has_age_sex_reporting_period_and_health_data(self, body):
        segment = body["areaHealthData"][0]["indicatorSegments"][0]
        assert list(segment) == ["age", "sex", "reportingPeriod", "isAggregate", "healthData"]

    def test_a_data_point_has_the_recorded_fields(self, body):
        point = body["areaHealthData"][0]["indicatorSegments"][0]["healthData"][0]
        assert list(point) == ["datePeriod", "count", "value", "lowerCi", "upperCi",
                               "deprivation", "trend", "benchmarkComparison", "isAggregate"]


class TestMappingOfTheRecordedResponse:
    def test_the_rows_pass_the_tidy_schema(self, rows):
        pd.testing.assert_frame_equal(schema.validate_tidy(rows), rows)

    def test_one_row_per_segment_and_data_point(self, rows):
        assert len(rows) == 4

    def test_the_indicator_comes_from_the_body(self, rows):
        assert set(zip(rows["indicator_id"], rows["indicator_name"], strict=True)) == {
            (41101, "Emergency readmissions within 30 days of discharge from hospital")}

    def test_the_area_is_kept_with_its_published_name(self, rows):
        assert set(zip(rows["area_code"], rows["area_name"], strict=True)) == {
            ("E12000007", "London Region")}

    def test_the_area_type_comes_from_the_code(self, rows):
        assert set(rows["area_type"]) == {"Region"}

    def test_a_financial_year_gets_the_legacy_label_and_exact_dates(self, rows):
        point = row(rows, "Female", "2013/14")
        assert (point["period_start"], point["period_end"]) == (
            pd.Timestamp("2013-04-01"), pd.Timestamp("2014-03-31"))

    def test_values_limits_and_counts_are_carried_unchanged(self, rows):
        point = row(rows, "Female", "2013/14")
        assert (point["value"], point["lower_ci_95"], point["upper_ci_95"], point["count"]) == (
            12.5, 12.3, 12.6, 52910.0)

    def test_the_95_method_fills_the_95_limits_only(self, rows):
        assert rows["lower_ci_99_8"].isna().all() and rows["lower_ci_95"].notna().all()

    def test_the_england_benchmark_fills_compared_to_england(self, rows):
        assert (row(rows, "Female", "2013/14")["compared_to_england"],
                row(rows, "Persons", "2023/24")["compared_to_england"]) == ("Worse", "Similar")

    def test_the_trend_is_carried_as_published(self, rows):
        assert row(rows, "Persons", "2023/24")["recent_trend"] == "Cannot be calculated"

    def test_what_the_new_api_lacks_stays_missing(self, rows):
        assert rows[["denominator", "value_note", "compared_to_parent",
                     "parent_code"]].isna().all().all()

    def test_the_reporting_period_gives_the_time_period_range(self, rows):
        assert set(rows["time_period_range"]) == {"1y"}

    def test_every_row_names_its_source_and_request(self, rows):
        assert set(rows["source"]) == {"FingertipsNext API"} and set(rows["source_ref"]) == {
            URL}


class TestMappingVariants:
    def test_a_sub_national_benchmark_fills_the_parent(self, body):
        changed = copy.deepcopy(body)
        point = changed["areaHealthData"][0]["indicatorSegments"][0]["healthData"][0]
        point["benchmarkComparison"].update(benchmarkAreaCode="E12000007",
                                            benchmarkAreaName="London Region",
                                            outcome="Higher")
        rows = tidy_from_fingertipsnext(changed, source_ref=URL)
        first = rows.loc[rows["compared_to_parent"].notna()].iloc[0]
        assert (first["parent_code"], first["compared_to_parent"]) == ("E12000007", "Higher")

    def test_a_deprivation_breakdown_becomes_a_category_row(self, body):
        changed = copy.deepcopy(body)
        point = changed["areaHealthData"][0]["indicatorSegments"][1]["healthData"][0]
        point["deprivation"] = {"sequence": 10, "value": "Most deprived decile",
                                "type": "Deprivation deciles", "isAggregate": False}
        rows = tidy_from_fingertipsnext(changed, source_ref=URL)
        assert rows["category"].dropna().tolist() == ["Most deprived decile"]

    def test_a_quintile_outcome_takes_the_legacy_label(self, body):
        changed = copy.deepcopy(body)
        point = changed["areaHealthData"][0]["indicatorSegments"][0]["healthData"][0]
        point["benchmarkComparison"]["outcome"] = "Lowest"
        rows = tidy_from_fingertipsnext(changed, source_ref=URL)
        assert "Lowest quintile" in set(rows["compared_to_england"])

    def test_a_body_of_another_shape_is_schema_drift(self, body):
        drifted = {k: v for k, v in body.items() if k != "areaHealthData"}
        with pytest.raises(SchemaDriftError, match="areaHealthData"):
            tidy_from_fingertipsnext(drifted, source_ref=URL)


class TestPeriodLabel:
    @pytest.mark.parametrize("kind, start, end, reporting, label", [
        ("Calendar", "2023-01-01", "2023-12-31", "Yearly", "2023"),
        ("Calendar", "2021-01-01", "2023-12-31", "ThreeYearly", "2021 - 23"),
        ("Financial", "2022-04-01", "2023-03-31", "Yearly", "2022/23"),
        ("Financial", "2019-04-01", "2022-03-31", "ThreeYearly", "2019/20 - 21/22"),
        ("Financial", "2023-07-01", "2023-09-30", "Quarterly", "2023/24 Q2"),
    ], ids=["calendar year", "3 calendar years", "financial year", "3 financial years",
            "financial quarter"])
    def test_matches_the_legacy_labels(self, kind, start, end, reporting, label):
        assert period_label({"type": kind, "from": start, "to": end}, reporting, "t") == label

    def test_a_monthly_period_is_refused_with_its_kind(self):
        with pytest.raises(SchemaDriftError, match="'Monthly'"):
            period_label({"type": "Calendar", "from": "2023-01-01", "to": "2023-01-31"},
                         "Monthly", "t")


class TestFingertipsNextSource:
    def test_is_a_tidy_source(self):
        assert isinstance(FingertipsNextSource([EXAMPLE]), sources.TidySource)

    def test_loads_saved_bodies(self):
        assert len(sources.load(FingertipsNextSource([EXAMPLE], area_type="regions"))) == 4

    def test_analysis_reads_its_rows_unchanged(self):
        from cw_pophealth.analysis import latest_period

        table = sources.load(FingertipsNextSource([EXAMPLE]))
        assert latest_period(table) == "2023/24"
