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


class TestWindowOfNeedBarsAcrossReleases:
    """SYNTHETIC frame: Warwickshire shows its own 2016 - 18 pair, of an earlier release."""

    @pytest.fixture
    def mixed(self, won):
        out = won.assign(earlier_release=False, le_release="Current LE (x)",
                         hle_release="Current HLE (y)")
        warks = out["area_code"] == "E10000031"
        out.loc[warks, ["period", "le", "hle", "hle_lower", "hle_upper", "gap", "status",
                        "earlier_release", "le_release", "hle_release"]] = [
            "2016 - 18", 79.9, 64.8, None, None, 15.1, "OK", True,
            "Fingertips as of January 2020 (a)", "Fingertips as of June 2020 (b)"]
        return out

    def test_the_area_of_another_period_names_it(self, mixed):
        labels = [t.get_text() for t in plots.window_of_need_bars(mixed).get_yticklabels()]
        assert "Warwickshire (2016 - 18)" in labels and "Coventry (2021 - 23)" in labels

    def test_the_title_names_the_other_period(self, mixed):
        assert plots.window_of_need_bars(mixed).get_title(loc="left").endswith(
            "2021 - 23; Warwickshire 2016 - 18")

    def test_the_earlier_release_is_hatched(self, mixed):
        ax = plots.window_of_need_bars(mixed)
        assert sum(1 for p in ax.patches if p.get_hatch() == "////") == 2  # HLE and gap

    def test_the_legend_names_both_earlier_releases(self, mixed):
        texts = [t.get_text() for t in plots.window_of_need_bars(mixed).get_legend().get_texts()]
        assert any("LE Fingertips as of January 2020 with HLE Fingertips as of June 2020"
                   in t.replace("\n", " ") for t in texts)

    def test_several_periods_for_one_area_need_a_choice(self, won):
        with pytest.raises(ValueError, match="several periods for an area"):
            plots.window_of_need_bars(pd.concat([won, won.assign(period="2020 - 22")]))


class TestWindowOfNeedTrend:
    def test_areas_without_a_gap_are_listed_in_the_footer(self, won):
        ax = plots.window_of_need_trend(won)
        assert "Not shown" in plots.footer_text(ax) and "Warwickshire" in plots.footer_text(ax)

    def test_units_are_years(self, won):
        ax = plots.window_of_need_trend(won)
        assert "LE − HLE" in ax.get_ylabel()
