"""Tests for cw_pophealth.fingertips.parse: the one owner of the Fingertips CSV format."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import schema
from cw_pophealth.errors import MalformedResponseError, SchemaDriftError
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
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="test", release_date="2017-01-01")
        assert list(tidy.columns) == list(schema.TIDY_COLUMNS)

    def test_every_row_carries_the_release_given_and_is_current(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="Fingertips API, retrieved 2026-12-02",
                                             release_date="2026-12-02")
        assert (set(tidy["release"]), set(tidy["release_date"]), set(tidy["current"])) == (
            {"Fingertips API, retrieved 2026-12-02"}, {pd.Timestamp("2026-12-02")}, {True})

    def test_category_rows_are_dropped_by_default(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="test", release_date="2017-01-01")
        headline = (export["Category Type"].str.strip() == "").sum()
        assert len(tidy) == headline

    def test_category_rows_are_kept_on_request(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="test", release_date="2017-01-01",
                                             include_categories=True)
        assert len(tidy) == len(export)

    def test_unrounded_values_are_kept_exactly(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="test", release_date="2017-01-01")
        raw = export.loc[export["Category Type"].str.strip() == "", "Value"]
        pd.testing.assert_series_equal(tidy["value"], pd.to_numeric(raw).reset_index(drop=True),
                                       check_names=False, check_exact=True)

    def test_region_comparison_column_lands_in_compared_to_parent(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                             release="test", release_date="2017-01-01")
        assert tidy["compared_to_parent"].notna().any()

    def test_a_missing_required_column_is_schema_drift(self, export):
        drifted = export.rename(columns={"Value": "Indicator value"})
        with pytest.raises(SchemaDriftError, match=r"\['Value'\].*'Indicator value'"):
            parse.tidy_from_fingertips_csv(drifted, source="t", source_ref="u", release="t",
                                          release_date="2017-01-01")

    def test_other_parent_comparison_name_is_accepted(self, export):
        renamed = export.rename(columns={
            "Compared to Region value or percentiles":
                "Compared to Regions (statistical) value or percentiles"})
        tidy = parse.tidy_from_fingertips_csv(renamed, source="t", source_ref="u", release="t",
                                          release_date="2017-01-01")
        assert tidy["compared_to_parent"].notna().any()


    def test_compared_to_percentiles_is_the_parent_column_under_england(self, export):
        # The server's header when the parent type is England (15).
        renamed = export.rename(columns={
            "Compared to Region value or percentiles": "Compared to percentiles"})
        tidy = parse.tidy_from_fingertips_csv(renamed, source="t", source_ref="u", release="t",
                                              release_date="2026-01-01")
        assert tidy["compared_to_parent"].notna().all()

    def test_compared_to_goal_is_never_taken_for_the_parent_column(self):
        rename = parse.check_fingertips_columns(
            [*parse.FINGERTIPS_CSV_REQUIRED, "Compared to goal", "Compared to percentiles"],
            where="t")
        assert (rename["Compared to goal"], rename["Compared to percentiles"]) == (
            "compared_to_goal", "compared_to_parent")

    def test_the_older_target_data_name_is_compared_to_goal(self):
        rename = parse.check_fingertips_columns([*parse.FINGERTIPS_CSV_REQUIRED, "Target data"],
                                                where="t")
        assert rename["Target data"] == "compared_to_goal"

    def test_the_new_data_flag_of_the_2017_export_is_kept(self, export):
        tidy = parse.tidy_from_fingertips_csv(export, source="test", source_ref=EXPORT_2017,
                                              release="test", release_date="2017-01-01")
        assert set(tidy.loc[tidy["new_data"].notna(), "period"]) == {"2017"}


class TestDropRepeatedParentRows:
    @staticmethod
    def rows(parents):
        return pd.DataFrame({"indicator_id": [1] * len(parents),
                             "area_code": ["E92000001"] * len(parents),
                             "parent_code": parents, "sex": ["Male"] * len(parents),
                             "period": ["2021 - 23"] * len(parents)})

    def test_the_england_copy_under_england_is_dropped(self):
        kept = parse.drop_repeated_parent_rows(self.rows([pd.NA, "E92000001"]))
        assert kept["parent_code"].isna().tolist() == [True]

    def test_a_row_that_is_its_own_parent_but_not_repeated_is_kept(self):
        assert len(parse.drop_repeated_parent_rows(self.rows(["E92000001"]))) == 1

    def test_repeated_rows_with_other_parents_are_left_for_validation(self):
        assert len(parse.drop_repeated_parent_rows(self.rows([pd.NA, pd.NA]))) == 2


class TestFingertipsHeader:
    def test_current_header_has_27_columns_including_time_period_range(self):
        assert len(parse.FINGERTIPS_CSV_COLUMNS) == 27 and "Time period range" in (
            parse.FINGERTIPS_CSV_COLUMNS)

    def test_time_period_range_is_the_last_column(self):
        # fingertipsR's README (2022): ... TimeperiodSortable Newdata Comparedtogoal
        # Timeperiodrange.
        assert parse.FINGERTIPS_CSV_COLUMNS[-4:] == (
            "Time period Sortable", "New data", "Compared to goal", "Time period range")

    def test_every_published_column_maps_to_the_tidy_schema(self):
        from cw_pophealth import schema

        assert {parse.CSV_TO_TIDY[c] for c in ("New data", "Compared to goal",
                                               "Time period range")} <= set(schema.TIDY_COLUMNS)

    def test_2017_header_is_the_exact_26_columns_of_the_real_export(self, extracts_dir):
        header = (extracts_dir / "api_samples/fingertips_export_indicators-CountyUA.data.csv"
                  ).read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split(",")) == parse.FINGERTIPS_CSV_COLUMNS_2017


def export_bytes(extracts_dir) -> bytes:
    return (extracts_dir / EXPORT_2017).read_bytes()


class TestParseFingertipsCsv:
    """One parser for API bodies and files on disk: the same bytes, the same answer."""

    def test_the_real_export_with_rows_one_field_short_is_read(self, extracts_dir):
        raw = parse.as_pandas(parse.parse_fingertips_csv(export_bytes(extracts_dir), "export"))
        assert len(raw) == 852 and raw["Compared to goal"].isna().all()

    def test_short_rows_are_padded_only_in_trailing_optional_columns(self, extracts_dir):
        raw = parse.as_pandas(parse.parse_fingertips_csv(export_bytes(extracts_dir), "export"))
        assert raw["New data"].notna().any() and raw["Time period Sortable"].notna().all()

    def test_the_c_engine_gives_the_same_frame_as_pyarrow(self, extracts_dir, monkeypatch):
        fast = parse.as_pandas(parse.parse_fingertips_csv(export_bytes(extracts_dir), "x"))
        monkeypatch.setattr(parse, "PREFER_PYARROW", False)
        slow = parse.as_pandas(parse.parse_fingertips_csv(export_bytes(extracts_dir), "x"))
        pd.testing.assert_frame_equal(fast, slow)

    def test_a_row_short_in_a_required_column_is_rejected(self):
        header = ",".join(parse.FINGERTIPS_CSV_COLUMNS)
        row = "90366,Life expectancy,,,E92000001,England,England,Male,All ages,,,2021 - 23"
        with pytest.raises(MalformedResponseError, match="record 2 has 12 field"):
            parse.parse_fingertips_csv(f"{header}\r\n{row}\r\n".encode(), "example")

    def test_a_last_row_cut_off_in_its_optional_columns_is_rejected(self, extracts_dir):
        body = export_bytes(extracts_dir)
        cut = body[:body.rstrip(b"\r\n").rfind(b",")]  # the last row loses its last field
        with pytest.raises(MalformedResponseError, match="truncated or ragged"):
            parse.parse_fingertips_csv(cut, "export")

    def test_a_row_with_too_many_fields_is_rejected(self, extracts_dir):
        header, rows = export_bytes(extracts_dir).split(b"\r\n", 1)
        body = header + b"\r\n" + rows.replace(b"\r\n", b",extra,extra\r\n", 1)
        with pytest.raises(MalformedResponseError):
            parse.parse_fingertips_csv(body, "export")

    @pytest.mark.parametrize("malformed", ["12,3", "twelve", "1.2.3"])
    def test_a_malformed_number_is_an_error_not_a_missing_value(self, malformed, monkeypatch):
        header = ",".join(parse.FINGERTIPS_CSV_COLUMNS)
        row = ",".join(["90366", "LE", "", "", "E92000001", "England", "England", "Male",
                        "All ages", "", "", "2021 - 23", f'"{malformed}"'] + [""] * 14)
        with pytest.raises(MalformedResponseError, match="could not be parsed"):
            parse.parse_fingertips_csv(f"{header}\r\n{row}\r\n".encode(), "example")
