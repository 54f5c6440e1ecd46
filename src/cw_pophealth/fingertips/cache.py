"""Raw-response cache: every Fingertips API response kept byte-for-byte, with a provenance sidecar.

Layout under ``<raw_dir>/fingertips/`` (``data/raw/fingertips/`` by default)::

    <endpoint path>/<query stem>.meta.json          # the sidecar: the commit point of an entry
    <endpoint path>/<query stem>.body-<sha16>.<ext>  # the body exactly as received

The cache key is the endpoint path plus the query parameters sorted by name. The host is left
out on purpose, so a cache filled from the real API also serves a mirror or a test server.

Writes are atomic and never damage a good entry:

* the body goes to a new file whose name contains its sha256, written to a temporary file and
  renamed into place with :func:`os.replace`;
* the sidecar (URL, parameters, retrieval time, HTTP status, sha256, size, content type, elapsed
  time) is written the same way, **last**. Replacing the sidecar is the single step that switches
  the entry to the new body, so a crash at any earlier point leaves the previous entry whole;
* only then is the previous body file deleted.

All three steps run under the entry's file lock (``.<stem>.lock``), held by one writer at a time
across threads and processes, so two pulls filling the same cache never interleave.
:meth:`ResponseCache.put_many` stores a batch of entries (all the responses of a pull) the same
way with one flush to disk for the whole batch, not two per file.

The client validates and parses a body *before* calling :meth:`ResponseCache.put`, so failed,
partial or invalid responses never reach the cache. Reads check the body's sha256 against the
sidecar and raise :class:`CacheIntegrityError` on a mismatch.

Derived cache (speed only, never a source)
------------------------------------------
:class:`DerivedFrameCache` (``<processed_dir>/cache/fingertips-tidy/``) keeps the validated tidy
frame parsed from one CSV body, as Parquet, named by a digest of what it was derived from (the
body's sha256, the source URL, the parser options and a fingerprint of the code), so repeated
pulls are fast. The description is also stored inside the file and checked on read, with the
columns and dtypes. It can be deleted at any time: whatever is missing, unreadable or stale is
ignored and rebuilt from the raw bodies. (The pulled table's own stamp is
:func:`cw_pophealth.schema.write_table_stamp`.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow
from filelock import FileLock

from cw_pophealth import atomic
from cw_pophealth.errors import OfflineCacheMissError
from cw_pophealth.fingerprint import digest_of, sha256_bytes

logger = logging.getLogger(__name__)

#: Sub-folder of ``settings.raw_dir`` holding Fingertips responses.
CACHE_SUBDIR = "fingertips"
SIDECAR_SUFFIX = ".meta.json"
SOURCE = "OHID Fingertips API (https://fingertips.phe.org.uk)"
LICENCE = "Open Government Licence v3.0"
_STEM_CHARS = re.compile(r"[^A-Za-z0-9=,._-]+")
_MAX_STEM = 96

#: Sub-folder of ``settings.processed_dir`` holding tidy frames derived from raw CSV bodies.
DERIVED_SUBDIR = Path("cache") / "fingertips-tidy"
#: ``DataFrame.attrs`` key (kept in the Parquet metadata) describing what a derived frame is.
DERIVED_ATTR = "cw_pophealth_derived"
# What reading a damaged or foreign Parquet file can raise (ArrowInvalid is a ValueError,
# ArrowIOError an OSError).
_PARQUET_ERRORS = (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                   pyarrow.ArrowException)



class CacheIntegrityError(OfflineCacheMissError):
    """A cached body no longer matches the sha256 in its sidecar (edited or damaged on disk).

    A subclass of :class:`~cw_pophealth.errors.OfflineCacheMissError`: code that handles a miss
    handles this too. Online, the client simply fetches the response again.
    """


@dataclass(frozen=True)
class CacheEntry:
    """One cached response.

    Attributes
    ----------
    body : bytes
        The response body exactly as received.
    meta : dict
        The sidecar (see :meth:`ResponseCache.put` for its fields).
    body_path, meta_path : pathlib.Path
        Where the body and the sidecar are stored.
    """

    body: bytes
    meta: dict
    body_path: Path
    meta_path: Path


def normalise_params(params: Mapping[str, object] | None) -> dict[str, str]:
    """Return the query parameters as strings, sorted by name, without ``None`` values.

    Lists and tuples become comma-separated strings (the API's own list form).

    Examples
    --------
    >>> normalise_params({"indicator_ids": [90366, 90362], "b": None, "a": 6})
    {'a': '6', 'indicator_ids': '90366,90362'}
    """
    out: dict[str, str] = {}
    for name in sorted(params or {}):
        value = (params or {})[name]
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out[str(name)] = str(value)
    return out


def query_string(params: Mapping[str, object] | None) -> str:
    """Encode normalised parameters as a query string (commas kept literal, as the API shows them).

    Examples
    --------
    >>> query_string({"indicator_ids": [1, 2], "area_type_id": 502})
    'area_type_id=502&indicator_ids=1,2'
    """
    norm = normalise_params(params)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe=',')}" for k, v in norm.items())


def cache_key(endpoint: str, params: Mapping[str, object] | None) -> str:
    """The cache key: endpoint path plus sorted query parameters, without the host.

    Examples
    --------
    >>> cache_key("/all_data/csv/by_indicator_id", {"parent_area_type_id": 15,
    ...                                               "indicator_ids": "1"})
    'all_data/csv/by_indicator_id?indicator_ids=1&parent_area_type_id=15'
    """
    path = endpoint.strip("/")
    query = query_string(params)
    return f"{path}?{query}" if query else path


def _lock_for(meta_path: Path) -> FileLock:
    """The lock of one cache entry: an operating-system file lock beside its sidecar
    (``.<stem>.lock``), so that writers in other processes, or other threads, wait their turn."""
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    stem = meta_path.name.removesuffix(SIDECAR_SUFFIX)
    return FileLock(meta_path.with_name(f".{stem}.lock"))


class ResponseCache:
    """The raw-response cache in one folder.

    Parameters
    ----------
    root : path-like
        The cache folder, normally ``settings.raw_dir / "fingertips"`` (see :meth:`for_settings`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> cache = ResponseCache(pathlib.Path(tempfile.mkdtemp()))
    >>> _ = cache.put("profiles", {}, b"[]", url="https://fingertips.phe.org.uk/api/profiles",
    ...               status=200, content_type="application/json", elapsed=0.1)
    >>> cache.get("profiles", {}).body
    b'[]'
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @classmethod
    def for_settings(cls, settings) -> ResponseCache:
        """The cache for a :class:`~cw_pophealth.config.Settings` (``raw_dir/fingertips``)."""
        return cls(Path(settings.raw_dir) / CACHE_SUBDIR)

    # -- naming ---------------------------------------------------------------------------------
    def _stem(self, endpoint: str, params: Mapping[str, object] | None) -> tuple[Path, str]:
        """Folder and file stem for a key: readable parameters plus a short hash of the key."""
        key = cache_key(endpoint, params)
        folder = self.root.joinpath(*[p for p in endpoint.strip("/").split("/") if p])
        readable = "_".join(f"{k}={v}" for k, v in normalise_params(params).items()) or "all"
        readable = _STEM_CHARS.sub("-", readable)[:_MAX_STEM]
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
        return folder, f"{readable}__{digest}"

    def meta_path(self, endpoint: str, params: Mapping[str, object] | None = None) -> Path:
        """Path of the sidecar for a key (whether or not it exists)."""
        folder, stem = self._stem(endpoint, params)
        return folder / f"{stem}{SIDECAR_SUFFIX}"

    # -- reading --------------------------------------------------------------------------------
    def get(self, endpoint: str, params: Mapping[str, object] | None = None) -> CacheEntry | None:
        """Return the cached entry for a key, or ``None`` if there is none.

        Raises
        ------
        CacheIntegrityError
            If the sidecar is unreadable, the body file is missing, or the body's sha256 differs
            from the one recorded in the sidecar.
        """
        meta_path = self.meta_path(endpoint, params)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body_path = meta_path.parent / meta["body_file"]
            body = body_path.read_bytes()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CacheIntegrityError(
                f"The cache entry {meta_path} is damaged ({exc}). Delete it and run "
                "`cw-pophealth pull` online to fetch the response again."
            ) from exc
        if sha256_bytes(body) != meta.get("sha256") or len(body) != meta.get("bytes"):
            raise CacheIntegrityError(
                f"The cached body {body_path} does not match the sha256/size in {meta_path.name}: "
                "it was changed after download. Raw data is read-only; delete both files and run "
                "`cw-pophealth pull` online to fetch it again."
            )
        return CacheEntry(body=body, meta=meta, body_path=body_path, meta_path=meta_path)

    def __contains__(self, key: tuple[str, Mapping[str, object] | None]) -> bool:
        endpoint, params = key
        return self.meta_path(endpoint, params).is_file()

    # -- writing --------------------------------------------------------------------------------
    def put(
        self,
        endpoint: str,
        params: Mapping[str, object] | None,
        body: bytes,
        *,
        url: str,
        status: int,
        content_type: str | None,
        elapsed: float,
        extension: str = "bin",
        retrieved_at: datetime | None = None,
    ) -> CacheEntry:
        """Store a response that the caller has already validated, atomically.

        Parameters
        ----------
        endpoint : str
            API path relative to the base URL, e.g. ``"all_data/csv/by_indicator_id"``.
        params : mapping
            Query parameters (normalised with :func:`normalise_params`).
        body : bytes
            The body exactly as received.
        url : str
            The full request URL (recorded in the sidecar, not part of the key).
        status : int
            HTTP status.
        content_type : str or None
            The ``Content-Type`` header.
        elapsed : float
            Seconds from sending the request to the end of the body.
        extension : str, default "bin"
            File extension of the body (``"csv"``, ``"json"``).
        retrieved_at : datetime, optional
            Defaults to now (UTC).

        Returns
        -------
        CacheEntry
            The new entry. The sidecar holds ``cache_key, url, endpoint, params, retrieved_at``
            (UTC ISO 8601), ``http_status, sha256, bytes, content_type, elapsed_seconds,
            body_file, source, licence``.
        """
        return self.put_many([dict(
            endpoint=endpoint, params=params, body=body, url=url, status=status,
            content_type=content_type, elapsed=elapsed, extension=extension,
            retrieved_at=retrieved_at)])[0]

    def put_many(self, items: Sequence[Mapping[str, Any]]) -> list[CacheEntry]:
        """Store several validated responses as one batch (the arguments of :meth:`put`, one
        mapping per response); returns their entries in order.

        Each entry is switched as :meth:`put` describes (body first, sidecar last), but the
        batch is flushed to disk together: every new body and sidecar is written to its
        temporary file, all of them are made durable in one step (:func:`atomic.sync`), and only
        then are the sidecars renamed into place. A crash therefore leaves each entry as it was
        or as new, never torn. Superseded body files are deleted only after a second flush has
        made the new sidecars durable, so an old sidecar that survives a crash still has its
        body. The entries' locks are held, in a fixed order, for the whole batch.
        """
        planned = []
        for item in items:
            endpoint, params, body = item["endpoint"], item.get("params"), item["body"]
            folder, stem = self._stem(endpoint, params)
            digest = sha256_bytes(body)
            extension = str(item.get("extension", "bin")).lstrip(".")
            body_path = folder / f"{stem}.body-{digest[:16]}.{extension}"
            meta_path = folder / f"{stem}{SIDECAR_SUFFIX}"
            when = (item.get("retrieved_at") or datetime.now(timezone.utc)).astimezone(
                timezone.utc)
            meta = {
                "cache_key": cache_key(endpoint, params),
                "url": item["url"],
                "endpoint": endpoint.strip("/"),
                "params": normalise_params(params),
                "retrieved_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "http_status": int(item["status"]),
                "sha256": digest,
                "bytes": len(body),
                "content_type": item.get("content_type"),
                "elapsed_seconds": round(float(item["elapsed"]), 4),
                "body_file": body_path.name,
                "source": SOURCE,
                "licence": LICENCE,
            }
            planned.append((body, digest, body_path, meta_path, meta))
        staged: list[Path] = []
        with contextlib.ExitStack() as locks:
            for meta_path in sorted({m for *_, m, _ in planned}):
                locks.enter_context(_lock_for(meta_path))
            try:
                superseded: list[Path] = []
                sidecars: list[tuple[Path, Path]] = []
                written: list[Path] = []
                for body, digest, body_path, meta_path, meta in planned:
                    if meta_path.is_file():
                        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                            previous = json.loads(meta_path.read_text(encoding="utf-8"))
                            if previous["body_file"] != body_path.name:
                                superseded.append(meta_path.parent / previous["body_file"])
                    if not (body_path.is_file()
                            and sha256_bytes(body_path.read_bytes()) == digest):
                        # A body file is named by its content and no sidecar points to it
                        # yet, so it can be renamed into place before the flush.
                        tmp = atomic.stage(body_path, body)
                        staged.append(tmp)
                        os.replace(tmp, body_path)
                        staged.remove(tmp)
                        written.append(body_path)
                    text = json.dumps(meta, indent=2, default=str) + "\n"
                    tmp = atomic.stage(meta_path, text.encode("utf-8"))
                    staged.append(tmp)
                    sidecars.append((tmp, meta_path))
                atomic.sync([*written, *staged])
                # The sidecars are written last: replacing one is what switches its entry.
                for tmp, meta_path in sidecars:
                    os.replace(tmp, meta_path)
                    staged.remove(tmp)
                still_used = {m.parent / meta["body_file"] for *_, m, meta in planned}
                superseded = [p for p in superseded if p not in still_used]
                if superseded:
                    atomic.sync([m for _, m in sidecars])
                    for path in superseded:
                        with contextlib.suppress(OSError):
                            path.unlink()
            finally:
                for tmp in staged:
                    with contextlib.suppress(OSError):
                        tmp.unlink()
        entries = []
        for body, _, body_path, meta_path, meta in planned:
            logger.debug("Cached %d bytes for %s in %s", len(body), meta["cache_key"], body_path)
            entries.append(CacheEntry(body=body, meta=meta, body_path=body_path,
                                      meta_path=meta_path))
        return entries

    def entries(self) -> list[dict]:
        """Every sidecar in the cache (parsed), sorted by cache key; damaged ones are skipped."""
        out = []
        for path in sorted(self.root.rglob(f"*{SIDECAR_SUFFIX}")):
            with contextlib.suppress(OSError, ValueError):
                out.append(json.loads(path.read_text(encoding="utf-8")))
        return sorted(out, key=lambda m: m.get("cache_key", ""))


# =============================================================================================
# Derived caches: rebuildable speed-ups computed from raw bodies
# =============================================================================================
class DerivedFrameCache:
    """DataFrames derived from raw cached bodies, stored as Parquet: a rebuildable speed-up.

    An entry is addressed by a *description* of what the frame was derived from, e.g. the raw
    body's sha256, the source URL, the parser options and a fingerprint of the parsing code. The
    file is named by :func:`digest_of` the description, and the description itself is stored in
    the file (``DataFrame.attrs``, kept in the Parquet metadata).

    :meth:`get` returns ``None`` (the caller then derives the frame again from the raw body and
    :meth:`put` replaces the entry) when the file is missing, cannot be read, describes something
    else, or does not have exactly the expected columns and dtypes. It never raises for a bad
    entry: the raw cache, not this one, is the record of what was downloaded.

    Parameters
    ----------
    root : path-like
        The folder, normally ``settings.processed_dir / "cache" / "fingertips-tidy"``.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @classmethod
    def for_settings(cls, settings) -> DerivedFrameCache:
        """The cache for a :class:`~cw_pophealth.config.Settings` (under ``processed_dir``)."""
        return cls(Path(settings.processed_dir) / DERIVED_SUBDIR)

    def path(self, description: Mapping[str, Any]) -> Path:
        """Where the entry for ``description`` is (or would be) stored."""
        key = digest_of(description)
        return self.root / key[:2] / f"{key}.parquet"

    def get(self, description: Mapping[str, Any], dtypes: Mapping[str, str]
            ) -> pd.DataFrame | None:
        """The stored frame for ``description``, or ``None`` if absent, unreadable or stale.

        Parameters
        ----------
        description : mapping
            JSON-serialisable; must equal the one the entry was stored with.
        dtypes : mapping
            The exact columns (in order) and dtype names the frame must have.
        """
        path = self.path(description)
        if not path.is_file():
            return None
        try:
            frame = pd.read_parquet(path)
            stored = frame.attrs.get(DERIVED_ATTR)
        except _PARQUET_ERRORS as exc:
            logger.info("Ignoring the unreadable derived cache file %s (%s); rebuilding it from "
                        "the raw response", path, exc)
            return None
        expected = json.loads(json.dumps(dict(description), default=str))
        if stored != expected:
            logger.info("Ignoring the derived cache file %s: it describes other inputs; "
                        "rebuilding it from the raw response", path)
            return None
        actual = {str(c): str(t) for c, t in frame.dtypes.items()}
        if list(actual.items()) != [(str(c), str(t)) for c, t in dtypes.items()]:
            logger.info("Ignoring the derived cache file %s: its columns or dtypes differ from "
                        "the schema; rebuilding it from the raw response", path)
            return None
        frame.attrs = {}
        return frame

    def put(self, description: Mapping[str, Any], frame: pd.DataFrame) -> Path | None:
        """Store ``frame`` for ``description`` atomically; returns the path, or ``None`` if the
        write failed (logged: a derived entry is optional)."""
        path = self.path(description)
        stored = frame.copy(deep=False)
        stored.attrs = {DERIVED_ATTR: json.loads(json.dumps(dict(description), default=str))}
        try:
            atomic.write_via(path, lambda tmp: stored.to_parquet(tmp, index=False))
        except _PARQUET_ERRORS as exc:
            logger.warning("Could not write the derived cache file %s (%s); carrying on "
                           "without it", path, exc)
            return None
        return path
