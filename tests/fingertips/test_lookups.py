"""Tests for cw_pophealth.fingertips.lookups against the loopback fake API."""

from __future__ import annotations

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import (
    InvalidAreaCodeError,
    ParameterError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from helpers import ALCOHOL, COVENTRY, LE, WARWICKSHIRE


class TestProfiles:
    def test_lists_the_known_profiles(self, settings, fake_api):
        ids = set(fingertips.profiles(settings=settings)["profile_id"])
        assert {18, 19, 26} <= ids

    def test_one_profile_has_one_row_per_domain(self, settings, fake_api):
        assert len(fingertips.profiles(19, settings=settings)) == 3

    def test_one_profile_has_its_name(self, settings, fake_api):
        names = set(fingertips.profiles(19, settings=settings)["profile_name"])
        assert names == {"Public Health Outcomes Framework"}

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.profiles(settings=settings).columns) == [
            "profile_id", "profile_name", "profile_key", "domain_id"]

    def test_unknown_profile_raises_parameter_error(self, settings, fake_api):
        with pytest.raises(ParameterError, match="profiles()"):
            fingertips.profiles(999, settings=settings)


class TestIndicators:
    def test_all_indicators_include_life_expectancy(self, settings, fake_api):
        assert LE in set(fingertips.indicators(settings=settings)["indicator_id"])

    def test_one_profile_lists_only_its_indicators(self, settings, fake_api):
        table = fingertips.indicators(18, settings=settings)
        assert table["indicator_id"].tolist() == [92443]

    def test_profile_rows_name_the_profile(self, settings, fake_api):
        table = fingertips.indicators(19, settings=settings)
        assert set(table["profile_name"]) == {"Public Health Outcomes Framework"}

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.indicators(settings=settings).columns) == [
            "indicator_id", "indicator_name", "domain_id", "profile_id", "profile_name"]


class TestIndicatorMetadata:
    def test_returns_the_name(self, settings, fake_api):
        meta = fingertips.indicator_metadata([LE], settings=settings)
        assert meta["indicator_name"].iloc[0] == "Life expectancy at birth"

    def test_keeps_the_requested_order(self, settings, fake_api):
        meta = fingertips.indicator_metadata([93015, LE], settings=settings)
        assert meta["indicator_id"].tolist() == [93015, LE]

    def test_accepts_catalogue_keys(self, settings, fake_api):
        meta = fingertips.indicator_metadata("smoking", settings=settings)
        assert meta["indicator_id"].tolist() == [92443]

    def test_reads_nested_unit_label(self, settings, fake_api):
        assert fingertips.indicator_metadata(93015, settings=settings)["unit"].iloc[0] == "%"

    def test_unknown_id_raises_unknown_indicator(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.indicator_metadata([LE, 123456], settings=settings)

    def test_unknown_id_error_suggests_indicators(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError, match=r"indicators\(\)"):
            fingertips.indicator_metadata([123456], settings=settings)

    def test_unknown_key_raises_unknown_indicator(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError):
            fingertips.indicator_metadata("no_such_key", settings=settings)


class TestAreaTypes:
    def test_names_counties_and_uas(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        name = types.loc[types["area_type_id"] == 502, "area_type_name"].iloc[0]
        assert name == "Counties & UAs (from Apr 2023)"

    def test_lists_parent_types(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        parents = set(types.loc[types["area_type_id"] == 501, "parent_area_type_id"])
        assert parents == {15, 6, 502}

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


class TestAvailableData:
    def test_life_expectancy_has_data_for_counties_and_uas(self, settings, fake_api):
        types = fingertips.available_data(LE, settings=settings)["area_type_id"]
        assert {501, 502} <= set(types)

    def test_indicator_without_data_lists_nothing(self, settings, fake_api):
        assert fingertips.available_data(ALCOHOL, settings=settings).empty

    def test_filters_by_area_type(self, settings, fake_api):
        table = fingertips.available_data(area_type_id=6, settings=settings)
        assert set(table["area_type_id"]) == {6}
