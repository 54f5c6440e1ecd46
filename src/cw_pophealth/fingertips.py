"""Fingertips API client: lookups and indicator data as pandas DataFrames, robust and cached.

The functions mirror fingertipsR (``profiles``, ``indicators``, ``indicator_metadata``,
``area_types``, ``areas``, ``available_data`` for ``indicator_areatypes``, ``fingertips_data``)
and return DataFrames with snake_case columns. :func:`pull` is what ``cw-pophealth pull`` runs.

How requests are made
---------------------
* **One HTTP function**, :func:`_http_get`. Sessions (:class:`requests.Session`, kept alive
  between calls) come from a small pool and are lent to one thread at a time, since requests
  does not promise that a session is thread-safe. TLS verification is on. ``verify=True`` is passed
  on every call and there is no code path that turns it off; behind a TLS-intercepting
  corporate proxy, point ``REQUESTS_CA_BUNDLE`` at your organisation's CA bundle instead.
  Proxies come from the usual ``HTTPS_PROXY``/``NO_PROXY`` variables.
* Explicit ``(connect, read)`` timeouts from :class:`~cw_pophealth.config.Settings`.
* Timeouts, connection errors, broken transfers, HTTP 429 (honouring ``Retry-After``) and 5xx are
  retried ``settings.retries`` times with exponential back-off plus jitter; other 4xx are not.
* At most ``settings.max_workers`` requests are in flight to a host at once, across all threads.
  That cap adapts (:class:`_HostThrottle`): a 429, a 5xx or a timeout halves it, a
  ``Retry-After`` holds every new request to the host until then, and good answers raise it
  again step by step.
* A 200 response is checked before it is used *or cached*: HTML pages, empty bodies, invalid
  JSON and truncated CSVs raise :class:`~cw_pophealth.errors.MalformedResponseError`; a changed CSV
  header raises :class:`~cw_pophealth.errors.SchemaDriftError`.
* Every good response is stored byte-for-byte in the raw cache (:mod:`cw_pophealth.cache`) with
  a provenance sidecar. With ``settings.offline`` (``--offline`` / ``CW_POPHEALTH_OFFLINE=1``)
  requests are answered from that cache only.

Speed
-----
* :func:`pull` asks for each indicator and area type separately (``per_indicator=True``) and runs
  the requests on ``settings.max_workers`` threads over kept-alive connections. The API builds
  each CSV server-side, so its time grows with the indicators in a request: smaller requests in
  parallel finish sooner.
* The lookups that check the arguments run at the same time as the data requests, not before
  them (:func:`_checks_then_tasks`): a pull costs one round trip, not two. The data are used,
  cached and written only once every check has passed, so bad arguments raise the same error
  as before and leave the cache and the table as they were.
* CSVs are parsed with pyarrow's multi-threaded reader straight into Arrow tables; the
  responses of one area type are converted to the tidy schema together, once.
* The validated tidy rows of each area type are kept as Parquet in a derived cache
  (:class:`~cw_pophealth.cache.DerivedFrameCache`) keyed by the bodies' sha256s and URLs and a
  fingerprint of this package's code, so bodies already converted by the same code are not
  converted again. New or changed bodies are always fully checked and converted, and bodies
  fetched online reach the raw cache only once their rows have been validated.
* :func:`pull` stamps the table it writes with a digest of its inputs (the response bodies'
  sha256s and URLs, the arguments and the code fingerprint). A pull whose inputs match the stamp,
  with the table file unchanged since, reads the table back instead of de-duplicating,
  validating and writing it again. ``benchmarks/run_benchmarks.py`` measures all of this.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import ipaddress
import json
import logging
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pyarrow.csv as pa_csv
import requests
from tqdm import tqdm

from cw_pophealth import __version__, catalogue, schema, transforms
from cw_pophealth.cache import (
    DerivedFrameCache,
    ResponseCache,
    cache_key,
    digest_of,
    normalise_params,
    package_source_sha256,
    query_string,
    read_stamped_table,
    write_table_stamp,
)
from cw_pophealth.config import Settings, get_settings
from cw_pophealth.errors import (
    APIUnavailableError,
    ConfigError,
    CwPopHealthError,
    FingertipsAPIError,
    MalformedResponseError,
    NoDataError,
    OfflineCacheMissError,
    ParameterError,
    UnknownAreaError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from cw_pophealth.geography import validate_area_code

logger = logging.getLogger(__name__)

__all__ = [
    "API_SOURCE_LABEL",
    "MAX_IDS_PER_REQUEST",
    "area_types",
    "areas",
    "available_data",
    "fingertips_data",
    "indicator_metadata",
    "indicators",
    "parent_to_child_areas",
    "profiles",
    "pull",
]

#: The API accepts at most 100 indicator ids per ``all_data`` request (fingertips-open server).
MAX_IDS_PER_REQUEST = 100
#: ``source`` label of rows pulled from the API.
API_SOURCE_LABEL = "Fingertips API"
#: Longest ``Retry-After`` the client will sleep for; a longer one fails at once with the wait.
MAX_RETRY_AFTER = 120.0
STATUS_PAGE = "https://fingertips.phe.org.uk"
USER_AGENT = f"cw-pophealth/{__version__} (python-requests/{requests.__version__})"
_OFFLINE_HINT = ("retry later, or work from the raw cache with `cw-pophealth pull --offline` "
                 "(or CW_POPHEALTH_OFFLINE=1)")
_LOOPBACK_NAMES = {"localhost"}

# Fingertips CSV columns read as numbers; every other column is read as text.
_CSV_INT_COLUMNS = ("Indicator ID", "Time period Sortable")
_CSV_FLOAT_COLUMNS = ("Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
                      "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator")
#: Parse CSVs with pyarrow's multi-threaded reader when available (tests switch this off to
#: exercise the C-engine path).
_PREFER_PYARROW = True

# Idle sessions, reused across calls and threads; a session is used by one thread at a time
# (requests does not promise that a Session is thread-safe) and keeps its connections alive.
_idle_sessions: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()


# =============================================================================================
# Transport
# =============================================================================================
@dataclass(frozen=True)
class _Response:
    """A complete HTTP response body with what the cache records about it."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    elapsed: float


def _new_session() -> requests.Session:
    """A session with TLS verification on and this package's User-Agent."""
    session = requests.Session()
    session.verify = True
    session.headers["User-Agent"] = USER_AGENT
    return session


@contextlib.contextmanager
def _borrowed_session():
    """Lend an idle session to the calling thread (creating one if none is idle)."""
    try:
        session = _idle_sessions.get_nowait()
    except queue.Empty:
        session = _new_session()
    try:
        yield session
    finally:
        _idle_sessions.put(session)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


def _build_url(settings: Settings, endpoint: str, params: dict[str, str]) -> str:
    """Full request URL; HTTPS is required except for loopback test servers."""
    base = settings.api_base_url if settings.api_base_url.endswith("/") else (
        settings.api_base_url + "/")
    parts = urlsplit(base)
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
        raise ConfigError(
            f"The Fingertips API base URL {base!r} is not HTTPS. Use "
            "https://fingertips.phe.org.uk/api/ (set FINGERTIPS_API_URL or Settings.api_base_url); "
            "plain HTTP is allowed only for a test server on localhost."
        )
    query = query_string(params)
    return f"{base}{endpoint.strip('/')}" + (f"?{query}" if query else "")


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


def _backoff_delay(settings: Settings, attempt: int) -> float:
    """Exponential back-off plus jitter: ``backoff * 2**(attempt-1) + U(0, backoff)`` seconds."""
    return settings.backoff * (2 ** (attempt - 1)) + random.uniform(0, settings.backoff)


#: Seconds without a sign of overload after which a host's request cap is back at the ceiling.
THROTTLE_MEMORY = 60.0


