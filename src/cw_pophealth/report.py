"""The small surface a report notebook calls: check its parameters, save figures and tables.

A notebook run by ``make reports`` gets an ``output_dir`` parameter; :func:`save_figure` and
:func:`save_table` write there and record each output (title, data period, source) in
``outputs.json`` for the report index. Run interactively or by nbval, ``output_dir`` is ``""``
and nothing is saved.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cw_pophealth import __version__, atomic
from cw_pophealth.config import get_settings
from cw_pophealth.plots import alt_text, figure_metadata, figure_title
from cw_pophealth.plots.style import SAVE_RC_PARAMS
from cw_pophealth.runner.parameters import validate_parameters
from cw_pophealth.runner.state import OUTPUTS_FILE

if TYPE_CHECKING:
    from IPython.display import Markdown

logger = logging.getLogger(__name__)

__all__ = ["PNG_DPI", "SLIDES_PDF", "SLIDE_DPI", "FigureImage", "display_table", "glossary_html",
           "glossary_link", "markdown", "missing_as_text", "period_slug", "published_precision",
           "save_figure", "save_table", "show_figure", "validate_parameters"]


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
#: Resolution of the slide-ready PNG saved beside each figure.
SLIDE_DPI = 300
#: The one-file export of a report's figures, one per page, in ``<output_dir>/figures/``.
SLIDES_PDF = "figures.pdf"
#: CSS pixels per inch when a notebook shows a saved PNG (the browser's reference pixel).
_CSS_DPI = 96

# The figures saved so far into the output folder being written, in order, for the PDF: a
# kernel writes one report at a time, so a new folder starts a new list.
_PAGES: dict[str, object] = {"folder": None, "figures": {}}


class FigureImage:
    """A saved figure as a notebook shows it: the PNG in an ``<img>`` with its alt text.

    The executed notebook and its HTML carry the alt text that says what the figure shows
    (nbconvert would otherwise write the placeholder "No description has been provided for
    this image").

    Attributes
    ----------
    data : bytes
        The PNG, the very bytes saved.
    width : int
        Display width in CSS pixels (the PNG's natural size).
    alt : str
        The alternative text.
    """

    def __init__(self, data: bytes, width: int, alt: str) -> None:
        self.data, self.width, self.alt = data, width, alt

    def html(self) -> str:
        """The ``<img>`` element (alt text HTML-escaped)."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return (f'<img src="data:image/png;base64,{encoded}" width="{self.width}" '
                f'alt="{html.escape(self.alt, quote=True)}">')

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": self.alt}


def save_figure(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None = None,
                dpi: int = PNG_DPI) -> list[Path]:
    """Save a figure as PNG, SVG and a 300-dpi PNG, and add it to the report's slides PDF.

    The figure's title, source, data period and alt text are embedded in the PNG and SVG.
    SVG text stays text (``svg.fonttype: none``), so it can be edited in slides. Every figure
    saved into one ``output_dir`` is also a page of ``figures/figures.pdf`` (in the order
    saved), the one-file export of the report's figures.

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
        The PNG, the SVG and the 300-dpi PNG (``<stem>_300dpi.png``) written.

    See Also
    --------
    show_figure : save and show in the notebook, rendering each format once.
    """
    return _save(fig, stem, output_dir=output_dir, dpi=dpi)[1]


def show_figure(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None = None,
                dpi: int = PNG_DPI) -> list[Path]:
    """Save a figure as :func:`save_figure` does and show it in the notebook, closing it.

    The PNG is rendered once and the same bytes are both written and shown, with the figure's
    alt text (:func:`cw_pophealth.plots.alt_text`), and the figure is closed so that the
    notebook's inline backend does not render it again: each figure is rendered once per
    format. Shown at its natural size (the PNG's pixels at ``dpi``).

    Returns
    -------
    list of pathlib.Path
        The files written (``[]`` when ``output_dir`` is ``""``).
    """
    png, paths = _save(fig, stem, output_dir=output_dir, dpi=dpi)
    plt.close(fig)
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return paths
    width = int.from_bytes(png[16:20], "big")  # the PNG header's width, in pixels
    display(FigureImage(png, round(width * _CSS_DPI / dpi), alt_text(fig)))
    return paths


def _save(fig: Figure, stem: str, *, output_dir: str | os.PathLike | None,
          dpi: int) -> tuple[bytes, list[Path]]:
    """Render the PNG (always) and, when saving, write every format; record the outputs."""
    meta = figure_metadata(fig)
    title = meta.get("title") or figure_title(fig) or stem
    alt = alt_text(fig)
    description = (f"{alt} Source: {meta.get('source', '')}. "
                   f"Data period: {meta.get('period', '')}.")
    png_meta = {"Title": title, "Description": description,
                "Software": f"cw_pophealth {__version__}"}
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata=png_meta)
    png_bytes = buffer.getvalue()
    folder = _target_dir(output_dir, "figures", stem)
    if folder is None:
        logger.info("output_dir is empty: figure %r not saved", stem)
        return png_bytes, []
    base = folder / Path(stem).name
    png, svg = base.with_suffix(".png"), base.with_suffix(".svg")
    atomic.write_bytes(png, png_bytes)
    with plt.rc_context(SAVE_RC_PARAMS):
        atomic.write_via(svg, lambda tmp: fig.savefig(
            tmp, format="svg", bbox_inches="tight", facecolor="white",
            metadata={"Title": title, "Description": description, "Date": None}))
    paths = [png, svg]
    slides = get_settings().slides
    if slides:
        slide_png = base.with_name(f"{base.name}_{SLIDE_DPI}dpi.png")
        atomic.write_via(slide_png, lambda tmp: fig.savefig(
            tmp, format="png", dpi=SLIDE_DPI, bbox_inches="tight", facecolor="white",
            metadata=png_meta))
        paths.append(slide_png)
        logger.info("Saved figure %s (.png, .svg, %d-dpi .png)", base, SLIDE_DPI)
    else:
        logger.info("Saved figure %s (.png, .svg; slides off: CW_POPHEALTH_SLIDES)", base)
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "figure", "title": title, "alt": alt,
                              "period": meta.get("period"), "source": meta.get("source"),
                              "files": [str(p.relative_to(root)) for p in paths]})
        if slides:
            pdf = _add_page(folder, base.name, fig)
            _append_output(root, {"kind": "slides", "title": "Every figure of this report, "
                                  "one per page (PDF, for slides)",
                                  "pages": len(cast("dict", _PAGES["figures"])),
                                  "files": [str(pdf.relative_to(root))]})
    return png_bytes, paths


