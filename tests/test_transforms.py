"""Tests for cw_pophealth.transforms: periods, area types and Fingertips CSV to tidy."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import schema, transforms
from cw_pophealth.errors import NoDataError, SchemaDriftError

EXPORT_2017 = "api_samples/fingertips_export_indicators-CountyUA.data.csv"


class TestParsePeriod:
    @pytest.mark.parametrize(
        ("label", "start", "end"),
        [
            pytest.param("2023", "2023-01-01", "2023-12-31", id="calendar year"),
            pytest.param("2022/23", "2022-04-01", "2023-03-31", id="financial year"),
            pytest.param("2021 - 23", "2021-01-01", "2023-12-31", id="3-year rolling"),
            pytest.param("2009-11", "2009-01-01", "2011-12-31", id="range without spaces"),
            pytest.param("1999 - 01", "1999-01-01", "2001-12-31", id="range across a century"),
            pytest.param("2015/16 - 17/18", "2015-04-01", "2018-03-31", id="financial range"),
            pytest.param("2019/20 Q4", "2020-01-01", "2020-03-31", id="financial quarter"),
            pytest.param("2022-11-16/P1Y", "2022-11-16", "2023-11-15", id="ISO one year"),
            pytest.param("2021-01-01/P3Y", "2021-01-01", "2023-12-31", id="ISO three years"),
        ],
    )
    def test_label_gives_first_and_last_day(self, label, start, end):
        assert transforms.parse_period(label) == (pd.Timestamp(start), pd.Timestamp(end))

    def test_unknown_label_is_quoted_in_the_error(self):
        with pytest.raises(ValueError, match="'Spring 2020'"):
            transforms.parse_period("Spring 2020")


class TestFingertipsPeriodLabel:
    @pytest.mark.parametrize(
        ("iso", "label"),
        [("2021-01-01/P3Y", "2021 - 23"), ("2022-11-16/P1Y", "2022/23"),
         ("2019-01-01/P1Y", "2019"), ("2098-01-01/P3Y", "2098 - 00")],
    )
    def test_iso_period_gets_the_fingertips_label(self, iso, label):
        assert transforms.fingertips_period_label(iso) == label


class TestAddPeriodBounds:
    def test_each_row_gets_the_bounds_of_its_own_label_and_a_missing_label_gets_none(self):
        frame = pd.DataFrame({"period": pd.array(["2022/23", None, "2021 - 23", "2022/23"],
                                                 dtype="string")})
        out = transforms.add_period_bounds(frame)
        assert out["period_start"].tolist()[::2] == [pd.Timestamp(2022, 4, 1),
                                                    pd.Timestamp(2021, 1, 1)]
        assert out["period_end"].tolist()[::2] == [pd.Timestamp(2023, 3, 31),
                                                  pd.Timestamp(2023, 12, 31)]
        assert out["period_start"][3] == pd.Timestamp(2022, 4, 1)
        assert pd.isna(out["period_start"][1]) and pd.isna(out["period_end"][1])

    def test_a_frame_with_no_labels_gets_empty_bounds(self):
        out = transforms.add_period_bounds(pd.DataFrame({"period": pd.array([], dtype="string")}))
        assert list(out.columns) == ["period", "period_start", "period_end"]
        assert out.empty


class TestIsRollingPeriod:
    def test_three_year_period_is_rolling(self):
        assert transforms.is_rolling_period("2021 - 23")

    def test_single_financial_year_is_not_rolling(self):
        assert not transforms.is_rolling_period("2022/23")


class TestNormaliseAreaType:
    def test_code_prefix_decides_the_type(self):
        codes = pd.Series(["E92000001", "E12000005", "E10000031", "E08000026", "E07000218"])
        published = pd.Series(["Country", "Region", "County & UA", "Local Authority District",
                               "District"])
        assert transforms.normalise_area_type(codes, published).tolist() == [
            "England", "Region", "County", "UA", "District"]

    def test_unknown_prefix_keeps_the_published_label(self):
        out = transforms.normalise_area_type(pd.Series(["W06000001"]), pd.Series(["UA (Wales)"]))
        assert out.tolist() == ["UA (Wales)"]


class TestTidyFromFingertipsCsv:
    @pytest.fixture()
    def export(self, extracts_dir):
        raw = pd.read_csv(extracts_dir / EXPORT_2017, dtype=str, keep_default_na=False)
        numeric = ["Indicator ID", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
                   "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator"]
        return raw.assign(**{c: pd.to_numeric(raw[c].replace("", None)) for c in numeric})

    def test_real_2017_export_becomes_a_valid_tidy_table(self, export):
        tidy = transforms.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        assert list(tidy.columns) == list(schema.TIDY_COLUMNS)

    def test_category_rows_are_dropped_by_default(self, export):
        tidy = transforms.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        headline = (export["Category Type"].str.strip() == "").sum()
        assert len(tidy) == headline

    def test_category_rows_are_kept_on_request(self, export):
        tidy = transforms.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                                   include_categories=True)
        assert len(tidy) == len(export)

    def test_unrounded_values_are_kept_exactly(self, export):
        tidy = transforms.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        raw = export.loc[export["Category Type"].str.strip() == "", "Value"]
        pd.testing.assert_series_equal(tidy["value"], pd.to_numeric(raw).reset_index(drop=True),
                                       check_names=False, check_exact=True)

    def test_region_comparison_column_lands_in_compared_to_parent(self, export):
        tidy = transforms.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        assert tidy["compared_to_parent"].notna().any()

    def test_a_missing_required_column_is_schema_drift(self, export):
        drifted = export.rename(columns={"Value": "Indicator value"})
        with pytest.raises(SchemaDriftError, match=r"\['Value'\].*'Indicator value'"):
            transforms.tidy_from_fingertips_csv(drifted, source="t", source_ref="u")

    def test_other_parent_comparison_name_is_accepted(self, export):
        renamed = export.rename(columns={
            "Compared to Region value or percentiles":
                "Compared to Regions (statistical) value or percentiles"})
        tidy = transforms.tidy_from_fingertips_csv(renamed, source="t", source_ref="u")
        assert tidy["compared_to_parent"].notna().any()


def synthetic_two_sources() -> pd.DataFrame:
    """SYNTHETIC rows: one observation published by two sources."""
    base = dict(indicator_id=90362, indicator_name="HLE", area_code="E08000026",
                area_name="Coventry", area_type="UA", sex="Male", period="2021 - 23",
                period_start=pd.Timestamp("2021-01-01"), period_end=pd.Timestamp("2023-12-31"))
    return schema.coerce_tidy(pd.DataFrame([
        {**base, "value": 58.5, "source": "trafford_themes: x", "source_ref": "a"},
        {**base, "value": 58.5, "lower_ci_95": 55.7, "upper_ci_95": 61.2,
         "source": "ons_els: y", "source_ref": "b"},
    ]))


class TestDeduplicateSources:
    def test_preferred_source_wins(self):
        out = transforms.deduplicate_sources(synthetic_two_sources(), ["ons_els", "trafford"])
        assert out["source_ref"].tolist() == ["b"]

    def test_priority_order_is_respected_when_reversed(self):
        out = transforms.deduplicate_sources(synthetic_two_sources(), ["trafford", "ons_els"])
        assert out["source_ref"].tolist() == ["a"]

    def test_disagreement_beyond_rounding_is_logged(self, caplog):
        df = synthetic_two_sources()
        df.loc[0, "value"] = 60.0
        transforms.deduplicate_sources(df, ["ons_els"])
        assert "differ between sources" in caplog.text


class TestLatestPeriod:
    def test_latest_by_end_date(self):
        df = pd.DataFrame({"period": ["2021 - 23", "2022/23", "2023"],
                           "period_start": pd.to_datetime(["2021-01-01", "2022-04-01",
                                                           "2023-01-01"]),
                           "period_end": pd.to_datetime(["2023-12-31", "2023-03-31",
                                                         "2023-12-31"])})
        assert transforms.latest_period(df) == "2023"

    def test_empty_frame_raises_no_data(self):
        with pytest.raises(NoDataError):
            transforms.latest_period(pd.DataFrame(columns=["period", "period_start",
                                                           "period_end"]))
