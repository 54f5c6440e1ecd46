"""The burden of behavioural risk: deaths attributable to each risk, by area (GBD 2017)."""

from __future__ import annotations

import logging
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cw_pophealth.analysis.releases import short_release
from cw_pophealth.plots.style import (
    BENCHMARK_COLOUR,
    CONTEXT_COLOUR,
    HLE_COLOUR,
    MISSING_TEXT_COLOUR,
    add_footer,
    finish,
    new_axes,
    record,
    set_alt_text,
    value_text,
)

logger = logging.getLogger(__name__)

__all__ = ["BURDEN_NOTE", "burden_bars", "burden_figure"]

#: Why this is not the Prevention Framework's figure 2, for every burden chart.
BURDEN_NOTE = ("GBD 2017, all ages, age-standardised. The Prevention Framework's figure 2 shows "
               "deaths under 70 in 2021 for Coventry and Warwickshire; that is not in the "
               "offline data, and Coventry is not in the GBD 2017 file")
_FOCUS_COLOUR = HLE_COLOUR  # Okabe-Ito blue
_REGION_COLOUR = "#7F7F7F"


def _colour(role: str) -> str:
    return {"focus": _FOCUS_COLOUR, "benchmark": BENCHMARK_COLOUR,
            "region": _REGION_COLOUR}.get(role, CONTEXT_COLOUR)


def _source(table: pd.DataFrame) -> str:
    refs = table.dropna(subset=["source_ref"])
    if refs.empty:
        return "no data"
    row = refs.iloc[0]
    return (f"{row['source_ref']} ({short_release(row['release'])}); {row['licence']}")


