"""Tests for cw_pophealth.analysis.inequalities: the published SII and SII/RII by decile.

Every table here is SYNTHETIC (built with ``helpers.tidy``): made-up values shaped like the
Fingertips rows they stand for (indicator 92901 headline rows; deprivation-decile category
rows with the Fingertips category labels).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import helpers
from cw_pophealth import analysis, stats
from cw_pophealth.analysis import inequalities as ineq
from cw_pophealth.catalogue import indicator_spec
from helpers import COV, ENG, WARKS, WM, one, tidy

WORCS = "E10000034"  # a SYNTHETIC county comparator
UA = "E06000001"  # a SYNTHETIC unitary comparator
SII = 92901
DECILE_TYPE = "District & UA deprivation deciles within area (IMD2019)"
DECILES = ["Most deprived decile (IMD2019)", "Second most deprived decile (IMD2019)",
           "Third more deprived decile (IMD2019)", "Fourth more deprived decile (IMD2019)",
           "Fifth more deprived decile (IMD2019)", "Fifth less deprived decile (IMD2019)",
           "Fourth less deprived decile (IMD2019)", "Third less deprived decile (IMD2019)",
           "Second least deprived decile (IMD2019)", "Least deprived decile (IMD2019)"]


@pytest.fixture(autouse=True)
def county_comparator(monkeypatch):
    monkeypatch.setitem(helpers.NAMES, WORCS, "Worcestershire")
    monkeypatch.setitem(helpers.AREA_TYPES, WORCS, "County")


def sii_row(code, sex, value, lower, upper, period="2016 - 18"):
    return {"indicator_id": SII, "area_code": code, "sex": sex, "period": period,
            "value": value, "lower_ci_95": lower, "upper_ci_95": upper,
            "source": "SYNTHETIC walkthrough (2020-02-04)", "source_ref": "synthetic.json"}


@pytest.fixture
def sii_table():
    """SYNTHETIC published SII rows for two periods."""
    return tidy([
        sii_row(WARKS, "Male", 9.0, 8.0, 10.0), sii_row(WARKS, "Female", 5.0, 4.0, 5.9),
        sii_row(WORCS, "Male", 8.1, 7.1, 9.1), sii_row(WORCS, "Female", 5.4, 4.5, 6.3),
        sii_row(COV, "Male", 10.7, 9.4, 11.9), sii_row(COV, "Female", 8.3, 7.0, 9.6),
        sii_row(UA, "Male", 12.6, 11.0, 14.1), sii_row(UA, "Female", 9.9, 8.8, 11.0),
        sii_row(ENG, "Male", 9.5, 9.4, 9.6), sii_row(ENG, "Female", 7.5, 7.4, 7.6),
        sii_row(WARKS, "Male", 7.0, 6.0, 8.0, period="2013 - 15"),
    ])


@pytest.fixture
def areas():
    return pd.DataFrame({"area_code": [COV, WARKS, WORCS, UA, WM],
                         "area_name": ["Coventry", "Warwickshire", "Worcestershire",
                                       "Hartlepool", "West Midlands"],
                         "role": ["focus", "focus", "comparator", "comparator", "comparator"]})


class TestPublishedSII:
    def test_the_latest_period_of_the_focus_areas_is_shown(self, sii_table, areas):
        out = analysis.published_sii(sii_table, areas)
        assert set(out["period"]) == {"2016 - 18"}
        assert one(out, focus_code=WARKS, area_code=WARKS, sex="Male")["value"] == 9.0

    def test_an_explicit_period_is_honoured(self, sii_table, areas):
        out = analysis.published_sii(sii_table, areas, period="2013 - 15")
        assert one(out, focus_code=WARKS, area_code=WARKS, sex="Male")["value"] == 7.0
        assert one(out, focus_code=WARKS, area_code=WARKS, sex="Female")["status"] == (
            ineq.NOT_IN_TABLE)

    @pytest.mark.parametrize(("code", "sex", "label"), [
        pytest.param(WARKS, "Male", "Similar", id="CI contains England"),
        pytest.param(WARKS, "Female", "Better", id="smaller gap than England"),
        pytest.param(UA, "Male", "Worse", id="larger gap than England"),
        pytest.param(ENG, "Male", "Not compared", id="England not compared with itself"),
    ])
    def test_each_area_is_compared_with_england_low_is_good(self, sii_table, areas, code, sex,
                                                            label):
        out = analysis.published_sii(sii_table, areas)
        assert out.loc[(out["area_code"] == code) & (out["sex"] == sex),
                       "comparison"].unique().tolist() == [label]

    def test_the_comparison_is_stats_compare_to_benchmark(self, sii_table, areas):
        row = one(analysis.published_sii(sii_table, areas), focus_code=COV, area_code=COV,
                  sex="Female")
        assert row["comparison"] == stats.compare_to_benchmark(8.3, 7.0, 9.6, 7.5, 0)

    def test_counties_are_shown_with_counties_and_cities_with_unitaries(self, sii_table, areas):
        out = analysis.published_sii(sii_table, areas, sexes="Male")
        groups = out.groupby("focus_code")["area_code"].agg(list).to_dict()
        assert groups == {COV: [COV, UA, WM, ENG], WARKS: [WARKS, WORCS, WM, ENG]}

    def test_the_benchmark_row_and_value_are_england(self, sii_table, areas):
        out = analysis.published_sii(sii_table, areas)
        assert (out.loc[out["role"] == "benchmark", "area_code"] == ENG).all()
        assert set(out.loc[out["sex"] == "Female", "benchmark_value"]) == {7.5}

    def test_an_area_without_rows_says_so_and_keeps_its_place(self, sii_table, areas):
        row = one(analysis.published_sii(sii_table, areas), focus_code=COV, area_code=WM,
                  sex="Male")
        assert (row["status"], np.isnan(row["value"]), row["comparison"]) == (
            ineq.NOT_IN_TABLE, True, "Not compared")

    def test_a_table_without_sii_rows_gives_rows_that_say_so(self, areas):
        other = tidy([{"indicator_id": 90366, "area_code": COV, "sex": "Male",
                       "period": "2021 - 23", "value": 77.3}])
        out = analysis.published_sii(other, areas)
        assert (out["status"] == ineq.NOT_IN_TABLE).all() and out["value"].isna().all()
        assert out["period"].isna().all() and len(out) == 2 * (4 + 4)

    def test_only_the_current_release_is_used_when_releases_are_recorded(self, sii_table,
                                                                        areas):
        old = sii_table.iloc[[0]].assign(value=99.0, source="older release")
        table = pd.concat([sii_table.assign(current=True), old.assign(current=False)])
        row = one(analysis.published_sii(table, areas), focus_code=WARKS, area_code=WARKS,
                  sex="Male")
        assert row["value"] == 9.0

    def test_release_and_release_date_are_carried_through(self, sii_table, areas):
        table = sii_table.assign(release="SYNTHETIC release of January 2020",
                                 release_date=pd.Timestamp("2020-02-04"))
        row = one(analysis.published_sii(table, areas), focus_code=COV, area_code=COV,
                  sex="Male")
        assert (row["release"], row["release_date"]) == ("SYNTHETIC release of January 2020",
                                                          pd.Timestamp("2020-02-04"))


class TestDeprivationRank:
    def test_the_ten_fingertips_decile_labels_run_from_most_to_least_deprived(self):
        assert [ineq.deprivation_rank(c) for c in DECILES] == [(k, 10) for k in range(1, 11)]

    @pytest.mark.parametrize(("label", "expected"), [
        ("Most deprived quintile (IMD2019)", (1, 5)),
        ("Second most deprived quintile (IMD2019)", (2, 5)),
        ("Middle quintile (IMD2019)", (3, 5)),
        ("Second least deprived quintile (IMD2019)", (4, 5)),
        ("Least deprived quintile (IMD2019)", (5, 5)),
        ("most deprived decile", (1, 10)),
    ])
    def test_quintile_labels_and_lower_case(self, label, expected):
        assert ineq.deprivation_rank(label) == expected

    @pytest.mark.parametrize("label", ["Persons", "White", "Sixth more deprived decile",
                                       "Third less deprived quintile", None])
    def test_other_categories_are_not_deprivation_ranks(self, label):
        assert ineq.deprivation_rank(label) is None


def decile_rows(code=COV, *, values=None, ci=True, counts=None, period="2018 - 20",
                indicator=90366, sex="Male", drop=()):
    """SYNTHETIC deprivation-decile category rows (LE-like values rising with affluence)."""
    values = values if values is not None else [74.0 + 0.9 * k for k in range(10)]
    rows = []
    for k, (label, value) in enumerate(zip(DECILES, values, strict=True)):
        if k in drop:
            continue
        row = {"indicator_id": indicator, "area_code": code, "sex": sex, "period": period,
               "category_type": DECILE_TYPE, "category": label, "value": value}
        if ci:
            row |= {"lower_ci_95": value - 1.2 - 0.1 * k, "upper_ci_95": value + 1.2 + 0.1 * k}
        if counts is not None:
            row |= {"count": counts[0][k], "denominator": counts[1][k]}
        rows.append(row)
    return rows


class TestDeprivationRows:
    def test_rows_are_ordered_most_to_least_deprived(self):
        shuffled = decile_rows()[::-1]
        out = analysis.deprivation_rows(tidy(shuffled), [COV])
        assert out["quantile"].tolist() == list(range(1, 11))
        assert out["category"].tolist() == DECILES

    def test_other_categories_and_headline_rows_are_left_out(self):
        rows = decile_rows() + [
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2018 - 20",
             "value": 78.0},
            {"indicator_id": 90366, "area_code": COV, "sex": "Male", "period": "2018 - 20",
             "category_type": "Ethnic groups", "category": "White", "value": 78.5}]
        assert len(analysis.deprivation_rows(tidy(rows), [COV])) == 10

    def test_each_group_takes_its_latest_period(self):
        rows = decile_rows(period="2015 - 17") + decile_rows(period="2018 - 20")
        assert set(analysis.deprivation_rows(tidy(rows), [COV])["period"]) == {"2018 - 20"}

    def test_a_table_without_categories_gives_no_rows(self):
        table = tidy([{"indicator_id": 90366, "area_code": COV, "period": "2018 - 20",
                       "sex": "Male", "value": 78.0}])
        out = analysis.deprivation_rows(table, [COV, ENG])
        assert out.empty and {"quantile", "lower", "ci_source"} <= set(out.columns)

    def test_published_limits_are_used_and_said_to_be_published(self):
        out = analysis.deprivation_rows(tidy(decile_rows()), [COV])
        assert (out["ci_source"] == "published").all()
        assert out["lower"].tolist() == out["lower_ci_95"].tolist()

    def test_missing_rate_limits_are_computed_from_counts_with_byars(self):
        counts = ([3541, 2328, 3289, 5252, 3781, 5681, 7321, 7649, 6569, 6486],
                  [5085927, 3712902, 3836332, 5308147, 3891467, 5850744, 7342393, 6743170,
                   6397867, 6617378])
        values = [x / n * 1e5 for x, n in zip(*counts, strict=True)]
        rows = decile_rows(ENG, values=values, ci=False, counts=counts, indicator=93356,
                           sex="Persons", period="2015")
        out = analysis.deprivation_rows(tidy(rows), [ENG])
        lo, hi = stats.rate_ci(np.array(counts[0], float), np.array(counts[1], float), 0.95,
                               100000)
        np.testing.assert_allclose(out["lower"], lo, rtol=1e-12)
        np.testing.assert_allclose(out["upper"], hi, rtol=1e-12)
        assert out["ci_source"].str.startswith("computed here (Byar's").all()
        assert (out["multiplier"] == 1e5).all()

    def test_missing_percentage_limits_are_computed_from_counts_with_wilson(self):
        counts = ([300, 280, 260, 240, 220, 200, 180, 160, 140, 120], [1000] * 10)
        values = [100 * x / n for x, n in zip(*counts, strict=True)]
        rows = decile_rows(values=values, ci=False, counts=counts, indicator=92443,
                           sex="Persons", period="2019")
        out = analysis.deprivation_rows(tidy(rows), [COV])
        lo, hi = stats.wilson_ci(np.array(counts[0], float), np.array(counts[1], float), 0.95)
        np.testing.assert_allclose(out["lower"], lo, rtol=1e-12)
        np.testing.assert_allclose(out["upper"], hi, rtol=1e-12)
        assert out["ci_source"].str.startswith("computed here (Wilson").all()


class TestDeprivationSII:
    def test_equals_the_stats_function_with_published_denominators(self):
        pops = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
        rows = decile_rows(counts=([100] * 10, pops))
        dep = analysis.deprivation_rows(tidy(rows), [COV])
        out = analysis.deprivation_sii(dep, repetitions=5000)
        direct = stats.slope_index_of_inequality(dep["value"], dep["lower"], dep["upper"], pops,
                                                 repetitions=5000, seed=1)
        row = out.iloc[0]
        assert (row["sii"], row["sii_lower"], row["rii_upper"], row["intercept"]) == (
            direct.sii, direct.sii_lower, direct.rii_upper, direct.intercept)
        assert (row["populations"], row["value_type"], row["status"]) == (
            "published denominators", "other", "OK")

    def test_without_denominators_the_deciles_get_equal_shares_and_say_so(self):
        dep = analysis.deprivation_rows(tidy(decile_rows()), [COV])
        row = analysis.deprivation_sii(dep, repetitions=1000).iloc[0]
        # equal shares: ranks 0.05, 0.15, ..., 0.95 and an exactly linear gradient of 0.9 a
        # decile, so the SII is 0.9 x 10 = 9 years and the intercept 74 - 0.9 / 2
        assert row["sii"] == pytest.approx(9.0, rel=1e-12)
        assert row["intercept"] == pytest.approx(73.55, rel=1e-12)
        assert row["populations"] == "equal shares (no denominators published)"

    def test_a_missing_decile_is_reported_not_fitted(self):
        dep = analysis.deprivation_rows(tidy(decile_rows(drop=(4,))), [COV])
        row = analysis.deprivation_sii(dep, repetitions=1000).iloc[0]
        assert np.isnan(row["sii"]) and row["status"].startswith("needs each of the 10")

    def test_percentages_are_fitted_as_proportions_and_reported_in_points(self):
        values = [30.0 - 1.5 * k for k in range(10)]  # SYNTHETIC smoking-like percentages
        rows = decile_rows(values=values, indicator=92443, sex="Persons", period="2019")
        dep = analysis.deprivation_rows(tidy(rows), [COV])
        row = analysis.deprivation_sii(dep, repetitions=1000).iloc[0]
        direct = stats.slope_index_of_inequality(
            dep["value"] / 100, dep["lower"] / 100, dep["upper"] / 100, np.ones(10),
            value_type="proportion", multiplier=100, repetitions=1000)
        assert row["value_type"] == "proportion"
        assert row["sii"] == pytest.approx(direct.sii, rel=1e-12)
        assert row["sii"] == pytest.approx(-15.0, rel=1e-12)
        assert row["intercept"] == pytest.approx(100 * direct.intercept, rel=1e-12)

    def test_no_rows_give_an_empty_table(self):
        dep = analysis.deprivation_rows(tidy(decile_rows()), [WARKS])
        assert analysis.deprivation_sii(dep).empty


class TestCoverage:
    def test_what_a_live_pull_would_add_when_nothing_is_in_the_table(self, areas):
        empty = tidy([{"indicator_id": 90366, "area_code": COV, "sex": "Male",
                       "period": "2021 - 23", "value": 77.3}])
        cover = analysis.inequality_coverage(analysis.published_sii(empty, areas),
                                             analysis.deprivation_rows(empty, areas))
        assert cover["area_code"].tolist() == [COV, WARKS]
        assert (cover["published_sii"] == "not in the table").all()
        assert cover["a_live_pull_would_add"].str.contains("published SII in life "
                                                           "expectancy").all()

    def test_what_the_table_holds_is_named_with_its_period_and_release(self, sii_table, areas):
        table = sii_table.assign(release="SYNTHETIC January 2020 release")
        dep = analysis.deprivation_rows(tidy(decile_rows()), areas)
        cover = analysis.inequality_coverage(analysis.published_sii(table, areas), dep)
        cov = cover.set_index("area_code").loc[COV]
        assert cov["published_sii"] == "2016 - 18, Male and Female (SYNTHETIC January 2020 release)"
        assert cov["deprivation_rows"] == f"90366 by {DECILE_TYPE} (2018 - 20)"
        assert cov["a_live_pull_would_add"] == "nothing more"

    def test_the_live_pull_command_adds_the_benchmark(self):
        assert analysis.live_pull_command([COV]).splitlines()[0] == (
            f"cw-pophealth pull --indicators 92901 --areas {COV},{ENG}")


class TestPresentation:
    def test_published_sii_reads_in_years_with_its_interval(self, sii_table, areas):
        shown = analysis.present_published_sii(analysis.published_sii(sii_table, areas))
        row = shown.loc[(shown["Area"] == "Warwickshire") & (shown["Sex"] == "Female")].iloc[0]
        assert (row["SII (years)"], row["95% CI"], row["Compared with England"]) == (
            "5.0", "4.0 to 5.9", "Better")

    def test_a_missing_sii_is_spelled_out(self, sii_table, areas):
        shown = analysis.present_published_sii(analysis.published_sii(sii_table, areas),
                                               drop_empty_comparators=False)
        row = shown.loc[(shown["Area"] == "West Midlands") & (shown["Sex"] == "Male")].iloc[0]
        assert (row["SII (years)"], row["95% CI"]) == (ineq.NOT_IN_TABLE, "")

    def test_empty_comparators_are_left_out_but_focus_areas_and_england_kept(self, areas):
        empty = tidy([{"indicator_id": 90366, "area_code": code, "sex": "Male",
                       "period": "2021 - 23", "value": 78.0} for code in (COV, ENG)])
        shown = analysis.present_published_sii(analysis.published_sii(empty, areas))
        assert set(shown["Area"]) == {"Coventry", "Warwickshire", "England"}
        assert (shown["SII (years)"] == ineq.NOT_IN_TABLE).all() and len(shown) == 8

    def test_deprivation_sii_reads_with_one_and_three_decimals(self):
        dep = analysis.deprivation_rows(tidy(decile_rows()), [COV])
        shown = analysis.present_deprivation_sii(analysis.deprivation_sii(dep, repetitions=1000))
        assert shown.loc[0, "SII"] == "9.0" and len(shown.loc[0, "RII"].split(".")[1]) == 3


@pytest.fixture(scope="module")
def walkthrough(extracts_dir):
    """The SII rows of the walkthrough extract with England's value, and their metadata."""
    folder = extracts_dir / "psychty_la_ph_walkthrough"
    rows = json.loads((folder / "ut_data_neighbours.json").read_text(encoding="utf-8"))
    england = json.loads((folder / "Comp_data_ut.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / "ut_data_meta_extract.json").read_text(encoding="utf-8"))
    name = "slope index of inquality in life expectancy"  # sic, as published
    rows = pd.DataFrame([r for r in rows if name in r["Name"].lower()])
    eng = pd.DataFrame([r for r in england if name in r["Name"].lower()])
    return (rows.merge(eng[["Name", "Comp_Value", "Comp_Lower_CI", "Comp_Upper_CI"]],
                       on="Name"),
            [m for m in meta if m["ID"] == str(SII)])


class TestAgainstThePublishedExtract:
    """The published SII in LE (psychty_la_ph_walkthrough, Fingertips as of January 2020).

    Real published values, read from the extracts folder (skipped where it is absent). The
    extract's ``Significance`` flag is not Fingertips': the walkthrough's own script sets it by
    comparing the area's 95% CI with England's 95% CI ("Significantly lower" when the area's
    upper limit is below England's lower limit), which differs from the Fingertips rule used
    here (the area's CI against England's *value*) when the intervals touch.
    """

    FLAG = {"Similar": "Similar", "Significantly lower": "Better",
            "Significantly higher": "Worse"}

    def test_the_extract_gives_the_period_and_polarity_the_catalogue_uses(self, walkthrough):
        _, meta = walkthrough
        assert {(m["Timeperiod"], m["Polarity"]) for m in meta} == {("2016 - 18",
                                                                     "Lower is better")}
        assert indicator_spec(SII).polarity == 0

    def _ours(self, rows):
        return stats.compare_to_benchmark(rows["Value"], rows["Lower_CI"], rows["Upper_CI"],
                                          rows["Comp_Value"], indicator_spec(SII).polarity)

    def test_the_fingertips_rule_agrees_with_95_of_the_96_published_flags(self, walkthrough):
        rows, _ = walkthrough
        differ = rows.loc[self._ours(rows) != rows["Significance"].map(self.FLAG)]
        assert len(rows) == 96
        assert differ[["Area_name", "Name"]].values.tolist() == [
            ["Southampton", "Male slope index of inquality in life expectancy at birth"]]

    def test_reference_flag_for_southampton_male_compares_the_two_intervals(self, walkthrough):
        """Worked value: Southampton, male, 2016 - 18: SII 7.8 (6.1 to 9.4); England 9.5 (9.4
        to 9.6). The upper limit 9.4 is below England's 9.5, so by the Fingertips rule the gap
        is smaller than England's ("Better"). The extract says "Similar" because its flag asks
        whether the two intervals overlap, and 9.4 touches England's lower limit 9.4. That rule
        reproduces all 96 flags."""
        rows, _ = walkthrough
        row = rows.loc[(rows["Area_name"] == "Southampton") & rows["Name"].str.startswith("Male")]
        assert row[["Value", "Lower_CI", "Upper_CI", "Comp_Value", "Comp_Lower_CI"]].values[
            0].tolist() == [7.8, 6.1, 9.4, 9.5, 9.4]
        assert list(self._ours(row)) == ["Better"]
        overlap = np.select([rows["Upper_CI"] < rows["Comp_Lower_CI"],
                             rows["Lower_CI"] > rows["Comp_Upper_CI"]], ["Better", "Worse"],
                            default="Similar")
        assert overlap.tolist() == rows["Significance"].map(self.FLAG).tolist()

    def test_the_offline_report_shows_warwickshire_and_coventrys_published_sii(
            self, snapshot_table):
        out = analysis.published_sii(snapshot_table, [COV, WARKS])
        focus = out.loc[out["role"] == "focus"].set_index(["area_code", "sex"])
        assert set(focus["period"]) == {"2016 - 18"}
        for key, expected in {(WARKS, "Male"): (9.0, 8.0, 10.0),
                              (WARKS, "Female"): (5.0, 4.0, 5.9),
                              (COV, "Male"): (10.7, 9.4, 11.9),
                              (COV, "Female"): (8.3, 7.0, 9.6)}.items():
            assert tuple(focus.loc[key, ["value", "lower", "upper"]]) == expected, key
