"""Tests for cw_pophealth.plots.burden: the burden-of-risk figure (SYNTHETIC tables)."""

from __future__ import annotations

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cw_pophealth import plots  # noqa: E402
from helpers import COV, ENG, WARKS, all_text


@pytest.fixture
def table() -> pd.DataFrame:
    """A burden_table-shaped frame with SYNTHETIC values for two risks."""
    base = {"measure": "Deaths", "sex": "Persons", "benchmark_value": 60.0,
            "licence": "IHME GBD 2017: non-commercial, with attribution (test)",
            "source_ref": "psychty_gbd2017/x.json", "release": "IHME GBD 2017 results (x)",
            "status": "OK"}
    rows = []
    for risk in ("Tobacco", "Alcohol use"):
        rows += [
            {**base, "risk": risk, "area_code": WARKS, "area_name": "Warwickshire",
             "role": "focus", "value": 55.0, "lower_ui_95": 45.0, "upper_ui_95": 65.0},
            {**base, "risk": risk, "area_code": ENG, "area_name": "England",
             "role": "benchmark", "value": 60.0, "lower_ui_95": 55.0, "upper_ui_95": 65.0},
            {**base, "risk": risk, "area_code": COV, "area_name": "Coventry", "role": "focus",
             "sex": pd.NA, "value": np.nan, "lower_ui_95": np.nan, "upper_ui_95": np.nan,
             "status": "not in the file"},
        ]
    return pd.DataFrame(rows)


class TestBurdenBars:
    def test_title_names_the_risk_and_gbd_2017(self, table):
        ax = plots.burden_bars(table, "Tobacco")
        assert ax.get_title(loc="left") == "Deaths attributable to tobacco, GBD 2017"

    def test_footer_says_all_ages_age_standardised_and_carries_the_licence(self, table):
        footer = plots.footer_text(plots.burden_bars(table, "Tobacco")).replace("\n", " ")
        assert "GBD 2017, all ages, age-standardised" in footer and "IHME" in footer

    def test_an_area_not_in_the_file_is_said(self, table):
        assert "Not in the GBD 2017 file: Coventry" in all_text(plots.burden_bars(table,
                                                                                  "Tobacco"))

    def test_the_focus_area_is_coloured(self, table):
        ax = plots.burden_bars(table, "Tobacco")
        colours = {mcolors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
        assert plots.HLE_COLOUR in colours

    def test_several_risks_need_a_choice(self, table):
        with pytest.raises(ValueError, match="several risks"):
            plots.burden_bars(table)


class TestBurdenFigure:
    def test_one_panel_per_risk_and_an_honest_title(self, table):
        fig = plots.burden_figure(table)
        titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
        assert titles == ["Tobacco", "Alcohol use"] and "GBD 2017, all ages, age-standardised" in (
            plots.figure_title(fig))

    def test_the_alt_text_gives_each_risks_values_and_says_what_is_missing(self, table):
        alt = plots.alt_text(plots.burden_figure(table))
        assert alt.startswith("Bar charts, one per risk: deaths attributable per 100,000")
        assert ("Tobacco: Warwickshire 55.0, England 60.0, Coventry not in data. Alcohol use: "
                "Warwickshire 55.0, England 60.0, Coventry not in data.") in alt

    def test_the_framework_figure_2_difference_is_in_the_footer(self, table):
        footer = plots.footer_text(plots.burden_figure(table)).replace("\n", " ")
        assert "deaths under 70 in 2021" in footer
