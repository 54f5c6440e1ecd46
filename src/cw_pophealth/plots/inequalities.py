"""Inequality charts: the published SII in life expectancy against comparators and England, and
an indicator by deprivation decile with its SII line.

Both take the tables of :mod:`cw_pophealth.analysis.inequalities`; nothing here computes a
comparison or a slope. Each figure has a title, units, and a footer naming the source with its
release and the data period; colours are the colour-blind-safe comparison palette.
"""

from __future__ import annotations

import logging
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cw_pophealth import catalogue
from cw_pophealth.errors import UnknownIndicatorError
from cw_pophealth.plots.style import (
    BENCHMARK_COLOUR,
    GAP_COLOUR,
    HLE_COLOUR,
    MISSING_TEXT_COLOUR,
    add_footer,
    colour_for,
    comparison_colours,
    comparison_legend_handles,
    finish,
    legend_labels,
    new_axes,
    no_data_panel,
    periods_note,
    record,
    set_alt_text,
    source_note,
    value_text,
)

logger = logging.getLogger(__name__)

__all__ = ["deprivation_figure", "deprivation_gradient", "published_sii_chart",
           "published_sii_figure", "release_note"]

SII_ID = 92901
SII_NAME = "Slope index of inequality in life expectancy at birth"
SII_AXIS = "Gap in life expectancy, most to least deprived (years)"
#: How the bar colours were decided.
SII_COMPARISON_RULE = ("Compared with {benchmark}: the area's published 95% confidence interval "
                       "against the {benchmark} value (Fingertips method); a smaller gap is "
                       "better")


def release_note(frame: pd.DataFrame) -> str:
    """"release: <release> (<date>)" for each release in ``frame``, or "" when none is named."""
    if "release" not in frame.columns or frame["release"].dropna().empty:
        return ""
    dates = frame.get("release_date", pd.Series(pd.NaT, index=frame.index))
    pairs = dict.fromkeys(zip(frame["release"], dates, strict=True))
    parts = []
    for rel, date in pairs:
        if pd.isna(rel):
            continue
        when = f", released {pd.Timestamp(date).date().isoformat()}" if pd.notna(date) else ""
        parts.append(f"{rel}{when}")
    return "release: " + "; ".join(dict.fromkeys(parts))


def _source(frame: pd.DataFrame, indicator_id: int | None = None) -> str:
    data = frame.dropna(subset=["source_ref"]) if "source_ref" in frame.columns else frame
    if indicator_id is not None:
        data = data.assign(indicator_id=indicator_id)
    text = source_note(data)
    rel = release_note(data)
    return f"{text}; {rel}" if rel else text


