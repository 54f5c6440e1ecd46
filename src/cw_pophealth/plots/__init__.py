"""Plots: Fingertips-style charts drawn from the tables in :mod:`cw_pophealth.analysis`.

Every axes-level function takes a table and ``ax=None`` and returns the Axes it drew on; the
``*_figure`` functions lay out several panels and return the Figure. Nothing here saves or shows
a figure (:func:`cw_pophealth.report.save_figure` saves), and nothing here computes
significance: colours come from the ``comparison`` column the tables computed with
:mod:`cw_pophealth.stats`, and intervals are the ones in the table.

:mod:`~cw_pophealth.plots.style`
    Palettes, legends, titles, footers and figure metadata shared by every chart.
:mod:`~cw_pophealth.plots.window_of_need`, :mod:`~cw_pophealth.plots.compare`,
:mod:`~cw_pophealth.plots.spine`, :mod:`~cw_pophealth.plots.burden`,
:mod:`~cw_pophealth.plots.inequalities`
    The charts.

Colours
-------
The default palette is colour-blind safe, built from Okabe & Ito (2008), "Color Universal
Design", and keeps the traffic-light meaning analysts expect:

=============  =========  ===========================================================
Label          Colour     Okabe-Ito name
=============  =========  ===========================================================
Better         #009E73    bluish green
Similar        #F0E442    yellow (drawn with a dark edge so it shows on white)
Worse          #D55E00    vermillion
Higher         #56B4E9    sky blue (no-judgement indicators, polarity 99)
Lower          #0072B2    blue
Not compared   #BBBBBB    grey (not in Okabe-Ito; neutral)
=============  =========  ===========================================================

``palette="fingertips"`` gives the fingertipscharts colours (Better #92D050, Similar #FFC000,
Worse #C00000, Higher #BED2FF, Lower #5555E6, Not compared #C9C9C9), which are **not**
colour-blind safe (red/green), for matching the Fingertips website.
"""

from __future__ import annotations

from cw_pophealth.plots.burden import BURDEN_NOTE, burden_bars, burden_figure
from cw_pophealth.plots.compare import (
    benchmark_bars,
    benchmark_figure,
    trend_figure,
    trend_lines,
)
from cw_pophealth.plots.inequalities import (
    deprivation_figure,
    deprivation_gradient,
    published_sii_chart,
    published_sii_figure,
    release_note,
)
from cw_pophealth.plots.spine import spine_chart
from cw_pophealth.plots.style import (
    AREA_LINE_COLOURS,
    BENCHMARK_COLOUR,
    COMPARISON_LABELS,
    COMPARISON_RULE,
    DEFAULT_PALETTE,
    GAP_COLOUR,
    HLE_COLOUR,
    PALETTES,
    add_footer,
    alt_text,
    comparison_colours,
    comparison_legend_handles,
    figure_metadata,
    figure_title,
    footer_text,
    set_alt_text,
    source_note,
)
from cw_pophealth.plots.window_of_need import (
    window_of_need_bars,
    window_of_need_figure,
    window_of_need_trend,
    window_of_need_trend_figure,
)

__all__ = [
    "AREA_LINE_COLOURS",
    "BURDEN_NOTE",
    "BENCHMARK_COLOUR",
    "COMPARISON_LABELS",
    "COMPARISON_RULE",
    "DEFAULT_PALETTE",
    "GAP_COLOUR",
    "HLE_COLOUR",
    "PALETTES",
    "add_footer",
    "alt_text",
    "benchmark_bars",
    "benchmark_figure",
    "burden_bars",
    "burden_figure",
    "comparison_colours",
    "comparison_legend_handles",
    "deprivation_figure",
    "deprivation_gradient",
    "figure_metadata",
    "figure_title",
    "footer_text",
    "published_sii_chart",
    "published_sii_figure",
    "release_note",
    "set_alt_text",
    "source_note",
    "spine_chart",
    "trend_figure",
    "trend_lines",
    "window_of_need_bars",
    "window_of_need_figure",
    "window_of_need_trend",
    "window_of_need_trend_figure",
]