def _add_page(folder: Path, name: str, fig: Figure) -> Path:
    """Add ``fig`` to the report's PDF of figures and rewrite it, one figure per page."""
    from matplotlib.backends.backend_pdf import PdfPages

    if _PAGES["folder"] != str(folder):
        _PAGES.update(folder=str(folder), figures={})
    figures = cast("dict[str, Figure]", _PAGES["figures"])
    figures[name] = fig
    target = folder / SLIDES_PDF

    def write(tmp: str) -> None:
        # No creation date, so the same figures give the same bytes on every run.
        with PdfPages(tmp, metadata={"CreationDate": None, "Creator": f"cw_pophealth "
                                     f"{__version__}"}) as pages:
            for page in figures.values():
                page.savefig(pages, format="pdf", bbox_inches="tight", facecolor="white")

    atomic.write_via(target, write)
    logger.info("Wrote %s (%d page(s))", target, len(figures))
    return target


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
    published_precision(df).to_csv(target, index=False, encoding="utf-8")
    logger.info("Saved table %s (%d rows)", target, len(df))
    if output_dir is not None:
        root = Path(output_dir).expanduser().resolve()
        _append_output(root, {"kind": "table", "title": title or Path(name).stem,
                              "period": _period_summary(df), "rows": len(df),
                              "files": [str(target.relative_to(root))]})
    return target


#: Significant digits kept in saved tables: enough for every published value and computed
#: statistic, few enough to drop binary floating-point noise (18.200000000000003 -> 18.2).
TABLE_SIGNIFICANT_DIGITS = 12


