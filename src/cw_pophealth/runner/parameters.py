"""Checking a notebook's parameters before it runs, so that a bad one stops nothing halfway.

Each failure is a :class:`~cw_pophealth.errors.ParameterError` whose message starts with the
parameter's name and says what to use instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cw_pophealth import catalogue, schema
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import ParameterError, UnknownIndicatorError
from cw_pophealth.geography import AreaLookup, get_geography
from cw_pophealth.periods import ALL_PERIODS, LATEST, period_order
from cw_pophealth.runner.notebooks import notebook_indicators, notebook_parameters, notebook_path

logger = logging.getLogger(__name__)

__all__ = ["OUTPUT_DIR_PARAMETER", "validate_parameters"]

#: Parameter every report notebook declares; the runner sets it to the staging folder.
OUTPUT_DIR_PARAMETER = "output_dir"


_TYPE_CHECKS = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "list": (list, tuple),
    "dict": (dict,),
}


def _check_type(name: str, value: Any, declared: str | None) -> None:
    if not declared or declared == "None":
        return
    base = declared.split("[")[0].strip().lower()
    allowed = _TYPE_CHECKS.get(base)
    if allowed is None:
        return
    ok = isinstance(value, allowed) and not (base in ("int", "float") and isinstance(value, bool))
    if not ok:
        raise ParameterError(f"{name}={value!r} should be a {declared} (as declared in the "
                             "notebook's parameters cell).")


def validate_parameters(notebook: str | os.PathLike, parameters: Mapping[str, Any], *,
                        table: pd.DataFrame | None = None,
                        geography: AreaLookup | None = None,
                        settings: Settings | None = None) -> dict:
    """Check a notebook's parameters before it runs; return them normalised.

    Checks, each failing with a :class:`~cw_pophealth.errors.ParameterError` whose message
    starts with the parameter's name:

    * every name is declared in the notebook's ``parameters`` cell, with the declared type;
    * ``*_code`` / ``*_codes``: ONS form and a current English area (upper-cased on return);
      ``area_codes`` may also name an Integrated Care Board, which must expand to its
      upper-tier authorities;
    * ``indicator_keys``: catalogue keys or Fingertips ids;
    * ``sexes``: Persons/Male/Female; ``confidence``: 0.95 or 0.998;
    * ``period``: ``"latest"``, ``"all"`` or a label with data for the notebook's indicators
      and areas;
    * ``area_code``: the area has some data for the notebook's indicators.

    Parameters
    ----------
    notebook : str or path-like
        Notebook path, or its name in ``notebooks/`` (``"area_profile"``).
    parameters : mapping
        The values to check (``output_dir`` may be included).
    table : pandas.DataFrame, optional
        The tidy table, for the data checks (loaded when omitted).
    geography : cw_pophealth.geography.AreaLookup, optional
    settings : Settings, optional

    Returns
    -------
    dict
        The parameters with area codes upper-cased.

    Raises
    ------
    cw_pophealth.errors.ParameterError
    """
    settings = settings or get_settings()
    declared = notebook_parameters(notebook, settings=settings)
    nb_name = notebook_path(notebook, settings).name
    out = dict(parameters)
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(
                f"{name}: not a parameter of {nb_name}. Its parameters are "
                f"{', '.join(sorted(declared))}.")
        _check_type(name, value, declared[name].get("inferred_type_name"))
    geo = None

    def lookup():
        nonlocal geo
        geo = geo or geography or get_geography(settings)
        return geo

    area_codes: list[str] = []
    for name, value in parameters.items():
        if name.endswith("_code"):
            out[name] = lookup().require(value, name)
            area_codes.append(out[name])
        elif name.endswith("_codes"):
            values = [value] if isinstance(value, str) else list(value)
            if not values and name == "area_codes":
                raise ParameterError(f"{name}: give at least one area code.")
            checked = []
            for i, v in enumerate(values):
                if name == "area_codes" and lookup().is_icb(v):
                    # An ICB stands for its upper-tier authorities (the message says why not).
                    code = str(v).strip().upper()
                    area_codes.extend(lookup().icb_constituents(code).constituents)
                    checked.append(code)
                else:
                    checked.append(lookup().require(v, f"{name}[{i}]"))
                    area_codes.append(checked[-1])
            out[name] = checked
    keys = None
    if "indicator_keys" in parameters:
        values = parameters["indicator_keys"]
        values = [values] if isinstance(values, (str, int)) else list(values)
        if not values:
            raise ParameterError("indicator_keys: give at least one indicator key.")
        keys = []
        for i, key in enumerate(values):
            try:
                keys.append(catalogue.indicator_spec(key).key)
            except UnknownIndicatorError as exc:
                raise UnknownIndicatorError(f"indicator_keys[{i}]={key!r}: {exc}") from exc
    if "sexes" in parameters:
        bad = [s for s in parameters["sexes"] if s not in schema.SEXES]
        if bad or not parameters["sexes"]:
            raise ParameterError(f"sexes={parameters['sexes']!r}: use some of {schema.SEXES}.")
    if "confidence" in parameters and parameters["confidence"] not in (0.95, 0.998):
        raise ParameterError(f"confidence={parameters['confidence']!r}: use 0.95 or 0.998.")
    needs_data = "period" in parameters or "area_code" in parameters
    if needs_data:
        if table is None:
            from cw_pophealth import snapshot

            table = snapshot.load_indicators(settings)
        keys = keys or notebook_indicators(notebook, settings=settings) or [
            s.key for s in catalogue.CORE_INDICATORS]
        ids = [catalogue.indicator_spec(k).indicator_id for k in keys]
        # Masks, not row copies: a fan-out checks every area in turn before any run starts.
        has_data = table["indicator_id"].isin(ids) & table["value"].notna()
        if "area_code" in out and not (has_data & (table["area_code"] == out["area_code"])).any():
            raise ParameterError(
                f"area_code={out['area_code']!r} ({lookup().name(out['area_code'])}) has no "
                f"data in the snapshot for any of the indicators {', '.join(map(str, ids))}.")
        period = parameters.get("period")
        if isinstance(period, str) and period.strip().lower() not in (LATEST, ALL_PERIODS):
            in_areas = table.loc[has_data & table["area_code"].isin(area_codes)
                                 if area_codes else has_data]
            available = period_order(in_areas)
            if period.strip() not in available:
                raise ParameterError(
                    f"period={period!r}: no data for indicator(s) {', '.join(map(str, ids))} in "
                    f"{', '.join(area_codes) or 'any area'}. Use 'latest' or one of: "
                    f"{', '.join(available) or 'none'}.")
    logger.info("Parameters for %s are valid: %s", nb_name,
                {k: v for k, v in out.items() if k != OUTPUT_DIR_PARAMETER})
    return out
