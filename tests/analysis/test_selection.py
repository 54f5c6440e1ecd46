"""Tests for cw_pophealth.analysis.selection: areas, rows and periods a report shows."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import analysis, catalogue
from cw_pophealth.errors import (
    InvalidAreaCodeError,
    NoDataError,
    UnknownAreaError,
)
from helpers import COV, ENG, WARKS, WM


class TestLatestPeriod:
    def test_latest_by_end_date(self):
        df = pd.DataFrame({"period": ["2021 - 23", "2022/23", "2023"],
                           "period_start": pd.to_datetime(["2021-01-01", "2022-04-01",
                                                           "2023-01-01"]),
                           "period_end": pd.to_datetime(["2023-12-31", "2023-03-31",
                                                         "2023-12-31"])})
        assert analysis.latest_period(df) == "2023"

    def test_empty_frame_raises_no_data(self):
        with pytest.raises(NoDataError):
            analysis.latest_period(pd.DataFrame(columns=["period", "period_start",
                                                           "period_end"]))


class TestAreaSelection:
    def test_counties_are_followed_by_their_districts_then_comparators(self, extracts_settings):
        areas = analysis.area_selection([COV, WARKS], [WM, ENG])
        expected = [COV, WARKS, *catalogue.WARWICKSHIRE_DISTRICTS, WM, ENG]
        assert areas["area_code"].tolist() == expected

    def test_districts_can_be_left_out(self, extracts_settings):
        areas = analysis.area_selection([WARKS], include_districts=False)
        assert areas["area_code"].tolist() == [WARKS]

    def test_a_malformed_code_names_its_parameter(self, extracts_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"area_codes\[1\]"):
            analysis.area_selection([COV, "Coventry"])

    def test_an_unknown_code_names_its_parameter(self, extracts_settings):
        with pytest.raises(UnknownAreaError, match=r"comparator_codes\[0\]"):
            analysis.area_selection([COV], ["E12999999"])


class TestAreaSelectionWithAnIcb:
    ICB = catalogue.COVENTRY_AND_WARWICKSHIRE_ICB

    def test_an_icb_expands_to_its_authorities_and_their_districts(self):
        areas = analysis.area_selection([self.ICB], [ENG])
        assert areas.loc[areas["role"] == "focus", "area_code"].tolist() == [COV, WARKS] and (
            len(areas) == 2 + 5 + 1)

    def test_the_selection_says_what_the_icb_was_shown_as(self):
        areas = analysis.area_selection([self.ICB])
        assert areas.attrs["area_note"].startswith(
            "NHS Coventry and Warwickshire Integrated Care Board (E54000018) is shown as its "
            "upper-tier authorities Coventry (E08000026) and Warwickshire (E10000031)")

    def test_the_note_travels_to_the_analysis_tables(self, snapshot_table):
        areas = analysis.area_selection([self.ICB], include_districts=False)
        bench = analysis.benchmark_table(snapshot_table, "smoking", areas)
        won = analysis.window_of_need(snapshot_table, areas)
        assert bench.attrs["area_note"] == won.attrs["area_note"] == areas.attrs["area_note"]

    def test_the_selection_note_names_the_icb(self):
        note = analysis.selection_note(analysis.area_selection([self.ICB], [ENG]))
        assert "E54000018" in note and note.endswith("comparators: England.")
