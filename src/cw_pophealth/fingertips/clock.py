"""The clock that the HTTP layer reads and waits by: real time, or a fake one in tests.

:mod:`~cw_pophealth.fingertips.http` and :mod:`~cw_pophealth.fingertips.throttle` never call
:mod:`time` themselves: they call :func:`monotonic`, :func:`now`, :func:`sleep` and
:func:`wait` here, which ask the current clock (:class:`SystemClock` unless a test installed
another with :func:`use`). So the Retry-After and back-off tests can check the exact waits
without waiting.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Protocol

__all__ = ["Clock", "SystemClock", "monotonic", "now", "sleep", "use", "wait"]


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    def wait(self, condition: threading.Condition, timeout: float) -> None: ...


class SystemClock:
    """Real time: :func:`time.monotonic`, :func:`time.time`, :func:`time.sleep`, and a
    condition's own timed wait."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, condition: threading.Condition, timeout: float) -> None:
        condition.wait(timeout=timeout)


_current: Clock = SystemClock()


def monotonic() -> float:
    """Seconds on a clock that never goes back."""
    return _current.monotonic()


def now() -> float:
    """Wall-clock time (seconds since the epoch), for HTTP dates."""
    return _current.time()


def sleep(seconds: float) -> None:
    """Wait ``seconds``."""
    _current.sleep(seconds)


def wait(condition: threading.Condition, timeout: float) -> None:
    """Wait on ``condition`` (held by the caller) for at most ``timeout`` seconds."""
    _current.wait(condition, timeout)


@contextlib.contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the clock of the HTTP layer inside the ``with`` block."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
