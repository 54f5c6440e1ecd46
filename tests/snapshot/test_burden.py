"""Tests for cw_pophealth.snapshot.burden: GBD 2017 deaths attributable to risks."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import catalogue
from cw_pophealth.errors import SchemaValidationError
from cw_pophealth.snapshot import burden, names

WARKS, ENG = catalogue.WARWICKSHIRE, catalogue.ENGLAND


@pytest.fixture(scope="module")
def gbd(extracts_dir):
    return burden.read_gbd_burden(extracts_dir, references=names.load_references(extracts_dir))


def deaths(gbd, area, risk, sex="Persons") -> pd.Series:
    rows = gbd.loc[(gbd["area_code"] == area) & (gbd["risk"] == risk) & (gbd["sex"] == sex)
                   & (gbd["measure"] == "Deaths")]
    assert len(rows) == 1
    return rows.iloc[0]


# Warwickshire (value, lower, upper) and England value, both sexes, deaths per 100,000.
PUBLISHED = {"Tobacco": ((61.9, 51.0, 74.0), 68.4), "Dietary risks": ((58.0, 51.2, 64.5), 62.6),
             "Alcohol use": ((18.3, 6.5, 38.1), 16.8),
             "Low physical activity": ((9.2, 5.1, 14.2), 9.8)}


class TestReadGbdBurden:
    @pytest.mark.parametrize("risk", list(PUBLISHED))
    def test_warwickshire_deaths_with_uncertainty(self, gbd, risk):
        row = deaths(gbd, WARKS, risk)
        assert (row["value"], row["lower_ui_95"], row["upper_ui_95"]) == PUBLISHED[risk][0]

    @pytest.mark.parametrize("risk", list(PUBLISHED))
    def test_england_deaths(self, gbd, risk):
        assert deaths(gbd, ENG, risk)["value"] == PUBLISHED[risk][1]

    def test_high_bmi_deaths(self, gbd):
        assert (deaths(gbd, WARKS, "High body-mass index")["value"],
                deaths(gbd, ENG, "High body-mass index")["value"]) == (40.8, 40.5)

    def test_thousands_separators_and_negative_lower_bounds_are_parsed(self, gbd):
        assert gbd["value"].max() > 1000 and (gbd["lower_ui_95"] < 0).any()

    def test_gbd_location_names_map_to_codes(self, gbd):
        south_east = gbd.loc[gbd["area_name"] == "South East England", "area_code"].unique()
        assert south_east.tolist() == ["E12000008"] and gbd["area_code"].notna().all()

    def test_every_row_carries_the_ihme_licence(self, gbd):
        assert gbd["licence"].str.contains("non-commercial").all()

    def test_coventry_is_not_in_the_file(self, gbd):
        assert not (gbd["area_code"] == catalogue.COVENTRY).any()

    def test_it_is_all_ages_age_standardised_2017(self, gbd):
        assert (set(gbd["year"]), set(gbd["metric"])) == (
            {2017}, {"Age-standardised rate per 100,000"})

    def test_every_row_of_the_file_is_kept(self, gbd):
        assert len(gbd) == 4032


class TestValidateBurden:
    def test_an_interval_that_misses_its_estimate_is_refused(self, gbd):
        with pytest.raises(SchemaValidationError, match="uncertainty"):
            burden.validate_burden(gbd.assign(upper_ui_95=gbd["value"] - 1))
