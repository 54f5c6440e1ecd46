"""Validation of cw_pophealth.stats against real references, not self-checks.

1. PHStatsMethods 0.1.16 (DHSC's Python port of PHEindicatormethods, GPL-3; used only as an
   independent oracle, none of its code is reused).
2. Confidence intervals and "Compared to England" labels published by Fingertips/ONS, read
   from the offline extracts folder (``get_settings().extracts_dir``; never copied into the
   repo). Tests skip when that folder is not configured.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cw_pophealth import stats as st
from cw_pophealth.catalogue import ENGLAND
from cw_pophealth.config import get_settings


# --------------------------------------------------------------------------------------------
# 1. PHStatsMethods
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def phsm():
    return pytest.importorskip("PHStatsMethods")


WILSON_GRID = [(x, n) for n in (1, 7, 50, 1000, 123456) for x in sorted({0, 1, n // 3, n - 1, n})]


class TestAgainstPHStatsMethods:
    @pytest.mark.parametrize("confidence", [0.90, 0.95, 0.998])
    def test_wilson_limits_equal_phstatsmethods_wilson(self, phsm, confidence):
        x = np.array([g[0] for g in WILSON_GRID], dtype=float)
        n = np.array([g[1] for g in WILSON_GRID], dtype=float)
        theirs = np.array(
            [phsm.wilson(a, b, confidence) for a, b in zip(x, n, strict=True)], dtype=float
        )
        ours = np.column_stack(st.wilson_ci(x, n, confidence, multiplier=1))
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)

    def test_wilson_percentages_equal_ph_proportion(self, phsm):
        df = pd.DataFrame({"x": [30, 0, 50, 17, 999], "n": [100, 50, 50, 2000, 1000]})
        theirs = phsm.ph_proportion(df, "x", "n", confidence=[0.95, 0.998], multiplier=100)
        lo95, hi95 = st.wilson_ci(df["x"], df["n"], 0.95)
        lo998, hi998 = st.wilson_ci(df["x"], df["n"], 0.998)
        ours = np.column_stack([lo95, hi95, lo998, hi998])
        cols = ["lower_95_ci", "upper_95_ci", "lower_99_8_ci", "upper_99_8_ci"]
        np.testing.assert_allclose(ours, theirs[cols].to_numpy(dtype=float), rtol=1e-12)

    def test_rates_equal_ph_rate(self, phsm):
        # ph_rate 0.1.16 raises on a zero count, so zero is tested against scipy elsewhere.
        df = pd.DataFrame({"x": [1, 5, 9, 10, 100, 4321], "n": [1e3, 2e3, 5e4, 50, 1e5, 3e6]})
        theirs = phsm.ph_rate(df, "x", "n", confidence=0.95, multiplier=100000)
        ours = np.column_stack(st.rate_ci(df["x"], df["n"], 0.95, 100000))
        np.testing.assert_allclose(
            ours, theirs[["lower_95_ci", "upper_95_ci"]].to_numpy(dtype=float), rtol=1e-10
        )

    def test_dsr_equals_ph_dsr_for_several_areas_with_shuffled_rows(self, phsm):
        rng = np.random.default_rng(2024)
        esp = phsm.euro_standard_pop()
        bands = esp["esp_age_bands"].tolist()
        df = pd.DataFrame({
            "area": np.repeat(["A", "B", "C", "D"], 19),
            "ageband": bands * 4,
            "x": rng.integers(0, 60, 76),
            "n": rng.integers(1500, 12000, 76),
        }).sample(frac=1.0, random_state=5).reset_index(drop=True)
        theirs = (phsm.ph_dsr(df, "x", "n", "ageband", group_cols="area", confidence=0.95)
                  .sort_values("area").reset_index(drop=True))
        ours = st.dsr_table(df, count_col="x", population_col="n", age_band_col="ageband",
                            group_cols="area")
        np.testing.assert_allclose(
            ours[["value", "lower", "upper"]].to_numpy(dtype=float),
            theirs[["Value", "lower_95_ci", "upper_95_ci"]].to_numpy(dtype=float),
            rtol=1e-10,
        )

    def test_dsr_total_below_ten_is_suppressed_by_both(self, phsm):
        bands = phsm.euro_standard_pop()["esp_age_bands"].tolist()
        df = pd.DataFrame({"b": bands, "x": [9] + [0] * 18, "n": 10000})
        theirs = phsm.ph_dsr(df, "x", "n", "b")["Value"].iloc[0]
        ours = st.dsr_ci(df["x"], df["n"], df["b"]).value
        assert math.isnan(theirs) and math.isnan(ours)


class TestByarsBugInPHStatsMethods:
    """PHStatsMethods 0.1.16 ``byars(value, confidence)`` passes ``1 - confidence`` on to helpers
    that expect a confidence level, so ``byars(100, 0.95)`` returns a ~5% interval
    (99.04, 101.30) instead of the 95% interval 81.3621-121.6279 given by the published formula
    [TG-CI App. 1] and (to within Byar's approximation error) by the exact chi-square limits.
    Its lower-level ``byars_lower``/``byars_upper`` are correct.

    These tests pin the correct answer to an independent computation (scipy's chi-square
    quantiles) and *also* assert that PHStatsMethods' wrapper is still wrong. If a future
    PHStatsMethods fixes the bug, ``test_phstatsmethods_byars_wrapper_is_off_by_more_than_10``
    fails: that is deliberate, so the fix is noticed and this note can be removed.
    """

    X = 100

    @staticmethod
    def _exact(x: float, confidence: float) -> tuple[float, float]:
        a = 1 - confidence
        return sps.chi2.ppf(a / 2, 2 * x) / 2, sps.chi2.ppf(1 - a / 2, 2 * x + 2) / 2

    def test_ours_matches_exact_within_byars_approximation_error(self):
        """Byar's approximates the exact Poisson limits to < 0.1% at x = 100."""
        assert st.byars_ci(self.X, 0.95) == pytest.approx(self._exact(self.X, 0.95), rel=1e-3)

    def test_ours_matches_the_published_worked_value(self):
        assert st.byars_ci(self.X, 0.95) == pytest.approx((81.3621, 121.6279), abs=5e-5)

    def test_phstatsmethods_helpers_agree_with_ours(self, phsm):
        theirs = (phsm.byars_lower(self.X, 0.95), phsm.byars_upper(self.X, 0.95))
        assert st.byars_ci(self.X, 0.95) == pytest.approx(theirs, rel=1e-12)

    def test_phstatsmethods_byars_wrapper_is_off_by_more_than_10(self, phsm):
        lo, hi = phsm.byars(self.X, 0.95)
        correct_lo, correct_hi = st.byars_ci(self.X, 0.95)
        assert abs(lo - correct_lo) > 10 and abs(hi - correct_hi) > 10


# --------------------------------------------------------------------------------------------
# 2. Published values in the real extracts
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def extracts():
    folder = get_settings().extracts_dir
    if folder is None or not folder.is_dir():
        pytest.skip("offline extracts folder not configured (set CW_POPHEALTH_EXTRACTS)")
    return folder


def _read(extracts, relpath: str) -> pd.DataFrame:
    path = extracts / relpath
    if not path.is_file():
        pytest.skip(f"{relpath} not in the extracts folder")
    return pd.read_csv(path, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def obesity(extracts):
    """Fingertips 93881 (ONS ELS copy): unrounded value and 95% limits, 5 dp, in percent."""
    df = _read(extracts, "ons_els/adult-obesity-prevalence.csv")
    p, lo, hi = df["observation"] / 100, df["lci_95"] / 100, df["uci_95"] / 100

    # Effective n: the n for which Wilson's lower limit around p equals the published one.
    # Wilson's lower limit rises with n for fixed p, so bisect on log n for all rows at once.
    log_lo, log_hi = np.full(len(df), np.log(1e-3)), np.full(len(df), np.log(1e9))
    for _ in range(100):
        mid = (log_lo + log_hi) / 2
        n_mid = np.exp(mid)
        too_low = np.asarray(st.wilson_ci(p * n_mid, n_mid, 0.95, multiplier=1)[0]) < lo
        log_lo, log_hi = np.where(too_low, mid, log_lo), np.where(too_low, log_hi, mid)
    n_eff = np.exp((log_lo + log_hi) / 2)
    wilson_upper = np.asarray(st.wilson_ci(p * n_eff, n_eff, 0.95, multiplier=1)[1])
    wald_upper = (p + (p - lo)).to_numpy()
    return df.assign(
        n_eff=n_eff,
        wilson_upper=np.round(wilson_upper * 100, 5),
        wald_upper=np.round(wald_upper * 100, 5),
        hi=hi * 100,
    )


class TestObesityPublishedIntervals:
    """What method produced the published 93881 limits?

    The hypothesis was Wilson on weighted counts (not in the file). Test it: from p and the
    published lower limit solve the effective n, predict the upper limit with ``wilson_ci`` and
    compare at the published precision (5 dp, tolerance 1e-4 percentage points). Result: it
    does NOT hold (2 of 3,510 rows), nor does a symmetric (Wald) interval (3 of 3,510).

    What does hold: OHID documents an "Other method" for the Active Lives weight indicators
    (FingertipsNext metadata for the sister indicator 93088, same survey and producer): 10,000
    binomial simulations per age group, Bin(unweighted n, weighted p), age-standardised, with the
    2.5th/97.5th percentiles taken as the limits. Such limits are right-skewed like binomial
    sampling (upper arm longer for p < 50%), but less than a single Wilson interval at the
    implied n (a standardised sum of many binomials is closer to normal), and carry Monte Carlo
    noise, so no closed form reproduces them. The tests below check exactly that, so the
    package compares areas with England using the *published* limits and never recomputes
    Wilson limits for Active Lives indicators.
    """

    TOL = 1e-4

    def test_effective_n_reproduces_the_published_lower_limit(self, obesity):
        """Sanity check of the solver, so the comparison of upper limits is meaningful."""
        lo = st.wilson_ci(obesity["observation"] / 100 * obesity["n_eff"], obesity["n_eff"])[0]
        assert np.allclose(lo, obesity["lci_95"], rtol=0, atol=1e-7)

    def test_published_limits_are_not_wilson_around_the_published_value(self, obesity):
        matched = ((obesity["wilson_upper"] - obesity["hi"]).abs() <= self.TOL).mean()
        print(f"93881: Wilson-predicted upper limit matches for {matched:.2%} of rows")
        assert matched < 0.01

    def test_published_limits_are_not_symmetric_either(self, obesity):
        matched = ((obesity["wald_upper"] - obesity["hi"]).abs() <= self.TOL).mean()
        print(f"93881: symmetric (Wald) upper limit matches for {matched:.2%} of rows")
        assert matched < 0.01

    def test_the_93088_metadata_documents_a_simulation_method(self, extracts):
        path = extracts / "fingertipsnext" / "indicatorMetadata_35.json"
        if not path.is_file():
            pytest.skip("fingertipsnext/indicatorMetadata_35.json not in the extracts folder")
        meta = {str(m["indicatorID"]): m for m in json.loads(path.read_text(encoding="utf-8"))}
        assert "10,000 simulations" in meta["93088"]["ciMethodDetails"]

    def test_limits_are_right_skewed_like_binomial_sampling(self, obesity):
        """Every value is below 50%; binomial sampling puts the upper arm further out."""
        upper_arm = obesity["uci_95"] - obesity["observation"]
        lower_arm = obesity["observation"] - obesity["lci_95"]
        k, n = int((upper_arm > lower_arm).sum()), len(obesity)
        print(f"93881: upper arm longer in {k}/{n} rows")
        assert sps.binomtest(k, n, 0.5, alternative="greater").pvalue < 1e-20

    def test_skew_is_between_symmetric_and_single_wilson(self, obesity):
        """The published upper limit lies between the Wald and the Wilson prediction in most
        rows: skewed, but less than one binomial at the implied n (Monte Carlo noise and the
        age-standardised sum explain the rest)."""
        between = ((obesity["hi"] >= obesity["wald_upper"])
                   & (obesity["hi"] <= obesity["wilson_upper"])).mean()
        print(f"93881: published upper between Wald and Wilson in {between:.1%} of rows")
        assert between > 0.70


@pytest.fixture(scope="module")
def hle_ons(extracts):
    df = _read(extracts, "ons_els/healthy-life-expectancy.csv")
    df["sex"] = df["indicator"].str.split().str[0]
    start = df["period"].str[:4].astype(int)
    df["period_label"] = start.astype(str) + " - " + (start + 2).astype(str).str[2:]
    return df


class TestHLEPublishedIntervals:
    def test_limits_are_value_plus_minus_z_se_to_one_decimal_place(self, hle_ons):
        """Rebuild each interval from its SE (width / 2z) around the published value: both
        limits must come back within the 1-dp rounding of value, lower and upper (0.05)."""
        se = st.se_from_ci(hle_ons["lci_95"], hle_ons["uci_95"])
        lo, hi = st.ci_from_se(hle_ons["observation"], se)
        err = np.maximum((lo - hle_ons["lci_95"]).abs(), (hi - hle_ons["uci_95"]).abs())
        print(f"HLE: {len(hle_ons)} rows, max rebuild error {err.max():.3f} years")
        assert (err <= 0.05 + 1e-9).all()

    def test_the_same_check_rejects_the_asymmetric_obesity_limits(self, obesity):
        """The symmetry check can fail: on the 5-dp obesity limits (tolerance 5e-6) it does."""
        se = st.se_from_ci(obesity["lci_95"], obesity["uci_95"])
        lo, hi = st.ci_from_se(obesity["observation"], se)
        err = np.maximum((lo - obesity["lci_95"]).abs(), (hi - obesity["uci_95"]).abs())
        assert (err <= 5e-6 + 1e-9).mean() < 0.01


# ONS recoded Barnsley and Sheffield in 2025 (boundary change); Fingertips' file uses the old
# codes. The values are identical, so map old -> new to join them.
RECODED = {"E08000016": "E08000038", "E08000019": "E08000039"}


@pytest.fixture(scope="module")
def hle_labels(extracts, hle_ons):
    """Published Fingertips 90362 labels joined to the ONS values and 95% limits."""
    ft = _read(extracts, "trafford_themes/healthy_life_expectancy.csv")
    ft["areacd"] = ft["area_code"].replace(RECODED)
    ons = hle_ons.drop_duplicates(["areacd", "period_label", "sex"])
    england = ons.loc[ons["areacd"] == ENGLAND, ["period_label", "sex", "observation"]]
    joined = ft.merge(
        ons[["areacd", "period_label", "sex", "observation", "lci_95", "uci_95"]],
        left_on=["areacd", "period", "inequality"],
        right_on=["areacd", "period_label", "sex"],
        how="left",
    ).merge(
        england.rename(columns={"observation": "england"}),
        left_on=["period", "inequality"], right_on=["period_label", "sex"], how="left",
        suffixes=("", "_eng"),
    )
    assert joined["england"].notna().all()
    return joined


class TestPublishedComparedToEngland:
    """Fingertips' own "Compared to England" labels for HLE (90362, 2015-17 to 2022-24)."""

    def _ours(self, df, polarity):
        return st.compare_to_benchmark(
            df["observation"], df["lci_95"], df["uci_95"], df["england"], polarity,
            is_benchmark=df["area_code"] == ENGLAND, confidence_label="95%",
        )

    def test_every_compared_area_label_is_reproduced_with_high_is_good(self, hle_labels):
        areas = hle_labels[hle_labels["observation"].notna()
                           & (hle_labels["area_code"] != ENGLAND)]
        agree = int((self._ours(areas, 1) == areas["compared_to_England"]).sum())
        print(f"HLE labels reproduced: {agree}/{len(areas)} area rows")
        assert (agree, len(areas) >= 2000) == (len(areas), True)

    def test_england_and_areas_without_values_are_not_compared(self, hle_labels):
        rest = hle_labels[hle_labels["observation"].isna()
                          | (hle_labels["area_code"] == ENGLAND)]
        assert (self._ours(rest, 1) == rest["compared_to_England"]).all()

    def test_fingertipsnext_mock_says_low_is_good(self, extracts):
        """FingertipsNext's mock indicators.csv gives 90362 "Low is good"; the published labels
        above contradict it (next test)."""
        ind = _read(extracts, "fingertipsnext/indicators.csv")
        assert ind.loc[ind["IndicatorID"] == 90362, "Polarity"].item() == "Low is good"

    def test_low_is_good_reproduces_none_of_the_better_or_worse_labels(self, hle_labels):
        areas = hle_labels[hle_labels["observation"].notna()
                           & (hle_labels["area_code"] != ENGLAND)]
        judged = areas[areas["compared_to_England"].isin(["Better", "Worse"])]
        agree = int((self._ours(judged, 0) == judged["compared_to_England"]).sum())
        print(f"HLE labels with polarity 0: {agree}/{len(judged)} Better/Worse rows agree")
        assert agree == 0
