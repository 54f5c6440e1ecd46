"""Tests for cw_pophealth.stats.comparisons: Fingertips benchmark comparisons by polarity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cw_pophealth import stats as st
from cw_pophealth.errors import ParameterError

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
