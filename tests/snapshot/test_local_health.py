"""Tests for cw_pophealth.snapshot.local_health: undated Local Health life expectancy."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import catalogue
from cw_pophealth.errors import SchemaValidationError
from cw_pophealth.snapshot import local_health


@pytest.fixture(scope="module")
def local(extracts_dir):
    return local_health.read_local_health_le(extracts_dir)


# Female, male life expectancy as published (1 dp), Warwickshire and its districts, Coventry.
PUBLISHED = {catalogue.WARWICKSHIRE: (83.7, 80.0), catalogue.COVENTRY: (82.3, 78.6),
             "E07000218": (82.5, 78.9), "E07000219": (82.2, 77.9), "E07000220": (83.5, 80.2),
             "E07000221": (85.0, 81.2), "E07000222": (84.5, 81.2)}


class TestReadLocalHealthLe:
    @pytest.mark.parametrize("code", list(PUBLISHED))
    def test_published_values(self, local, code):
        got = local.loc[local["area_code"] == code].set_index("sex")["value"]
        assert (got["Female"], got["Male"]) == PUBLISHED[code]

    def test_rows_are_undated_and_never_90366(self, local):
        assert (set(local["period"]), set(local["indicator_id"])) == (
            {"undated"}, {catalogue.LOCAL_HEALTH_LE_ID})

    def test_single_tier_authorities_are_kept_once(self, local):
        assert not local.duplicated(["area_code", "sex"]).any()

    def test_the_release_is_the_upload_of_december_2021(self, local):
        assert set(local["release_date"]) == {pd.Timestamp("2021-12-19")}


class TestValidateLocalEstimates:
    def test_a_fingertips_id_is_refused(self, local):
        with pytest.raises(SchemaValidationError, match="local"):
            local_health.validate_local_estimates(local.assign(indicator_id=90366))

    def test_a_dated_row_is_refused(self, local):
        with pytest.raises(SchemaValidationError, match="undated"):
            local_health.validate_local_estimates(local.assign(period="2016 - 18"))
