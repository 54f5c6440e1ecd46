"""Comparing areas: bars coloured by the comparison with a benchmark, trend lines, and the
small multiples of both."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cw_pophealth import catalogue
from cw_pophealth.plots.style import (
    AREA_LINE_COLOURS,
    BENCHMARK_COLOUR,
    COMPARISON_RULE,
    CONTEXT_COLOUR,
    EARLIER_RELEASE_HATCH,
    MISSING_TEXT_COLOUR,
    add_footer,
    benchmark_name,
    colour_for,
    comparison_colours,
    comparison_legend_handles,
    earlier_release_handle,
    figure_metadata,
    finish,
    legend_labels,
    live_pull_note,
    new_axes,
    no_data_panel,
    period_label,
    record,
    set_alt_text,
    source_note,
    unit_suffix,
    value_text,
)

logger = logging.getLogger(__name__)

__all__ = ["benchmark_bars", "benchmark_figure", "trend_figure", "trend_lines"]


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
    column (computed in :func:`cw_pophealth.analysis.benchmark_table`).

    Parameters
    ----------
    bench : pandas.DataFrame
        :func:`cw_pophealth.analysis.benchmark_table` output, one period per indicator.
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
    fig, ax = new_axes(ax, (8, 0.42 * max(len(data), 3) + 2.4))
    name = str(data["indicator_name"].iloc[0]) if len(data) else "Indicator"
    iid = int(data["indicator_id"].iloc[0]) if len(data) else 0
    unit = str(data["unit"].iloc[0]) if len(data) else ""
    bname = benchmark_name(data)
    y = np.arange(len(data))[::-1]
    values = data["value"].to_numpy(dtype=float)
    uppers = data["upper"].to_numpy(dtype=float)
    top = np.nanmax(np.r_[values, uppers, data["benchmark_value"].to_numpy(dtype=float), 1.0])
    xmax = top * 1.18
    all_missing = bool(data["value"].isna().all())
    valued = data.dropna(subset=["value"])
    several_periods = valued["period"].nunique() > 1
    earlier = (data["earlier_release"].fillna(False).astype(bool) if "earlier_release" in data
               else pd.Series(False, index=data.index))
    bench_values = valued["benchmark_value"].dropna()
    per_row_benchmark = bench_values.round(9).nunique() > 1
    for yi, row, old in zip(y, data.itertuples(index=False), earlier, strict=True):
        if all_missing:
            break
        if pd.isna(row.value):
            ax.text(xmax * 0.01, yi, "No data in snapshot: " + live_pull_note(iid), va="center",
                    ha="left", fontsize=8, style="italic", color=MISSING_TEXT_COLOUR)
            continue
        ax.barh(yi, row.value, height=0.66, color=colour_for(row.comparison, colours),
                edgecolor="#333333", linewidth=0.6, hatch=EARLIER_RELEASE_HATCH if old else None)
        end = row.value
        if pd.notna(row.lower) and pd.notna(row.upper):
            ax.errorbar(row.value, yi, xerr=[[row.value - row.lower], [row.upper - row.value]],
                        fmt="none", ecolor="#1A1A1A", elinewidth=1, capsize=2.5)
            end = row.upper
        if per_row_benchmark and pd.notna(row.benchmark_value):
            # The label starts after the benchmark tick too, so the tick never crosses it.
            end = max(end, row.benchmark_value)
        label = f"{row.value:.1f}{unit_suffix(unit)}" + (f" ({row.period})" if several_periods
                                                         else "")
        ax.text(end + xmax * 0.01, yi, label, va="center", ha="left", fontsize=8, zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85})
        if per_row_benchmark and pd.notna(row.benchmark_value):
            ax.plot([row.benchmark_value] * 2, [yi - 0.42, yi + 0.42], color=BENCHMARK_COLOUR,
                    linewidth=1.6, zorder=7)
    if len(bench_values) and not per_row_benchmark:
        bval = float(bench_values.iloc[0])
        ax.axvline(bval, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.2)
        ax.text(bval, len(data) - 0.35, f" {bname} {bval:.1f}{unit_suffix(unit)}",
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
    extra = _release_handles(data, earlier, per_row_benchmark, bname)
    if show_legend and not all_missing:
        ax.legend(handles=comparison_legend_handles(legend_labels(data), palette) + extra,
                  fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4,
                  title=f"Compared with {bname}", title_fontsize=8, frameon=False)
    if all_missing:
        no_data_panel(ax, f"No data in snapshot for {name} ({iid}) in any of the "
                           f"{len(data)} areas: {live_pull_note(iid)}")
    period = period_label(data)
    note = COMPARISON_RULE.format(benchmark=bname)
    if per_row_benchmark:
        note += (f". Black ticks: {bname}'s value for the same period, from the same release "
                 "where the data hold it")
    finish(fig, ax, title=title or f"{name} ({iid}), {period}", source=source_note(data),
            period=period, note=note, footer=footer, kind="benchmark_bars")
    record(fig, release_handles=extra)
    if footer:
        set_alt_text(fig, benchmark_alt_text(data))
    return ax


def _focus_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Focus areas and the benchmark, for alt text (the other areas are counted)."""
    bcode = frame["benchmark_code"].iloc[0] if "benchmark_code" in frame and len(frame) else None
    keep = (frame["role"].astype(str) == "focus") | (frame["area_code"] == bcode)
    return frame.loc[keep]


