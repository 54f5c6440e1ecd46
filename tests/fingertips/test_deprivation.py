"""Tests for cw_pophealth.fingertips.deprivation against the loopback fake API.

The fake's IMD 2019 scores (indicator 93553) are a synthetic test fixture; what is tested is
how deciles are made from whatever scores the API publishes.
"""

from __future__ import annotations

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import ParameterError
from helpers import COVENTRY


@pytest.fixture
def deciles(settings, fake_api):
    return fingertips.deprivation_decile(502, 2019, settings=settings)


class TestDeprivationDecile:
    def test_one_row_per_county_and_ua(self, deciles, fake_api):
        assert len(deciles) == len(fake_api.geography.areas(502))

    def test_england_is_not_ranked(self, deciles):
        assert "E92000001" not in set(deciles["area_code"])

    def test_decile_1_holds_the_highest_scores(self, deciles):
        top = deciles.nlargest(5, "imd_score")
        assert set(top["decile"]) == {1}

    def test_deciles_are_nearly_equal_in_size(self, deciles):
        sizes = deciles["decile"].value_counts()
        assert sizes.max() - sizes.min() <= 1 and set(sizes.index) == set(range(1, 11))

    def test_the_score_is_the_published_value(self, deciles, settings, fake_api):
        data = fingertips.fingertips_data(93553, area_codes=[COVENTRY], settings=settings,
                                          progress=False)
        assert deciles.set_index("area_code").loc[COVENTRY, "imd_score"] == data[
            "value"].iloc[0]

    def test_it_uses_the_2019_score_indicator(self, deciles, fake_api):
        assert {r.params["indicator_ids"] for r in fake_api.requests_to("all_data/")} == {
            "93553"}

    def test_a_year_other_than_2015_or_2019_is_refused(self, settings, fake_api):
        with pytest.raises(ParameterError, match="2015 or 2019"):
            fingertips.deprivation_decile(502, 2017, settings=settings)

    def test_an_area_type_without_scores_for_the_year_says_where_they_are(self, settings,
                                                                          fake_api):
        with pytest.raises(ParameterError, match=r"no IMD 2015 scores.*\[\]"):
            fingertips.deprivation_decile(502, 2015, settings=settings)