def published_sii_chart(published: pd.DataFrame, *, focus_code: str | None = None,
                        sex: str | None = None, ax: Axes | None = None, palette=None,
                        title: str | None = None, footer: bool = True,
                        show_legend: bool = True) -> Axes:
    """The published SII in life expectancy of one focus area, its comparators and England.

    Horizontal bars, largest gap at the top, coloured by the comparison with England (a smaller
    gap is better); whiskers are the published 95% CIs; the dashed line is England's value.
    Areas the table lacks are listed at the bottom as "not in the table". With no value at all
    the panel says so.

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`cw_pophealth.analysis.published_sii` output.
    focus_code, sex : str, optional
        Required when the table holds several focus areas or sexes.
    ax : matplotlib.axes.Axes, optional
    palette : str or mapping, optional
        See :func:`cw_pophealth.plots.comparison_colours`.
    title : str, optional
    footer, show_legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the table holds several focus areas or sexes and none is chosen.
    """
    data = published
    for col, wanted in (("focus_code", focus_code), ("sex", sex)):
        if wanted is not None:
            data = data.loc[data[col] == wanted]
        elif data[col].nunique() > 1:
            raise ValueError(f"published holds several values of {col}: pass {col}=... or use "
                             "published_sii_figure.")
    bench = data.loc[data["role"] == "benchmark"]
    areas = data.loc[data["role"] != "benchmark"]
    # largest gap at the top; areas without a value at the bottom, in the table's order
    areas = pd.concat([areas.loc[areas["value"].isna()].iloc[::-1],
                       areas.dropna(subset=["value"]).sort_values("value", kind="stable")])
    colours = comparison_colours(palette)
    fig, ax = new_axes(ax, (8, 0.42 * max(len(areas), 3) + 2.4))
    focus_name = str(data["focus_name"].iloc[0]) if len(data) else "the focus area"
    sex_label = str(data["sex"].iloc[0]) if len(data) else (sex or "")
    period = periods_note(data["period"])
    bname = str(bench["area_name"].iloc[0]) if len(bench) else "England"
    bval = float(bench["value"].iloc[0]) if len(bench) and pd.notna(
        bench["value"].iloc[0]) else np.nan
    n_missing = int(areas["value"].isna().sum())
    y = np.arange(len(areas), dtype=float)
    top = np.nanmax(np.r_[areas["upper"].to_numpy(dtype=float), bval, 1.0])
    xmax = top * 1.25
    for yi, row in zip(y, areas.itertuples(index=False), strict=True):
        if pd.isna(row.value):
            ax.text(xmax * 0.01, yi, "not in the table", va="center", ha="left", fontsize=8,
                    style="italic", color=MISSING_TEXT_COLOUR)
            continue
        ax.barh(yi, row.value, height=0.66, color=colour_for(row.comparison, colours),
                edgecolor="#333333", linewidth=0.6)
        end = row.value
        if pd.notna(row.lower) and pd.notna(row.upper):
            ax.errorbar(row.value, yi, xerr=[[row.value - row.lower], [row.upper - row.value]],
                        fmt="none", ecolor="#1A1A1A", elinewidth=1, capsize=2.5)
            end = row.upper
        ax.text(end + xmax * 0.01, yi, f"{row.value:.1f} yrs", va="center", ha="left",
                fontsize=8, zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85})
    if np.isfinite(bval):
        ax.axvline(bval, color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.2)
        ax.text(bval, len(areas) - 0.35, f" {bname} {bval:.1f} yrs", ha="left", va="bottom",
                fontsize=8)
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.7, len(areas) + 0.2)
    ax.set_yticks(y, labels=[str(n) for n in areas["area_name"]])
    for tick, role in zip(ax.get_yticklabels(), areas["role"], strict=True):
        if role == "focus":
            tick.set_fontweight("bold")
    ax.set_xlabel(SII_AXIS)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    valued = n_missing < len(areas)
    if show_legend and valued:
        ax.legend(handles=comparison_legend_handles(legend_labels(
            areas.assign(polarity=catalogue.POLARITY_LOW_IS_GOOD)), palette), fontsize=8,
            loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4,
            title=f"Compared with {bname}", title_fontsize=8, frameon=False)
    if not valued:
        no_data_panel(ax, f"The table holds no published SII in life expectancy ({SII_ID}) for "
                          f"{focus_name} or its comparators. A live pull would add it.")
    finish(fig, ax, title=title or f"{focus_name}: SII in life expectancy, {sex_label}, {period}",
           source=_source(data, SII_ID), period=period,
           note=SII_COMPARISON_RULE.format(benchmark=bname),
           footer=footer, kind="published_sii_chart")
    return ax


def published_sii_alt_text(published: pd.DataFrame) -> str:
    """Alt text for :func:`published_sii_figure`: each focus area's published SII by sex, with
    its CI and period, and the benchmark's, from the data drawn."""
    focus = published.loc[published["role"] == "focus"]
    parts = [f"Bar charts of the published {SII_NAME.lower()} ({SII_ID}), one per focus area "
             "and sex, beside comparable areas."]
    for r in focus.itertuples(index=False):
        ci = (f" (95% CI {r.lower:.1f} to {r.upper:.1f})"
              if pd.notna(r.lower) and pd.notna(r.upper) else "")
        parts.append(f"{r.area_name}, {r.sex}: {value_text(r.value, 'years')}{ci}, {r.period}.")
    bench = published.loc[published["role"] == "benchmark"].drop_duplicates(subset=["sex"])
    for r in bench.itertuples(index=False):
        parts.append(f"{r.area_name}, {r.sex}: {value_text(r.value, 'years')}.")
    return " ".join(parts)


def deprivation_alt_text(sii: pd.DataFrame, *, more: int = 0) -> str:
    """Alt text for :func:`deprivation_figure`: each panel's area, indicator, sex and period,
    with its slope and relative index of inequality, from the data drawn."""
    parts = ["Line charts of indicator values by deprivation decile (most deprived first), "
             "one per area and indicator, each with its fitted slope index of inequality."]
    for r in sii.itertuples(index=False):
        sii_text = (f"SII {r.sii:.1f} (95% CI {r.sii_lower:.1f} to {r.sii_upper:.1f}), "
                    f"RII {r.rii:.2f}" if pd.notna(r.sii) else f"no SII ({r.status})")
        parts.append(f"{r.area_name}, {r.indicator_name}, {r.sex}, {r.period}: {sii_text}.")
    if more:
        parts.append(f"{more} more group(s) are in the tables, not drawn.")
    return " ".join(parts)


