"""A real HTTP fake of the Fingertips API, serving the real extracts in the API's own formats.

:class:`FakeFingertips` runs a stdlib :class:`~http.server.ThreadingHTTPServer` on 127.0.0.1 (a
random free port) in a background thread. It answers the endpoints :mod:`cw_pophealth.fingertips`
uses, in the formats documented in ``api_samples/API_NOTES.md``, and can inject faults
(:meth:`FakeFingertips.set_fault`). It is a plain module (no pytest import) so that benchmark
scripts can use it too::

    with FakeFingertips(table, latency=0.05) as fake:
        settings = get_settings(api_base_url=fake.url, data_dir=tmp)
        fingertips.fingertips_data(90366, settings=settings)

What is real and what is invented
---------------------------------
* **Real**: the observations (the tidy table from :func:`cw_pophealth.snapshot.build_snapshot`,
  i.e. the published Fingertips/ONS extracts), the areas and their relationships (the Pholio
  reference tables via :func:`cw_pophealth.geography.get_geography`), the CSV header
  (:data:`cw_pophealth.parse.FINGERTIPS_CSV_COLUMNS`), the JSON field names (fingertips-open
  server source, cited in API_NOTES.md), profile ids/names 18, 19, 26, and metadata text taken
  from ``fingertipsnext/indicatorMetadata_35.json`` where it covers an indicator.
* **Synthetic test fixture** (marked where defined): the profiles' domain (group) ids and which
  indicators each domain holds, area-type short names, the ``Age`` label per indicator, the
  ``Time period range`` values (``"1y"``/``"3y"``), and metadata fields the extracts lack.

CSV conventions
---------------
* ``Area Type`` is labelled per area, as 2024-26 API output shows it (API_NOTES.md [USE]):
  ``England`` (E92), ``Region`` (E12), ``County`` (E10), ``UA`` (E06/E08/E09), ``District``
  (E07).
* A request returns the England row(s), the parent rows when the parent type is regions (6),
  and the rows of the areas of the child type; ``Parent Code``/``Parent Name`` come from the
  geography (England for regions and when the parent type is 15). Areas the current geography
  does not know (retired codes) are not served, as the live API serves current areas only.
* Values are written unformatted (shortest round-trip repr); ``Time period Sortable`` is the
  start year * 10000; lines end in CRLF like the real export.
* Unknown indicator ids produce no rows (header only) and are left out of metadata, as the real
  API does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from cw_pophealth import catalogue, schema
from cw_pophealth.fingertips import parse
from cw_pophealth.geography import AREA_TYPE_NAMES, AreaLookup, get_geography

FAULT_KINDS = ("500", "429", "slow", "truncated", "truncated_length", "html",
               "renamed_column", "empty")
#: Faults that only make sense for CSV responses (others apply to any endpoint).
CSV_ONLY_FAULTS = frozenset({"renamed_column"})

ENGLAND = catalogue.ENGLAND
T_ENGLAND = catalogue.AREA_TYPE_ENGLAND
T_REGION = catalogue.AREA_TYPE_REGION
T_DISTRICT_UA = catalogue.AREA_TYPE_DISTRICT_UA
T_COUNTY_UA = catalogue.AREA_TYPE_COUNTY_UA
AREA_TYPE_IDS = (T_ENGLAND, T_REGION, T_DISTRICT_UA, T_COUNTY_UA)

# Synthetic test fixture: short names and parent types of the four area types in use.
AREA_TYPE_SHORT = {T_ENGLAND: "England", T_REGION: "Regions", T_DISTRICT_UA: "Districts & UAs",
                   T_COUNTY_UA: "Counties & UAs"}
PARENT_AREA_TYPES = {T_ENGLAND: (), T_REGION: (T_ENGLAND,),
                     T_COUNTY_UA: (T_ENGLAND, T_REGION),
                     T_DISTRICT_UA: (T_ENGLAND, T_REGION, T_COUNTY_UA)}

# Profile ids and names are real (API_NOTES.md [R16]); the keys follow the site's URL pattern.
# Synthetic test fixture: the domain (group) ids and which indicators each domain holds.
PROFILES = (
    {"Id": 18, "Name": "Local Tobacco Control Profiles", "Key": "tobacco-control",
     "GroupIds": [1800001]},
    {"Id": 19, "Name": "Public Health Outcomes Framework",
     "Key": "public-health-outcomes-framework", "GroupIds": [1900001, 1900002, 1900003]},
    {"Id": 26, "Name": "Health Profiles", "Key": "health-profiles", "GroupIds": [2600001]},
)
GROUP_INDICATORS = {
    1800001: (92443,),
    1900001: (90366, 90362),
    1900002: (92443, 93015, 93088, 93881, 92778),
    1900003: (93722,),
    2600001: (90366, 92443, 93015, 93088),
}
# Synthetic test fixture: the tidy extracts do not carry the age band, so a plausible label per
# indicator is used (fingertipsR documents e.g. "18+ yrs", "All ages").
AGE_LABELS = {90366: "All ages", 90362: "All ages", 92443: "18+ yrs", 93015: "19+ yrs",
              93088: "18+ yrs", 93881: "18+ yrs", 93722: "<75 yrs", 92778: "18+ yrs"}

_AREA_TYPE_LABELS = {"E92": "England", "E12": "Region", "E10": "County", "E06": "UA",
                     "E08": "UA", "E09": "UA", "E07": "District"}
_CSV_PATH_PREFIXES = ("all_data/csv/", "indicator_metadata/csv/")
_MAINTENANCE_PAGE = (
    b"<!DOCTYPE html>\r\n<html><head><title>Fingertips is currently unavailable</title></head>"
    b"<body><h1>Service unavailable</h1><p>Fingertips is undergoing scheduled maintenance. "
    b"Please try again later.</p></body></html>\r\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received: the path after ``/api/`` and its query parameters, when
    it arrived (``time.monotonic()``) and how many requests were then in progress, itself
    included."""

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


