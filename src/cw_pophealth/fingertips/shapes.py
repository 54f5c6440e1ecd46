"""The shapes of the Fingertips JSON answers: the fields the client reads, with their types.

:func:`check_json_shape` checks an answer against :data:`JSON_SHAPES` before it is used or
cached (:func:`cw_pophealth.fingertips.fetch.get_json` calls it, online and offline), so an
answer of the wrong shape is reported as a fault of the server's, never as the caller's
mistake (an unknown indicator, area or area type), and never replaces a good cached answer.
Fields the client does not read are not checked, so the server may add fields freely.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cw_pophealth.errors import OFFLINE_HINT, MalformedResponseError

__all__ = ["JSON_SHAPES", "check_json_shape"]


class _Shape:
    """What a JSON value must look like; :meth:`problem` says how a value differs, or ``None``."""

    name = "value"

    def problem(self, value: Any, where: str) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


class _Scalar(_Shape):
    def __init__(self, name: str, test: Callable[[Any], bool]):
        self.name, self._test = name, test

    def problem(self, value, where):
        if self._test(value):
            return None
        return f"{where} is {json.dumps(value)[:60]} (a JSON {_json_type(value)}), not {self.name}"


class _Optional(_Shape):
    def __init__(self, inner: _Shape):
        self.inner, self.name = inner, f"{inner.name} or null"

    def problem(self, value, where):
        return None if value is None else self.inner.problem(value, where)


class _List(_Shape):
    def __init__(self, item: _Shape):
        self.item, self.name = item, "a list"

    def problem(self, value, where):
        if not isinstance(value, list):
            return _Scalar("a list", lambda v: False).problem(value, where)
        for n, item in enumerate(value):
            found = self.item.problem(item, f"{where}[{n}]")
            if found:
                return found
        return None


class _Object(_Shape):
    """An object with these fields (a missing field counts as null); other fields are ignored."""

    def __init__(self, **fields: _Shape):
        self.fields, self.name = fields, "an object"

    def problem(self, value, where):
        if not isinstance(value, dict):
            return _Scalar("an object", lambda v: False).problem(value, where)
        for key, shape in self.fields.items():
            found = shape.problem(value.get(key), f"{where}.{key}")
            if found:
                return found
        return None


class _Mapping(_Shape):
    """An object whose keys pass ``key`` and whose values are all of one shape."""

    def __init__(self, key: _Scalar, value: _Shape):
        self.key, self.value, self.name = key, value, "an object"

    def problem(self, value, where):
        if not isinstance(value, dict):
            return _Scalar("an object", lambda v: False).problem(value, where)
        for k, item in value.items():
            found = (self.key.problem(k, f"a key of {where}")
                     or self.value.problem(item, f"{where}[{json.dumps(k)}]"))
            if found:
                return found
        return None


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list",
            dict: "object", type(None): "null"}.get(type(value), type(value).__name__)


INT = _Scalar("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
STR = _Scalar("a string", lambda v: isinstance(v, str))
DIGITS = _Scalar("an integer id", lambda v: isinstance(v, str) and v.removeprefix("-").isdigit())


def _opt(shape: _Shape) -> _Optional:
    return _Optional(shape)


_NAMED = _Object(Id=_opt(INT), Name=_opt(STR))
_AREA_TYPE = _Object(Id=INT, Name=STR, Short=_opt(STR))
_PROFILE = _Object(Id=INT, Name=STR, Key=_opt(STR), GroupIds=_opt(_List(INT)),
                   GroupMetadata=_opt(_List(_Object(Id=INT, Name=_opt(STR)))))
_METADATA = _Object(
    IID=_opt(INT),
    Descriptive=_opt(_Object(**{k: _opt(STR) for k in (
        "Name", "Definition", "Rationale", "DataSource", "CIMethod")})),
    Unit=_opt(_Object(Label=_opt(STR))), ValueType=_opt(_NAMED), YearType=_opt(_NAMED),
    ConfidenceIntervalMethod=_opt(_NAMED), DataChange=_opt(_Object(LastUploadedAt=_opt(STR))))
_AREA = _Object(Code=STR, Name=STR, Short=_opt(STR), AreaTypeId=_opt(INT), Sequence=_opt(INT))

#: The shape of each JSON endpoint's answer, checked before the answer is used or cached (the
#: fields the client reads, with their types; other fields are ignored). The fields are
#: fingertips-open's (``PholioObjects``).
JSON_SHAPES: dict[str, _Shape] = {
    "area_types": _List(_AREA_TYPE),
    "area_types/parent_area_types": _List(_Object(
        Id=INT, Name=STR, Short=_opt(STR), ParentAreaTypes=_opt(_List(_Object(
            Id=INT, Name=_opt(STR), Short=_opt(STR)))))),
    "areas/by_area_type": _List(_AREA),
    "areas/by_parent_area_code": _List(_AREA),
    "parent_to_child_areas": _Mapping(STR, _opt(_List(STR))),
    "available_data": _List(_Object(IndicatorId=INT, AreaTypeId=INT)),
    "profiles": _List(_PROFILE),
    "profile": _PROFILE,
    "group_metadata": _List(_Object(Id=INT, Name=_opt(STR))),
    "indicator_metadata/by_indicator_id": _Mapping(DIGITS, _METADATA),
    "indicator_metadata/by_group_id": _Mapping(DIGITS, _METADATA),
    "indicator_metadata/all": _Mapping(DIGITS, _METADATA),
    "nearest_neighbour_types": _List(_Object(
        NeighbourTypeId=INT, Name=_opt(STR), Description=_opt(STR),
        ApplicableAreaTypes=_opt(_List(_Object(
            Id=INT, CanBeDisplayedOnMap=_opt(_Scalar("true or false",
                                                     lambda v: isinstance(v, bool)))))))),
    "category_types": _List(_Object(
        Id=INT, Name=_opt(STR), Short=_opt(STR), Categories=_opt(_List(_Object(
            Id=INT, Name=_opt(STR), ShortName=_opt(STR)))))),
}


def check_json_shape(endpoint: str, data: Any, url: str) -> None:
    """Check a JSON answer against :data:`JSON_SHAPES` (endpoints not listed are not checked).

    Raises
    ------
    MalformedResponseError
        Naming the first field that is missing or of the wrong type. The message says that
        the server's answer is at fault, not the caller's arguments.

    Examples
    --------
    >>> check_json_shape("area_types", [{"Id": 502, "Name": "Counties & UAs"}], "example")
    >>> try:
    ...     check_json_shape("area_types", ["Counties & UAs"], "example")
    ... except MalformedResponseError as exc:
    ...     print(str(exc).split("format: ")[1].split(". ")[0])
    the answer[0] is "Counties & UAs" (a JSON string), not an object
    """
    shape = JSON_SHAPES.get(endpoint.strip("/"))
    if shape is None or data is None:
        return
    found = shape.problem(data, "the answer")
    if found:
        raise MalformedResponseError(
            f"The Fingertips API's answer to {url} is not in the endpoint's format: {found}. "
            "This is a fault of the server's answer, not of the arguments; nothing was cached. "
            f"{OFFLINE_HINT.capitalize()}.", url=url)