def published_sii_figure(published: pd.DataFrame, *, palette=None,
                         title: str | None = None) -> Figure:
    """:func:`published_sii_chart` for every focus area (rows) and sex (columns).

    With no published value at all the figure is one panel that says so, rather than a grid of
    empty charts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    foci = list(dict.fromkeys(published["focus_code"]))
    sexes = list(dict.fromkeys(published["sex"]))
    title = title or f"{SII_NAME} ({SII_ID}), within each area"
    period = periods_note(published["period"])
    if published["value"].isna().all() or not foci:
        fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
        names = ", ".join(dict.fromkeys(published["focus_name"])) or "the focus areas"
        no_data_panel(ax, f"The table holds no published SII in life expectancy ({SII_ID}) for "
                          f"{names}, their comparators or England. A live pull (cw-pophealth "
                          f"pull --indicators {SII_ID}) would add it.")
        ax.set_title(textwrap.fill(title, 80), loc="left", fontsize=11, fontweight="bold")
        record(fig, title=title, kind="published_sii_figure")
        add_footer(fig, source="no rows of indicator 92901 in the table", period=period)
        return fig
    n_rows = published.groupby(["focus_code", "sex"]).size().max()
    fig, axes = plt.subplots(len(foci), len(sexes), squeeze=False, layout="constrained",
                             figsize=(6.2 * len(sexes), (0.34 * n_rows + 1.9) * len(foci)))
    for i, code in enumerate(foci):
        for j, sex in enumerate(sexes):
            part = published.loc[(published["focus_code"] == code) & (published["sex"] == sex)]
            published_sii_chart(part, ax=axes[i, j], palette=palette, footer=False,
                                show_legend=(i == len(foci) - 1),
                                title=f"{part['focus_name'].iloc[0]}, {sex}")
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    record(fig, title=title, kind="published_sii_figure")
    set_alt_text(fig, published_sii_alt_text(published))
    bench = published.loc[published["role"] == "benchmark", "area_name"]
    bname = str(bench.iloc[0]) if len(bench) else "England"
    add_footer(fig, source=_source(published, SII_ID), period=period, note=(
        f"Bars: published SII with 95% CI; dashed line: {bname}. "
        + SII_COMPARISON_RULE.format(benchmark=bname) + ". "
        + str(published.attrs.get("peer_rule", "")).capitalize()))
    return fig


def _ranks(group: pd.DataFrame, by_denominator: bool) -> np.ndarray:
    """Each quantile's population midpoint (0 = most deprived end), as the SII fit used."""
    pops = group["denominator"].to_numpy(dtype=float) if by_denominator else np.ones(len(group))
    a = pops / pops.sum()
    return np.cumsum(a) - a / 2


def _unit(indicator_id: int) -> str:
    try:
        return catalogue.indicator_spec(int(indicator_id)).unit
    except UnknownIndicatorError:
        return ""


