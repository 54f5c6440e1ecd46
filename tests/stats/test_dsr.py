"""Tests for cw_pophealth.stats.dsr: directly standardised rates with Dobson limits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cw_pophealth import stats as st
from cw_pophealth.errors import ParameterError


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
