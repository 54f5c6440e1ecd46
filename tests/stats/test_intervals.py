"""Tests for cw_pophealth.stats.intervals, with the reference values of the PHE technical guide."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as sps

from cw_pophealth import stats as st
from cw_pophealth.errors import ParameterError


class TestZValue:
    @pytest.mark.parametrize(
        ("confidence", "expected"),
        [pytest.param(0.95, 1.959964, id="95%"), pytest.param(0.998, 3.090232, id="99.8%")],
    )
    def test_matches_published_normal_quantile(self, confidence, expected):
        assert st.z_value(confidence) == pytest.approx(expected, abs=5e-7)

    def test_is_not_the_rounded_1_96(self):
        assert st.z_value(0.95) != 1.96

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param(0.0, id="zero"),
            pytest.param(1.0, id="one"),
            pytest.param(95, id="percentage-not-fraction"),
            pytest.param(-0.5, id="negative"),
            pytest.param(float("nan"), id="nan"),
            pytest.param("0.95", id="string"),
            pytest.param(True, id="bool"),
        ],
    )
    def test_rejects_confidence_outside_zero_one(self, bad):
        with pytest.raises(ParameterError, match="confidence"):
            st.z_value(bad)


WILSON_TABLE = [
    pytest.param(30, 100, 0.95, 0.21895, 0.39585, id="30/100-95%"),
    pytest.param(30, 100, 0.998, 0.18102, 0.45385, id="30/100-99.8%"),
    pytest.param(0, 50, 0.95, 0.0, 0.07135, id="0/50-95%"),
    pytest.param(0, 50, 0.998, 0.0, 0.16036, id="0/50-99.8%"),
    pytest.param(50, 50, 0.95, 0.92865, 1.0, id="50/50-95%"),
]


class TestWilsonCI:
    @pytest.mark.parametrize(("x", "n", "conf", "lower", "upper"), WILSON_TABLE)
    def test_lower_matches_reference_table(self, x, n, conf, lower, upper):
        lo, _ = st.wilson_ci(x, n, conf, multiplier=1)
        assert lo == pytest.approx(lower, abs=5e-6)

    @pytest.mark.parametrize(("x", "n", "conf", "lower", "upper"), WILSON_TABLE)
    def test_upper_matches_reference_table(self, x, n, conf, lower, upper):
        _, hi = st.wilson_ci(x, n, conf, multiplier=1)
        assert hi == pytest.approx(upper, abs=5e-6)

    @pytest.mark.parametrize(("x", "n"), [(1, 7), (13, 40), (250, 1000), (999, 1000)])
    def test_limits_solve_the_score_test_equation(self, x, n):
        """Wilson limits: the p with |x/n - p| = z sqrt(p(1-p)/n), found by root-finding."""
        z = sps.norm.ppf(0.975)
        phat = x / n

        def f(p):
            return (phat - p) ** 2 - z * z * p * (1 - p) / n

        expected = (optimize.brentq(f, 1e-12, phat), optimize.brentq(f, phat, 1 - 1e-12))
        assert st.wilson_ci(x, n, multiplier=1) == pytest.approx(expected, abs=1e-10)

    def test_zero_events_gives_lower_exactly_zero(self):
        assert st.wilson_ci(0, 1234)[0] == 0.0

    def test_all_events_gives_upper_exactly_one_hundred_percent(self):
        assert st.wilson_ci(1234, 1234)[1] == 100.0

    def test_default_multiplier_gives_percentages(self):
        lo, hi = st.wilson_ci(30, 100)
        assert (lo, hi) == pytest.approx((21.895, 39.585), abs=5e-4)

    def test_arrays_are_handled_elementwise(self):
        lo, _ = st.wilson_ci(np.array([0, 30]), np.array([50, 100]), multiplier=1)
        assert lo == pytest.approx([0.0, 0.21895], abs=5e-6)

    def test_series_input_keeps_its_index(self):
        x = pd.Series([30, 0], index=["E08000026", "E10000031"])
        lo, _ = st.wilson_ci(x, pd.Series([100, 50], index=x.index))
        assert list(lo.index) == ["E08000026", "E10000031"]

    def test_series_with_different_indexes_are_refused(self):
        with pytest.raises(ParameterError, match="index"):
            st.wilson_ci(pd.Series([1, 2], index=[0, 1]), pd.Series([5, 5], index=[1, 2]))

    def test_missing_count_gives_missing_limits(self):
        lo, hi = st.wilson_ci([np.nan, 30], [100, 100])
        assert np.isnan(lo[0]) and np.isnan(hi[0])

    @pytest.mark.parametrize(
        ("x", "n", "match"),
        [
            pytest.param(-1, 10, "count", id="negative-count"),
            pytest.param(11, 10, "exceed", id="count-above-denominator"),
            pytest.param(0, 0, "denominator", id="zero-denominator"),
            pytest.param("a", 10, "numeric", id="non-numeric"),
        ],
    )
    def test_rejects_invalid_counts(self, x, n, match):
        with pytest.raises(ParameterError, match=match):
            st.wilson_ci(x, n)

    def test_rejects_bad_confidence(self):
        with pytest.raises(ParameterError, match="confidence"):
            st.wilson_ci(3, 10, confidence=1.5)


BYARS_TABLE = [
    pytest.param(100, 0.95, 81.3621, 121.6279, id="100-byars-95%"),
    pytest.param(100, 0.998, 71.9037, 134.9436, id="100-byars-99.8%"),
    pytest.param(10, 0.95, 4.7874, 18.3915, id="10-byars-95%"),
    pytest.param(5, 0.95, 1.6235, 11.6683, id="5-exact-95%"),
    pytest.param(5, 0.998, 0.7394, 16.4547, id="5-exact-99.8%"),
    pytest.param(0, 0.95, 0.0, 3.6889, id="0-exact-95%"),
    pytest.param(0, 0.998, 0.0, 6.9078, id="0-exact-99.8%"),
]


def _poisson_exact(x: int, confidence: float) -> tuple[float, float]:
    """Exact Poisson limits by inverting the Poisson tail probabilities (root-finding)."""
    a = (1 - confidence) / 2
    lower = 0.0 if x == 0 else optimize.brentq(lambda m: sps.poisson.sf(x - 1, m) - a, 1e-9, 1e6)
    upper = optimize.brentq(lambda m: sps.poisson.cdf(x, m) - a, 1e-9, 1e6)
    return lower, upper


class TestByarsCI:
    @pytest.mark.parametrize(("x", "conf", "lower", "upper"), BYARS_TABLE)
    def test_lower_matches_reference_table(self, x, conf, lower, upper):
        assert st.byars_ci(x, conf)[0] == pytest.approx(lower, abs=5e-5)

    @pytest.mark.parametrize(("x", "conf", "lower", "upper"), BYARS_TABLE)
    def test_upper_matches_reference_table(self, x, conf, lower, upper):
        assert st.byars_ci(x, conf)[1] == pytest.approx(upper, abs=5e-5)

    def test_ten_uses_byars_not_the_exact_method(self):
        """At x = 10 the exact lower limit is 4.7954 (table d2); Byar's gives 4.7874."""
        assert st.byars_ci(10)[0] == pytest.approx(4.7874, abs=5e-5)

    @pytest.mark.parametrize("x", range(0, 10))
    def test_below_ten_equals_poisson_tail_inversion(self, x):
        assert st.byars_ci(x) == pytest.approx(_poisson_exact(x, 0.95), rel=1e-7, abs=1e-9)

    @pytest.mark.parametrize("x", [10, 37, 100, 1000, 25000])
    def test_byars_is_within_a_quarter_percent_of_exact_from_ten_up(self, x):
        assert st.byars_ci(x) == pytest.approx(_poisson_exact(x, 0.95), rel=2.5e-3)

    def test_vectorised_over_an_array_mixing_both_methods(self):
        lo, _ = st.byars_ci(np.array([0, 5, 100]))
        assert lo == pytest.approx([0.0, 1.6235, 81.3621], abs=5e-5)

    def test_rejects_negative_count(self):
        with pytest.raises(ParameterError, match="count"):
            st.byars_ci(-3)


