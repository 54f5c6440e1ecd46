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

    def test_a_long_title_wraps_within_the_figure_and_keeps_periods_whole(self, won):
        # SYNTHETIC title as long as the offline default's list of periods.
        long = ("Window of need: life expectancy, healthy life expectancy and the years lived "
                "in not-good health, 2023 - 25; Warwickshire 2016 - 18; Coventry, West "
                "Midlands, England 2022 - 24")
        fig = plots.window_of_need_figure(pd.concat([won, won.assign(sex="Female")]),
                                          title=long)
        fig.canvas.draw()
        title = fig._suptitle
        assert title.get_window_extent().x1 <= fig.bbox.x1
        assert all(not line.endswith(("2016 -", "2023 -", "2022 -"))
                   for line in title.get_text().split("\n"))
        assert plots.figure_metadata(fig)["title"] == long

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


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


class TestLayoutWithFewRows:
    @pytest.mark.parametrize("n_rows", [1, 3, 4])
    def test_the_legend_is_below_the_axis_label(self, won, n_rows):
        rows = pd.concat([won] * 2, ignore_index=True).head(n_rows)
        rows = rows.assign(area_code=[f"E0600000{i}" for i in range(n_rows)])
        ax = plots.window_of_need_bars(rows)
        fig = ax.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        label = ax.xaxis.label.get_window_extent(renderer)
        assert legend.y1 <= label.y0

    def test_the_figure_legend_covers_neither_axis_labels_nor_footer(self, won):
        fig = plots.window_of_need_figure(won.head(2))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        boxes = [ax.xaxis.label.get_window_extent(renderer) for ax in fig.axes]
        boxes += [t.get_window_extent(renderer) for t in fig.texts]
        assert not any(_overlaps(legend, box) for box in boxes)


class TestLabelsAndWhiskers:
    @pytest.fixture
    def wide_cis(self, won):
        # SYNTHETIC: CIs wide enough to reach into a narrow gap.
        return won.head(1).assign(le=80.0, le_lower=77.0, le_upper=83.0, hle=66.0,
                                  hle_lower=62.5, hle_upper=69.5, gap=14.0)

    @pytest.mark.parametrize("fixture", ["won", "wide_cis"])
    def test_no_whisker_crosses_a_label(self, fixture, request):
        ax = plots.window_of_need_bars(request.getfixturevalue(fixture))
        fig = ax.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        whiskers = [line.get_window_extent(renderer) for c in ax.collections
                    for line in [c]]
        labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
        assert not any(_overlaps(w, t) for w in whiskers for t in labels)

    def test_a_gap_label_that_does_not_fit_follows_the_le_label(self, wide_cis):
        ax = plots.window_of_need_bars(wide_cis)
        assert "LE 80.0 · gap 14.0 yrs" in all_text(ax)


class TestFootersPromiseOnlyWhatExists:
    def test_no_gap_interval_is_promised_when_none_can_be_computed(self, won):
        footer = " ".join(plots.footer_text(plots.window_of_need_figure(won)).split())
        assert "approximation is in the table" not in footer and "none can be computed" in footer

    def test_no_shading_is_promised_when_none_is_drawn(self, won):
        footer = " ".join(plots.footer_text(plots.window_of_need_trend_figure(won)).split())
        assert "shading =" not in footer.lower() and "no interval is shaded" in footer


class TestAltText:
    def test_says_what_the_figure_shows_from_the_data(self, won):
        alt = plots.alt_text(plots.window_of_need_figure(won))
        assert alt.startswith("Bar chart: life expectancy split into healthy life expectancy "
                              "and the window of need") and "Coventry 18.8 years (2021 - 23)" in alt

    def test_the_trend_alt_text_names_the_areas_without_a_gap(self, won):
        alt = plots.alt_text(plots.window_of_need_trend_figure(won))
        assert "No gap in any period for North Warwickshire, Warwickshire." in alt
