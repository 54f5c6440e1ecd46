"""Claims: a strategy document's numeric statements, checked against the data.

A claims file is plain YAML (see ``../shared/claims/prevention-framework-2024.yaml``)::

    document: "..."
    claims:
      - {id: won-cov-m, text: "...", area: E08000026, measure: window_of_need, sex: Male,
         period: "2021 - 23", value: 18.9, unit: years}
      - {id: inactive-war, text: "...", area: E10000031, indicator: 93015, period: "2022/23",
         value: 24.5, unit: "%"}

``indicator`` is a Fingertips id (or catalogue key); text there ("not named") means the document
names none. ``period`` starts with a period label; words after it are kept as the document's
own note. ``value``'s decimals are the claim's precision (``decimals:`` overrides). Files are
read in place from the claims folder (:attr:`cw_pophealth.config.Settings.claims_dir`).

Each claim gets one verdict (:data:`VERDICTS`):

``reproduced``
    the published value, rounded to the claim's precision, is the claim;
``differs by rounding``
    not reproduced, but within what rounding allows: half a unit of the claim's last place plus
    half a unit of each published input's (a window of need from LE and HLE published to 1 dp
    allows 0.05 + 0.05 + 0.05 = 0.15);
``contradicted``
    the published value differs by more; the report shows it and any area or period of the
    data that does match the claim;
``not checkable offline``
    the data hold no value for the claim's area and period (or the document names no
    indicator); the report says what a live pull would fetch.

Where the claim's figure appears elsewhere in the data (another area or period of the same
indicator, among the document's own areas and England), ``matches`` lists it: the Prevention
Framework's "Warwickshire" inactivity 24.5 is Coventry's published 2022/23 value.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cw_pophealth import catalogue
from cw_pophealth.analysis.releases import short_release
from cw_pophealth.analysis.selection import select
from cw_pophealth.analysis.window_of_need import window_of_need
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import ParameterError, UnknownIndicatorError
from cw_pophealth.periods import fingertips_range_label, parse_period

logger = logging.getLogger(__name__)

__all__ = ["CONTRADICTED", "NOT_CHECKABLE", "REPRODUCED", "ROUNDING", "VERDICTS", "Claim",
           "ClaimsFile", "check_claims", "load_claims", "present_claims"]

REPRODUCED = "reproduced"
ROUNDING = "differs by rounding"
CONTRADICTED = "contradicted"
NOT_CHECKABLE = "not checkable offline"
VERDICTS = (REPRODUCED, ROUNDING, CONTRADICTED, NOT_CHECKABLE)
WINDOW_OF_NEED = "window_of_need"
_PERIOD = re.compile(r"^\s*(\d{4}/\d{2}(?:\s*-\s*\d{2}/\d{2})?|\d{4}\s*-\s*\d{2,4}|\d{4})")
_ROUNDED = re.compile(r"rounded to (\d) dp")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Claim:
    """One numeric statement of a document.

    Attributes
    ----------
    id, text : str
        The file's id and the statement as published.
    area : str
        ONS code of the area the statement is about.
    value : float
        The number stated; ``decimals`` its precision.
    decimals : int
    unit : str
    period : str
        The period label the statement gives (e.g. ``"2022/23"``); ``period_note`` any words the
        file adds ("as stated; smoking is published by calendar year").
    period_note : str
    measure : str
        ``"window_of_need"`` or ``"indicator"``.
    indicator_id : int or None
        The Fingertips (or local) id; ``None`` when the document names none
        (``indicator_note`` then keeps the file's words).
    indicator_note : str
    sex : str
    """

    id: str
    text: str
    area: str
    value: float
    decimals: int
    unit: str
    period: str
    period_note: str
    measure: str
    indicator_id: int | None
    indicator_note: str
    sex: str = "Persons"


@dataclass(frozen=True)
class ClaimsFile:
    """A document's claims, as read from its YAML file."""

    document: str
    path: Path
    claims: tuple[Claim, ...]
    other: dict[str, Any] = field(default_factory=dict)


def _decimals(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ParameterError(f"value={raw!r}: a claim's value must be a number.")
    if isinstance(raw, int):
        return 0
    text = repr(float(raw))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _claim(entry: dict, where: str) -> Claim:
    missing = [k for k in ("id", "text", "area", "period", "value") if k not in entry]
    if missing:
        raise ParameterError(f"{where}: claim {entry.get('id', '?')!r} lacks {missing}.")
    period_text = str(entry["period"])
    match = _PERIOD.match(period_text)
    if not match:
        raise ParameterError(f"{where}: claim {entry['id']!r} has period {period_text!r}, which "
                             "does not start with a period label such as '2022/23'.")
    label = fingertips_range_label(match[1])
    measure = str(entry.get("measure", "indicator"))
    indicator = entry.get("indicator")
    indicator_id: int | None = None
    note = ""
    if measure != WINDOW_OF_NEED:
        try:
            indicator_id = catalogue.indicator_spec(indicator).indicator_id
        except UnknownIndicatorError:
            if isinstance(indicator, int):
                indicator_id = indicator
            else:
                note = "" if indicator is None else str(indicator)
    decimals = int(entry["decimals"]) if "decimals" in entry else _decimals(entry["value"])
    return Claim(id=str(entry["id"]), text=str(entry["text"]),
                 area=str(entry["area"]).strip().upper(), value=float(entry["value"]),
                 decimals=decimals, unit=str(entry.get("unit", "")), period=label,
                 period_note=period_text[match.end():].strip(" ()"), measure=measure,
                 indicator_id=indicator_id, indicator_note=note,
                 sex=str(entry.get("sex", "Persons")))


def load_claims(path: str | Path, settings: Settings | None = None) -> ClaimsFile:
    """Read a claims file (plain YAML; see the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        A path to the file, or its name in the claims folder
        (:meth:`cw_pophealth.config.Settings.claims_file`).
    settings : Settings, optional

    Returns
    -------
    ClaimsFile

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If the file is not found (the message names CW_POPHEALTH_CLAIMS).
    cw_pophealth.errors.ParameterError
        If the file is not a mapping with a ``claims`` list, or a claim lacks a field, has a
        period that does not start with a label, or a value that is not a number.
    """
    path = (settings or get_settings()).claims_file(str(path))
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(content, dict) or not isinstance(content.get("claims"), list):
        raise ParameterError(f"{path}: a claims file is a YAML mapping with a 'claims' list.")
    claims = tuple(_claim(entry, str(path)) for entry in content["claims"])
    other = {k: v for k, v in content.items() if k not in ("document", "claims")}
    logger.info("Read %d claims from %s", len(claims), path)
    return ClaimsFile(str(content.get("document", path.stem)), path, claims, other)


def _round(value: float, decimals: int) -> float:
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def _half_unit(value: float, source: object) -> float:
    """Half a unit of the last place a value is published to (the source says, else its
    digits)."""
    stated = _ROUNDED.search(str(source))
    if stated:
        places = int(stated[1])
    else:
        text = repr(float(value))
        places = min(len(text.split(".")[1]), 6) if "." in text else 0
    return 0.5 * 10.0 ** -places


def _verdict(published: float, claim: Claim, published_half: float) -> tuple[str, float]:
    allowance = 0.5 * 10.0 ** -claim.decimals + published_half
    if abs(_round(published, claim.decimals) - claim.value) < _TOLERANCE:
        return REPRODUCED, allowance
    if abs(published - claim.value) < allowance - _TOLERANCE:
        return ROUNDING, allowance
    return CONTRADICTED, allowance


_RANK = {REPRODUCED: 0, ROUNDING: 1, CONTRADICTED: 2}


def _candidates(rows: pd.DataFrame, claim: Claim) -> tuple[pd.DataFrame, str]:
    """Rows of the claim's period: the same label, else the periods overlapping its dates."""
    same = rows.loc[rows["period"] == claim.period]
    if len(same):
        return same, ""
    start, end = parse_period(claim.period)
    overlap = rows.loc[(rows["period_start"] <= end) & (rows["period_end"] >= start)]
    if overlap.empty:
        return overlap, ""
    labels = ", ".join(dict.fromkeys(overlap["period"]))
    return overlap, (f"the data have no period '{claim.period}' for this indicator; compared "
                     f"with {labels}, which overlap it")


def _live_pull(claim: Claim, area_name: str, what: str | None = None) -> str:
    ident = what or f"Fingertips {claim.indicator_id}"
    return f"a live pull of {ident} for {area_name} ({claim.area}) would fetch {claim.period}"


def _unit_candidates(claim: Claim) -> list[catalogue.IndicatorSpec]:
    words = set(re.findall(r"[a-z]+", f"{claim.id} {claim.text}".casefold()))
    return [s for s in catalogue.all_indicators()
            if s.unit == claim.unit and not catalogue.is_local_indicator(s.indicator_id)
            and (set(s.key.split("_")) & words)]


def _second_source(table: pd.DataFrame, claim: Claim, area_name: str) -> str:
    local = catalogue.SECOND_SOURCES.get(claim.indicator_id or 0)
    if local is None:
        return ""
    rows = select(table, indicator_id=local, area_codes=[claim.area]).dropna(subset=["value"])
    rows = rows.loc[rows["period"].isin(_candidates(rows, claim)[0]["period"])]
    if rows.empty:
        return ""
    spec = catalogue.indicator_spec(local)
    values = ", ".join(f"{p} {v:g}" for p, v in zip(rows["period"], rows["value"], strict=True))
    return f"{spec.short_name} ({local}, a second source, not {claim.indicator_id}): {area_name} "\
           f"{values}"


def _show(value: float) -> str:
    """A value as published (``10.0``, ``14.1038``)."""
    return repr(float(value))


def _matches(rows: pd.DataFrame, claim: Claim, exclude: set[tuple[str, str]], *,
             value: str = "value") -> str:
    """Where ``rows`` reproduce the claim's figure: another area or period whose value rounds
    to it (near misses within rounding are not listed: they would be coincidences)."""
    found = []
    for row in rows.sort_values(["area_code", "period_start"]).itertuples(index=False):
        published = getattr(row, value)
        if pd.isna(published) or (row.area_code, row.period) in exclude:
            continue
        if abs(_round(float(published), claim.decimals) - claim.value) < _TOLERANCE:
            found.append(f"{row.area_name} {row.period}: {_show(round(float(published), 4))} "
                         f"({short_release(row.release)})")
    return "; ".join(found)


def _not_ruled_out(rows: pd.DataFrame, claim: Claim, areas: list[str],
                   names: dict[str, str]) -> str:
    """The document's other areas that have no value for the claimed period offline, so a
    figure of theirs cannot be ruled out (a document may put one area's value under another's
    name)."""
    valued = rows.dropna(subset=["value"])
    candidates = _candidates(valued, claim)[0]
    labels = " and ".join(dict.fromkeys(candidates["period"])) or claim.period
    held = set(candidates["area_code"])
    missing = [a for a in areas if a not in held and a != claim.area]
    return "; ".join(f"{names.get(a, a)} {labels}: not in the offline data; a live pull would "
                     "show whether the figure is this area's" for a in missing)


def _check_indicator(table: pd.DataFrame, claim: Claim, names: dict[str, str],
                     match_areas: list[str], document_areas: list[str]) -> dict[str, Any]:
    area_name = names.get(claim.area, claim.area)
    if claim.indicator_id is None:
        hints = _unit_candidates(claim)
        hint = " ".join(
            f"Fingertips {s.indicator_id} ({s.name}) is the nearest catalogued measure in "
            f"{claim.unit}" + (": not in the offline data; a live pull would fetch it for "
                               f"{area_name}." if select(table, indicator_id=s.indicator_id)[
                                   "value"].isna().all() else ".") for s in hints)
        return {"verdict": NOT_CHECKABLE,
                "explanation": f"the document names no indicator ('{claim.indicator_note}'), "
                               "so the figure cannot be matched to a published series",
                "live_pull": (hint + " " if hint else "") + "Name the indicator in the claims "
                             "file to check the claim against it."}
    rows = select(table, indicator_id=claim.indicator_id, sex=claim.sex).assign(
        release=lambda d: d["release"])
    area_rows = rows.loc[rows["area_code"] == claim.area].dropna(subset=["value"])
    candidates, how = _candidates(area_rows, claim)
    out: dict[str, Any] = {"second_source": _second_source(table, claim, area_name)}
    exclude = {(claim.area, p) for p in candidates["period"]}
    in_scope = rows.loc[rows["area_code"].isin(match_areas)]
    out["matches"] = _matches(in_scope, claim, exclude)
    out["not_ruled_out"] = _not_ruled_out(in_scope, claim, document_areas, names)
    if candidates.empty:
        latest = area_rows.sort_values("period_end").tail(1)
        held = ("" if latest.empty else
                f"; the data hold {area_name} {latest['period'].iloc[0]}: "
                f"{_show(latest['value'].iloc[0])} "
                f"({short_release(latest['release'].iloc[0])})")
        labels = list(dict.fromkeys(_candidates(rows.dropna(subset=["value"]), claim)[0]
                                    ["period"])) or [claim.period]
        return {**out, "verdict": NOT_CHECKABLE,
                "explanation": f"no {claim.indicator_id} value for {area_name} in "
                               f"{claim.period} in the offline data{held}",
                "live_pull": f"a live pull of Fingertips {claim.indicator_id} for {area_name} "
                             f"({claim.area}) would fetch {' and '.join(labels)}"}
    judged = []
    for row in candidates.itertuples(index=False):
        verdict, allowance = _verdict(float(row.value), claim, _half_unit(row.value, row.source))
        judged.append((_RANK[verdict], verdict, allowance, row))
    _, verdict, allowance, best = min(judged, key=lambda j: j[0])
    published = "; ".join(f"{_show(r.value)} ({r.period}, {short_release(r.release)})"
                          for *_, r in judged)
    explanation = {
        REPRODUCED: f"{area_name} {best.period} is {_show(best.value)}, which rounds to the "
                    "claim",
        ROUNDING: f"{area_name} {best.period} is {_show(best.value)}; rounding allows a "
                  f"difference of up to {allowance:.2f}",
        CONTRADICTED: f"{area_name} {claim.period} is published as {published}, which differs "
                      f"from the claim by more than rounding allows ({allowance:.2f})",
    }[verdict]
    return {**out, "verdict": verdict, "published": published,
            "published_value": float(best.value), "published_period": best.period,
            "release": best.release, "difference": float(best.value) - claim.value,
            "rounding_allowance": allowance,
            "explanation": explanation + (f"; {how}" if how else "")}


def _check_window_of_need(table: pd.DataFrame, claim: Claim, names: dict[str, str],
                          match_areas: list[str], document_areas: list[str]) -> dict[str, Any]:
    area_name = names.get(claim.area, claim.area)
    won = window_of_need(table, list(dict.fromkeys([claim.area, *match_areas])),
                         sexes=[claim.sex], period="all").rename(
        columns={"le_release": "release"})
    out: dict[str, Any] = {"matches": _matches(won, claim, {(claim.area, claim.period)},
                                               value="gap")}
    row = won.loc[(won["area_code"] == claim.area) & (won["period"] == claim.period)]
    if row.empty or pd.isna(row["gap"].iloc[0]):
        held = row.iloc[0] if len(row) else None
        missing = []
        if held is None or pd.isna(held["le"]):
            missing.append(f"Fingertips {catalogue.LIFE_EXPECTANCY_ID} (life expectancy)")
        if held is None or pd.isna(held["hle"]):
            missing.append(f"Fingertips {catalogue.HEALTHY_LIFE_EXPECTANCY_ID} (healthy life "
                           "expectancy)")
        status = "no LE or HLE" if held is None else str(held["status"])
        implied = ""
        if held is not None and pd.notna(held["hle"]) and pd.isna(held["le"]):
            implied = (f"; with the data's HLE for {claim.period} ({held['hle']:g}), the claim "
                       f"implies a life expectancy of {claim.value + held['hle']:.1f}")
        return {**out, "verdict": NOT_CHECKABLE,
                "explanation": f"{area_name} {claim.period}: {status}{implied}",
                "live_pull": _live_pull(claim, area_name, " and ".join(missing) or None)}
    best = row.iloc[0]
    inputs_half = _half_unit(best["le"], best["le_source"]) + _half_unit(
        best["hle"], best["hle_source"])
    verdict, allowance = _verdict(float(best["gap"]), claim, inputs_half)
    gap = round(float(best["gap"]), 4)
    published = (f"{_show(gap)} = LE {_show(best['le'])} - HLE {_show(best['hle'])} "
                 f"({best['period']}; LE {short_release(best['release'])}, HLE "
                 f"{short_release(best['hle_release'])})")
    spread = (f"LE and HLE are published rounded, so the unrounded gap lies between "
              f"{gap - inputs_half:.2f} and {gap + inputs_half:.2f}")
    explanation = {
        REPRODUCED: "the published LE minus HLE rounds to the claim",
        ROUNDING: f"{spread}; the claim is consistent with it: rounding allows a difference of "
                  f"up to {allowance:.2f} (half a unit of the claim's last place, "
                  f"{0.5 * 10.0 ** -claim.decimals:g}, plus {inputs_half:g} for the inputs)",
        CONTRADICTED: f"{spread}; the claim differs by more than rounding allows "
                      f"({allowance:.2f})",
    }[verdict]
    return {**out, "verdict": verdict, "published": published,
            "published_value": float(best["gap"]), "published_period": best["period"],
            "release": best["release"], "difference": float(best["gap"]) - claim.value,
            "rounding_allowance": allowance, "explanation": explanation}


def check_claims(table: pd.DataFrame, claims: ClaimsFile, *,
                 match_areas: list[str] | None = None) -> pd.DataFrame:
    """Each claim beside the data, with its verdict (:data:`VERDICTS`).

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (every release; current rows are compared).
    claims : ClaimsFile
        :func:`load_claims` output.
    match_areas : list of str, optional
        Where to look for the claim's figure elsewhere (``matches``); default the document's own
        areas and England.

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``claim_id``, ``text``, ``area_code``, ``area_name``, ``measure``,
        ``sex``, ``claimed_period``, ``period_note``, ``claimed_value``, ``unit``, ``verdict``,
        ``published``, ``published_value``, ``published_period``, ``release``, ``difference``,
        ``rounding_allowance``, ``explanation``, ``matches`` (other areas or periods whose
        published value is the claim's figure), ``not_ruled_out`` (the document's other areas
        with no value for the claimed period offline), ``second_source``, ``live_pull``.
    """
    areas = list(dict.fromkeys([*(c.area for c in claims.claims), catalogue.ENGLAND]))
    match_areas = list(match_areas) if match_areas is not None else areas
    names = (table.dropna(subset=["area_name"]).drop_duplicates("area_code")
             .set_index("area_code")["area_name"].to_dict())
    records = []
    for claim in claims.claims:
        check = (_check_window_of_need if claim.measure == WINDOW_OF_NEED
                 else _check_indicator)(table, claim, names, match_areas, areas[:-1])
        records.append({
            "claim_id": claim.id, "text": claim.text, "area_code": claim.area,
            "area_name": names.get(claim.area, claim.area),
            "measure": ("window of need (LE - HLE)" if claim.measure == WINDOW_OF_NEED else
                        str(claim.indicator_id) if claim.indicator_id is not None
                        else f"not named ({claim.indicator_note})"),
            "sex": claim.sex, "claimed_period": claim.period, "period_note": claim.period_note,
            "claimed_value": claim.value, "unit": claim.unit, **check})
    columns = ["claim_id", "text", "area_code", "area_name", "measure", "sex",
               "claimed_period", "period_note", "claimed_value", "unit", "verdict",
               "published", "published_value", "published_period", "release", "difference",
               "rounding_allowance", "explanation", "matches", "not_ruled_out", "second_source",
               "live_pull"]
    out = pd.DataFrame.from_records(records).reindex(columns=columns)
    for col in ("published_value", "difference", "rounding_allowance"):
        out[col] = out[col].astype("float64")
    for col in ("published", "matches", "not_ruled_out", "second_source", "live_pull",
                "release"):
        out[col] = out[col].astype("object").where(out[col].notna(), "")
    out.attrs.update(document=claims.document, path=str(claims.path))
    logger.info("Checked %d claims of %s: %s", len(out), claims.document,
                out["verdict"].value_counts().to_dict())
    return out


def present_claims(checked: pd.DataFrame) -> pd.DataFrame:
    """The :func:`check_claims` table as a reader sees it: claim, verdict, the data, matches."""
    return pd.DataFrame({
        "Claim": checked["text"],
        "Area": checked["area_name"],
        "Measure": checked["measure"] + np.where(checked["sex"] == "Persons", "",
                                                 ", " + checked["sex"]),
        "Period claimed": checked["claimed_period"] + np.where(
            checked["period_note"] == "", "", " (" + checked["period_note"] + ")"),
        "Value claimed": [f"{v:g} {u}".strip() for v, u in zip(
            checked["claimed_value"], checked["unit"], strict=True)],
        "Verdict": checked["verdict"],
        "In the data": checked["published"].replace("", "none for this area and period"),
        "Why": checked["explanation"],
        "Where the data do show this figure": checked["matches"].replace(
            "", "nowhere among the document's areas and England"),
        "Not ruled out (no offline value)": checked["not_ruled_out"],
        "Second source": checked["second_source"],
        "What a live pull would fetch": checked["live_pull"],
    })
