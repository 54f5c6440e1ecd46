"""The reports config (``config/reports.yaml``): which notebooks run, with which parameters."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import ConfigError
from cw_pophealth.geography import AreaLookup, get_geography

logger = logging.getLogger(__name__)

__all__ = ["ALL_UPPER_TIER", "ReportRun", "load_report_config"]

#: ``fan_out.values`` keyword meaning every county and unitary authority (Fingertips type 502).
ALL_UPPER_TIER = "all upper-tier"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ReportRun:
    """One notebook execution: where it goes and with which parameters.

    Attributes
    ----------
    name : str
        Folder name under ``reports/`` (letters, digits, ``_.-``).
    notebook : pathlib.Path
        The source notebook.
    parameters : dict
        Values for the notebook's ``parameters`` cell (``output_dir`` is added by the runner).
    title : str
        Heading in the report index.
    group : str
        The config entry the run came from (differs from ``name`` for fan-outs).
    slides : bool
        Export the figures for slides too (the entry's ``slides``, default true; see
        :attr:`cw_pophealth.config.Settings.slides`).
    """

    name: str
    notebook: Path
    parameters: dict = field(default_factory=dict)
    title: str = ""
    group: str = ""
    slides: bool = True


def _check_notebook(path: Path, where: str) -> Path:
    """The notebook's resolved path, after checking it exists and is a Jupyter notebook.

    Raises
    ------
    cw_pophealth.errors.ConfigError
        Naming the entry: missing file, not ``.ipynb``, or not notebook JSON.
    """
    path = path.resolve()
    if path.suffix != ".ipynb":
        raise ConfigError(f"{where}: notebook {path.name!r} is not a Jupyter notebook (a .ipynb "
                          "file); name one of the notebooks in notebooks/.")
    if not path.is_file():
        raise ConfigError(f"{where}: notebook {path} not found.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{where}: {path.name} is not a readable notebook ({exc}).") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise ConfigError(f"{where}: {path.name} is not a Jupyter notebook (no 'cells' list).")
    return path


def load_report_config(path: str | os.PathLike, *, settings: Settings | None = None,
                       geography: AreaLookup | None = None) -> list[ReportRun]:
    """Read the reports YAML into a list of :class:`ReportRun`.

    The file has a ``reports`` list; each entry has ``name``, ``notebook`` (relative to
    ``notebooks_dir``, which defaults to the project's ``notebooks/``), optional ``title`` and
    ``parameters``, and an optional ``fan_out`` that repeats the entry once per value of one
    parameter::

        reports:
          - name: area_profile
            notebook: area_profile.ipynb
            parameters: {benchmark_code: E92000001, period: latest}
            fan_out:
              parameter: area_code
              values: [E08000026, E10000031]     # or "all upper-tier"

    Fan-out runs are named ``<name>-<value>`` (e.g. ``area_profile-E08000026``).

    Raises
    ------
    cw_pophealth.errors.ConfigError
        Missing file, malformed YAML, missing keys, parameters that are not a mapping, duplicate
        or unsafe names, or a notebook that does not exist or is not a notebook.
    """
    settings = settings or get_settings()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Reports config {path} not found. Create it (see "
                          "config/reports.yaml in the repository) or pass --config.")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    entries = doc.get("reports") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path} needs a non-empty 'reports:' list of runs.")
    nb_dir = doc.get("notebooks_dir")
    nb_dir = (path.parent / nb_dir).resolve() if nb_dir else settings.notebooks_dir
    runs: list[ReportRun] = []
    for i, entry in enumerate(entries):
        where = f"{path}: reports[{i}]"
        if not isinstance(entry, dict) or "name" not in entry or "notebook" not in entry:
            raise ConfigError(f"{where} needs 'name' and 'notebook'.")
        name = str(entry["name"])
        notebook = _check_notebook(nb_dir / str(entry["notebook"]), f"{where} ({name})")
        params = entry.get("parameters") or {}
        if not isinstance(params, dict):
            raise ConfigError(
                f"{where} ({name}): 'parameters' must be a mapping of name: value, one per line "
                f"(e.g. 'area_code: E08000026'), not a {type(params).__name__}. Remove the '- ' "
                "in front of each parameter.")
        title = str(entry.get("title") or name.replace("_", " ").capitalize())
        slides = entry.get("slides", True)
        if not isinstance(slides, bool):
            raise ConfigError(f"{where} ({name}): 'slides' must be true or false, not "
                              f"{slides!r}.")
        fan = entry.get("fan_out")
        if fan is None:
            runs.append(ReportRun(name, notebook, params, title, name, slides))
            continue
        if not isinstance(fan, dict) or "parameter" not in fan or "values" not in fan:
            raise ConfigError(f"{where} ({name}): fan_out needs 'parameter' and 'values'.")
        values = fan["values"]
        if isinstance(values, dict) or values is None:
            raise ConfigError(f"{where} ({name}): fan_out values must be a list (or "
                              f"'{ALL_UPPER_TIER}'), not {values!r}.")
        if isinstance(values, str) and values.strip().lower() == ALL_UPPER_TIER:
            values = (geography or get_geography(settings)).upper_tier_areas()
        if isinstance(values, (str, int, float)):
            values = [values]
        for value in values:
            label = str(value)
            run_title = title
            if str(fan["parameter"]).endswith("_code"):
                with contextlib.suppress(Exception):
                    label_name = (geography or get_geography(settings)).name(label)
                    run_title = f"{title}: {label_name} ({label})"
            runs.append(ReportRun(f"{name}-{label}", notebook,
                                  {**params, str(fan["parameter"]): value}, run_title, name,
                                  slides))
    names = [r.name for r in runs]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise ConfigError(f"{path}: report name(s) {bad} must be letters, digits, '_', '.', '-'.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: report name(s) {dupes} appear more than once.")
    logger.info("Loaded %d report run(s) from %s", len(runs), path)
    return runs
