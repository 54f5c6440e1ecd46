"""Tests for cw_pophealth.fingertips.throttle: the adaptive per-host cap on requests in flight."""

from __future__ import annotations

import threading
import time

import pytest

from cw_pophealth import fingertips
from cw_pophealth.errors import (
    FingertipsAPIError,
)
from cw_pophealth.fingertips import fetch
from cw_pophealth.fingertips import throttle as throttle_mod
from helpers import LE, data_requests


class TestRequestThrottle:
    """The adaptive cap on requests in flight to one host (AIMD)."""

    @staticmethod
    def cut_once(throttle, ceiling=8):
        with throttle.slot(ceiling) as sent:
            pass
        throttle.overloaded(sent)

    def test_the_cap_starts_at_max_workers(self):
        throttle = throttle_mod.HostThrottle()
        with throttle.slot(8):
            assert throttle.cap == 8

    def test_an_overloaded_answer_halves_the_cap(self):
        throttle = throttle_mod.HostThrottle()
        self.cut_once(throttle)
        assert throttle.cap == 4

    def test_a_burst_of_overloaded_answers_from_one_round_halves_only_once(self):
        throttle = throttle_mod.HostThrottle()
        with throttle.slot(8) as first, throttle.slot(8) as second, throttle.slot(8) as third:
            pass
        for sent in (first, second, third):
            throttle.overloaded(sent)
        assert throttle.cap == 4

    def test_requests_sent_after_a_cut_can_cut_again(self):
        throttle = throttle_mod.HostThrottle()
        for _ in range(5):
            self.cut_once(throttle)
        assert throttle.cap == 1  # never below one request at a time

    def test_good_answers_raise_the_cap_one_step_per_round(self):
        throttle = throttle_mod.HostThrottle()
        self.cut_once(throttle)
        self.cut_once(throttle)  # cap 2
        with throttle.slot(8) as sent:
            pass
        caps = []
        for _ in range(2 + 3 + 4):
            throttle.good_answer(sent)
            caps.append(throttle.cap)
        assert caps == [2, 3, 3, 3, 4, 4, 4, 4, 5]

    def test_good_answers_to_requests_sent_before_the_cut_do_not_raise_it(self):
        throttle = throttle_mod.HostThrottle()
        with throttle.slot(8) as before_cut:
            pass
        throttle.overloaded(before_cut)
        for _ in range(10):
            throttle.good_answer(before_cut)
        assert throttle.cap == 4

    def test_the_cap_is_back_at_the_ceiling_after_a_quiet_spell(self, monkeypatch):
        throttle = throttle_mod.HostThrottle()
        self.cut_once(throttle)
        monkeypatch.setattr(throttle_mod, "THROTTLE_MEMORY", 0.0)
        with throttle.slot(8):
            assert throttle.cap == 8

    def test_no_more_requests_than_the_cap_are_in_flight(self):
        throttle = throttle_mod.HostThrottle()
        self.cut_once(throttle, ceiling=4)  # cap 2
        inside, peak, lock = [0], [0], threading.Lock()

        def request():
            with throttle.slot(4):
                with lock:
                    inside[0] += 1
                    peak[0] = max(peak[0], inside[0])
                time.sleep(0.05)
                with lock:
                    inside[0] -= 1

        threads = [threading.Thread(target=request) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert peak[0] == 2

    def test_retry_after_holds_every_new_request_to_the_host(self, fake_clock):
        throttle = throttle_mod.HostThrottle()
        with throttle.slot(4) as sent:
            pass
        throttle.overloaded(sent, retry_after=0.3)
        with throttle.slot(4) as next_sent:
            pass
        assert next_sent - sent == pytest.approx(0.3)
        assert fake_clock.waits == [pytest.approx(0.3)]

    @pytest.fixture
    def slow_api(self, fake_api):
        """The fake answering every request after 0.05 s, so that requests overlap."""
        fake_api.latency = 0.05
        yield fake_api
        fake_api.latency = 0.0

    def test_the_server_never_sees_more_requests_than_max_workers(self, settings, slow_api):
        fingertips.pull(settings=settings.with_(max_workers=3), progress=False)
        assert slow_api.max_in_flight == 3

    def test_after_a_429_the_other_requests_wait_for_its_retry_after(self, settings, fake_api,
                                                                     fake_clock):
        # On the fake clock no time passes but the waits, so a request sent before the 429
        # arrives at the same instant, and any later one at least the Retry-After after it.
        fake_api.clock = fake_clock.monotonic
        fake_api.set_fault("429", times=1, endpoint="all_data", retry_after=1)
        try:
            fingertips.pull([LE, 90362], settings=settings, progress=False)
        finally:
            fake_api.clock = time.monotonic
        data = data_requests(fake_api)
        refused = data[0]  # the fault answers the first all_data request that arrives
        later = [r for r in data[1:] if r.arrived > refused.arrived]
        assert len(data) == 5 and later  # 4 requests + 1 retry
        assert all(r.arrived >= refused.arrived + 1.0 for r in later)
        assert fake_clock.sleeps == [1.0]  # the refused request's own wait, exactly
        assert all(w <= 1.0 for w in fake_clock.waits)  # the others held no longer

    @pytest.fixture
    def busy_api(self, slow_api):
        """The fake as a rate-limited API: 429 (Retry-After: 0) beyond 4 requests at once."""
        slow_api.capacity = 4
        yield slow_api
        slow_api.capacity = None

    def test_a_pull_on_16_workers_completes_against_a_server_that_takes_only_4(self, settings,
                                                                               busy_api):
        # 16 requests in the first round: 12 are refused, the cap drops to 8 and then 4. A
        # client that kept sending 16 at once would exhaust its retries (measured: it fails
        # every time) and refuse ~30 requests.
        table = fingertips.pull(settings=settings.with_(max_workers=16, retries=3),
                                progress=False)
        assert not table.empty
        assert busy_api.refused <= 20

    def test_a_default_pull_has_at_most_4_requests_in_flight(self, settings, fake_api,
                                                            monkeypatch):
        monkeypatch.delenv("CW_POPHEALTH_MAX_WORKERS", raising=False)
        from cw_pophealth.config import get_settings

        default = settings.with_(max_workers=get_settings().max_workers)
        fake_api.latency = 0.05
        try:
            fingertips.pull(settings=default, progress=False)
        finally:
            fake_api.latency = 0.0
        assert fake_api.max_in_flight == 4

    def test_a_429_answer_cuts_the_cap_for_that_host(self, settings, fake_api):
        fake_api.set_fault("429", times=1, retry_after=0)
        fingertips.profiles(settings=settings.with_(max_workers=4))
        # Cut from 4 to 2; one good answer since is not yet a round of 2.
        assert throttle_mod.throttle_for(fake_api.url).cap == 2

    def test_a_500_answer_cuts_the_cap(self, settings, fake_api):
        fake_api.set_fault("500", times=1)
        fingertips.profiles(settings=settings.with_(max_workers=4))
        assert throttle_mod.throttle_for(fake_api.url).cap == 2

    def test_a_timeout_cuts_the_cap(self, settings, fake_api):
        fake_api.set_fault("slow", times=1, delay=1.0)
        fingertips.profiles(settings=settings.with_(max_workers=4, read_timeout=0.3))
        assert throttle_mod.throttle_for(fake_api.url).cap == 2

    def test_good_answers_leave_the_cap_at_the_ceiling(self, settings, fake_api):
        fingertips.pull([LE], settings=settings.with_(max_workers=4), progress=False)
        assert throttle_mod.throttle_for(fake_api.url).cap == 4

    def test_a_404_does_not_cut_the_cap(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError):
            fetch.get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert throttle_mod.throttle_for(fake_api.url).cap == settings.max_workers
