"""Tests for cw_pophealth.analysis.claims: the Prevention Framework's claims, verdict by verdict.

The real claims file (../shared/claims/prevention-framework-2024.yaml) is checked against the
real snapshot; the unit tests of the rounding rule use SYNTHETIC claims and rows.
"""

from __future__ import annotations

import pytest

from cw_pophealth import analysis
from cw_pophealth.analysis import claims as claims_module
from cw_pophealth.config import get_settings
from cw_pophealth.errors import ConfigError, ParameterError
from helpers import COV, tidy

FRAMEWORK = "prevention-framework-2024.yaml"


@pytest.fixture(scope="module")
def framework():
    settings = get_settings()
    if settings.claims_dir is None or not (settings.claims_dir / FRAMEWORK).is_file():
        pytest.skip("the shared claims folder is not available")
    return analysis.load_claims(FRAMEWORK, settings)


@pytest.fixture(scope="module")
def checked(framework, snapshot_table):
    return analysis.check_claims(snapshot_table, framework).set_index("claim_id")


class TestLoadClaims:
    def test_the_framework_has_its_12_numeric_statements(self, framework):
        assert len(framework.claims) == 12 and framework.document.startswith(
            "Coventry and Warwickshire Integrated Care System, Prevention Framework")

    def test_a_period_note_is_kept_apart_from_the_label(self, framework):
        smoking = next(c for c in framework.claims if c.id == "smoking-war")
        assert (smoking.period, smoking.period_note) == (
            "2022/23", "as stated; smoking is published by calendar year")

    def test_the_precision_of_13_0_is_one_decimal(self, framework):
        assert next(c for c in framework.claims if c.id == "smoking-cov").decimals == 1

    def test_an_unnamed_indicator_is_kept_as_text(self, framework):
        alcohol = next(c for c in framework.claims if c.id == "alcohol-war")
        assert (alcohol.indicator_id, alcohol.indicator_note) == (
            None, "not named (an adult alcohol-consumption measure)")

    def test_a_missing_file_names_the_setting(self, tmp_path):
        with pytest.raises(ConfigError, match="CW_POPHEALTH_CLAIMS"):
            analysis.load_claims("absent.yaml", get_settings(claims_dir=tmp_path))

    def test_a_claim_without_a_period_label_is_refused(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text("claims:\n  - {id: x, text: t, area: E08000026, period: recently, "
                        "value: 1.0}\n", encoding="utf-8")
        with pytest.raises(ParameterError, match="'recently'"):
            analysis.load_claims(path)


class TestFrameworkVerdicts:
    @pytest.mark.parametrize(("claim", "verdict"), [
        ("won-cov-m", "differs by rounding"), ("won-cov-f", "reproduced"),
        ("won-war-m", "not checkable offline"), ("won-war-f", "not checkable offline"),
        ("inactive-war", "not checkable offline"), ("smoking-war", "not checkable offline"),
        ("overweight-war", "not checkable offline"), ("alcohol-war", "not checkable offline"),
        ("inactive-cov", "contradicted"), ("smoking-cov", "contradicted"),
        ("overweight-cov", "contradicted"), ("alcohol-cov", "not checkable offline"),
    ])
    def test_verdict(self, checked, claim, verdict):
        assert checked.loc[claim, "verdict"] == verdict

    def test_coventry_male_gap_is_18_8_and_rounding_allows_0_15(self, checked):
        row = checked.loc["won-cov-m"]
        assert (round(row["published_value"], 4), round(row["rounding_allowance"], 4)) == (
            18.8, 0.15)

    def test_the_rounding_verdict_says_how_much_rounding_allows(self, checked):
        assert "between 18.70 and 18.90" in checked.loc["won-cov-m", "explanation"] and (
            "up to 0.15" in checked.loc["won-cov-m", "explanation"])

    def test_warwickshire_gap_needs_a_live_pull_of_life_expectancy(self, checked):
        assert checked.loc["won-war-m", "live_pull"] == (
            "a live pull of Fingertips 90366 (life expectancy) for Warwickshire (E10000031) "
            "would fetch 2021 - 23")

    def test_warwickshire_claim_implies_the_missing_life_expectancy(self, checked):
        assert checked.loc["won-war-f", "explanation"].endswith(
            "with the data's HLE for 2021 - 23 (61.8), the claim implies a life expectancy of "
            "83.3")

    def test_warwickshire_inactivity_24_5_is_coventrys_2022_23_value(self, checked):
        assert checked.loc["inactive-war", "matches"] == (
            "Coventry 2022/23: 24.5 (Fingertips as of May 2026)")

    def test_warwickshire_overweight_68_5_is_coventrys_2022_23_value(self, checked):
        assert checked.loc["overweight-war", "matches"] == (
            "Coventry 2022/23: 68.5 (Fingertips as of May 2026)")

    def test_coventry_overweight_65_3_is_coventrys_2021_22_value(self, checked):
        row = checked.loc["overweight-cov"]
        assert (row["published_value"], row["matches"]) == (
            68.5, "Coventry 2021/22: 65.3 (Fingertips as of May 2026)")

    def test_coventry_inactivity_shows_the_published_24_5(self, checked):
        row = checked.loc["inactive-cov"]
        assert (row["published_value"], row["published_period"]) == (24.5, "2022/23")

    def test_warwickshire_is_not_ruled_out_for_coventrys_contradicted_figure(self, checked):
        assert checked.loc["inactive-cov", "not_ruled_out"].startswith(
            "Warwickshire 2022/23: not in the offline data")

    def test_smoking_by_calendar_year_is_compared_with_2022_and_2023(self, checked):
        assert checked.loc["smoking-cov", "published"] == (
            "16.8 (2022, Fingertips as of April 2026); 10.0 (2023, Fingertips as of April 2026)")

    def test_warwickshire_smoking_shows_the_labelled_second_source(self, checked):
        assert checked.loc["smoking-war", "second_source"] == (
            "Adult cigarette smoking (ONS APS) (-1002, a second source, not 92443): "
            "Warwickshire 2023 11.1, 2022 13.9")

    def test_warwickshire_smoking_says_which_years_a_live_pull_would_fetch(self, checked):
        assert checked.loc["smoking-war", "live_pull"].endswith("would fetch 2022 and 2023")

    def test_an_unnamed_alcohol_measure_points_to_the_nearest_catalogued_one(self, checked):
        assert checked.loc["alcohol-cov", "live_pull"].startswith(
            "Fingertips 92778 (Percentage of adults drinking over 14 units of alcohol a week) "
            "is the nearest catalogued measure in %: not in the offline data")

    def test_the_presented_table_has_one_row_per_claim(self, checked):
        shown = analysis.present_claims(checked.reset_index())
        assert len(shown) == 12 and "Where the data do show this figure" in shown.columns


def synthetic_claim(value: float, decimals: int = 1) -> claims_module.Claim:
    return claims_module.Claim(id="c", text="t", area=COV, value=value, decimals=decimals,
                               unit="%", period="2022/23", period_note="", measure="indicator",
                               indicator_id=93015, indicator_note="")


class TestRoundingRule:
    """SYNTHETIC published values and claims."""

    @pytest.mark.parametrize(("published", "half", "claimed", "verdict"), [
        (24.46, 0.005, 24.5, "reproduced"),
        (24.45, 0.005, 24.5, "reproduced"),  # half up
        (24.5, 0.05, 24.6, "contradicted"),  # two 1-dp figures 0.1 apart cannot round alike
        (24.5, 0.5, 24.6, "differs by rounding"),  # a value published to 0 dp allows more
        (18.8, 0.1, 18.9, "differs by rounding"),  # LE - HLE, each to 1 dp
        (18.8, 0.1, 19.0, "contradicted"),
    ])
    def test_verdicts(self, published, half, claimed, verdict):
        assert claims_module._verdict(published, synthetic_claim(claimed), half)[0] == verdict

    def test_a_claim_with_no_value_in_the_data_is_not_checkable(self):
        table = tidy([{"indicator_id": 93015, "area_code": COV, "period": "2017/18",
                       "value": 29.5}])
        row = analysis.check_claims(table, claims_module.ClaimsFile(
            "d", "p", (synthetic_claim(24.5),))).iloc[0]
        assert (row["verdict"], row["live_pull"]) == (
            "not checkable offline",
            "a live pull of Fingertips 93015 for Coventry (E08000026) would fetch 2022/23")
