"""Plots: Fingertips-style charts drawn from the analysis tables in :mod:`cw_pophealth.transforms`.

Every axes-level function takes a tidy frame and ``ax=None`` and returns the Axes it drew on; the
``*_figure`` functions lay out several panels and return the Figure. Nothing here saves or shows
a figure (:func:`cw_pophealth.reporting.save_figure` saves), and nothing here computes
significance: colours come from the ``comparison`` column the tables computed with
:mod:`cw_pophealth.stats`, and intervals are the ones in the table.

Every figure carries a title, axis units and a footer naming the source (indicator id and
file/API, with its vintage) and the data period. The footer and title are also stored in
:func:`figure_metadata`, which :func:`cw_pophealth.reporting.save_figure` writes into the PNG/SVG
metadata and the report index.

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

import datetime as _dt
import logging
import re
import textwrap
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cw_pophealth import __version__, catalogue

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
#: Lines for focus areas in trend charts (Paul Tol's "muted" scheme, colour-blind safe),
#: chosen to differ from the comparison colours used for the markers.
AREA_LINE_COLOURS = ("#332288", "#882255", "#117733", "#44AA99", "#AA4499", "#999933")
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


# ---------------------------------------------------------------------------------------------
# Shared helpers: palette, metadata, footer
# ---------------------------------------------------------------------------------------------
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


def _colour_for(label, colours: Mapping[str, str]) -> str:
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


def _record(fig: Figure, **meta) -> None:
    current = _METADATA.setdefault(fig, {})
    current.update({k: v for k, v in meta.items() if v is not None})


def figure_title(fig_or_ax: Figure | Axes) -> str:
    """The figure's suptitle, else its first axes' title (for tests and the report index)."""
    fig = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
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


def _vintage(source: str) -> str:
    """A short vintage note from a tidy ``source`` label (extract date, ONS date, rounding)."""
    text = str(source)
    parts = []
    if m := _DATE.search(text):
        parts.append(f"extract of {m[1]}")
    if m := _ONS_DATE.search(text):
        parts.append(f"ONS source date {m[1]}")
    if "rounded to 1 dp" in text:
        parts.append("values rounded to 1 dp upstream")
    if text.startswith("Fingertips API") or "fingertips.phe.org.uk" in text:
        parts.append("Fingertips API")
    return ", ".join(parts)


def source_note(frame: pd.DataFrame, *, id_column: str = "indicator_id",
                ref_column: str = "source_ref", label_column: str = "source") -> str:
    """"Fingertips 92443: trafford_themes/adults_smoking.csv (extract of 2026-05-13, ...)".

    One clause per indicator x source file present in ``frame``.
    """
    if frame.empty or ref_column not in frame.columns:
        return "no data"
    clauses = []
    cols = [id_column, ref_column] + ([label_column] if label_column in frame.columns else [])
    rows = frame.dropna(subset=[ref_column])[cols].drop_duplicates([id_column, ref_column])
    for row in rows.itertuples(index=False):
        vintage = _vintage(getattr(row, label_column, "")) if label_column in cols else ""
        ref = getattr(row, ref_column)
        clauses.append(f"indicator {getattr(row, id_column)}: {ref}"
                       + (f" ({vintage})" if vintage else ""))
    return "; ".join(clauses) if clauses else "no data"


def _periods_note(periods: Iterable) -> str:
    labels = [str(p) for p in dict.fromkeys(periods) if pd.notna(p) and str(p) != "<NA>"]
    if not labels:
        return "no data"
    return labels[0] if len(labels) == 1 else ", ".join(labels)


def add_footer(fig: Figure, *, source: str, period: str, note: str | None = None,
               width: int | None = None) -> str:
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
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, band, 1, 1 - band))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, band + 0.06))
    _record(fig, source=source, period=period, footer=text)
    return text


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    """Return (figure, axes, created) using ``ax`` or a new constrained-layout figure."""
    if ax is not None:
        return ax.figure, ax, False
    fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new_ax, True


def _finish(fig: Figure, ax: Axes | None, *, title: str, source: str, period: str,
            note: str | None, footer: bool, kind: str) -> None:
    if ax is not None and title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    _record(fig, title=title, kind=kind, source=source, period=period)
    if footer:
        add_footer(fig, source=source, period=period, note=note)


def _benchmark_name(frame: pd.DataFrame) -> str:
    if "benchmark_name" in frame.columns and frame["benchmark_name"].notna().any():
        return str(frame["benchmark_name"].dropna().iloc[0])
    return "England"


def _unit_suffix(unit: str) -> str:
    return "%" if unit == "%" else f" {unit}"


# ---------------------------------------------------------------------------------------------
# Window of need
# ---------------------------------------------------------------------------------------------
def _window_of_need_source(won: pd.DataFrame) -> str:
    """Source note naming where the LE (90366) and HLE (90362) rows of a window-of-need frame
    came from."""
    refs = pd.concat([
        won.rename(columns={"le_source_ref": "ref", "le_source": "lab"}).assign(iid=90366),
        won.rename(columns={"hle_source_ref": "ref", "hle_source": "lab"}).assign(iid=90362),
    ])[["iid", "ref", "lab"]]
    return source_note(refs, id_column="iid", ref_column="ref", label_column="lab")


def window_of_need_bars(won: pd.DataFrame, *, sex: str | None = None, ax: Axes | None = None,
                        title: str | None = None, footer: bool = True,
                        show_legend: bool = True) -> Axes:
    """Life expectancy as a bar split into healthy life expectancy and the gap.

    One horizontal bar per area (in the table's order) for one sex and one period: the blue
    part is healthy life expectancy (years in good health), the orange part the gap (years
    lived in not-good health, labelled in years). Whiskers show published 95% CIs where the
    data have them (HLE at the blue/orange boundary, LE at the end). Areas with LE or HLE
    missing are drawn with what exists and an explicit "... not in data" note.

    Parameters
    ----------
    won : pandas.DataFrame
        :func:`cw_pophealth.transforms.window_of_need` output for one period.
    sex : str, optional
        Required when ``won`` holds more than one sex.
    ax : matplotlib.axes.Axes, optional
        Draw here; a new figure is made otherwise.
    title : str, optional
        Defaults to "Life expectancy and healthy life expectancy, <sex>, <period>".
    footer : bool, default True
        Add the source/period footer to the figure.
    show_legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``won`` spans several periods or sexes and none is chosen.
    """
    data = won if sex is None else won.loc[won["sex"] == sex]
    if data["sex"].nunique() > 1:
        raise ValueError("won holds several sexes: pass sex='Male' or 'Female', or use "
                         "window_of_need_figure for one panel per sex.")
    if data["period"].nunique() > 1:
        raise ValueError("won spans several periods: filter to one (or call "
                         "window_of_need_trend for the series).")
    data = data.reset_index(drop=True)
    sex_label = str(data["sex"].iloc[0]) if len(data) else (sex or "")
    period = _periods_note(data["period"])
    fig, ax, created = _new_axes(ax, (9, 0.55 * max(len(data), 3) + 2.2))
    y = np.arange(len(data))[::-1]
    ax.set_ylim(-0.7, len(data) - 0.3)
    le_max = np.nanmax(np.r_[data["le"].to_numpy(dtype=float), data["hle"].to_numpy(dtype=float),
                             60.0])
    xmax = le_max * 1.32
    ax.set_xlim(0, xmax)
    height = 0.62
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        le, hle = row.le, row.hle
        if pd.notna(hle):
            ax.barh(yi, hle, height=height, color=HLE_COLOUR, edgecolor="white", linewidth=0.5)
            ax.text(hle / 2, yi, f"HLE {hle:.1f}", ha="center", va="center", color="white",
                    fontsize=8.5, fontweight="bold")
            if pd.notna(row.hle_lower) and pd.notna(row.hle_upper):
                ax.errorbar(hle, yi, xerr=[[hle - row.hle_lower], [row.hle_upper - hle]],
                            fmt="none", ecolor="#1A1A1A", elinewidth=1, capsize=3)
        if pd.notna(le) and pd.notna(hle) and pd.notna(row.gap):
            ax.barh(yi, row.gap, left=hle, height=height, color=GAP_COLOUR, edgecolor="white",
                    linewidth=0.5)
            left = max(hle, row.hle_upper) if pd.notna(row.hle_upper) else hle
            left = left if le - left > xmax * 0.07 else hle
            ax.text((left + le) / 2, yi, f"{row.gap:.1f} yrs", ha="center", va="center",
                    color="#1A1A1A", fontsize=8.5, fontweight="bold")
        elif pd.notna(le):
            ax.barh(yi, le, height=height, facecolor="#F2F2F2", edgecolor="#7F7F7F",
                    linewidth=0.8, hatch="///")
            ax.text(le * 0.5, yi, "HLE not in data: gap not shown", ha="center", va="center",
                    color="#333333", fontsize=8, style="italic",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        if pd.notna(le):
            if pd.notna(row.le_lower) and pd.notna(row.le_upper):
                ax.errorbar(le, yi, xerr=[[le - row.le_lower], [row.le_upper - le]], fmt="none",
                            ecolor="#1A1A1A", elinewidth=1, capsize=3)
            ax.text(le + xmax * 0.01, yi, f"LE {le:.1f}", ha="left", va="center", fontsize=8.5)
        elif pd.notna(hle):
            after = max(hle, row.hle_upper) if pd.notna(row.hle_upper) else hle
            ax.text(after + xmax * 0.015, yi, "LE not in data: gap cannot be shown", ha="left",
                    va="center", fontsize=8, style="italic", color=MISSING_TEXT_COLOUR)
        else:
            ax.text(xmax * 0.01, yi, "LE and HLE not in data", ha="left", va="center",
                    fontsize=8, style="italic", color=MISSING_TEXT_COLOUR)
    ax.set_yticks(y, labels=[str(n) for n in data["area_name"]])
    for tick, role in zip(ax.get_yticklabels(), data.get("role", ["focus"] * len(data)),
                          strict=False):
        if role == "focus":
            tick.set_fontweight("bold")
        elif str(role).startswith("district"):
            tick.set_color("#333333")
    ax.set_xlabel("Years from birth")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    if show_legend:
        ax.legend(handles=_window_of_need_handles(), loc="upper left",
                  bbox_to_anchor=(0.0, -0.1), ncol=2, fontsize=8.5, frameon=False)
    title = title or f"Life expectancy and healthy life expectancy, {sex_label}, {period}"
    source = _window_of_need_source(data)
    note = ("Gap = LE minus HLE; valid only when both come from the same ONS release "
            "(LE: Fingertips 90366, HLE: ONS/Fingertips 90362)")
    _finish(fig, ax, title=title, source=source, period=period, note=note, footer=footer,
            kind="window_of_need_bars")
    return ax


def _window_of_need_handles() -> list:
    return [Patch(color=HLE_COLOUR, label="Healthy life expectancy (HLE): years in good health"),
            Patch(color=GAP_COLOUR, label="Gap (LE − HLE): years lived in not-good health"),
            Patch(facecolor="#F2F2F2", edgecolor="#7F7F7F", hatch="///",
                  label="Life expectancy (LE) only: HLE not in data"),
            Line2D([], [], color="#1A1A1A", marker="|", linestyle="-", markersize=6,
                   label="95% confidence interval (where published)")]


def window_of_need_figure(won: pd.DataFrame, *, sexes: Sequence[str] | None = None,
                          title: str | None = None) -> Figure:
    """One :func:`window_of_need_bars` panel per sex, with one title, legend and footer.

    Parameters
    ----------
    won : pandas.DataFrame
        :func:`cw_pophealth.transforms.window_of_need` output for one period.
    sexes : sequence of str, optional
        Panels to draw (default: the sexes in ``won``, in order).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    sexes = list(dict.fromkeys(won["sex"])) if sexes is None else list(sexes)
    n_areas = won["area_code"].nunique()
    fig, axes = plt.subplots(1, len(sexes), figsize=(7.2 * len(sexes), 0.5 * n_areas + 3.0),
                             sharey=True, layout="constrained", squeeze=False)
    for i, (sex, ax) in enumerate(zip(sexes, axes[0], strict=True)):
        window_of_need_bars(won, sex=sex, ax=ax, title=sex, footer=False, show_legend=i == 0)
    period = _periods_note(won["period"])
    fig.suptitle(title or f"Window of need: life expectancy, healthy life expectancy and the "
                          f"years lived in not-good health, {period}",
                 x=0.01, ha="left", fontsize=12.5, fontweight="bold")
    _record(fig, title=fig._suptitle.get_text(), kind="window_of_need_figure")
    add_footer(fig, source=_METADATA[fig].get("source", ""), period=period,
               note="Gap = LE minus HLE (years). Valid only when LE and HLE come from the same "
                    "ONS release, period, sex and area. Gap intervals are not drawn: the LE "
                    "extract has no CIs, and the conservative approximation is given in the "
                    "table")
    return fig


def window_of_need_trend(won_all: pd.DataFrame, *, sex: str | None = None,
                         ax: Axes | None = None, title: str | None = None,
                         footer: bool = True) -> Axes:
    """The gap (LE - HLE, years) over every period, one line per area that has it.

    Focus areas get coloured lines, comparators black (England dashed). The approximate
    interval from :func:`cw_pophealth.stats.window_of_need_ci` is shaded where it exists.
    Areas with no gap in any period are listed under the chart with the reason.

    Parameters
    ----------
    won_all : pandas.DataFrame
        :func:`cw_pophealth.transforms.window_of_need` with ``period="all"``.
    sex : str, optional
        Required when ``won_all`` holds more than one sex.
    ax, title, footer
        As for :func:`window_of_need_bars`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    data = won_all if sex is None else won_all.loc[won_all["sex"] == sex]
    if data["sex"].nunique() > 1:
        raise ValueError("won_all holds several sexes: pass sex=...")
    sex_label = str(data["sex"].iloc[0]) if len(data) else (sex or "")
    fig, ax, created = _new_axes(ax, (9, 5))
    periods = (data.dropna(subset=["period_start"]).drop_duplicates("period")
               .sort_values("period_start")["period"].tolist())
    with_gap = data.dropna(subset=["gap"])
    periods = [p for p in periods if p in set(with_gap["period"])]
    xpos = {p: i for i, p in enumerate(periods)}
    colour_iter = iter(AREA_LINE_COLOURS)
    for code, group in with_gap.groupby("area_code", sort=False):
        group = group.sort_values("period_start")
        role = str(group["role"].iloc[0]) if "role" in group.columns else "focus"
        name = str(group["area_name"].iloc[0])
        x = group["period"].map(xpos).to_numpy(dtype=float)
        if code == catalogue.ENGLAND:
            style = {"color": BENCHMARK_COLOUR, "linestyle": "--", "linewidth": 1.8}
        elif role == "comparator":
            style = {"color": "#555555", "linestyle": ":", "linewidth": 1.8}
        else:
            style = {"color": next(colour_iter, "#555555"), "linestyle": "-", "linewidth": 2.2}
        ax.plot(x, group["gap"], marker="o", markersize=4, label=name, **style)
        if group["gap_lower"].notna().any():
            ax.fill_between(x, group["gap_lower"], group["gap_upper"], color=style["color"],
                            alpha=0.12, linewidth=0)
        ax.annotate(f"{group['gap'].iloc[-1]:.1f}", (x[-1], group["gap"].iloc[-1]),
                    xytext=(5, 0), textcoords="offset points", va="center", fontsize=8,
                    color=style["color"])
    ax.set_xticks(range(len(periods)), labels=periods, rotation=45, ha="right")
    ax.set_xlabel("Period (3-year rolling)")
    ax.set_ylabel("Years lived in not-good health (LE − HLE)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    if len(with_gap):
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    missing = data.loc[~data["area_code"].isin(with_gap["area_code"])]
    not_shown = None
    if len(missing):
        # The reason over all periods: an area with LE in some period lacks HLE, and so on.
        per_area = missing.groupby("area_code", sort=False).agg(
            area_name=("area_name", "first"), has_le=("le", lambda s: s.notna().any()),
            has_hle=("hle", lambda s: s.notna().any()))
        per_area["reason"] = np.select(
            [per_area["has_le"] & per_area["has_hle"], per_area["has_le"],
             per_area["has_hle"]],
            ["LE and HLE never for the same period", "HLE not in data", "LE not in data"],
            default="LE and HLE not in data")
        reasons = per_area.groupby("reason", sort=False)["area_name"].agg(
            lambda s: ", ".join(s))
        not_shown = "Not shown, no gap in any period: " + "; ".join(
            f"{names} ({status})" for status, names in reasons.items())
    if not len(with_gap):
        ax.text(0.5, 0.5, "No area has both LE and HLE for the same period in the data",
                transform=ax.transAxes, ha="center", va="center", color=MISSING_TEXT_COLOUR)
    period = f"{periods[0]} to {periods[-1]}" if periods else "no data"
    title = title or f"Years lived in not-good health over time, {sex_label}"
    source = _window_of_need_source(data)
    _finish(fig, ax, title=title, source=source, period=period,
            note="Gap = LE minus HLE for the same 3-year period; shading = approximate, "
                 "conservative 95% interval where both CIs exist"
                 + (f". {not_shown}" if not_shown else ""), footer=footer,
            kind="window_of_need_trend")
    _record(fig, not_shown=not_shown)
    return ax


def window_of_need_trend_figure(won_all: pd.DataFrame, *, sexes: Sequence[str] | None = None,
                                title: str | None = None) -> Figure:
    """One :func:`window_of_need_trend` panel per sex with one title and footer."""
    sexes = list(dict.fromkeys(won_all["sex"])) if sexes is None else list(sexes)
    fig, axes = plt.subplots(1, len(sexes), figsize=(7.0 * len(sexes), 5.6), sharey=True,
                             layout="constrained", squeeze=False)
    for sex, ax in zip(sexes, axes[0], strict=True):
        window_of_need_trend(won_all, sex=sex, ax=ax, title=sex, footer=False)
    meta = _METADATA.get(fig, {})
    fig.suptitle(title or "Window of need over time: years lived in not-good health "
                          "(life expectancy minus healthy life expectancy)",
                 x=0.01, ha="left", fontsize=12.5, fontweight="bold")
    _record(fig, title=fig._suptitle.get_text(), kind="window_of_need_trend_figure")
    add_footer(fig, source=meta.get("source", ""), period=meta.get("period", ""),
               note="Periods are 3-year rolling, so Fingertips does not test them for trend. "
                    "Shading = approximate, conservative 95% interval where both CIs exist"
                    + (f". {meta['not_shown']}" if meta.get("not_shown") else ""))
    return fig


# ---------------------------------------------------------------------------------------------
# Compare areas (benchmark bars) and trends
# ---------------------------------------------------------------------------------------------
def _one_indicator_and_sex(data: pd.DataFrame, indicator, sex, *, what: str,
                           figure_function: str) -> pd.DataFrame:
    """Rows of one indicator and one sex (rows without a sex are kept), or a clear ValueError."""
    if indicator is not None:
        data = data.loc[data["indicator_id"] == catalogue.indicator_spec(indicator).indicator_id]
    if data["indicator_id"].nunique() > 1:
        raise ValueError(f"{what} holds several indicators: pass indicator=... or use "
                         f"{figure_function}.")
    if sex is not None:
        return data.loc[data["sex"].isna() | (data["sex"] == sex)]
    if data["sex"].dropna().nunique() > 1:
        raise ValueError(f"{what} holds several sexes for this indicator: pass sex=...")
    return data


def benchmark_bars(bench: pd.DataFrame, *, indicator=None, sex: str | None = None,
                   ax: Axes | None = None, palette=None, title: str | None = None,
                   footer: bool = True, show_legend: bool = True) -> Axes:
    """Compare-areas bar chart: one bar per area coloured by its comparison with the benchmark.

    Bars show values with 95% CI whiskers where the data have them; a vertical line marks
    the benchmark (England unless the table says otherwise). Areas without data are kept as
    empty rows reading "No data in snapshot". Colours come from the table's ``comparison``
    column (computed in :func:`cw_pophealth.transforms.benchmark_table`).

    Parameters
    ----------
    bench : pandas.DataFrame
        :func:`cw_pophealth.transforms.benchmark_table` output, one period per indicator.
    indicator : str or int, optional
        Catalogue key or id; required when ``bench`` holds several indicators.
    sex : str, optional
        Required when the indicator has several sexes in ``bench``.
    ax : matplotlib.axes.Axes, optional
    palette : str or mapping, optional
        See :func:`comparison_colours`.
    title : str, optional
    footer, show_legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
    """
    data = _one_indicator_and_sex(bench, indicator, sex, what="bench",
                                  figure_function="benchmark_figure").reset_index(drop=True)
    colours = comparison_colours(palette)
    fig, ax, created = _new_axes(ax, (8, 0.42 * max(len(data), 3) + 2.4))
    name = str(data["indicator_name"].iloc[0]) if len(data) else "Indicator"
    iid = int(data["indicator_id"].iloc[0]) if len(data) else 0
    unit = str(data["unit"].iloc[0]) if len(data) else ""
    bname = _benchmark_name(data)
    y = np.arange(len(data))[::-1]
    values = data["value"].to_numpy(dtype=float)
    uppers = data["upper"].to_numpy(dtype=float)
    top = np.nanmax(np.r_[values, uppers, data["benchmark_value"].to_numpy(dtype=float), 1.0])
    xmax = top * 1.18
    all_missing = bool(data["value"].isna().all())
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if all_missing:
            break
        if pd.isna(row.value):
            ax.text(xmax * 0.01, yi, "No data in snapshot", va="center", ha="left", fontsize=8,
                    style="italic", color=MISSING_TEXT_COLOUR)
            continue
        ax.barh(yi, row.value, height=0.66, color=_colour_for(row.comparison, colours),
                edgecolor="#333333", linewidth=0.6)
        end = row.value
        if pd.notna(row.lower) and pd.notna(row.upper):
            ax.errorbar(row.value, yi, xerr=[[row.value - row.lower], [row.upper - row.value]],
                        fmt="none", ecolor="#1A1A1A", elinewidth=1, capsize=2.5)
            end = row.upper
        ax.text(end + xmax * 0.01, yi, f"{row.value:.1f}{_unit_suffix(unit)}", va="center",
                ha="left", fontsize=8, zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85})
    bvals = data["benchmark_value"].dropna()
    if len(bvals):
        bval = float(bvals.iloc[0])
        ax.axvline(bval, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.2)
        ax.text(bval, len(data) - 0.35, f" {bname} {bval:.1f}{_unit_suffix(unit)}",
                ha="left", va="bottom", fontsize=8)
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.7, len(data) + 0.2)
    ax.set_yticks(y, labels=[str(n) for n in data["area_name"]])
    for tick, role in zip(ax.get_yticklabels(), data["role"], strict=True):
        if role == "focus":
            tick.set_fontweight("bold")
    axis_unit = "%" if unit == "%" else unit
    ax.set_xlabel(f"{name} ({axis_unit})")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    if show_legend and not all_missing:
        ax.legend(handles=comparison_legend_handles(_legend_labels(data), palette), fontsize=8,
                  loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4,
                  title=f"Compared with {bname}", title_fontsize=8, frameon=False)
    if all_missing:
        _no_data_panel(ax, f"No data in snapshot for {name} ({iid}) in any of the "
                           f"{len(data)} areas")
    period = _periods_note(data["period"])
    _finish(fig, ax, title=title or f"{name} ({iid}), {period}", source=source_note(data),
            period=period, note=COMPARISON_RULE.format(benchmark=bname), footer=footer,
            kind="benchmark_bars")
    return ax


def _legend_labels(frame: pd.DataFrame) -> list[str]:
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


def _no_data_panel(ax: Axes, message: str) -> None:
    """Blank an axes except for its title and a centred message."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.text(0.5, 0.5, textwrap.fill(message, 60), transform=ax.transAxes, ha="center",
            va="center", fontsize=10, style="italic", color=MISSING_TEXT_COLOUR)


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return int(np.ceil(n / ncols)), ncols


