"""The input helpers the newer stats modules share (``cw_pophealth.stats._inputs``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats import z_value
from cw_pophealth.stats._inputs import check_flag, check_whole_number, normal_quantile


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.98, 0.99, 0.998])
def test_normal_quantile_is_the_exact_two_sided_quantile(confidence):
    assert normal_quantile(confidence) == pytest.approx(z_value(confidence), rel=1e-15)
    assert normal_quantile(confidence) == pytest.approx(sps.norm.isf((1 - confidence) / 2),
                                                        rel=1e-15)


def test_normal_quantile_names_the_argument_it_rejects():
    with pytest.raises(ParameterError, match="input_confidence must be strictly between"):
        normal_quantile(95, "input_confidence")


@pytest.mark.parametrize("value", [2.5, True, "3", np.nan, 1])
def test_check_whole_number_refuses_what_is_not_a_whole_number_above_the_minimum(value):
    with pytest.raises(ParameterError, match="must be a whole number >= 2"):
        check_whole_number(value, "n", 2)


def test_check_whole_number_accepts_integral_floats():
    assert check_whole_number(10.0, "n", 2) == 10


def test_check_flag_refuses_strings():
    with pytest.raises(ParameterError, match="suppress must be True or False"):
        check_flag("yes", "suppress")
