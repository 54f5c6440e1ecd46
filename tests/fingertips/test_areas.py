"""Tests for cw_pophealth.fingertips.areas against the loopback fake API."""

from __future__ import annotations

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import InvalidAreaCodeError, UnknownAreaTypeError
from helpers import ALCOHOL, COVENTRY, LE, WARWICKSHIRE


class TestAreaTypes:
    def test_names_counties_and_uas(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        name = types.loc[types["area_type_id"] == 502, "area_type_name"].iloc[0]
        assert name == "Counties & UAs (from Apr 2023)"

    def test_lists_parent_types(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        parents = types.loc[(types["area_type_id"] == 501) & ~types["parent_is_category"],
                            "parent_area_type_id"]
        assert set(parents) == {15, 6, 502}

    def test_deprivation_decile_parents_are_flagged(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        flagged = types.loc[types["parent_is_category"].fillna(False), "parent_area_type_id"]
        assert flagged.min() >= 10000

    def test_lists_every_area_type_of_the_server(self, settings, fake_api):
        # About 100 area types, as the real server lists (101 in the Pholio tables).
        assert fingertips.area_types(settings=settings)["area_type_id"].nunique() >= 100

    def test_england_has_no_parent(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        assert types.loc[types["area_type_id"] == 15, "parent_area_type_id"].isna().all()

    def test_unknown_profile_lists_nothing(self, settings, fake_api):
        assert fingertips.area_types(999, settings=settings).empty


class TestAreas:
    def test_counties_and_uas_include_warwickshire(self, settings, fake_api):
        assert WARWICKSHIRE in set(fingertips.areas(502, settings=settings)["area_code"])

    def test_parent_filter_gives_warwickshire_districts(self, settings, fake_api):
        codes = fingertips.areas(501, WARWICKSHIRE, settings=settings)["area_code"].tolist()
        assert codes == ["E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]

    def test_malformed_parent_code_raises_before_any_request(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.areas(501, "Warwickshire", settings=settings)
        assert fake_api.requests == []

    def test_unknown_area_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match="999"):
            fingertips.areas(999, settings=settings)

    def test_unknown_area_type_error_suggests_area_types(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match=r"area_types\(\)"):
            fingertips.areas(999, settings=settings)


class TestParentToChildAreas:
    def test_warwickshire_has_five_districts(self, settings, fake_api):
        pairs = fingertips.parent_to_child_areas(501, 502, settings=settings)
        assert (pairs["parent_area_code"] == WARWICKSHIRE).sum() == 5

    def test_coventry_is_in_the_west_midlands(self, settings, fake_api):
        pairs = fingertips.parent_to_child_areas(502, 6, settings=settings)
        parent = pairs.loc[pairs["child_area_code"] == COVENTRY, "parent_area_code"]
        assert parent.tolist() == ["E12000005"]

    def test_unknown_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError):
            fingertips.parent_to_child_areas(501, 999, settings=settings)


class TestIndicatorAreatypes:
    def test_life_expectancy_has_data_for_counties_and_uas(self, settings, fake_api):
        types = fingertips.indicator_areatypes(LE, settings=settings)["area_type_id"]
        assert {501, 502} <= set(types)

    def test_indicator_without_data_lists_nothing(self, settings, fake_api):
        assert fingertips.indicator_areatypes(ALCOHOL, settings=settings).empty

    def test_filters_by_area_type(self, settings, fake_api):
        table = fingertips.indicator_areatypes(area_type_id=6, settings=settings)
        assert set(table["area_type_id"]) == {6}

    def test_both_filters_give_one_pair(self, settings, fake_api):
        # fingertipsR joins the second filter with "?" and gets every pair back.
        table = fingertips.indicator_areatypes(LE, 502, settings=settings)
        assert table.values.tolist() == [[LE, 502]]

    def test_available_data_is_the_same_lookup(self, settings, fake_api):
        assert fingertips.available_data(LE, settings=settings).equals(
            fingertips.indicator_areatypes(LE, settings=settings))
