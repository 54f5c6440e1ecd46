"""life_expectancy_ci / life_expectancy_table against PHE's published values and independent code.

Reference values (``tests/data/pheim_le_*.csv``, values only, with their lines in
PHEindicatormethods@093fd28 ``tests/testthat/testLifeExpectancy.R``):

* ``df1``: the PHE worked example (20 bands, 90+), with ``answer1``, its LE and 95% limits at
  every age to 8 decimals, and ``df1_cum``, the populations and deaths used at each age. Those
  limits were made with z = 1.96, not 1.959964: see
  :meth:`TestPHEWorkedExample.test_reference_limits_were_computed_with_z_1_96`.
* ``df_widecis_plus``: a small population whose 95% CI is wider than 20 years from age 40
  (``answer_widecis``; limits with z = 1.959964 to 6 decimals), and the same area with 312
  deaths at 90+ in a population of 311.
* ``df_low_pops``, ``df_deaths_greater_pops``: inputs of the suppression checks (the expected
  outcome, all NA, is stated in that file).

Data made up here are SYNTHETIC and say so where they are built.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats import (
    AGE_BANDS_85,
    AGE_BANDS_90,
    life_expectancy_ci,
    life_expectancy_table,
)

STARTS = [0, 1, *range(5, 95, 5)]
WORKED = "PHE worked example"
WIDE = "Area 2: 1 death at 90+, CI wider than 20 years from age 40"


def case(inputs: pd.DataFrame, name: str) -> tuple[list[float], list[float]]:
    rows = inputs[inputs["case"] == name].sort_values("age_from")
    assert rows["age_from"].tolist() == STARTS
    return rows["deaths"].tolist(), rows["population"].tolist()


def answer(reference: pd.DataFrame, name: str) -> pd.DataFrame:
    return reference[reference["case"] == name].sort_values("age_from").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Independent implementations, written here from the textbook formulas (FEATURE-ANCHORS d5)
# --------------------------------------------------------------------------------------------
def forward_life_table(deaths, pops, starts):
    """Row-by-row Chiang II table with l_0 = 100000, d, L and T (the forward form of d5)."""
    k = len(starts)
    surv, q, a, n, big_l = [100000.0] + [0.0] * (k - 1), [0.0] * k, [0.0] * k, [0.0] * k, [0.0] * k
    for i in range(k):
        m = deaths[i] / pops[i]
        if i == k - 1:
            q[i] = 1.0
            big_l[i] = surv[i] / m
        else:
            n[i] = starts[i + 1] - starts[i]
            a[i] = 0.1 if i == 0 else 0.5
            q[i] = (1.0 if deaths[i] > pops[i] / n[i] / a[i]
                    else n[i] * m / (1 + n[i] * m * (1 - a[i])))
            surv[i + 1] = surv[i] * (1 - q[i])
            big_l[i] = n[i] * (surv[i + 1] + a[i] * (surv[i] - surv[i + 1]))
    e = [sum(big_l[i:]) / surv[i] for i in range(k)]
    var = []
    for x in range(k):
        s = 0.0
        for j in range(x, k - 1):
            s2q = q[j] ** 2 * (1 - q[j]) / deaths[j] if deaths[j] > 0 else 0.0
            s += surv[j] ** 2 * ((1 - a[j]) * n[j] + e[j + 1]) ** 2 * s2q
        m_w = deaths[-1] / pops[-1]
        s += (surv[-1] / 2) ** 2 * 4 / (deaths[-1] * m_w**2)  # Silcocks
        var.append(s / surv[x] ** 2)
    return np.array(e), np.array(var)


def e0_from_q(q, m_w, starts):
    """LE at birth as a function of the q's and the open band's rate (for derivatives)."""
    surv, total = 1.0, 0.0
    for i in range(len(starts) - 1):
        n = starts[i + 1] - starts[i]
        a = 0.1 if i == 0 else 0.5
        total += n * surv * (1 - (1 - a) * q[i])
        surv *= 1 - q[i]
    return total + surv / m_w


def synthetic_bands(seed, scale=1.0):
    """SYNTHETIC deaths and populations with a Gompertz-like age pattern."""
    rng = np.random.default_rng(seed)
    pops = np.round(rng.uniform(0.6, 1.2, 20) * np.array([1] + [4] + [5] * 18) * 1200 * scale)
    pops[-1] = round(pops[-1] * 0.3)
    rate = 0.00005 * np.exp(0.09 * np.array(STARTS, dtype=float))
    rate[0] = 0.004
    deaths = rng.poisson(rate * pops).astype(float)
    deaths[-1] = max(deaths[-1], 5)
    return deaths, pops


# --------------------------------------------------------------------------------------------
# Published reference values
# --------------------------------------------------------------------------------------------
class TestPHEWorkedExample:
    def test_values_at_every_age_match_the_reference(self, le_inputs, le_reference):
        out = life_expectancy_ci(*case(le_inputs, WORKED), age_from="all")
        assert out["age_from"].tolist() == STARTS
        np.testing.assert_allclose(out["value"], answer(le_reference, WORKED)["value"], atol=6e-9)

    def test_limits_match_the_reference_to_its_published_4_dp(self, le_inputs, le_reference):
        # PHEindicatormethods compares at 4 decimal places; with the exact z we agree to 6e-6.
        out = life_expectancy_ci(*case(le_inputs, WORKED), age_from="all")
        ref = answer(le_reference, WORKED)
        np.testing.assert_allclose(out["lower"], ref["lower"], atol=1e-5)
        np.testing.assert_allclose(out["upper"], ref["upper"], atol=1e-5)
        assert (out["lower"].round(4) == ref["lower"].round(4)).all()
        assert (out["upper"].round(4) == ref["upper"].round(4)).all()

    def test_reference_limits_were_computed_with_z_1_96(self, le_inputs, le_reference):
        """Worked value: the reference used z = 1.96; the house rule is the exact 1.959964.

        At age 0, SE = 0.1463891 and e0 = 80.16960813. With z = 1.959964 the lower limit is
        80.16960813 - 1.959964 * 0.1463891 = 79.88269075; the reference's 79.88268548 is
        80.16960813 - 1.96 * 0.1463891 (a gap of 0.000036 * SE = 5.3e-6). Rebuilding every
        limit from our SE with 1.96 reproduces the reference to 1e-8, so the 5e-6 gap is the
        rounded z, not the method.
        """
        out = life_expectancy_ci(*case(le_inputs, WORKED), age_from="all")
        ref = answer(le_reference, WORKED)
        assert out.loc[0, "se"] == pytest.approx(0.1463891, abs=5e-8)
        assert out.loc[0, "lower"] == pytest.approx(79.88269075, abs=1e-8)
        assert ref.loc[0, "lower"] == pytest.approx(79.88268548, abs=1e-12)
        assert out.loc[0, "lower"] - ref.loc[0, "lower"] == pytest.approx(5.3e-6, abs=1e-7)
        np.testing.assert_allclose(out["value"] - 1.96 * out["se"], ref["lower"], atol=1e-8)
        np.testing.assert_allclose(out["value"] + 1.96 * out["se"], ref["upper"], atol=1e-8)

    def test_cumulative_pops_and_deaths_used(self, le_inputs, le_reference):
        out = life_expectancy_ci(*case(le_inputs, WORKED), age_from="all")
        ref = answer(le_reference, WORKED)
        assert out["pops_used"].tolist() == ref["pops_used"].tolist()
        assert out["deaths_used"].tolist() == ref["deaths_used"].tolist()

    def test_selected_ages_are_unsuppressed_and_the_method_is_recorded(self, le_inputs,
                                                                      le_reference):
        out = life_expectancy_ci(*case(le_inputs, WORKED), age_from=[5, 25])
        ref = answer(le_reference, WORKED).set_index("age_from")
        assert out["age_from"].tolist() == [5, 25]
        assert not out["suppressed"].any() and out["reason"].isna().all()
        np.testing.assert_allclose(out["value"], ref.loc[[5, 25], "value"], atol=6e-9)
        assert "Silcocks" in out.attrs["method"]

    def test_band_order_and_label_styles_do_not_matter(self, le_inputs, le_reference):
        labels = ["<1", "01 - 04", "5-9", "10 \u2013 14", "15 - 19", "20-24", "25 to 29", "30-34",
                  "35-39", "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74",
                  "75-79", "80-84", "85-89 yrs", "90 and over"]
        deaths, pops = case(le_inputs, WORKED)
        perm = np.random.default_rng(1).permutation(20)
        out = life_expectancy_ci(np.array(deaths)[perm], np.array(pops)[perm],
                                 [labels[i] for i in perm], age_from="all")
        np.testing.assert_allclose(out["value"], answer(le_reference, WORKED)["value"],
                                   atol=6e-9)

    def test_a_99_8_percent_interval_scales_the_se(self, le_inputs):
        a = life_expectancy_ci(*case(le_inputs, WORKED))
        b = life_expectancy_ci(*case(le_inputs, WORKED), confidence=0.998)
        half = (b.loc[0, "upper"] - b.loc[0, "lower"]) / 2
        assert half == pytest.approx(float(ndtri(0.999)) * a.loc[0, "se"], rel=1e-12)


class TestPHEWideIntervalExample:
    def test_values_withheld_where_the_95_ci_exceeds_20_years_limits_still_shown(
            self, le_inputs, le_reference):
        out = life_expectancy_ci(*case(le_inputs, WIDE), age_from="all")
        ref = answer(le_reference, WIDE)
        np.testing.assert_allclose(out["value"], ref["value"], atol=6e-9, equal_nan=True)
        # this reference used z = 1.959964 (6 dp): relative gap <= 1.6e-8
        np.testing.assert_allclose(out["lower"], ref["lower"], rtol=5e-8, atol=1e-6)
        np.testing.assert_allclose(out["upper"], ref["upper"], rtol=5e-8, atol=1e-6)
        wide = out["age_from"] >= 40
        assert out.loc[wide, "suppressed"].all() and not out.loc[~wide, "suppressed"].any()
        assert out.loc[wide, "reason"].str.contains("wide").all()

    def test_the_open_band_with_one_death_has_se_equal_to_its_le(self, le_inputs):
        # 1 death in 311 person-years: e = 1/M = 311 and, by Silcocks, SE = 1/(M sqrt(D)) = 311
        out = life_expectancy_ci(*case(le_inputs, WIDE), age_from=90, suppress=False)
        assert out.loc[0, "value"] == pytest.approx(311.0)
        assert out.loc[0, "se"] == pytest.approx(311.0)

    def test_area_with_more_deaths_than_population_is_fully_suppressed(self, le_inputs):
        out = life_expectancy_ci(
            *case(le_inputs, "Area 1: 312 deaths at 90+ in a population of 311"), age_from="all")
        assert out[["value", "lower", "upper", "se"]].isna().all().all()
        assert out["suppressed"].all()
        assert out["reason"].str.contains("deaths exceed population in 90\\+").all()


class TestPHESuppressionInputs:
    def test_total_population_under_5000_is_suppressed(self, le_inputs):
        out = life_expectancy_ci(*case(le_inputs, "total population 2,883, under 5,000"))
        assert out.loc[0, "suppressed"] and np.isnan(out.loc[0, "value"])
        assert "total population 2,883 is below 5,000" in out.loc[0, "reason"]

    def test_deaths_above_population_in_85_89_is_suppressed(self, le_inputs):
        out = life_expectancy_ci(
            *case(le_inputs, "85-89 population 119 below its 1,936 deaths"))
        assert out.loc[0, "suppressed"] and np.isnan(out.loc[0, "value"])
        assert "deaths exceed population in 85-89" in out.loc[0, "reason"]

    def test_suppress_false_returns_numbers_and_says_what_would_be_suppressed(self, le_inputs):
        out = life_expectancy_ci(*case(le_inputs, "total population 2,883, under 5,000"),
                                 suppress=False)
        assert np.isfinite(out.loc[0, "value"]) and not out.loc[0, "suppressed"]
        assert out.loc[0, "reason"].startswith("would be suppressed (suppress=False)")

    def test_negative_deaths_raise(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        deaths[3] = -5
        with pytest.raises(ParameterError, match="deaths must be >= 0; negative in 10-14"):
            life_expectancy_ci(deaths, pops)

    def test_negative_population_raises(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        pops[3] = -10
        with pytest.raises(ParameterError, match="populations must be >= 0"):
            life_expectancy_ci(deaths, pops)

    def test_zero_population_cannot_be_calculated(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        pops[5] = 0
        out = life_expectancy_ci(deaths, pops, age_from="all")
        assert out["value"].isna().all() and out["lower"].isna().all()
        assert "zero population in 20-24" in out.loc[0, "reason"]

    def test_a_missing_last_band_raises(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        with pytest.raises(ParameterError, match="last age band must be open-ended.*'85-89'"):
            life_expectancy_ci(deaths[:-1], pops[:-1], list(AGE_BANDS_90[:-1]))

    def test_a_missing_middle_band_raises(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        bands = [b for b in AGE_BANDS_90 if b != "40-44"]
        with pytest.raises(ParameterError, match="missing 40-44"):
            life_expectancy_ci(deaths[:-1], pops[:-1], bands)

    def test_fewer_values_than_bands_raise(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        with pytest.raises(ParameterError, match="one value per age band"):
            life_expectancy_ci(deaths[:-1], pops[:-1])

    def test_no_deaths_in_the_open_band_cannot_be_calculated(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        deaths[-1] = 0
        out = life_expectancy_ci(deaths, pops)
        assert np.isnan(out.loc[0, "value"])
        assert "no deaths in the open band 90+" in out.loc[0, "reason"]

    def test_missing_count_passes_through_as_nan(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        deaths[7] = math.nan
        out = life_expectancy_ci(deaths, pops)
        assert np.isnan(out.loc[0, "value"])
        assert "missing deaths or population in 30-34" in out.loc[0, "reason"]


# --------------------------------------------------------------------------------------------
# Independent cross-checks
# --------------------------------------------------------------------------------------------
class TestIndependentCrossChecks:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_equals_the_forward_life_table_on_synthetic_data(self, seed):
        deaths, pops = synthetic_bands(seed)  # SYNTHETIC
        e, var = forward_life_table(deaths, pops, STARTS)
        out = life_expectancy_ci(deaths, pops, age_from="all", suppress=False)
        np.testing.assert_allclose(out["value"], e, rtol=1e-12)
        np.testing.assert_allclose(out["se"] ** 2, var, rtol=1e-10)

    def test_the_forward_table_reproduces_the_reference_too(self, le_inputs, le_reference):
        deaths, pops = case(le_inputs, WORKED)
        ref = answer(le_reference, WORKED)
        e, var = forward_life_table(deaths, pops, STARTS)
        np.testing.assert_allclose(e, ref["value"], atol=6e-9)
        np.testing.assert_allclose(e - 1.96 * np.sqrt(var), ref["lower"], atol=1e-8)

    def test_variance_equals_a_numerical_delta_method(self, le_inputs):
        """Var(e0) = sum (de0/dq_i)^2 q_i^2 (1-q_i)/D_i + (de0/dM_w)^2 M_w^2/D_w (Poisson M_w).

        The derivatives are central differences of a plain life-table function, so this checks
        Chiang's closed form and the Silcocks term independently of both implementations.
        """
        deaths, pops = case(le_inputs, WORKED)
        d, p = np.array(deaths), np.array(pops)
        n = np.diff(STARTS)
        a = np.r_[0.1, np.full(18, 0.5)]
        m = d / p
        q = n * m[:-1] / (1 + n * m[:-1] * (1 - a))
        m_w = m[-1]
        var = 0.0
        for i in range(19):
            h = 1e-6 * q[i]
            up, dn = q.copy(), q.copy()
            up[i] += h
            dn[i] -= h
            g = (e0_from_q(up, m_w, STARTS) - e0_from_q(dn, m_w, STARTS)) / (2 * h)
            var += g**2 * q[i] ** 2 * (1 - q[i]) / d[i]
        h = 1e-6 * m_w
        g = (e0_from_q(q, m_w + h, STARTS) - e0_from_q(q, m_w - h, STARTS)) / (2 * h)
        var += g**2 * m_w**2 / d[-1]
        out = life_expectancy_ci(deaths, pops)
        assert out.loc[0, "se"] ** 2 == pytest.approx(var, rel=1e-6)

    def test_q_capped_at_one_is_flagged_and_later_ages_still_computed(self):
        deaths, pops = synthetic_bands(4)  # SYNTHETIC
        deaths[10] = 0.45 * pops[10]  # 45-49: deaths > P/(n a) = 40% of P, so q = 1
        out = life_expectancy_ci(deaths, pops, age_from="all")
        assert out["reason"].iloc[:11].str.contains("set to 1 in 45-49").all()
        assert out["reason"].iloc[11:].isna().all()
        # e at 50+ depends only on the bands >= 50: rebuild it by hand from the 90+ band down
        e_tail = [0.0] * 9
        e_tail[-1] = pops[-1] / deaths[-1]
        for i in range(len(STARTS) - 2, 10, -1):
            n = STARTS[i + 1] - STARTS[i]
            m = deaths[i] / pops[i]
            qq = min(1.0, n * m / (1 + n * m * 0.5))
            e_tail[i - 11] = n * (1 - 0.5 * qq) + (1 - qq) * e_tail[i - 10]
        np.testing.assert_allclose(out["value"].iloc[11:], e_tail, rtol=1e-12)
        # up to the capped band the forward table (l_i > 0) agrees; after it, l = 0 and the
        # forward form gives 0/0, which the backward recursion avoids
        with np.errstate(invalid="ignore", divide="ignore"):
            e_fwd, _ = forward_life_table(deaths, pops, STARTS)
        np.testing.assert_allclose(out["value"].iloc[:11], e_fwd[:11], rtol=1e-12)
        assert np.isnan(e_fwd[11:]).all()


class TestOpen85Band:
    def test_85_plus_layout_matches_the_forward_table(self, le_inputs, le_reference):
        deaths, pops = case(le_inputs, WORKED)
        deaths = deaths[:18] + [deaths[18] + deaths[19]]
        pops = pops[:18] + [pops[18] + pops[19]]
        out = life_expectancy_ci(deaths, pops, AGE_BANDS_85, age_from="all")
        assert out["age_from"].tolist() == STARTS[:19]
        e, var = forward_life_table(deaths, pops, STARTS[:19])
        np.testing.assert_allclose(out["value"], e, rtol=1e-12)
        np.testing.assert_allclose(out["se"] ** 2, var, rtol=1e-10)
        # mortality is nearly constant over 85+ here, so LE at birth barely moves (80.1696)
        assert out.loc[0, "value"] == pytest.approx(answer(le_reference, WORKED)["value"][0],
                                                    abs=0.01)

    def test_85_to_89_without_an_open_band_is_rejected(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        with pytest.raises(ParameterError, match="must be open-ended"):
            life_expectancy_ci(deaths[:19], pops[:19], list(AGE_BANDS_90[:19]))

    def test_an_open_band_that_is_not_last_is_rejected(self, le_inputs):
        bands = list(AGE_BANDS_90)
        bands[5] = "20+"
        with pytest.raises(ParameterError, match="open-ended but is not the last band"):
            life_expectancy_ci(*case(le_inputs, WORKED), bands)


class TestArguments:
    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"age_from": 3}, "not the start of an age band"),
            ({"age_from": "some"}, "age_from must be"),
            ({"confidence": 95}, "Pass a fraction"),
            ({"suppress": "yes"}, "suppress must be True or False"),
            ({"age_bands": ["0-4"] + list(AGE_BANDS_90[2:]) + ["95+"]},
             "age bands must be exactly"),
            ({"age_bands": ["0", "1-3"] + list(AGE_BANDS_90[2:])}, "should end at 4"),
        ],
        ids=["age not a band start", "unknown age word", "percentage confidence",
             "suppress not a bool", "wrong layout", "band ends early"],
    )
    def test_bad_arguments_raise(self, le_inputs, kwargs, match):
        with pytest.raises(ParameterError, match=match):
            life_expectancy_ci(*case(le_inputs, WORKED), **kwargs)

    def test_series_inputs_must_share_an_index(self, le_inputs):
        deaths, pops = case(le_inputs, WORKED)
        with pytest.raises(ParameterError, match="share one index"):
            life_expectancy_ci(pd.Series(deaths), pd.Series(pops, index=range(1, 21)))

    def test_integer_start_ages_are_accepted(self, le_inputs, le_reference):
        deaths, pops = case(le_inputs, WORKED)
        out = life_expectancy_ci(pd.Series(deaths), pd.Series(pops), STARTS, age_from=65)
        expected = answer(le_reference, WORKED).set_index("age_from").loc[65, "value"]
        assert out.loc[0, "value"] == pytest.approx(expected, abs=6e-9)


class TestTable:
    @pytest.fixture
    def long(self, le_inputs):
        """SYNTHETIC long table: the worked example scaled into two areas and two sexes."""
        deaths, pops = case(le_inputs, WORKED)
        rows = []
        for area, factor in (("E08000026", 1.0), ("E10000031", 1.3)):
            for sex, k in (("Female", 1.0), ("Male", 1.15)):
                for band, d, p in zip(AGE_BANDS_90, deaths, pops, strict=True):
                    rows.append((area, sex, band, round(d * k), round(p * factor)))
        df = pd.DataFrame(rows, columns=["area", "sex", "age_band", "deaths", "population"])
        return df.sample(frac=1.0, random_state=3).reset_index(drop=True)

    def test_table_equals_single_area_calls(self, long):
        t = life_expectancy_table(long, group_cols=["area", "sex"], age_from=[0, 65])
        assert list(t.columns[:2]) == ["area", "sex"] and len(t) == 8
        for (area, sex), g in long.groupby(["area", "sex"]):
            single = life_expectancy_ci(g["deaths"], g["population"], list(g["age_band"]),
                                        age_from=[0, 65])
            got = t[(t["area"] == area) & (t["sex"] == sex)].reset_index(drop=True)
            pd.testing.assert_frame_equal(got.drop(columns=["area", "sex"]), single)

    def test_an_invalid_group_raises_naming_the_group(self, long):
        bad = ((long["area"] == "E10000031") & (long["sex"] == "Male")
               & (long["age_band"] == "40-44"))
        with pytest.raises(ParameterError, match="area='E10000031', sex='Male'.*missing 40-44"):
            life_expectancy_table(long[~bad], group_cols=["area", "sex"])

    def test_an_invalid_group_can_be_suppressed_instead(self, long):
        bad = ((long["area"] == "E10000031") & (long["sex"] == "Male")
               & (long["age_band"] == "40-44"))
        t = life_expectancy_table(long[~bad], group_cols=["area", "sex"], invalid="suppress")
        row = t[(t["area"] == "E10000031") & (t["sex"] == "Male")].iloc[0]
        assert row["suppressed"] and np.isnan(row["value"]) and "missing 40-44" in row["reason"]
        assert t["value"].notna().sum() == 3

    def test_an_85_plus_table_needs_the_85_layout(self, le_inputs, le_reference):
        deaths, pops = case(le_inputs, WORKED)
        df = pd.DataFrame({"age_band": list(AGE_BANDS_85),
                           "deaths": deaths[:18] + [deaths[18] + deaths[19]],
                           "population": pops[:18] + [pops[18] + pops[19]]})
        t = life_expectancy_table(df, age_bands=AGE_BANDS_85)
        assert t.loc[0, "value"] == pytest.approx(answer(le_reference, WORKED)["value"][0],
                                                  abs=0.01)
        with pytest.raises(ParameterError, match="missing 90\\+"):
            life_expectancy_table(df)

    def test_missing_columns_raise(self):
        with pytest.raises(ParameterError, match="no column"):
            life_expectancy_table(pd.DataFrame({"x": [1]}))

    def test_an_unknown_invalid_option_raises(self, long):
        with pytest.raises(ParameterError, match="invalid must be"):
            life_expectancy_table(long, invalid="ignore")
