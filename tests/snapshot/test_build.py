"""Tests for cw_pophealth.snapshot.build: the offline tables from the real extracts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cw_pophealth import catalogue, schema, snapshot
from cw_pophealth.config import get_settings
from cw_pophealth.errors import ConfigError, MalformedResponseError
from cw_pophealth.fingertips import parse

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND
JAN_2020 = "Fingertips as of January 2020 (fingertipsR pull, psychty/la-ph-walkthrough @fb261d4)"
EXPORT = "api_samples/fingertips_export_indicators-CountyUA.data.csv"


def rows(table, indicator_id, area, sex, period):
    return table.loc[(table["indicator_id"] == indicator_id) & (table["area_code"] == area)
                     & (table["sex"] == sex) & (table["period"] == period)]


def current(table, indicator_id, area, sex, period):
    found = rows(table, indicator_id, area, sex, period)
    found = found.loc[found["current"].astype(bool)]
    assert len(found) == 1, found
    return found.iloc[0]


class TestBuildSnapshot:
    @pytest.mark.parametrize(("sex", "expected"), [("Male", 77.3), ("Female", 81.7)])
    def test_coventry_life_expectancy_2021_23(self, snapshot_table, sex, expected):
        assert current(snapshot_table, 90366, COV, sex, "2021 - 23")["value"] == expected

    @pytest.mark.parametrize(("sex", "hle", "lo", "hi"),
                             [("Male", 58.5, 55.7, 61.2), ("Female", 58.1, 54.8, 61.3)])
    def test_coventry_hle_comes_with_its_published_ci(self, snapshot_table, sex, hle, lo, hi):
        row = current(snapshot_table, 90362, COV, sex, "2021 - 23")
        assert (row["value"], row["lower_ci_95"], row["upper_ci_95"]) == (hle, lo, hi)

    def test_warwickshire_county_hle_is_present(self, snapshot_table):
        assert current(snapshot_table, 90362, WARKS, "Male", "2021 - 23")["value"] == 62.1

    @pytest.mark.parametrize(("sex", "expected"), [("Male", 79.8957), ("Female", 83.6566)])
    def test_warwickshire_life_expectancy_2016_18_is_the_january_2020_release(
            self, snapshot_table, sex, expected):
        row = current(snapshot_table, 90366, WARKS, sex, "2016 - 18")
        assert (row["value"], row["release"], row["release_date"]) == (
            expected, JAN_2020, pd.Timestamp("2020-02-04"))

    def test_warwickshire_has_no_life_expectancy_after_2016_18_offline(self, snapshot_table):
        le = snapshot_table.loc[(snapshot_table["indicator_id"] == 90366)
                                & (snapshot_table["area_code"] == WARKS)]
        assert set(le["period"]) == {"2016 - 18"}

    def test_a_revised_value_is_kept_but_not_current(self, snapshot_table):
        # Coventry male LE 2016 - 18: 78.5394 in January 2020, 78.4 after the Census rebasing.
        found = rows(snapshot_table, 90366, COV, "Male", "2016 - 18").set_index("value")
        assert (found.loc[78.5394, "current"], found.loc[78.4, "current"]) == (False, True)

    def test_a_superseded_row_names_the_release_that_replaces_it(self, snapshot_table):
        found = rows(snapshot_table, 90366, COV, "Male", "2016 - 18")
        old = found.loc[~found["current"].astype(bool)].iloc[0]
        assert old["superseded_by"] == ("Fingertips as of May 2026 (all_data CSV, "
                                        "traffordDataLab/trafford_themes @ae20a08)")

    def test_the_pre_2019_hle_is_kept_as_superseded_by_ons(self, snapshot_table):
        found = rows(snapshot_table, 90362, WARKS, "Male", "2016 - 18").set_index("value")
        assert (found.loc[64.8, "current"], found.loc[65.2, "current"]) == (False, True)

    def test_every_row_has_a_release_and_a_date(self, snapshot_table):
        assert snapshot_table[["release", "release_date"]].notna().all().all()

    def test_each_observation_has_exactly_one_current_row(self, snapshot_table):
        live = schema.current_rows(snapshot_table)
        assert not live.duplicated(list(schema.OBSERVATION_KEY)).any()

    def test_the_slope_index_of_inequality_lands_as_ordinary_rows(self, snapshot_table):
        sii = snapshot_table.loc[(snapshot_table["indicator_id"] == 92901)
                                 & (snapshot_table["area_code"] == WARKS)]
        got = sii.set_index("sex")[["period", "value", "lower_ci_95", "upper_ci_95",
                                    "release"]].sort_index()
        assert got.values.tolist() == [["2016 - 18", 5.0, 4.0, 5.9, JAN_2020],
                                       ["2016 - 18", 9.0, 8.0, 10.0, JAN_2020]]

    def test_published_missing_values_stay_missing(self, snapshot_table):
        row = current(snapshot_table, 90366, "E06000053", "Male", "2015 - 17")  # Isles of Scilly
        assert pd.isna(row["value"])

    def test_every_row_names_its_source_file(self, snapshot_table, extracts_dir):
        refs = snapshot_table["source_ref"].unique()
        assert all((extracts_dir / ref).is_file() for ref in refs)

    def test_rounded_upstream_values_are_not_changed(self, snapshot_table, extracts_dir):
        raw = pd.read_csv(extracts_dir / "trafford_themes/inactive_adults.csv")
        ours = snapshot_table.loc[(snapshot_table["indicator_id"] == 93015)
                                  & snapshot_table["source_ref"].str.startswith("trafford")]
        merged = ours.merge(raw, on=["area_code", "period"], suffixes=("", "_raw"))
        assert len(merged) == len(raw) and (merged["value"] == merged["value_raw"]).all()

    def test_obesity_keeps_unrounded_values_and_active_lives_period_label(self, snapshot_table):
        row = current(snapshot_table, 93881, WARKS, "Persons", "2022/23")
        assert (row["value"], row["period_start"]) == (26.39319, pd.Timestamp("2022-11-16"))

    def test_hle_prefers_the_source_with_confidence_intervals(self, snapshot_table):
        row = current(snapshot_table, 90362, COV, "Male", "2021 - 23")
        assert row["source"].startswith("ons_els")

    def test_copies_of_one_publication_are_kept_once(self, snapshot_table):
        # The ONS HLE republished by Fingertips (trafford_themes) is a copy, not a release.
        copies = rows(snapshot_table, 90362, COV, "Male", "2021 - 23")
        assert copies["source_ref"].tolist() == ["ons_els/healthy-life-expectancy.csv"]

    def test_only_english_areas_are_kept(self, snapshot_table):
        assert snapshot_table["area_code"].str.startswith("E").all()

    def test_the_three_tables_are_written_and_read_back_valid(self, extracts_dir, tmp_path):
        settings = get_settings(data_dir=tmp_path)
        snapshot.build_snapshot(settings)
        sizes = (len(schema.read_tidy(settings.indicators_table)),
                 len(snapshot.load_burden(settings)), len(snapshot.load_local_estimates(settings)))
        assert sizes[0] > 40_000 and sizes[1:] == (4032, 666)


#: A file of each extract folder that the releases work added to the build (beside
#: trafford_themes/ and ons_els/), each read by build_snapshot.
NEW_EXTRACT_FILES = (
    "psychty_la_ph_walkthrough/ut_data_neighbours.json",
    "psychty_la_ph_walkthrough/lt_data_meta_extract.json",
    "psychty_la_ph_walkthrough/Comp_data_ut.json",
    "trafford_dashboard/healthy_life_expectancy_at_birth.csv",
    "trafford_dashboard/smoking_adults.csv",  # a name-to-code reference only
    "trafford_dashboard_alcohol/alcohol_related_admissions.csv",
    "psychty_local_health/ltla_raw.csv",
    "psychty_gbd2017/level_2_risk_all_cause_NN_2017.json",
    "fphd_pholio_reference/area.csv",
    "ons_els/cigarette-smokers_annual_2025-10-06.csv",
    "ons_els/cigarette-smokers_annual_2025-10-06.json",
)

#: Run in a new process: build the snapshot and print every file under the extracts folder it
#: opened (an audit hook sees every open, whichever reader makes it).
TRACE_BUILD = """
import json, os, sys
from pathlib import Path
from cw_pophealth import snapshot
from cw_pophealth.config import get_settings
settings = get_settings(data_dir=Path(sys.argv[1]))
root = settings.require_extracts_dir().resolve()
opened = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(args[0])).resolve()
        if path.is_relative_to(root):
            opened.add(path.relative_to(root).as_posix())
