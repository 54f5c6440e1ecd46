"""Unit tests for cw_pophealth.stats.

Expected values come from outside the code under test: the reference tables in
FEATURE-ANCHORS.md section (d) (computed with scipy and checked against PHEindicatormethods /
PHStatsMethods), hand calculations shown in the test, or an independent computation with
scipy/numpy (root-finding on the defining equation, numpy's percentile, numpy's weighted
polyfit). Nothing here compares a function with a number it produced itself.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy import stats as sps

from cw_pophealth import stats as st
from cw_pophealth.errors import ParameterError


class TestDocstringExamples:
    def test_every_docstring_example_runs_as_written(self):
        result = doctest.testmod(st, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0


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


# FEATURE-ANCHORS d1 reference values (proportion scale, 5 dp).
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


# FEATURE-ANCHORS d2 reference values (count scale, 4 dp).
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



class TestESP2013:
    def test_has_nineteen_bands(self):
        assert len(st.ESP2013) == 19

    def test_totals_one_hundred_thousand(self):
        assert sum(st.ESP2013.values()) == 100000

    def test_runs_from_0_4_to_90_plus(self):
        keys = list(st.ESP2013)
        assert (keys[0], keys[-1]) == ("0-4", "90+")

    def test_is_read_only(self):
        with pytest.raises(TypeError):
            st.ESP2013["0-4"] = 1  # type: ignore[index]


class TestNormaliseAgeBand:
    @pytest.mark.parametrize(
        ("label", "expected"),
        [
            pytest.param("0 - 4", "0-4", id="spaces"),
            pytest.param("00-04", "0-4", id="zero-padded"),
            pytest.param("5\u20139 yrs", "5-9", id="en-dash-and-unit"),
            pytest.param("Aged 10 to 14", "10-14", id="words"),
            pytest.param("90 +", "90+", id="open-spaced"),
            pytest.param("90 and over", "90+", id="open-words"),
        ],
    )
    def test_variants_map_to_the_esp_key(self, label, expected):
        assert st.normalise_age_band(label) == expected


class TestDSR:
    def test_equal_band_rates_give_that_rate(self):
        """A DSR is a weighted mean of band rates: equal rates of 1 per 1,000 give 100 per 100k."""
        r = st.dsr_ci([10] * 19, [10000] * 19, list(st.ESP2013))
        assert r.value == pytest.approx(100.0, rel=1e-12)

    def test_limits_follow_dobson_with_byars_limits_of_the_total(self):
        # Equal rates: var/O = sum(w^2)/(sum w)^2 / n^2 ... worked by hand below.
        w = np.array(list(st.ESP2013.values()), dtype=float)
        o = 190.0
        var = np.sum(w**2 * 10 / 10000.0**2) / w.sum() ** 2
        o_lo = 190 * (1 - 1 / (9 * 190) - sps.norm.ppf(0.975) / (3 * math.sqrt(190))) ** 3
        expected = (0.001 + math.sqrt(var / o) * (o_lo - o)) * 1e5
        assert st.dsr_ci([10] * 19, [10000] * 19, list(st.ESP2013)).lower == pytest.approx(expected)

    def test_standard_is_joined_by_age_band_not_by_row_position(self):
        rng = np.random.default_rng(7)
        x, n = rng.integers(0, 40, 19), rng.integers(2000, 9000, 19)
        bands = list(st.ESP2013)
        order = rng.permutation(19)
        shuffled = st.dsr_ci(x[order], n[order], [bands[i] for i in order])
        assert shuffled.value == pytest.approx(st.dsr_ci(x, n, bands).value, rel=1e-12)

    def test_differently_written_band_labels_join_to_the_standard(self):
        labels = [f"{b.replace('-', ' - ')} yrs" for b in st.ESP2013]
        r = st.dsr_ci([10] * 19, [10000] * 19, labels)
        assert r.value == pytest.approx(100.0)

    def test_total_below_ten_is_suppressed(self):
        x = [9] + [0] * 18
        assert math.isnan(st.dsr_ci(x, [10000] * 19, list(st.ESP2013)).value)

    def test_suppression_gives_a_reason(self):
        x = [9] + [0] * 18
        assert "< 10" in st.dsr_ci(x, [10000] * 19, list(st.ESP2013)).reason

    def test_total_of_ten_is_calculated(self):
        x = [10] + [0] * 18
        assert not math.isnan(st.dsr_ci(x, [10000] * 19, list(st.ESP2013)).upper)

    def test_custom_standard_population_is_used(self):
        std = {"0-39": 1.0, "40+": 3.0}
        r = st.dsr_ci([10, 30], [1000, 1000], ["0-39", "40+"], standard=std, multiplier=1)
        assert r.value == pytest.approx((1 * 0.01 + 3 * 0.03) / 4)

    @pytest.mark.parametrize(
        ("x", "n", "bands", "match"),
        [
            pytest.param([1] * 18, [100] * 18, list(st.ESP2013)[:18], "missing from the data",
                         id="missing-band"),
            pytest.param([1] * 19, [100] * 19, list(st.ESP2013)[:18] + ["95+"], "Unknown",
                         id="unknown-band"),
            pytest.param([1] * 19, [100] * 19, list(st.ESP2013)[:18] + ["0-4"], "duplicated",
                         id="duplicated-band"),
            pytest.param([-1] + [1] * 18, [100] * 19, list(st.ESP2013), "counts",
                         id="negative-count"),
            pytest.param([1] * 19, [0] + [100] * 18, list(st.ESP2013), "populations",
                         id="zero-population"),
            pytest.param([1] * 19, [100] * 18, list(st.ESP2013), "same length",
                         id="unequal-lengths"),
            pytest.param([np.nan] + [1] * 18, [100] * 19, list(st.ESP2013), "missing",
                         id="missing-count"),
        ],
    )
    def test_rejects_invalid_inputs(self, x, n, bands, match):
        with pytest.raises(ParameterError, match=match):
            st.dsr_ci(x, n, bands)


class TestDSRTable:
    def test_one_row_per_group(self):
        df = pd.DataFrame({
            "area": ["A"] * 19 + ["B"] * 19,
            "band": list(st.ESP2013) * 2,
            "x": [10] * 19 + [20] * 19,
            "n": 10000,
        })
        out = st.dsr_table(df, count_col="x", population_col="n", age_band_col="band",
                           group_cols="area")
        assert out["value"].tolist() == pytest.approx([100.0, 200.0])

    def test_missing_column_is_named(self):
        with pytest.raises(ParameterError, match="deaths"):
            st.dsr_table(pd.DataFrame({"x": [1]}), count_col="deaths", population_col="x",
                         age_band_col="x")


# FEATURE-ANCHORS d7 polarity table. Area CI [45, 55], value 50.
POLARITY_CASES = [
    pytest.param(1, 40.0, "Better", id="high-is-good-above"),
    pytest.param(1, 60.0, "Worse", id="high-is-good-below"),
    pytest.param(0, 40.0, "Worse", id="low-is-good-above"),
    pytest.param(0, 60.0, "Better", id="low-is-good-below"),
    pytest.param(99, 40.0, "Higher", id="no-judgement-above"),
    pytest.param(99, 60.0, "Lower", id="no-judgement-below"),
    pytest.param(1, 50.0, "Similar", id="inside"),
    pytest.param(0, 45.0, "Similar", id="on-lower-limit-inclusive"),
    pytest.param(0, 55.0, "Similar", id="on-upper-limit-inclusive"),
    pytest.param(-1, 10.0, "Not compared", id="polarity-not-applicable"),
]


class TestCompareToBenchmark:
    @pytest.mark.parametrize(("polarity", "benchmark", "expected"), POLARITY_CASES)
    def test_label_follows_fingertips_polarity_mapping(self, polarity, benchmark, expected):
        assert st.compare_to_benchmark(50.0, 45.0, 55.0, benchmark, polarity) == expected

    @pytest.mark.parametrize(
        ("value", "lower", "upper", "benchmark"),
        [
            pytest.param(np.nan, 45.0, 55.0, 40.0, id="missing-value"),
            pytest.param(50.0, np.nan, 55.0, 40.0, id="missing-lower"),
            pytest.param(50.0, 45.0, np.nan, 40.0, id="missing-upper"),
            pytest.param(50.0, 45.0, 55.0, np.nan, id="missing-benchmark"),
        ],
    )
    def test_missing_inputs_are_not_compared(self, value, lower, upper, benchmark):
        assert st.compare_to_benchmark(value, lower, upper, benchmark, 1) == "Not compared"

    def test_benchmark_row_is_never_compared_with_itself(self):
        labels = st.compare_to_benchmark(
            [61.5, 58.5], [61.3, 55.7], [61.7, 61.2], 61.5, 1, is_benchmark=[True, False]
        )
        assert labels.tolist() == ["Not compared", "Worse"]

    def test_benchmark_outside_its_own_ci_would_otherwise_be_compared(self):
        """Why is_benchmark matters: a rounded benchmark value can fall outside its own
        unrounded CI, and the rule alone would then label England against itself."""
        assert st.compare_to_benchmark(61.5, 61.52, 61.7, 61.5, 1) == "Better"

    def test_per_row_polarity_and_benchmark(self):
        labels = st.compare_to_benchmark([50, 50], [45, 45], [55, 55], [40, 60], [1, 0])
        assert labels.tolist() == ["Better", "Better"]

    def test_series_keeps_index_and_confidence_label(self):
        v = pd.Series([50.0], index=["E08000026"])
        out = st.compare_to_benchmark(v, v - 5, v + 5, 40.0, 1, confidence_label="95%")
        assert (list(out.index), out.attrs["confidence"]) == (["E08000026"], "95%")

    def test_rejects_unknown_polarity(self):
        with pytest.raises(ParameterError, match="polarity"):
            st.compare_to_benchmark(50, 45, 55, 40, 2)

    def test_rejects_swapped_limits(self):
        with pytest.raises(ParameterError, match="lower"):
            st.compare_to_benchmark(50, 55, 45, 40, 1)

    def test_rejects_non_boolean_benchmark_mask(self):
        with pytest.raises(ParameterError, match="is_benchmark"):
            st.compare_to_benchmark([50], [45], [55], 40, 1, is_benchmark=["E92000001"])


# Area value 50, 95% CI [45, 55], 99.8% CI [42, 58].
TWO_LEVEL_CASES = [
    pytest.param(1, 50.0, "Similar", id="inside-95"),
    pytest.param(1, 45.0, "Similar", id="on-95-lower-limit"),
    pytest.param(1, 43.0, "Better", id="between-95-and-998-high-good"),
    pytest.param(0, 43.0, "Worse", id="between-95-and-998-low-good"),
    pytest.param(1, 40.0, "Best", id="beyond-998-high-good"),
    pytest.param(1, 60.0, "Worst", id="beyond-998-below-high-good"),
    pytest.param(0, 40.0, "Worst", id="beyond-998-low-good"),
    pytest.param(0, 60.0, "Best", id="beyond-998-below-low-good"),
    pytest.param(99, 43.0, "Higher", id="between-no-judgement"),
    pytest.param(99, 60.0, "Much lower", id="beyond-no-judgement"),
    pytest.param(-1, 40.0, "Not compared", id="not-applicable"),
]


class TestCompareTwoLevel:
    @pytest.mark.parametrize(("polarity", "benchmark", "expected"), TWO_LEVEL_CASES)
    def test_label_by_level_and_polarity(self, polarity, benchmark, expected):
        assert st.compare_two_level(50.0, 45.0, 55.0, 42.0, 58.0, benchmark, polarity) == expected

    def test_missing_998_limits_are_not_compared(self):
        assert st.compare_two_level(50, 45, 55, np.nan, 58, 40, 1) == "Not compared"

    def test_rejects_998_interval_inside_95_interval(self):
        with pytest.raises(ParameterError, match="lower998"):
            st.compare_two_level(50, 45, 55, 46, 58, 40, 1)


class TestQuintileComparison:
    def test_fewer_than_five_valid_values_are_all_not_compared(self):
        out = st.quintile_comparison([1.0, 2.0, 3.0, 4.0, np.nan], 99)
        assert set(out.tolist()) == {"Not compared"}

    def test_one_to_ten_no_judgement_by_hand(self):
        # PERCENTILE.INC bounds: k = 9p + 1 -> 2.8, 4.6, 6.4, 8.2.
        out = st.quintile_comparison(np.arange(1, 11), 99)
        assert out.tolist() == ["Lowest"] * 2 + ["Low"] * 2 + ["Middle"] * 2 + ["High"] * 2 + [
            "Highest"
        ] * 2

    def test_low_is_good_puts_lowest_values_in_best(self):
        assert st.quintile_comparison(np.arange(1, 11), 0)[0] == "Best"

    def test_high_is_good_reverses_categories(self):
        assert st.quintile_comparison(np.arange(1, 11), 1)[-1] == "Best"

    def test_value_on_a_bound_goes_in_the_lower_quintile(self):
        # n = 6: k = 5 x 0.2 + 1 = 2, so the 20th percentile is exactly the 2nd value (10).
        assert st.quintile_comparison([0, 10, 20, 30, 40, 50], 99)[1] == "Lowest"

    def test_missing_values_are_not_compared_and_do_not_count(self):
        out = st.quintile_comparison([np.nan, 1, 2, 3, 4, 5], 99)
        assert out.tolist() == ["Not compared", "Lowest", "Low", "Middle", "High", "Highest"]

    def test_not_applicable_polarity_compares_nothing(self):
        assert set(st.quintile_comparison(np.arange(10), -1).tolist()) == {"Not compared"}

    def test_agrees_with_numpy_linear_percentiles_on_random_data(self):
        """numpy's 'linear' method is Excel PERCENTILE.INC (Hyndman & Fan type 7)."""
        v = np.random.default_rng(3).normal(20, 4, 151).round(1)
        bounds = np.percentile(v, [20, 40, 60, 80], method="linear")
        expected = np.array(st.QUINTILE_LABELS_BOB)[np.searchsorted(bounds, v, side="left")]
        assert st.quintile_comparison(v, 99).tolist() == expected.tolist()

    def test_series_keeps_index(self):
        s = pd.Series(np.arange(5.0), index=list("abcde"))
        assert list(st.quintile_comparison(s, 99).index) == list("abcde")

    def test_rejects_unknown_polarity(self):
        with pytest.raises(ParameterError, match="polarity"):
            st.quintile_comparison(np.arange(10), 5)


# FEATURE-ANCHORS d8 worked cases.
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
