"""House style shared by every chart: colours, legends, titles, footers and figure metadata.

Every figure carries a title, axis units and a footer naming the source (indicator id and
file/API, with its vintage) and the data period. The footer and title are also kept in
:func:`figure_metadata`, which :func:`cw_pophealth.report.save_figure` writes into the PNG/SVG
metadata and the report index.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import textwrap
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, cast

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch

from cw_pophealth import __version__, catalogue
from cw_pophealth.analysis.releases import short_release

logger = logging.getLogger(__name__)

COMPARISON_LABELS = ("Better", "Similar", "Worse", "Higher", "Lower", "Not compared")

PALETTES: dict[str, dict[str, str]] = {
    "colour-blind-safe": {
        "Better": "#009E73",
        "Similar": "#F0E442",
        "Worse": "#D55E00",
        "Higher": "#56B4E9",
        "Lower": "#0072B2",
        "Not compared": "#BBBBBB",
    },
    "fingertips": {
        "Better": "#92D050",
        "Similar": "#FFC000",
        "Worse": "#C00000",
        "Higher": "#BED2FF",
        "Lower": "#5555E6",
        "Not compared": "#C9C9C9",
    },
}
DEFAULT_PALETTE = "colour-blind-safe"

#: Window-of-need bar colours (Okabe-Ito): years in good health, years in not-good health.
HLE_COLOUR = "#0072B2"
GAP_COLOUR = "#E69F00"
#: Lines for focus areas and comparators in trend charts, from Paul Tol's colour-blind-safe
#: "muted" scheme, with its greens (#117733, #44AA99) and olive (#999933) left out: they read as
#: the comparison colours "Better" (#009E73) and "Similar" (#F0E442) of the markers, and its
#: light blue reads as "Higher". Indigo, wine, purple, rose, brown and dark grey each differ
#: from every comparison colour by more than 25 (CIE76 in L*a*b*; tests/plots/test_compare.py).
AREA_LINE_COLOURS = ("#332288", "#882255", "#AA4499", "#CC6677", "#661100", "#555555")

#: Settings for saving figures. A fixed ``svg.hashsalt`` makes an SVG's internal ids a
#: function of its content (the same figure gives the same bytes on every run; matplotlib draws
#: them from uuid4 otherwise), and ``svg.fonttype: none`` keeps text as text, so that titles and
#: labels can be edited in slides and read by screen readers.
SAVE_RC_PARAMS: dict[str, Any] = {"svg.hashsalt": "cw_pophealth", "svg.fonttype": "none"}
BENCHMARK_COLOUR = "#000000"
CONTEXT_COLOUR = "#B0B0B0"
MISSING_TEXT_COLOUR = "#6A6A6A"

#: How the comparison colours were decided, for legends.
COMPARISON_RULE = (
    "Compared with {benchmark}: the area's 95% confidence interval against the {benchmark} "
    "value (Fingertips method). Where the data carry no confidence interval, the label "
    "published by Fingertips is shown."
)

_FOOTER_GID = "cw-footer"
_METADATA: weakref.WeakKeyDictionary[Figure, dict] = weakref.WeakKeyDictionary()


def comparison_colours(palette: str | Mapping[str, str] | None = None) -> dict[str, str]:
    """Colour for each comparison label.

    Parameters
    ----------
    palette : str or mapping, optional
        ``"colour-blind-safe"`` (default), ``"fingertips"``, or a mapping of label to colour
        (missing labels fall back to the default palette).

    Returns
    -------
    dict of str to str

    Raises
    ------
    ValueError
        For an unknown palette name.

    Examples
    --------
    >>> comparison_colours()["Worse"]
    '#D55E00'
    >>> comparison_colours("fingertips")["Better"]
    '#92D050'
    """
    base = dict(PALETTES[DEFAULT_PALETTE])
    if palette is None:
        return base
    if isinstance(palette, str):
        if palette not in PALETTES:
            raise ValueError(f"Unknown palette {palette!r}; use one of {sorted(PALETTES)} or a "
                             "mapping of comparison label to colour.")
        return dict(PALETTES[palette])
    return {**base, **dict(palette)}


def colour_for(label, colours: Mapping[str, str]) -> str:
    return colours.get(str(label), colours["Not compared"])


def comparison_legend_handles(labels: Iterable[str] | None = None, palette=None) -> list[Patch]:
    """Legend patches for comparison labels (all six by default), in a fixed order."""
    colours = comparison_colours(palette)
    wanted = list(COMPARISON_LABELS) if labels is None else [
        lab for lab in COMPARISON_LABELS if lab in set(map(str, labels))]
    return [Patch(facecolor=colours[lab], edgecolor="#333333", linewidth=0.6, label=lab)
            for lab in wanted]


def figure_metadata(fig: Figure) -> dict:
    """Title, source, data period and footer text recorded for a figure by this module.

    Returns an empty dict for figures this module did not draw.
    """
    return dict(_METADATA.get(fig, {}))


def record(fig: Figure, **meta) -> None:
    current = _METADATA.setdefault(fig, {})
    current.update({k: v for k, v in meta.items() if v is not None})


def set_alt_text(fig: Figure, text: str) -> str:
    """Record a figure's alternative text (what it shows, in words, from the data drawn).

    :func:`cw_pophealth.report.show_figure` writes it as the image's ``alt`` attribute (and
    :func:`~cw_pophealth.report.save_figure` into the PNG and SVG metadata). Returns the text.
    """
    text = " ".join(str(text).split())
    record(fig, alt=text)
    return text


def alt_text(fig: Figure) -> str:
    """The figure's alternative text: what its plotting function recorded, else its title and
    data period (never empty).

    Examples
    --------
    >>> fig = plt.figure()
    >>> set_alt_text(fig, "Bar chart: obesity in Coventry, 28.6%.")
    'Bar chart: obesity in Coventry, 28.6%.'
    >>> alt_text(fig)
    'Bar chart: obesity in Coventry, 28.6%.'
    >>> plt.close(fig)
    """
    meta = figure_metadata(fig)
    if meta.get("alt"):
        return str(meta["alt"])
    title = meta.get("title") or figure_title(fig) or "Chart"
    period = f" Data period: {meta['period']}." if meta.get("period") else ""
    return f"Chart: {title}.{period}"


def value_text(value: float, unit: str = "", digits: int = 1) -> str:
    """"18.2 years", "28.6%" or "not in data" for alt text."""
    if value is None or pd.isna(value):
        return "not in data"
    suffix = {"%": "%", "years": " years", "": ""}.get(unit, f" {unit}")
    return f"{value:.{digits}f}{suffix}"


def figure_title(fig_or_ax: Figure | Axes) -> str:
    """The figure's suptitle, else its first axes' title (for tests and the report index)."""
    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    if isinstance(fig, Figure) and fig.get_suptitle():
        return fig.get_suptitle()
    if isinstance(fig_or_ax, Axes) and fig_or_ax.get_title():
        return fig_or_ax.get_title()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


def footer_text(fig_or_ax: Figure | Axes) -> str | None:
    """The footer a plotting function added to the figure, or ``None``."""
    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    for text in fig.texts:
        if text.get_gid() == _FOOTER_GID:
            return text.get_text()
    return None


_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")
_ONS_DATE = re.compile(r"ONS source date ([\d/]+)")


#: How charts draw a value from an earlier release (see
#: :func:`cw_pophealth.analysis.releases.earlier_release`): hatched, with a legend entry.
EARLIER_RELEASE_HATCH = "////"


def earlier_release_handle(labels: Iterable[str]) -> Patch:
    """The legend entry for values from an earlier release, naming the releases."""
    names = "; ".join(dict.fromkeys(short_release(lab) for lab in labels if lab)) or "earlier"
    return Patch(facecolor="white", edgecolor="#333333", hatch=EARLIER_RELEASE_HATCH,
                 label=textwrap.fill(f"Earlier release ({names}): more than a year older than "
                                     "the newest release of the indicator", 60))


def _vintage(source: str, release: object = None) -> str:
    """A short vintage note: the release (or the extract date and ONS date in a ``source``
    label) and any upstream rounding."""
    text = str(source)
    parts = []
    if release is not None and not pd.isna(release) and str(release):
        parts.append(short_release(release))
    elif m := _DATE.search(text):
        parts.append(f"extract of {m[1]}")
    if not parts and (m := _ONS_DATE.search(text)):
        parts.append(f"ONS source date {m[1]}")
    for places in ("0 dp", "1 dp"):
        if f"rounded to {places}" in text:
            parts.append(f"values rounded to {places} upstream")
    if not parts and (text.startswith("Fingertips API") or "fingertips.phe.org.uk" in text):
        parts.append("Fingertips API")
    return ", ".join(parts)


def source_note(frame: pd.DataFrame, *, id_column: str = "indicator_id",
                ref_column: str = "source_ref", label_column: str = "source",
                release_column: str = "release") -> str:
    """"indicator 92443: trafford_themes/adults_smoking.csv (Fingertips as of April 2026, ...)".

    One clause per indicator x source file x release present in ``frame``.
    """
    if frame.empty or ref_column not in frame.columns:
        return "no data"
    clauses = []
    has_release = release_column in frame.columns
    cols = [id_column, ref_column] + ([label_column] if label_column in frame.columns else [])
    cols += [release_column] if has_release else []
    rows = frame.dropna(subset=[ref_column])[cols].drop_duplicates(
        [id_column, ref_column, *([release_column] if has_release else [])])
    for row in rows.itertuples(index=False):
        label = getattr(row, label_column, "") if label_column in cols else ""
        release = getattr(row, release_column) if has_release else None
        vintage = _vintage(label, release)
        ref = getattr(row, ref_column)
        clauses.append(f"indicator {getattr(row, id_column)}: {ref}"
                       + (f" ({vintage})" if vintage else ""))
    return "; ".join(clauses) if clauses else "no data"


def period_label(frame: pd.DataFrame) -> str:
    """The period(s) a frame shows, naming areas whose period differs from most rows'.

    "2024/25" when every row with a value shares one period; "2024/25; Warwickshire 2017/18"
    when an area shows its own, older latest period.

    Examples
    --------
    >>> period_label(pd.DataFrame({"area_name": ["Coventry", "Warwickshire", "England"],
    ...                            "period": ["2024/25", "2017/18", "2024/25"],
    ...                            "value": [1.0, 2.0, 3.0]}))
    '2024/25; Warwickshire 2017/18'
    """
    rows = frame
    if "value" in rows.columns and rows["value"].notna().any():
        rows = rows.loc[rows["value"].notna()]
    rows = rows.loc[rows["period"].notna()]
    if rows.empty:
        return "no data"
    if "period_start" in rows.columns:
        rows = rows.sort_values("period_start", kind="stable")
    counts = rows["period"].astype(str).value_counts(sort=False)
    main = str(counts[counts == counts.max()].index[-1])
    others = rows.loc[rows["period"].astype(str) != main]
    if others.empty or "area_name" not in rows.columns:
        return periods_note(rows["period"])
    grouped = others.groupby(others["period"].astype(str), sort=False)["area_name"].agg(
        lambda s: ", ".join(dict.fromkeys(map(str, s))))
    return "; ".join([main, *(f"{areas} {per}" for per, areas in grouped.items())])


def periods_note(periods: Iterable) -> str:
    labels = [str(p) for p in dict.fromkeys(periods) if pd.notna(p) and str(p) != "<NA>"]
    if not labels:
        return "no data"
    return labels[0] if len(labels) == 1 else ", ".join(labels)


def add_footer(fig: Figure, *, source: str, period: str, note: str | None = None,
               width: int | None = None, legend=None) -> str:
    """Write the standard footer (source, data period, note, production stamp) under a figure.

    The text is placed in the bottom band of the figure; figures made by this module reserve
    that band in their layout. Returns the footer text.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    source : str
        Indicator ids and files/API with vintage (see :func:`source_note`).
    period : str
        Data period(s) shown.
    note : str, optional
        Method or comparison note.
    width : int, optional
        Wrap width in characters (default from the figure width).
    legend : matplotlib.legend.Legend, optional
        A figure legend to place between the panels and the footer; the band reserved under
        the panels then holds both, so the legend covers neither the axis labels nor the
        footer.
    """
    width = width or max(60, int(fig.get_figwidth() * 15))
    stamp = f"Made {_dt.date.today().isoformat()} with cw_pophealth {__version__}."
    parts = [f"Source: {source}.", f"Data period: {period}."]
    if note:
        parts.append(note.rstrip(".") + ".")
    parts.append(stamp)
    text = "\n".join(textwrap.fill(p, width=width) for p in parts)
    for old in [t for t in fig.texts if t.get_gid() == _FOOTER_GID]:
        old.remove()
    n_lines = text.count("\n") + 1
    fontsize = 7.5
    band = (n_lines * fontsize * 1.6 + 8) / (fig.get_figheight() * 72)
    fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=fontsize, color="#444444",
             gid=_FOOTER_GID, linespacing=1.3)
    if legend is not None:
        legend.set_in_layout(False)
        legend._loc = 3  # lower left  # type: ignore[attr-defined]
        legend.set_bbox_to_anchor((0.005, band), transform=fig.transFigure)
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        height = legend.get_window_extent(renderer).height / fig.dpi
        band += (height + 0.08) / fig.get_figheight()
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, band, 1, 1 - band))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, band + 0.06))
    record(fig, source=source, period=period, footer=text)
    return text


def legend_below_axis_label(ax: Axes, *, gap_points: float = 6.0, **kwargs):
    """A legend whose top sits ``gap_points`` below the x-axis label, whatever the axes' height.

    Anchoring a legend at a fraction of the axes' height (``bbox_to_anchor=(0, -0.1)``) puts
    it over the axis label when the axes is short (a chart of three or four rows). Here the
    distance from the axes to the bottom of its label is measured in inches, which the layout
    does not change, and the legend is anchored that far below the axes.
    """
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    axes_bottom = ax.get_window_extent(renderer).y0
    tight = ax.xaxis.get_tightbbox(renderer)
    label_bottom = min(ax.xaxis.label.get_window_extent(renderer).y0,
                       tight.y0 if tight is not None else axes_bottom)
    drop = (axes_bottom - label_bottom) / fig.dpi + gap_points / 72
    offset = ax.transAxes + ScaledTranslation(0, -drop, fig.dpi_scale_trans)
    return ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.0), bbox_transform=offset,
                     **kwargs)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return (figure, axes): those of ``ax``, or a new constrained-layout figure's."""
    if ax is not None:
        return cast(Figure, ax.figure), ax  # the charts draw on top-level figures
    fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new_ax