def burden_bars(table: pd.DataFrame, risk: str | None = None, *, ax: Axes | None = None,
                title: str | None = None, footer: bool = True,
                show_legend: bool = True) -> Axes:
    """One risk: a bar per area with its 95% uncertainty interval, focus areas in colour.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cw_pophealth.analysis.burden_table` output.
    risk : str, optional
        Required when ``table`` holds several risks.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    footer, show_legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``table`` holds several risks and none is chosen.
    """
    data = table if risk is None else table.loc[table["risk"] == risk]
    if data["risk"].nunique() > 1:
        raise ValueError("table holds several risks: pass risk=... or use burden_figure.")
    data = data.reset_index(drop=True)
    name = str(data["risk"].iloc[0]) if len(data) else "Risk"
    fig, ax = new_axes(ax, (7, 0.32 * max(len(data), 4) + 1.8))
    y = np.arange(len(data))[::-1]
    top = np.nanmax(np.r_[data["upper_ui_95"].to_numpy(dtype=float),
                          data["value"].to_numpy(dtype=float), 1.0])
    for yi, row in zip(y, data.itertuples(index=False), strict=True):
        if pd.isna(row.value):
            ax.text(top * 0.01, yi, f"Not in the GBD 2017 file: {row.area_name}", va="center",
                    fontsize=7.5, style="italic", color=MISSING_TEXT_COLOUR)
            continue
        ax.barh(yi, row.value, height=0.7, color=_colour(row.role), edgecolor="#333333",
                linewidth=0.5)
        if pd.notna(row.lower_ui_95) and pd.notna(row.upper_ui_95):
            ax.errorbar(row.value, yi, xerr=[[row.value - row.lower_ui_95],
                                             [row.upper_ui_95 - row.value]],
                        fmt="none", ecolor="#1A1A1A", elinewidth=0.9, capsize=2)
        ax.text(max(row.value, row.upper_ui_95 if pd.notna(row.upper_ui_95) else row.value)
                + top * 0.015, yi, f"{row.value:.1f}", va="center", fontsize=7.5)
    bench = data["benchmark_value"].dropna()
    if len(bench):
        ax.axvline(float(bench.iloc[0]), color=BENCHMARK_COLOUR, linestyle="--", linewidth=1.1)
    ax.set_yticks(y, labels=[str(n) for n in data["area_name"]])
    for tick, role in zip(ax.get_yticklabels(), data["role"], strict=True):
        if role == "focus":
            tick.set_fontweight("bold")
    ax.set_xlim(0, top * (1.65 if show_legend else 1.2))
    ax.set_xlabel("Deaths per 100,000 (age-standardised)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    if show_legend:
        ax.legend(handles=_handles(), fontsize=7.5, loc="lower right", frameon=True,
                  framealpha=0.95, edgecolor="#CCCCCC")
    finish(fig, ax, title=title or f"Deaths attributable to {name.lower()}, GBD 2017",
           source=_source(data), period="2017", note=BURDEN_NOTE, footer=footer,
           kind="burden_bars")
    return ax


def _handles() -> list:
    return [Patch(facecolor=_FOCUS_COLOUR, edgecolor="#333333", label="Focus area"),
            Patch(facecolor=CONTEXT_COLOUR, edgecolor="#333333",
                  label="West Sussex's CIPFA neighbours"),
            Patch(facecolor=_REGION_COLOUR, edgecolor="#333333", label="South East region"),
            Patch(facecolor=BENCHMARK_COLOUR, edgecolor="#333333", label="England"),
            Line2D([], [], color=BENCHMARK_COLOUR, linestyle="--", label="England's rate"),
            Line2D([], [], color="#1A1A1A", marker="|", linestyle="-",
                   label="95% uncertainty interval")]


def burden_alt_text(table: pd.DataFrame) -> str:
    """Alt text for :func:`burden_figure`: each risk's values by area, from the data drawn.

    >>> rows = pd.DataFrame({"risk": ["Tobacco"] * 2, "area_name": ["Warwickshire", "England"],
    ...                      "sex": ["Persons"] * 2, "measure": ["Deaths"] * 2,
    ...                      "value": [120.25, float("nan")]})  # SYNTHETIC
    >>> print(textwrap.fill(burden_alt_text(rows), 80))
    Bar charts, one per risk: deaths attributable per 100,000 (GBD 2017, age-
    standardised). Tobacco: Warwickshire 120.2, England not in data.
    """
    if table.empty:
        return "Bar charts of the burden attributable to risks, with no data."
    measures = table["measure"].dropna()
    measure = str(measures.iloc[0]).lower() if len(measures) else "burden"
    parts = [f"Bar charts, one per risk: {measure} attributable per 100,000 (GBD 2017, "
             "age-standardised)."]
    for risk, rows in table.groupby("risk", sort=False):
        items = ", ".join(
            f"{r.area_name}{'' if pd.isna(r.sex) or r.sex == 'Persons' else f' ({r.sex})'} "
            f"{value_text(r.value)}" for r in rows.itertuples(index=False))
        parts.append(f"{risk}: {items}.")
    return " ".join(parts)


def burden_figure(table: pd.DataFrame, *, ncols: int = 2, title: str | None = None) -> Figure:
    """One :func:`burden_bars` panel per risk, with one title, legend and footer (IHME
    attribution, the release, and why this is not the Framework's figure 2).

    Returns
    -------
    matplotlib.figure.Figure
    """
    risks = list(dict.fromkeys(table["risk"]))
    nrows = int(np.ceil(len(risks) / ncols))
    n_areas = table["area_code"].nunique()
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.4 * ncols, (0.3 * n_areas + 1.6) * nrows),
                             layout="constrained", squeeze=False)
    for i, (risk, ax) in enumerate(zip(risks, axes.ravel(), strict=False)):
        burden_bars(table, risk, ax=ax, title=risk, footer=False, show_legend=i == 0)
    for ax in axes.ravel()[len(risks):]:
        ax.axis("off")
    measure = str(table["measure"].dropna().iloc[0]) if table["measure"].notna().any() else ""
    sex = "both sexes" if (table["sex"].dropna() == "Persons").all() else "by sex"
    fig.suptitle(title or f"The burden of behavioural risk: {measure.lower()} attributable to "
                          f"each risk per 100,000, GBD 2017, all ages, age-standardised, {sex}",
                 x=0.01, ha="left", fontsize=12, fontweight="bold")
    record(fig, title=fig.get_suptitle(), kind="burden_figure")
    set_alt_text(fig, burden_alt_text(table))
    missing = sorted(set(table.loc[table["value"].isna(), "area_name"]))
    note = BURDEN_NOTE + (". " + textwrap.fill("Not in the file: " + ", ".join(missing), 200)
                          if missing else "")
    add_footer(fig, source=_source(table), period="2017", note=note)
    return fig
