"""Tests for cw_pophealth.fingertips.parse: the one owner of the Fingertips CSV format."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import schema
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.fingertips import parse

EXPORT_2017 = "api_samples/fingertips_export_indicators-CountyUA.data.csv"


class TestTidyFromFingertipsCsv:
    @pytest.fixture()
    def export(self, extracts_dir):
        raw = pd.read_csv(extracts_dir / EXPORT_2017, dtype=str, keep_default_na=False)
        numeric = ["Indicator ID", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
                   "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator"]
        return raw.assign(**{c: pd.to_numeric(raw[c].replace("", None)) for c in numeric})

    def test_real_2017_export_becomes_a_valid_tidy_table(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        assert list(tidy.columns) == list(schema.TIDY_COLUMNS)

    def test_category_rows_are_dropped_by_default(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        headline = (export["Category Type"].str.strip() == "").sum()
        assert len(tidy) == headline

    def test_category_rows_are_kept_on_request(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                                   include_categories=True)
        assert len(tidy) == len(export)

    def test_unrounded_values_are_kept_exactly(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        raw = export.loc[export["Category Type"].str.strip() == "", "Value"]
        pd.testing.assert_series_equal(tidy["value"], pd.to_numeric(raw).reset_index(drop=True),
                                       check_names=False, check_exact=True)

    def test_region_comparison_column_lands_in_compared_to_parent(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017)
        assert tidy["compared_to_parent"].notna().any()

    def test_a_missing_required_column_is_schema_drift(self, export):
        drifted = export.rename(columns={"Value": "Indicator value"})
        with pytest.raises(SchemaDriftError, match=r"\['Value'\].*'Indicator value'"):
            parse.tidy_from_fingertips_csv(drifted, source="t", source_ref="u")

    def test_other_parent_comparison_name_is_accepted(self, export):
        renamed = export.rename(columns={
            "Compared to Region value or percentiles":
                "Compared to Regions (statistical) value or percentiles"})
        tidy = parse.tidy_from_fingertips_csv(renamed, source="t", source_ref="u")
        assert tidy["compared_to_parent"].notna().any()


class TestFingertipsHeader:
    def test_current_header_has_27_columns_including_time_period_range(self):
        assert len(parse.FINGERTIPS_CSV_COLUMNS) == 27 and "Time period range" in (
            parse.FINGERTIPS_CSV_COLUMNS)

    def test_2017_header_is_the_exact_26_columns_of_the_real_export(self, extracts_dir):
        header = (extracts_dir / "api_samples/fingertips_export_indicators-CountyUA.data.csv"
                  ).read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split(",")) == parse.FINGERTIPS_CSV_COLUMNS_2017