def benchmark_alt_text(bench: pd.DataFrame) -> str:
    """Alt text for benchmark bars: each indicator's focus areas and benchmark, with their
    period and comparison, from the data (other areas are counted, and are in the table)."""
    if bench.empty:
        return "Bar chart with no data."
    bname = benchmark_name(bench)
    focus = bench.loc[bench["role"].astype(str) == "focus", "area_name"]
    areas = ", ".join(dict.fromkeys(map(str, focus))) or "the areas"
    parts = [f"Bar charts comparing {areas} with {bname}, one per indicator."]
    for (_iid, sex), rows in bench.groupby(["indicator_id", bench["sex"].fillna("Persons")],
                                           sort=False):
        name = str(rows["indicator_name"].iloc[0])
        unit = str(rows["unit"].iloc[0])
        label = name + ("" if sex == "Persons" else f", {sex}")
        if rows["value"].isna().all():
            parts.append(f"{label}: no data for any area.")
            continue
        phrases = []
        for r in _focus_first(rows).itertuples(index=False):
            if pd.isna(r.value):
                phrases.append(f"{r.area_name} not in data")
                continue
            cmp = ("" if str(r.comparison) in ("Not compared", "nan") or r.area_code
                   == r.benchmark_code else f", {str(r.comparison).lower()}")
            phrases.append(f"{r.area_name} {value_text(r.value, unit)} ({r.period}{cmp})")
        others = len(rows) - len(_focus_first(rows))
        more = f"; and {others} other areas" if others else ""
        parts.append(f"{label}: " + "; ".join(phrases) + more + ".")
    return " ".join(parts)


def _release_handles(data: pd.DataFrame, earlier: pd.Series, per_row_benchmark: bool,
                     bname: str) -> list:
    """Legend entries for earlier-release bars and per-bar benchmark ticks, when drawn."""
    handles: list = []
    if earlier.any() and "release" in data.columns:
        handles.append(earlier_release_handle(data.loc[earlier.to_numpy(), "release"]
                                              .dropna().astype(str)))
    if per_row_benchmark:
        handles.append(Line2D([], [], color=BENCHMARK_COLOUR, marker="|", linestyle="none",
                              markersize=10, label=f"{bname}, same period"))
    return handles


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return int(np.ceil(n / ncols)), ncols


