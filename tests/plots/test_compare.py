"""Tests for cw_pophealth.plots.compare: benchmark bars and trend lines."""

from __future__ import annotations

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text

from cw_pophealth import (
    analysis,
    plots,  # noqa: E402
)
from helpers import COV, ENG, WARKS, WM, all_text


class TestBenchmarkBars:
    def test_returns_axes_with_title_units_and_footer(self, bench):
        ax = plots.benchmark_bars(bench)
        assert "Obese adults (93881), 2022/23" == ax.get_title(loc="left")
        assert ax.get_xlabel() == "Obese adults (%)"
        assert "93881" in plots.footer_text(ax)

    def test_bars_take_the_colour_of_their_comparison(self, bench):
        ax = plots.benchmark_bars(bench)
        colours = {mcolors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
        palette = plots.comparison_colours()
        assert {palette["Worse"], palette["Similar"], palette["Not compared"]} <= colours

    def test_the_fingertips_palette_can_be_chosen(self, bench):
        ax = plots.benchmark_bars(bench, palette="fingertips")
        colours = {mcolors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
        assert "#C00000" in colours

    def test_areas_without_data_stay_as_rows(self, bench):
        ax = plots.benchmark_bars(bench)
        assert "No data in snapshot" in all_text(ax)
        assert "West Midlands" in [t.get_text() for t in ax.get_yticklabels()]

    def test_legend_explains_the_comparison(self, bench):
        ax = plots.benchmark_bars(bench)
        assert ax.get_legend().get_title().get_text() == "Compared with England"
        assert "95% confidence interval" in plots.footer_text(ax)

    def test_several_indicators_need_a_choice(self, bench):
        two = pd.concat([bench, bench.assign(indicator_id=93088)])
        with pytest.raises(ValueError, match="several indicators"):
            plots.benchmark_bars(two)

    def test_figure_has_a_panel_per_indicator_plus_the_legend_panel(self, bench):
        two = pd.concat([bench, bench.assign(indicator_id=93088, indicator_name="Overweight")])
        fig = plots.benchmark_figure(two)
        assert isinstance(fig, Figure) and len(fig.axes) == 4  # 2 panels + legend + spare
        assert plots.footer_text(fig) is not None


class TestBenchmarkBarsAcrossPeriodsAndReleases:
    """SYNTHETIC values: Warwickshire shows its own older period, from an earlier release."""

    @pytest.fixture
    def mixed(self, bench):
        out = bench.assign(release="Current release (x)", earlier_release=False)
        warks = out["area_code"] == "E10000031"
        out.loc[warks, ["period", "benchmark_value", "release", "earlier_release"]] = [
            "2017/18", 22.2, "Fingertips as of January 2020 (y)", True]
        return out

    def test_a_bar_of_another_period_names_its_period(self, mixed):
        assert "25.0% (2017/18)" in all_text(plots.benchmark_bars(mixed))

    def test_the_title_names_the_area_with_the_other_period(self, mixed):
        ax = plots.benchmark_bars(mixed)
        assert ax.get_title(loc="left") == "Obese adults (93881), 2022/23; Warwickshire 2017/18"

    def test_the_earlier_release_is_hatched(self, mixed):
        ax = plots.benchmark_bars(mixed)
        assert [p.get_hatch() for p in ax.patches if p.get_hatch()] == ["////"]

    def test_the_legend_names_the_earlier_release(self, mixed):
        labels = [t.get_text() for t in plots.benchmark_bars(mixed).get_legend().get_texts()]
        assert any(t.startswith("Earlier release (Fingertips as of January 2020)")
                   for t in labels)

    def test_each_bar_gets_the_benchmark_of_its_own_period(self, mixed):
        ax = plots.benchmark_bars(mixed)
        ticks = sorted(line.get_xdata()[0] for line in ax.lines if len(line.get_xdata()) == 2)
        assert ticks == [22.2, 26.0, 26.0]

    def test_one_period_keeps_one_benchmark_line(self, bench):
        ax = plots.benchmark_bars(bench)
        assert "England 26.0%" in all_text(ax)

    def test_missing_rows_say_what_a_live_pull_would_add(self, bench):
        assert "a live pull (cw-pophealth pull) would fetch Fingertips 93881" in all_text(
            plots.benchmark_bars(bench))


class TestFiguresSayHowAnIcbWasShown:
    NOTE = "NHS Coventry and Warwickshire ICB (E54000018) is shown as its authorities (SYNTHETIC)"

    def test_the_benchmark_figure_footer_carries_the_note(self, bench):
        bench.attrs["area_note"] = self.NOTE
        text = plots.footer_text(plots.benchmark_figure(bench)).replace("\n", " ")
        assert "E54000018) is shown as its authorities" in text

    def test_the_window_of_need_figure_footer_carries_the_note(self, won):
        won.attrs["area_note"] = self.NOTE
        text = plots.footer_text(plots.window_of_need_figure(won)).replace("\n", " ")
        assert "E54000018) is shown as its authorities" in text


class TestTrendLines:
    @pytest.fixture
    def trend(self, bench):
        later = bench.assign(period="2023/24", period_start=pd.Timestamp("2023-11-16"),
                             value=bench["value"] + 1)
        return pd.concat([bench, later], ignore_index=True)

    def test_returns_axes_with_title_units_and_footer(self, trend):
        ax = plots.trend_lines(trend)
        assert ax.get_title(loc="left") == "Obese adults (93881) over time"
        assert ax.get_ylabel() == "Obese adults (%)"
        assert "2022/23 to 2023/24" in plots.footer_text(ax)

    def test_areas_without_data_are_named(self, trend):
        assert "West Midlands" in all_text(plots.trend_lines(trend))

    def test_markers_are_coloured_by_comparison(self, trend):
        ax = plots.trend_lines(trend)
        faces = {mcolors.to_hex(c).upper() for coll in ax.collections
                 for c in coll.get_facecolors()}
        assert plots.comparison_colours()["Worse"] in faces

    def test_figure_from_real_tables(self, snapshot_table):
        trend = analysis.trend_table(snapshot_table, ["smoking", "alcohol"], [COV, ENG])
        fig = plots.trend_figure(trend)
        assert "92778" in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


@pytest.fixture(scope="module")
def warwickshire(snapshot_table):
    """Trends of Warwickshire, its districts, the region and England (real snapshot)."""
    from cw_pophealth import catalogue

    areas = [WARKS, *catalogue.WARWICKSHIRE_DISTRICTS, WM, ENG]
    return analysis.trend_table(snapshot_table, ["healthy_life_expectancy"], areas, WM)


class TestTrendFigureLayout:
    """Warwickshire with its districts, as the risk-factors report draws it: the healthy life
    expectancy panels name the five districts without data in a note of two lines."""

    @staticmethod
    def title_and_note(ax):
        fig = ax.figure
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        note = next(t for t in ax.texts if t.get_text().startswith("No data in snapshot"))
        title = next(t for t in ax.get_children() if isinstance(t, Text)
                     and t.get_text() == ax.get_title(loc="left"))
        return (title.get_window_extent(renderer), note.get_window_extent(renderer),
                note.get_text())

    def test_the_title_clears_a_note_of_two_lines(self, warwickshire):
        fig = plots.trend_figure(warwickshire)
        for ax in fig.axes[:2]:  # male, female
            title, note, text = self.title_and_note(ax)
            assert text.count("\n") == 1  # the case this checks: a note of two lines
            assert title.y0 > note.y1, ax.get_title(loc="left")

    def test_the_check_sees_a_title_over_the_note(self, warwickshire):
        fig = plots.trend_figure(warwickshire)
        ax = fig.axes[0]
        ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=11, fontweight="bold",
                     pad=16)  # the one-line pad this figure used for every note
        title, note, _ = self.title_and_note(ax)
        assert not title.y0 > note.y1

    def test_the_figure_is_not_drawn_while_it_is_built(self, warwickshire, monkeypatch):
        # A draw lays out every panel; one per panel made the ten-panel figure ten times slower.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        draws = []
        real = FigureCanvasAgg.draw
        monkeypatch.setattr(FigureCanvasAgg, "draw",
                            lambda self, *a, **k: (draws.append(1), real(self, *a, **k))[1])
        plots.trend_figure(warwickshire)
        assert draws == []


def _lab(colour: str):
    """CIE L*a*b* (D65) of an sRGB colour, for colour differences."""
    import numpy as np

    rgb = np.array(mcolors.to_rgb(colour))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


class TestTrendLineColours:
    @pytest.fixture
    def trend(self, snapshot_table):
        areas = analysis.area_selection([COV, "E10000031"], ["E12000005", ENG])
        return analysis.trend_table(snapshot_table, ["obesity"], areas, ENG)

    def test_the_west_midlands_line_is_not_the_better_green(self, trend):
        ax = plots.trend_lines(trend)
        line = next(ln for ln in ax.get_lines() if ln.get_label() == "West Midlands")
        better = plots.comparison_colours()["Better"]
        assert np.linalg.norm(_lab(line.get_color()) - _lab(better)) > 25

    @pytest.mark.parametrize("colour", plots.AREA_LINE_COLOURS)
    def test_every_line_colour_differs_from_every_comparison_colour(self, colour):
        # CIE76 difference above 25: distinct at a glance (a just-noticeable one is about 2.3).
        assert min(np.linalg.norm(_lab(colour) - _lab(c))
                   for c in plots.comparison_colours().values()) > 25


class TestBenchmarkLabels:
    def test_a_benchmark_tick_never_crosses_a_value_label(self, bench):
        # SYNTHETIC: a benchmark value per row (two periods), above a short bar.
        rows = bench.assign(benchmark_value=[35.0, 24.0, 26.0, 26.0])
        ax = plots.benchmark_bars(rows)
        fig = ax.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ticks = [ln.get_window_extent(renderer) for ln in ax.get_lines()]
        labels = [t.get_window_extent(renderer) for t in ax.texts if "%" in t.get_text()]
        assert not any(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
                       for a in ticks for b in labels)


class TestAltTextAndFooters:
    def test_the_alt_text_gives_each_focus_areas_value_and_comparison(self, bench):
        fig = plots.benchmark_figure(bench)
        assert ("Obese adults: Coventry 30.0% (2022/23, worse); Warwickshire 25.0% (2022/23, "
                "similar)") in plots.alt_text(fig)

    def test_a_figure_of_one_period_is_titled_with_it(self, bench):
        bench.attrs["period"] = "2022/23"
        fig = plots.benchmark_figure(bench)
        assert fig.get_suptitle() == "Risk factors compared with England, 2022/23"

    def test_the_trend_footer_promises_no_shading_without_intervals(self, bench):
        trend = bench.assign(lower=float("nan"), upper=float("nan"))
        fig = plots.trend_figure(trend)
        assert "shading" not in plots.footer_text(fig).lower()
