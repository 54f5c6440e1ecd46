"""Window-of-need charts: LE split into HLE and the gap, per area; and the gap over time."""

from __future__ import annotations

import logging
import re
import textwrap
import weakref
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cw_pophealth import catalogue
from cw_pophealth.analysis.releases import short_release
from cw_pophealth.plots.style import (
    AREA_LINE_COLOURS,
    BENCHMARK_COLOUR,
    EARLIER_RELEASE_HATCH,
    GAP_COLOUR,
    HLE_COLOUR,
    MISSING_TEXT_COLOUR,
    add_footer,
    figure_metadata,
    finish,
    legend_below_axis_label,
    new_axes,
    period_label,
    record,
    set_alt_text,
    source_note,
)

logger = logging.getLogger(__name__)

SHADING_NOTE = "; shading = approximate, conservative 95% interval where both CIs exist"
NO_SHADING_NOTE = ("; no interval is shaded: no gap shown has both an LE and an HLE "
                   "confidence interval in the data")

__all__ = ["window_of_need_bars", "window_of_need_figure", "window_of_need_trend",
           "window_of_need_trend_figure"]


def _window_of_need_source(won: pd.DataFrame) -> str:
    """Source note naming where, and from which release, the LE and HLE rows came."""
    parts = []
    for prefix, iid in (("le", catalogue.LIFE_EXPECTANCY_ID),
                        ("hle", catalogue.HEALTHY_LIFE_EXPECTANCY_ID)):
        renamed = won.rename(columns={f"{prefix}_source_ref": "ref", f"{prefix}_source": "lab",
                                      f"{prefix}_release": "rel"}).assign(iid=iid)
        parts.append(renamed.reindex(columns=["iid", "ref", "lab", "rel"]))
    refs = pd.concat(parts)
    return source_note(refs, id_column="iid", ref_column="ref", label_column="lab",
                       release_column="rel")


def _shown_value(won: pd.DataFrame) -> pd.DataFrame:
    """``won`` with a ``value`` column (the gap, else LE, else HLE) for :func:`period_label`."""
    return won.assign(value=won["gap"].fillna(won["le"]).fillna(won["hle"]))


def _earlier(won: pd.DataFrame) -> pd.Series:
    if "earlier_release" not in won.columns:
        return pd.Series(False, index=won.index)
    return won["earlier_release"].fillna(False).astype(bool)


