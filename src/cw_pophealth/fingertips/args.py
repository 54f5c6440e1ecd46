"""Argument handling shared by the client's public functions: ids, keys and area-type ids."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from cw_pophealth import catalogue
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import UnknownAreaTypeError, UnknownIndicatorError

__all__ = ["as_list", "as_type_id", "chunks", "int_or_na", "resolve_indicator_ids",
           "settings_or_default", "whole_number"]


def settings_or_default(settings: Settings | None) -> Settings:
    """``settings``, or the settings from the environment when it is ``None``."""
    return settings if settings is not None else get_settings()


def as_list(values: Any) -> list:
    """``None`` as ``[]``, a single value (a string counts as one) as ``[value]``, else a list."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return [values]
    return list(values)


def whole_number(value: Any) -> int:
    """``value`` as an int if it is a whole number (an int, a numpy integer, a float or decimal
    with no fraction, or the digits of one in a string); never truncated.

    Raises
    ------
    ValueError
        For a fraction (``90366.9``), a boolean, or anything that is not a number.

    Examples
    --------
    >>> whole_number(90366), whole_number(90366.0), whole_number(" 502 ")
    (90366, 90366, 502)
    >>> whole_number(90366.9)
    Traceback (most recent call last):
    ...
    ValueError: 90366.9 is not a whole number
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if text.removeprefix("-").isdigit():
            return int(text)
        raise ValueError(f"{value!r} is not a whole number")
    try:
        return operator.index(value)
    except TypeError:
        pass
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a whole number") from exc
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def resolve_indicator_ids(values: Any) -> list[int]:
    """Turn ids (int or numeric str) and catalogue keys (``"smoking"``) into unique int ids."""
    out: list[int] = []
    for value in as_list(values):
        if isinstance(value, bool):
            raise UnknownIndicatorError(f"Indicator {value!r} is not an indicator id or key.")
        if isinstance(value, int):
            ident = value
        elif isinstance(value, str) and value.strip().isdigit():
            ident = int(value.strip())
        elif isinstance(value, str):
            ident = catalogue.indicator_spec(value.strip()).indicator_id
        else:
            try:
                ident = whole_number(value)
            except ValueError as exc:
                raise UnknownIndicatorError(
                    f"Indicator {value!r} is neither a Fingertips id (a whole number) nor a "
                    "catalogue key. Search ids with cw_pophealth.fingertips.indicators().") from exc
        if ident not in out:
            out.append(ident)
    return out


def as_type_id(value: Any, parameter: str) -> int:
    """An area-type id as an int; otherwise an error naming ``parameter`` and what to do."""
    try:
        return whole_number(value)
    except ValueError as exc:
        raise UnknownAreaTypeError(
            f"{parameter}={value!r} is not an area-type id (an integer such as 502 for counties "
            "& UAs or 501 for districts & UAs). List them with "
            "cw_pophealth.fingertips.area_types().") from exc


def chunks(items: Sequence, size: int) -> list[list]:
    """``items`` in consecutive lists of at most ``size``."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def int_or_na(value: Any) -> Any:
    """``value`` as an int, or ``pd.NA`` when it is not a whole number (never truncated)."""
    try:
        return whole_number(value)
    except ValueError:
        return pd.NA