class TestRateCI:
    def test_limits_are_count_limits_over_denominator_times_multiplier(self):
        lo, hi = st.rate_ci(100, 50000)
        assert (lo, hi) == pytest.approx((81.3621 * 2, 121.6279 * 2), abs=1e-3)

    def test_multiplier_changes_scale(self):
        assert st.rate_ci(5, 1000, multiplier=1000)[1] == pytest.approx(11.6683, abs=5e-5)

    def test_rejects_zero_denominator(self):
        with pytest.raises(ParameterError, match="denominator"):
            st.rate_ci(5, 0)

    def test_rejects_non_positive_multiplier(self):
        with pytest.raises(ParameterError, match="multiplier"):
            st.rate_ci(5, 100, multiplier=0)


class TestSymmetricIntervals:
    def test_se_from_ci_divides_width_by_two_z(self):
        # 95%: width 5.5 / (2 x 1.959964) = 1.40309
        assert st.se_from_ci(55.7, 61.2) == pytest.approx(1.40309, abs=5e-6)

    def test_ci_from_se_is_value_plus_minus_z_se(self):
        assert st.ci_from_se(10.0, 1.0, 0.998) == pytest.approx((6.909768, 13.090232), abs=1e-6)

    def test_round_trip_returns_the_original_limits(self):
        se = st.se_from_ci(55.7, 61.2)
        assert st.ci_from_se(58.45, se) == pytest.approx((55.7, 61.2), abs=1e-12)

    def test_rescale_to_998_widens_by_the_ratio_of_quantiles(self):
        # half-width 2.75 x 3.090232 / 1.959964 = 4.335861
        lo, hi = st.rescale_symmetric_ci(58.45, 55.7, 61.2)
        assert (lo, hi) == pytest.approx((58.45 - 4.335861, 58.45 + 4.335861), abs=5e-6)

    def test_series_input_returns_series(self):
        se = st.se_from_ci(pd.Series([1.0, 2.0]), pd.Series([3.0, 6.0]))
        assert isinstance(se, pd.Series)

    def test_rejects_lower_above_upper(self):
        with pytest.raises(ParameterError, match="above"):
            st.se_from_ci(61.2, 55.7)

    def test_rejects_negative_se(self):
        with pytest.raises(ParameterError, match="se"):
            st.ci_from_se(10, -1)


