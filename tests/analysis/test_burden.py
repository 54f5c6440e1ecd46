"""Tests for cw_pophealth.analysis.burden: deaths attributable to behavioural risks, GBD 2017."""

from __future__ import annotations

import pytest

from cw_pophealth import analysis, snapshot
from cw_pophealth.errors import ParameterError
from helpers import COV, ENG, WARKS


@pytest.fixture(scope="module")
def burden(extracts_settings, tmp_path_factory):
    return snapshot.load_burden(extracts_settings.with_(data_dir=tmp_path_factory.mktemp("d")))


@pytest.fixture(scope="module")
def table(burden):
    return analysis.burden_table(burden, focus=[WARKS, COV])


class TestBurdenTable:
    @pytest.mark.parametrize(("risk", "value", "england"), [
        ("Tobacco", 61.9, 68.4), ("Dietary risks", 58.0, 62.6), ("Alcohol use", 18.3, 16.8),
        ("Low physical activity", 9.2, 9.8)])
    def test_warwickshire_deaths_beside_england(self, table, risk, value, england):
        row = table.loc[(table["risk"] == risk) & (table["area_code"] == WARKS)].iloc[0]
        assert (row["value"], row["benchmark_value"], row["role"]) == (value, england, "focus")

    def test_warwickshire_ranks_6th_of_16_counties_for_tobacco(self, table):
        row = table.loc[(table["risk"] == "Tobacco") & (table["area_code"] == WARKS)].iloc[0]
        assert (row["rank_among_counties"], row["n_counties"]) == (6, 16)

    def test_coventry_is_listed_as_not_in_the_file(self, table):
        rows = table.loc[table["area_code"] == COV]
        assert len(rows) == 4 and rows["value"].isna().all() and rows["status"].str.startswith(
            "Coventry is not in the GBD 2017 file").all()

    def test_the_four_framework_risks_in_order(self, table):
        assert list(dict.fromkeys(table["risk"])) == list(analysis.BEHAVIOURAL_RISKS)

    def test_england_is_the_benchmark(self, table):
        assert set(table.loc[table["area_code"] == ENG, "role"]) == {"benchmark"}

    def test_an_unknown_risk_lists_the_risks_there_are(self, burden):
        with pytest.raises(ParameterError, match="Smoking"):
            analysis.burden_table(burden, risks=["Smoking"])


class TestRiskRanking:
    def test_warwickshire_dalys_rank_tobacco_high_bmi_alcohol_1_2_6(self, burden):
        ranks = analysis.risk_ranking(burden, WARKS).set_index("risk")["DALYs rank"]
        assert (ranks["Tobacco"], ranks["High body-mass index"], ranks["Alcohol use"]) == (
            1, 2, 6)

    def test_warwickshire_deaths_rank_tobacco_first(self, burden):
        ranking = analysis.risk_ranking(burden, WARKS)
        assert ranking["risk"].iloc[0] == "Tobacco" and len(ranking) == 19
