"""Tests for cw_pophealth.plots.spine: the spine chart."""

from __future__ import annotations

import itertools

import matplotlib.colors as mcolors  # noqa: E402
import pytest  # noqa: E402

from cw_pophealth import analysis, catalogue, plots  # noqa: E402
from cw_pophealth.geography import get_geography
from helpers import WARKS, all_text


class TestSpineChart:
    @pytest.fixture
    def profile(self, snapshot_table):
        return analysis.area_profile_table(snapshot_table, WARKS)

    def test_returns_axes_with_title_and_footer(self, profile):
        ax = plots.spine_chart(profile)
        assert ax.get_title(loc="left") == ("Area profile: Warwickshire (E10000031) compared "
                                            "with England")
        assert "Data period" in plots.footer_text(ax)

    def test_indicators_without_data_say_so(self, profile):
        assert "No data in snapshot for Warwickshire (92778)" in all_text(
            plots.spine_chart(profile))

    def test_every_indicator_is_listed(self, profile):
        text = all_text(plots.spine_chart(profile))
        assert all(f"[{s.indicator_id}]" in text for s in catalogue.CORE_INDICATORS)

    def test_area_markers_use_the_comparison_colour(self, profile):
        ax = plots.spine_chart(profile)
        faces = {mcolors.to_hex(c).upper() for coll in ax.collections
                 for c in coll.get_facecolors()}
        colours = plots.comparison_colours()
        expected = {colours[c] for c in profile.dropna(subset=["value"])["comparison"]}
        assert faces == expected and len(expected) > 1

    def test_values_of_an_earlier_release_are_squares_named_in_the_legend(self, profile):
        ax = plots.spine_chart(profile)
        squares = sum(1 for coll in ax.collections
                      if coll.get_paths() and len(coll.get_paths()[0].vertices) == 5)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert squares == int(profile["earlier_release"].sum()) > 0 and any(
            t.startswith("Square: an earlier release (Fingertips as of January 2020")
            for t in labels)


class TestNoTextOverlaps:
    """The table beside the spine keeps every label clear of the next column, and the "no data"
    box clear of the labels, for the area with the longest name (the box names the area)."""

    @staticmethod
    def overlapping_texts(ax) -> list[tuple[str, str]]:
        fig = ax.figure
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
                 if t.get_text().strip()]
        return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
                if box_a.overlaps(box_b)]

    def test_no_two_labels_overlap(self, snapshot_table, extracts_settings):
        lookup = get_geography(extracts_settings)
        names = {code: lookup.name(code) for code in lookup.upper_tier_areas()}
        longest = max(names, key=lambda code: len(names[code]))
        for code in (WARKS, longest):
            ax = plots.spine_chart(analysis.area_profile_table(snapshot_table, code))
            assert self.overlapping_texts(ax) == [], code

    def test_the_check_sees_an_overlap(self, snapshot_table):
        ax = plots.spine_chart(analysis.area_profile_table(snapshot_table, WARKS))
        # Synthetic: a period label on the last row, moved left into the indicator's label.
        ax.text(-4.5, 0.0, "2016 - 18", ha="left", va="center", fontsize=8.5)
        assert [b for _, b in self.overlapping_texts(ax)] == ["2016 - 18"]


class TestTheRangeLegend:
    def test_a_range_of_unitary_authorities_only_says_so(self, snapshot_table):
        profile = analysis.area_profile_table(snapshot_table, "E08000026",
                                              indicators=["smoking", "physical_inactivity"])
        ax = plots.spine_chart(profile)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "Range across unitary authorities: worst to best" in labels

    def test_range_phrase_names_the_types_held(self):
        assert plots.spine.range_phrase(["UA", "County"]) == "counties & unitary authorities"

    def test_alt_text_names_the_area_and_its_comparisons(self, snapshot_table):
        profile = analysis.area_profile_table(snapshot_table, "E08000026",
                                              indicators=["physical_inactivity"])
        ax = plots.spine_chart(profile)
        assert plots.alt_text(ax.figure).startswith(
            "Spine chart: Coventry compared with England on 1 indicator rows. Worse: "
            "Physically inactive adults")