def _explain_panel(ax: Axes, *, bname: str, palette, missing: Sequence[str],
                   labels: Sequence[str] | None = None) -> None:
    """Turn a spare panel into the legend and the comparison rule."""
    ax.axis("off")
    ax.legend(handles=comparison_legend_handles(labels, palette), loc="upper left", fontsize=9,
              title=f"Compared with {bname}", title_fontsize=9, frameon=False)
    text = textwrap.fill(COMPARISON_RULE.format(benchmark=bname), 55)
    if missing:
        text += "\n\n" + textwrap.fill("No data in the snapshot for: " + "; ".join(missing), 55)
    ax.text(0.0, 0.35, text, transform=ax.transAxes, fontsize=8.5, va="top")


def _indicator_panels(frame: pd.DataFrame, *, ncols: int, panel_size: tuple[float, float],
                      palette, draw: Callable[[pd.DataFrame, Axes, str], object]) -> Figure:
    """Small multiples: one panel per indicator x sex, drawn by ``draw(rows, ax, label)``.

    The panel after the last one holds the legend, the comparison rule and the indicators with
    no data at all (:func:`_explain_panel`); any further panels are blank.
    """
    keys = list(dict.fromkeys(zip(frame["indicator_id"], frame["sex"].fillna("Persons"),
                                  strict=True)))
    nrows, ncols = _grid(len(keys) + 1, ncols)
    fig, axes = plt.subplots(nrows, ncols,
                             figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             layout="constrained", squeeze=False)
    flat = axes.ravel()
    missing = []
    for (iid, sex), ax in zip(keys, flat, strict=False):
        part = frame.loc[(frame["indicator_id"] == iid)
                         & (frame["sex"].fillna("Persons") == sex)]
        name = str(part["indicator_name"].iloc[0])
        draw(part, ax, f"{name} ({iid})" + ("" if sex == "Persons" else f", {sex}"))
        if part["value"].isna().all():
            missing.append(f"{name} ({iid})")
    _explain_panel(flat[len(keys)], bname=_benchmark_name(frame), palette=palette,
                   missing=missing, labels=_legend_labels(frame))
    for ax in flat[len(keys) + 1:]:
        ax.axis("off")
    return fig


