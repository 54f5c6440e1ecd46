"""assign_deprivation_quantiles against PHE's quantile reference sheet and an independent rule.

Reference values: ukhsa-collaboration/PHEindicatormethods@093fd28
``tests/testthat/testdata_Quantiles.xlsx``, sheet ``testdata_Quantiles`` (values only, copied to
``tests/data/pheim_quantiles_reference.csv``; ``sheet_row`` is the Excel row). Columns used:
``Value`` (input), ``Polarity`` (direction), ``QuantileNm`` (number of quantiles), ``GroupSet``
(``IndSexReg`` = quantiles within each indicator/sex and region ``ParentCode``; ``IndSex`` = one
set per indicator/sex; blank = one ungrouped set of quartiles over all 491 rows, highest value
first, i.e. PHE's default direction), expected ``RankinGrp`` and ``QuantileInGrp``.

All other data in this file are SYNTHETIC (made up), and say so where they are built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cw_pophealth.errors import ParameterError
from cw_pophealth.stats import assign_deprivation_quantiles as adq

N_OF = {"Decile": 10, "Quartile": 4, "Septile": 7}
# "RAG - Low is good" / True: the highest value is the worst, so it takes quantile 1.
HIGHEST_FIRST = {
    "RAG - Low is good": True,
    "True": True,
    "RAG - High is good": False,
    "False": False,
}


def _reference_groups(ref: pd.DataFrame):
    """(key, rows, highest_first) for each set of quantiles in the sheet."""
    pooled = ref[ref["GroupSet"].isna()]
    yield ("ungrouped quartiles",), pooled, True
    for (ind, gset, test), g in ref.groupby(["IndSexRef", "GroupSet", "Test"]):
        if gset == "IndSexReg":
            for parent, h in g.groupby("ParentCode"):
                yield (ind, gset, test, parent), h, HIGHEST_FIRST[str(h["Polarity"].iloc[0])]
        else:
            yield (ind, gset, test), g, HIGHEST_FIRST[str(g["Polarity"].iloc[0])]


class TestPHEReferenceSheet:
    def test_every_reference_quantile_is_reproduced(self, quantiles_reference):
        n_groups = n_rows = n_too_small = 0
        for key, g, highest in _reference_groups(quantiles_reference):
            n = N_OF[g["QuantileNm"].iloc[0]]
            if g["Value"].notna().sum() < n:
                # e.g. sheet rows 52-60: 9 areas, deciles -> the sheet has no quantiles either
                with pytest.warns(UserWarning, match="quantiles were requested"):
                    ours = adq(g["Value"].to_numpy(float), n, highest_is_most_deprived=highest)
                n_too_small += 1
            else:
                ours = adq(g["Value"].to_numpy(float), n, highest_is_most_deprived=highest)
            expected = g["QuantileInGrp"].to_numpy(float)
            np.testing.assert_array_equal(
                ours,
                expected,
                err_msg=f"group {key}, sheet rows {g['sheet_row'].min()}-{g['sheet_row'].max()}",
            )
            n_groups += 1
            n_rows += len(g)
        assert n_groups >= 15 and n_too_small >= 1 and n_rows == len(quantiles_reference)

    def test_tied_values_share_a_quantile_as_in_the_sheet(self, quantiles_reference):
        # Sheet rows 458-470 ("GooddataDups", dummy indicator 11111, Region1): 13 areas, deciles,
        # 169.27 twice (rank 3, both decile 2) and 108.90 twice (rank 11, both decile 8).
        g = quantiles_reference[quantiles_reference["IndSexRef"] == "11111Female"]
        g = g[(g["Test"] == "GooddataDups") & (g["GroupSet"] == "IndSexReg")]
        assert g["sheet_row"].tolist() == list(range(458, 471))
        ours = adq(g["Value"], 10, highest_is_most_deprived=True)
        assert ours.tolist() == [1, 1, 2, 2, 4, 4, 5, 6, 7, 7, 8, 8, 10]
        assert ours.tolist() == g["QuantileInGrp"].astype(int).tolist()

    def test_the_sheet_ranks_are_min_ranks(self, quantiles_reference):
        # The sheet's RankinGrp is the competition ("min") rank our B_i + 1 implies.
        for key, g, highest in _reference_groups(quantiles_reference):
            ranks = g["Value"].rank(method="min", ascending=not highest)
            np.testing.assert_array_equal(
                ranks.to_numpy(), g["RankinGrp"].to_numpy(float), err_msg=str(key)
            )


def _independent(scores, n, highest=True):
    """Independent rule written from the guidance with pandas: floor((min_rank - 1) n / N) + 1."""
    s = pd.Series(scores, dtype=float)
    rank = s.rank(method="min", ascending=not highest)
    big_n = s.notna().sum()
    return np.floor((rank - 1) * n / big_n) + 1


class TestIndependentCrossChecks:
    @pytest.mark.parametrize("n", [3, 5, 7, 10])
    def test_matches_pandas_min_rank_rule_on_synthetic_scores_with_ties(self, n):
        rng = np.random.default_rng(n)
        scores = np.round(rng.gamma(2.0, 10.0, 997), 0)  # SYNTHETIC: many ties after rounding
        scores[rng.choice(997, 20, replace=False)] = np.nan
        ours = adq(scores, n)
        np.testing.assert_array_equal(ours, _independent(scores, n).to_numpy())

    def test_national_deciles_of_untied_scores_have_equal_counts(self):
        scores = np.random.default_rng(3).permutation(32840) / 7.0  # SYNTHETIC, LSOA-sized
        q = adq(scores, 10)
        assert np.bincount(q.astype(int))[1:].tolist() == [3284] * 10
        # decile 1 holds the highest (most deprived) scores
        assert scores[q == 1].min() > scores[q == 2].max()

    def test_ranks_input_with_lowest_most_deprived(self):
        ranks = np.arange(1, 101)  # SYNTHETIC IMD ranks, 1 = most deprived
        q = adq(ranks, 5, highest_is_most_deprived=False)
        assert q.tolist() == [float(1 + i // 20) for i in range(100)]

    def test_population_weighting_with_equal_populations_is_count_based(self):
        rng = np.random.default_rng(11)
        scores = np.round(rng.normal(25, 8, 400), 1)  # SYNTHETIC, with ties
        np.testing.assert_array_equal(
            adq(scores, 10, populations=np.full(400, 1500)), adq(scores, 10)
        )

    def test_population_weighting_balances_population(self):
        rng = np.random.default_rng(5)
        scores = rng.normal(size=300)  # SYNTHETIC
        pops = rng.integers(500, 20000, 300).astype(float)
        q = adq(scores, 5, populations=pops)
        share = np.array([pops[q == k].sum() for k in range(1, 6)]) / pops.sum()
        # each quintile is within one area's share of 20%
        assert np.all(np.abs(share - 0.2) <= pops.max() / pops.sum() + 1e-12)
        # formula: population strictly more deprived, as a share, decides the quintile
        order = np.argsort(-scores)
        before = np.concatenate(([0.0], np.cumsum(pops[order])[:-1])) / pops.sum()
        np.testing.assert_array_equal(q[order], np.floor(5 * before) + 1)

    def test_local_quantiles_within_groups(self):
        rng = np.random.default_rng(8)
        scores = rng.normal(size=60)  # SYNTHETIC
        la = np.repeat(["E08000026", "E07000218", "E07000222"], 20)
        q = adq(scores, 5, groups=la)
        for code in np.unique(la):
            np.testing.assert_array_equal(q[la == code], adq(scores[la == code], 5))


class TestShapesAndMissing:
    def test_series_in_series_out_with_index_and_na(self):
        s = pd.Series([30.0, np.nan, 10.0, 20.0, 40.0], index=list("abcde"))
        out = adq(s, 2)
        assert isinstance(out, pd.Series) and out.dtype == "Int64" and out.name == "quantile"
        assert out.index.equals(s.index)
        assert out.isna().tolist() == [False, True, False, False, False]
        assert out.dropna().tolist() == [1, 2, 2, 1]

    def test_group_with_fewer_areas_than_quantiles_gets_nan_and_a_warning(self):
        scores = list(range(12)) + [5.0, 6.0, 7.0]
        groups = ["A"] * 12 + ["B"] * 3
        with pytest.warns(UserWarning, match="'B' has 3 area"):
            q = adq(scores, 5, groups=groups)
        assert np.isnan(q[12:]).all() and np.isfinite(q[:12]).all()

    def test_missing_group_label_gives_nan(self):
        q = adq([1.0, 2.0, 3.0, 4.0], 2, groups=["A", "A", None, "A"])
        assert np.isnan(q[2]) and np.isfinite(q[[0, 1, 3]]).all()

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"n": 1}, "n must be a whole number >= 2"),
            ({"n": 2.5}, "n must be a whole number"),
            ({"n": 5, "populations": [1, 2, -3, 4, 5]}, "populations must be >= 0"),
            ({"n": 5, "populations": [1, 2, 3]}, "same number of entries"),
            ({"n": 5, "highest_is_most_deprived": "yes"}, "highest_is_most_deprived"),
            ({"n": 5, "groups": ["A", "B"]}, "groups must have one label per score"),
        ],
    )
    def test_bad_arguments_raise_parameter_error(self, kwargs, match):
        with pytest.raises(ParameterError, match=match):
            adq([5.0, 4.0, 3.0, 2.0, 1.0], **kwargs)

    def test_parameter_error_is_a_value_error(self):
        assert issubclass(ParameterError, ValueError)
