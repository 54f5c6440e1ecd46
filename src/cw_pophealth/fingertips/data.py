"""Indicator data: :func:`fingertips_data`, and the request plan that :func:`~.pull.pull` shares.

How a call runs
---------------
1. Arguments are checked offline (area codes, ids), then :func:`plan_data` lists the lookups
   that check them against the API and the ``all_data`` requests (batches of at most
   :data:`~cw_pophealth.fingertips.lookups.MAX_IDS_PER_REQUEST` ids per area type, or one
   request per indicator).
2. :func:`download` runs the lookups and the requests at the same time
   (:func:`~cw_pophealth.fingertips.fetch.checks_then_tasks`); every body is checked and parsed
   as it arrives, but nothing is cached yet.
3. :func:`tidy` converts the responses of each area type together into validated tidy rows
   (reusing the derived cache for bodies already converted by the same code), and only then
   :func:`commit` writes the bodies fetched online to the raw cache. Bad arguments or a bad
   body therefore leave the cache as it was. A pull uses :func:`~.pull.pulled_table` instead: every
   response at once, validated once and de-duplicated, with no derived cache.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, overload

import pandas as pd
import pyarrow as pa

from cw_pophealth import catalogue, schema
from cw_pophealth.arrow_memory import lean_pool
from cw_pophealth.config import Settings
from cw_pophealth.errors import CwPopHealthError, NoDataError, ParameterError
from cw_pophealth.fingerprint import code_fingerprint
from cw_pophealth.fingertips.areas import (
    available_data,
    require_area_types,
    require_known_areas,
)
from cw_pophealth.fingertips.args import (
    as_list,
    as_type_id,
    chunks,
    resolve_indicator_ids,
    settings_or_default,
)
from cw_pophealth.fingertips.cache import DerivedFrameCache, ResponseCache, normalise_params
from cw_pophealth.fingertips.fetch import (
    cached_entry,
    checks_then_tasks,
    refuse_no_rows_over_rows,
    run_parallel,
)
from cw_pophealth.fingertips.http import Response, build_url, http_get
from cw_pophealth.fingertips.lookups import (
    MAX_IDS_PER_REQUEST,
    indicator_metadata,
    indicator_polarities,
    profiles,
)
from cw_pophealth.fingertips.parse import (
    as_pandas,
    check_body,
    indicator_ids_in,
    parse_fingertips_csv,
    tidy_from_fingertips_csv,
)
from cw_pophealth.fingertips.rank import RANK_COLUMNS, add_rank
from cw_pophealth.geography import validate_area_code

logger = logging.getLogger(__name__)

__all__ = ["API_SOURCE_LABEL", "DataPlan", "DataRequest", "code_fingerprint", "commit",
           "download", "fingertips_data", "plan_data", "rows_of", "tidy"]

#: ``source`` label of rows pulled from the API.
API_SOURCE_LABEL = "Fingertips API"


#: ``{column: dtype}`` of the tidy schema, checked on every frame read from the derived cache.
_TIDY_DTYPES = {c.name: c.dtype for c in schema.TIDY_SCHEMA}


@dataclass(frozen=True)
class DataRequest:
    """One ``all_data`` request: the endpoint (relative to the base URL) and its parameters."""

    endpoint: str
    params: dict

    def fetch(self, settings: Settings) -> CsvBody:
        """The checked response body (online: checked and parsed, not yet cached)."""
        norm = normalise_params(self.params)
        url = build_url(settings, self.endpoint, norm)
        if settings.offline:
            entry = cached_entry(ResponseCache.for_settings(settings), self.endpoint, norm, url)
            source_url = entry.meta.get("url", url)
            check_body(entry.body, entry.meta.get("content_type"), source_url, "CSV")
            # The cache verified the body against the sha256 in its sidecar.
            return CsvBody(self, norm, source_url, entry.body, str(entry.meta["sha256"]),
                           retrieved_at=str(entry.meta["retrieved_at"]))
        response = http_get(url, settings=settings)
        check_body(response.body, response.content_type, url, "CSV")
        item = CsvBody(self, norm, url, response.body,
                       hashlib.sha256(response.body).hexdigest(), response=response)
        item.parsed()  # the header and every row's fields are checked before anything else
        refuse_no_rows_over_rows(ResponseCache.for_settings(settings), self.endpoint, norm, url,
                                 len(item.parsed()))
        return item


@dataclass(eq=False)
class CsvBody:
    """One ``all_data`` CSV response body, checked; fetched online, it is cached by
    :func:`commit` only once its rows have been validated."""

    request: DataRequest
    params: dict[str, str]
    url: str
    body: bytes
    sha256: str
    response: Response | None = None
    raw: pa.Table | pd.DataFrame | None = None
    #: When the body was retrieved (UTC ISO 8601): the cache sidecar's ``retrieved_at``
    #: offline, the time of the request online.
    retrieved_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds").replace("+00:00", "Z"))

    @property
    def release(self) -> tuple[str, pd.Timestamp]:
        """The rows' release: ``("Fingertips API, retrieved <date>", <date>)``."""
        day = pd.Timestamp(self.retrieved_at).tz_convert(None).normalize()
        return f"{API_SOURCE_LABEL}, retrieved {day:%Y-%m-%d}", day

    @property
    def group(self) -> tuple[str, str]:
        """Responses of one child and parent area type are tidied together."""
        return (self.params.get("child_area_type_id", ""),
                self.params.get("parent_area_type_id", ""))

    def parsed(self) -> pa.Table | pd.DataFrame:
        """The CSV as raw Fingertips columns, parsed once
        (:func:`~cw_pophealth.fingertips.parse.parse_fingertips_csv`)."""
        if self.raw is None:
            self.raw = parse_fingertips_csv(self.body, self.url)
        return self.raw