def benchmark_figure(bench: pd.DataFrame, *, ncols: int = 2, palette=None,
                     title: str | None = None) -> Figure:
    """Small multiples of :func:`benchmark_bars`, one panel per indicator x sex.

    A spare panel (or a panel added for the purpose) holds the legend and the comparison
    rule; indicators with no data at all are named there and shown as empty panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_areas = bench["area_code"].nunique()
    fig = _indicator_panels(
        bench, ncols=ncols, panel_size=(6.4, 0.36 * n_areas + 1.6), palette=palette,
        draw=lambda part, ax, label: benchmark_bars(
            part, ax=ax, palette=palette, footer=False, show_legend=False,
            title=f"{label}, {_periods_note(part['period'])}"))
    fig.suptitle(title or f"Risk factors compared with {_benchmark_name(bench)}, latest period",
                 x=0.01, ha="left", fontsize=13, fontweight="bold")
    periods = "; ".join(
        f"{iid}: {_periods_note(g['period'])}" for iid, g in bench.groupby("indicator_id",
                                                                            sort=False))
    _record(fig, title=fig._suptitle.get_text(), kind="benchmark_figure")
    add_footer(fig, source=source_note(bench), period=periods,
               note="Bars: value with 95% CI where published; dashed line: benchmark value")
    return fig


def trend_lines(trend: pd.DataFrame, *, indicator=None, sex: str | None = None,
                ax: Axes | None = None, palette=None, title: str | None = None,
                footer: bool = True, show_legend: bool = True,
                context_roles: Sequence[str] = ("district",)) -> Axes:
    """One indicator over time: a line per area, markers coloured by the comparison per period.

    Focus areas get coloured lines with markers filled by their comparison with the benchmark
    in that period; the benchmark is a black dashed line; areas whose role starts with one of
    ``context_roles`` (districts by default) are thin grey context lines labelled at their
    end. Shading shows 95% CIs of focus areas where published.

    Parameters
    ----------
    trend : pandas.DataFrame
        :func:`cw_pophealth.transforms.trend_table` output.
    indicator, sex, ax, palette, title, footer, show_legend
        As for :func:`benchmark_bars`.
    context_roles : sequence of str
        Role prefixes drawn as grey context lines.

    Returns
    -------
    matplotlib.axes.Axes
    """
    data = _one_indicator_and_sex(trend, indicator, sex, what="trend",
                                  figure_function="trend_figure")
    colours = comparison_colours(palette)
    fig, ax, created = _new_axes(ax, (9, 5))
    valued = data.dropna(subset=["value"])
    periods = (valued.drop_duplicates("period").sort_values("period_start")["period"].tolist())
    xpos = {p: i for i, p in enumerate(periods)}
    name = str(data["indicator_name"].iloc[0]) if len(data) else "Indicator"
    iid = int(data["indicator_id"].iloc[0]) if len(data) else 0
    unit = str(data["unit"].iloc[0]) if len(data) else ""
    bname = _benchmark_name(data)
    bcode = str(data["benchmark_code"].iloc[0]) if len(data) else catalogue.ENGLAND
    line_colours = iter(AREA_LINE_COLOURS)
    labels_at_end = []
    for code, group in valued.groupby("area_code", sort=False):
        group = group.sort_values("period_start")
        x = group["period"].map(xpos).to_numpy(dtype=float)
        yv = group["value"].to_numpy(dtype=float)
        role = str(group["role"].iloc[0])
        area = str(group["area_name"].iloc[0])
        if code == bcode:
            ax.plot(x, yv, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.8, label=area,
                    zorder=3)
            labels_at_end.append((x[-1], yv[-1], area, BENCHMARK_COLOUR))
        elif any(role.startswith(r) for r in context_roles):
            ax.plot(x, yv, color=CONTEXT_COLOUR, linewidth=1.0, zorder=1)
            labels_at_end.append((x[-1], yv[-1], area, "#8C8C8C"))
        else:
            colour = next(line_colours, "#555555")
            ax.plot(x, yv, color=colour, linewidth=2.0, label=area, zorder=4)
            if group["lower"].notna().any():
                ax.fill_between(x, group["lower"], group["upper"], color=colour, alpha=0.09,
                                linewidth=0, zorder=2)
            ax.scatter(x, yv, s=42, zorder=5, edgecolors=colour, linewidths=1.2,
                       c=[_colour_for(c, colours) for c in group["comparison"]])
            labels_at_end.append((x[-1], yv[-1], area, colour))
    _label_line_ends(ax, labels_at_end)
    ax.set_xticks(range(len(periods)), labels=periods, rotation=45, ha="right")
    ax.set_xlim(-0.4, max(len(periods) - 1, 0) + 2.6)
    ax.set_ylabel(f"{name} ({unit})")
    ax.set_xlabel("Period")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    no_data = data.loc[data["value"].isna() & data["status"].str.startswith("No data"),
                       "area_name"].drop_duplicates().tolist()
    if not len(valued):
        _no_data_panel(ax, f"No data in snapshot for {name} ({iid}) in any of the "
                           f"{data['area_code'].nunique()} areas")
    elif no_data:
        ax.text(0.0, 1.01, textwrap.fill("No data in snapshot: " + ", ".join(no_data), 90),
                transform=ax.transAxes, fontsize=7.5, style="italic", va="bottom",
                color=MISSING_TEXT_COLOUR)
    if show_legend and len(valued):
        ax.legend(handles=comparison_legend_handles(_legend_labels(valued), palette),
                  fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4,
                  title=f"Marker colour: compared with {bname} in that period",
                  title_fontsize=7.5, frameon=False)
    period = f"{periods[0]} to {periods[-1]}" if periods else "no data"
    _finish(fig, ax, title=title or f"{name} ({iid}) over time", source=source_note(data),
            period=period, note=COMPARISON_RULE.format(benchmark=bname), footer=footer,
            kind="trend_lines")
    if no_data and len(valued):
        ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=11, fontweight="bold",
                     pad=16)
    return ax


def _label_line_ends(ax: Axes, labels: list[tuple[float, float, str, str]]) -> None:
    """Write area names at line ends, nudged apart vertically so they do not overlap."""
    if not labels:
        return
    ax.figure.canvas.draw_idle()
    ymin, ymax = ax.get_ylim()
    gap = (ymax - ymin) * 0.05
    placed: list[float] = []
    for x, y, text, colour in sorted(labels, key=lambda t: t[1]):
        yy = y
        if placed and yy < placed[-1] + gap:
            yy = placed[-1] + gap
        placed.append(yy)
        ax.annotate(text, (x, y), xytext=(x + 0.15, yy), textcoords="data", fontsize=7.5,
                    color=colour, va="center", ha="left", annotation_clip=False)


def trend_figure(trend: pd.DataFrame, *, ncols: int = 2, palette=None,
                 title: str | None = None) -> Figure:
    """Small multiples of :func:`trend_lines`, one panel per indicator x sex, with the legend
    and comparison rule in a spare panel."""
    fig = _indicator_panels(
        trend, ncols=ncols, panel_size=(7.0, 4.6), palette=palette,
        draw=lambda part, ax, label: trend_lines(part, ax=ax, palette=palette, footer=False,
                                                 show_legend=False, title=label))
    fig.suptitle(title or "Risk factors over time (markers: comparison with "
                          f"{_benchmark_name(trend)} in each period)",
                 x=0.01, ha="left", fontsize=13, fontweight="bold")
    spans = {iid: g.dropna(subset=["value"]).sort_values("period_start")["period"]
             for iid, g in trend.groupby("indicator_id", sort=False)}
    periods = "; ".join(f"{iid}: {p.iloc[0]} to {p.iloc[-1]}" for iid, p in spans.items()
                        if len(p))
    _record(fig, title=fig._suptitle.get_text(), kind="trend_figure")
    add_footer(fig, source=source_note(trend), period=periods or "no data",
               note="Grey lines: districts (context). Shading: 95% CI where published")
    return fig


# ---------------------------------------------------------------------------------------------
# Spine chart (area profile)
# ---------------------------------------------------------------------------------------------
_PEER_PHRASES = {
    ("UA", "County"): "counties & unitary authorities",
    ("District", "UA"): "districts & unitary authorities",
    ("Region",): "regions",
}


def spine_chart(profile: pd.DataFrame, *, ax: Axes | None = None, palette=None,
                title: str | None = None, footer: bool = True) -> Axes:
    """Fingertips-style spine chart with its data table, one row per indicator (x sex).

    The spine is centred on England. For each indicator the light grey bar runs from the worst
    to the best area of the same tier, the dark grey bar from the 25th to the 75th percentile
    (R type-7), and the circle is the area, coloured by its comparison with England. Better is
    always to the right (the axis is flipped for low-is-good indicators), scaled by the
    largest distance of any area from England (fingertipscharts). Rows without data say so.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`cw_pophealth.transforms.area_profile_table` output.
    ax, palette, title, footer
        As for :func:`benchmark_bars`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    colours = comparison_colours(palette)
    data = profile.reset_index(drop=True)
    n = len(data)
    fig, ax, created = _new_axes(ax, (13, 0.52 * max(n, 3) + 2.6))
    y = np.arange(n)[::-1].astype(float)
    # Table columns to the left of the spine (data coordinates: the spine spans -1..1).
    columns = [(-5.3, "Indicator", "left"), (-2.7, "Period", "left"), (-2.05, "Unit", "left"),
               (-1.55, "Area", "right"), (-1.15, "England", "right")]
    x_left = -5.35
    ax.set_xlim(x_left, 1.12)
    ax.set_ylim(-0.8, n + 0.2)
    ax.axvspan(-1.05, 1.05, color="#FAFAFA", zorder=0)
    for xcol, head, ha in columns:
        ax.text(xcol, n - 0.35, head, ha=ha, va="bottom", fontsize=9, fontweight="bold")
    ax.text(-1.0, n - 0.35, "◀ worse", ha="left", va="bottom", fontsize=8, color="#555555")
    ax.text(1.0, n - 0.35, "better ▶", ha="right", va="bottom", fontsize=8, color="#555555")
    ax.text(0.0, n - 0.35, "England", ha="center", va="bottom", fontsize=8, color="#333333")
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        label = str(row.indicator_name) + ("" if str(row.sex) in ("Persons", "<NA>", "nan")
                                           else f" ({row.sex})")
        ax.text(-5.3, yi, f"{label} [{row.indicator_id}]", ha="left", va="center", fontsize=8.5)
        ax.text(-2.7, yi, "—" if pd.isna(row.period) else str(row.period), ha="left",
                va="center", fontsize=8.5)
        ax.text(-2.05, yi, str(row.unit), ha="left", va="center", fontsize=8.5)
        ax.text(-1.55, yi, "—" if pd.isna(row.value) else f"{row.value:.1f}", ha="right",
                va="center", fontsize=8.5, fontweight="bold")
        ax.text(-1.15, yi, "—" if pd.isna(row.benchmark_value) else
                f"{row.benchmark_value:.1f}", ha="right", va="center", fontsize=8.5)
        ax.axhline(yi - 0.5, color="#E5E5E5", linewidth=0.6, zorder=0)
        if pd.notna(row.half_range):
            ax.barh(yi, row.spine_best - row.spine_worst, left=row.spine_worst, height=0.5,
                    color="#D9D9D9", zorder=2)
            ax.barh(yi, row.spine_q75 - row.spine_q25, left=row.spine_q25, height=0.5,
                    color="#8C8C8C", zorder=3)
        if pd.isna(row.value) or pd.isna(row.half_range):
            reason = str(row.status) if pd.isna(row.value) else "No range: too few areas"
            ax.text(0.0, yi, reason, ha="center", va="center", fontsize=8, style="italic",
                    color="#333333", zorder=6,
                    bbox={"facecolor": "white", "edgecolor": "#BBBBBB", "pad": 2.5,
                          "alpha": 0.95})
            continue
        ax.scatter([row.spine_area], [yi], s=90, zorder=5, edgecolors="#1A1A1A",
                   linewidths=0.8, c=[_colour_for(row.comparison, colours)])
    ax.axvline(0.0, color=BENCHMARK_COLOUR, linewidth=1.4, zorder=4)
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    area = str(data["area_name"].iloc[0]) if n else ""
    code = str(data["area_code"].iloc[0]) if n and "area_code" in data.columns else ""
    bname = _benchmark_name(data)
    peers = _PEER_PHRASES.get(tuple(profile.attrs.get("peer_area_types", ())),
                              "areas of the same type")
    handles = comparison_legend_handles(_legend_labels(data), palette) + [
        Patch(color="#D9D9D9", label=f"Range across {peers}: worst to best"),
        Patch(color="#8C8C8C", label="25th to 75th percentile"),
        Line2D([], [], color=BENCHMARK_COLOUR, label=f"{bname} value"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4,
              fontsize=8, frameon=False, title=f"Compared with {bname} (95% CI overlap; "
              "published Fingertips label where the data have no CI)", title_fontsize=8)
    period = "; ".join(dict.fromkeys(
        f"{r.indicator_id}: {r.period}" for r in data.itertuples(index=False)
        if pd.notna(r.period))) or "no data"
    _finish(fig, ax, title=title or f"Area profile: {area} ({code}) compared with {bname}",
            source=source_note(data), period=period,
            note="Spine scaled so the area furthest from England reaches the edge; values in "
                 "each indicator's own units", footer=footer, kind="spine_chart")
    return ax
