"""Tests for cw_pophealth.plots.inequalities: the published SII chart and the decile gradient.

The tables are built by cw_pophealth.analysis from SYNTHETIC tidy rows (made-up values).
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import helpers
from cw_pophealth import analysis, plots
from helpers import COV, ENG, WARKS, WM, all_text, tidy

WORCS = "E10000034"  # a SYNTHETIC county comparator
DECILE_TYPE = "District & UA deprivation deciles within area (IMD2019)"
LABELS = ["Most deprived decile", "Second most deprived decile", "Third more deprived decile",
          "Fourth more deprived decile", "Fifth more deprived decile",
          "Fifth less deprived decile", "Fourth less deprived decile",
          "Third less deprived decile", "Second least deprived decile",
          "Least deprived decile"]
RELEASE = "SYNTHETIC release, January 2020"


@pytest.fixture(autouse=True)
def county_comparator(monkeypatch):
    monkeypatch.setitem(helpers.NAMES, WORCS, "Worcestershire")
    monkeypatch.setitem(helpers.AREA_TYPES, WORCS, "County")


@pytest.fixture
def areas():
    return pd.DataFrame({"area_code": [WARKS, WORCS, WM], "role": ["focus", "comparator",
                                                                 "comparator"],
                         "area_name": ["Warwickshire", "Worcestershire", "West Midlands"]})


@pytest.fixture
def published(areas):
    """SYNTHETIC published SII rows, with a release as the tidy table will carry them."""
    def row(code, sex, value, lower, upper):
        return {"indicator_id": 92901, "area_code": code, "sex": sex, "period": "2016 - 18",
                "value": value, "lower_ci_95": lower, "upper_ci_95": upper,
                "source": "SYNTHETIC extract (2020-02-04)", "source_ref": "synthetic.json"}
    table = tidy([row(WARKS, "Male", 9.0, 8.0, 10.0), row(WARKS, "Female", 5.0, 4.0, 5.9),
                  row(WORCS, "Male", 11.0, 10.2, 11.8), row(WORCS, "Female", 5.4, 4.5, 6.3),
                  row(ENG, "Male", 9.5, 9.4, 9.6), row(ENG, "Female", 7.5, 7.4, 7.6)])
    table = table.assign(release=RELEASE, release_date=pd.Timestamp("2020-02-04"))
    return analysis.published_sii(table, areas)


@pytest.fixture
def empty_published(areas):
    table = tidy([{"indicator_id": 90366, "area_code": WARKS, "sex": "Male",
                   "period": "2021 - 23", "value": 80.0}])
    return analysis.published_sii(table, areas)


@pytest.fixture
def deciles():
    """SYNTHETIC life expectancy by decile for Coventry, with published limits."""
    rows = [{"indicator_id": 90366, "area_code": COV, "sex": "Female", "period": "2018 - 20",
             "category_type": DECILE_TYPE, "category": label, "value": 78.0 + 0.7 * k,
             "lower_ci_95": 77.0 + 0.7 * k, "upper_ci_95": 79.0 + 0.7 * k,
             "source": "SYNTHETIC API (2026-12-01)", "source_ref": "https://example.test/csv"}
            for k, label in enumerate(LABELS)]
    dep = analysis.deprivation_rows(tidy(rows), [COV])
    return dep, analysis.deprivation_sii(dep, repetitions=1000)


class TestPublishedSIIChart:
    def test_returns_axes_with_title_units_source_release_and_period(self, published):
        ax = plots.published_sii_chart(published, sex="Male")
        assert isinstance(ax, Axes)
        assert ax.get_title(loc="left") == "Warwickshire: SII in life expectancy, Male, 2016 - 18"
        assert ax.get_xlabel() == "Gap in life expectancy, most to least deprived (years)"
        footer = " ".join(plots.footer_text(ax).split())
        assert "indicator 92901: synthetic.json" in footer
        assert f"release: {RELEASE}, released 2020-02-04" in footer
        assert "Data period: 2016 - 18" in footer
        assert "a smaller gap is better" in footer

    def test_bars_take_the_colour_of_their_comparison(self, published):
        ax = plots.published_sii_chart(published, sex="Male")
        colours = {mcolors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
        palette = plots.comparison_colours()
        assert colours == {palette["Similar"], palette["Worse"]}

    def test_the_largest_gap_is_at_the_top_and_missing_areas_at_the_bottom(self, published):
        ax = plots.published_sii_chart(published, sex="Male")
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == ["West Midlands", "Warwickshire", "Worcestershire"]
        assert "not in the table" in all_text(ax)

    def test_england_is_the_dashed_line(self, published):
        ax = plots.published_sii_chart(published, sex="Female")
        assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [7.5]
        assert "England 7.5 yrs" in all_text(ax)

    def test_several_sexes_need_a_choice(self, published):
        with pytest.raises(ValueError, match="several values of sex"):
            plots.published_sii_chart(published)

    def test_the_figure_has_a_panel_per_focus_area_and_sex(self, published):
        fig = plots.published_sii_figure(published)
        assert isinstance(fig, Figure) and len(fig.axes) == 2
        assert plots.figure_metadata(fig)["period"] == "2016 - 18"

    def test_the_alt_text_gives_each_focus_value_with_its_ci_and_the_benchmark(self, published):
        alt = plots.alt_text(plots.published_sii_figure(published))
        assert "Warwickshire, Male: 9.0 years (95% CI 8.0 to 10.0), 2016 - 18." in alt
        assert "Warwickshire, Female: 5.0 years (95% CI 4.0 to 5.9), 2016 - 18." in alt
        assert "England, Male: 9.5 years." in alt and "Worcestershire" not in alt

    def test_without_any_sii_the_figure_says_so_in_one_panel(self, empty_published):
        fig = plots.published_sii_figure(empty_published)
        assert len(fig.axes) == 1
        text = all_text(fig.axes[0])
        assert "holds no published SII" in text and "Warwickshire" in text
        assert "cw-pophealth pull --indicators 92901" in text.replace("\n", " ")


class TestDeprivationGradient:
    def test_points_sit_at_population_midpoints_with_the_sii_line(self, deciles):
        dep, sii = deciles
        ax = plots.deprivation_gradient(dep, sii)
        line = [ln for ln in ax.lines if ln.get_color() == plots.GAP_COLOUR][0]
        np.testing.assert_allclose(line.get_xdata(), [0, 1])
        np.testing.assert_allclose(line.get_ydata(), [sii["intercept"].iloc[0],
                                                      sii["intercept"].iloc[0]
                                                      + sii["sii"].iloc[0]])
        np.testing.assert_allclose(ax.get_xticks(), np.arange(0.05, 1, 0.1))

    def test_title_units_and_the_sii_are_written(self, deciles):
        dep, sii = deciles
        ax = plots.deprivation_gradient(dep, sii)
        assert ax.get_title(loc="left") == ("Coventry: test by deprivation decile, Female, "
                                            "2018 - 20")
        assert ax.get_ylabel() == "test (years)"
        text = " ".join(all_text(ax).split())
        assert "SII 7.0 years (95% CI 6.0 to 8.2); RII 1.090" in text
        assert "Populations: equal shares (no denominators published)" in text
        assert "Data period: 2018 - 20" in plots.footer_text(ax)

    def test_the_figure_draws_each_group(self, deciles):
        dep, sii = deciles
        fig = plots.deprivation_figure(dep, sii)
        assert len(fig.axes) == 1 and fig.get_suptitle().startswith("Indicators by deprivation")

    def test_the_figure_alt_text_gives_each_groups_sii_and_rii(self, deciles):
        dep, sii = deciles
        alt = plots.alt_text(plots.deprivation_figure(dep, sii))
        row = sii.iloc[0]
        assert (f"Coventry, {row['indicator_name']}, Female, 2018 - 20: SII {row['sii']:.1f} "
                f"(95% CI {row['sii_lower']:.1f} to {row['sii_upper']:.1f}), "
                f"RII {row['rii']:.2f}.") in alt

    def test_without_rows_the_figure_says_what_a_live_pull_would_add(self, deciles):
        dep, sii = deciles
        fig = plots.deprivation_figure(dep.iloc[0:0], sii.iloc[0:0],
                                       empty_message="No rows; a live pull would add them.")
        assert "a live pull would add them" in all_text(fig.axes[0])
