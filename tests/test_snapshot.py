"""Tests for cw_pophealth.snapshot: the tidy table from the real extracts (no network)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cw_pophealth import catalogue, schema, snapshot
from cw_pophealth.config import get_settings
from cw_pophealth.errors import ConfigError, MalformedResponseError, SchemaDriftError
from cw_pophealth.fingertips import parse


def value(table, indicator_id, area, sex, period):
    rows = table.loc[(table["indicator_id"] == indicator_id) & (table["area_code"] == area)
                     & (table["sex"] == sex) & (table["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


class TestBuildSnapshot:
    @pytest.mark.parametrize(("sex", "expected"), [("Male", 77.3), ("Female", 81.7)])
    def test_coventry_life_expectancy_2021_23(self, snapshot_table, sex, expected):
        assert value(snapshot_table, 90366, catalogue.COVENTRY, sex, "2021 - 23")["value"] == (
            expected)

    @pytest.mark.parametrize(("sex", "hle", "lo", "hi"),
                             [("Male", 58.5, 55.7, 61.2), ("Female", 58.1, 54.8, 61.3)])
    def test_coventry_hle_comes_with_its_published_ci(self, snapshot_table, sex, hle, lo, hi):
        row = value(snapshot_table, 90362, catalogue.COVENTRY, sex, "2021 - 23")
        assert (row["value"], row["lower_ci_95"], row["upper_ci_95"]) == (hle, lo, hi)

    def test_warwickshire_county_hle_is_present(self, snapshot_table):
        assert value(snapshot_table, 90362, catalogue.WARWICKSHIRE, "Male", "2021 - 23")[
            "value"] == 62.1

    def test_warwickshire_county_life_expectancy_is_absent_not_invented(self, snapshot_table):
        rows = snapshot_table.loc[(snapshot_table["indicator_id"] == 90366)
                                  & (snapshot_table["area_code"] == catalogue.WARWICKSHIRE)]
        assert rows.empty

    def test_published_missing_values_stay_missing(self, snapshot_table):
        row = value(snapshot_table, 90366, "E06000053", "Male", "2015 - 17")  # Isles of Scilly
        assert pd.isna(row["value"])

    def test_every_row_names_its_source_file(self, snapshot_table, extracts_dir):
        refs = snapshot_table["source_ref"].unique()
        assert all((extracts_dir / ref).is_file() for ref in refs)

    def test_rounded_upstream_values_are_not_changed(self, snapshot_table, extracts_dir):
        raw = pd.read_csv(extracts_dir / "trafford_themes/inactive_adults.csv")
        ours = snapshot_table.loc[snapshot_table["indicator_id"] == 93015]
        merged = ours.merge(raw, on=["area_code", "period"], suffixes=("", "_raw"))
        assert len(merged) == len(raw) and (merged["value"] == merged["value_raw"]).all()

    def test_obesity_keeps_unrounded_values_and_active_lives_period_label(self, snapshot_table):
        row = value(snapshot_table, 93881, catalogue.WARWICKSHIRE, "Persons", "2022/23")
        assert (row["value"], row["period_start"]) == (26.39319, pd.Timestamp("2022-11-16"))

    def test_hle_prefers_the_source_with_confidence_intervals(self, snapshot_table):
        row = value(snapshot_table, 90362, catalogue.COVENTRY, "Male", "2021 - 23")
        assert row["source"].startswith("ons_els")

    def test_table_is_unique_per_observation_across_sources(self, snapshot_table):
        key = [k for k in schema.TIDY_KEY if k != "source"]
        assert not snapshot_table.duplicated(key).any()

    def test_only_english_areas_are_kept(self, snapshot_table):
        assert snapshot_table["area_code"].str.startswith("E").all()

    def test_written_table_reads_back_valid(self, extracts_dir, tmp_path):
        settings = get_settings(data_dir=tmp_path)
        snapshot.build_snapshot(settings)
        assert len(schema.read_tidy(settings.indicators_table)) > 30_000


class TestMissingExtracts:
    def test_absent_extracts_folder_says_which_variable_to_set(self, tmp_path):
        settings = get_settings(extracts_dir=tmp_path / "nowhere", data_dir=tmp_path)
        with pytest.raises(ConfigError, match="CW_POPHEALTH_EXTRACTS"):
            snapshot.build_snapshot(settings)

    def test_changed_extract_format_is_reported_as_drift(self, extracts_dir, tmp_path):
        folder = tmp_path / "trafford_themes"
        folder.mkdir()
        text = (extracts_dir / snapshot.TRAFFORD_FILES[0].path).read_text()
        (folder / "life_expectancy.csv").write_text(text.replace("area_code", "areacode", 1))
        with pytest.raises(SchemaDriftError, match="area_code"):
            snapshot.read_trafford_file(tmp_path, snapshot.TRAFFORD_FILES[0])


class TestReadFingertipsExport:
    def test_real_export_on_disk_reads_into_the_tidy_schema(self, extracts_dir):
        tidy = snapshot.read_fingertips_export(
            extracts_dir / "api_samples/fingertips_export_indicators-CountyUA.data.csv")
        assert set(tidy["indicator_id"]) == {93356}

    def test_export_rows_keep_the_file_as_provenance(self, extracts_dir):
        path = extracts_dir / "api_samples/fingertips_export_indicators-CountyUA.data.csv"
        tidy = snapshot.read_fingertips_export(path)
        assert set(tidy["source_ref"]) == {str(path)}


class TestLoadIndicators:
    def test_builds_the_table_when_absent(self, extracts_dir, tmp_path):
        settings = get_settings(data_dir=tmp_path)
        snapshot.load_indicators(settings)
        assert settings.indicators_table.is_file()


class TestReadFingertipsExportRejectsWhatTheApiRejects:
    """The on-disk reader and the API parser accept and reject the same bytes."""

    def copy_with(self, extracts_dir, tmp_path, old: bytes, new: bytes) -> Path:
        body = (extracts_dir / "api_samples/fingertips_export_indicators-CountyUA.data.csv"
                ).read_bytes()
        assert old in body
        path = tmp_path / "edited.data.csv"
        path.write_bytes(body.replace(old, new, 1))
        return path

    def test_a_malformed_number_is_rejected_naming_the_file(self, extracts_dir, tmp_path):
        path = self.copy_with(extracts_dir, tmp_path, b",94.7261896202678,", b',"94,7",')
        with pytest.raises(MalformedResponseError, match="edited.data.csv"):
            snapshot.read_fingertips_export(path)

    def test_the_api_parser_rejects_the_same_bytes(self, extracts_dir, tmp_path):
        path = self.copy_with(extracts_dir, tmp_path, b",94.7261896202678,", b',"94,7",')
        with pytest.raises(MalformedResponseError):
            parse.parse_fingertips_csv(path.read_bytes(), "https://example.invalid/api/x")