def plan_requests(ids: list[int], area_type_ids: Sequence[int], parent_area_type_id: int,
                  profile_id: int | None, *, per_indicator: bool = False,
                  domain_ids: Sequence[int] = ()) -> list[DataRequest]:
    """The ``all_data`` requests for indicators at area types: for each type, batches of at most
    :data:`MAX_IDS_PER_REQUEST` sorted ids, or one request per id with ``per_indicator``;
    without ids, one ``by_group_id`` request per domain, or one ``by_profile_id``."""
    size = 1 if per_indicator else MAX_IDS_PER_REQUEST
    plans = []
    for type_id in area_type_ids:
        base = {"child_area_type_id": type_id, "parent_area_type_id": parent_area_type_id}
        if not ids and domain_ids:
            plans += [DataRequest("all_data/csv/by_group_id", {**base, "group_id": d})
                      for d in domain_ids]
            continue
        if not ids:
            plans.append(DataRequest("all_data/csv/by_profile_id",
                                     {**base, "profile_id": profile_id}))
            continue
        # Sorted ids give one cache key per set of indicators, whatever order they were asked in.
        for batch in chunks(sorted(ids), size):
            params: dict[str, object] = {**base, "indicator_ids": batch}
            if profile_id is not None:
                params["profile_id"] = profile_id
            plans.append(DataRequest("all_data/csv/by_indicator_id", params))
    return plans


@dataclass(frozen=True)
class DataPlan:
    """What one data call will do: the checked arguments, their lookups and the requests.

    Attributes
    ----------
    ids : list of int
        Indicator ids (empty for a whole profile).
    area_type_ids : list of int
        Child area types, in the order asked.
    parent_area_type_id : int
    area_codes : list of str
        Areas to keep (empty: all).
    profile_id : int or None
    checks : list of callables
        Lookups that check the arguments against the API, in the order their errors win: the
        first returns ``{area_type_id: name}`` for every type in the call.
    requests : list of DataRequest
    """

    ids: list[int]
    area_type_ids: list[int]
    parent_area_type_id: int
    area_codes: list[str]
    profile_id: int | None
    checks: list[Callable[[], Any]]
    requests: list[DataRequest]
    domain_ids: list[int] = field(default_factory=list)


def _require_domains(domain_ids: list[int], settings: Settings) -> None:
    """Check domain ids against :func:`~cw_pophealth.fingertips.lookups.profiles`."""
    known = set(profiles(settings=settings)["domain_id"].dropna().astype(int))
    unknown = [d for d in domain_ids if d not in known]
    if unknown:
        raise ParameterError(
            f"domain_id {unknown} is not a Fingertips domain. Domains are the groups of a "
            "profile: list them with cw_pophealth.fingertips.profiles() (columns domain_id, "
            "domain_name).")


