"""A fake clock for the HTTP layer (:mod:`cw_pophealth.fingertips.clock`): time stands still
except when the client sleeps or waits, which returns at once and moves the clock on by exactly
the time asked for. It records every wait, so tests assert the exact seconds."""

from __future__ import annotations

import threading


class FakeClock:
    """Monotonic time starts at 0 (below any real monotonic reading, so a throttle left in this
    state never holds a later real-time test); wall time at :attr:`WALL_START`."""

    WALL_START = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a whole second

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0.0
        #: Every ``sleep`` (retries: Retry-After or back-off), in seconds, in order.
        self.sleeps: list[float] = []
        #: Every timed wait of the request throttle (holding new requests for a Retry-After).
        self.waits: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self.WALL_START + self._now

    def _advance(self, seconds: float) -> None:
        self._now += max(0.0, float(seconds))

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._advance(seconds)

    def wait(self, condition: threading.Condition, timeout: float) -> None:
        with self._lock:
            self.waits.append(timeout)
            self._advance(timeout)