class _HostThrottle:
    """An adaptive cap on the requests in flight to one host, shared by every thread.

    The cap starts at the ceiling, ``settings.max_workers``. An answer that says the server is
    overloaded (HTTP 429 or 5xx) or a read/connect timeout halves it, down to one request at a
    time, and a ``Retry-After`` holds every new request to that host until then. The cap is
    halved at most once per round of requests: answers to requests sent before the last cut do
    not cut again, so a burst of 429s from one wave gives one halving, not one per response.
    Each run of ``cap`` good answers to requests sent since the last cut raises the cap by one,
    and after :data:`THROTTLE_MEMORY` seconds without trouble it is back at the ceiling. This is
    additive-increase / multiplicative-decrease, the congestion control of TCP, applied to one
    API: the client asks for as much as ``max_workers`` allows while the server copes, and backs
    off as soon as the server says it cannot.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ceiling = 1
        self._cap = 1
        self._in_flight = 0
        self._streak = 0
        self._resume_at = 0.0
        self._last_cut = float("-inf")

    @property
    def cap(self) -> int:
        """Requests currently allowed in flight."""
        with self._cond:
            return self._cap

    @contextlib.contextmanager
    def slot(self, ceiling: int):
        """Wait for a free slot (and any ``Retry-After``); yields the time the slot was taken."""
        ceiling = max(1, int(ceiling))
        with self._cond:
            while True:
                now = time.monotonic()
                if ceiling != self._ceiling:
                    self._ceiling = ceiling
                    self._cap = min(self._cap, ceiling)
                if now - self._last_cut > THROTTLE_MEMORY:
                    self._cap = self._ceiling
                hold = self._resume_at - now
                if hold <= 0 and self._in_flight < self._cap:
                    break
                self._cond.wait(timeout=hold if hold > 0 else None)
            self._in_flight += 1
        try:
            yield now
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def good_answer(self, sent_at: float) -> None:
        """Count a good answer; each run of ``cap`` of them raises the cap by one.

        Answers to requests sent before the last cut do not count: they say nothing about how
        the server copes with the new cap.
        """
        with self._cond:
            if self._cap >= self._ceiling or sent_at < self._last_cut:
                return
            self._streak += 1
            if self._streak >= self._cap:
                self._cap += 1
                self._streak = 0
                self._cond.notify_all()

    def overloaded(self, sent_at: float, retry_after: float | None = None) -> None:
        """The server is overloaded: halve the cap (once per round) and honour ``Retry-After``."""
        with self._cond:
            now = time.monotonic()
            if retry_after:
                self._resume_at = max(self._resume_at, now + retry_after)
            if sent_at >= self._last_cut:
                before = self._cap
                self._cap = max(1, self._cap // 2)
                self._streak = 0
                self._last_cut = now
                logger.info("The server is overloaded: at most %d request(s) at a time (was %d)",
                            self._cap, before)


_throttles: dict[str, _HostThrottle] = {}
_throttles_lock = threading.Lock()


def _throttle_for(url: str) -> _HostThrottle:
    """The throttle shared by every request to the host of ``url``."""
    host = urlsplit(url).netloc.lower()
    with _throttles_lock:
        return _throttles.setdefault(host, _HostThrottle())


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit * 2].decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if title:
        return f"page title {title.group(1).strip()[:limit]!r}"
    return repr(" ".join(text.split())[:limit])


def _http_get(url: str, *, settings: Settings, session: requests.Session | None = None
              ) -> _Response:
    """GET ``url`` with timeouts, retries and TLS verification; the only function doing HTTP.

    Parameters
    ----------
    url : str
        The full request URL.
    settings : Settings
        ``connect_timeout``, ``read_timeout``, ``retries`` and ``backoff`` are used.
    session : requests.Session, optional
        Defaults to an idle session from the module's pool.

    Returns
    -------
    _Response
        Status 2xx with the complete body.

    Raises
    ------
    APIUnavailableError
        Timeouts, connection errors, 429 or 5xx on every attempt (the message names the URL, the
        last cause and the number of attempts, and says what to do).
    MalformedResponseError
        The body was cut short (fewer bytes than ``Content-Length``) on every attempt.
    FingertipsAPIError
        A 4xx other than 429 (not retried), a TLS certificate failure (not retried), or a URL
        that requests cannot send.
    """
    if session is None:
        with _borrowed_session() as borrowed:
            return _http_get(url, settings=settings, session=borrowed)
    attempts = max(1, int(settings.retries) + 1)
    timeout = (settings.connect_timeout, settings.read_timeout)
    throttle = _throttle_for(url)
    started = time.monotonic()
    last_cause = "no attempt made"
    truncated = False
    for attempt in range(1, attempts + 1):
        wait_for: float | None = None
        try:
            with throttle.slot(settings.max_workers) as t0:
                resp = session.get(url, timeout=timeout, verify=True, allow_redirects=True)
                body = resp.content
        except requests.exceptions.SSLError as exc:
            raise FingertipsAPIError(
                f"TLS certificate verification failed for {url}: {exc}. This client never turns "
                "verification off. Behind a corporate proxy that re-signs HTTPS, set "
                "REQUESTS_CA_BUNDLE to your organisation's CA bundle; otherwise check the system "
                "clock and CA certificates.", url=url) from exc
        except requests.exceptions.Timeout as exc:
            throttle.overloaded(t0)
            kind = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read"
            limit = settings.connect_timeout if kind == "connect" else settings.read_timeout
            last_cause = f"{kind} timeout after {limit:g} s"
            truncated = False
        except (requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            last_cause = f"the transfer broke off before the whole body arrived ({exc})"
            truncated = True
        except requests.exceptions.ConnectionError as exc:
            last_cause = f"connection error ({exc})"
            truncated = False
        except requests.exceptions.RequestException as exc:
            raise FingertipsAPIError(f"Could not send the request {url}: {exc}", url=url) from exc
        else:
            elapsed = time.monotonic() - t0
            status = resp.status_code
            if status == 429 or status >= 500:
                last_cause = f"HTTP {status} {resp.reason or ''}".strip()
                truncated = False
                if status == 429 or status == 503:
                    wait_for = _retry_after_seconds(resp.headers.get("Retry-After"))
                    if wait_for is not None and wait_for > MAX_RETRY_AFTER:
                        throttle.overloaded(t0)
                        raise APIUnavailableError(
                            f"The Fingertips API answered {url} with {last_cause} and asks "
                            f"clients to wait {wait_for:.0f} s. Check {STATUS_PAGE}, "
                            f"{_OFFLINE_HINT}.", url=url, status=status)
                throttle.overloaded(t0, wait_for)
            elif status >= 400:
                raise FingertipsAPIError(
                    f"The Fingertips API rejected {url} with HTTP {status} {resp.reason or ''} "
                    f"({_snippet(body)}). This is not retried: check the endpoint and parameters "
                    "(ids of indicators, area types and profiles are listed by indicators(), "
                    "area_types() and profiles()).", url=url, status=status)
            else:
                declared = resp.headers.get("Content-Length")
                encoded = resp.headers.get("Content-Encoding", "identity").lower()
                if (declared and declared.isdigit() and encoded in ("", "identity")
                        and int(declared) != len(body)):
                    last_cause = (f"the body has {len(body)} bytes but Content-Length "
                                  f"says {declared}")
                    truncated = True
                else:
                    throttle.good_answer(t0)
                    logger.debug("GET %s -> %d (%d bytes, %.2f s)", url, status, len(body),
                                 elapsed)
                    return _Response(url=url, status=status, body=body,
                                     content_type=resp.headers.get("Content-Type"),
                                     elapsed=elapsed)
        if attempt < attempts:
            delay = wait_for if wait_for is not None else _backoff_delay(settings, attempt)
            logger.warning("Attempt %d/%d for %s failed (%s); retrying in %.2f s",
                           attempt, attempts, url, last_cause, delay)
            time.sleep(delay)
    spent = time.monotonic() - started
    if truncated:
        exc = MalformedResponseError(
            f"The Fingertips API sent an incomplete response for {url} on all {attempts} "
            f"attempt(s) over {spent:.1f} s: {last_cause}. Nothing was cached. Check "
            f"{STATUS_PAGE}, {_OFFLINE_HINT}.", url=url)
    else:
        exc = APIUnavailableError(
            f"The Fingertips API did not answer {url} after {attempts} attempt(s) over "
            f"{spent:.1f} s; last error: {last_cause}. Check {STATUS_PAGE} is up, "
            f"{_OFFLINE_HINT}.", url=url)
    exc.attempts = attempts  # type: ignore[attr-defined]
    raise exc


# =============================================================================================
# Body checks and parsers (run before anything is cached)
# =============================================================================================
def _check_body(body: bytes, content_type: str | None, url: str, what: str) -> None:
    """Reject empty bodies and HTML pages served with status 200."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise MalformedResponseError(
            f"The Fingertips API returned an empty body for {url} (expected {what}). Nothing was "
            f"cached; {_OFFLINE_HINT}.", url=url)
    if "text/html" in (content_type or "").lower() or stripped[:1] == b"<":
        raise MalformedResponseError(
            f"The Fingertips API returned an HTML page instead of {what} for {url} "
            f"({_snippet(stripped)}); this is usually a maintenance or error page. Nothing was "
            f"cached. Check {STATUS_PAGE}, {_OFFLINE_HINT}.", url=url)