def finish(fig: Figure, ax: Axes | None, *, title: str, source: str, period: str,
            note: str | None, footer: bool, kind: str) -> None:
    if ax is not None and title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    record(fig, title=title, kind=kind, source=source, period=period)
    if footer:
        add_footer(fig, source=source, period=period, note=note)


def benchmark_name(frame: pd.DataFrame) -> str:
    if "benchmark_name" in frame.columns and frame["benchmark_name"].notna().any():
        return str(frame["benchmark_name"].dropna().iloc[0])
    return "England"


def unit_suffix(unit: str) -> str:
    return "%" if unit == "%" else f" {unit}"



def legend_labels(frame: pd.DataFrame) -> list[str]:
    """Comparison labels a legend needs: the RAG trio for RAG indicators, Higher/Lower for
    no-judgement ones, plus any other label present."""
    labels = set(frame["comparison"].dropna().astype(str)) if "comparison" in frame else set()
    polarities = set(frame["polarity"].dropna().astype(int)) if "polarity" in frame else {0}
    if polarities & {catalogue.POLARITY_HIGH_IS_GOOD, catalogue.POLARITY_LOW_IS_GOOD}:
        labels |= {"Better", "Similar", "Worse"}
    if catalogue.POLARITY_NO_JUDGEMENT in polarities:
        labels |= {"Higher", "Similar", "Lower"}
    labels.add("Not compared")
    return [lab for lab in COMPARISON_LABELS if lab in labels]


def live_pull_note(indicator_id: int) -> str:
    """What a live pull adds for an indicator with no value offline."""
    if catalogue.is_local_indicator(indicator_id):
        return "not a Fingertips indicator, so a live pull cannot add it"
    return f"a live pull (cw-pophealth pull) would fetch Fingertips {indicator_id}"


def no_data_panel(ax: Axes, message: str) -> None:
    """Blank an axes except for its title and a centred message."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.text(0.5, 0.5, textwrap.fill(message, 60), transform=ax.transAxes, ha="center",
            va="center", fontsize=10, style="italic", color=MISSING_TEXT_COLOUR)
