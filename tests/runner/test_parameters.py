"""Tests for cw_pophealth.runner.parameters: a bad parameter stops the run before it starts."""

from __future__ import annotations

import pytest  # noqa: E402

from cw_pophealth import catalogue, report  # noqa: E402
from cw_pophealth.errors import (  # noqa: E402
    InvalidAreaCodeError,
    ParameterError,
    UnknownAreaError,
    UnknownIndicatorError,
)

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND


class TestValidateParameters:
    def check(self, notebook, table, settings, **params):
        return report.validate_parameters(notebook, params, table=table, settings=settings)

    def test_valid_parameters_come_back_normalised(self, table, data_settings):
        out = self.check("area_profile", table, data_settings, area_code="e08000026")
        assert out["area_code"] == COV

    def test_a_malformed_area_code_names_area_code(self, table, data_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"^area_code='Coventry'"):
            self.check("area_profile", table, data_settings, area_code="Coventry")

    def test_an_unknown_area_code_names_area_code(self, table, data_settings):
        with pytest.raises(UnknownAreaError, match=r"^area_code='E06999999'"):
            self.check("area_profile", table, data_settings, area_code="E06999999")

    def test_an_icb_is_accepted_as_a_focus_area(self, table, data_settings):
        out = self.check("window_of_need", table, data_settings, area_codes=["e54000018"],
                         period="2016 - 18")
        assert out["area_codes"] == [catalogue.COVENTRY_AND_WARWICKSHIRE_ICB]

    def test_an_icb_that_cannot_be_expanded_is_refused(self, table, data_settings):
        with pytest.raises(UnknownAreaError, match="cannot be expanded offline"):
            self.check("window_of_need", table, data_settings, area_codes=["E54000057"])

    def test_an_icb_is_not_a_comparator(self, table, data_settings):
        with pytest.raises(UnknownAreaError, match=r"comparator_codes\[0\]"):
            self.check("window_of_need", table, data_settings, comparator_codes=["E54000018"])

    def test_a_bad_code_in_a_list_names_its_position(self, table, data_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"area_codes\[1\]"):
            self.check("window_of_need", table, data_settings, area_codes=[COV, "x"])

    def test_an_unknown_indicator_names_indicator_keys(self, table, data_settings):
        with pytest.raises(UnknownIndicatorError, match=r"^indicator_keys\[1\]='smokin'"):
            self.check("risk_factors", table, data_settings,
                       indicator_keys=["obesity", "smokin"])

    def test_a_period_without_data_names_period(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^period='2031 - 33': no data"):
            self.check("window_of_need", table, data_settings, area_codes=[COV],
                       period="2031 - 33")

    def test_a_period_with_data_passes(self, table, data_settings):
        out = self.check("window_of_need", table, data_settings, area_codes=[COV],
                         period="2021 - 23")
        assert out["period"] == "2021 - 23"

    def test_an_area_without_any_data_is_rejected(self, table, data_settings):
        without = table.loc[table["area_code"] != "E06000001"]
        with pytest.raises(ParameterError, match=r"^area_code='E06000001'.*no data"):
            self.check("area_profile", without, data_settings, area_code="E06000001")

    def test_an_unknown_parameter_is_named(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^areacode: not a parameter"):
            self.check("area_profile", table, data_settings, areacode=COV)

    def test_a_wrongly_typed_value_is_named(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^area_codes='E08000026' should be a list"):
            self.check("window_of_need", table, data_settings, area_codes=COV)