def _parse_json(body: bytes, url: str, *, expect: type | tuple[type, ...],
                allow_null: bool = False) -> Any:
    """Decode a JSON body and check its top-level type."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedResponseError(
            f"The Fingertips API returned invalid JSON for {url} ({exc}; starts "
            f"{_snippet(body, 80)}). The response may have been cut short; nothing was cached. "
            f"{_OFFLINE_HINT.capitalize()}.", url=url) from exc
    if data is None and allow_null:
        return None
    if not isinstance(data, expect):
        types = (expect,) if isinstance(expect, type) else expect
        names = "/".join(t.__name__ for t in types)
        raise MalformedResponseError(
            f"The Fingertips API returned a JSON {type(data).__name__} for {url}, expected a "
            f"{names}. The endpoint's format may have changed; nothing was cached.", url=url)
    return data


def _check_field_counts(body: bytes, n_columns: int, url: str) -> None:
    """Row-by-row field count check (used with the C engine, which pads short rows silently)."""
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace"), newline=""),
                        strict=True)
    try:
        for number, row in enumerate(reader, start=1):
            if row and len(row) != n_columns:
                raise MalformedResponseError(
                    f"The CSV from {url} is truncated or ragged: record {number} has {len(row)} "
                    f"field(s), the header has {n_columns}. Nothing was cached; "
                    f"{_OFFLINE_HINT}.", url=url)
    except csv.Error as exc:
        raise MalformedResponseError(
            f"The CSV from {url} ends inside a quoted field ({exc}): it was cut short. Nothing "
            f"was cached; {_OFFLINE_HINT}.", url=url) from exc


def _csv_header(body: bytes, url: str) -> tuple[bytes, list[str]]:
    """The body without a BOM and its header, checked (:class:`SchemaDriftError` on drift)."""
    text_start = body.lstrip(b"\xef\xbb\xbf")
    header_line = text_start.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    header = next(csv.reader([header_line]))
    transforms.check_fingertips_columns(header, where=url)
    return text_start, header


def _parse_fingertips_csv(body: bytes, url: str) -> pa.Table | pd.DataFrame:
    """Parse an ``all_data/csv`` body into raw Fingertips columns.

    The header is checked first (:class:`SchemaDriftError` on drift). Numbers are read as numbers
    and every other column as text, missing only when empty. pyarrow's reader (multi-threaded,
    outside the GIL) gives a :class:`pyarrow.Table`; it rejects rows with the wrong number of
    fields and values that are not numbers. Anything it rejects, or every body when
    ``_PREFER_PYARROW`` is off, goes through pandas' C engine plus a row-by-row field-count check
    instead, which either parses it or raises :class:`MalformedResponseError` saying what is
    wrong.
    """
    text_start, header = _csv_header(body, url)
    if _PREFER_PYARROW:
        types = {c: (pa.int64() if c in _CSV_INT_COLUMNS else pa.float64()
                     if c in _CSV_FLOAT_COLUMNS else pa.string()) for c in header}
        try:
            return pa_csv.read_csv(
                io.BytesIO(text_start),
                convert_options=pa_csv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=True))
        except (pa.ArrowException, ValueError, TypeError) as exc:
            logger.debug("pyarrow could not read the CSV from %s (%s); using the C engine", url,
                         exc)
    dtypes = {c: ("Int64" if c in _CSV_INT_COLUMNS else "float64" if c in _CSV_FLOAT_COLUMNS
                  else "string") for c in header}
    _check_field_counts(text_start, len(header), url)
    try:
        return pd.read_csv(io.BytesIO(text_start), engine="c", on_bad_lines="error",
                           dtype=dtypes, keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError) as exc:
        raise MalformedResponseError(
            f"The CSV from {url} could not be parsed ({exc}). Nothing was cached; "
            f"{_OFFLINE_HINT}.", url=url) from exc


_ARROW_TO_PANDAS = {pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype()}


def _as_pandas(parsed: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """A parsed CSV as pandas: text as ``string``, integers as ``Int64``, floats as float64."""
    if isinstance(parsed, pd.DataFrame):
        return parsed
    return parsed.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)


def _read_fingertips_csv(body: bytes, url: str) -> pd.DataFrame:
    """Parse an ``all_data/csv`` body into a DataFrame of raw Fingertips columns."""
    return _as_pandas(_parse_fingertips_csv(body, url))


def _indicator_ids_in(parsed: pa.Table | pd.DataFrame) -> list[int]:
    column = parsed["Indicator ID"]
    if isinstance(parsed, pa.Table):
        return [int(v) for v in pa.compute.unique(column).to_pylist() if v is not None]
    return [int(v) for v in column.dropna().unique()]


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """sha256 of the code that turns a CSV body into tidy rows: this package's source
    (:func:`cw_pophealth.cache.package_source_sha256`) plus the pandas and pyarrow versions
    (computed once per process)."""
    versions = f"{__version__}|{pd.__version__}|{pa.__version__}|{package_source_sha256()}"
    return hashlib.sha256(versions.encode()).hexdigest()


#: ``{column: dtype}`` of the tidy schema, checked on every frame read from the derived cache.
_TIDY_DTYPES = {c.name: c.dtype for c in schema.TIDY_SCHEMA}


# =============================================================================================
# Cache-aware fetch
# =============================================================================================
def _fetch(endpoint: str, params: dict[str, object] | None, *, settings: Settings, kind: str,
           parse: Callable[[bytes, str], Any]) -> Any:
    """Fetch one endpoint through the raw cache and return ``parse(body, url)``.

    Online, the response is fetched, checked, parsed and only then written to the cache (so a
    bad response never replaces a good entry). Offline, the cached body is parsed; a missing
    entry raises :class:`OfflineCacheMissError`.
    """
    norm = normalise_params(params)
    url = _build_url(settings, endpoint, norm)
    what = "CSV" if kind == "csv" else "JSON"
    store = ResponseCache.for_settings(settings)
    if settings.offline:
        entry = _cached_entry(store, endpoint, norm, url)
        source_url = entry.meta.get("url", url)
        _check_body(entry.body, entry.meta.get("content_type"), source_url, what)
        return parse(entry.body, source_url)
    response = _http_get(url, settings=settings)
    _check_body(response.body, response.content_type, url, what)
    parsed = parse(response.body, url)
    store.put(endpoint, norm, response.body, url=url, status=response.status,
              content_type=response.content_type, elapsed=response.elapsed, extension=kind)
    return parsed


def _cached_entry(store: ResponseCache, endpoint: str, norm: dict[str, str], url: str):
    """The raw-cache entry for a request (offline mode); a miss raises a clear error."""
    entry = store.get(endpoint, norm)
    if entry is None:
        raise OfflineCacheMissError(
            f"Offline mode: no cached response for {url} (cache key "
            f"{cache_key(endpoint, norm)!r}) under {store.root}. Run `cw-pophealth pull` "
            "online first (without --offline / CW_POPHEALTH_OFFLINE) with the same "
            "indicators and area types to fill the cache.")
    logger.debug("Served %s from the cache (%s)", url, entry.body_path)
    return entry


def _get_json(endpoint: str, params: dict[str, object] | None, *, settings: Settings,
              expect: type | tuple[type, ...], allow_null: bool = False) -> Any:
    return _fetch(endpoint, params, settings=settings, kind="json",
                  parse=lambda body, url: _parse_json(body, url, expect=expect,
                                                      allow_null=allow_null))


def _run_parallel(tasks: Sequence[Callable[[], Any]], *, settings: Settings, progress: bool,
                  description: str) -> list[Any]:
    """Run callables on a thread pool of ``settings.max_workers``; results in task order.

    A tqdm bar is shown when ``progress`` and there is more than one task. The first error
    cancels the tasks not yet started and is re-raised.
    """
    return _checks_then_tasks([], tasks, settings=settings, progress=progress,
                              description=description)[1]


def _checks_then_tasks(checks: Sequence[Callable[[], Any]], tasks: Sequence[Callable[[], Any]],
                       *, settings: Settings, progress: bool = False,
                       description: str = "requests") -> tuple[list[Any], list[Any]]:
    """Run argument checks and the work they guard at the same time; check errors come first.

    Everything is submitted at once to one pool of ``settings.max_workers`` threads, checks
    first, so the work does not wait a round trip for the lookups that check its arguments.
    What is guarded is the *use* of the work's results, not its start: results are returned
    only when every check passed, so callers commit nothing (cache, table) on bad arguments.

    * If a check fails, work not yet started is cancelled and, once the work in flight has
      ended, the error of the *first* failing check in argument order (not in time) is raised,
      so the same bad arguments always give the same error.
    * If a task fails, tasks not yet started are cancelled; the checks still run to the end,
      and a check error is raised in preference to the task's (it says more about the cause).

    Parameters
    ----------
    checks, tasks : sequence of callables
        Zero-argument callables.
    settings : Settings
        ``max_workers`` bounds the threads.
    progress : bool, default False
        Show a tqdm bar over ``tasks`` when there is more than one.
    description : str
        The bar's label.

    Returns
    -------
    tuple of (list, list)
        The checks' results and the tasks' results, each in the order given.
    """
    n = len(checks) + len(tasks)
    if n <= 1:  # nothing to overlap
        return [c() for c in checks], [t() for t in tasks]
    check_results: list[Any] = [None] * len(checks)
    task_results: list[Any] = [None] * len(tasks)
    check_errors: dict[int, BaseException] = {}
    task_error: BaseException | None = None
    # No bar object at all without progress (creating even a disabled one sets up a
    # multiprocessing lock).
    bar = (tqdm(total=len(tasks), desc=description, unit="request", leave=False)
           if progress and len(tasks) > 1 else None)
    executor = ThreadPoolExecutor(max_workers=max(1, min(int(settings.max_workers), n)),
                                  thread_name_prefix="fingertips")
    try:
        index: dict[Future, tuple[str, int]] = {}
        for i, check in enumerate(checks):
            index[executor.submit(check)] = ("check", i)
        for i, task in enumerate(tasks):
            index[executor.submit(task)] = ("task", i)
        pending = set(index)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                kind, i = index[future]
                if future.cancelled():
                    continue
                error = future.exception()
                if kind == "check":
                    if error is None:
                        check_results[i] = future.result()
                    else:
                        check_errors[i] = error
                elif error is None:
                    task_results[i] = future.result()
                    if bar is not None:
                        bar.update(1)
                elif task_error is None:
                    task_error = error
                if error is not None:  # stop the work that has not started
                    for other, (other_kind, _) in index.items():
                        if other_kind == "task":
                            other.cancel()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    if check_errors:
        raise check_errors[min(check_errors)]
    if task_error is not None:
        raise task_error
    return check_results, task_results


def _checked_in_order(settings: Settings, *checks: Callable[[], Any]) -> list[Any]:
    """Run independent lookups concurrently; return their results in order (the error of the
    first failing one in argument order, see :func:`_checks_then_tasks`)."""
    return _checks_then_tasks(checks, [], settings=settings)[0]


# =============================================================================================
# Argument handling
# =============================================================================================
def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def _as_list(values) -> list:
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return [values]
    return list(values)


def _resolve_indicator_ids(values) -> list[int]:
    """Turn ids (int or numeric str) and catalogue keys (``"smoking"``) into unique int ids."""
    out: list[int] = []
    for value in _as_list(values):
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
                ident = int(value)
            except (TypeError, ValueError) as exc:
                raise UnknownIndicatorError(
                    f"Indicator {value!r} is neither a Fingertips id nor a catalogue key. Search "
                    "ids with cw_pophealth.fingertips.indicators().") from exc
        if ident not in out:
            out.append(ident)
    return out


def _as_type_id(value, parameter: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise UnknownAreaTypeError(
            f"{parameter}={value!r} is not an area-type id (an integer such as 502 for counties "
            "& UAs or 501 for districts & UAs). List them with "
            "cw_pophealth.fingertips.area_types().") from exc


def _chunks(items: Sequence, size: int) -> list[list]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _int_or_na(value) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return pd.NA


# =============================================================================================
# Lookups
# =============================================================================================
def profiles(profile_id: int | None = None, *, settings: Settings | None = None) -> pd.DataFrame:
    """Fingertips profiles and their domains (``profiles`` / ``profile`` endpoints).

    Parameters
    ----------
    profile_id : int, optional
        One profile (e.g. 19, Public Health Outcomes Framework); all profiles when omitted.
    settings : Settings, optional
        Defaults to :func:`~cw_pophealth.config.get_settings`.

    Returns
    -------
    pandas.DataFrame
        One row per profile and domain: ``profile_id`` (Int64), ``profile_name``,
        ``profile_key`` (the URL key, e.g. ``public-health-outcomes-framework``), ``domain_id``
        (Int64; a profile's "domains" are the API's ``GroupIds``; missing if it has none).

    Raises
    ------
    ParameterError
        If ``profile_id`` is not a profile.
    FingertipsAPIError
        If the API is unavailable or answers with something unusable.

    See Also
    --------
    indicators : the indicators in a profile.

    Examples
    --------
    >>> profiles(19)[["profile_id", "profile_name"]].drop_duplicates()  # doctest: +SKIP
       profile_id                      profile_name
    0          19  Public Health Outcomes Framework
    """
    settings = _settings(settings)
    if profile_id is None:
        items = _get_json("profiles", None, settings=settings, expect=list)
    else:
        pid = int(profile_id)
        item = _get_json("profile", {"profile_id": pid}, settings=settings, expect=dict,
                         allow_null=True)
        if not item:
            raise ParameterError(
                f"profile_id={profile_id!r} is not a Fingertips profile. List profiles with "
                "cw_pophealth.fingertips.profiles().")
        items = [item]
    rows = []
    for item in items:
        groups = item.get("GroupIds") or [None]
        for group in groups:
            rows.append({"profile_id": item.get("Id"), "profile_name": item.get("Name"),
                         "profile_key": item.get("Key"), "domain_id": group})
    frame = pd.DataFrame(rows, columns=["profile_id", "profile_name", "profile_key", "domain_id"])
    return frame.astype({"profile_id": "Int64", "profile_name": "string",
                         "profile_key": "string", "domain_id": "Int64"})


def _metadata_rows(payload: dict) -> list[dict]:
    """Flatten the API's ``{id: IndicatorMetadata}`` object into rows."""
    rows = []
    for key, item in payload.items():
        if not isinstance(item, dict):
            continue
        desc = item.get("Descriptive") or {}
        unit = item.get("Unit") or {}
        value_type = item.get("ValueType") or {}
        change = item.get("DataChange") or {}
        rows.append({
            "indicator_id": _int_or_na(item.get("IID", key)),
            "indicator_name": desc.get("Name") or desc.get("NameLong"),
            "name_long": desc.get("NameLong"),
            "definition": desc.get("Definition"),
            "rationale": desc.get("Rationale"),
            "data_source": desc.get("DataSource"),
            "unit": unit.get("Label"),
            "value_type": value_type.get("Label") or value_type.get("Name"),
            "value_type_id": _int_or_na(item.get("ValueTypeId", value_type.get("Id"))),
            "year_type_id": _int_or_na(item.get("YearTypeId")),
            "confidence_level": item.get("ConfidenceLevel"),
            "ci_method_id": _int_or_na(item.get("CIMethodId")),
            "last_uploaded_at": change.get("LastUploadedAt"),
        })
    return rows


