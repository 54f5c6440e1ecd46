"""A real HTTP fake of the Fingertips API that answers as the server source says it does.

:class:`FakeFingertips` runs a stdlib :class:`~http.server.ThreadingHTTPServer` on 127.0.0.1 (a
random free port) in a background thread. It serves the endpoints of
:mod:`cw_pophealth.fingertips` (and those fingertipsR uses) in the formats of the Fingertips
server source, ukhsa-collaboration/fingertips-open @ 678089724a51 (``PholioVisualisationWS``),
for every row of ``API-FIDELITY.md`` (C1-C22), and can inject faults
(:meth:`FakeFingertips.set_fault`). It is a plain module (no pytest import) so that the
benchmark scripts can use it too::

    with FakeFingertips(table, latency=0.05) as fake:
        settings = get_settings(api_base_url=fake.url, data_dir=tmp)
        fingertips.fingertips_data(90366, settings=settings)

What is real and what is invented
---------------------------------
* **Real**: the observations (the tidy table from :func:`cw_pophealth.snapshot.build_snapshot`,
  and the real 2017 export in ``api_samples/``, with its deprivation-decile rows), the areas,
  their names and relationships (the Pholio reference tables), the 101 area-type names, the
  JSON and CSV shapes (server source), PHOF's domains, and metadata text taken from
  ``fingertipsnext/indicatorMetadata_35.json`` where it covers an indicator.
* **Synthetic test fixture** (marked where defined, mostly in
  :mod:`fake_fingertips_reference`): the ids of area types that no source gives, other
  profiles' domains, which indicators each domain holds, the nearest-neighbour lists of the
  Coventry & Warwickshire areas (real CIPFA sets exist in the extracts for West Sussex, East
  Sussex and Brighton & Hove), the IMD 2019 scores, an indicator with ethnic-group rows and a
  goal, and metadata fields the extracts lack. The ``capacity`` mode (429 beyond it) is
  invented too: the server source has no rate limiting (C20).

How it answers (the C-row of ``API-FIDELITY.md`` in brackets)
-------------------------------------------------------------
* ``area_types`` lists every area type without ``ParentAreaTypes``; only
  ``area_types/parent_area_types`` carries them, deprivation-decile parents included (C1).
* Indicator metadata: ``Descriptive`` is ``Name`` and ``DataSource`` unless
  ``include_definition=yes`` (C2); ``ValueType {Id, Name}``, ``YearType``,
  ``ConfidenceIntervalMethod`` and the booleans, no ``*Id`` fields and no ``ConfidenceLevel``
  (C3); an empty ``indicator_ids`` returns every indicator.
* The CSV: see :mod:`fake_fingertips_csv` (C4-C9, C16, C21); ``application/octet-stream``
  with ``attachment; filename=indicators-<short>.data.csv`` (C10); only the first 100 ids,
  silently (C11); ``400``/``500`` bodies in plain text (C12, C13); an unknown area type is a
  ``500`` (C14).
* Region names carry the server's suffix, in either evidenced form (``region_names``, C15).
* ``profiles`` carry ``GroupMetadata``, and ``group_metadata`` answers (C17, C19);
  ``parent_to_child_areas`` takes optional types and ``nearest_neighbour_code`` (C18).
* Unknown query parameters (``timestamp``, ``include_sortable_time_periods``) are ignored
  (C22); id lists drop parts that are not integers, as ``IntListStringParser`` does.
"""

from __future__ import annotations

import csv
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

import fake_fingertips_reference as ref
from cw_pophealth import catalogue, schema
from cw_pophealth.geography import AreaLookup, get_geography
from fake_fingertips_csv import file_name
from fake_fingertips_data import FakeData, area_type_label

FAULT_KINDS = ("500", "429", "slow", "truncated", "truncated_length", "html",
               "renamed_column", "empty")
#: Faults that only make sense for CSV responses (others apply to any endpoint).
CSV_ONLY_FAULTS = frozenset({"renamed_column"})
REGION_NAME_FORMS = ("statistical", "region")
CSV_FORMATS = ("current", "2017")

