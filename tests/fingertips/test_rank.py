"""Tests for cw_pophealth.fingertips.rank: fingertipsR's rank and dplyr's ntile."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth.fingertips.rank import add_rank, area_tier, ntile

POLARITY = pd.DataFrame({"indicator_id": [1], "polarity": ["RAG - Low is good"]})


def rows(values, codes=None, parents=None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "indicator_id": [1] * n, "period": ["2023"] * n, "sex": ["Persons"] * n,
        "age": ["All ages"] * n, "category_type": [pd.NA] * n, "category": [pd.NA] * n,
        "area_code": codes or [f"E0600000{i}" for i in range(1, n + 1)],
        "parent_code": parents or ["E12000001"] * n, "value": values})


class TestAddRank:
    def test_one_is_the_lowest_value(self):
        assert add_rank(rows([5.0, 1.0, 3.0]), POLARITY,
                        parent_area_type_id=6)["rank"].tolist() == [3.0, 1.0, 2.0]

    def test_ties_share_their_mean_rank(self):
        assert add_rank(rows([2.0, 2.0, 1.0]), POLARITY,
                        parent_area_type_id=6)["rank"].tolist() == [2.5, 2.5, 1.0]

    def test_missing_values_are_not_ranked(self):
        ranked = add_rank(rows([2.0, None, 1.0]), POLARITY, parent_area_type_id=6)
        assert ranked["rank"].isna().tolist() == [False, True, False]

    def test_the_count_is_of_values_present(self):
        ranked = add_rank(rows([2.0, None, 1.0]), POLARITY, parent_area_type_id=6)
        assert ranked["area_values_count"].tolist() == [2, 2, 2]

    def test_england_and_regions_are_ranked_apart_from_the_children(self):
        table = rows([9.0, 1.0, 5.0], codes=["E92000001", "E12000001", "E06000001"],
                     parents=[pd.NA, "E92000001", "E12000001"])
        assert add_rank(table, POLARITY, parent_area_type_id=6)["rank"].tolist() == [
            1.0, 1.0, 1.0]

    def test_the_polarity_is_added_per_indicator(self):
        ranked = add_rank(rows([1.0]), POLARITY, parent_area_type_id=6)
        assert ranked["polarity"].tolist() == ["RAG - Low is good"]

    def test_rank_ignores_polarity(self):
        high = pd.DataFrame({"indicator_id": [1], "polarity": ["RAG - High is good"]})
        assert add_rank(rows([5.0, 1.0]), high, parent_area_type_id=6)["rank"].tolist() == [
            2.0, 1.0]


class TestAreaTier:
    def test_under_england_every_area_but_england_is_a_child(self):
        table = rows([1.0, 2.0], codes=["E92000001", "E06000001"],
                     parents=[pd.NA, "E92000001"])
        assert area_tier(table, 15).tolist() == ["England", "child"]


class TestNtile:
    # Reference values: dplyr 1.1 ntile(), e.g. ntile(1:10, 3) is 1 1 1 1 2 2 2 3 3 3.
    @pytest.mark.parametrize("values, n, expected", [
        (list(range(1, 11)), 3, [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]),
        (list(range(1, 11)), 10, list(range(1, 11))),
        ([3.0, 1.0, 2.0], 10, [3, 1, 2]),
        (list(range(1, 21)), 10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
                                  10]),
    ], ids=["10 in 3", "10 in 10", "fewer than n", "20 in 10"])
    def test_matches_dplyr(self, values, n, expected):
        assert ntile(pd.Series(values, dtype="float64"), n).tolist() == expected

    def test_ties_are_broken_by_position(self):
        assert ntile(pd.Series([1.0, 1.0]), 2).tolist() == [1, 2]

    def test_missing_values_stay_missing(self):
        assert ntile(pd.Series([None, 2.0]), 2).isna().tolist() == [True, False]
