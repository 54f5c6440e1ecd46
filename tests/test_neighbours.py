"""Tests for cw_pophealth.neighbours: an area among its statistical neighbours.

The neighbour lists are the real CIPFA sets in the extracts
(``psychty_la_ph_walkthrough/ut_data_neighbours.json``); the values are the offline snapshot.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import neighbours
from cw_pophealth.errors import NoDataError, ParameterError
from helpers import COVENTRY, WARWICKSHIRE, tidy

WEST_SUSSEX, BRIGHTON = "E10000032", "E06000043"


@pytest.fixture(scope="module")
def west_sussex(extracts_settings):
    return neighbours.published_neighbours(WEST_SUSSEX, settings=extracts_settings)


class TestPublishedNeighbours:
    def test_west_sussexs_group_includes_warwickshire(self, west_sussex):
        assert WARWICKSHIRE in set(west_sussex["area_code"])

    def test_brighton_and_hoves_group_includes_coventry(self, extracts_settings):
        group = neighbours.published_neighbours(BRIGHTON, settings=extracts_settings)
        assert COVENTRY in set(group["area_code"]) and len(group) == 15

    def test_an_area_that_no_longer_exists_is_listed_without_a_code(self, west_sussex):
        gone = west_sussex.loc[west_sussex["area_code"].isna()]
        assert gone["area_name"].tolist() == ["Northamptonshire"] and gone["status"].str.startswith(
            "no longer").all()

    def test_the_2023_unitaries_are_matched_to_their_new_codes(self, west_sussex):
        assert {"E06000065", "E06000066"} <= set(west_sussex["area_code"].dropna())

    def test_the_area_is_not_its_own_neighbour(self, west_sussex):
        assert WEST_SUSSEX not in set(west_sussex["area_code"].dropna())

    def test_an_area_without_a_list_says_which_areas_have_one(self, extracts_settings):
        with pytest.raises(NoDataError, match=r"West Sussex \(E10000032\).*neighbours_from='api'"):
            neighbours.published_neighbours(WARWICKSHIRE, settings=extracts_settings)


class TestNeighbourList:
    def test_an_unknown_source_names_the_choices(self):
        with pytest.raises(ParameterError, match=r"neighbours_from='web'.*extracts.*api"):
            neighbours.neighbour_list(WEST_SUSSEX, "web")

    def test_the_api_gives_the_same_columns(self, settings, fake_api, west_sussex):
        group = neighbours.neighbour_list(WARWICKSHIRE, "api", settings=settings)
        assert list(group.columns) == list(west_sussex.columns) and not group.empty


def synthetic_group() -> pd.DataFrame:
    """SYNTHETIC rows: obesity (low is good) for Coventry and three neighbours."""
    rows = [{"indicator_id": 93881, "area_code": code, "period": "2023", "value": value}
            for code, value in [(COVENTRY, 20.0), ("E06000001", 10.0), ("E06000002", 30.0),
                                ("E06000003", 20.0)]]
    rows.append({"indicator_id": 93881, "area_code": "E06000004", "period": "2023",
                 "value": None})
    return tidy(rows)


class TestNeighbourTable:
    @pytest.fixture
    def placed(self):
        return neighbours.neighbour_table(
            synthetic_group(), COVENTRY, ["E06000001", "E06000002", "E06000003", "E06000004"],
            "obesity")

    def test_rank_one_is_the_best_value(self, placed):
        # Low is good: 10 is better, 20 ties, 30 is worse: rank 2 of the 4 with a value.
        assert (placed["rank"].iloc[0], placed["group_size"].iloc[0]) == (2, 4)

    def test_the_neighbours_spread_is_given(self, placed):
        assert (placed["neighbour_median"].iloc[0], placed["neighbour_min"].iloc[0],
                placed["neighbour_max"].iloc[0]) == (20.0, 10.0, 30.0)

    def test_a_neighbour_without_a_value_is_counted_not_dropped(self, placed):
        assert (placed["neighbours_with_value"].iloc[0],
                placed["neighbours_total"].iloc[0]) == (3, 4)

    def test_an_area_without_a_value_gets_an_explicit_row(self):
        placed = neighbours.neighbour_table(synthetic_group(), "E06000004", [COVENTRY],
                                            "obesity")
        assert placed["status"].iloc[0].startswith("No value for E06000004")

    def test_the_presented_rank_reads_n_of_m(self, placed):
        assert neighbours.present_neighbour_table(placed)["Rank among neighbours"].iloc[0] == (
            "2 of 4")

    def test_west_sussex_against_its_real_neighbours(self, snapshot_table, west_sussex):
        placed = neighbours.neighbour_table(snapshot_table, WEST_SUSSEX,
                                            west_sussex["area_code"].dropna(), "obesity")
        assert placed["status"].tolist() == ["OK"] and placed["group_size"].iloc[0] == 15