_METADATA_COLUMNS = {
    "indicator_id": "Int64", "indicator_name": "string", "name_long": "string",
    "definition": "string", "rationale": "string", "data_source": "string", "unit": "string",
    "value_type": "string", "value_type_id": "Int64", "year_type_id": "Int64",
    "confidence_level": "float64", "ci_method_id": "Int64", "last_uploaded_at": "string",
}


def indicator_metadata(indicator_ids, *, settings: Settings | None = None) -> pd.DataFrame:
    """Metadata for indicators (``indicator_metadata/by_indicator_id``), in the order asked.

    Parameters
    ----------
    indicator_ids : int, str or sequence
        Fingertips ids (``90366`` or ``"90366"``) or catalogue keys (``"life_expectancy"``).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator_id`` (Int64), ``indicator_name``, ``name_long``,
        ``definition``, ``rationale``, ``data_source``, ``unit`` (label, e.g. ``%``),
        ``value_type`` (e.g. ``Proportion``), ``value_type_id``, ``year_type_id``,
        ``confidence_level`` (e.g. 95), ``ci_method_id``, ``last_uploaded_at`` (the API's
        ``DataChange.LastUploadedAt`` when it sends one: the data vintage).

    Raises
    ------
    UnknownIndicatorError
        If any id is not known to the API (the API silently leaves them out); the message lists
        them and points to :func:`indicators`.

    See Also
    --------
    indicators : search indicator ids and names.

    Examples
    --------
    >>> indicator_metadata([90366])["indicator_name"].iloc[0]  # doctest: +SKIP
    'Life expectancy at birth'
    """
    settings = _settings(settings)
    ids = _resolve_indicator_ids(indicator_ids)
    if not ids:
        raise ParameterError("indicator_metadata() needs at least one indicator id.")
    tasks = [
        (lambda batch=batch: _get_json("indicator_metadata/by_indicator_id",
                                       {"indicator_ids": batch}, settings=settings, expect=dict))
        for batch in _chunks(sorted(ids), MAX_IDS_PER_REQUEST)
    ]
    rows = [row for payload in _run_parallel(tasks, settings=settings, progress=False,
                                             description="metadata")
            for row in _metadata_rows(payload)]
    frame = pd.DataFrame(rows, columns=list(_METADATA_COLUMNS))
    frame = frame.astype(_METADATA_COLUMNS)
    found = set(frame["indicator_id"].dropna().astype(int))
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownIndicatorError(
            f"Fingertips does not know indicator id(s) {missing}. Search valid ids and names with "
            "cw_pophealth.fingertips.indicators() (or indicators(profile_id=...) for one profile).")
    order = {ident: n for n, ident in enumerate(ids)}
    frame = frame.drop_duplicates("indicator_id")
    return frame.sort_values("indicator_id", key=lambda s: s.map(order)).reset_index(drop=True)


