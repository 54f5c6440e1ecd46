"""What a notebook declares: its ``parameters`` cell and the indicators in its metadata.

Both are read once per notebook version: papermill's inspection and the metadata are cached in
``<reports_dir>/.state/_notebook_inspection.json`` by the sha256 of the notebook's bytes, so a
``make reports`` with nothing changed imports neither papermill nor nbformat.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cw_pophealth import atomic
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.runner.state import STATE_DIR

logger = logging.getLogger(__name__)

__all__ = ["INSPECTION_CACHE_FILE", "INSPECTION_CACHE_FORMAT", "inspection_cache_path",
           "notebook_indicators", "notebook_parameters", "notebook_path"]

#: Cache of notebook inspections in the reports' state folder (see :func:`notebook_parameters`).
INSPECTION_CACHE_FILE = "_notebook_inspection.json"
INSPECTION_CACHE_FORMAT = 1


def notebook_path(notebook: str | os.PathLike, settings: Settings) -> Path:
    """A notebook's path: the path given, or ``notebooks/<name>.ipynb`` for a bare name."""
    path = Path(notebook)
    if path.suffix != ".ipynb":
        path = settings.notebooks_dir / f"{notebook}.ipynb"
    return path


def inspection_cache_path(settings: Settings) -> Path:
    """Where notebook inspections are cached: ``<reports_dir>/.state/_notebook_inspection.json``.

    Run names start with a letter or digit, so the file never clashes with a run's stamp.
    """
    return settings.reports_dir / STATE_DIR / INSPECTION_CACHE_FILE


@functools.cache
def _inspection_tool_versions() -> dict[str, str | None]:
    """The installed papermill and nbformat versions, read without importing either."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in ("papermill", "nbformat"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def _valid_parameters(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, dict) for k, v in value.items())


def _valid_indicators(value: Any) -> bool:
    return value is None or isinstance(value, list)


#: What each cached field of an inspection must look like; anything else is recomputed.
_INSPECTION_FIELDS = {"parameters": _valid_parameters, "indicators": _valid_indicators}


def _read_inspection_cache(path: Path) -> dict[str, dict]:
    """The cache's entries by notebook sha256; ``{}`` when missing, unreadable or not ours."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
        logger.warning("Ignoring unreadable notebook-inspection cache %s: %s", path, exc)
        return {}
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if (not isinstance(doc, dict) or doc.get("format") != INSPECTION_CACHE_FORMAT
            or not isinstance(entries, dict)):
        logger.warning("Ignoring notebook-inspection cache %s: not in the expected format", path)
        return {}
    return {k: v for k, v in entries.items() if isinstance(v, dict)}


def _cached_inspection(path: Path, field: str, compute: Callable[[], Any],
                       settings: Settings) -> Any:
    """One field of a notebook's inspection, reused while the notebook's bytes are unchanged.

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    field : {"parameters", "indicators"}
        Which result: papermill's parameter inspection, or the indicators in the metadata.
    compute : callable
        Produces the value from the notebook (imports papermill or nbformat); called on a
        cache miss only. Its exceptions propagate and nothing is cached.
    settings : Settings
        Gives the cache file (:func:`inspection_cache_path`).

    Returns
    -------
    object
        ``compute()``'s value, or an equal one rebuilt from the cache.

    Notes
    -----
    An entry is keyed by the sha256 of the notebook file's bytes and records the papermill
    and nbformat versions that produced it; it is used only when both match and the field has
    the expected shape, so a corrupt or foreign cache costs one recomputation, never a wrong
    answer. A value is stored only if the notebook did not change while it was computed and
    it survives a JSON round trip unchanged. Failing to write the cache is logged, not raised.
    """
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return compute()  # a missing notebook: let papermill/nbformat raise their own error
    cache_file = inspection_cache_path(settings)
    versions = _inspection_tool_versions()
    entry = _read_inspection_cache(cache_file).get(sha)
    if (entry is not None and all(entry.get(k) == v for k, v in versions.items())
            and field in entry and _INSPECTION_FIELDS[field](entry[field])):
        logger.debug("Notebook %s %s served from %s", path.name, field, cache_file)
        return entry[field]
    value = compute()
    try:
        unchanged = hashlib.sha256(path.read_bytes()).hexdigest() == sha
        if not unchanged or json.loads(json.dumps(value)) != value:
            return value
        entries = _read_inspection_cache(cache_file)
        entry = entries.get(sha)
        if entry is None or any(entry.get(k) != v for k, v in versions.items()):
            entry = {"notebook": str(path), **versions}
        entry[field] = value
        # Older entries for this notebook file can never match again: drop them.
        entries = {k: v for k, v in entries.items() if v.get("notebook") != str(path)}
        entries[sha] = entry
        atomic.write_json(cache_file, {"format": INSPECTION_CACHE_FORMAT, "entries": entries},
                          sort_keys=True)
    except (OSError, TypeError, ValueError) as exc:
        logger.warning("Could not cache the inspection of %s in %s: %s", path.name, cache_file,
                       exc)
    return value


def notebook_parameters(notebook: str | os.PathLike, *, settings: Settings | None = None
                        ) -> dict[str, dict]:
    """The notebook's declared parameters (papermill's inspection of the ``parameters`` cell).

    The result is cached in ``<reports_dir>/.state/`` by the notebook file's sha256 (and the
    papermill version), so an unchanged notebook is not inspected again and papermill is not
    even imported.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/`` (``"area_profile"``).
    settings : Settings, optional
        Gives ``notebooks_dir`` and the cache's folder (``reports_dir``).

    Returns
    -------
    dict
        ``{name: {"name": ..., "inferred_type_name": ..., "default": ..., "help": ...}}``.
    """
    settings = settings or get_settings()
    path = notebook_path(notebook, settings)

    def inspect() -> dict[str, dict]:
        import papermill

        return dict(papermill.inspect_notebook(str(path)))

    if "{" in str(path) or "}" in str(path):
        # papermill formats these as a path template, so it may not read this file's bytes.
        return inspect()
    return _cached_inspection(path, "parameters", inspect, settings)


def notebook_indicators(notebook: str | os.PathLike, *, settings: Settings | None = None
                        ) -> list[str] | None:
    """Indicator keys a notebook declares in its metadata (``metadata.cw_pophealth.indicators``).

    Cached like :func:`notebook_parameters` (keyed by the file's sha256 and the nbformat
    version), so an unchanged notebook is not parsed again.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/``.
    settings : Settings, optional

    Returns
    -------
    list or None
        ``None`` when the notebook declares none.
    """
    settings = settings or get_settings()
    path = notebook_path(notebook, settings)

    def read() -> list[str] | None:
        import nbformat

        nb = nbformat.read(path, as_version=4)
        keys = nb.metadata.get("cw_pophealth", {}).get("indicators")
        return list(keys) if keys else None

    return _cached_inspection(path, "indicators", read, settings)