sys.addaudithook(hook)
snapshot.build_snapshot(settings)
print(json.dumps(sorted(opened)))
"""


def copy_extracts(extracts_dir: Path, to: Path) -> Path:
    shutil.copytree(extracts_dir, to)
    return to


class TestInputFiles:
    def test_every_file_the_build_reads_is_an_input(self, extracts_dir, tmp_path):
        done = subprocess.run([sys.executable, "-c", TRACE_BUILD, str(tmp_path)],
                              capture_output=True, text=True, timeout=300, check=True)
        opened = set(json.loads(done.stdout.splitlines()[-1]))
        listed = {p.relative_to(extracts_dir).as_posix()
                  for p in snapshot.input_files(extracts_dir)}
        assert opened and opened <= listed, sorted(opened - listed)

    @pytest.mark.parametrize("ref", NEW_EXTRACT_FILES)
    def test_the_new_extract_files_are_inputs(self, extracts_dir, ref):
        assert extracts_dir / ref in snapshot.input_files(extracts_dir)


@pytest.fixture(scope="module")
def copied(extracts_dir, tmp_path_factory):
    """Settings with a copy of the extracts folder (to edit) and a snapshot built from it."""
    root = copy_extracts(extracts_dir, tmp_path_factory.mktemp("copy") / "extracts")
    settings = get_settings(extracts_dir=root, data_dir=tmp_path_factory.mktemp("data"))
    snapshot.build_snapshot(settings)
    return settings


class TestIsCurrent:
    def test_a_fresh_build_is_current(self, copied):
        assert snapshot.is_current(copied)

    @pytest.mark.parametrize("ref", [*NEW_EXTRACT_FILES, "trafford_themes/life_expectancy.csv"])
    def test_a_change_to_an_extract_file_makes_the_snapshot_stale(self, copied, ref):
        path = copied.require_extracts_dir() / ref
        original = path.read_bytes()
        try:
            path.write_bytes(original + b"\n")
            assert not snapshot.is_current(copied)
        finally:
            path.write_bytes(original)
        assert snapshot.is_current(copied)  # by content: the same bytes are current again

    @pytest.mark.parametrize("table", ["burden_table", "local_estimates_table"])
    def test_a_missing_or_edited_side_table_makes_the_snapshot_stale(self, extracts_dir,
                                                                     tmp_path, table):
        settings = get_settings(data_dir=tmp_path)
        snapshot.build_snapshot(settings)
        path = getattr(settings, table)
        path.write_bytes(path.read_bytes() + b"x")
        assert not snapshot.is_current(settings)
        path.unlink()
        assert not snapshot.is_current(settings)

    def test_build_if_stale_rebuilds_after_a_new_extract_changes(self, extracts_dir, tmp_path):
        root = copy_extracts(extracts_dir, tmp_path / "extracts")
        env = {**os.environ, "MPLBACKEND": "Agg", "CW_POPHEALTH_EXTRACTS": str(root),
               "CW_POPHEALTH_DATA": str(tmp_path / "data")}
        settings = get_settings(extracts_dir=root, data_dir=tmp_path / "data")

        def build_if_stale() -> int:
            subprocess.run([sys.executable, "-m", "cw_pophealth.cli", "build", "--if-stale"],
                           env=env, capture_output=True, timeout=300, check=True)
            return settings.indicators_table.stat().st_mtime_ns

        first = build_if_stale()
        assert build_if_stale() == first  # nothing changed: not rebuilt
        alcohol = root / "trafford_dashboard_alcohol/alcohol_related_admissions.csv"
        alcohol.write_bytes(alcohol.read_bytes() + b"\n")
        assert not snapshot.is_current(settings)
        assert build_if_stale() != first and snapshot.is_current(settings)


class TestNameMappings:
    def test_every_named_area_maps_to_a_code(self, extracts_settings):
        mapping = snapshot.name_mappings(extracts_settings)
        assert (len(mapping), set(mapping["status"])) == (36 + 108 + 18, {"mapped"})


class TestMissingExtracts:
    def test_absent_extracts_folder_says_which_variable_to_set(self, tmp_path):
        settings = get_settings(extracts_dir=tmp_path / "nowhere", data_dir=tmp_path)
        with pytest.raises(ConfigError, match="CW_POPHEALTH_EXTRACTS"):
            snapshot.build_snapshot(settings)


class TestReadFingertipsExport:
    def test_real_export_on_disk_reads_into_the_tidy_schema(self, extracts_dir):
        tidy = snapshot.read_fingertips_export(extracts_dir / EXPORT)
        assert set(tidy["indicator_id"]) == {93356}

    def test_export_rows_keep_the_file_as_provenance(self, extracts_dir):
        path = extracts_dir / EXPORT
        tidy = snapshot.read_fingertips_export(path)
        assert set(tidy["source_ref"]) == {str(path)}

    def test_a_release_given_is_stored_on_every_row(self, extracts_dir):
        tidy = snapshot.read_fingertips_export(extracts_dir / EXPORT,
                                               release="Fingertips export, about 2017",
                                               release_date="2017-12-31")
        assert (set(tidy["release"]), set(tidy["release_date"])) == (
            {"Fingertips export, about 2017"}, {pd.Timestamp("2017-12-31")})

    def test_without_a_release_the_file_date_is_named_as_such(self, extracts_dir):
        tidy = snapshot.read_fingertips_export(extracts_dir / EXPORT)
        assert tidy["release"].str.contains(", file dated ").all()


class TestLoadIndicators:
    def test_builds_the_table_when_absent(self, extracts_dir, tmp_path):
        settings = get_settings(data_dir=tmp_path)
        snapshot.load_indicators(settings)
        assert settings.indicators_table.is_file()


class TestReadFingertipsExportRejectsWhatTheApiRejects:
    """The on-disk reader and the API parser accept and reject the same bytes."""

    def copy_with(self, extracts_dir, tmp_path, old: bytes, new: bytes) -> Path:
        body = (extracts_dir / EXPORT).read_bytes()
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
