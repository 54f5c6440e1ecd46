"""Tests for cw_pophealth.snapshot.names: published area names to ONS codes, never guessed."""

from __future__ import annotations

import pytest

from cw_pophealth import catalogue
from cw_pophealth.errors import ParameterError
from cw_pophealth.snapshot import names

JAN_2020 = "2020-01-31"


@pytest.fixture(scope="module")
def references(extracts_dir):
    return names.load_references(extracts_dir)


def codes(mapping) -> dict:
    return dict(zip(mapping["name"], mapping["area_code"], strict=True))


class TestNormaliseName:
    @pytest.mark.parametrize(("raw", "key"), [
        ("Bristol, City of", "bristol"), ("\tKingston upon Hull", "kingston upon hull"),
        ("South East region (statistical)", "south east"), ("South East England", "south east"),
        ("Brighton & Hove", "brighton and hove"),
    ])
    def test_documented_normalisation(self, raw, key):
        assert names.normalise_name(raw) == key

    def test_a_2023_unitary_never_matches_the_old_county(self):
        assert names.normalise_name("North Yorkshire UA") != names.normalise_name("North Yorkshire")


class TestMapNames:
    def test_coventry_warwickshire_and_england_map(self, references):
        mapping = names.map_names(["Coventry", "Warwickshire", "England"], references,
                                  vintage=JAN_2020, tier="upper")
        assert codes(mapping) == {"Coventry": catalogue.COVENTRY,
                                  "Warwickshire": catalogue.WARWICKSHIRE,
                                  "England": catalogue.ENGLAND}

    def test_abolished_counties_do_not_map_with_current_areas_alone(self, references):
        current_only = references.loc[references["reference"].str.startswith("fphd")]
        mapping = names.map_names(["Northamptonshire", "North Yorkshire", "Somerset",
                                   "Warwickshire"], current_only, vintage=JAN_2020, tier="upper")
        unmapped = set(mapping.loc[mapping["status"] == "unmapped", "name"])
        assert unmapped == {"Northamptonshire", "North Yorkshire", "Somerset"}

    def test_the_unmapped_names_are_reported(self, references):
        current_only = references.loc[references["reference"].str.startswith("fphd")]
        mapping = names.map_names(["Northamptonshire"], current_only, vintage=JAN_2020)
        assert names.unmapped_report(mapping).startswith("unmapped: 'Northamptonshire' -> -")

    @pytest.mark.parametrize(("name", "code"), [
        ("North Yorkshire", "E10000023"),  # the county, not the 2023 UA E06000065
        ("Bournemouth", "E06000028"), ("Waveney", "E07000206"),
        ("Stratford-on-Avon", "E07000221"),
        ("Buckinghamshire", "E10000002"),  # the UA E06000060 starts on 2020-04-01
    ])
    def test_codes_are_those_in_use_at_the_vintage(self, references, name, code):
        mapping = names.map_names([name], references, vintage=JAN_2020)
        assert (codes(mapping)[name], mapping["status"].iloc[0]) == (code, "mapped")

    def test_an_unknown_name_is_not_guessed(self, references):
        mapping = names.map_names(["Warwickshyre"], references, vintage=JAN_2020)
        assert mapping["status"].tolist() == ["unmapped"] and mapping["area_code"].isna().all()

    def test_an_unknown_tier_is_a_parameter_error(self, references):
        with pytest.raises(ParameterError, match="tier"):
            names.map_names(["Coventry"], references, vintage=JAN_2020, tier="middle")
