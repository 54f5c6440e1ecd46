"""Tests for cw_pophealth.plots.window_of_need."""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from cw_pophealth import plots  # noqa: E402
from helpers import all_text


class TestWindowOfNeedBars:
    def test_returns_axes_with_title_units_and_footer(self, won):
        ax = plots.window_of_need_bars(won)
        assert isinstance(ax, Axes)
        assert "2021 - 23" in ax.get_title(loc="left")
        assert ax.get_xlabel() == "Years from birth"
        footer = plots.footer_text(ax)
        assert "90366" in footer and "90362" in footer and "Data period: 2021 - 23" in footer

    def test_gap_is_labelled_in_years(self, won):
        assert "18.8 yrs" in all_text(plots.window_of_need_bars(won))

    def test_missing_le_is_said_not_dropped(self, won):
        ax = plots.window_of_need_bars(won)
        assert "LE not in data" in all_text(ax)
        assert "Warwickshire" in [t.get_text() for t in ax.get_yticklabels()]

    def test_missing_hle_is_said(self, won):
        assert "HLE not in data" in all_text(plots.window_of_need_bars(won))

    def test_draws_on_a_given_axes(self, won):
        fig, ax = plt.subplots()
        assert plots.window_of_need_bars(won, ax=ax, footer=False) is ax

    def test_several_sexes_need_a_choice(self, won):
        both = pd.concat([won, won.assign(sex="Female")])
        with pytest.raises(ValueError, match="several sexes"):
            plots.window_of_need_bars(both)

    def test_figure_has_one_panel_per_sex_and_a_suptitle(self, won):
        fig = plots.window_of_need_figure(pd.concat([won, won.assign(sex="Female")]))
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        assert titles == ["Male", "Female"] and plots.figure_title(fig).startswith("Window of")

    def test_metadata_records_title_source_and_period(self, won):
        meta = plots.figure_metadata(plots.window_of_need_bars(won).figure)
        assert {"title", "source", "period", "footer"} <= set(meta)


class TestWindowOfNeedTrend:
    def test_areas_without_a_gap_are_listed_in_the_footer(self, won):
        ax = plots.window_of_need_trend(won)
        assert "Not shown" in plots.footer_text(ax) and "Warwickshire" in plots.footer_text(ax)

    def test_units_are_years(self, won):
        ax = plots.window_of_need_trend(won)
        assert "LE − HLE" in ax.get_ylabel()
