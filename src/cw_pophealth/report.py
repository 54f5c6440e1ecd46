"""The small surface a report notebook calls: check its parameters, save figures and tables.

A notebook run by ``make reports`` gets an ``output_dir`` parameter; :func:`save_figure` and
:func:`save_table` write there and record each output (title, data period, source) in
``outputs.json`` for the report index. Run interactively or by nbval, ``output_dir`` is ``""``
and nothing is saved.
"""

from __future__ import annotations

import html
import io
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from cw_pophealth import __version__, atomic
from cw_pophealth.plots import figure_metadata, figure_title
from cw_pophealth.runner.parameters import validate_parameters
from cw_pophealth.runner.state import OUTPUTS_FILE

if TYPE_CHECKING:
    from IPython.display import Markdown

logger = logging.getLogger(__name__)

__all__ = ["PNG_DPI", "display_table", "markdown", "save_figure", "save_table", "show_figure",
           "validate_parameters"]


def _target_dir(output_dir: str | os.PathLike | None, sub: str, name: str) -> Path | None:
    """Resolve where to write, or ``None`` when ``output_dir`` is "" (interactive/nbval run)."""
    if output_dir is None:
        return Path(name).expanduser().resolve().parent
    if str(output_dir).strip() == "":
        return None
    return Path(output_dir).expanduser().resolve() / sub


def _append_output(output_dir: Path, record: dict) -> None:
    path = output_dir / OUTPUTS_FILE
    records = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    records = [r for r in records if r.get("files") != record["files"]] + [record]
    atomic.write_json(path, records)


#: Resolution of saved PNGs (dots per inch).
PNG_DPI = 150
#: CSS pixels per inch when a notebook shows a saved PNG (the browser's reference pixel).
_CSS_DPI = 96


def save_figure(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None = None,
                dpi: int = PNG_DPI) -> list[Path]:
    """Save a figure as PNG and SVG, with its title, source and data period embedded.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str
        File name without extension (``"window_of_need_latest"``); with ``output_dir=None``
        a path without extension.
    output_dir : str or path-like, optional
        A report's output folder: files go to ``<output_dir>/figures/``. ``""`` means "do not
        save" (the notebooks' default when run interactively or by nbval), and returns ``[]``.
    dpi : int, default 150
        PNG resolution.

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG written.

    See Also
    --------
    show_figure : save and show in the notebook, rendering each format once.
    """
    return _save(fig, stem, output_dir=output_dir, dpi=dpi)[1]


def show_figure(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None = None,
                dpi: int = PNG_DPI) -> list[Path]:
    """Save a figure as :func:`save_figure` does and show it in the notebook, closing it.

    The PNG is rendered once and the same bytes are both written and shown, and the figure is
    closed so that the notebook's inline backend does not render it again: each figure is
    rendered once per format (PNG, SVG). Shown at its natural size (the PNG's pixels at
    ``dpi``).

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG written (``[]`` when ``output_dir`` is ``""``).
    """
    png, paths = _save(fig, stem, output_dir=output_dir, dpi=dpi)
    plt.close(fig)
    try:
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return paths
    width = int.from_bytes(png[16:20], "big")  # the PNG header's width, in pixels
    display(Image(data=png, format="png", width=round(width * _CSS_DPI / dpi)))
    return paths