def _explain_panel(ax: Axes, *, bname: str, palette, missing: Sequence[str],
                   labels: Sequence[str] | None = None, extra: Sequence = ()) -> None:
    """Turn a spare panel into the legend and the comparison rule."""
    ax.axis("off")
    ax.legend(handles=comparison_legend_handles(labels, palette) + list(extra),
              loc="upper left", fontsize=9, title=f"Compared with {bname}", title_fontsize=9,
              frameon=False)
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
    extra: dict[str, object] = {}
    for (iid, sex), ax in zip(keys, flat, strict=False):
        part = frame.loc[(frame["indicator_id"] == iid)
                         & (frame["sex"].fillna("Persons") == sex)]
        name = str(part["indicator_name"].iloc[0])
        draw(part, ax, f"{name} ({iid})" + ("" if sex == "Persons" else f", {sex}"))
        for handle in figure_metadata(fig).pop("release_handles", []):
            extra.setdefault(handle.get_label(), handle)
        record(fig, release_handles=[])
        if part["value"].isna().all():
            missing.append(f"{name} ({iid}): {live_pull_note(iid)}")
    _explain_panel(flat[len(keys)], bname=benchmark_name(frame), palette=palette,
                   missing=missing, labels=legend_labels(frame), extra=list(extra.values()))
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
            title=f"{label}, {period_label(part)}"))
    requested = bench.attrs.get("period")
    when = (f"{requested}" if requested and str(requested).lower() not in ("latest", "all")
            else "each area's latest period")
    fig.suptitle(title or f"Risk factors compared with {benchmark_name(bench)}, {when}",
                 x=0.01, ha="left", fontsize=13, fontweight="bold")
    periods = "; ".join(
        f"{iid}: {period_label(g)}" for iid, g in bench.groupby("indicator_id", sort=False))
    record(fig, title=fig.get_suptitle(), kind="benchmark_figure")
    hatched = bool(bench["earlier_release"].fillna(False).astype(bool).any()
                   ) if "earlier_release" in bench else False
    note = ("Bars: value" + (" with 95% CI where published" if bench["lower"].notna().any()
                             else "") + "; dashed line or black ticks: benchmark value for the "
            "same period" + ("; hatched bars: an earlier release" if hatched else "")
            + ". Where an area's period differs from the others', it is named on the bar")
    if bench.attrs.get("period_note"):
        note += f". {bench.attrs['period_note']}"
    if bench.attrs.get("area_note"):
        note += f". {bench.attrs['area_note']}"
    add_footer(fig, source=source_note(bench), period=periods, note=note)
    set_alt_text(fig, benchmark_alt_text(bench))
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
        :func:`cw_pophealth.analysis.trend_table` output.
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
    fig, ax = new_axes(ax, (9, 5))
    valued = data.dropna(subset=["value"])
    periods = (valued.drop_duplicates("period").sort_values("period_start")["period"].tolist())
    xpos = {p: i for i, p in enumerate(periods)}
    name = str(data["indicator_name"].iloc[0]) if len(data) else "Indicator"
    iid = int(data["indicator_id"].iloc[0]) if len(data) else 0
    unit = str(data["unit"].iloc[0]) if len(data) else ""
    bname = benchmark_name(data)
    bcode = str(data["benchmark_code"].iloc[0]) if len(data) else catalogue.ENGLAND
    line_colours = iter(AREA_LINE_COLOURS)
    labels_at_end = []
    any_earlier = False
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
            record(fig, context_lines=True)
            labels_at_end.append((x[-1], yv[-1], area, "#8C8C8C"))
        else:
            colour = next(line_colours, "#555555")
            ax.plot(x, yv, color=colour, linewidth=2.0, label=area, zorder=4)
            if group["lower"].notna().any():
                ax.fill_between(x, group["lower"], group["upper"], color=colour, alpha=0.09,
                                linewidth=0, zorder=2)
                record(fig, shaded=True)
            old = (group["earlier_release"].fillna(False).astype(bool).to_numpy()
                   if "earlier_release" in group else np.zeros(len(group), dtype=bool))
            fill = np.array([colour_for(c, colours) for c in group["comparison"]], dtype=object)
            for mask, marker in ((~old, "o"), (old, "s")):
                if mask.any():
                    ax.scatter(x[mask], yv[mask], s=42, zorder=5, edgecolors=colour,
                               linewidths=1.2, c=list(fill[mask]), marker=marker)
            any_earlier |= bool(old.any())
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
    no_data_note = None
    if not len(valued):
        no_data_panel(ax, f"No data in snapshot for {name} ({iid}) in any of the "
                           f"{data['area_code'].nunique()} areas")
    elif no_data:
        no_data_note = textwrap.fill("No data in snapshot: " + ", ".join(no_data), 90)
        ax.text(0.0, 1.01, no_data_note, transform=ax.transAxes, fontsize=7.5, style="italic",
                va="bottom", color=MISSING_TEXT_COLOUR)
    earlier_marker = ([Line2D([], [], marker="s", color="#333333", markerfacecolor="white",
                              linestyle="none", label="Square marker: an earlier release (more "
                              "than a year older than the newest)")] if any_earlier else [])
    if show_legend and len(valued):
        ax.legend(handles=comparison_legend_handles(legend_labels(valued), palette)
                  + earlier_marker, fontsize=7.5, loc="upper center",
                  bbox_to_anchor=(0.5, -0.22), ncol=4,
                  title=f"Marker colour: compared with {bname} in that period",
                  title_fontsize=7.5, frameon=False)
    record(fig, release_handles=earlier_marker)
    if any_earlier:
        record(fig, any_earlier=True)
    period = f"{periods[0]} to {periods[-1]}" if periods else "no data"
    finish(fig, ax, title=title or f"{name} ({iid}) over time", source=source_note(data),
            period=period, note=COMPARISON_RULE.format(benchmark=bname), footer=footer,
            kind="trend_lines")
    if no_data_note is not None:
        # The title sits above the note: 7.5-pt lines at 1.2 spacing are 9 pt each.
        ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=11, fontweight="bold",
                     pad=7 + 9 * (no_data_note.count("\n") + 1))
    return ax