ENGLAND = catalogue.ENGLAND
T_ENGLAND = catalogue.AREA_TYPE_ENGLAND
T_REGION = catalogue.AREA_TYPE_REGION
T_DISTRICT_UA = catalogue.AREA_TYPE_DISTRICT_UA
T_COUNTY_UA = catalogue.AREA_TYPE_COUNTY_UA
MAX_IDS = 100  # DataManagerBase.cs: the first 100 ids, silently


_CSV_PATH_PREFIXES = ("all_data/csv/", "indicator_metadata/csv/")
_OCTET = "application/octet-stream"
_TEXT = "text/plain; charset=utf-8"
_NULL_REFERENCE = "Object reference not set to an instance of an object."
#: The plain-text body of a failed CSV build (CsvBuilderIndicatorDataBodyPeriodWriter.cs).
_CSV_ERROR = ("CSV data could not be built for indicator {indicator} and time period 2021.\r\n"
              "Additional information: Timeout expired.")
_MAINTENANCE_PAGE = (
    b"<!DOCTYPE html>\r\n<html><head><title>Fingertips is currently unavailable</title></head>"
    b"<body><h1>Service unavailable</h1><p>Fingertips is undergoing scheduled maintenance. "
    b"Please try again later.</p></body></html>\r\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received: the path after ``/api/`` and its query parameters, when
    it arrived (``time.monotonic()``, or the fake's :attr:`FakeFingertips.clock`) and how many
    requests were then in progress, itself included."""

    endpoint: str
    params: dict
    arrived: float = field(default=0.0, compare=False)
    in_flight: int = field(default=1, compare=False)

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.endpoint}?{query}" if query else self.endpoint


@dataclass
class _Fault:
    kind: str
    remaining: int
    endpoint: str | None
    delay: float
    retry_after: str


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict = field(default_factory=dict)


def _ints(text: str | None) -> list[int] | None:
    """An id list as ``IntListStringParser`` reads it: split on commas, parts that are not
    integers dropped, duplicates kept; ``None`` when the parameter is absent."""
    if text is None:
        return None
    out = []
    for part in text.split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            out.append(int(part))
    return out


def _int(text: str | None) -> int | None:
    """One ``int`` parameter; ``None`` when absent or not an integer."""
    values = _ints(text)
    return values[0] if values and len(text.split(",")) == 1 else None


def _load_next_metadata(extracts_dir: Path | None) -> dict[int, dict]:
    if extracts_dir is None:
        return {}
    path = Path(extracts_dir) / "fingertipsnext" / "indicatorMetadata_35.json"
    if not path.is_file():
        return {}
    items = json.loads(path.read_text(encoding="utf-8-sig"))
    return {int(i["indicatorID"]): i for i in items if str(i.get("indicatorID", "")).isdigit()}


def _pholio_names(extracts_dir: Path | None, geo: AreaLookup) -> dict[str, str]:
    """Area names as the database holds them (regions as ``X region (statistical)``)."""
    names = dict(zip(geo.areas_table["area_code"], geo.areas_table["area_name"], strict=False))
    path = Path(extracts_dir) / "fphd_pholio_reference" / "area.csv" if extracts_dir else None
    if path is not None and path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["code"] in names and not row["valid_to"]:
                    names[row["code"]] = row["name"]
    return names


class FakeFingertips(FakeData):
    """A fake Fingertips API over real HTTP, answering as the server source says.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        A tidy indicator table (:data:`cw_pophealth.schema.TIDY_SCHEMA`). Default: the snapshot
        built from the real extracts (about 3 s).
    latency : float, default 0.0
        Seconds added to every request before it is answered (for benchmarks): the server's
        fixed cost per request, an assumption. Requests are served on their own threads.
    latency_per_indicator : float, default 0.0
        Further seconds per indicator in an ``all_data`` request (for benchmarks): an assumed
        model of the server building each CSV.
    capacity : int, optional
        Most requests the server works on at once; one more is answered 429 with
        ``Retry-After: capacity_retry_after`` (counted in :attr:`refused`). Invented: the
        server source has no rate limiting (C20). ``None``: no limit.
    geography : AreaLookup, optional
        Areas and relationships; default :func:`cw_pophealth.geography.get_geography`.
    settings : Settings, optional
        Used to find the extracts when ``data`` or ``geography`` is not given.
    extras : bool, default True
        Also serve the real 2017 export's indicator (93356, with deprivation-decile rows) and
        the synthetic test fixtures (IMD 2019 scores, an indicator with ethnic-group rows).
    csv_format : {"current", "2017"}
        The current writer (27 columns), or the real 2017 export's (26-column header, rows
        one field short: C8).
    region_names : {"statistical", "region"}
        ``West Midlands region (statistical)`` (the 2026 Pholio tables) or ``West Midlands
        region`` (the 2017 export and fingertipsR's 2022 README): both are evidenced (C15).

    Attributes
    ----------
    url : str
        Base URL ending in ``/api/`` (after :meth:`start`).
    requests : list of RecordedRequest
        Requests received so far (a copy; thread-safe).
    """

    def __init__(self, data: pd.DataFrame | None = None, *, latency: float = 0.0,
                 latency_per_indicator: float = 0.0, capacity: int | None = None,
                 capacity_retry_after: float = 0, geography: AreaLookup | None = None,
                 settings=None, extras: bool = True, csv_format: str = "current",
                 region_names: str = "statistical"):
        from cw_pophealth.config import get_settings

        settings = settings or get_settings()
        if data is None:
            from cw_pophealth.snapshot import build_snapshot

            data = build_snapshot(settings, write=False)
        self.latency = float(latency)
        self.latency_per_indicator = float(latency_per_indicator)
        self.capacity = capacity
        self.capacity_retry_after = capacity_retry_after
        #: What stamps each request's arrival (a test on a fake clock sets its ``monotonic``).
        self.clock = time.monotonic
        self.refused = 0  # requests answered 429 for want of capacity since the last reset()
        self.geography = geography or get_geography(settings)
        self._defaults = {"csv_format": csv_format, "region_names": region_names}
        self.csv_format = csv_format
        self.region_names = region_names
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0  # most requests in progress at once since the last reset()
        self._faults: list[_Fault] = []
        self._stopping = threading.Event()
        self._waking = threading.Event()  # set by reset(): cut short the faults' sleeps
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._csv_cache: dict[tuple, bytes] = {}
        extracts = settings.extracts_dir
        self._next_meta = _load_next_metadata(extracts)
        self._area_types = ref.load_area_types(extracts)
        self._area_type_by_id = {t["Id"]: t for t in self._area_types}
        self._category_parents = {10000 + c["Id"]: ref.category_area_type(c)
                                  for c in ref.CATEGORY_TYPES}
        self._raw_names = _pholio_names(extracts, self.geography)
        if extras:
            data = pd.concat([data, *self._extra_tables(extracts)], ignore_index=True)
        self._prepare(data)
        # Pholio names the 2023 unitary North Yorkshire and Somerset "... UA".
        upper = {self._raw_names[c].removesuffix(" UA"): c for c in self._type_codes[T_COUNTY_UA]}
        self._neighbours = {1: ref.load_neighbour_sets(extracts, upper)}
        for type_id, lists in ref.SYNTHETIC_NEIGHBOURS.items():
            self._neighbours.setdefault(type_id, {}).update(lists)

    # -- routing ------------------------------------------------------------------------------
    @staticmethod
    def _json(obj, status: int = 200) -> _Reply:
        return _Reply(status, json.dumps(obj).encode("utf-8"), "application/json; charset=utf-8")

    @staticmethod
    def _text(status: int, message: str) -> _Reply:
        return _Reply(status, message.encode("utf-8"), _TEXT)

    def _not_found(self, endpoint: str, controller: str) -> _Reply:
        """A required parameter is missing: Web API finds no action (HTTP 404, JSON)."""
        return self._json({
            "Message": "No HTTP resource was found that matches the request URI "
                       f"'https://fingertips.phe.org.uk/api/{endpoint}'.",
            "MessageDetail": f"No action was found on the controller '{controller}' that "
                             "matches the request."}, status=404)

    def _invalid(self, name: str) -> _Reply:
        """A required ``int`` that is not a number: HTTP 400, JSON."""
        return self._json({
            "Message": "The request is invalid.",
            "MessageDetail": f"The parameters dictionary contains a null entry for parameter "
                             f"'{name}' of non-nullable type 'System.Int32'."}, status=400)

    def _required(self, p: dict, names, endpoint: str, controller: str):
        """The required ``int`` parameters, or the framework's error reply."""
        values = []
        for name in names:
            if name not in p:
                return None, self._not_found(endpoint, controller)
            value = _int(p[name])
            if value is None:
                return None, self._invalid(name)
            values.append(value)
        return values, None

    def route(self, endpoint: str, params: dict) -> _Reply:
        """Answer one request (no faults applied)."""
        handler = getattr(self, "_r_" + endpoint.replace("/", "__"), None)
        if handler is None:
            return self._json({"Message": "No HTTP resource was found that matches the request "
                                          f"URI 'https://fingertips.phe.org.uk/api/{endpoint}'."},
                              status=404)
        return handler(endpoint, params)

    def _r_profiles(self, endpoint, p):
        return self._json([ref.profile_json(x) for x in ref.PROFILES])

    def _r_profile(self, endpoint, p):
        values, error = self._required(p, ["profile_id"], endpoint, "Profiles")
        if error:
            return error
        pid = values[0]
        found = [ref.profile_json(x) for x in ref.PROFILES if x["Id"] == pid]
        return self._json(found[0] if found else None)

    def _r_group_metadata(self, endpoint, p):
        if "group_ids" not in p:
            return self._not_found(endpoint, "Profiles")
        wanted = set(_ints(p["group_ids"]) or [])
        items = [m for x in ref.PROFILES for m in ref.group_metadata(x) if m["Id"] in wanted]
        return self._json(sorted(items, key=lambda m: m["Sequence"]))

    def _r_area_types(self, endpoint, p):
        wanted = _ints(p.get("profile_ids"))
        if not wanted:
            return self._json(self._area_types)
        used = {T_DISTRICT_UA, T_COUNTY_UA} if set(wanted) & {x["Id"] for x in ref.PROFILES} \
            else set()
        return self._json([t for t in self._area_types if t["Id"] in used])

    def _r_area_types__parent_area_types(self, endpoint, p):
        out = []
        for child, parents in ref.PARENT_AREA_TYPE_IDS.items():
            item = dict(self._area_type_by_id[child])
            item["ParentAreaTypes"] = [self._area_type_by_id.get(t) or self._category_parents[t]
                                       for t in parents]
            out.append(item)
        return self._json(out)

    def _area_json(self, code: str, type_id: int, sequence: int | None = None) -> dict:
        item = {"Code": code, "Name": self.area_name(code), "Short": self.area_name(code),
                "AreaTypeId": type_id}
        if sequence is not None:
            item["Sequence"] = sequence
        return item

    def _r_areas__by_area_type(self, endpoint, p):
        values, error = self._required(p, ["area_type_id"], endpoint, "Areas")
        if error:
            return error
        type_id = values[0]
        return self._json([self._area_json(c, type_id)
                           for c in sorted(self._type_codes.get(type_id, ()))])

    def _r_areas__by_parent_area_code(self, endpoint, p):
        if "parent_area_code" not in p:
            return self._not_found(endpoint, "Areas")
        values, error = self._required(p, ["area_type_id"], endpoint, "Areas")
        if error:
            return error
        type_id = values[0]
        parent = p["parent_area_code"]
        if parent.startswith("nn-"):
            # Nearest neighbours in rank order, Sequence = rank; area_type_id is ignored.
            _, codes = self.neighbours(parent)
            return self._json([self._area_json(c, self._type_of(c), n)
                               for n, c in enumerate(codes, start=1)])
        rel = self.geography.relationships
        kids = set(rel.loc[rel["parent_code"] == parent, "child_code"])
        return self._json([self._area_json(c, type_id)
                           for c in sorted(kids & self._type_codes.get(type_id, set()))])

    def _r_parent_to_child_areas(self, endpoint, p):
        nn = p.get("nearest_neighbour_code")
        if nn:
            if not nn.startswith("nn-"):
                return self._json({"Message": "An error has occurred."}, status=500)
            return self._json({nn.split("-", 2)[2]: self.neighbours(nn)[1]})
        child = _int(p.get("child_area_type_id", "-1"))
        parent = _int(p.get("parent_area_type_id", "-1"))
        if child is None or parent is None:
            return self._invalid("child_area_type_id" if child is None else "parent_area_type_id")
        if child == 0 or parent == 0:
            return self._json({})
        if child == -1:
            return self._json({"Message": "An error has occurred."}, status=500)
        if child == T_ENGLAND:
            parent = T_ENGLAND
        mapping: dict[str, list[str]] = {}
        for kid, par in self._parent_of.get((child, parent), {}).items():
            mapping.setdefault(par, []).append(kid)
        return self._json({k: sorted(v) for k, v in sorted(mapping.items())})

    def _r_available_data(self, endpoint, p):
        ind = _int(p.get("indicator_id"))  # an int? that does not parse binds null
        typ = _int(p.get("area_type_id"))
        return self._json([{"IndicatorId": i, "AreaTypeId": t} for i, t in self._available
                           if (ind is None or i == ind) and (typ is None or t == typ)])

    def _r_category_types(self, endpoint, p):
        return self._json(list(ref.CATEGORY_TYPES))

    def _r_categories(self, endpoint, p):
        wanted = _int(p.get("category_type_id"))
        return self._json([c for t in ref.CATEGORY_TYPES if t["Id"] == wanted
                           for c in t["Categories"]])

    def _r_nearest_neighbour_types(self, endpoint, p):
        out = []
        for item in ref.NEIGHBOUR_TYPES:
            entry = {k: v for k, v in item.items() if k != "ApplicableTypeIds"}
            if (p.get("include_system_content") or "").lower() == "yes":
                entry["LinkText"] = entry["SelectedText"] = "Synthetic test fixture text"
            entry["ApplicableAreaTypes"] = [self._area_type_by_id[t]
                                            for t in item["ApplicableTypeIds"]
                                            if t in self._area_type_by_id]
            out.append(entry)
        return self._json(out)

    def _r_sexes(self, endpoint, p):
        return self._json([{"Id": i, "Name": n} for n, i in ref.SEX_IDS.items()])

    def _r_indicator_metadata__by_indicator_id(self, endpoint, p):
        ids = _ints(p.get("indicator_ids")) or sorted(self._indicator_names)
        restrict = _ints(p.get("restrict_to_profile_ids"))
        if restrict:
            ids = [i for i in ids if i in self._indicators_of_groups(self._group_ids(restrict))]
        full = (p.get("include_definition") or "").lower() == "yes"
        return self._json({str(i): self.metadata(i, include_definition=full)
                           for i in sorted(set(ids)) if i in self._indicator_names})

    def _r_indicator_metadata__by_group_id(self, endpoint, p):
        if "group_ids" not in p:
            return self._not_found(endpoint, "IndicatorMetadata")
        full = (p.get("include_definition") or "").lower() == "yes"
        ids = self._indicators_of_groups(_ints(p["group_ids"]) or [])
        return self._json({str(i): self.metadata(i, include_definition=full) for i in ids})

    def _r_indicator_metadata__all(self, endpoint, p):
        full = (p.get("include_definition") or "").lower() == "yes"
        return self._json({str(i): self.metadata(i, include_definition=full)
                           for i in sorted(self._indicator_names)})

    def _r_indicator_metadata__csv__by_indicator_id(self, endpoint, p):
        if "indicator_ids" not in p:
            return self._not_found(endpoint, "IndicatorMetadata")
        return _Reply(200, self.metadata_csv(_ints(p["indicator_ids"]) or []), _OCTET,
                      {"Content-Disposition": "attachment; filename=IndicatorMetadata.csv"})

    def _r_indicator_names__by_group_id(self, endpoint, p):
        if "group_ids" not in p:
            return self._not_found(endpoint, "IndicatorMetadata")
        return self._json([{"GroupId": g, "IndicatorId": i,
                            "IndicatorName": self._indicator_names[i]}
                           for g in _ints(p["group_ids"]) or []
                           for i in self._indicators_of_groups([g])])

    def _csv_reply(self, ids, child: int, parent: int | None, profile: bool) -> _Reply:
        if not self._is_area_type(child) or (parent is not None
                                             and not self._is_area_type(parent)):
            # The header dereferences the missing area type (C14).
            return self._text(500, _NULL_REFERENCE)
        body = self.csv_bytes(ids, child, parent, profile)
        short = ref.SHORT_NAMES_2017.get(child) if self.csv_format == "2017" else None
        name = file_name(short or self._short(child))
        return _Reply(200, body, _OCTET, {"Content-Disposition": f"attachment; filename={name}"})

    def _data_types(self, p: dict, endpoint: str, extra: list[str]):
        """``(child, parent, *extra)`` of an ``all_data`` request; ``parent`` is ``None`` on the
        ``area_type_id``-only path (C21)."""
        if "child_area_type_id" not in p and "parent_area_type_id" not in p and (
                "area_type_id" in p):
            values, error = self._required(p, ["area_type_id", *extra], endpoint, "Data")
            return (None if error else [values[0], None, *values[1:]]), error
        return self._required(p, ["child_area_type_id", "parent_area_type_id", *extra],
                              endpoint, "Data")

    def _r_all_data__csv__by_indicator_id(self, endpoint, p):
        values, error = self._data_types(p, endpoint, [])
        if error:
            return error
        if "indicator_ids" not in p:
            return self._not_found(endpoint, "Data")
        if not p["indicator_ids"].strip():
            return self._text(400, "IndicatorIds cannot be null or empty")
        ids = (_ints(p["indicator_ids"]) or [])[:MAX_IDS]  # the rest dropped silently (C11)
        return self._csv_reply(ids, values[0], values[1], "profile_id" in p)

    def _r_all_data__csv__by_group_id(self, endpoint, p):
        values, error = self._data_types(p, endpoint, ["group_id"])
        if error:
            return error
        child, parent, group = values
        if group not in ref.GROUPS:
            return self._text(500, "Sequence contains no elements")
        ids = [i for i in self._indicators_of_groups([group])
               if (i, child) in self._available_set]
        return self._csv_reply(ids, child, parent, True)

    def _r_all_data__csv__by_profile_id(self, endpoint, p):
        values, error = self._data_types(p, endpoint, ["profile_id"])
        if error:
            return error
        child, parent, profile = values
        ids = self._indicators_of_groups(self._group_ids([profile]))  # no 100 cap
        return self._csv_reply(ids, child, parent, True)

    # -- faults and requests --------------------------------------------------------------------
    def set_fault(self, kind: str, times: int = 1, *, endpoint: str | None = None,
                  delay: float = 2.0, retry_after: float | str = 1) -> None:
        """Make the next ``times`` matching requests fail in one way.

        Parameters
        ----------
        kind : str
            ``"500"`` (HTTP 500), ``"429"`` (with ``Retry-After``), ``"slow"`` (wait ``delay`` s
            before answering), ``"truncated"`` (body cut mid-row, ``Content-Length`` matching the
            cut body), ``"truncated_length"`` (``Content-Length`` of the full body, half sent,
            connection closed), ``"html"`` (200 maintenance page), ``"renamed_column"`` (CSV
            ``Value`` header renamed ``Indicator value``; CSV endpoints only), ``"empty"`` (200,
            empty body).
        times : int, default 1
            How many matching requests the fault applies to.
        endpoint : str, optional
            Only requests whose endpoint starts with this (e.g. ``"all_data/"``).
        delay : float, default 2.0
            Seconds of the ``"slow"`` fault.
        retry_after : float or str, default 1
            ``Retry-After`` value of the ``"429"`` fault.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault {kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(_Fault(kind, int(times), endpoint, float(delay), str(retry_after)))

    def configure(self, *, csv_format: str | None = None, region_names: str | None = None
                  ) -> None:
        """Switch the CSV format (``"current"`` or ``"2017"``, C8) or the form of region names
        (``"statistical"`` or ``"region"``, C15) until the next :meth:`reset`."""
        if csv_format is not None:
            if csv_format not in CSV_FORMATS:
                raise ValueError(f"Unknown csv_format {csv_format!r}; use one of {CSV_FORMATS}")
            self.csv_format = csv_format
        if region_names is not None:
            if region_names not in REGION_NAME_FORMS:
                raise ValueError(f"Unknown region_names {region_names!r}; use one of "
                                 f"{REGION_NAME_FORMS}")
            self.region_names = region_names

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Clear faults and the request log, and go back to the formats the fake was built
        with (between tests)."""
        self.configure(**self._defaults)
        # A slow fault of the last test may still be sleeping on a request its client gave up
        # on: wake it and let it end, so that it is not counted in this test's requests in
        # progress (max_in_flight).
        self._waking.set()
        deadline = time.monotonic() + 5.0
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        self._waking = threading.Event()
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            self.max_in_flight = self._in_flight
            self.refused = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, prefix: str) -> list[RecordedRequest]:
        """Recorded requests whose endpoint starts with ``prefix``."""
        return [r for r in self.requests if r.endpoint.startswith(prefix)]

    def _record(self, endpoint: str, params: dict) -> bool:
        """Log a request as it arrives and count it in progress (until :meth:`_done`); False
        when it is over :attr:`capacity` (counted in :attr:`refused`)."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._requests.append(RecordedRequest(endpoint, dict(params), self.clock(),
                                                  self._in_flight))
            over = self.capacity is not None and self._in_flight > self.capacity
            self.refused += over
            return not over

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _take_fault(self, endpoint: str) -> _Fault | None:
        is_csv = endpoint.startswith(_CSV_PATH_PREFIXES)
        with self._lock:
            for fault in self._faults:
                if fault.endpoint and not endpoint.startswith(fault.endpoint):
                    continue
                if fault.kind in CSV_ONLY_FAULTS and not is_csv:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _sleep(self, seconds: float) -> None:
        waking = self._waking
        deadline = time.monotonic() + seconds
        while not (self._stopping.is_set() or waking.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            waking.wait(min(left, 0.05))

    def request_latency(self, endpoint: str, params: dict) -> float:
        """Seconds the server waits before answering this request (the benchmark model, an
        assumption): ``latency`` plus ``latency_per_indicator`` for each indicator of an
        ``all_data`` request."""
        delay = self.latency
        if self.latency_per_indicator and endpoint.startswith("all_data/"):
            if endpoint.endswith("by_profile_id"):
                n = len(self._indicators_of_groups(self._group_ids(
                    _ints(params.get("profile_id")) or [])))
            elif endpoint.endswith("by_group_id"):
                n = len(self._indicators_of_groups(_ints(params.get("group_id")) or []))
            else:
                n = len(set((_ints(params.get("indicator_ids")) or [])[:MAX_IDS]))
            delay += self.latency_per_indicator * n
        return delay

    # -- server lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeFingertips:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-fingertips",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any request sleeping in a fault, and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeFingertips is not running; call start() first.")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def __enter__(self) -> FakeFingertips:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _cut_mid_row(body: bytes) -> bytes:
    """Cut a CSV in the middle of a data row, after its second field (a short, ragged row)."""
    lines = body.split(b"\r\n")
    target = max(1, min(len(lines) - 2, len(lines) // 2))
    offset = sum(len(line) + 2 for line in lines[:target])
    row = lines[target]
    cut_in_row = row.find(b",", row.find(b",") + 1) + 1 or max(1, len(row) // 2)
    return body[:offset + cut_in_row]


class _Server(ThreadingHTTPServer):
    """The fake's HTTP server. Its listen backlog is 128, not socketserver's default of 5, so
    that a burst of concurrent connections (a benchmark's) is queued, never refused or dropped
    by the kernel and then timed as a retry."""

    daemon_threads = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeFingertips/1.0"
    timeout = 10  # idle keep-alive connections end after 10 s

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
              *, content_length: int | None = None, close: bool = False) -> None:
        self._release()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if content_length is None
                                                   else content_length))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def do_GET(self):  # noqa: N802 - http.server naming
        fake: FakeFingertips = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/"):
            self._send(404, b"Not found", "text/plain")
            return
        endpoint = parts.path[len("/api/"):].strip("/")
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        admitted = fake._record(endpoint, params)
        self._counted = True
        try:
            if admitted:
                self._answer(fake, endpoint, params)
            else:
                self._send(429, b'{"Message":"Too many requests."}', "application/json",
                           {"Retry-After": f"{fake.capacity_retry_after:g}"})
        finally:
            self._release()

    def _release(self) -> None:
        """The request is no longer in progress (called before its reply is sent, so a client
        cannot send its next request on this connection before the count drops)."""
        if getattr(self, "_counted", False):
            self._counted = False
            self.server.fake._done()  # type: ignore[attr-defined]

    def _answer(self, fake: FakeFingertips, endpoint: str, params: dict) -> None:
        delay = fake.request_latency(endpoint, params)
        if delay:
            fake._sleep(delay)
        fault = fake._take_fault(endpoint)
        kind = fault.kind if fault else None
        is_csv = endpoint.startswith(_CSV_PATH_PREFIXES)
        if kind == "500":
            if is_csv:
                # The CSV endpoints answer an exception with its message in plain text (C13).
                self._send(500, _CSV_ERROR.format(
                    indicator=params.get("indicator_ids", "?").split(",")[0]).encode(), _TEXT)
            else:
                self._send(500, b'{"Message":"An error has occurred."}',
                           "application/json; charset=utf-8")
            return
        if kind == "429":
            self._send(429, b'{"Message":"Too many requests."}', "application/json",
                       {"Retry-After": fault.retry_after})
            return
        if kind == "slow":
            fake._sleep(fault.delay)
            if fake._stopping.is_set() or fake._waking.is_set():
                return
        reply = fake.route(endpoint, params)
        body, ctype = reply.body, reply.content_type
        if reply.status == 200 and kind == "html":
            self._send(200, _MAINTENANCE_PAGE, "text/html; charset=utf-8")
            return
        if reply.status == 200 and kind == "empty":
            self._send(200, b"", ctype, reply.headers)
            return
        if reply.status == 200 and kind == "renamed_column":
            head, sep, rest = body.partition(b"\r\n")
            body = head.replace(b",Value,", b",Indicator value,") + sep + rest
        if reply.status == 200 and kind == "truncated":
            body = _cut_mid_row(body) if is_csv else body[:len(body) // 2]
        if reply.status == 200 and kind == "truncated_length":
            self._send(200, body[:len(body) // 2], ctype, reply.headers,
                       content_length=len(body), close=True)
            return
        self._send(reply.status, body, ctype, reply.headers)


def synthetic_table(n_indicators: int, *, first_id: int = 800001,
                    area_codes=("E92000001", "E08000026", "E10000031")) -> pd.DataFrame:
    """A small tidy table of ``n_indicators`` made-up indicators (synthetic test fixture).

    For tests of batching and for benchmarks that need many indicator ids.
    """
    rows = []
    for offset in range(n_indicators):
        ident = first_id + offset
        for n, code in enumerate(area_codes):
            rows.append({
                "indicator_id": ident, "indicator_name": f"Synthetic indicator {ident}",
                "area_code": code, "area_name": code, "area_type": area_type_label(code),
                "sex": "Persons", "period": "2022", "period_start": pd.Timestamp(2022, 1, 1),
                "period_end": pd.Timestamp(2022, 12, 31), "value": 10.0 + n + offset / 1000,
                "source": "synthetic test fixture", "source_ref": "fake_fingertips.py",
                "release": "synthetic test fixture", "release_date": pd.Timestamp(2026, 1, 1),
                "current": True,
            })
    return schema.validate_tidy(schema.coerce_tidy(pd.DataFrame(rows)))


def wait_until_listening(fake: FakeFingertips, timeout: float = 5.0) -> None:
    """Block until the server accepts connections (rarely needed: ``start`` binds first)."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", fake.port)) == 0:
                return
        time.sleep(0.01)
    raise TimeoutError("FakeFingertips did not start listening")