def deprivation_gradient(rows: pd.DataFrame, sii: pd.DataFrame | None = None, *,
                         ax: Axes | None = None, title: str | None = None,
                         footer: bool = True) -> Axes:
    """One indicator by deprivation quantile, with 95% CIs and the fitted SII line.

    Points sit at each quantile's population midpoint (the x the SII is fitted on), most
    deprived on the left; the orange line runs from the fitted value at the most deprived end
    to the least deprived end, its rise being the SII.

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`cw_pophealth.analysis.deprivation_rows` for one group (indicator, area, sex,
        category type, period).
    sii : pandas.DataFrame, optional
        The matching row of :func:`cw_pophealth.analysis.deprivation_sii`.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    footer : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
    """
    group = rows.sort_values("quantile")
    fig, ax = new_axes(ax, (7.5, 4.6))
    iid = int(group["indicator_id"].iloc[0]) if len(group) else 0
    name = str(group["indicator_name"].iloc[0]) if len(group) else "Indicator"
    unit = _unit(iid)
    res = sii.iloc[0] if sii is not None and len(sii) else None
    by_den = res is not None and str(res.get("populations", "")).startswith("published")
    x = _ranks(group, by_den)
    y = group["value"].to_numpy(dtype=float)
    lo, hi = group["lower"].to_numpy(dtype=float), group["upper"].to_numpy(dtype=float)
    ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", color=HLE_COLOUR, ecolor="#1A1A1A",
                elinewidth=1, capsize=2.5, markersize=5, label="Value with 95% CI")
    if res is not None and pd.notna(res.get("sii")):
        y0 = float(res["intercept"])
        ax.plot([0, 1], [y0, y0 + float(res["sii"])], color=GAP_COLOUR, linewidth=2,
                label="Fitted line (SII)")
        units = f" {unit}" if unit and unit != "%" else (" percentage points" if unit else "")
        ax.text(0.01, 0.97, textwrap.fill(
            f"SII {res['sii']:.1f}{units} (95% CI {res['sii_lower']:.1f} to "
            f"{res['sii_upper']:.1f}); RII {res['rii']:.3f}. Populations: "
            f"{res['populations']}.", 60),
            transform=ax.transAxes, va="top", fontsize=8)
    elif res is not None:
        ax.text(0.01, 0.97, f"SII not calculated: {res['status']}", transform=ax.transAxes,
                va="top", fontsize=8, color=MISSING_TEXT_COLOUR, style="italic")
    ax.set_xticks(x, labels=[str(int(q)) for q in group["quantile"]])
    ax.set_xlim(0, 1)
    kind = "decile" if len(group) and int(group["n_quantiles"].iloc[0]) == 10 else "quintile"
    ax.set_xlabel(f"Deprivation {kind} (1 = most deprived), at its population midpoint")
    ax.set_ylabel(f"{name}" + (f" ({unit})" if unit else ""))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.legend(handles=[Line2D([], [], marker="o", color=HLE_COLOUR, linestyle="none",
                              label="Value with 95% CI"),
                       Line2D([], [], color=GAP_COLOUR, linewidth=2, label="Fitted line (SII)")],
              loc="lower right", fontsize=8, frameon=False)
    period = periods_note(group["period"])
    area = str(group["area_name"].iloc[0]) if len(group) else ""
    sex = str(group["sex"].iloc[0]) if len(group) else ""
    finish(fig, ax, title=title or f"{area}: {name} by deprivation {kind}, {sex}, {period}",
           source=_source(group), period=period,
           note=f"Quantiles: {group['category_type'].iloc[0] if len(group) else ''}",
           footer=footer, kind="deprivation_gradient")
    return ax


def deprivation_figure(rows: pd.DataFrame, sii: pd.DataFrame, *, max_panels: int = 8,
                       ncols: int = 2, empty_message: str | None = None) -> Figure:
    """:func:`deprivation_gradient` for each group, or one panel saying there are none.

    Parameters
    ----------
    rows, sii : pandas.DataFrame
        :func:`cw_pophealth.analysis.deprivation_rows` and
        :func:`cw_pophealth.analysis.deprivation_sii`.
    max_panels : int, default 8
        Most groups drawn; the footer says how many more are in the tables.
    ncols : int, default 2
    empty_message : str, optional
        What the single panel says when there are no rows.

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = "Indicators by deprivation decile within each area, with the SII and RII"
    group = ["indicator_id", "area_code", "sex", "age", "category_type", "period"]
    keys = list(dict.fromkeys(rows[group].itertuples(index=False, name=None))) if len(
        rows) else []
    if not keys:
        fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
        no_data_panel(ax, empty_message or "The table holds no deprivation-decile rows for "
                      "these areas. A live pull with category rows would add them.")
        ax.set_title(textwrap.fill(title, 80), loc="left", fontsize=11, fontweight="bold")
        record(fig, title=title, kind="deprivation_figure")
        add_footer(fig, source="no deprivation-category rows in the table", period="none")
        return fig
    shown = keys[:max_panels]
    nrows, ncols = int(np.ceil(len(shown) / min(ncols, len(shown)))), min(ncols, len(shown))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(6.4 * ncols, 4.2 * nrows))
    drawn = []
    for key, ax in zip(shown, axes.ravel(), strict=False):
        mask = np.all([(rows[c] == v) | (rows[c].isna() & pd.isna(v))
                       for c, v in zip(group, key, strict=True)], axis=0)
        smask = np.all([(sii[c] == v) | (sii[c].isna() & pd.isna(v))
                        for c, v in zip(group, key, strict=True)], axis=0)
        part = rows.loc[mask]
        drawn.append(sii.loc[smask])
        deprivation_gradient(part, drawn[-1], ax=ax, footer=False,
                             title=f"{part['area_name'].iloc[0]}: {part['indicator_name'].iloc[0]}"
                                   f", {key[2]}, {key[5]}")
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    record(fig, title=title, kind="deprivation_figure")
    set_alt_text(fig, deprivation_alt_text(pd.concat(drawn) if drawn else sii.iloc[:0],
                                           more=len(keys) - len(shown)))
    more = len(keys) - len(shown)
    add_footer(fig, source=_source(rows), period=periods_note(rows["period"]), note=(
        "SII: PHE method (weighted regression on population midpoints, Monte Carlo 95% CI)"
        + (f"; {more} more group(s) in the tables" if more else "")))
    return fig
