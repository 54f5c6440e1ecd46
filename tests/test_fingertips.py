"""Tests for cw_pophealth.fingertips against a real HTTP fake of the API (tests/fake_fingertips.py).

The fake serves the real extracts in the API's formats; faults are injected per request.
Timeouts and back-off are short (see the ``settings`` fixture in conftest.py).
"""

from __future__ import annotations

import inspect
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
import requests

from cw_pophealth import fingertips, schema
from cw_pophealth.cache import ResponseCache
from cw_pophealth.errors import (
    APIUnavailableError,
    ConfigError,
    FingertipsAPIError,
    InvalidAreaCodeError,
    MalformedResponseError,
    NoDataError,
    OfflineCacheMissError,
    ParameterError,
    SchemaDriftError,
    UnknownAreaError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)

COVENTRY = "E08000026"
WARWICKSHIRE = "E10000031"
LE = 90366
ALCOHOL = 92778  # known to the API's metadata, but the extracts hold no rows for it


def data_requests(fake):
    return fake.requests_to("all_data/")


def coventry_le(table: pd.DataFrame, sex: str) -> float:
    row = table.loc[(table["area_code"] == COVENTRY) & (table["indicator_id"] == LE)
                    & (table["period"] == "2021 - 23") & (table["sex"] == sex), "value"]
    return float(row.iloc[0])


def data_cache_files(settings) -> dict:
    """Every file of the raw cache's ``all_data`` responses (bodies and sidecars) with its bytes."""
    root = settings.raw_dir / "fingertips" / "all_data"
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# =============================================================================================
# Transport: retries, timeouts, malformed bodies
# =============================================================================================
class TestRetries:
    def test_a_500_is_retried_and_then_succeeds(self, settings, fake_api):
        fake_api.set_fault("500", times=1)
        assert 19 in set(fingertips.profiles(settings=settings)["profile_id"])

    def test_a_500_then_success_makes_two_requests(self, settings, fake_api):
        fake_api.set_fault("500", times=1)
        fingertips.profiles(settings=settings)
        assert len(fake_api.requests_to("profiles")) == 2

    def test_500_every_time_raises_api_unavailable(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError):
            fingertips.profiles(settings=settings)

    def test_unavailable_error_counts_the_attempts(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError, match=r"after 3 attempt\(s\)"):
            fingertips.profiles(settings=settings)

    def test_attempt_count_matches_requests_made(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError):
            fingertips.profiles(settings=settings)
        assert len(fake_api.requests_to("profiles")) == settings.retries + 1

    def test_unavailable_error_names_the_url(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError) as info:
            fingertips.profiles(settings=settings)
        assert info.value.url == f"{fake_api.url}profiles"

    def test_unavailable_error_names_the_last_cause(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError, match="HTTP 500"):
            fingertips.profiles(settings=settings)

    def test_unavailable_error_says_what_to_do(self, settings, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError, match="--offline"):
            fingertips.profiles(settings=settings)

    def test_429_waits_for_retry_after(self, settings, fake_api):
        fake_api.set_fault("429", times=1, retry_after=1)
        started = time.monotonic()
        fingertips.profiles(settings=settings)
        assert time.monotonic() - started >= 0.95

    def test_429_then_success_returns_data(self, settings, fake_api):
        fake_api.set_fault("429", times=1, retry_after=1)
        assert not fingertips.profiles(settings=settings).empty

    def test_an_excessive_retry_after_fails_at_once(self, settings, fake_api):
        fake_api.set_fault("429", times=5, retry_after=3600)
        with pytest.raises(APIUnavailableError, match="3600"):
            fingertips.profiles(settings=settings)

    def test_a_404_is_not_retried(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError):
            fingertips._get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert len(fake_api.requests_to("no_such_endpoint")) == 1

    def test_a_404_carries_its_status(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError) as info:
            fingertips._get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert info.value.status == 404

    def test_connection_refused_raises_api_unavailable(self, settings, dead_api_url):
        with pytest.raises(APIUnavailableError, match="connection error"):
            fingertips.profiles(settings=settings.with_(api_base_url=dead_api_url))