def published_precision(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with float columns stripped of floating-point noise, for CSV.

    A gap computed as ``77.4 - 59.2`` is ``18.200000000000003`` in binary floating point;
    written as it is, a CSV shows digits that were never published. Each float is rounded to
    :data:`TABLE_SIGNIFICANT_DIGITS` significant digits, which keeps every digit a source
    published (they publish at most 6 decimal places) and every computed statistic's real
    precision, and drops the noise. Missing values stay missing.

    Examples
    --------
    >>> published_precision(pd.DataFrame({"gap": [77.4 - 59.2, None]}))["gap"].tolist()
    [18.2, nan]
    """
    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            values = out[column].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                magnitude = np.floor(np.log10(np.abs(values)))
            decimals = np.where(np.isfinite(magnitude),
                                TABLE_SIGNIFICANT_DIGITS - 1 - magnitude, 0).astype(int)
            rounded = [v if not np.isfinite(v) else round(float(v), int(d))
                       for v, d in zip(values, decimals, strict=True)]
            out[column] = pd.array(rounded, dtype=out[column].dtype)
    return out


def period_slug(period: object) -> str:
    """A report's period as a file-name part: "latest", or "2022-23" for ``"2022/23"``.

    Examples
    --------
    >>> period_slug("latest"), period_slug("2022/23"), period_slug("2021 - 23")
    ('latest', '2022-23', '2021-23')
    """
    text = str(period).strip()
    slug = "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug.lower() if slug.lower() in ("latest", "all") else (slug or "latest")


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


#: What a missing cell of a displayed table says when its row gives no reason.
MISSING_REASON = "not in the data"


def missing_as_text(df: pd.DataFrame, *, reason: str | dict[str, str] = MISSING_REASON
                    ) -> pd.DataFrame:
    """A copy of ``df`` in which every missing cell reads as an em dash with the reason.

    The reason is the row's ``status`` (or ``Status``) where that says something other than
    "OK", else ``reason`` (one text, or one per column). Numbers are kept as numbers
    elsewhere; no cell reads "NaN", "nan" or "<NA>".

    Examples
    --------
    >>> frame = pd.DataFrame({"area": ["A", "B"], "value": [1.0, None],
    ...                       "status": ["OK", "No data for B"]})
    >>> missing_as_text(frame)["value"].tolist()
    [1.0, '— (No data for B)']
    """
    status_col = next((c for c in ("status", "Status") if c in df.columns), None)
    out = df.copy()
    for column in out.columns:
        missing = out[column].isna()
        if not missing.any():
            continue
        default = reason.get(column, MISSING_REASON) if isinstance(reason, dict) else reason
        why = pd.Series(default, index=out.index, dtype=object)
        if status_col is not None and column != status_col:
            status = out[status_col].astype(object)
            has = status.notna() & (status.astype(str) != "OK") & (status.astype(str) != "")
            why = why.where(~has, status.astype(str))
        text = "— (" + why.astype(str) + ")"
        out[column] = out[column].astype(object).where(~missing, text)
    return out


def display_table(df: pd.DataFrame, *, caption: str | None = None,
                  missing: str | dict[str, str] = MISSING_REASON) -> None:
    """Display every row of a table in a notebook (no index, optional caption).

    pandas truncates long frames to their first and last rows; report tables must show all
    of them. A missing value reads as an em dash with the reason
    (:func:`missing_as_text`), never "NaN". Falls back to plain text outside IPython.

    Parameters
    ----------
    df : pandas.DataFrame
    caption : str, optional
    missing : str or dict of str to str, default "not in the data"
        Why a cell is missing, where its row's ``status`` does not say.
    """
    df = missing_as_text(df, reason=missing)
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


#: The glossary and data dictionary written beside each report's HTML.
GLOSSARY_FILE = "glossary.html"


def glossary_html() -> str:
    """The glossary and data dictionary as one HTML page, generated from the catalogue.

    The terms (window of need, confidence interval, polarity, the comparisons, ...) are
    :data:`cw_pophealth.catalogue.GLOSSARY`; the data dictionary has one row per indicator of
    the catalogue: its id, key, name, unit, polarity and definition
    (:data:`cw_pophealth.catalogue.DEFINITIONS`). Every text is HTML-escaped.

    Examples
    --------
    >>> "Window of need" in glossary_html() and "92443" in glossary_html()
    True
    """
    from cw_pophealth import catalogue

    esc = html.escape
    terms = "\n".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>"
                      for term, text in catalogue.GLOSSARY)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in (
            spec.indicator_id if not catalogue.is_local_indicator(spec.indicator_id)
            else f"{spec.indicator_id} (local id, not Fingertips)",
            spec.key, spec.name, spec.unit,
            catalogue.POLARITY_WORDS.get(spec.polarity, str(spec.polarity)),
            ", ".join(spec.sexes), catalogue.definition(spec.key) or "—")) + "</tr>"
        for spec in catalogue.all_indicators())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glossary and data dictionary: cw_pophealth</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto;
       padding: 0 1rem; line-height: 1.45; }}
dt {{ font-weight: bold; margin-top: 0.6rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left;
          vertical-align: top; overflow-wrap: anywhere; }}
</style>
</head>
<body>
<h1>Glossary and data dictionary</h1>
<h2>Terms</h2>
<dl>
{terms}
</dl>
<h2>Indicators</h2>
<table>
<thead><tr><th>Id</th><th>Key</th><th>Name</th><th>Unit</th><th>Polarity</th><th>Sexes</th>
<th>Definition</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>Generated by cw_pophealth {esc(__version__)} from <code>cw_pophealth.catalogue</code>.</p>
</body>
</html>
"""


def glossary_link(*, output_dir: str | os.PathLike | None = "") -> Markdown:
    """Write the glossary beside the report and return a Markdown link to it.

    Parameters
    ----------
    output_dir : str or path-like
        The report's output folder: ``glossary.html`` (:func:`glossary_html`) is written
        there, beside the report's HTML, and recorded for the index. ``""`` writes nothing
        (the link is still shown).

    Returns
    -------
    IPython.display.Markdown
    """
    from IPython.display import Markdown

    if output_dir is not None and str(output_dir).strip():
        root = Path(output_dir).expanduser().resolve()
        atomic.write_text(root / GLOSSARY_FILE, glossary_html())
        _append_output(root, {"kind": "glossary", "title": "Glossary and data dictionary",
                              "files": [GLOSSARY_FILE]})
        logger.info("Wrote %s", root / GLOSSARY_FILE)
    return Markdown(f"[Glossary and data dictionary]({GLOSSARY_FILE}): what the window of "
                    "need, a confidence interval, polarity and each indicator mean.")
