"""Tests for cw_pophealth.snapshot.releases: every file read has a recorded, evidenced release."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import snapshot
from cw_pophealth.snapshot import releases


class TestReleaseFor:
    def test_an_unrecorded_file_cannot_be_read_without_a_release(self):
        with pytest.raises(KeyError, match="RELEASES"):
            releases.release_for("somewhere/else.csv")

    @pytest.mark.parametrize(("ref", "date"), [
        ("psychty_la_ph_walkthrough/ut_data_neighbours.json", "2020-02-04"),
        ("trafford_dashboard/healthy_life_expectancy_at_birth.csv", "2020-06-18"),
        ("trafford_dashboard_alcohol/alcohol_related_admissions.csv", "2019-05-22"),
        ("psychty_gbd2017/level_2_risk_all_cause_NN_2017.json", "2019-10-31"),
        ("psychty_local_health/utla_raw.csv", "2021-12-19"),
        ("trafford_themes/adults_smoking.csv", "2026-04-30"),
        ("trafford_themes/life_expectancy.csv", "2026-05-13"),
    ])
    def test_dates_are_the_last_upstream_change_of_each_file(self, ref, date):
        assert releases.release_for(ref).date == date

    def test_every_snapshot_file_has_a_release(self):
        refs = [s.path for s in (*snapshot.TRAFFORD_FILES, *snapshot.ONS_ELS_FILES,
                                 snapshot.ONS_APS_SMOKING)]
        assert all(releases.release_for(r).label for r in refs)


class TestStatedDates:
    @pytest.mark.parametrize("spec", [*snapshot.ONS_ELS_FILES, snapshot.ONS_APS_SMOKING],
                             ids=lambda s: s.path)
    def test_recorded_ons_dates_are_the_ones_the_files_state(self, extracts_dir, spec):
        stated = releases.stated_source_date((extracts_dir / spec.path).with_suffix(".json"))
        assert stated == releases.release_for(spec.path).date


class TestWithRelease:
    def test_rows_get_the_label_and_date_of_their_file(self):
        rows = pd.DataFrame({"source_ref": ["trafford_themes/adults_smoking.csv"]})
        out = releases.with_release(rows)
        assert (out["release"].iloc[0], out["release_date"].iloc[0]) == (
            "Fingertips as of April 2026 (all_data CSV, traffordDataLab/trafford_themes "
            "@2daf91f)", pd.Timestamp("2026-04-30"))
