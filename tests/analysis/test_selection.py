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