class TestRequestThrottle:
    """The adaptive cap on requests in flight to one host (AIMD)."""

    @staticmethod
    def cut_once(throttle, ceiling=8):
        with throttle.slot(ceiling) as sent:
            pass
        throttle.overloaded(sent)

    def test_the_cap_starts_at_max_workers(self):
        throttle = fingertips._HostThrottle()
        with throttle.slot(8):
            assert throttle.cap == 8

    def test_an_overloaded_answer_halves_the_cap(self):
        throttle = fingertips._HostThrottle()
        self.cut_once(throttle)
        assert throttle.cap == 4

    def test_a_burst_of_overloaded_answers_from_one_round_halves_only_once(self):
        throttle = fingertips._HostThrottle()
        with throttle.slot(8) as first, throttle.slot(8) as second, throttle.slot(8) as third:
            pass
        for sent in (first, second, third):
            throttle.overloaded(sent)
        assert throttle.cap == 4

    def test_requests_sent_after_a_cut_can_cut_again(self):
        throttle = fingertips._HostThrottle()
        for _ in range(5):
            self.cut_once(throttle)
        assert throttle.cap == 1  # never below one request at a time

    def test_good_answers_raise_the_cap_one_step_per_round(self):
        throttle = fingertips._HostThrottle()
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
        throttle = fingertips._HostThrottle()
        with throttle.slot(8) as before_cut:
            pass
        throttle.overloaded(before_cut)
        for _ in range(10):
            throttle.good_answer(before_cut)
        assert throttle.cap == 4

    def test_the_cap_is_back_at_the_ceiling_after_a_quiet_spell(self, monkeypatch):
        throttle = fingertips._HostThrottle()
        self.cut_once(throttle)
        monkeypatch.setattr(fingertips, "THROTTLE_MEMORY", 0.0)
        with throttle.slot(8):
            assert throttle.cap == 8

    def test_no_more_requests_than_the_cap_are_in_flight(self):
        throttle = fingertips._HostThrottle()
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

    def test_retry_after_holds_every_new_request_to_the_host(self):
        throttle = fingertips._HostThrottle()
        with throttle.slot(4) as sent:
            pass
        throttle.overloaded(sent, retry_after=0.3)
        with throttle.slot(4) as next_sent:
            pass
        assert next_sent - sent >= 0.3

    @pytest.fixture
    def slow_api(self, fake_api):
        """The fake answering every request after 0.05 s, so that requests overlap."""
        fake_api.latency = 0.05
        yield fake_api
        fake_api.latency = 0.0

    def test_the_server_never_sees_more_requests_than_max_workers(self, settings, slow_api):
        fingertips.pull(settings=settings.with_(max_workers=3), progress=False)
        assert slow_api.max_in_flight == 3

    def test_after_a_429_the_other_requests_wait_for_its_retry_after(self, settings, fake_api):
        fake_api.set_fault("429", times=1, endpoint="all_data", retry_after=1)
        fingertips.pull([LE, 90362], settings=settings, progress=False)
        data = data_requests(fake_api)
        refused = data[0]  # the fault answers the first all_data request that arrives
        later = [r for r in data[1:] if r.arrived > refused.arrived + 0.2]
        assert len(data) == 5 and later  # 4 requests + 1 retry
        assert all(r.arrived >= refused.arrived + 0.95 for r in later)

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

    def test_a_429_answer_cuts_the_cap_for_that_host(self, settings, fake_api):
        fake_api.set_fault("429", times=1, retry_after=0)
        fingertips.profiles(settings=settings.with_(max_workers=4))
        # Cut from 4 to 2; one good answer since is not yet a round of 2.
        assert fingertips._throttle_for(fake_api.url).cap == 2

    def test_a_500_answer_cuts_the_cap(self, settings, fake_api):
        fake_api.set_fault("500", times=1)
        fingertips.profiles(settings=settings.with_(max_workers=4))
        assert fingertips._throttle_for(fake_api.url).cap == 2

    def test_a_timeout_cuts_the_cap(self, settings, fake_api):
        fake_api.set_fault("slow", times=1, delay=1.0)
        fingertips.profiles(settings=settings.with_(max_workers=4, read_timeout=0.3))
        assert fingertips._throttle_for(fake_api.url).cap == 2

    def test_good_answers_leave_the_cap_at_the_ceiling(self, settings, fake_api):
        fingertips.pull([LE], settings=settings.with_(max_workers=4), progress=False)
        assert fingertips._throttle_for(fake_api.url).cap == 4

    def test_a_404_does_not_cut_the_cap(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError):
            fingertips._get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert fingertips._throttle_for(fake_api.url).cap == settings.max_workers


class TestTimeouts:
    def test_slow_response_raises_api_unavailable(self, settings, fake_api):
        fake_api.set_fault("slow", times=5, delay=3)
        with pytest.raises(APIUnavailableError, match="read timeout"):
            fingertips.profiles(settings=settings.with_(read_timeout=0.3, retries=1))

    def test_slow_response_fails_within_bounded_time(self, settings, fake_api):
        fake_api.set_fault("slow", times=5, delay=3)
        started = time.monotonic()
        with pytest.raises(APIUnavailableError):
            fingertips.profiles(settings=settings.with_(read_timeout=0.3, retries=1))
        assert time.monotonic() - started < 1.5

    def test_one_slow_response_then_success(self, settings, fake_api):
        fake_api.set_fault("slow", times=1, delay=2)
        frame = fingertips.profiles(settings=settings.with_(read_timeout=0.3))
        assert not frame.empty


