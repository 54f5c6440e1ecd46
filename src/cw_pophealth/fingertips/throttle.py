"""An adaptive cap on the requests in flight to each API host, shared by every thread.

See :class:`HostThrottle`. One throttle exists per host (:func:`throttle_for`), so every pull,
lookup and thread of a process backs off together when the server pushes back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from urllib.parse import urlsplit

from cw_pophealth.fingertips import clock

logger = logging.getLogger(__name__)

__all__ = ["THROTTLE_MEMORY", "HostThrottle", "reset_throttles", "throttle_for"]

#: Seconds without a sign of overload after which a host's request cap is back at the ceiling.
THROTTLE_MEMORY = 60.0


class HostThrottle:
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
                now = clock.monotonic()
                if ceiling != self._ceiling:
                    self._ceiling = ceiling
                    self._cap = min(self._cap, ceiling)
                if now - self._last_cut > THROTTLE_MEMORY:
                    self._cap = self._ceiling
                hold = self._resume_at - now
                if hold <= 0 and self._in_flight < self._cap:
                    break
                if hold > 0:
                    clock.wait(self._cond, hold)
                else:
                    self._cond.wait()
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
            now = clock.monotonic()
            if retry_after:
                self._resume_at = max(self._resume_at, now + retry_after)
            if sent_at >= self._last_cut:
                before = self._cap
                self._cap = max(1, self._cap // 2)
                self._streak = 0
                self._last_cut = now
                logger.info("The server is overloaded: at most %d request(s) at a time (was %d)",
                            self._cap, before)


_throttles: dict[str, HostThrottle] = {}
_throttles_lock = threading.Lock()


def throttle_for(url: str) -> HostThrottle:
    """The throttle shared by every request to the host of ``url``."""
    host = urlsplit(url).netloc.lower()
    with _throttles_lock:
        return _throttles.setdefault(host, HostThrottle())


def reset_throttles() -> None:
    """Forget every host's throttle (each starts again at its ceiling)."""
    with _throttles_lock:
        _throttles.clear()