def _csv_field(value) -> str:
    """One CSV field as the API writes it: blanks for missing, numbers unformatted, quoting
    only when needed."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def area_type_label(code: str) -> str:
    """The CSV ``Area Type`` label of an area (see the module docstring)."""
    return _AREA_TYPE_LABELS.get(str(code)[:3], "Other")


def _load_fingertipsnext_metadata(extracts_dir: Path | None) -> dict[int, dict]:
    if extracts_dir is None:
        return {}
    path = Path(extracts_dir) / "fingertipsnext" / "indicatorMetadata_35.json"
    if not path.is_file():
        return {}
    items = json.loads(path.read_text(encoding="utf-8-sig"))
    return {int(i["indicatorID"]): i for i in items if str(i.get("indicatorID", "")).isdigit()}


class FakeFingertips:
    """A fake Fingertips API over real HTTP.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        A tidy indicator table (:data:`cw_pophealth.schema.TIDY_SCHEMA`). Default: the snapshot
        built from the real extracts (about 3 s).
    latency : float, default 0.0
        Seconds added to every request before it is answered (for benchmarks): the server's
        fixed cost per request. Requests are served on their own threads, so waits overlap
        when a client sends requests concurrently, as they would on a real server farm.
    latency_per_indicator : float, default 0.0
        Further seconds per indicator in an ``all_data`` request (for benchmarks): the real API
        builds each CSV server-side, in time that grows with the indicators asked for.
        ``by_indicator_id`` counts its ids; ``by_profile_id`` the profile's indicators.
    capacity : int, optional
        Most requests the server will work on at once, like a rate-limited API: a request that
        arrives while ``capacity`` others are in progress is answered at once with HTTP 429 and
        ``Retry-After: capacity_retry_after`` (counted in :attr:`refused`). ``None``: no limit.
    geography : AreaLookup, optional
        Areas and relationships; default :func:`cw_pophealth.geography.get_geography`.
    settings : Settings, optional
        Used to find the extracts when ``data`` or ``geography`` is not given.

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
                 settings=None):
        from cw_pophealth.config import get_settings

        settings = settings or get_settings()
        if data is None:
            from cw_pophealth.snapshot import build_snapshot

            data = build_snapshot(settings, write=False)
        self.latency = float(latency)
        self.latency_per_indicator = float(latency_per_indicator)
        self.capacity = capacity
        self.capacity_retry_after = capacity_retry_after
        self.refused = 0  # requests answered 429 for want of capacity since the last reset()
        self.geography = geography or get_geography(settings)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0  # most requests in progress at once since the last reset()
        self._faults: list[_Fault] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._csv_cache: dict[tuple, bytes] = {}
        self._next_meta = _load_fingertipsnext_metadata(settings.extracts_dir)
        self._prepare(data)

    # -- data preparation ---------------------------------------------------------------------
    def _prepare(self, data: pd.DataFrame) -> None:
        geo = self.geography
        self._type_codes = {t: set(geo.areas(t)["area_code"]) for t in AREA_TYPE_IDS}
        self._names = dict(zip(geo.areas_table["area_code"], geo.areas_table["area_name"],
                               strict=False))
        self._parent_of: dict[tuple[int, int], dict[str, str]] = {}
        for child in AREA_TYPE_IDS:
            for parent in AREA_TYPE_IDS:
                if parent == T_ENGLAND:
                    mapping = {code: ENGLAND for code in self._type_codes[child]}
                else:
                    mapping = {kid: par for par, kids in geo.parent_to_child(child, parent).items()
                               for kid in kids if kid != par}
                self._parent_of[(child, parent)] = mapping
        self._rows = self._csv_frame(data)
        self._encode_rows()
        codes_by_indicator = self._rows.groupby("Indicator ID")["Area Code"].agg(set)
        self._available = sorted(
            (int(ind), t) for ind, codes in codes_by_indicator.items() for t in AREA_TYPE_IDS
            if set(codes) & self._type_codes[t]
        )
        names = (self._rows.drop_duplicates("Indicator ID")
                 .set_index("Indicator ID")["Indicator Name"].to_dict())
        for spec in catalogue.all_indicators():
            names.setdefault(spec.indicator_id, spec.name)
        self._indicator_names = {int(k): str(v) for k, v in names.items()}

    def _csv_frame(self, data: pd.DataFrame) -> pd.DataFrame:
        """Tidy rows -> Fingertips CSV columns (parents are filled per request)."""
        d = data.reset_index(drop=True)
        start = pd.to_datetime(d["period_start"])
        end = pd.to_datetime(d["period_end"])
        years = ((end - start).dt.days / 365.25).round().astype("Int64")

        def text(col: str) -> pd.Series:
            return d[col].astype("string") if col in d.columns else pd.Series(
                pd.NA, index=d.index, dtype="string")

        ind = d["indicator_id"].astype("Int64")
        return pd.DataFrame({
            "Indicator ID": ind,
            "Indicator Name": text("indicator_name"),
            "Parent Code": pd.Series(pd.NA, index=d.index, dtype="string"),
            "Parent Name": pd.Series(pd.NA, index=d.index, dtype="string"),
            "Area Code": text("area_code"),
            "Area Name": text("area_name"),
            "Area Type": d["area_code"].map(area_type_label).astype("string"),
            "Sex": text("sex"),
            "Age": text("age").fillna(ind.map(AGE_LABELS).astype("string")),
            "Category Type": text("category_type"),
            "Category": text("category"),
            "Time period": text("period"),
            "Value": d["value"],
            "Lower CI 95.0 limit": d["lower_ci_95"],
            "Upper CI 95.0 limit": d["upper_ci_95"],
            "Lower CI 99.8 limit": d["lower_ci_99_8"],
            "Upper CI 99.8 limit": d["upper_ci_99_8"],
            "Count": d["count"],
            "Denominator": d["denominator"],
            "Value note": text("value_note"),
            "Recent Trend": text("recent_trend"),
            "Compared to England value or percentiles": text("compared_to_england"),
            "Compared to Region value or percentiles": text("compared_to_parent"),
            "Time period Sortable": (start.dt.year * 10000).astype("Int64"),
            "Time period range": years.astype("string") + "y",  # synthetic test fixture
            "New data": pd.Series(pd.NA, index=d.index, dtype="string"),
            "Compared to goal": pd.Series(pd.NA, index=d.index, dtype="string"),
        }).loc[:, list(parse.FINGERTIPS_CSV_COLUMNS)]

    def _encode_rows(self) -> None:
        """Pre-encode every row as CSV text around the two parent fields (fast responses)."""
        frame = self._rows
        cells = [[_csv_field(v) for v in frame[col].tolist()] for col in frame.columns]
        n = len(frame)
        self._line_head = [f"{cells[0][i]},{cells[1][i]}" for i in range(n)]
        self._line_tail = [",".join(col[i] for col in cells[4:]) for i in range(n)]
        self._header = ",".join(_csv_field(c) for c in frame.columns)
        self._row_ids = frame["Indicator ID"].astype(int).to_numpy()
        self._row_codes = frame["Area Code"].astype(str).tolist()

    def _csv_text(self, ids: tuple[int, ...], child: int, parent: int) -> str:
        selected = np.flatnonzero(np.isin(self._row_ids, ids))
        england, regions, kids = [], [], []
        region_codes = self._type_codes[T_REGION]
        child_codes = self._type_codes.get(child, set())
        for i in selected:
            code = self._row_codes[i]
            if code == ENGLAND:
                england.append(i)
            elif parent == T_REGION and child != T_REGION and code in region_codes:
                regions.append(i)
            elif child != T_ENGLAND and code in child_codes:
                kids.append(i)
        parent_of = self._parent_of.get((child, parent), {})
        england_name = _csv_field(self._names.get(ENGLAND, "England"))
        lines = [self._header]
        lines += [f"{self._line_head[i]},,,{self._line_tail[i]}" for i in england]
        lines += [f"{self._line_head[i]},{ENGLAND},{england_name},{self._line_tail[i]}"
                  for i in regions]
        for i in kids:
            par = parent_of.get(self._row_codes[i])
            fields = f"{par},{_csv_field(self._names.get(par))}" if par else ","
            lines.append(f"{self._line_head[i]},{fields},{self._line_tail[i]}")
        return "\r\n".join(lines) + "\r\n"

    def csv_bytes(self, ids, child: int, parent: int) -> bytes:
        """The ``all_data/csv`` body for indicator ids at a child/parent area type."""
        key = (tuple(sorted(set(int(i) for i in ids))), int(child), int(parent))
        with self._lock:
            cached = self._csv_cache.get(key)
        if cached is None:
            cached = self._csv_text(*key).encode("utf-8")
            with self._lock:
                self._csv_cache[key] = cached
        return cached

    @staticmethod
    def _catalogue_unit(ident: int) -> str:
        """Unit from the package catalogue when FingertipsNext's metadata lacks the indicator."""
        from cw_pophealth.catalogue import all_indicators

        units = {spec.indicator_id: spec.unit for spec in all_indicators()}
        return {"years": "Years", "%": "%"}.get(units.get(ident, "%"), units.get(ident, "%"))

    def metadata(self, ident: int) -> dict:
        """The ``IndicatorMetadata`` JSON object of one indicator (fingertips-open field names)."""
        nxt = self._next_meta.get(ident, {})
        descriptive = {
            "Name": self._indicator_names[ident],
            "NameLong": self._indicator_names[ident],
            "Definition": nxt.get("indicatorDefinition", "Synthetic test fixture definition."),
            "Rationale": nxt.get("rationale", "Synthetic test fixture rationale."),
            "DataSource": nxt.get("dataSource", "Synthetic test fixture data source."),
        }
        value_type = nxt.get("valueType", "Synthetic value type")
        unit = nxt.get("unitLabel") or self._catalogue_unit(ident)
        return {
            "IID": ident,
            "ValueTypeId": 0,  # synthetic test fixture
            "YearTypeId": 1,  # synthetic test fixture
            "Unit": {"Id": 0, "Value": 100.0, "Label": unit},
            "ValueType": {"Id": 0, "Label": value_type},
            "ConfidenceLevel": 95.0,
            "CIMethodId": 0,  # synthetic test fixture
            "Descriptive": descriptive,
            # FingertipsNext's lastUpdatedDate stands in for the legacy DataChange field.
            "DataChange": {"LastUploadedAt": nxt.get("lastUpdatedDate")},
        }

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

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Clear faults and the request log (between tests)."""
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
            self._requests.append(RecordedRequest(endpoint, dict(params), time.monotonic(),
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
        self._stopping.wait(seconds)

    def request_latency(self, endpoint: str, params: dict) -> float:
        """Seconds the server waits before answering this request (the benchmark model):
        ``latency`` plus ``latency_per_indicator`` for each indicator of an ``all_data`` request."""
        delay = self.latency
        if self.latency_per_indicator and endpoint.startswith("all_data/"):
            if endpoint.endswith("by_profile_id"):
                prof = self._ints(params.get("profile_id")) or []
                n = len({i for x in PROFILES if x["Id"] in prof for g in x["GroupIds"]
                         for i in GROUP_INDICATORS.get(g, ())})
            else:
                n = len(set(self._ints(params.get("indicator_ids")) or []))
            delay += self.latency_per_indicator * n
        return delay

    # -- routing ------------------------------------------------------------------------------
    @staticmethod
    def _json(obj, status: int = 200) -> _Reply:
        return _Reply(status, json.dumps(obj).encode("utf-8"), "application/json; charset=utf-8")

    @staticmethod
    def _ints(text: str | None) -> list[int] | None:
        if text is None:
            return None
        try:
            return [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            return None

    def _bad_request(self, message: str = "The request is invalid.") -> _Reply:
        return self._json({"Message": message}, status=400)

    def route(self, endpoint: str, params: dict) -> _Reply:
        """Answer one request (no faults applied)."""
        p = params
        if endpoint == "profiles":
            return self._json(list(PROFILES))
        if endpoint == "profile":
            ids = self._ints(p.get("profile_id"))
            if not ids:
                return self._bad_request()
            found = [x for x in PROFILES if x["Id"] == ids[0]]
            return self._json(found[0] if found else None)
        if endpoint == "area_types":
            wanted = self._ints(p.get("profile_ids"))
            if "profile_ids" in p and wanted is None:
                return self._bad_request()
            known = {x["Id"] for x in PROFILES}
            if wanted is not None and not (set(wanted) & known):
                return self._json([])
            return self._json([self._area_type(t) for t in AREA_TYPE_IDS])
        if endpoint == "areas/by_area_type":
            ids = self._ints(p.get("area_type_id"))
            if not ids:
                return self._bad_request()
            return self._json(self._areas(ids[0], sorted(self._type_codes.get(ids[0], ()))))
        if endpoint == "areas/by_parent_area_code":
            ids = self._ints(p.get("area_type_id"))
            parent = p.get("parent_area_code")
            if not ids or not parent:
                return self._bad_request()
            kids = self.geography.relationships.loc[
                self.geography.relationships["parent_code"] == parent, "child_code"]
            codes = sorted(set(kids) & self._type_codes.get(ids[0], set()))
            return self._json(self._areas(ids[0], codes))
        if endpoint == "parent_to_child_areas":
            child = self._ints(p.get("child_area_type_id"))
            parent = self._ints(p.get("parent_area_type_id"))
            if not child or not parent:
                return self._bad_request()
            mapping: dict[str, list[str]] = {}
            for kid, par in self._parent_of.get((child[0], parent[0]), {}).items():
                mapping.setdefault(par, []).append(kid)
            return self._json({k: sorted(v) for k, v in sorted(mapping.items())})
        if endpoint == "available_data":
            ind = self._ints(p.get("indicator_id"))
            typ = self._ints(p.get("area_type_id"))
            rows = [{"IndicatorId": i, "AreaTypeId": t} for i, t in self._available
                    if (not ind or i == ind[0]) and (not typ or t == typ[0])]
            return self._json(rows)
        if endpoint == "indicator_metadata/by_indicator_id":
            ids = self._ints(p.get("indicator_ids"))
            if ids is None:
                return self._bad_request()
            return self._json({str(i): self.metadata(i) for i in ids
                               if i in self._indicator_names})
        if endpoint == "indicator_metadata/by_group_id":
            groups = self._ints(p.get("group_ids"))
            if groups is None:
                return self._bad_request()
            ids = [i for g in groups for i in GROUP_INDICATORS.get(g, ())]
            return self._json({str(i): self.metadata(i) for i in dict.fromkeys(ids)
                               if i in self._indicator_names})
        if endpoint == "indicator_metadata/all":
            return self._json({str(i): self.metadata(i) for i in sorted(self._indicator_names)})
        if endpoint in ("all_data/csv/by_indicator_id", "all_data/csv/by_profile_id"):
            child = self._ints(p.get("child_area_type_id") or p.get("area_type_id"))
            parent = self._ints(p.get("parent_area_type_id", str(T_ENGLAND)))
            if not child or not parent:
                return self._bad_request()
            if endpoint.endswith("by_indicator_id"):
                ids = self._ints(p.get("indicator_ids"))
                if not ids or len(ids) > 100:
                    return self._bad_request("indicator_ids must list 1 to 100 ids")
            else:
                prof = self._ints(p.get("profile_id"))
                if not prof:
                    return self._bad_request()
                groups = [g for x in PROFILES if x["Id"] == prof[0] for g in x["GroupIds"]]
                ids = [i for g in groups for i in GROUP_INDICATORS.get(g, ())]
            body = self.csv_bytes(ids, child[0], parent[0])
            return _Reply(200, body, "text/csv; charset=utf-8",
                          {"Content-Disposition": 'attachment; filename="indicators.data.csv"'})
        return self._json({"Message": "No HTTP resource was found that matches the request URI "
                                      f"'{endpoint}'."}, status=404)

    def _area_type(self, type_id: int) -> dict:
        return {
            "Id": type_id, "Name": AREA_TYPE_NAMES[type_id], "Short": AREA_TYPE_SHORT[type_id],
            "IsSearchable": type_id in (T_DISTRICT_UA, T_COUNTY_UA),
            "CanBeDisplayedOnMap": type_id != T_ENGLAND,
            "ParentAreaTypes": [{"Id": p, "Name": AREA_TYPE_NAMES[p],
                                 "Short": AREA_TYPE_SHORT[p]}
                                for p in PARENT_AREA_TYPES[type_id]],
        }

    def _areas(self, type_id: int, codes) -> list[dict]:
        return [{"Code": c, "Name": self._names.get(c, c), "Short": self._names.get(c, c),
                 "AreaTypeId": type_id} for c in codes]

    # -- server lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeFingertips:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
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
        if kind == "500":
            self._send(500, b'{"Message":"An error has occurred."}', "application/json")
            return
        if kind == "429":
            self._send(429, b'{"Message":"Too many requests."}', "application/json",
                       {"Retry-After": fault.retry_after})
            return
        if kind == "slow":
            fake._sleep(fault.delay)
            if fake._stopping.is_set():
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
            body = _cut_mid_row(body) if ctype.startswith("text/csv") else body[:len(body) // 2]
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