class TestMalformedResponses:
    def test_truncated_csv_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("truncated", times=5, endpoint="all_data/")
        with pytest.raises(MalformedResponseError, match="truncated"):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_truncated_csv_is_detected_by_the_c_engine_too(self, settings, fake_api,
                                                            monkeypatch):
        monkeypatch.setattr(fingertips, "_PREFER_PYARROW", False)
        fake_api.set_fault("truncated", times=5, endpoint="all_data/")
        with pytest.raises(MalformedResponseError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_short_body_for_its_content_length_is_retried(self, settings, fake_api):
        fake_api.set_fault("truncated_length", times=1, endpoint="all_data/")
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert coventry_le(table, "Male") == pytest.approx(77.3)

    def test_short_body_every_time_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("truncated_length", times=10, endpoint="all_data/")
        with pytest.raises(MalformedResponseError, match="incomplete"):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_truncated_json_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("truncated", times=1, endpoint="profiles")
        with pytest.raises(MalformedResponseError, match="invalid JSON"):
            fingertips.profiles(settings=settings)

    def test_html_page_instead_of_json_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("html", times=1, endpoint="profiles")
        with pytest.raises(MalformedResponseError, match="HTML page"):
            fingertips.profiles(settings=settings)

    def test_html_page_instead_of_csv_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("html", times=1, endpoint="all_data/")
        with pytest.raises(MalformedResponseError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_html_error_quotes_the_page_title(self, settings, fake_api):
        fake_api.set_fault("html", times=1, endpoint="profiles")
        with pytest.raises(MalformedResponseError, match="currently unavailable"):
            fingertips.profiles(settings=settings)

    def test_empty_body_raises_malformed(self, settings, fake_api):
        fake_api.set_fault("empty", times=1, endpoint="all_data/")
        with pytest.raises(MalformedResponseError, match="empty body"):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_renamed_column_raises_schema_drift(self, settings, fake_api):
        fake_api.set_fault("renamed_column", times=1)
        with pytest.raises(SchemaDriftError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_schema_drift_names_the_missing_column(self, settings, fake_api):
        fake_api.set_fault("renamed_column", times=1)
        with pytest.raises(SchemaDriftError, match="'Value'"):
            fingertips.fingertips_data(LE, settings=settings, progress=False)

    def test_body_faults_are_not_retried(self, settings, fake_api):
        fake_api.set_fault("html", times=1, endpoint="all_data/")
        with pytest.raises(MalformedResponseError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert len(data_requests(fake_api)) == 1


class TestTLS:
    def test_module_source_never_disables_verification(self):
        source = inspect.getsource(fingertips)
        assert "verify=False" not in source.replace(" ", "")

    def test_pooled_sessions_verify_certificates(self):
        with fingertips._borrowed_session() as session:
            assert session.verify is True

    def test_each_request_passes_verify_true_and_timeouts(self, settings):
        calls = []

        class RecordingSession:
            def get(self, url, **kwargs):
                calls.append(kwargs)
                raise requests.exceptions.ConnectionError("refused")

        with pytest.raises(APIUnavailableError):
            fingertips._http_get("https://example.invalid/api/x",
                                 settings=settings.with_(retries=0), session=RecordingSession())
        assert (calls[0]["verify"], calls[0]["timeout"]) == (
            True, (settings.connect_timeout, settings.read_timeout))

    def test_plain_http_to_a_remote_host_is_refused(self, settings):
        with pytest.raises(ConfigError, match="HTTPS"):
            fingertips.profiles(settings=settings.with_(api_base_url="http://example.org/api/"))

    def test_self_signed_certificate_is_rejected(self, settings, https_url):
        with pytest.raises(FingertipsAPIError, match="REQUESTS_CA_BUNDLE"):
            fingertips.profiles(settings=settings.with_(api_base_url=https_url))

    def test_certificate_failures_are_not_retried(self, settings, https_url):
        started = time.monotonic()
        with pytest.raises(FingertipsAPIError):
            fingertips.profiles(settings=settings.with_(api_base_url=https_url, backoff=1.0))
        assert time.monotonic() - started < 1.0


@pytest.fixture
def https_url(tmp_path):
    """A loopback HTTPS server with a self-signed certificate (no CA trusts it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args):
            pass

    class QuietServer(HTTPServer):
        def handle_error(self, request, client_address):
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/api/"
    server.shutdown()
    server.server_close()


# =============================================================================================
# Cache and offline mode
# =============================================================================================
class TestCaching:
    def test_a_good_response_is_cached(self, settings, fake_api):
        fingertips.profiles(settings=settings)
        assert ResponseCache.for_settings(settings).get("profiles") is not None

    def test_cached_body_is_what_the_server_sent(self, settings, fake_api):
        fingertips.profiles(settings=settings)
        body = ResponseCache.for_settings(settings).get("profiles").body
        assert body == requests.get(f"{fake_api.url}profiles", timeout=5).content

    def test_sidecar_records_the_real_url(self, settings, fake_api):
        fingertips.profiles(settings=settings)
        meta = ResponseCache.for_settings(settings).get("profiles").meta
        assert meta["url"] == f"{fake_api.url}profiles"

    def test_sidecar_records_the_status(self, settings, fake_api):
        fingertips.profiles(settings=settings)
        assert ResponseCache.for_settings(settings).get("profiles").meta["http_status"] == 200

    @pytest.mark.parametrize("fault", ["500", "html", "empty", "truncated", "truncated_length",
                                       "renamed_column"])
    def test_failed_request_leaves_the_cache_byte_identical(self, settings, fake_api, fault):
        fingertips.fingertips_data(LE, settings=settings, progress=False)
        before = data_cache_files(settings)
        fake_api.set_fault(fault, times=10, endpoint="all_data/")
        with pytest.raises(FingertipsAPIError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert data_cache_files(settings) == before

    def test_failed_first_request_caches_nothing(self, settings, fake_api):
        fake_api.set_fault("html", times=1, endpoint="all_data/")
        with pytest.raises(MalformedResponseError):
            fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert not list((settings.raw_dir / "fingertips").glob("all_data/**/*.meta.json"))


class TestOfflineMode:
    def test_serves_cached_data_with_the_server_unreachable(self, settings, fake_api,
                                                             dead_api_url):
        online = fingertips.fingertips_data(LE, settings=settings, progress=False)
        offline = fingertips.fingertips_data(
            LE, settings=settings.with_(offline=True, api_base_url=dead_api_url), progress=False)
        pd.testing.assert_frame_equal(offline, online)

    def test_makes_no_requests(self, settings, fake_api):
        fingertips.profiles(settings=settings)
        fake_api.reset()
        fingertips.profiles(settings=settings.with_(offline=True))
        assert fake_api.requests == []

    def test_a_miss_raises_offline_cache_miss(self, settings, fake_api):
        with pytest.raises(OfflineCacheMissError):
            fingertips.profiles(settings=settings.with_(offline=True))

    def test_a_miss_names_the_url(self, settings, fake_api):
        with pytest.raises(OfflineCacheMissError, match="profiles"):
            fingertips.profiles(settings=settings.with_(offline=True))

    def test_a_miss_says_to_pull_online_first(self, settings, fake_api):
        with pytest.raises(OfflineCacheMissError, match="cw-pophealth pull"):
            fingertips.profiles(settings=settings.with_(offline=True))

    def test_offline_rows_keep_the_original_url_as_source_ref(self, settings, fake_api,
                                                               dead_api_url):
        fingertips.fingertips_data(LE, settings=settings, progress=False)
        table = fingertips.fingertips_data(
            LE, settings=settings.with_(offline=True, api_base_url=dead_api_url), progress=False)
        assert table["source_ref"].str.startswith(fake_api.url).all()


# =============================================================================================
# Lookups
# =============================================================================================
class TestProfiles:
    def test_lists_the_known_profiles(self, settings, fake_api):
        ids = set(fingertips.profiles(settings=settings)["profile_id"])
        assert {18, 19, 26} <= ids

    def test_one_profile_has_one_row_per_domain(self, settings, fake_api):
        assert len(fingertips.profiles(19, settings=settings)) == 3

    def test_one_profile_has_its_name(self, settings, fake_api):
        names = set(fingertips.profiles(19, settings=settings)["profile_name"])
        assert names == {"Public Health Outcomes Framework"}

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.profiles(settings=settings).columns) == [
            "profile_id", "profile_name", "profile_key", "domain_id"]

    def test_unknown_profile_raises_parameter_error(self, settings, fake_api):
        with pytest.raises(ParameterError, match="profiles()"):
            fingertips.profiles(999, settings=settings)


class TestIndicators:
    def test_all_indicators_include_life_expectancy(self, settings, fake_api):
        assert LE in set(fingertips.indicators(settings=settings)["indicator_id"])

    def test_one_profile_lists_only_its_indicators(self, settings, fake_api):
        table = fingertips.indicators(18, settings=settings)
        assert table["indicator_id"].tolist() == [92443]

    def test_profile_rows_name_the_profile(self, settings, fake_api):
        table = fingertips.indicators(19, settings=settings)
        assert set(table["profile_name"]) == {"Public Health Outcomes Framework"}

    def test_columns_are_snake_case(self, settings, fake_api):
        assert list(fingertips.indicators(settings=settings).columns) == [
            "indicator_id", "indicator_name", "domain_id", "profile_id", "profile_name"]


class TestIndicatorMetadata:
    def test_returns_the_name(self, settings, fake_api):
        meta = fingertips.indicator_metadata([LE], settings=settings)
        assert meta["indicator_name"].iloc[0] == "Life expectancy at birth"

    def test_keeps_the_requested_order(self, settings, fake_api):
        meta = fingertips.indicator_metadata([93015, LE], settings=settings)
        assert meta["indicator_id"].tolist() == [93015, LE]

    def test_accepts_catalogue_keys(self, settings, fake_api):
        meta = fingertips.indicator_metadata("smoking", settings=settings)
        assert meta["indicator_id"].tolist() == [92443]

    def test_reads_nested_unit_label(self, settings, fake_api):
        assert fingertips.indicator_metadata(93015, settings=settings)["unit"].iloc[0] == "%"

    def test_unknown_id_raises_unknown_indicator(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.indicator_metadata([LE, 123456], settings=settings)

    def test_unknown_id_error_suggests_indicators(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError, match=r"indicators\(\)"):
            fingertips.indicator_metadata([123456], settings=settings)

    def test_unknown_key_raises_unknown_indicator(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError):
            fingertips.indicator_metadata("no_such_key", settings=settings)


class TestAreaTypes:
    def test_names_counties_and_uas(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        name = types.loc[types["area_type_id"] == 502, "area_type_name"].iloc[0]
        assert name == "Counties & UAs (from Apr 2023)"

    def test_lists_parent_types(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        parents = set(types.loc[types["area_type_id"] == 501, "parent_area_type_id"])
        assert parents == {15, 6, 502}

    def test_england_has_no_parent(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        assert types.loc[types["area_type_id"] == 15, "parent_area_type_id"].isna().all()

    def test_unknown_profile_lists_nothing(self, settings, fake_api):
        assert fingertips.area_types(999, settings=settings).empty


class TestAreas:
    def test_counties_and_uas_include_warwickshire(self, settings, fake_api):
        assert WARWICKSHIRE in set(fingertips.areas(502, settings=settings)["area_code"])

    def test_parent_filter_gives_warwickshire_districts(self, settings, fake_api):
        codes = fingertips.areas(501, WARWICKSHIRE, settings=settings)["area_code"].tolist()
        assert codes == ["E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]

    def test_malformed_parent_code_raises_before_any_request(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.areas(501, "Warwickshire", settings=settings)
        assert fake_api.requests == []

    def test_unknown_area_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match="999"):
            fingertips.areas(999, settings=settings)

    def test_unknown_area_type_error_suggests_area_types(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match=r"area_types\(\)"):
            fingertips.areas(999, settings=settings)


class TestParentToChildAreas:
    def test_warwickshire_has_five_districts(self, settings, fake_api):
        pairs = fingertips.parent_to_child_areas(501, 502, settings=settings)
        assert (pairs["parent_area_code"] == WARWICKSHIRE).sum() == 5

    def test_coventry_is_in_the_west_midlands(self, settings, fake_api):
        pairs = fingertips.parent_to_child_areas(502, 6, settings=settings)
        parent = pairs.loc[pairs["child_area_code"] == COVENTRY, "parent_area_code"]
        assert parent.tolist() == ["E12000005"]

    def test_unknown_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError):
            fingertips.parent_to_child_areas(501, 999, settings=settings)


class TestAvailableData:
    def test_life_expectancy_has_data_for_counties_and_uas(self, settings, fake_api):
        types = fingertips.available_data(LE, settings=settings)["area_type_id"]
        assert {501, 502} <= set(types)

    def test_indicator_without_data_lists_nothing(self, settings, fake_api):
        assert fingertips.available_data(ALCOHOL, settings=settings).empty

    def test_filters_by_area_type(self, settings, fake_api):
        table = fingertips.available_data(area_type_id=6, settings=settings)
        assert set(table["area_type_id"]) == {6}


# =============================================================================================
# Data
# =============================================================================================
class TestFingertipsData:
    def test_coventry_male_life_expectancy_2021_23(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert coventry_le(table, "Male") == pytest.approx(77.3)

    def test_coventry_female_life_expectancy_2021_23(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert coventry_le(table, "Female") == pytest.approx(81.7)

    def test_result_passes_the_tidy_schema(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        pd.testing.assert_frame_equal(schema.validate_tidy(table), table)

    def test_rows_are_labelled_as_from_the_api(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert set(table["source"]) == {"Fingertips API"}

    def test_source_ref_is_the_request_url(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert table["source_ref"].iloc[0].startswith(
            f"{fake_api.url}all_data/csv/by_indicator_id?")

    def test_england_rows_come_with_the_csv(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert "E92000001" in set(table["area_code"])

    def test_default_parent_is_england(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert set(table.loc[table["area_code"] == COVENTRY, "parent_code"]) == {"E92000001"}

    def test_regions_as_parent_fill_the_region(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, parent_area_type_id=6, settings=settings,
                                           progress=False)
        assert set(table.loc[table["area_code"] == COVENTRY, "parent_code"]) == {"E12000005"}

    def test_area_codes_keep_only_those_areas(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, area_codes=[COVENTRY], settings=settings,
                                           progress=False)
        assert set(table["area_code"]) == {COVENTRY}

    def test_accepts_string_ids(self, settings, fake_api):
        table = fingertips.fingertips_data(["90366"], settings=settings, progress=False)
        assert set(table["indicator_id"]) == {LE}

    def test_one_request_for_a_few_indicators(self, settings, fake_api):
        fingertips.fingertips_data([LE, 90362], settings=settings, progress=False)
        assert len(data_requests(fake_api)) == 1

    def test_profile_only_uses_the_profile_endpoint(self, settings, fake_api):
        fingertips.fingertips_data(profile_id=18, settings=settings, progress=False)
        assert [r.endpoint for r in data_requests(fake_api)] == ["all_data/csv/by_profile_id"]

    def test_profile_only_returns_the_profile_indicators(self, settings, fake_api):
        table = fingertips.fingertips_data(profile_id=18, settings=settings, progress=False)
        assert set(table["indicator_id"]) == {92443}

    def test_same_result_with_the_c_engine(self, settings, fake_api, monkeypatch):
        fast = fingertips.fingertips_data(LE, settings=settings, progress=False)
        monkeypatch.setattr(fingertips, "_PREFER_PYARROW", False)
        slow = fingertips.fingertips_data(LE, settings=settings, progress=False)
        pd.testing.assert_frame_equal(slow, fast)


class TestFingertipsDataErrors:
    def test_unknown_indicator_raises(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.fingertips_data([LE, 123456], settings=settings, progress=False)

    def test_unknown_indicator_caches_no_data(self, settings, fake_api):
        with pytest.raises(UnknownIndicatorError):
            fingertips.fingertips_data(123456, settings=settings, progress=False)
        assert data_cache_files(settings) == {}

    def test_the_indicator_error_wins_over_a_failing_data_request(self, settings, fake_api):
        # The data request starts alongside the lookups and fails; the lookup's error says
        # more about the cause, so it is the one raised.
        fake_api.set_fault("500", times=50, endpoint="all_data")
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.fingertips_data(123456, settings=settings.with_(retries=0),
                                       progress=False)

    def test_malformed_area_code_raises_before_any_request(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.fingertips_data(LE, area_codes=["Coventry"], settings=settings,
                                       progress=False)
        assert fake_api.requests == []

    def test_unknown_area_code_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaError, match="E08999999"):
            fingertips.fingertips_data(LE, area_codes=["E08999999"], settings=settings,
                                       progress=False)

    def test_unknown_area_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match="999"):
            fingertips.fingertips_data(LE, area_type_id=999, settings=settings, progress=False)

    def test_unknown_parent_area_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError):
            fingertips.fingertips_data(LE, parent_area_type_id=998, settings=settings,
                                       progress=False)

    def test_no_rows_raises_no_data(self, settings, fake_api):
        with pytest.raises(NoDataError):
            fingertips.fingertips_data(ALCOHOL, settings=settings, progress=False)

    def test_no_data_error_suggests_available_data(self, settings, fake_api):
        with pytest.raises(NoDataError, match=r"available_data\("):
            fingertips.fingertips_data(ALCOHOL, settings=settings, progress=False)

    def test_no_data_error_lists_area_types_with_data(self, settings, fake_api):
        with pytest.raises(NoDataError, match=r"90362: \[6, 15, 501, 502\]"):
            fingertips.fingertips_data(90362, area_codes=["E07000218"], area_type_id=501,
                                       settings=settings, progress=False)

    def test_unknown_profile_raises(self, settings, fake_api):
        with pytest.raises(ParameterError):
            fingertips.fingertips_data(profile_id=999, settings=settings, progress=False)

    def test_neither_indicators_nor_profile_raises(self, settings, fake_api):
        with pytest.raises(ParameterError, match="indicator_ids or profile_id"):
            fingertips.fingertips_data(settings=settings, progress=False)


class TestBatching:
    @pytest.fixture
    def many_indicators(self, extracts_settings):
        from fake_fingertips import FakeFingertips, synthetic_table

        with FakeFingertips(synthetic_table(150), settings=extracts_settings,
                            latency=0.3) as fake:
            yield fake

    def test_150_indicators_make_two_data_requests(self, settings, many_indicators):
        fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                   settings=settings.with_(api_base_url=many_indicators.url))
        assert len(data_requests(many_indicators)) == 2

    def test_no_request_has_more_than_100_ids(self, settings, many_indicators):
        fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                   settings=settings.with_(api_base_url=many_indicators.url))
        sizes = [len(r.params["indicator_ids"].split(",")) for r in
                 data_requests(many_indicators)]
        assert sorted(sizes) == [50, 100]

    def test_all_150_indicators_are_returned_with_a_progress_bar(self, settings,
                                                                 many_indicators):
        table = fingertips.fingertips_data(
            list(range(800001, 800151)), progress=True,
            settings=settings.with_(api_base_url=many_indicators.url))
        assert table["indicator_id"].nunique() == 150

    def test_batches_run_concurrently(self, settings, many_indicators):
        # area_types, 2 metadata batches and 2 data batches at 0.3 s each: 1.5 s one at a time,
        # about 0.9 s when the batches overlap.
        started = time.monotonic()
        fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                   settings=settings.with_(api_base_url=many_indicators.url))
        assert time.monotonic() - started < 1.35


class TestPull:
    def test_writes_a_valid_tidy_parquet(self, settings, fake_api):
        fingertips.pull(settings=settings, progress=False)
        assert len(schema.read_tidy(settings.indicators_table)) > 0

    def test_written_table_equals_the_returned_table(self, settings, fake_api):
        table = fingertips.pull(settings=settings, progress=False)
        pd.testing.assert_frame_equal(schema.read_tidy(settings.indicators_table), table)

    def test_defaults_to_the_core_indicators_with_data(self, settings, fake_api):
        table = fingertips.pull(settings=settings, progress=False)
        assert set(table["indicator_id"]) == {90366, 90362, 92443, 93015, 93088, 93881}

    def test_defaults_to_counties_and_districts(self, settings, fake_api):
        fingertips.pull(["life_expectancy"], settings=settings, progress=False)
        types = {r.params["child_area_type_id"] for r in data_requests(fake_api)}
        assert types == {"501", "502"}

    def test_accepts_catalogue_keys(self, settings, fake_api):
        table = fingertips.pull(["life_expectancy"], settings=settings, progress=False)
        assert set(table["indicator_id"]) == {LE}

    def test_a_ua_in_both_area_types_appears_once(self, settings, fake_api):
        table = fingertips.pull(["life_expectancy"], settings=settings, progress=False)
        rows = table.loc[(table["area_code"] == COVENTRY) & (table["period"] == "2021 - 23")]
        assert len(rows) == 2

    def test_holds_coventry_life_expectancy(self, settings, fake_api):
        table = fingertips.pull(settings=settings, progress=False)
        assert (coventry_le(table, "Male"), coventry_le(table, "Female")) == pytest.approx(
            (77.3, 81.7))

    def test_area_codes_filter_the_table(self, settings, fake_api):
        table = fingertips.pull(["life_expectancy"], area_codes=[COVENTRY, WARWICKSHIRE],
                                settings=settings, progress=False)
        assert set(table["area_code"]) == {COVENTRY}

    def test_region_codes_are_accepted(self, settings, fake_api):
        table = fingertips.pull(["healthy_life_expectancy"], area_codes=["E12000005"],
                                settings=settings, progress=False)
        assert set(table["area_code"]) == {"E12000005"}

    def test_works_offline_from_the_cache(self, settings, fake_api, dead_api_url):
        online = fingertips.pull(settings=settings, progress=False)
        offline = fingertips.pull(settings=settings.with_(offline=True,
                                                          api_base_url=dead_api_url),
                                  progress=False)
        pd.testing.assert_frame_equal(offline, online)

    def test_offline_serves_indicators_asked_in_another_order(self, settings, fake_api,
                                                               dead_api_url):
        online = fingertips.pull([LE, 90362], settings=settings, progress=False)
        offline = fingertips.pull([90362, LE], progress=False, settings=settings.with_(
            offline=True, api_base_url=dead_api_url))
        pd.testing.assert_frame_equal(offline, online)

    def test_offline_without_a_cache_raises_a_miss(self, settings, fake_api):
        with pytest.raises(OfflineCacheMissError):
            fingertips.pull(settings=settings.with_(offline=True), progress=False)

    def test_a_failure_leaves_the_existing_table_untouched(self, settings, fake_api):
        fingertips.pull(["life_expectancy"], settings=settings, progress=False)
        before = settings.indicators_table.read_bytes()
        fake_api.set_fault("500", times=50, endpoint="all_data/")
        with pytest.raises(APIUnavailableError):
            fingertips.pull(["life_expectancy"], settings=settings, progress=False)
        assert settings.indicators_table.read_bytes() == before

    def test_malformed_area_code_raises_before_any_request(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.pull(area_codes=["E0800002"], settings=settings, progress=False)
        assert fake_api.requests == []

    def test_unknown_area_type_raises(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError):
            fingertips.pull(area_type_ids=[999], settings=settings, progress=False)


# =============================================================================================
# Speed: per-indicator requests, concurrent lookups, derived cache, table stamps
# =============================================================================================
def without_source_ref(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns="source_ref").sort_values(
        ["indicator_id", "area_code", "sex", "period_start"]).reset_index(drop=True)


def derived_files(settings) -> list:
    return sorted((settings.processed_dir / "cache" / "fingertips-tidy").rglob("*.parquet"))


def count_tidy_calls(monkeypatch) -> list:
    """Count calls of the CSV-to-tidy conversion made by the client."""
    from cw_pophealth import transforms

    calls = []
    real = transforms.tidy_from_fingertips_csv

    def counting(*args, **kwargs):
        calls.append(kwargs.get("source_ref"))
        return real(*args, **kwargs)

    monkeypatch.setattr(fingertips.transforms, "tidy_from_fingertips_csv", counting)
    return calls


class TestPerIndicatorRequests:
    def test_pull_makes_one_request_per_indicator_and_area_type(self, settings, fake_api):
        fingertips.pull([LE, 90362], settings=settings, progress=False)
        asked = sorted((r.params["child_area_type_id"], r.params["indicator_ids"])
                       for r in data_requests(fake_api))
        assert asked == [("501", "90362"), ("501", "90366"), ("502", "90362"),
                         ("502", "90366")]

    def test_batched_pull_makes_one_request_per_area_type(self, settings, fake_api):
        fingertips.pull([LE, 90362], settings=settings, progress=False, per_indicator=False)
        assert sorted(r.params["indicator_ids"] for r in data_requests(fake_api)) == [
            "90362,90366", "90362,90366"]

    def test_split_and_batched_pulls_hold_the_same_rows(self, settings, fake_api):
        split = fingertips.pull(settings=settings, progress=False)
        batched = fingertips.pull(settings=settings, progress=False, per_indicator=False)
        pd.testing.assert_frame_equal(without_source_ref(split), without_source_ref(batched))

    def test_each_row_names_the_request_it_came_from(self, settings, fake_api):
        table = fingertips.pull([LE, 90362], settings=settings, progress=False)
        ids_in_url = table["source_ref"].str.extract(r"indicator_ids=(\d+)")[0].astype(int)
        assert (ids_in_url == table["indicator_id"].astype(int)).all()

    def test_source_refs_are_request_urls(self, settings, fake_api):
        table = fingertips.pull([LE, 90362], settings=settings, progress=False)
        assert table["source_ref"].str.startswith(
            f"{fake_api.url}all_data/csv/by_indicator_id?").all()

    def test_area_types_are_converted_once_each(self, settings, fake_api, monkeypatch):
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE, 90362, 92443], settings=settings, progress=False)
        assert len(calls) == 2

    def test_requests_run_concurrently(self, settings, extracts_settings, snapshot_table):
        from fake_fingertips import FakeFingertips

        # area_types + metadata, then 2 ids x 2 types: 6 requests of 0.3 s, 1.8 s one at a
        # time; about 0.6 s when the lookups overlap and the four data requests overlap.
        with FakeFingertips(snapshot_table, settings=extracts_settings, latency=0.3) as fake:
            started = time.monotonic()
            fingertips.pull([LE, 90362], progress=False,
                            settings=settings.with_(api_base_url=fake.url))
            assert time.monotonic() - started < 1.3


class TestConcurrentLookups:
    def test_the_area_type_error_comes_first_whatever_finishes_first(self, settings, fake_api):
        fake_api.set_fault("slow", times=1, endpoint="area_types", delay=0.3)
        with pytest.raises(UnknownAreaTypeError):
            fingertips.pull([123456], area_type_ids=[999], settings=settings, progress=False)

    def test_an_unknown_indicator_leaves_the_cache_and_the_table_as_they_were(self, settings,
                                                                               fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        cache_before = data_cache_files(settings)
        table_before = settings.indicators_table.read_bytes()
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.pull([LE, 123456], settings=settings, progress=False)
        assert data_cache_files(settings) == cache_before
        assert settings.indicators_table.read_bytes() == table_before

    def test_unknown_area_codes_are_checked_against_every_type(self, settings, fake_api):
        with pytest.raises(UnknownAreaError, match="E08999999"):
            fingertips.pull([LE], area_codes=[COVENTRY, "E08999999"], settings=settings,
                            progress=False)
        assert data_cache_files(settings) == {}
        assert not settings.indicators_table.exists()

    def test_data_requests_do_not_wait_for_the_lookups(self, settings, fake_api):
        # area_types is answered 0.5 s after it arrives; waiting for it first would put every
        # data request at least 0.5 s after it.
        fake_api.set_fault("slow", times=1, endpoint="area_types", delay=0.5)
        fingertips.pull([LE], settings=settings, progress=False)
        lookup = fake_api.requests_to("area_types")[0]
        assert [r.arrived < lookup.arrived + 0.5 for r in data_requests(fake_api)] == [True,
                                                                                      True]

    def test_a_failed_data_request_still_reports_a_bad_argument_first(self, settings,
                                                                       fake_api):
        fake_api.set_fault("slow", times=1, endpoint="indicator_metadata", delay=0.3)
        fake_api.set_fault("500", times=50, endpoint="all_data")
        with pytest.raises(UnknownIndicatorError, match="123456"):
            fingertips.pull([LE, 123456], settings=settings.with_(retries=0), progress=False)

    def test_a_failed_data_request_is_raised_when_the_arguments_are_good(self, settings,
                                                                         fake_api):
        fake_api.set_fault("500", times=50, endpoint="all_data")
        with pytest.raises(APIUnavailableError, match="all_data"):
            fingertips.pull([LE], settings=settings.with_(retries=0), progress=False)
        assert data_cache_files(settings) == {}


class TestDerivedCache:
    def test_a_pull_stores_one_derived_frame_per_area_type(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        assert len(derived_files(settings)) == 2

    def test_offline_rebuild_uses_the_derived_frames(self, settings, fake_api, monkeypatch):
        online = fingertips.pull([LE], settings=settings, progress=False)
        settings.indicators_table.unlink()
        calls = count_tidy_calls(monkeypatch)
        offline = fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)
        assert calls == []
        pd.testing.assert_frame_equal(offline, online)

    def test_unchanged_bodies_online_are_not_converted_again(self, settings, fake_api,
                                                             monkeypatch):
        fingertips.pull([LE], settings=settings, progress=False)
        settings.indicators_table.unlink()
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE], settings=settings, progress=False)
        assert calls == []

    def test_a_corrupt_derived_frame_is_rebuilt_from_the_raw_body(self, settings, fake_api,
                                                                  monkeypatch):
        online = fingertips.pull([LE], settings=settings, progress=False)
        for path in derived_files(settings):
            path.write_bytes(b"not parquet")
        settings.indicators_table.unlink()
        calls = count_tidy_calls(monkeypatch)
        offline = fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)
        assert len(calls) == 2
        pd.testing.assert_frame_equal(offline, online)

    def test_a_rebuilt_derived_frame_is_valid_again(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        for path in derived_files(settings):
            path.write_bytes(b"not parquet")
        settings.indicators_table.unlink()
        fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)
        assert all(pd.read_parquet(p).shape[0] > 0 for p in derived_files(settings))

    def test_a_derived_frame_from_other_code_is_not_used(self, settings, fake_api,
                                                         monkeypatch):
        fingertips.pull([LE], settings=settings, progress=False)
        settings.indicators_table.unlink()
        monkeypatch.setattr(fingertips, "_code_fingerprint", lambda: "edited code")
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)
        assert len(calls) == 2

    def test_a_derived_frame_with_other_dtypes_is_not_used(self, settings, fake_api,
                                                           monkeypatch):
        online = fingertips.pull([LE], settings=settings, progress=False)
        for path in derived_files(settings):
            frame = pd.read_parquet(path)
            attrs = frame.attrs
            frame = frame.astype({"indicator_id": "float64"})
            frame.attrs = attrs
            frame.to_parquet(path, index=False)
        settings.indicators_table.unlink()
        calls = count_tidy_calls(monkeypatch)
        offline = fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)
        assert len(calls) == 2
        pd.testing.assert_frame_equal(offline, online)

    def test_a_raw_body_edited_on_disk_is_still_refused(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        body = next((settings.raw_dir / "fingertips" / "all_data").rglob("*.body-*"))
        body.write_bytes(body.read_bytes().replace(b"E08000026", b"E08000027"))
        with pytest.raises(OfflineCacheMissError):
            fingertips.pull([LE], settings=settings.with_(offline=True), progress=False)

    def test_new_data_that_breaks_the_schema_is_refused_and_not_cached(self, settings,
                                                                       fake_api, monkeypatch):
        from cw_pophealth.errors import SchemaValidationError

        real = fake_api.csv_bytes
        monkeypatch.setattr(fake_api, "csv_bytes", lambda *a: real(*a).replace(
            b",Male,", b",Mail,"))
        with pytest.raises(SchemaValidationError, match="sex"):
            fingertips.pull([LE], settings=settings, progress=False)
        assert not list((settings.raw_dir / "fingertips").glob("all_data/**/*.meta.json"))


class TestTableStamp:
    def test_an_unchanged_pull_does_not_rewrite_the_table(self, settings, fake_api,
                                                          monkeypatch):
        first = fingertips.pull([LE], settings=settings, progress=False)

        def no_write(*args, **kwargs):
            raise AssertionError("the table was written again")

        monkeypatch.setattr(fingertips.schema, "write_tidy", no_write)
        again = fingertips.pull([LE], settings=settings, progress=False)
        pd.testing.assert_frame_equal(again, first)

    def test_an_unchanged_offline_pull_returns_the_same_table(self, settings, fake_api,
                                                              dead_api_url):
        first = fingertips.pull([LE], settings=settings, progress=False)
        again = fingertips.pull([LE], progress=False, settings=settings.with_(
            offline=True, api_base_url=dead_api_url))
        pd.testing.assert_frame_equal(again, first)

    def test_a_table_replaced_by_another_command_is_rebuilt(self, settings, fake_api):
        first = fingertips.pull([LE], settings=settings, progress=False)
        schema.write_tidy(first.head(10), settings.indicators_table)
        again = fingertips.pull([LE], settings=settings, progress=False)
        pd.testing.assert_frame_equal(again, first)
        pd.testing.assert_frame_equal(schema.read_tidy(settings.indicators_table), first)

    def test_other_arguments_rebuild_the_table(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        table = fingertips.pull([LE], area_codes=[COVENTRY], settings=settings, progress=False)
        assert set(schema.read_tidy(settings.indicators_table)["area_code"]) == {COVENTRY}
        assert set(table["area_code"]) == {COVENTRY}

    def test_changed_data_on_the_server_rebuilds_the_table(self, settings, fake_api,
                                                           monkeypatch):
        first = fingertips.pull([LE], settings=settings, progress=False)
        real = fake_api.csv_bytes

        def fewer_rows(*args):
            lines = real(*args).split(b"\r\n")
            return b"\r\n".join(lines[:-2] + [b""])  # drop the last data row

        monkeypatch.setattr(fake_api, "csv_bytes", fewer_rows)
        again = fingertips.pull([LE], settings=settings, progress=False)
        assert len(again) < len(first)
        assert len(schema.read_tidy(settings.indicators_table)) == len(again)

    def test_changed_code_rebuilds_the_table(self, settings, fake_api, monkeypatch):
        fingertips.pull([LE], settings=settings, progress=False)
        monkeypatch.setattr(fingertips, "_code_fingerprint", lambda: "edited code")
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE], settings=settings, progress=False)
        assert len(calls) == 2


class TestFakeLatencyModel:
    def test_lookups_cost_the_fixed_latency(self, extracts_settings, snapshot_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(snapshot_table, settings=extracts_settings, latency=0.25,
                              latency_per_indicator=0.5)
        assert fake.request_latency("area_types", {}) == 0.25

    def test_data_requests_add_a_cost_per_indicator(self, extracts_settings, snapshot_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(snapshot_table, settings=extracts_settings, latency=0.25,
                              latency_per_indicator=0.5)
        assert fake.request_latency("all_data/csv/by_indicator_id",
                                    {"indicator_ids": "90366,90362,92443"}) == 1.75

    def test_profile_requests_count_the_profile_indicators(self, extracts_settings,
                                                           snapshot_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(snapshot_table, settings=extracts_settings,
                              latency_per_indicator=1.0)
        assert fake.request_latency("all_data/csv/by_profile_id", {"profile_id": "18"}) == 1.0
