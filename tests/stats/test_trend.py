"""Tests for cw_pophealth.stats.trend: the Fingertips recent-trend marker."""

from __future__ import annotations

import numpy as np
import pytest

from cw_pophealth import stats as st
from cw_pophealth.errors import ParameterError

FALLING_CI = np.array([20.1, 19.5, 18.7, 18.0, 17.2])

TREND_CASES = [
    pytest.param(
        dict(values=[20, 19, 18, 17, 16], counts=[200, 190, 180, 170, 160],
             denominators=[1000] * 5),
        6.775, "No significant change", id="proportion-monotone-but-not-significant",
    ),
    pytest.param(
        dict(values=[20, 19, 18, 17, 16], counts=[1000, 950, 900, 850, 800],
             denominators=[5000] * 5),
        33.875, "Decreasing and getting better", id="proportion-decreasing",
    ),
    pytest.param(
        dict(values=FALLING_CI, lower=FALLING_CI - 1.1, upper=FALLING_CI + 1.1,
             value_type="rate"),
        16.92, "Decreasing and getting better", id="ci-weighted-decreasing",
    ),
]


class TestRecentTrend:
    @pytest.mark.parametrize(("kwargs", "chi2", "label"), TREND_CASES)
    def test_chi_square_matches_worked_case(self, kwargs, chi2, label):
        assert st.recent_trend(**kwargs, polarity=0).chi2 == pytest.approx(chi2, abs=5e-3)

    @pytest.mark.parametrize(("kwargs", "chi2", "label"), TREND_CASES)
    def test_label_matches_worked_case(self, kwargs, chi2, label):
        assert st.recent_trend(**kwargs, polarity=0).label == label

    def test_ci_weighted_slope_matches_worked_case(self):
        r = st.recent_trend(FALLING_CI, lower=FALLING_CI - 1.1, upper=FALLING_CI + 1.1,
                            value_type="rate")
        assert r.slope == pytest.approx(-0.73, abs=1e-9)

    def test_weighted_fit_matches_numpy_polyfit(self):
        """numpy.polyfit with w = 1/SE is weighted least squares; its unscaled covariance gives
        SE(beta) as Fingertips computes it."""
        y = np.array([5.0, 5.4, 5.3, 6.1, 6.6])
        half = np.array([0.3, 0.5, 0.2, 0.4, 0.6])
        se = 2 * half / 3.92
        t = np.arange(1.0, 6.0)
        coef, cov = np.polyfit(t, y, 1, w=1 / se, cov="unscaled")
        expected_chi2 = coef[0] ** 2 / cov[0, 0]
        r = st.recent_trend(y, lower=y - half, upper=y + half, value_type="mean")
        assert (r.slope, r.chi2) == pytest.approx((coef[0], expected_chi2), rel=1e-9)

    def test_proportion_chi_square_matches_the_armitage_form(self):
        """Agresti's form: (sum t(c - d p))^2 / (p(1-p) sum d (t - tbar_d)^2)."""
        c = np.array([310, 330, 335, 360, 372.0])
        d = np.array([1500, 1510, 1490, 1520, 1505.0])
        t = np.arange(1.0, 6.0)
        p = c.sum() / d.sum()
        tbar = np.sum(d * t) / d.sum()
        expected = np.sum(t * (c - d * p)) ** 2 / (p * (1 - p) * np.sum(d * (t - tbar) ** 2))
        assert st.recent_trend(c / d, counts=c, denominators=d).chi2 == pytest.approx(expected)

    def test_proportion_direction_is_the_slope_of_the_logit(self):
        c = np.array([310, 330, 335, 360, 372.0])
        d = np.array([1500, 1510, 1490, 1520, 1505.0])
        expected = np.polyfit(np.arange(1, 6), np.log(c / (d - c)), 1)[0]
        assert st.recent_trend(c / d, counts=c, denominators=d).slope == pytest.approx(expected)

    def test_uses_only_the_latest_five_points(self):
        c = [900, 100, 1000, 950, 900, 850, 800]
        r = st.recent_trend([0.0] * 7, counts=c, denominators=[5000] * 7)
        assert r.chi2 == pytest.approx(33.875, abs=5e-3)

    def test_high_is_good_labels_a_fall_getting_worse(self):
        r = st.recent_trend([20, 19, 18, 17, 16], counts=[1000, 950, 900, 850, 800],
                            denominators=[5000] * 5, polarity=1)
        assert r.label == "Decreasing and getting worse"

    def test_no_judgement_has_no_better_or_worse(self):
        r = st.recent_trend([16, 17, 18, 19, 20], counts=[800, 850, 900, 950, 1000],
                            denominators=[5000] * 5, polarity=99)
        assert r.label == "Increasing"

    def test_single_outlier_fails_the_leave_one_out_check(self):
        """Flat, then a jump at the end: chi-square is large, but dropping the last point gives
        a falling slope, so Fingertips reports no significant change."""
        y = np.array([10.0, 10.1, 9.9, 10.0, 14.0])
        t = np.arange(1.0, 6.0)
        assert np.polyfit(t[:4], y[:4], 1)[0] < 0  # the leave-last-out slope reverses
        r = st.recent_trend(y, lower=y - 0.5, upper=y + 0.5, value_type="rate")
        assert (r.label, r.chi2 > st.TREND_CHI2_THRESHOLD) == ("No significant change", True)

    def test_threshold_is_chi_square_one_df_at_998(self):
        assert st.TREND_CHI2_THRESHOLD == pytest.approx(9.549536, abs=5e-7)

    def test_rolling_periods_cannot_be_calculated(self):
        r = st.recent_trend(FALLING_CI, lower=FALLING_CI - 1, upper=FALLING_CI + 1,
                            value_type="life expectancy", periods_are_annual=False)
        assert (r.label, "rolling" in r.reason) == ("Cannot be calculated", True)

    def test_gap_in_the_latest_five_cannot_be_calculated(self):
        c = [1000, 950, np.nan, 850, 800, 760]
        r = st.recent_trend([0.2] * 6, counts=c, denominators=[5000] * 6)
        assert (r.label, r.n_points) == ("Cannot be calculated", 3)

    def test_fewer_than_five_points_cannot_be_calculated(self):
        r = st.recent_trend([0.2] * 4, counts=[1000] * 4, denominators=[5000] * 4)
        assert r.label == "Cannot be calculated"

    def test_count_equal_to_denominator_cannot_be_calculated(self):
        r = st.recent_trend([1.0] * 5, counts=[50] * 5, denominators=[50] * 5)
        assert r.label == "Cannot be calculated"

    def test_missing_ci_in_latest_five_cannot_be_calculated(self):
        lower = FALLING_CI - 1
        lower[-1] = np.nan
        r = st.recent_trend(FALLING_CI, lower=lower, upper=FALLING_CI + 1, value_type="rate")
        assert r.label == "Cannot be calculated"

    def test_result_is_frozen(self):
        r = st.recent_trend([0.2] * 4, counts=[1000] * 4, denominators=[5000] * 4)
        with pytest.raises(AttributeError):
            r.label = "x"  # type: ignore[misc]

    def test_rejects_unknown_value_type(self):
        with pytest.raises(ParameterError, match="value_type"):
            st.recent_trend([1] * 5, lower=[0] * 5, upper=[2] * 5, value_type="count")

    def test_rejects_proportion_without_counts(self):
        with pytest.raises(ParameterError, match="counts"):
            st.recent_trend([0.2] * 5)

    def test_rejects_rate_without_limits(self):
        with pytest.raises(ParameterError, match="lower and upper"):
            st.recent_trend([1.0] * 5, value_type="rate")

    def test_rejects_counts_of_another_length(self):
        with pytest.raises(ParameterError, match="counts has 4"):
            st.recent_trend([0.2] * 5, counts=[1] * 4, denominators=[5] * 5)
