"""Fetching through the raw cache, and running requests concurrently.

* :func:`fetch` gets one endpoint: online, the response is fetched, checked, parsed and only then
  written to the raw cache, so a bad response never replaces a good entry; offline
  (``settings.offline``), the cached body is parsed and a missing entry is a clear error.
* :func:`checks_then_tasks` runs the lookups that check a call's arguments at the same time as
  the requests they guard, on one thread pool of ``settings.max_workers``: a call costs one
  round trip, not two, and its results are used only when every check passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from tqdm import tqdm

from cw_pophealth.config import Settings
from cw_pophealth.errors import MalformedResponseError, OfflineCacheMissError
from cw_pophealth.fingertips.cache import (
    CacheEntry,
    ResponseCache,
    cache_key,
    normalise_params,
)
from cw_pophealth.fingertips.http import build_url, http_get
from cw_pophealth.fingertips.parse import check_body, parse_json
from cw_pophealth.fingertips.shapes import check_json_shape

logger = logging.getLogger(__name__)

__all__ = ["cached_entry", "checked_in_order", "checks_then_tasks", "fetch", "get_json",
           "refuse_no_rows_over_rows", "run_parallel"]


def fetch(endpoint: str, params: Mapping[str, object] | None, *, settings: Settings, kind: str,
           parse: Callable[[bytes, str], Any]) -> Any:
    """Fetch one endpoint through the raw cache and return ``parse(body, url)``.

    Online, the response is fetched, checked, parsed and only then written to the cache (so a
    bad response never replaces a good entry). Offline, the cached body is parsed; a missing
    entry raises :class:`OfflineCacheMissError`.
    """
    norm = normalise_params(params)
    url = build_url(settings, endpoint, norm)
    what = "CSV" if kind == "csv" else "JSON"
    store = ResponseCache.for_settings(settings)
    if settings.offline:
        entry = cached_entry(store, endpoint, norm, url)
        source_url = entry.meta.get("url", url)
        check_body(entry.body, entry.meta.get("content_type"), source_url, what)
        return parse(entry.body, source_url)
    response = http_get(url, settings=settings)
    check_body(response.body, response.content_type, url, what)
    parsed = parse(response.body, url)
    store.put(endpoint, norm, response.body, url=url, status=response.status,
              content_type=response.content_type, elapsed=response.elapsed, extension=kind)
    return parsed


def cached_entry(store: ResponseCache, endpoint: str, norm: dict[str, str], url: str
                 ) -> CacheEntry:
    """The raw-cache entry for a request (offline mode); a miss raises a clear error."""
    entry = store.get(endpoint, norm)
    if entry is None:
        raise OfflineCacheMissError(
            f"Offline mode: no cached response for {url} (cache key "
            f"{cache_key(endpoint, norm)!r}) under {store.root}. `pull --offline` only replays "
            "what an online pull has cached: to work without the network, build the table from "
            "the offline extracts with `make data` (cw-pophealth build); or run "
            "`cw-pophealth pull` online once with the same indicators and area types.")
    logger.debug("Served %s from the cache (%s)", url, entry.body_path)
    return entry


def refuse_no_rows_over_rows(store: ResponseCache, endpoint: str, norm: dict[str, str],
                             url: str, rows: int) -> None:
    """Refuse a CSV answer with a header and no rows when the cache holds rows for the request.

    The server answers ids it does not know with a bare header, so a bare header in place of an
    answer that had rows is a fault of the server's, and caching it would replace good data:
    the cached answer is kept and the error says so.

    Raises
    ------
    MalformedResponseError
        Naming the URL and when the kept answer was retrieved.
    """
    if rows:
        return
    try:
        entry = store.get(endpoint, norm)
    except OfflineCacheMissError:  # a damaged entry: nothing good to keep
        return
    if entry is None or len(entry.body.strip().splitlines()) < 2:
        return
    raise MalformedResponseError(
        f"The Fingertips API answered {url} with no rows, where its answer of "
        f"{entry.meta.get('retrieved_at', 'an earlier pull')} had rows. This is most likely a "
        "fault of the server's; the cached answer was kept, so `cw-pophealth pull --offline` "
        f"still works. Retry later. If the data really were withdrawn, delete "
        f"{entry.meta_path} and pull again.", url=url)


def get_json(endpoint: str, params: Mapping[str, object] | None, *, settings: Settings,
              expect: type | tuple[type, ...], allow_null: bool = False) -> Any:
    """Fetch a JSON endpoint: decoded, its top-level type checked, and its fields checked
    against :data:`~cw_pophealth.fingertips.shapes.JSON_SHAPES`, all before it is cached."""
    def parse(body: bytes, url: str) -> Any:
        data = parse_json(body, url, expect=expect, allow_null=allow_null)
        check_json_shape(endpoint, data, url)
        return data

    return fetch(endpoint, params, settings=settings, kind="json", parse=parse)


def run_parallel(tasks: Sequence[Callable[[], Any]], *, settings: Settings, progress: bool,
                  description: str) -> list[Any]:
    """Run callables on a thread pool of ``settings.max_workers``; results in task order.

    A tqdm bar is shown when ``progress`` and there is more than one task. The first error
    cancels the tasks not yet started and is re-raised.
    """
    return checks_then_tasks([], tasks, settings=settings, progress=progress,
                              description=description)[1]


def checks_then_tasks(checks: Sequence[Callable[[], Any]], tasks: Sequence[Callable[[], Any]],
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


def checked_in_order(settings: Settings, *checks: Callable[[], Any]) -> list[Any]:
    """Run independent lookups concurrently; return their results in order (the error of the
    first failing one in argument order, see :func:`_checks_then_tasks`)."""
    return checks_then_tasks(checks, [], settings=settings)[0]