class TestWindowOfNeed:
    # Coventry male 2021-23: LE 77.3 [76.8, 77.8] (illustrative limits), HLE 58.5 [55.7, 61.2].
    ARGS = (77.3, 76.8, 77.8, 58.5, 55.7, 61.2)

    def test_gap_is_le_minus_hle(self):
        assert st.window_of_need_ci(*self.ARGS)[0] == pytest.approx(18.8)

    def test_half_width_adds_half_widths_in_quadrature(self):
        """z cancels: half-width = sqrt(0.5^2 + 2.75^2) = 2.795085."""
        _, lo, hi = st.window_of_need_ci(*self.ARGS)
        assert (lo, hi) == pytest.approx((18.8 - 2.795085, 18.8 + 2.795085), abs=1e-6)

    def test_missing_ci_gives_missing_limits_but_keeps_the_gap(self):
        gap, lo, _ = st.window_of_need_ci(77.3, np.nan, np.nan, 58.5, 55.7, 61.2)
        assert (gap, math.isnan(lo)) == (pytest.approx(18.8), True)

    def test_vectorised_over_series(self):
        le = pd.Series([77.3, 81.7], index=["Male", "Female"])
        gap, _, _ = st.window_of_need_ci(le, le - 0.5, le + 0.5, pd.Series(
            [58.5, 58.1], index=le.index), [55.7, 54.8], [61.2, 61.3])
        assert gap.round(1).tolist() == [18.8, 23.6]

    def test_method_note_says_conservative_because_correlated(self):
        text = st.WINDOW_OF_NEED_METHOD.lower()
        assert "conservative" in text and "correlated" in text

    def test_rejects_hle_above_le(self):
        with pytest.raises(ParameterError, match="same ONS release"):
            st.window_of_need_ci(58.0, 57.0, 59.0, 60.0, 59.0, 61.0)