def plan_data(indicator_ids: Any, area_type_ids: Any, parent_area_type_id: Any, *,
              area_codes: Any = None, profile_id: int | None = None,
              per_indicator: bool = False, settings: Settings, caller: str,
              domain_ids: Any = None) -> DataPlan:
    """Check a data call's arguments offline and plan its lookups and requests.

    Parameters
    ----------
    indicator_ids : int, str or sequence
        Ids or catalogue keys.
    area_type_ids : int or sequence of int
        Child area types.
    parent_area_type_id : int
    area_codes : str or sequence of str, optional
    profile_id : int, optional
    per_indicator : bool, default False
        One request per indicator and area type instead of batches of 100 ids.
    settings : Settings
    caller : str
        The public function, named in errors (``"fingertips_data"``, ``"pull"``).

    Raises
    ------
    InvalidAreaCodeError, UnknownIndicatorError, UnknownAreaTypeError, ParameterError
        Before any request.
    """
    codes = [validate_area_code(c, "area_codes") for c in as_list(area_codes)]
    ids = resolve_indicator_ids(indicator_ids)
    domains = [] if ids else [_as_domain_id(d) for d in dict.fromkeys(as_list(domain_ids))]
    if not ids and not domains and profile_id is None:
        raise ParameterError(
            f"{caller}() needs indicator_ids, domain_id or profile_id. Find ids with "
            "cw_pophealth.fingertips.indicators() and domains with profiles().")
    types = list(dict.fromkeys(as_type_id(t, "area_type_ids" if caller == "pull"
                                          else "area_type_id") for t in as_list(area_type_ids)))
    parent = as_type_id(parent_area_type_id, "parent_area_type_id")
    everything = [*types, parent]
    checks: list[Callable[[], Any]] = [lambda: require_area_types(everything, settings)]
    if profile_id is not None and not domains:
        checks.append(lambda: profiles(profile_id, settings=settings))
    if domains:
        checks.append(lambda: _require_domains(domains, settings))
    if ids:
        checks.append(lambda: indicator_metadata(ids, settings=settings))
    if codes:
        checks.append(lambda: require_known_areas(codes, everything, settings))
    requests = plan_requests(ids, types, parent, profile_id, per_indicator=per_indicator,
                             domain_ids=domains)
    return DataPlan(ids, types, parent, codes, profile_id, checks, requests, domains)


def _as_domain_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"domain_id={value!r} is not a domain id (an integer such as 1000049, PHOF's "
            "'A. Overarching indicators'). List domains with "
            "cw_pophealth.fingertips.profiles().") from exc


def download(plan: DataPlan, *, settings: Settings, progress: bool
             ) -> tuple[list[Any], list[CsvBody]]:
    """Run a plan's lookups and requests concurrently.

    Returns the lookups' results and the checked bodies, in plan order; nothing is cached here
    (see :func:`commit`), so bad arguments leave the cache as it was.
    """
    started = time.monotonic()
    tasks = [(lambda p=p: p.fetch(settings)) for p in plan.requests]
    results, bodies = checks_then_tasks(plan.checks, tasks, settings=settings,
                                        progress=progress, description="Fingertips data")
    logger.info("%s %d response(s) (%.1f MB) in %.1f s",
                "Read" if settings.offline else "Downloaded", len(bodies),
                sum(len(b.body) for b in bodies) / 1e6, time.monotonic() - started)
    return results, bodies


def commit(bodies: Sequence[CsvBody], settings: Settings) -> None:
    """Store the bodies fetched online in the raw cache, after validation, as one batch
    (:meth:`ResponseCache.put_many`: one flush to disk for all of them)."""
    pending = [b for b in bodies if b.response is not None]
    if not pending:
        return
    items = []
    for item in pending:
        response = item.response
        assert response is not None  # only bodies fetched online are pending
        items.append(dict(
            endpoint=item.request.endpoint, params=item.params, body=item.body, url=item.url,
            status=response.status, content_type=response.content_type,
            elapsed=response.elapsed, extension="csv",
            retrieved_at=datetime.fromisoformat(item.retrieved_at.replace("Z", "+00:00"))))
    ResponseCache.for_settings(settings).put_many(items)
    for item in pending:
        item.response = None


