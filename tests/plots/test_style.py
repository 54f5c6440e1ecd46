"""Tests for cw_pophealth.plots.style: palettes and legends."""

from __future__ import annotations

import pytest  # noqa: E402

from cw_pophealth import plots  # noqa: E402


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