def _save(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None,
          dpi: int) -> tuple[bytes, list[Path]]:
    """Render the PNG (always) and, when saving, write it and the SVG; record the outputs."""
    meta = figure_metadata(fig)
    title = meta.get("title") or figure_title(fig) or stem
    description = f"Source: {meta.get('source', '')}. Data period: {meta.get('period', '')}."
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Title": title, "Description": description,
                          "Software": f"cw_pophealth {__version__}"})
    png_bytes = buffer.getvalue()
    folder = _target_dir(output_dir, "figures", stem)
    if folder is None:
        logger.info("output_dir is empty: figure %r not saved", stem)
        return png_bytes, []
    base = folder / Path(stem).name
    png, svg = base.with_suffix(".png"), base.with_suffix(".svg")
    atomic.write_bytes(png, png_bytes)
    # A fixed salt makes the SVG's internal ids a function of its content, so the same figure
    # gives the same bytes on every run (matplotlib draws them from uuid4 otherwise).
    with plt.rc_context({"svg.hashsalt": "cw_pophealth"}):
        atomic.write_via(svg, lambda tmp: fig.savefig(
            tmp, format="svg", bbox_inches="tight", facecolor="white",
            metadata={"Title": title, "Description": description, "Date": None}))
    logger.info("Saved figure %s (.png, .svg)", base)
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "figure", "title": title,
                              "period": meta.get("period"), "source": meta.get("source"),
                              "files": [str(p.relative_to(root)) for p in (png, svg)]})
    return png_bytes, [png, svg]


def _period_summary(df: pd.DataFrame) -> str | None:
    """"2021 - 23", "2022 - 24, 2024/25" or "2011 to 2024/25 (24 periods)" for an index entry."""
    if "period" not in df.columns or df["period"].dropna().empty:
        return None
    rows = df.dropna(subset=["period"])
    if "period_start" in rows.columns:
        rows = rows.sort_values("period_start", kind="stable")
    periods = [str(p) for p in dict.fromkeys(rows["period"])]
    if len(periods) <= 3:
        return ", ".join(periods)
    return f"{periods[0]} to {periods[-1]} ({len(periods)} periods)"


def save_table(df: pd.DataFrame, path: str | os.PathLike, *,
               output_dir: str | os.PathLike | None = None,
               title: str | None = None) -> Path | None:
    """Save a table as CSV (UTF-8, no index).

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or path-like
        File name (``"window_of_need.csv"``, extension optional) inside
        ``<output_dir>/tables/``; with ``output_dir=None``, the full path.
    output_dir : str or path-like, optional
        ``""`` means "do not save" and returns ``None``.
    title : str, optional
        Description for the report index.

    Returns
    -------
    pathlib.Path or None
    """
    name = str(path) if str(path).endswith(".csv") else f"{path}.csv"
    folder = _target_dir(output_dir, "tables", name)
    if folder is None:
        logger.info("output_dir is empty: table %r not saved", name)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    df.to_csv(target, index=False, encoding="utf-8")
    logger.info("Saved table %s (%d rows)", target, len(df))
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "table", "title": title or Path(name).stem,
                              "period": _period_summary(df), "rows": len(df),
                              "files": [str(target.relative_to(root))]})
    return target


def markdown(template: str, /, **values: object) -> Markdown:
    """Markdown for a notebook, with ``values`` from the data escaped before they are filled in.

    Names from the data (areas, indicators, notes) go into ``{name}`` fields of ``template``
    HTML-escaped, so that a name such as ``<script>`` is shown as text, never run, in the
    executed notebook and its HTML. The template itself is trusted (it is the notebook's text).

    Examples
    --------
    >>> markdown("## {area} ({code})", area="<b>Coventry</b>", code="E08000026").data
    '## &lt;b&gt;Coventry&lt;/b&gt; (E08000026)'
    """
    from IPython.display import Markdown

    return Markdown(template.format(**{k: html.escape(str(v)) for k, v in values.items()}))


def display_table(df: pd.DataFrame, *, caption: str | None = None) -> None:
    """Display every row of a table in a notebook (no index, optional caption).

    pandas truncates long frames to their first and last rows; report tables must show all
    of them. Falls back to plain text outside IPython.
    """
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        logger.info("%s\n%s", caption or "", df.to_string(index=False))
        return
    # Cells, headers and the caption hold names from the data (areas, indicators, notes):
    # escape them, so that a name such as "<script>" is shown, never run.
    styler = df.style.hide(axis="index").format(na_rep="—", precision=1, escape="html")
    styler = styler.format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    with pd.option_context("styler.render.max_rows", None,
                           "styler.render.max_elements", max(262144, df.size + 1)):
        display(styler)
