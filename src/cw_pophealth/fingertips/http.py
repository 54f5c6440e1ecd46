"""HTTP transport: the one function that talks to the Fingertips API, :func:`http_get`.

* Sessions (:class:`requests.Session`, kept alive between calls) come from a small pool and are
  lent to one thread at a time, since requests does not promise that a session is thread-safe.
* TLS verification is always on: ``verify=True`` is passed on every call and no code path turns
  it off. Behind a TLS-intercepting corporate proxy, point ``REQUESTS_CA_BUNDLE`` at the
  organisation's CA bundle. Proxies come from the usual ``HTTPS_PROXY``/``NO_PROXY`` variables.
* Explicit ``(connect, read)`` timeouts from :class:`~cw_pophealth.config.Settings`.
* Timeouts, connection errors, broken transfers, HTTP 429 (honouring ``Retry-After``) and 5xx are
  retried ``settings.retries`` times with exponential back-off plus jitter; other 4xx are not.
* At most ``settings.max_workers`` requests are in flight to a host at once, across all threads,
  under an adaptive cap (:mod:`cw_pophealth.fingertips.throttle`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import queue
import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from cw_pophealth import __version__
from cw_pophealth.config import Settings
from cw_pophealth.errors import (
    OFFLINE_HINT,
    APIUnavailableError,
    ConfigError,
    FingertipsAPIError,
    MalformedResponseError,
)
from cw_pophealth.fingertips import clock
from cw_pophealth.fingertips.cache import query_string
from cw_pophealth.fingertips.parse import snippet
from cw_pophealth.fingertips.throttle import throttle_for

logger = logging.getLogger(__name__)

__all__ = ["MAX_RETRY_AFTER", "STATUS_PAGE", "USER_AGENT", "Response", "build_url", "http_get"]

#: Longest ``Retry-After`` the client will sleep for; a longer one fails at once with the wait.
MAX_RETRY_AFTER = 120.0
STATUS_PAGE = "https://fingertips.phe.org.uk"
USER_AGENT = f"cw-pophealth/{__version__} (python-requests/{requests.__version__})"
_LOOPBACK_NAMES = {"localhost"}

# Idle sessions, reused across calls and threads; a session is used by one thread at a time
# (requests does not promise that a Session is thread-safe) and keeps its connections alive.
_idle_sessions: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()


@dataclass(frozen=True)
class Response:
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


def build_url(settings: Settings, endpoint: str, params: dict[str, str]) -> str:
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
        return max(0.0, when.timestamp() - clock.now())
    return None


def _backoff_delay(settings: Settings, attempt: int) -> float:
    """Exponential back-off plus jitter: ``backoff * 2**(attempt-1) + U(0, backoff)`` seconds."""
    return settings.backoff * (2 ** (attempt - 1)) + random.uniform(0, settings.backoff)


def http_get(url: str, *, settings: Settings, session: requests.Session | None = None
             ) -> Response:
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
    Response
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
            return http_get(url, settings=settings, session=borrowed)
    attempts = max(1, int(settings.retries) + 1)
    timeout = (settings.connect_timeout, settings.read_timeout)
    throttle = throttle_for(url)
    started = clock.monotonic()
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
            elapsed = clock.monotonic() - t0
            status = resp.status_code
            if status == 429 or status >= 500:
                last_cause = f"HTTP {status} {resp.reason or ''}".strip()
                if body.strip():
                    # The CSV endpoints explain a failure in a plain-text body (e.g. "CSV data
                    # could not be built for indicator ..."): keep the start of it.
                    last_cause += f" ({snippet(body)})"
                truncated = False
                if status == 429 or status == 503:
                    wait_for = _retry_after_seconds(resp.headers.get("Retry-After"))
                    if wait_for is not None and wait_for > MAX_RETRY_AFTER:
                        throttle.overloaded(t0)
                        raise APIUnavailableError(
                            f"The Fingertips API answered {url} with {last_cause} and asks "
                            f"clients to wait {wait_for:.0f} s. Check {STATUS_PAGE}, "
                            f"{OFFLINE_HINT}.", url=url, status=status)
                throttle.overloaded(t0, wait_for)
            elif status >= 400:
                raise FingertipsAPIError(
                    f"The Fingertips API rejected {url} with HTTP {status} {resp.reason or ''} "
                    f"({snippet(body)}). This is not retried: check the endpoint and parameters "
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
                    return Response(url=url, status=status, body=body,
                                     content_type=resp.headers.get("Content-Type"),
                                     elapsed=elapsed)
        if attempt < attempts:
            delay = wait_for if wait_for is not None else _backoff_delay(settings, attempt)
            logger.warning("Attempt %d/%d for %s failed (%s); retrying in %.2f s",
                           attempt, attempts, url, last_cause, delay)
            clock.sleep(delay)
    spent = clock.monotonic() - started
    if truncated:
        raise MalformedResponseError(
            f"The Fingertips API sent an incomplete response for {url} on all {attempts} "
            f"attempt(s) over {spent:.1f} s: {last_cause}. Nothing was cached. Check "
            f"{STATUS_PAGE}, {OFFLINE_HINT}.", url=url, attempts=attempts)
    raise APIUnavailableError(
        f"The Fingertips API did not answer {url} after {attempts} attempt(s) over "
        f"{spent:.1f} s; last error: {last_cause}. Check {STATUS_PAGE} is up, "
        f"{OFFLINE_HINT}.", url=url, attempts=attempts)

