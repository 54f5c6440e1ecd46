"""Tests for cw_pophealth.plots: every chart returns its Axes/Figure with title, units, footer.

Plots draw what the analysis tables say: colours come from the ``comparison`` column and missing
values are annotated, never dropped.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cw_pophealth import catalogue, plots, transforms  # noqa: E402

COV, WARKS, WM, ENG = (catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.WEST_MIDLANDS,
                       catalogue.ENGLAND)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax: Axes) -> str:
    return " | ".join(t.get_text() for t in ax.texts)


@pytest.fixture
def won() -> pd.DataFrame:
    """A window_of_need-shaped frame: one complete area, one without LE, one without HLE."""
    base = {"sex": "Male", "period": "2021 - 23", "period_start": pd.Timestamp("2021-01-01"),
            "le_lower": np.nan, "le_upper": np.nan, "gap_lower": np.nan, "gap_upper": np.nan,
            "le_source_ref": "trafford_themes/life_expectancy.csv",
            "hle_source_ref": "ons_els/healthy-life-expectancy.csv",
            "le_source": "trafford_themes: ... (2026-05-13); values rounded to 1 dp upstream",
            "hle_source": "ons_els: ... (2026-06-26); ONS source date 19/02/2026", "caveat": ""}
    rows = [
        {**base, "area_code": COV, "area_name": "Coventry", "role": "focus", "le": 77.3,
         "hle": 58.5, "hle_lower": 55.7, "hle_upper": 61.2, "gap": 18.8, "status": "OK"},
        {**base, "area_code": WARKS, "area_name": "Warwickshire", "role": "focus",
         "le": np.nan, "hle": 62.1, "hle_lower": 59.8, "hle_upper": 64.4, "gap": np.nan,
         "status": "LE not in data"},
        {**base, "area_code": "E07000218", "area_name": "North Warwickshire",
         "role": "district of Warwickshire", "le": 78.2, "hle": np.nan, "hle_lower": np.nan,
         "hle_upper": np.nan, "gap": np.nan, "status": "HLE not in data"},
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def bench() -> pd.DataFrame:
    """A benchmark_table-shaped frame for one indicator."""
    base = {"indicator_id": 93881, "indicator_key": "obesity", "indicator_name": "Obese adults",
            "unit": "%", "polarity": 0, "sex": "Persons", "period": "2022/23",
            "period_start": pd.Timestamp("2022-11-16"), "benchmark_code": ENG,
            "benchmark_name": "England", "benchmark_value": 26.0, "confidence": "95%",
            "source": "ons_els: ... (2026-06-26)", "source_ref": "ons_els/adult-obesity.csv"}
    rows = [
        {**base, "area_code": COV, "area_name": "Coventry", "role": "focus", "value": 30.0,
         "lower": 28.0, "upper": 32.0, "comparison": "Worse", "status": "OK"},
        {**base, "area_code": WARKS, "area_name": "Warwickshire", "role": "focus",
         "value": 25.0, "lower": 22.0, "upper": 28.0, "comparison": "Similar", "status": "OK"},
        {**base, "area_code": WM, "area_name": "West Midlands", "role": "comparator",
         "value": np.nan, "lower": np.nan, "upper": np.nan, "comparison": "Not compared",
         "status": "No data in snapshot for West Midlands (93881)"},
        {**base, "area_code": ENG, "area_name": "England", "role": "comparator",
         "value": 26.0, "lower": 25.8, "upper": 26.2, "comparison": "Not compared",
         "status": "OK"},
    ]
    return pd.DataFrame(rows)


class TestPalette:
    def test_default_palette_is_the_colour_blind_safe_one(self):
        assert plots.comparison_colours() == plots.PALETTES["colour-blind-safe"]

    def test_fingertips_palette_is_available(self):
        assert plots.comparison_colours("fingertips")["Worse"] == "#C00000"

    def test_a_partial_mapping_falls_back_to_the_default(self):
        colours = plots.comparison_colours({"Better": "#000000"})
        assert (colours["Better"], colours["Worse"]) == ("#000000", "#D55E00")

    def test_an_unknown_palette_name_is_rejected(self):
        with pytest.raises(ValueError, match="Unknown palette"):
            plots.comparison_colours("rainbow")

    def test_every_comparison_label_has_a_distinct_colour(self):
        colours = plots.comparison_colours()
        assert len(set(colours.values())) == len(plots.COMPARISON_LABELS)


class TestWindowOfNeedBars:
    def test_returns_axes_with_title_units_and_footer(self, won):
        ax = plots.window_of_need_bars(won)
        assert isinstance(ax, Axes)
        assert "2021 - 23" in ax.get_title(loc="left")
        assert ax.get_xlabel() == "Years from birth"
        footer = plots.footer_text(ax)
        assert "90366" in footer and "90362" in footer and "Data period: 2021 - 23" in footer

    def test_gap_is_labelled_in_years(self, won):
        assert "18.8 yrs" in _texts(plots.window_of_need_bars(won))

    def test_missing_le_is_said_not_dropped(self, won):
        ax = plots.window_of_need_bars(won)
        assert "LE not in data" in _texts(ax)
        assert "Warwickshire" in [t.get_text() for t in ax.get_yticklabels()]

    def test_missing_hle_is_said(self, won):
        assert "HLE not in data" in _texts(plots.window_of_need_bars(won))

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
        assert "No data in snapshot" in _texts(ax)
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
        assert "West Midlands" in _texts(plots.trend_lines(trend))

    def test_markers_are_coloured_by_comparison(self, trend):
        ax = plots.trend_lines(trend)
        faces = {mcolors.to_hex(c).upper() for coll in ax.collections
                 for c in coll.get_facecolors()}
        assert plots.comparison_colours()["Worse"] in faces

    def test_figure_from_real_tables(self, snapshot_table):
        trend = transforms.trend_table(snapshot_table, ["smoking", "alcohol"], [COV, ENG])
        fig = plots.trend_figure(trend)
        assert "92778" in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


class TestSpineChart:
    @pytest.fixture
    def profile(self, snapshot_table):
        return transforms.area_profile_table(snapshot_table, WARKS)

    def test_returns_axes_with_title_and_footer(self, profile):
        ax = plots.spine_chart(profile)
        assert ax.get_title(loc="left") == ("Area profile: Warwickshire (E10000031) compared "
                                            "with England")
        assert "Data period" in plots.footer_text(ax)

    def test_indicators_without_data_say_so(self, profile):
        assert "No data in snapshot for Warwickshire (92778)" in _texts(
            plots.spine_chart(profile))

    def test_every_indicator_is_listed(self, profile):
        text = _texts(plots.spine_chart(profile))
        assert all(f"[{s.indicator_id}]" in text for s in catalogue.CORE_INDICATORS)

    def test_area_markers_use_the_comparison_colour(self, profile):
        ax = plots.spine_chart(profile)
        faces = {mcolors.to_hex(c).upper() for coll in ax.collections
                 for c in coll.get_facecolors()}
        assert faces == {plots.comparison_colours()["Similar"]}
