"""Tests for cw_pophealth.memo: derived results reused only while a table is unchanged.

The tables here are synthetic (two or three made-up rows) unless they come from the snapshot.
"""

from __future__ import annotations

import gc

import pandas as pd
import pytest

from cw_pophealth import memo, snapshot


def synthetic() -> pd.DataFrame:
    return pd.DataFrame({"area": ["A", "B", "C"], "value": [1.0, 2.0, 3.0]})


class Counter:
    def __init__(self):
        self.calls = 0

    def total(self, table):
        def compute():
            self.calls += 1
            return float(table["value"].sum())
        return memo.memo(table, "total", compute)


EDITS = {
    "a cell": lambda t: t.__setitem__("value", t["value"].where(t.index != 0, 10.0)),
    "a cell by loc": lambda t: t.loc.__setitem__((0, "value"), 10.0),
    "a whole column": lambda t: t.__setitem__("value", t["value"] * 2),
    "a new column": lambda t: t.__setitem__("extra", 1),
    "a dropped column": lambda t: t.__delitem__("area"),
    "a new index": lambda t: setattr(t, "index", t.index + 1),
    "a cell by iloc": lambda t: t.iloc.__setitem__((0, 1), 10.0),
    "values filled in place": lambda t: t.fillna({"value": 0.0}, inplace=True),
}


class TestMemo:
    def test_an_unchanged_table_computes_once(self):
        table, counter = synthetic(), Counter()
        assert counter.total(table) == counter.total(table) == 6.0
        assert counter.calls == 1

    @pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
    def test_an_edited_table_computes_again(self, edit):
        table, counter = synthetic(), Counter()
        counter.total(table)
        EDITS[edit](table)
        expected = float(table["value"].sum())
        assert counter.total(table) == expected and counter.calls == 2

    def test_a_different_table_has_its_own_results(self):
        counter = Counter()
        counter.total(synthetic())
        other = synthetic().assign(value=[5.0, 5.0, 5.0])
        assert counter.total(other) == 15.0

    def test_an_edit_to_a_returned_frame_reaches_neither_cache_nor_table(self):
        table = synthetic()
        rows = memo.memo(table, "first two", lambda: table.iloc[:2])
        rows.loc[rows.index[0], "value"] = -1.0
        rows["extra"] = 1
        again = memo.memo(table, "first two", lambda: table.iloc[:2])
        assert again["value"].tolist() == [1.0, 2.0] and "extra" not in again
        assert table["value"].tolist() == [1.0, 2.0, 3.0]

    def test_the_cache_forgets_a_table_that_is_gone(self):
        table = synthetic()
        memo.memo(table, "total", lambda: 1)
        ident = id(table)
        del table
        gc.collect()
        assert ident not in memo._ENTRIES


class TestLoadedTables:
    """load_indicators hands out copies that share the derived results while unchanged."""

    def test_two_loads_share_what_was_derived(self, built_settings):
        counter = Counter()
        first = snapshot.load_indicators(built_settings)
        second = snapshot.load_indicators(built_settings)
        assert first is not second
        counter.total(first)
        counter.total(second)
        assert counter.calls == 1

    def test_an_edit_to_one_load_reaches_neither_the_next_load_nor_its_results(
            self, built_settings):
        counter = Counter()
        first = snapshot.load_indicators(built_settings)
        truth = counter.total(first)
        first["value"] = first["value"] * 0
        assert counter.total(first) == 0.0
        second = snapshot.load_indicators(built_settings)
        assert counter.total(second) == truth
        assert second["value"].sum() == pytest.approx(truth)