def _earlier_pairs_label(won: pd.DataFrame) -> str:
    """"LE Fingertips as of January 2020, HLE Fingertips as of June 2020" for the legend."""
    old = won.loc[_earlier(won) & won["gap"].notna()].reindex(
        columns=["le_release", "hle_release"])
    pairs = dict.fromkeys(f"LE {short_release(le)} with HLE {short_release(hle)}"
                          for le, hle in zip(old["le_release"], old["hle_release"], strict=True))
    return "; ".join(pairs)


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
        :func:`cw_pophealth.analysis.window_of_need` output for one period.
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
        If ``won`` holds several sexes and none is chosen, or several periods for one area.

    Notes
    -----
    Each area may show its own period (the :func:`~cw_pophealth.analysis.window_of_need`
    default): the period is then written beside the area's name, the title names the areas
    whose period differs, and bars of an earlier release are hatched with a legend entry.
    """
    data = won if sex is None else won.loc[won["sex"] == sex]
    if data["sex"].nunique() > 1:
        raise ValueError("won holds several sexes: pass sex='Male' or 'Female', or use "
                         "window_of_need_figure for one panel per sex.")
    if data.duplicated("area_code").any():
        raise ValueError("won holds several periods for an area: filter to one (or call "
                         "window_of_need_trend for the series).")
    data = data.reset_index(drop=True)
    sex_label = str(data["sex"].iloc[0]) if len(data) else (sex or "")
    period = period_label(_shown_value(data))
    several_periods = data["period"].dropna().nunique() > 1
    earlier = _earlier(data)
    fig, ax = new_axes(ax, (9, 0.55 * max(len(data), 3) + 2.2))
    y = np.arange(len(data))[::-1]
    ax.set_ylim(-0.7, len(data) - 0.3)
    le_max = np.nanmax(np.r_[data["le"].to_numpy(dtype=float), data["hle"].to_numpy(dtype=float),
                             60.0])
    xmax = le_max * 1.32
    ax.set_xlim(0, xmax)
    height = 0.62
    gap_labels: list[tuple[float, float, float, str]] = []
    le_labels: dict[float, Any] = {}
    for yi, row, old in zip(y, data.itertuples(index=False), earlier, strict=True):
        le, hle = row.le, row.hle
        hatch = EARLIER_RELEASE_HATCH if old else None
        if pd.notna(hle):
            ax.barh(yi, hle, height=height, color=HLE_COLOUR, edgecolor="white", linewidth=0.5,
                    hatch=hatch)
            ax.text(hle / 2, yi, f"HLE {hle:.1f}", ha="center", va="center", color="white",
                    fontsize=8.5, fontweight="bold")
            if pd.notna(row.hle_lower) and pd.notna(row.hle_upper):
                ax.errorbar(hle, yi, xerr=[[hle - row.hle_lower], [row.hle_upper - hle]],
                            fmt="none", ecolor="#1A1A1A", elinewidth=1, capsize=3)
        le_end = max(le, row.le_upper) if pd.notna(le) and pd.notna(row.le_upper) else le
        if pd.notna(le) and pd.notna(hle) and pd.notna(row.gap):
            ax.barh(yi, row.gap, left=hle, height=height, color=GAP_COLOUR, edgecolor="white",
                    linewidth=0.5, hatch=hatch)
            # The gap's label goes between the HLE whisker and the LE whisker, so no whisker
            # crosses it; where that space is too narrow it follows the LE label instead.
            left = max(hle, row.hle_upper) if pd.notna(row.hle_upper) else hle
            right = min(le, row.le_lower) if pd.notna(row.le_lower) else le
            gap_labels.append((yi, left, right, f"{row.gap:.1f} yrs"))
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
            le_labels[yi] = ax.text(le_end + xmax * 0.012, yi, f"LE {le:.1f}", ha="left",
                                    va="center", fontsize=8.5)
        elif pd.notna(hle):
            after = max(hle, row.hle_upper) if pd.notna(row.hle_upper) else hle
            ax.text(after + xmax * 0.015, yi, "LE not in data: gap cannot be shown", ha="left",
                    va="center", fontsize=8, style="italic", color=MISSING_TEXT_COLOUR)
        else:
            ax.text(xmax * 0.01, yi, "LE and HLE not in data", ha="left", va="center",
                    fontsize=8, style="italic", color=MISSING_TEXT_COLOUR)
    ax.set_yticks(y, labels=[f"{n} ({p})" if several_periods and pd.notna(p) else str(n)
                             for n, p in zip(data["area_name"], data["period"], strict=True)])
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
    _PENDING_GAP_LABELS.setdefault(fig, []).append((ax, gap_labels, le_labels))
    old_pairs = _earlier_pairs_label(data)
    if show_legend:
        legend_below_axis_label(ax, handles=_window_of_need_handles(
            old_pairs, le_only=bool((data["le"].notna() & data["hle"].isna()).any()),
            ci=bool(data[["le_lower", "hle_lower"]].notna().any().any())), ncol=2,
            fontsize=8.5, frameon=False)
    title = title or f"Life expectancy and healthy life expectancy, {sex_label}, {period}"
    source = _window_of_need_source(data)
    note = ("Gap = LE minus HLE, only for LE and HLE of the same release "
            f"(LE: Fingertips {catalogue.LIFE_EXPECTANCY_ID}, HLE: ONS/Fingertips "
            f"{catalogue.HEALTHY_LIFE_EXPECTANCY_ID})")
    if old_pairs:
        note += f". Hatched: an earlier release ({old_pairs})"
    finish(fig, ax, title=title, source=source, period=period, note=note, footer=footer,
            kind="window_of_need_bars")
    record(fig, earlier_pairs=old_pairs or None, has_le_only=bool(
        (data["le"].notna() & data["gap"].isna() & data["hle"].isna()).any()) or None,
        has_ci=bool(data[["le_lower", "hle_lower"]].notna().any().any()) or None)
    if footer:  # drawn on its own: the layout is final
        _place_gap_labels(fig)
    return ax


#: Gap labels waiting for the figure's final layout (see :func:`_place_gap_labels`).
_PENDING_GAP_LABELS: weakref.WeakKeyDictionary[Figure, list] = weakref.WeakKeyDictionary()


def _place_gap_labels(fig: Figure) -> None:
    """Write each gap label centred in the space between its whiskers, or, where its text is
    wider than that space, after the bar's LE label ("LE 79.9 · gap 15.1 yrs").

    Called once the figure is laid out (title, legend and footer in place), so that the
    data-to-pixel scale used to measure the space is the final one.
    """
    pending = _PENDING_GAP_LABELS.pop(fig, [])
    if not any(labels for _, labels, _ in pending):
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax, labels, le_labels in pending:
        to_pixels = ax.transData.transform
        for yi, left, right, text in labels:
            probe = ax.text(0, yi, text, fontsize=8.5, fontweight="bold")
            width = probe.get_window_extent(renderer).width
            probe.remove()
            space = to_pixels((right, yi))[0] - to_pixels((left, yi))[0]
            if space >= width + 4 * fig.dpi / 72:
                ax.text((left + right) / 2, yi, text, ha="center", va="center",
                        color="#1A1A1A", fontsize=8.5, fontweight="bold")
            elif yi in le_labels:
                le_labels[yi].set_text(f"{le_labels[yi].get_text()} · gap {text}")


def _wrap_title(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters, never inside a period label like ``2016 - 18``.

    >>> print(_wrap_title("Window of need, 2023 - 25; Warwickshire 2016 - 18", 30))
    Window of need, 2023 - 25;
    Warwickshire 2016 - 18
    """
    kept = re.sub(r"(\d{4}) - (\d{2})", "\\1\u00a0-\u00a0\\2", text)
    return textwrap.fill(kept, width, break_on_hyphens=False).replace("\u00a0", " ")