def tidy(bodies: Sequence[CsvBody], *, settings: Settings, include_categories: bool
          ) -> pd.DataFrame:
    """The validated tidy rows of all responses, in plan order, then cache the new bodies.

    The responses of one area type are converted together (one conversion per area type rather
    than per response: most of the cost of a conversion does not depend on its size). Each row's
    ``source_ref`` is still the URL of the response it came from. A group already converted by
    the same code from the same bodies is read from the derived cache.
    """
    groups: dict[tuple[str, str], list[CsvBody]] = {}
    for item in bodies:
        groups.setdefault(item.group, []).append(item)
    derived = DerivedFrameCache.for_settings(settings)
    descriptions = {
        key: {"kind": "fingertips tidy csv", "code": code_fingerprint(),
              "include_categories": bool(include_categories),
              "responses": [[i.url, i.sha256, i.release[0]] for i in items]}
        for key, items in groups.items()
    }
    frames: dict[tuple[str, str], pd.DataFrame] = {}
    todo = []
    for key in groups:
        cached = derived.get(descriptions[key], _TIDY_DTYPES)
        if cached is None:
            todo.append(key)
        else:
            frames[key] = cached
    unparsed = [i for key in todo for i in groups[key] if i.raw is None]
    run_parallel([i.parsed for i in unparsed], settings=settings, progress=False,
                 description="parse")
    tasks: list[Callable[[], pd.DataFrame]] = [
        functools.partial(_tidy_group, groups[key], include_categories) for key in todo]
    converted = run_parallel(tasks, settings=settings, progress=False, description="tidy")
    for key, frame in zip(todo, converted, strict=True):
        frames[key] = frame
        derived.put(descriptions[key], frame)
    commit(bodies, settings)
    frames = {key: frames[key] for key in groups}  # plan order
    non_empty = [f for f in frames.values() if not f.empty]
    return pd.concat(non_empty, ignore_index=True) if non_empty else schema.empty_tidy()


def _tidy_group(items: Sequence[CsvBody], include_categories: bool) -> pd.DataFrame:
    """Tidy the responses of one area type with one conversion (see :func:`tidy`)."""
    parts = [(i.parsed(), i.url) for i in items if len(i.parsed())]
    if not parts:
        return schema.empty_tidy()
    owner: dict[int, str] = {}
    disjoint = True
    for raw, url in parts:
        for ident in indicator_ids_in(raw):
            disjoint &= owner.setdefault(ident, url) == url
    release = {i.url: i.release for i in items}
    if len(parts) == 1 or not disjoint:
        frames = [tidy_from_fingertips_csv(
            as_pandas(raw), source=API_SOURCE_LABEL, source_ref=url, release=release[url][0],
            release_date=release[url][1], include_categories=include_categories)
            for raw, url in parts]
        return pd.concat(frames, ignore_index=True)
    urls = [url for _, url in parts]
    where = (", ".join(urls) if len(urls) <= 3
             else f"{urls[0]} and {len(urls) - 1} other responses for the same area type")
    if all(isinstance(raw, pa.Table) for raw, _ in parts):
        # One conversion to pandas for the group (columns matched by name).
        combined = as_pandas(pa.concat_tables([raw for raw, _ in parts],
                                               promote_options="default",
                                               memory_pool=lean_pool()))
    else:
        combined = pd.concat([as_pandas(raw) for raw, _ in parts], ignore_index=True)
    first = release[urls[0]]
    frame = tidy_from_fingertips_csv(
        combined, source=API_SOURCE_LABEL, source_ref=where, release=first[0],
        release_date=first[1], include_categories=include_categories)
    # Each indicator came in exactly one of these responses: give every row its own URL and
    # that response's release.
    frame["source_ref"] = frame["indicator_id"].astype("int64").map(owner).astype("string")
    frame["release"] = frame["source_ref"].map(lambda u: release[u][0]).astype("string")
    frame["release_date"] = pd.to_datetime(frame["source_ref"].map(lambda u: release[u][1]))
    return frame