def indicators(profile_id: int | None = None, *, settings: Settings | None = None
               ) -> pd.DataFrame:
    """Indicator ids and names, for one profile or for all of Fingertips.

    With ``profile_id``, one ``indicator_metadata/by_group_id`` request per domain of the profile
    (run concurrently); without, one ``indicator_metadata/all`` request.

    Parameters
    ----------
    profile_id : int, optional
        Restrict to a profile (see :func:`profiles`).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``indicator_id`` (Int64), ``indicator_name``, ``domain_id`` (Int64), ``profile_id``
        (Int64), ``profile_name``. The last three are filled only when ``profile_id`` is given:
        the all-indicators endpoint does not say which profiles hold an indicator. An indicator
        in several domains has one row per domain.

    Raises
    ------
    ParameterError
        If ``profile_id`` is not a profile.

    See Also
    --------
    indicator_metadata : definitions, units and value types.
    profiles : profile and domain ids.

    Examples
    --------
    >>> phof = indicators(profile_id=19)  # doctest: +SKIP
    >>> 90366 in set(phof["indicator_id"])  # doctest: +SKIP
    True
    """
    settings = _settings(settings)
    columns = {"indicator_id": "Int64", "indicator_name": "string", "domain_id": "Int64",
               "profile_id": "Int64", "profile_name": "string"}
    if profile_id is None:
        payload = _get_json("indicator_metadata/all", None, settings=settings, expect=dict)
        rows = [{"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"]}
                for r in _metadata_rows(payload)]
        frame = pd.DataFrame(rows, columns=list(columns))
        return frame.astype(columns).sort_values("indicator_id").reset_index(drop=True)
    prof = profiles(profile_id, settings=settings)
    domains = [int(d) for d in prof["domain_id"].dropna()]
    tasks = [
        (lambda d=d: _get_json("indicator_metadata/by_group_id", {"group_ids": d},
                               settings=settings, expect=dict))
        for d in domains
    ]
    payloads = _run_parallel(tasks, settings=settings, progress=False, description="domains")
    rows = []
    for domain, payload in zip(domains, payloads, strict=True):
        for r in _metadata_rows(payload):
            rows.append({"indicator_id": r["indicator_id"], "indicator_name": r["indicator_name"],
                         "domain_id": domain, "profile_id": int(profile_id),
                         "profile_name": prof["profile_name"].iloc[0]})
    return pd.DataFrame(rows, columns=list(columns)).astype(columns).reset_index(drop=True)