def _window_of_need_handles(earlier_pairs: str = "", *, le_only: bool = True,
                            ci: bool = True) -> list:
    """Legend entries for what the chart draws: the LE-only bar and the whiskers only when
    some bar has them."""
    handles: list[Artist] = [
        Patch(color=HLE_COLOUR, label="Healthy life expectancy (HLE): years in good health"),
        Patch(color=GAP_COLOUR, label="Gap (LE − HLE): years lived in not-good health")]
    if le_only:
        handles.append(Patch(facecolor="#F2F2F2", edgecolor="#7F7F7F", hatch="///",
                             label="Life expectancy (LE) only: HLE not in data"))
    if ci:
        handles.append(Line2D([], [], color="#1A1A1A", marker="|", linestyle="-", markersize=6,
                              label="95% confidence interval (where published)"))
    if earlier_pairs:
        handles.append(Patch(facecolor=HLE_COLOUR, edgecolor="white",
                             hatch=EARLIER_RELEASE_HATCH,
                             label=textwrap.fill(f"Earlier release, since revised: "
                                                 f"{earlier_pairs}", 60)))
    return handles


def window_of_need_figure(won: pd.DataFrame, *, sexes: Sequence[str] | None = None,
                          title: str | None = None) -> Figure:
    """One :func:`window_of_need_bars` panel per sex, with one title, legend and footer.

    Parameters
    ----------
    won : pandas.DataFrame
        :func:`cw_pophealth.analysis.window_of_need` output for one period.
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
    for sex, ax in zip(sexes, axes[0], strict=True):
        window_of_need_bars(won, sex=sex, ax=ax, title=sex, footer=False, show_legend=False)
    # One legend for every panel, below them all (a panel's own legend would widen it).
    legend = fig.legend(handles=_window_of_need_handles(
        _earlier_pairs_label(won), le_only=bool((won["le"].notna() & won["hle"].isna()).any()),
        ci=bool(won[["le_lower", "hle_lower"]].notna().any().any())),
        loc="lower left", ncol=3, fontsize=8.5, frameon=False)
    period = period_label(_shown_value(won))
    text = title or (f"Window of need: life expectancy, healthy life expectancy and the "
                     f"years lived in not-good health, {period}")
    # Wrapped to the panels' width (a long list of periods widened the whole figure), never
    # inside a period such as "2016 - 18"; the recorded title is the one-line text.
    fig.suptitle(_wrap_title(text, width=66 * len(sexes)), x=0.01, ha="left", fontsize=12.5,
                 fontweight="bold")
    record(fig, title=text, kind="window_of_need_figure")
    old_pairs = _earlier_pairs_label(won)
    note = ("Gap = LE minus HLE (years), only where LE and HLE are of the same area, sex, "
            "period and release. Each area shows its own latest period, named beside it when "
            "periods differ")
    if old_pairs:
        note += (f". Hatched bars are an earlier release, since revised ({old_pairs}): valid "
                 "on their own population base, not comparable digit for digit with the "
                 "current releases")
    if won.attrs.get("area_note"):
        note += f". {won.attrs['area_note']}"
    with_gap = won["gap"].notna()
    with_ci = with_gap & won["gap_lower"].notna()
    if with_gap.any() and not with_ci.any():
        note += (". Gap intervals are not drawn; none can be computed here, as the LE values "
                 "shown have no published CIs")
    elif with_ci.any():
        note += (f". Gap intervals are not drawn; the table gives the approximate, "
                 f"conservative 95% interval for the {int(with_ci.sum())} of "
                 f"{int(with_gap.sum())} gaps whose LE and HLE both have CIs")
    add_footer(fig, source=figure_metadata(fig).get("source", ""), period=period, note=note,
               legend=legend)
    _place_gap_labels(fig)
    set_alt_text(fig, window_of_need_alt_text(won))
    return fig


def _gap_phrase(row: Any) -> str:
    period = f" ({row.period})" if pd.notna(row.period) else ""
    if pd.notna(row.gap):
        old = ", an earlier release" if getattr(row, "earlier_release", False) is True else ""
        return (f"{row.area_name} {row.gap:.1f} years{period}{old} (LE {row.le:.1f}, "
                f"HLE {row.hle:.1f})")
    return f"{row.area_name}{period}: {str(row.status).lower() or 'not in data'}"


def window_of_need_alt_text(won: pd.DataFrame) -> str:
    """Alt text for the window-of-need bars: the gap of every area and sex, from the data.

    Examples
    --------
    >>> won = pd.DataFrame({"area_name": ["Coventry"], "sex": ["Male"], "period": ["2022 - 24"],
    ...                     "le": [77.4], "hle": [59.2], "gap": [18.2], "status": ["OK"],
    ...                     "earlier_release": [False]})
    >>> window_of_need_alt_text(won)  # doctest: +NORMALIZE_WHITESPACE
    'Bar chart: life expectancy split into healthy life expectancy and the window of need
    (years lived in not-good health), by sex, for Coventry. Male: Coventry 18.2 years
    (2022 - 24) (LE 77.4, HLE 59.2).'
    """
    areas = ", ".join(dict.fromkeys(map(str, won["area_name"])))
    parts = [f"Bar chart: life expectancy split into healthy life expectancy and the window "
             f"of need (years lived in not-good health), by sex, for {areas}."]
    for sex, rows in won.groupby("sex", sort=False):
        parts.append(f"{sex}: " + "; ".join(_gap_phrase(r) for r in
                                           rows.itertuples(index=False)) + ".")
    return " ".join(parts)


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
        :func:`cw_pophealth.analysis.window_of_need` with ``period="all"``.
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
    fig, ax = new_axes(ax, (9, 5))
    periods = (data.dropna(subset=["period_start"]).drop_duplicates("period")
               .sort_values("period_start")["period"].tolist())
    with_gap = data.dropna(subset=["gap"])
    periods = [p for p in periods if p in set(with_gap["period"])]
    xpos = {p: i for i, p in enumerate(periods)}
    colour_iter = iter(AREA_LINE_COLOURS)
    any_earlier = False
    shaded = False
    for code, group in with_gap.groupby("area_code", sort=False):
        group = group.sort_values("period_start")
        role = str(group["role"].iloc[0]) if "role" in group.columns else "focus"
        name = str(group["area_name"].iloc[0])
        x = group["period"].map(xpos).to_numpy(dtype=float)
        if code == catalogue.ENGLAND:
            style: dict[str, Any] = {"color": BENCHMARK_COLOUR, "linestyle": "--",
                                     "linewidth": 1.8}
        elif role == "comparator":
            style = {"color": "#555555", "linestyle": ":", "linewidth": 1.8}
        else:
            style = {"color": next(colour_iter, "#555555"), "linestyle": "-", "linewidth": 2.2}
        ax.plot(x, group["gap"], marker="o", markersize=4, label=name, **style)
        old = _earlier(group).to_numpy()
        if old.any():
            any_earlier = True
            ax.plot(x[old], group["gap"].to_numpy()[old], linestyle="none", marker="s",
                    markersize=7, markerfacecolor="white", markeredgecolor=style["color"])
        if group["gap_lower"].notna().any():
            shaded = True
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
        handles, _ = ax.get_legend_handles_labels()
        if any_earlier:
            handles.append(Line2D([], [], linestyle="none", marker="s", markerfacecolor="white",
                                  markeredgecolor="#333333",
                                  label=textwrap.fill("Earlier release ("
                                                      + _earlier_pairs_label(data) + ")", 45)))
        ax.legend(handles=handles, fontsize=8, loc="best", frameon=True, framealpha=0.9,
                  edgecolor="none")
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
    finish(fig, ax, title=title, source=source, period=period,
            note="Gap = LE minus HLE for the same 3-year period"
                 + (SHADING_NOTE if shaded else NO_SHADING_NOTE)
                 + (f". {not_shown}" if not_shown else ""), footer=footer,
            kind="window_of_need_trend")
    record(fig, not_shown=not_shown)
    if shaded:
        record(fig, shaded=True)
    return ax


def window_of_need_trend_figure(won_all: pd.DataFrame, *, sexes: Sequence[str] | None = None,
                                title: str | None = None) -> Figure:
    """One :func:`window_of_need_trend` panel per sex with one title and footer."""
    sexes = list(dict.fromkeys(won_all["sex"])) if sexes is None else list(sexes)
    fig, axes = plt.subplots(1, len(sexes), figsize=(7.0 * len(sexes), 5.6), sharey=True,
                             layout="constrained", squeeze=False)
    for sex, ax in zip(sexes, axes[0], strict=True):
        window_of_need_trend(won_all, sex=sex, ax=ax, title=sex, footer=False)
    meta = figure_metadata(fig)
    fig.suptitle(title or "Window of need over time: years lived in not-good health "
                          "(life expectancy minus healthy life expectancy)",
                 x=0.01, ha="left", fontsize=12.5, fontweight="bold")
    record(fig, title=fig.get_suptitle(), kind="window_of_need_trend_figure")
    add_footer(fig, source=meta.get("source", ""), period=meta.get("period", ""),
               note="Periods are 3-year rolling, so Fingertips does not test them for trend"
                    + (SHADING_NOTE if meta.get("shaded") else NO_SHADING_NOTE)
                    + (f". {meta['not_shown']}" if meta.get("not_shown") else ""))
    set_alt_text(fig, window_of_need_trend_alt_text(won_all))
    return fig


def window_of_need_trend_alt_text(won_all: pd.DataFrame) -> str:
    """Alt text for the gap over time: each area's first and last gap, by sex, from the data."""
    with_gap = won_all.dropna(subset=["gap"]).sort_values("period_start", kind="stable")
    if with_gap.empty:
        return ("Line chart of years lived in not-good health over time: no area has LE and "
                "HLE for the same period in the data.")
    parts = ["Line chart: years lived in not-good health (life expectancy minus healthy life "
             "expectancy) by period, by sex."]
    for sex, rows in with_gap.groupby("sex", sort=False):
        phrases = []
        for name, g in rows.groupby("area_name", sort=False):
            first, last = g.iloc[0], g.iloc[-1]
            phrases.append(f"{name} {last['gap']:.1f} years in {last['period']}" if len(g) == 1
                           else f"{name} from {first['gap']:.1f} years in {first['period']} "
                                f"to {last['gap']:.1f} in {last['period']}")
        parts.append(f"{sex}: " + "; ".join(phrases) + ".")
    missing = sorted(set(won_all["area_name"]) - set(with_gap["area_name"]))
    if missing:
        parts.append("No gap in any period for " + ", ".join(missing) + ".")
    return " ".join(parts)