def rows_of(plan: DataPlan, bodies: Sequence[CsvBody], *, settings: Settings,
            include_categories: bool = False, polarities: pd.DataFrame | None = None
            ) -> pd.DataFrame:
    """The plan's tidy rows (:func:`tidy`), kept to its areas; ranked first (among every area
    returned, :func:`~cw_pophealth.fingertips.rank.add_rank`) when ``polarities`` are given.

    Raises
    ------
    NoDataError
        If no row is left; the message lists the area types that have data.
    """
    table = tidy(bodies, settings=settings, include_categories=include_categories)
    if polarities is not None:
        table = add_rank(table, polarities, parent_area_type_id=plan.parent_area_type_id)
    if plan.area_codes:
        table = table.loc[table["area_code"].isin(plan.area_codes)]
    if table.empty:
        raise no_data_error(plan, settings)
    return table


def no_data_error(plan: DataPlan, settings: Settings) -> NoDataError:
    """The error for a valid call with no rows, naming the area types that do have data."""
    what = (f"indicator(s) {plan.ids}" if plan.ids else f"domain(s) {plan.domain_ids}"
            if plan.domain_ids else f"profile {plan.profile_id}")
    where = f"area type(s) {plan.area_type_ids}"
    if plan.area_codes:
        where += f" and area code(s) {plan.area_codes}"
    hints: list[str] = []
    for ident in plan.ids[:5]:
        try:
            types = available_data(indicator_id=ident, settings=settings)["area_type_id"]
        except CwPopHealthError:
            hints = []
            break
        listed = sorted(int(t) for t in types.dropna())
        hints.append(f"{ident}: {listed}" if listed else f"{ident}: none")
    hint = (f" Area types that have data: {'; '.join(hints)}." if hints else "")
    example = plan.ids[0] if plan.ids else 90366
    return NoDataError(
        f"Fingertips returned no rows for {what} at {where}.{hint} Call "
        f"cw_pophealth.fingertips.available_data(indicator_id={example}) to find the area "
        "types with data and pass one as area_type_id.")


@overload
def fingertips_data(indicator_ids: Any = ..., area_type_id: int = ...,
                    parent_area_type_id: int = ..., area_codes: Any = ...,
                    profile_id: int | None = ..., include_categories: bool = ...,
                    settings: Settings | None = ..., progress: bool = ..., *,
                    domain_id: Any = ..., rank: bool = ..., url_only: Literal[False] = ...,
                    ) -> pd.DataFrame: ...
@overload
def fingertips_data(indicator_ids: Any = ..., area_type_id: int = ...,
                    parent_area_type_id: int = ..., area_codes: Any = ...,
                    profile_id: int | None = ..., include_categories: bool = ...,
                    settings: Settings | None = ..., progress: bool = ..., *,
                    domain_id: Any = ..., rank: bool = ..., url_only: Literal[True],
                    ) -> list[str]: ...
