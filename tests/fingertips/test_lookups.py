"""Tests for cw_pophealth.fingertips.lookups against the loopback fake API."""

from __future__ import annotations

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import ParameterError, UnknownIndicatorError
from helpers import LE


class TestProfiles:
    def test_lists_the_known_profiles(self, settings, fake_api):
        ids = set(fingertips.profiles(settings=settings)["profile_id"])
        assert {18, 19, 26} <= ids

    def test_one_profile_has_one_row_per_domain(self, settings, fake_api):
        # PHOF's six domains, as fingertipsR's README prints them from the live API.
        assert len(fingertips.profiles(19, settings=settings)) == 6

    def test_domains_are_named_from_the_group_metadata(self, settings, fake_api):
        table = fingertips.profiles(19, settings=settings)
        assert table["domain_name"].iloc[0] == "A. Overarching indicators"

    def test_domain_names_come_with_the_profiles_and_cost_no_request(self, settings,
                                                                      fake_api):
        fingertips.profiles(settings=settings)
        assert [r.endpoint for r in fake_api.requests] == ["profiles"]

    def test_one_profile_has_its_name(self, settings, fake_api):
        names = set(fingertips.profiles(19, settings=settings)["profile_name"])
        assert names == {"Public Health Outcomes Framework"}

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.profiles(settings=settings).columns) == [
            "profile_id", "profile_name", "profile_key", "domain_id", "domain_name"]

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
            "indicator_id", "indicator_name", "domain_id", "domain_name", "profile_id",
            "profile_name"]

    def test_profile_rows_name_the_domain(self, settings, fake_api):
        table = fingertips.indicators(19, settings=settings)
        names = table.loc[table["indicator_id"] == LE, "domain_name"]
        assert names.tolist() == ["A. Overarching indicators"]


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


class TestIndicatorPolarities:
    def test_a_low_is_good_indicator(self, settings, fake_api):
        table = fingertips.indicator_polarities([92443], settings=settings)
        assert table["polarity"].tolist() == ["RAG - Low is good"]

    def test_they_come_from_the_metadata_csv(self, settings, fake_api):
        fingertips.indicator_polarities([92443, LE], settings=settings)
        assert [r.endpoint for r in fake_api.requests] == [
            "indicator_metadata/csv/by_indicator_id"]

    def test_keep_the_order_asked(self, settings, fake_api):
        table = fingertips.indicator_polarities([92443, LE], settings=settings)
        assert table["indicator_id"].tolist() == [92443, LE]


class TestCategoryTypes:
    def test_lists_the_deprivation_deciles_of_the_2017_export(self, settings, fake_api):
        cats = fingertips.category_types(settings=settings)
        names = cats.loc[cats["category_type_id"] == 39, "category_name"].tolist()
        assert names[0] == "Most deprived decile (IMD2015)" and len(names) == 10

    def test_names_match_the_category_rows_of_the_data(self, settings, fake_api):
        cats = fingertips.category_types(settings=settings)
        data = fingertips.fingertips_data(93356, include_categories=True, settings=settings,
                                          progress=False)
        assert set(data["category_type"].dropna()) <= set(cats["category_type_name"])

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.category_types(settings=settings).columns) == [
            "category_type_id", "category_type_name", "category_type_short", "category_id",
            "category_name", "category_short_name"]
