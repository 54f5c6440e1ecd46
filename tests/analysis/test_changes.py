"""Tests for cw_pophealth.analysis.changes: what changed between two refreshes of the table.

Every table here is SYNTHETIC (made-up values on real area codes), built with helpers.tidy.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth.analysis import changes
from helpers import COV, ENG, WARKS, tidy

OBESITY, INACTIVITY = 93881, 93015


def _rows(period="2022/23", cov=(30.0, 28.0, 32.0), indicator=OBESITY):
    """SYNTHETIC: England 26.0 and Coventry for one period of one indicator."""
    value, lo, hi = cov
    base = {"indicator_id": indicator, "period": period}
    return [{**base, "area_code": ENG, "value": 26.0, "lower_ci_95": 25.8, "upper_ci_95": 26.2},
            {**base, "area_code": COV, "value": value, "lower_ci_95": lo, "upper_ci_95": hi}]


def _kinds(out):
    return [k for k, n in changes.count_changes(out).items() for _ in range(n)]


class TestCompareTables:
    def test_the_first_run_has_nothing_to_compare_with(self):
        out = changes.compare_tables(None, tidy(_rows()))
        assert (out.empty, out.attrs["compared"]) == (True, False)

    def test_the_same_table_has_no_changes(self):
        table = tidy(_rows())
        out = changes.compare_tables(table, table.copy())
        assert (out.empty, out.attrs["compared"]) == (True, True)

    def test_a_new_period_is_one_row_with_its_number_of_areas(self):
        out = changes.compare_tables(tidy(_rows()), tidy(_rows() + _rows("2023/24")))
        row = out.iloc[0]
        assert (list(out["change"]), row["period"], row["n_areas"]) == (
            [changes.NEW_PERIOD], "2023/24", 2)

    def test_a_withdrawn_period_is_listed(self):
        out = changes.compare_tables(tidy(_rows() + _rows("2023/24")), tidy(_rows()))
        assert list(out["change"]) == [changes.WITHDRAWN]

    def test_a_revised_value_shows_the_old_value_next_to_the_new(self):
        out = changes.compare_tables(tidy(_rows(cov=(30.0, 28.0, 32.0))),
                                     tidy(_rows(cov=(30.5, 28.5, 32.5))))
        row = out.loc[out["change"] == changes.REVISED].iloc[0]
        assert (row["area_code"], row["old_value"], row["new_value"]) == (COV, 30.0, 30.5)

    def test_a_comparison_that_changed_is_listed_with_both_labels(self):
        # Obesity, low is good: CI 25 to 27 holds England's 26 (Similar); 28 to 32 does not.
        out = changes.compare_tables(tidy(_rows(cov=(26.0, 25.0, 27.0))),
                                     tidy(_rows(cov=(30.0, 28.0, 32.0))))
        row = out.loc[out["change"] == changes.COMPARISON].iloc[0]
        assert (row["old_comparison"], row["new_comparison"], row["detail"]) == (
            "Similar", "Worse", "Similar to Worse")

    def test_a_revision_that_keeps_the_comparison_is_only_a_revised_value(self):
        out = changes.compare_tables(tidy(_rows(cov=(30.0, 28.0, 32.0))),
                                     tidy(_rows(cov=(31.0, 29.0, 33.0))))
        assert _kinds(out) == [changes.REVISED]

    def test_the_published_label_is_used_where_a_row_has_no_ci(self):
        def table(label):
            return tidy([{"indicator_id": INACTIVITY, "period": "2022/23", "area_code": ENG,
                          "value": 22.0},
                         {"indicator_id": INACTIVITY, "period": "2022/23", "area_code": COV,
                          "value": 25.0, "compared_to_england": label}])
        out = changes.compare_tables(table("Similar"), table("Worse"))
        assert list(out["detail"]) == ["Similar to Worse"]

    def test_an_indicator_that_appeared_is_one_row(self):
        out = changes.compare_tables(tidy(_rows()),
                                     tidy(_rows() + _rows(indicator=INACTIVITY)))
        assert (list(out["change"]), list(out["indicator_id"])) == (
            [changes.APPEARED], [INACTIVITY])

    def test_an_indicator_that_vanished_is_one_row(self):
        out = changes.compare_tables(tidy(_rows() + _rows(indicator=INACTIVITY)),
                                     tidy(_rows()))
        assert list(out["change"]) == [changes.VANISHED]

    def test_a_new_area_in_an_existing_period_is_a_value_not_in_the_previous_table(self):
        extra = {"indicator_id": OBESITY, "period": "2022/23", "area_code": WARKS,
                 "value": 25.0, "lower_ci_95": 22.0, "upper_ci_95": 28.0}
        out = changes.compare_tables(tidy(_rows()), tidy([*_rows(), extra]))
        row = out.iloc[0]
        assert (row["change"], pd.isna(row["old_value"]), row["detail"]) == (
            changes.REVISED, True, "not in the previous table")

    def test_a_superseded_release_is_not_compared(self):
        # Only the current release of an observation counts: adding an older release of the
        # same value changes nothing a reader sees.
        old_release = {**_rows()[1], "value": 31.0, "current": False,
                       "release": "an older synthetic release",
                       "release_date": pd.Timestamp("2020-01-01"),
                       "superseded_by": "synthetic test release"}
        out = changes.compare_tables(tidy(_rows()), tidy([*_rows(), old_release]))
        assert out.empty

    def test_changes_are_listed_in_the_documented_order(self):
        old = tidy(_rows(cov=(26.0, 25.0, 27.0)) + _rows(indicator=INACTIVITY))
        new = tidy(_rows(cov=(30.0, 28.0, 32.0)) + _rows("2023/24"))
        out = changes.compare_tables(old, new)
        assert list(out["change"]) == [changes.VANISHED, changes.NEW_PERIOD,
                                       changes.COMPARISON, changes.REVISED]

    @pytest.mark.parametrize("column", list(changes.CHANGE_COLUMNS))
    def test_every_documented_column_is_there(self, column):
        assert column in changes.compare_tables(tidy(_rows()), tidy(_rows("2023/24"))).columns


class TestComparisonWithEngland:
    def test_england_itself_is_not_compared(self):
        labels = changes.comparison_with_england(tidy(_rows()))
        assert labels.isna().tolist() == [True, False]