def _label_line_ends(ax: Axes, labels: list[tuple[float, float, str, str]]) -> None:
    """Write area names at line ends, nudged apart vertically so they do not overlap.

    The y-limits are the autoscaled ones of the lines drawn so far (``get_ylim`` autoscales);
    no draw is needed, and one here would lay out the whole figure again for every panel of a
    small-multiples figure (ten panels took ten full layouts: 10 s of a 1 s figure).
    """
    if not labels:
        return
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
                          f"{benchmark_name(trend)} in each period)",
                 x=0.01, ha="left", fontsize=13, fontweight="bold")
    spans = {iid: g.dropna(subset=["value"]).sort_values("period_start")["period"]
             for iid, g in trend.groupby("indicator_id", sort=False)}
    periods = "; ".join(f"{iid}: {p.iloc[0]} to {p.iloc[-1]}" for iid, p in spans.items()
                        if len(p))
    record(fig, title=fig.get_suptitle(), kind="trend_figure")
    meta = figure_metadata(fig)
    parts = []
    if meta.get("context_lines"):
        parts.append("Grey lines: districts (context)")
    if meta.get("shaded"):
        parts.append("shading: 95% CI of the focus areas where published")
    if meta.get("any_earlier"):
        parts.append("square markers: an earlier release")
    note = "; ".join(parts) or "Markers: the comparison with the benchmark in each period"
    if trend.attrs.get("area_note"):
        note += f". {trend.attrs['area_note']}"
    add_footer(fig, source=source_note(trend), period=periods or "no data", note=note)
    set_alt_text(fig, trend_alt_text(trend))
    return fig


def trend_alt_text(trend: pd.DataFrame) -> str:
    """Alt text for trend lines: each focus area's and the benchmark's first and latest value
    per indicator, from the data."""
    valued = trend.dropna(subset=["value"])
    if valued.empty:
        return "Line charts over time with no data."
    bname = benchmark_name(trend)
    parts = [f"Line charts over time, one per indicator, with markers coloured by the "
             f"comparison with {bname} in each period."]
    for (_iid, sex), rows in valued.groupby(["indicator_id", valued["sex"].fillna("Persons")],
                                            sort=False):
        unit = str(rows["unit"].iloc[0])
        label = str(rows["indicator_name"].iloc[0]) + ("" if sex == "Persons" else f", {sex}")
        phrases = []
        for name, g in _focus_first(rows).sort_values("period_start", kind="stable").groupby(
                "area_name", sort=False):
            first, last = g.iloc[0], g.iloc[-1]
            phrases.append(f"{name} {value_text(last['value'], unit)} in {last['period']}"
                           if len(g) == 1 else
                           f"{name} from {value_text(first['value'], unit)} in "
                           f"{first['period']} to {value_text(last['value'], unit)} in "
                           f"{last['period']}")
        parts.append(f"{label}: " + "; ".join(phrases) + ".")
    return " ".join(parts)
