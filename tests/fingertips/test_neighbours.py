"""Tests for cw_pophealth.fingertips.neighbours against the loopback fake API.

The fake serves the real CIPFA neighbour sets in the extracts (West Sussex's, among others)
and synthetic lists, marked as such, for the Coventry & Warwickshire areas.
"""

from __future__ import annotations

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import (
    InvalidAreaCodeError,
    ParameterError,
    UnknownAreaError,
    UnknownAreaTypeError,
)
from helpers import WARWICKSHIRE

WEST_SUSSEX = "E10000032"


class TestNearestNeighbourTypes:
    def test_cipfa_is_type_1(self, settings, fake_api):
        types = fingertips.nearest_neighbour_types(settings=settings)
        assert set(types.loc[types["neighbour_type_id"] == 1, "measure"]) == {"CIPFA"}

    def test_counties_and_uas_from_2023_use_the_nhs_england_model(self, settings, fake_api):
        types = fingertips.nearest_neighbour_types(settings=settings)
        assert types.loc[types["area_type_id"] == 502, "measure"].str.startswith(
            "NHS England").all()


class TestNearestNeighbours:
    def test_returns_the_neighbours_nearest_first(self, settings, fake_api):
        table = fingertips.nearest_neighbours(WARWICKSHIRE, 502, settings=settings)
        assert table["rank"].tolist() == list(range(1, len(table) + 1))

    def test_the_default_measure_is_the_area_types_only_model(self, settings, fake_api):
        table = fingertips.nearest_neighbours(WARWICKSHIRE, 502, settings=settings)
        assert set(table["measure"]) == {"NHS England ASC nearest neighbours"}

    def test_names_come_with_the_codes(self, settings, fake_api):
        table = fingertips.nearest_neighbours(WARWICKSHIRE, 502, settings=settings)
        assert table["area_name"].iloc[0] == "Worcestershire"

    def test_measure_is_matched_loosely(self, settings, fake_api):
        table = fingertips.nearest_neighbours("E07000222", 501, "cipfa", settings=settings)
        assert table["area_code"].iloc[0] == "E07000221"

    def test_nhse_picks_the_nhs_england_model(self, settings, fake_api):
        table = fingertips.nearest_neighbours(WARWICKSHIRE, 502, measure="NHSE",
                                              settings=settings)
        assert not table.empty

    def test_an_area_without_neighbours_gives_an_empty_table(self, settings, fake_api):
        # fingertipsR's test: the City of London has none.
        assert fingertips.nearest_neighbours("E09000001", 502, settings=settings).empty

    def test_an_area_type_without_a_model_is_an_error_naming_the_types(self, settings,
                                                                       fake_api):
        with pytest.raises(UnknownAreaTypeError, match=r"area_type_id=6 .*\[.*502.*\]"):
            fingertips.nearest_neighbours("E12000005", 6, settings=settings)

    def test_an_area_not_of_the_type_is_an_error(self, settings, fake_api):
        # fingertipsR's test: "E07000033 not in AreaTypeID = 502".
        with pytest.raises(UnknownAreaError, match="E07000033"):
            fingertips.nearest_neighbours("E07000033", 502, settings=settings)

    def test_a_measure_the_type_lacks_is_an_error_listing_what_it_has(self, settings,
                                                                      fake_api):
        with pytest.raises(ParameterError, match="CIPFA.*NHS England"):
            fingertips.nearest_neighbours(WARWICKSHIRE, 502, measure="CIPFA",
                                          settings=settings)

    def test_a_malformed_code_is_refused_before_any_request(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.nearest_neighbours("Warwickshire", 502, settings=settings)
        assert fake_api.requests == []


class TestRealCipfaSets:
    def test_west_sussexs_published_cipfa_set_includes_warwickshire(self, fake_api):
        # From psychty_la_ph_walkthrough/ut_data_neighbours.json (real, January 2020).
        _, codes = fake_api.neighbours(f"nn-1-{WEST_SUSSEX}")
        assert WARWICKSHIRE in codes and len(codes) >= 14
