"""The spine chart: one area's indicators against the range of its peers, centred on England."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cw_pophealth.analysis.releases import short_release
from cw_pophealth.plots.style import (
    BENCHMARK_COLOUR,
    benchmark_name,
    colour_for,
    comparison_colours,
    comparison_legend_handles,
    finish,
    legend_labels,
    new_axes,
    set_alt_text,
    source_note,
)

__all__ = ["range_phrase", "spine_alt_text", "spine_chart"]

_TYPE_WORDS = {"County": "counties", "UA": "unitary authorities", "District": "districts",
               "Region": "regions", "England": "England"}


def range_phrase(area_types) -> str:
    """"counties & unitary authorities", or "unitary authorities" when the range holds only
    UAs: the types of the areas whose values the ranges hold, not the types asked for.

    Examples
    --------
    >>> range_phrase(["UA"]), range_phrase(["County", "UA"])
    ('unitary authorities', 'counties & unitary authorities')
    """
    words = [_TYPE_WORDS.get(t, t) for t in sorted(set(area_types), key=list(_TYPE_WORDS).index
                                                   if set(area_types) <= set(_TYPE_WORDS)
                                                   else str)]
    return " & ".join(words) if words else "areas of the same type"


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
        :func:`cw_pophealth.analysis.area_profile_table` output.
    ax, palette, title, footer
        As for :func:`benchmark_bars`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    colours = comparison_colours(palette)
    data = profile.reset_index(drop=True)
    n = len(data)
    fig, ax = new_axes(ax, (13, 0.52 * max(n, 3) + 2.6))
    y = np.arange(n)[::-1].astype(float)
    # Table columns to the left of the spine (data coordinates: the spine spans -1..1).
    columns = [(-5.3, "Indicator", "left"), (-2.95, "Period", "left"), (-2.4, "Unit", "left"),
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
        ax.text(-2.95, yi, "—" if pd.isna(row.period) else str(row.period), ha="left",
                va="center", fontsize=8.5)
        ax.text(-2.4, yi, str(row.unit), ha="left", va="center", fontsize=8.5)
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
            ax.text(0.0, yi, textwrap.fill(reason, 70), ha="center", va="center", fontsize=7.5,
                    style="italic",
                    color="#333333", zorder=6,
                    bbox={"facecolor": "white", "edgecolor": "#BBBBBB", "pad": 2.5,
                          "alpha": 0.95})
            continue
        flag = getattr(row, "earlier_release", False)
        old = bool(flag) if pd.notna(flag) else False
        ax.scatter([row.spine_area], [yi], s=90, zorder=5, edgecolors="#1A1A1A",
                   linewidths=0.8, c=[colour_for(row.comparison, colours)],
                   marker="s" if old else "o")
    ax.axvline(0.0, color=BENCHMARK_COLOUR, linewidth=1.4, zorder=4)
    ax.set_yticks([])
    ax.set_xticks([])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    area = str(data["area_name"].iloc[0]) if n else ""
    code = str(data["area_code"].iloc[0]) if n and "area_code" in data.columns else ""
    bname = benchmark_name(data)
    held = ([t.strip() for cell in data["range_area_types"].dropna() for t in
             str(cell).split(",") if t.strip()] if "range_area_types" in data else [])
    peers = range_phrase(held) if held else "areas of the same type"
    if _range_note(data):
        peers += " where the data hold them (see the footer)"
    handles = comparison_legend_handles(legend_labels(data), palette) + [
        Patch(color="#D9D9D9", label=f"Range across {peers}: worst to best"),
        Patch(color="#8C8C8C", label="25th to 75th percentile"),
        Line2D([], [], color=BENCHMARK_COLOUR, label=f"{bname} value"),
    ]
    if "earlier_release" in data.columns and data["earlier_release"].fillna(False).any():
        olds = data.loc[data["earlier_release"].fillna(False).astype(bool), "release"]
        handles.append(Line2D([], [], linestyle="none", marker="s", markerfacecolor="white",
                              markeredgecolor="#1A1A1A", label="Square: an earlier release ("
                              + "; ".join(dict.fromkeys(map(short_release, olds))) + ")"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4,
              fontsize=8, frameon=False, title=f"Compared with {bname} (95% CI overlap; "
              "published Fingertips label where the data have no CI)", title_fontsize=8)
    period = "; ".join(dict.fromkeys(
        f"{r.indicator_id}: {r.period}" for r in data.itertuples(index=False)
        if pd.notna(r.period))) or "no data"

    finish(fig, ax, title=title or f"Area profile: {area} ({code}) compared with {bname}",
            source=source_note(data), period=period,
            note="Spine scaled so the area furthest from England reaches the edge; values in "
                 "each indicator's own units" + _range_note(data), footer=footer,
            kind="spine_chart")
    set_alt_text(fig, spine_alt_text(data))
    return ax


def _range_note(data: pd.DataFrame) -> str:
    """Which rows' ranges hold which areas, when they differ between rows."""
    if "range_area_types" not in data or data["range_area_types"].dropna().nunique() <= 1:
        return ""
    groups = data.dropna(subset=["value"]).groupby("range_area_types", sort=False)[
        "indicator_id"].agg(lambda s: ", ".join(map(str, dict.fromkeys(s))))
    return ". Ranges: " + "; ".join(
        f"{range_phrase([t.strip() for t in types.split(',')])} for {ids}"
        for types, ids in groups.items() if types)


def _sex_suffix(sex: object) -> str:
    return "" if str(sex) in ("Persons", "nan", "<NA>") else f" ({sex})"


def spine_alt_text(profile: pd.DataFrame) -> str:
    """Alt text for the spine chart: the area's comparison on each indicator, from the data."""
    if profile.empty:
        return "Spine chart with no data."
    area = str(profile["area_name"].iloc[0])
    bname = benchmark_name(profile)
    parts = [f"Spine chart: {area} compared with {bname} on {len(profile)} indicator rows."]
    for label in ("Worse", "Similar", "Better", "Higher", "Lower", "Not compared"):
        rows = profile.loc[(profile["comparison"].astype(str) == label)
                           & profile["value"].notna()]
        if len(rows):
            items = "; ".join(
                f"{r.indicator_name}{_sex_suffix(r.sex)} {r.value:.1f}"
                + (f" against {r.benchmark_value:.1f}" if pd.notna(r.benchmark_value) else "")
                for r in rows.itertuples(index=False))
            parts.append(f"{label}: {items}.")
    missing = profile.loc[profile["value"].isna(), "indicator_name"]
    if len(missing):
        parts.append("Not in data: " + ", ".join(dict.fromkeys(map(str, missing))) + ".")
    return " ".join(parts)
