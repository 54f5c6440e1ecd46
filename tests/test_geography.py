"""Tests for cw_pophealth.geography, on the real Pholio reference tables."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import catalogue, geography
from cw_pophealth.errors import InvalidAreaCodeError, UnknownAreaError, UnknownAreaTypeError


@pytest.fixture(scope="module")
def lookup(extracts_dir):
    return geography.load_reference_geography(extracts_dir / geography.REFERENCE_SUBDIR)


class TestValidateAreaCode:
    def test_lower_case_code_is_normalised(self):
        assert geography.validate_area_code(" e10000031 ") == "E10000031"

    @pytest.mark.parametrize("bad", ["E0800002", "Coventry", "", None, "E08000026X", 8000026])
    def test_malformed_code_names_the_parameter(self, bad):
        with pytest.raises(InvalidAreaCodeError, match="benchmark_code="):
            geography.validate_area_code(bad, parameter="benchmark_code")


class TestAreaLookup:
    def test_warwickshire_has_its_five_districts(self, lookup):
        assert lookup.children(catalogue.WARWICKSHIRE, catalogue.AREA_TYPE_DISTRICT_UA) == list(
            catalogue.WARWICKSHIRE_DISTRICTS)

    def test_there_are_153_upper_tier_areas(self, lookup):
        assert len(lookup.upper_tier_areas()) == 153

    def test_coventry_is_in_the_west_midlands(self, lookup):
        assert lookup.region_of(catalogue.COVENTRY) == catalogue.WEST_MIDLANDS

    def test_a_unitary_authority_is_in_both_tiers(self, lookup):
        assert lookup.area_type_ids(catalogue.COVENTRY) == [501, 502]

    def test_region_names_drop_the_statistical_suffix(self, lookup):
        assert lookup.name(catalogue.WEST_MIDLANDS) == "West Midlands"

    def test_unknown_but_well_formed_code_is_unknown_area(self, lookup):
        with pytest.raises(UnknownAreaError, match="E06999999"):
            lookup.require("E06999999")

    def test_unsupported_area_type_lists_the_valid_ones(self, lookup):
        with pytest.raises(UnknownAreaTypeError, match="502"):
            lookup.areas(999)

    def test_parent_to_child_maps_a_unitary_to_itself(self, lookup):
        mapping = lookup.parent_to_child(501, 502)
        assert mapping[catalogue.COVENTRY] == [catalogue.COVENTRY]

    def test_parent_to_child_maps_the_region_to_its_upper_tier(self, lookup):
        mapping = lookup.parent_to_child(502, 6)
        assert {catalogue.COVENTRY, catalogue.WARWICKSHIRE} <= set(mapping[catalogue.WEST_MIDLANDS])


class TestNormaliseAreaType:
    def test_code_prefix_decides_the_type(self):
        codes = pd.Series(["E92000001", "E12000005", "E10000031", "E08000026", "E07000218"])
        published = pd.Series(["Country", "Region", "County & UA", "Local Authority District",
                               "District"])
        assert geography.normalise_area_type(codes, published).tolist() == [
            "England", "Region", "County", "UA", "District"]

    def test_unknown_prefix_keeps_the_published_label(self):
        out = geography.normalise_area_type(pd.Series(["W06000001"]), pd.Series(["UA (Wales)"]))
        assert out.tolist() == ["UA (Wales)"]


class TestIntegratedCareBoards:
    ICB = catalogue.COVENTRY_AND_WARWICKSHIRE_ICB

    def test_the_coventry_and_warwickshire_icb_is_known(self, lookup):
        assert lookup.is_icb(self.ICB) and not lookup.is_icb(catalogue.COVENTRY)

    def test_it_expands_to_coventry_and_warwickshire(self, lookup):
        assert lookup.icb_constituents(self.ICB).constituents == (catalogue.COVENTRY,
                                                                   catalogue.WARWICKSHIRE)

    def test_the_expansion_says_it_comes_from_the_icbs_name(self, lookup):
        evidence = lookup.icb_constituents(self.ICB).evidence
        assert evidence.startswith("the places the ICB's name lists in "
                                   "fphd_pholio_reference/area.csv")

    def test_a_name_with_a_comma_and_a_multi_word_authority_decomposes(self, lookup):
        # NHS Bath and North East Somerset, Swindon and Wiltshire ICB.
        codes = lookup.icb_constituents("E54000040").constituents
        assert [lookup.name(c) for c in codes] == ["Bath and North East Somerset", "Swindon",
                                                   "Wiltshire"]

    def test_an_icb_whose_name_is_not_authorities_is_refused(self, lookup):
        with pytest.raises(UnknownAreaError, match="cannot be expanded offline"):
            lookup.icb_constituents("E54000057")  # NHS Greater Manchester ICB

    def test_an_icb_code_is_still_not_an_area_of_its_own(self, lookup):
        with pytest.raises(UnknownAreaError):
            lookup.require(self.ICB)