def fingertips_data(
    indicator_ids=None,
    area_type_id: int = catalogue.AREA_TYPE_COUNTY_UA,
    parent_area_type_id: int = catalogue.AREA_TYPE_ENGLAND,
    area_codes=None,
    profile_id: int | None = None,
    include_categories: bool = False,
    settings: Settings | None = None,
    progress: bool = True,
    *,
    domain_id=None,
    rank: bool = False,
    url_only: bool = False,
) -> pd.DataFrame | list[str]:
    """Indicator data from the Fingertips API as the validated tidy table.

    Uses ``all_data/csv/by_indicator_id`` (at most 100 ids per request; several requests run
    concurrently on ``settings.max_workers`` threads with a progress bar), or, without ids,
    ``all_data/csv/by_group_id`` once per domain or ``all_data/csv/by_profile_id``. Area codes
    are checked offline before any request. Area types, profile or domains, indicators and
    area codes are then checked against the API's lookups, which run at the same time as the
    data requests; the data are used and cached only if every check passes. When several
    arguments are wrong, the error is the first in that order.

    Parameters
    ----------
    indicator_ids : int, str or sequence, optional
        Fingertips ids or catalogue keys (``"smoking"``). Required unless ``domain_id`` or
        ``profile_id`` is given.
    area_type_id : int, default 502
        Child area type: 502 counties & UAs, 501 districts & UAs, 6 regions, ...
    parent_area_type_id : int, default 15
        Parent type: fills ``parent_code``/``parent_name`` and the "compared to parent" column
        (15 England, whose comparison the server always writes as ``Not compared``; 6
        regions).
    area_codes : str or sequence, optional
        Keep only these areas (England, the parents and the children are all allowed).
    profile_id : int, optional
        Profile to take the data (and polarity) from.
    include_categories : bool, default False
        Keep breakdown rows (deprivation deciles, ethnic groups: ``category_type`` and
        ``category`` set) as well as headline rows.
    settings : Settings, optional
    progress : bool, default True
        Show a progress bar when more than one request is made.
    domain_id : int or sequence of int, optional
        Every indicator of these domains (a profile's groups, see :func:`profiles` for their
        ids and names), one request per domain and area type; ignored when ``indicator_ids``
        is given, as in fingertipsR.
    rank : bool, default False
        Add fingertipsR's ``Polarity``, ``Rank`` and ``AreaValuesCount`` as ``polarity``
        (from the metadata CSV), ``rank`` (1 = lowest value, whatever the polarity; ties share
        their mean rank; missing values unranked) and ``area_values_count``, within each
        indicator, period, sex, age, category and tier of areas (England, parents,
        children), among every area the API returned (before ``area_codes`` filters them).
    url_only : bool, default False
        Return the request URLs (a list of str) without sending any request, like
        fingertipsR's ``url_only = TRUE``; the arguments are still checked offline.

    Returns
    -------
    pandas.DataFrame or list of str
        The tidy schema (:data:`cw_pophealth.schema.TIDY_SCHEMA`) with ``source="Fingertips
        API"`` and ``source_ref`` the request URL, values unrounded; with ``rank=True``, the
        three rank columns after it. With ``url_only=True``, the URLs.

    Raises
    ------
    InvalidAreaCodeError
        A malformed area code (before any request).
    UnknownAreaTypeError, UnknownIndicatorError, UnknownAreaError, ParameterError
        An area type, indicator, area, domain or profile that Fingertips does not know.
    NoDataError
        A valid request with no rows; the message lists the area types that have data.
    APIUnavailableError, MalformedResponseError, SchemaDriftError, OfflineCacheMissError
        Transport, format and cache failures; the raw cache is left as it was.

    See Also
    --------
    indicator_areatypes : which area types have data for an indicator.
    pull : the core indicators for the standard area types, written to the tidy table.

    Examples
    --------
    >>> le = fingertips_data(90366, area_type_id=501, area_codes=["E08000026"])  # doctest: +SKIP
    >>> le.query("period == '2021 - 23'")[["sex", "value"]]  # doctest: +SKIP
          sex  value
    0  Female   81.7...
    1    Male   77.3...
    >>> fingertips_data(90366, area_type_id=502, parent_area_type_id=6, url_only=True)
    ... # doctest: +ELLIPSIS
    ['https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?child_area_type_id=502&indicator_ids=90366&parent_area_type_id=6']
    """
    settings = settings_or_default(settings)
    plan = plan_data(indicator_ids, [area_type_id], parent_area_type_id, area_codes=area_codes,
                     profile_id=profile_id, settings=settings, caller="fingertips_data",
                     domain_ids=domain_id)
    if url_only:
        return [build_url(settings, r.endpoint, normalise_params(r.params))
                for r in plan.requests]
    if rank and plan.ids:
        plan.checks.append(lambda: indicator_polarities(plan.ids, profile_id=profile_id,
                                                        settings=settings))
    results, bodies = download(plan, settings=settings, progress=progress)
    polarities = None
    if rank:
        polarities = results[-1] if plan.ids else _polarities_of(bodies, profile_id, settings)
    table = rows_of(plan, bodies, settings=settings, include_categories=include_categories,
                    polarities=polarities)
    tidy_table = schema.validate_tidy(table, where="the Fingertips API response")
    if not rank:
        return tidy_table
    extra = table.loc[:, list(RANK_COLUMNS)].astype(RANK_COLUMNS).reset_index(drop=True)
    return pd.concat([tidy_table, extra], axis=1)


def _polarities_of(bodies: Sequence[CsvBody], profile_id: int | None, settings: Settings
                   ) -> pd.DataFrame:
    """The polarities of the indicators a domain or profile request returned."""
    ids = sorted({i for b in bodies for i in indicator_ids_in(b.parsed())})
    if not ids:
        return pd.DataFrame({"indicator_id": pd.Series(dtype="Int64"),
                             "polarity": pd.Series(dtype="string")})
    return indicator_polarities(ids, profile_id=profile_id, settings=settings)
