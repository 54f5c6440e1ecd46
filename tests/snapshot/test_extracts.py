"""Tests for cw_pophealth.snapshot.extracts: the coded CSV extracts, read with their releases."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from cw_pophealth import catalogue
from cw_pophealth.errors import SchemaDriftError
from cw_pophealth.snapshot import extracts
from helpers import one

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND
STRATFORD = "E07000221"


@pytest.fixture(scope="module")
def alcohol(extracts_dir):
    return extracts.read_trafford_alcohol(extracts_dir)


@pytest.fixture(scope="module")
def hle_2020(extracts_dir):
    return extracts.read_trafford_dashboard_hle(extracts_dir)


@pytest.fixture(scope="module")
def aps(extracts_dir):
    return extracts.read_ons_aps_smoking(extracts_dir)


class TestTraffordThemes:
    def test_changed_extract_format_is_reported_as_drift(self, extracts_dir, tmp_path):
        folder = tmp_path / "trafford_themes"
        folder.mkdir()
        text = (extracts_dir / extracts.TRAFFORD_FILES[0].path).read_text()
        (folder / "life_expectancy.csv").write_text(text.replace("area_code", "areacode", 1))
        with pytest.raises(SchemaDriftError, match="area_code"):
            extracts.read_trafford_file(tmp_path, extracts.TRAFFORD_FILES[0])

    def test_smoking_carries_its_own_release_date(self, extracts_dir):
        smoking = extracts.read_trafford_file(extracts_dir, extracts.TRAFFORD_FILES[2])
        assert set(smoking["release_date"]) == {pd.Timestamp("2026-04-30")}

    @pytest.mark.parametrize(("spec", "period", "expected"), [
        (3, "2022/23", 24.5), (4, "2022/23", 68.5), (4, "2021/22", 65.3), (2, "2022", 16.8),
    ], ids=["inactive 2022/23", "overweight 2022/23", "overweight 2021/22", "smoking 2022"])
    def test_coventry_values_behind_the_framework_claims(self, extracts_dir, spec, period,
                                                         expected):
        rows = extracts.read_trafford_file(extracts_dir, extracts.TRAFFORD_FILES[spec])
        assert one(rows, area_code=COV, period=period)["value"] == expected


class TestOnsEls:
    def test_a_changed_stated_release_date_is_drift(self, extracts_dir, tmp_path):
        spec = extracts.ONS_ELS_FILES[1]
        (tmp_path / "ons_els").mkdir()
        shutil.copy(extracts_dir / spec.path, tmp_path / spec.path)
        meta = (extracts_dir / spec.path).with_suffix(".json").read_text(encoding="utf-8-sig")
        (tmp_path / spec.path).with_suffix(".json").write_text(
            meta.replace("06/05/2026", "01/01/2027"), encoding="utf-8")
        with pytest.raises(SchemaDriftError, match="source date 2027-01-01"):
            extracts.read_ons_els_file(tmp_path, spec)

    @pytest.mark.parametrize(("sex", "hle", "lo", "hi"),
                             [("Male", 62.1, 59.8, 64.4), ("Female", 61.8, 59.2, 64.4)])
    def test_warwickshire_hle_2021_23_with_ci(self, extracts_dir, sex, hle, lo, hi):
        rows = extracts.read_ons_els_file(extracts_dir, extracts.ONS_ELS_FILES[0])
        row = one(rows, area_code=WARKS, sex=sex, period="2021 - 23")
        assert (row["value"], row["lower_ci_95"], row["upper_ci_95"]) == (hle, lo, hi)


class TestOnsApsSmoking:
    @pytest.mark.parametrize(("area", "period", "expected"), [
        (WARKS, "2022", 13.9), (WARKS, "2023", 11.1), (COV, "2022", 18.4), (COV, "2023", 10.7),
    ])
    def test_published_values(self, aps, area, period, expected):
        assert one(aps, area_code=area, period=period)["value"] == expected

    def test_warwickshire_2018_keeps_its_published_ci(self, aps):
        row = one(aps, area_code=WARKS, period="2018")
        assert (row["value"], row["lower_ci_95"], row["upper_ci_95"]) == (14.1, 11.7, 16.5)

    def test_it_is_a_local_series_never_92443(self, aps):
        assert set(aps["indicator_id"]) == {catalogue.ONS_APS_SMOKING_ID}

    def test_it_covers_2012_to_2023(self, aps):
        assert set(aps["period"]) == {str(y) for y in range(2012, 2024)}

    def test_its_release_is_the_stated_ons_source_date(self, aps):
        assert set(aps["release_date"]) == {pd.Timestamp("2024-10-01")}

    def test_a_withheld_value_stays_missing_with_its_status(self, aps):
        withheld = aps.loc[aps["value_note"].fillna("").str.contains("Observation Status x")]
        assert len(withheld) == 81 and withheld["value"].isna().all()


class TestTraffordDashboardHle:
    @pytest.mark.parametrize(("area", "sex", "period", "expected"), [
        (WARKS, "Male", "2016 - 18", 64.8), (WARKS, "Female", "2016 - 18", 63.9),
        (COV, "Male", "2015 - 17", 62.9), (ENG, "Male", "2016 - 18", 63.4),
    ])
    def test_published_values(self, hle_2020, area, sex, period, expected):
        assert one(hle_2020, area_code=area, sex=sex, period=period)["value"] == expected

    def test_periods_get_the_fingertips_form(self, hle_2020):
        assert set(hle_2020["period"]) == {f"{y} - {(y + 2) % 100:02d}" for y in
                                           range(2009, 2017)}

    def test_its_release_is_june_2020(self, hle_2020):
        assert set(hle_2020["release_date"]) == {pd.Timestamp("2020-06-18")}


class TestTraffordAlcohol:
    @pytest.mark.parametrize(("area", "period", "expected"), [
        (COV, "2017/18", 788), (COV, "2016/17", 729), (ENG, "2017/18", 632),
        (STRATFORD, "2017/18", 630),
    ])
    def test_published_values(self, alcohol, area, period, expected):
        assert one(alcohol, area_code=area, period=period)["value"] == expected

    def test_coventry_2017_18_keeps_the_published_comparison(self, alcohol):
        assert one(alcohol, area_code=COV, period="2017/18")["compared_to_england"] == "Worse"

    def test_there_is_no_warwickshire_county_row(self, alcohol):
        assert not (alcohol["area_code"] == WARKS).any()

    def test_values_are_whole_numbers_as_published(self, alcohol):
        assert (alcohol["value"].dropna() % 1 == 0).all()

    def test_periods_run_from_2008_09_to_2017_18(self, alcohol):
        assert set(alcohol["period"]) == {f"{y}/{(y + 1) % 100:02d}" for y in range(2008, 2018)}

    def test_its_release_is_may_2019(self, alcohol):
        assert set(alcohol["release_date"]) == {pd.Timestamp("2019-05-22")}

    def test_published_missing_values_stay_missing(self, alcohol):
        assert alcohol["value"].isna().sum() == 27