def area_types(profile_id: int | None = None, *, settings: Settings | None = None
               ) -> pd.DataFrame:
    """Area types and their parent area types (``area_types`` endpoint).

    Parameters
    ----------
    profile_id : int, optional
        Only the area types used by this profile.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per area type and parent type: ``area_type_id`` (Int64), ``area_type_name``
        (e.g. ``Counties & UAs (from Apr 2023)``), ``area_type_short``, ``parent_area_type_id``
        (Int64; missing when the type has no parent types), ``parent_area_type_name``.

    See Also
    --------
    areas : the areas of one type.
    available_data : which area types have data for an indicator.

    Examples
    --------
    >>> types = area_types()  # doctest: +SKIP
    >>> types.loc[types["area_type_id"] == 502, "area_type_name"].iloc[0]  # doctest: +SKIP
    'Counties & UAs (from Apr 2023)'
    """
    settings = _settings(settings)
    params = {"profile_ids": int(profile_id)} if profile_id is not None else None
    items = _get_json("area_types", params, settings=settings, expect=list)
    rows = []
    for item in items:
        parents = item.get("ParentAreaTypes") or [{}]
        for parent in parents:
            rows.append({
                "area_type_id": item.get("Id"), "area_type_name": item.get("Name"),
                "area_type_short": item.get("Short"),
                "parent_area_type_id": parent.get("Id"),
                "parent_area_type_name": parent.get("Name"),
            })
    columns = {"area_type_id": "Int64", "area_type_name": "string", "area_type_short": "string",
               "parent_area_type_id": "Int64", "parent_area_type_name": "string"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def _require_area_types(type_ids: Iterable[int], settings: Settings) -> dict[int, str]:
    """Check area-type ids against :func:`area_types`; return ``{id: name}`` for them."""
    table = area_types(settings=settings)
    names = dict(zip(table["area_type_id"].astype(int), table["area_type_name"], strict=True))
    unknown = [t for t in type_ids if t not in names]
    if unknown:
        examples = ", ".join(f"{i} {names[i]}" for i in sorted(names)[:8])
        raise UnknownAreaTypeError(
            f"Unknown area type id(s) {unknown}. Fingertips lists {len(names)} area types, e.g. "
            f"{examples}; see cw_pophealth.fingertips.area_types(), and available_data("
            "indicator_id=...) for the types that have data for an indicator.")
    return {t: str(names[t]) for t in type_ids}


def _areas_frame(items: list) -> pd.DataFrame:
    rows = [{"area_code": i.get("Code"), "area_name": i.get("Name"),
             "area_short_name": i.get("Short"), "area_type_id": i.get("AreaTypeId")}
            for i in items if isinstance(i, dict)]
    columns = {"area_code": "string", "area_name": "string", "area_short_name": "string",
               "area_type_id": "Int64"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def _areas_of_type(area_type_id: int, settings: Settings) -> pd.DataFrame:
    items = _get_json("areas/by_area_type", {"area_type_id": int(area_type_id)},
                      settings=settings, expect=list)
    return _areas_frame(items)


def areas(area_type_id: int, parent_area_code: str | None = None, *,
          settings: Settings | None = None) -> pd.DataFrame:
    """The areas of one area type, optionally only those within a parent area.

    Uses ``areas/by_area_type`` or ``areas/by_parent_area_code``.

    Parameters
    ----------
    area_type_id : int
        E.g. 502 counties & UAs, 501 districts & UAs, 6 regions, 15 England.
    parent_area_code : str, optional
        E.g. ``"E10000031"`` (Warwickshire) with ``area_type_id=501`` for its five districts.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``area_short_name``, ``area_type_id`` (Int64).

    Raises
    ------
    InvalidAreaCodeError
        If ``parent_area_code`` is not an ONS code (checked before any request).
    UnknownAreaTypeError
        If the area type is not listed by :func:`area_types`.

    Examples
    --------
    >>> areas(501, parent_area_code="E10000031")["area_code"].tolist()  # doctest: +SKIP
    ['E07000218', 'E07000219', 'E07000220', 'E07000221', 'E07000222']
    """
    settings = _settings(settings)
    type_id = _as_type_id(area_type_id, "area_type_id")
    parent = (validate_area_code(parent_area_code, "parent_area_code")
              if parent_area_code is not None else None)
    _require_area_types([type_id], settings)
    if parent is None:
        return _areas_of_type(type_id, settings)
    items = _get_json("areas/by_parent_area_code",
                      {"area_type_id": type_id, "parent_area_code": parent},
                      settings=settings, expect=list)
    frame = _areas_frame(items)
    if frame.empty:
        logger.info("No areas of type %d within %s", type_id, parent)
    return frame


def parent_to_child_areas(child_area_type_id: int, parent_area_type_id: int, *,
                          profile_id: int | None = None, settings: Settings | None = None
                          ) -> pd.DataFrame:
    """Which child areas sit in which parent area (``parent_to_child_areas``).

    Parameters
    ----------
    child_area_type_id, parent_area_type_id : int
        E.g. 501 (districts & UAs) within 502 (counties & UAs).
    profile_id : int, optional
        Passed to the API (which can hide areas a profile ignores).
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        One row per pair, sorted: ``parent_area_code``, ``child_area_code``.

    Raises
    ------
    UnknownAreaTypeError
        If either type is not listed by :func:`area_types`.

    Examples
    --------
    >>> pairs = parent_to_child_areas(501, 502)  # doctest: +SKIP
    >>> warks = pairs["parent_area_code"] == "E10000031"  # doctest: +SKIP
    >>> pairs.loc[warks, "child_area_code"].size  # doctest: +SKIP
    5
    """
    settings = _settings(settings)
    child = _as_type_id(child_area_type_id, "child_area_type_id")
    parent = _as_type_id(parent_area_type_id, "parent_area_type_id")
    _require_area_types([child, parent], settings)
    params = {"child_area_type_id": child, "parent_area_type_id": parent,
              "profile_id": profile_id}
    mapping = _get_json("parent_to_child_areas", params, settings=settings, expect=dict)
    rows = [(str(p), str(c)) for p, kids in mapping.items() for c in (kids or [])]
    frame = pd.DataFrame(rows, columns=["parent_area_code", "child_area_code"], dtype="string")
    return frame.sort_values(["parent_area_code", "child_area_code"]).reset_index(drop=True)


def available_data(indicator_id: int | None = None, area_type_id: int | None = None, *,
                   settings: Settings | None = None) -> pd.DataFrame:
    """Which indicators have data at which area types (fingertipsR's ``indicator_areatypes``).

    The answer to "why do I get no rows?": find the area types that hold the indicator.

    Parameters
    ----------
    indicator_id : int or str, optional
        One indicator id or catalogue key.
    area_type_id : int, optional
        One area type.
    settings : Settings, optional

    Returns
    -------
    pandas.DataFrame
        ``indicator_id`` (Int64), ``area_type_id`` (Int64), sorted. With no arguments: every
        indicator and area type (a large catalogue).

    See Also
    --------
    fingertips_data : raises :class:`~cw_pophealth.errors.NoDataError` naming these types.

    Examples
    --------
    >>> available_data(indicator_id=90366)["area_type_id"].tolist()  # doctest: +SKIP
    [6, 15, 501, 502]
    """
    settings = _settings(settings)
    params: dict[str, object] = {}
    if indicator_id is not None:
        params["indicator_id"] = _resolve_indicator_ids([indicator_id])[0]
    if area_type_id is not None:
        params["area_type_id"] = _as_type_id(area_type_id, "area_type_id")
    items = _get_json("available_data", params or None, settings=settings, expect=list)
    frame = pd.DataFrame(
        [{"indicator_id": i.get("IndicatorId"), "area_type_id": i.get("AreaTypeId")}
         for i in items if isinstance(i, dict)],
        columns=["indicator_id", "area_type_id"],
    ).astype("Int64")
    return frame.drop_duplicates().sort_values(["indicator_id", "area_type_id"]).reset_index(
        drop=True)


# =============================================================================================
# Data
# =============================================================================================
@dataclass(frozen=True)
class _DataRequest:
    endpoint: str
    params: dict

    def fetch(self, settings: Settings) -> _CsvBody:
        """The checked response body (online: checked and parsed, not yet cached)."""
        norm = normalise_params(self.params)
        url = _build_url(settings, self.endpoint, norm)
        if settings.offline:
            entry = _cached_entry(ResponseCache.for_settings(settings), self.endpoint, norm, url)
            source_url = entry.meta.get("url", url)
            _check_body(entry.body, entry.meta.get("content_type"), source_url, "CSV")
            # The cache verified the body against the sha256 in its sidecar.
            return _CsvBody(self, norm, source_url, entry.body, str(entry.meta["sha256"]))
        response = _http_get(url, settings=settings)
        _check_body(response.body, response.content_type, url, "CSV")
        item = _CsvBody(self, norm, url, response.body,
                        hashlib.sha256(response.body).hexdigest(), response=response)
        item.parsed()  # the header and every row's fields are checked before anything else
        return item


@dataclass(eq=False)
class _CsvBody:
    """One ``all_data`` CSV response body, checked; fetched online, it is cached by
    :func:`_commit` only once its rows have been validated."""

    request: _DataRequest
    params: dict[str, str]
    url: str
    body: bytes
    sha256: str
    response: _Response | None = None
    raw: pa.Table | pd.DataFrame | None = None

    @property
    def group(self) -> tuple[str, str]:
        """Responses of one child and parent area type are tidied together."""
        return (self.params.get("child_area_type_id", ""),
                self.params.get("parent_area_type_id", ""))

    def parsed(self) -> pa.Table | pd.DataFrame:
        """The CSV as raw Fingertips columns (parsed once; see :func:`_parse_fingertips_csv`)."""
        if self.raw is None:
            self.raw = _parse_fingertips_csv(self.body, self.url)
        return self.raw


def _plan_requests(ids: list[int], area_type_ids: Sequence[int], parent_area_type_id: int,
                   profile_id: int | None, *, per_indicator: bool = False
                   ) -> list[_DataRequest]:
    """The ``all_data`` requests for indicators at area types: for each type, batches of at most
    :data:`MAX_IDS_PER_REQUEST` sorted ids, or one request per id with ``per_indicator``."""
    size = 1 if per_indicator else MAX_IDS_PER_REQUEST
    plans = []
    for type_id in area_type_ids:
        base = {"child_area_type_id": type_id, "parent_area_type_id": parent_area_type_id}
        if not ids:
            plans.append(_DataRequest("all_data/csv/by_profile_id",
                                      {**base, "profile_id": profile_id}))
            continue
        # Sorted ids give one cache key per set of indicators, whatever order they were asked in.
        for batch in _chunks(sorted(ids), size):
            params = {**base, "indicator_ids": batch}
            if profile_id is not None:
                params["profile_id"] = profile_id
            plans.append(_DataRequest("all_data/csv/by_indicator_id", params))
    return plans


def _download(plans: list[_DataRequest], *, settings: Settings, progress: bool,
              checks: Sequence[Callable[[], Any]] = ()) -> tuple[list[Any], list[_CsvBody]]:
    """Run the argument checks and the requests concurrently (:func:`_checks_then_tasks`).

    Returns the checks' results and the checked bodies, in plan order; nothing is cached here
    (see :func:`_commit`), so bad arguments leave the cache as it was.
    """
    started = time.monotonic()
    tasks = [(lambda p=p: p.fetch(settings)) for p in plans]
    results, bodies = _checks_then_tasks(checks, tasks, settings=settings, progress=progress,
                                         description="Fingertips data")
    logger.info("%s %d response(s) (%.1f MB) in %.1f s",
                "Read" if settings.offline else "Downloaded", len(bodies),
                sum(len(b.body) for b in bodies) / 1e6, time.monotonic() - started)
    return results, bodies


def _commit(bodies: Sequence[_CsvBody], settings: Settings) -> None:
    """Store the bodies fetched online in the raw cache (concurrently, after validation)."""
    store = ResponseCache.for_settings(settings)

    def put(item: _CsvBody) -> None:
        response = item.response
        store.put(item.request.endpoint, item.params, item.body, url=item.url,
                  status=response.status, content_type=response.content_type,
                  elapsed=response.elapsed, extension="csv")
        item.response = None

    pending = [b for b in bodies if b.response is not None]
    _run_parallel([(lambda b=b: put(b)) for b in pending], settings=settings, progress=False,
                  description="cache")


def _tidy(bodies: Sequence[_CsvBody], *, settings: Settings, include_categories: bool
          ) -> pd.DataFrame:
    """The validated tidy rows of all responses, in plan order, then cache the new bodies.

    The responses of one area type are converted together (one conversion per area type rather
    than per response: most of the cost of a conversion does not depend on its size). Each row's
    ``source_ref`` is still the URL of the response it came from. A group already converted by
    the same code from the same bodies is read from the derived cache.
    """
    groups: dict[tuple[str, str], list[_CsvBody]] = {}
    for item in bodies:
        groups.setdefault(item.group, []).append(item)
    derived = DerivedFrameCache.for_settings(settings)
    descriptions = {
        key: {"kind": "fingertips tidy csv", "code": _code_fingerprint(),
              "include_categories": bool(include_categories),
              "responses": [[i.url, i.sha256] for i in items]}
        for key, items in groups.items()
    }
    frames = {key: derived.get(descriptions[key], _TIDY_DTYPES) for key in groups}
    todo = [key for key, frame in frames.items() if frame is None]
    unparsed = [i for key in todo for i in groups[key] if i.raw is None]
    _run_parallel([i.parsed for i in unparsed], settings=settings, progress=False,
                  description="parse")
    converted = _run_parallel(
        [(lambda key=key: _tidy_group(groups[key], include_categories)) for key in todo],
        settings=settings, progress=False, description="tidy")
    for key, frame in zip(todo, converted, strict=True):
        frames[key] = frame
        derived.put(descriptions[key], frame)
    _commit(bodies, settings)
    non_empty = [f for f in frames.values() if not f.empty]
    return pd.concat(non_empty, ignore_index=True) if non_empty else schema.empty_tidy()


def _tidy_group(items: Sequence[_CsvBody], include_categories: bool) -> pd.DataFrame:
    """Tidy the responses of one area type with one conversion (see :func:`_tidy`)."""
    parts = [(i.parsed(), i.url) for i in items if len(i.parsed())]
    if not parts:
        return schema.empty_tidy()
    owner: dict[int, str] = {}
    disjoint = True
    for raw, url in parts:
        for ident in _indicator_ids_in(raw):
            disjoint &= owner.setdefault(ident, url) == url
    if len(parts) == 1 or not disjoint:
        frames = [transforms.tidy_from_fingertips_csv(
            _as_pandas(raw), source=API_SOURCE_LABEL, source_ref=url,
            include_categories=include_categories) for raw, url in parts]
        return pd.concat(frames, ignore_index=True)
    urls = [url for _, url in parts]
    where = (", ".join(urls) if len(urls) <= 3
             else f"{urls[0]} and {len(urls) - 1} other responses for the same area type")
    if all(isinstance(raw, pa.Table) for raw, _ in parts):
        # One conversion to pandas for the group (columns matched by name).
        combined = _as_pandas(pa.concat_tables([raw for raw, _ in parts],
                                               promote_options="default"))
    else:
        combined = pd.concat([_as_pandas(raw) for raw, _ in parts], ignore_index=True)
    frame = transforms.tidy_from_fingertips_csv(
        combined, source=API_SOURCE_LABEL, source_ref=where,
        include_categories=include_categories)
    # Each indicator came in exactly one of these responses: give every row its own URL.
    frame["source_ref"] = frame["indicator_id"].astype("int64").map(owner).astype("string")
    return frame


def _known_area_codes(type_ids: Iterable[int], settings: Settings) -> set[str]:
    codes = {catalogue.ENGLAND}
    tasks = [(lambda t=t: _areas_of_type(t, settings)) for t in dict.fromkeys(type_ids)]
    for frame in _checked_in_order(settings, *tasks):
        codes |= set(frame["area_code"].dropna())
    return codes


def _require_known_areas(codes: list[str], type_ids: Iterable[int], settings: Settings) -> None:
    type_ids = list(dict.fromkeys(type_ids))
    known = _known_area_codes(type_ids, settings)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UnknownAreaError(
            f"Area code(s) {unknown} are not areas of type(s) {type_ids} (or England). Check the "
            "codes (areas merged in 2019-2023 have new codes) or list valid ones with "
            f"cw_pophealth.fingertips.areas({type_ids[0]}).")


def _no_data_error(ids: list[int], area_type_ids: Sequence[int], area_codes: list[str],
                   profile_id: int | None, settings: Settings) -> NoDataError:
    what = (f"indicator(s) {ids}" if ids else f"profile {profile_id}")
    where = f"area type(s) {list(area_type_ids)}"
    if area_codes:
        where += f" and area code(s) {area_codes}"
    hints = []
    for ident in ids[:5]:
        try:
            types = available_data(indicator_id=ident, settings=settings)["area_type_id"]
        except CwPopHealthError:
            hints = []
            break
        listed = sorted(int(t) for t in types.dropna())
        hints.append(f"{ident}: {listed}" if listed else f"{ident}: none")
    hint = (f" Area types that have data: {'; '.join(hints)}." if hints else "")
    return NoDataError(
        f"Fingertips returned no rows for {what} at {where}.{hint} Call "
        "cw_pophealth.fingertips.available_data(indicator_id=...) to find the area types "
        "with data and pass one as area_type_id.")


def fingertips_data(
    indicator_ids=None,
    area_type_id: int = catalogue.AREA_TYPE_COUNTY_UA,
    parent_area_type_id: int = catalogue.AREA_TYPE_ENGLAND,
    area_codes=None,
    profile_id: int | None = None,
    include_categories: bool = False,
    settings: Settings | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Indicator data from the Fingertips API as the validated tidy table.

    Uses ``all_data/csv/by_indicator_id`` (at most 100 ids per request; several requests run
    concurrently on ``settings.max_workers`` threads with a progress bar), or
    ``all_data/csv/by_profile_id`` when only ``profile_id`` is given. Area codes are checked
    offline before any request. Area types, profile, indicators and area codes are then checked
    against the API's lookups, which run at the same time as the data requests; the data are
    used and cached only if every check passes. When several arguments are wrong, the error is
    the first in that order.

    Parameters
    ----------
    indicator_ids : int, str or sequence, optional
        Fingertips ids or catalogue keys (``"smoking"``). Required unless ``profile_id`` is given.
    area_type_id : int, default 502
        Child area type: 502 counties & UAs, 501 districts & UAs, 6 regions, ...
    parent_area_type_id : int, default 15
        Parent type: fills ``parent_code``/``parent_name`` and the "compared to parent" column
        (15 England, 6 regions).
    area_codes : str or sequence, optional
        Keep only these areas (England, the parents and the children are all allowed).
    profile_id : int, optional
        Profile to take the data (and polarity) from.
    include_categories : bool, default False
        Keep breakdown rows (e.g. deprivation deciles) as well as headline rows.
    settings : Settings, optional
    progress : bool, default True
        Show a progress bar when more than one request is made.

    Returns
    -------
    pandas.DataFrame
        The tidy schema (:data:`cw_pophealth.schema.TIDY_SCHEMA`) with ``source="Fingertips
        API"`` and ``source_ref`` the request URL; values unrounded.

    Raises
    ------
    InvalidAreaCodeError
        A malformed area code (before any request).
    UnknownAreaTypeError, UnknownIndicatorError, UnknownAreaError, ParameterError
        An area type, indicator, area or profile that Fingertips does not know.
    NoDataError
        A valid request with no rows; the message lists the area types that have data.
    APIUnavailableError, MalformedResponseError, SchemaDriftError, OfflineCacheMissError
        Transport, format and cache failures; the raw cache is left as it was.

    See Also
    --------
    available_data : which area types have data for an indicator.
    pull : the core indicators for the standard area types, written to the tidy table.

    Examples
    --------
    >>> le = fingertips_data(90366, area_type_id=501, area_codes=["E08000026"])  # doctest: +SKIP
    >>> le.query("period == '2021 - 23'")[["sex", "value"]]  # doctest: +SKIP
          sex  value
    0  Female   81.7...
    1    Male   77.3...
    """
    settings = _settings(settings)
    codes = [validate_area_code(c, "area_codes") for c in _as_list(area_codes)]
    ids = _resolve_indicator_ids(indicator_ids)
    if not ids and profile_id is None:
        raise ParameterError(
            "fingertips_data() needs indicator_ids or profile_id. Find ids with "
            "cw_pophealth.fingertips.indicators().")
    child = _as_type_id(area_type_id, "area_type_id")
    parent = _as_type_id(parent_area_type_id, "parent_area_type_id")
    checks = [lambda: _require_area_types([child, parent], settings)]
    if profile_id is not None:
        checks.append(lambda: profiles(profile_id, settings=settings))
    if ids:
        checks.append(lambda: indicator_metadata(ids, settings=settings))
    if codes:
        checks.append(lambda: _require_known_areas(codes, [child, parent], settings))
    plans = _plan_requests(ids, [child], parent, profile_id)
    _, bodies = _download(plans, settings=settings, progress=progress, checks=checks)
    table = _tidy(bodies, settings=settings, include_categories=include_categories)
    if codes:
        table = table.loc[table["area_code"].isin(codes)]
    if table.empty:
        raise _no_data_error(ids, [child], codes, profile_id, settings)
    return schema.validate_tidy(table, where="the Fingertips API response")


def pull(
    indicators=None,
    area_codes=None,
    area_type_ids=None,
    settings: Settings | None = None,
    progress: bool = True,
    per_indicator: bool = True,
) -> pd.DataFrame:
    """Pull indicators from the API (or, offline, the raw cache) and write the tidy table.

    For every area type, one ``all_data/csv/by_indicator_id`` request per indicator (or, with
    ``per_indicator=False``, per 100 indicators), all run concurrently on
    ``settings.max_workers`` threads; regions are the parent type, so England and regional rows
    come with the CSV. Rows are de-duplicated (a UA appears under both 501 and 502), validated
    and written atomically to ``settings.indicators_table``, which is stamped with a digest of
    the inputs. When a pull has the same inputs as the stamp (same response bodies, arguments and
    code) and the table file is unchanged since, the table is read back instead of rebuilt.

    Parameters
    ----------
    indicators : sequence of int or str, optional
        Ids or catalogue keys; default every :data:`cw_pophealth.catalogue.CORE_INDICATORS`.
    area_codes : sequence of str, optional
        Keep only these areas (default: all).
    area_type_ids : sequence of int, optional
        Default ``(502, 501)``: counties & UAs and districts & UAs.
    settings : Settings, optional
        ``settings.offline`` serves everything from ``data/raw`` (no network).
    progress : bool, default True
        Show a progress bar.
    per_indicator : bool, default True
        One request per indicator and area type. The API builds each CSV server-side in time
        that grows with the indicators asked for, so small requests run in parallel finish
        sooner (with enough ``settings.max_workers``). ``False`` batches up to 100 ids per
        request: fewer requests, better when the server's time is mostly per request. The raw
        cache is keyed by request, so an offline pull needs the same setting as the online
        pull that filled the cache.

    Returns
    -------
    pandas.DataFrame
        The validated tidy table that was written.

    Raises
    ------
    CwPopHealthError
        Any of the errors of :func:`fingertips_data`; the existing table and cache are untouched.

    Examples
    --------
    >>> table = pull(["life_expectancy"], area_codes=["E08000026"])  # doctest: +SKIP
    >>> sorted(table["sex"].unique())  # doctest: +SKIP
    ['Female', 'Male']
    """
    settings = _settings(settings)
    codes = [validate_area_code(c, "area_codes") for c in _as_list(area_codes)]
    wanted = indicators if indicators is not None else [
        spec.indicator_id for spec in catalogue.CORE_INDICATORS]
    ids = _resolve_indicator_ids(wanted)
    if not ids:
        raise ParameterError("pull() needs at least one indicator.")
    default_types = [catalogue.AREA_TYPE_COUNTY_UA, catalogue.AREA_TYPE_DISTRICT_UA]
    type_ids = [_as_type_id(t, "area_type_ids") for t in (_as_list(area_type_ids) or default_types)]
    type_ids = list(dict.fromkeys(type_ids))
    parent = catalogue.AREA_TYPE_REGION
    checks = [lambda: _require_area_types([*type_ids, parent], settings),
              lambda: indicator_metadata(ids, settings=settings)]
    if codes:
        checks.append(lambda: _require_known_areas(codes, [*type_ids, parent], settings))
    logger.info("Pulling %d indicator(s) for area type(s) %s%s", len(ids),
                ", ".join(str(t) for t in type_ids),
                " from the offline cache" if settings.offline else "")
    plans = _plan_requests(ids, type_ids, parent, None, per_indicator=per_indicator)
    (names, *_), bodies = _download(plans, settings=settings, progress=progress, checks=checks)
    logger.info("Area types: %s", ", ".join(f"{t} ({names[t]})" for t in type_ids))
    inputs = digest_of({
        "kind": "fingertips pull", "code": _code_fingerprint(), "indicators": ids,
        "area_types": type_ids, "parent_area_type": parent, "area_codes": codes,
        "responses": [[b.url, b.sha256] for b in bodies],
    })
    table = _read_if_current(settings.indicators_table, inputs)
    if table is None:
        table = _tidy(bodies, settings=settings, include_categories=False)
        if codes:
            table = table.loc[table["area_code"].isin(codes)]
        if table.empty:
            raise _no_data_error(ids, type_ids, codes, None, settings)
        table = transforms.deduplicate_sources(table, [API_SOURCE_LABEL])
        table = schema.validate_tidy(table, where="the pulled Fingertips data")
        schema.write_tidy(table, settings.indicators_table)
        try:
            write_table_stamp(settings.indicators_table, inputs)
        except OSError as exc:
            logger.warning("Could not stamp %s (%s); the next pull will rebuild it",
                           settings.indicators_table, exc)
        action = "Pulled"
    else:
        # The stamped table was built by this code from exactly these bodies, so they have
        # been validated: cache any that were fetched online.
        _commit(bodies, settings)
        action = "Unchanged inputs: read back"
    present = set(table["indicator_id"].dropna().astype(int))
    empty = [i for i in ids if i not in present]
    if empty:
        logger.warning("No rows for indicator(s) %s at area type(s) %s; see "
                       "available_data(indicator_id=...) for the area types that have data",
                       empty, type_ids)
    logger.info("%s %d rows (%d indicators, %d areas) into %s", action, len(table),
                table["indicator_id"].nunique(), table["area_code"].nunique(),
                settings.indicators_table)
    return table


def _read_if_current(path: Path, inputs_digest: str) -> pd.DataFrame | None:
    """The table at ``path`` if it was stamped as built from ``inputs_digest`` and has not
    changed since (validated on read), else ``None``."""
    data = read_stamped_table(path, inputs_digest)
    if data is None:
        return None
    try:
        return schema.validate_tidy(pd.read_parquet(io.BytesIO(data)), where=path)
    except (CwPopHealthError, OSError, ValueError) as exc:
        logger.info("Rebuilding %s: it could not be read back (%s)", path, exc)
        return None
