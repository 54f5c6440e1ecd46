"""Tests for cw_pophealth.fingertips.http: retries, timeouts, malformed bodies and TLS, against
the loopback fake API (tests/fake_fingertips.py) with short timeouts and back-off.
"""

from __future__ import annotations

import inspect
import shutil
import ssl
import subprocess
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests

import cw_pophealth
from cw_pophealth import fingertips
from cw_pophealth.errors import (
    APIUnavailableError,
    ConfigError,
    FingertipsAPIError,
    MalformedResponseError,
    SchemaDriftError,
)
from cw_pophealth.fingertips import fetch, parse
from cw_pophealth.fingertips import http as ft_http
from helpers import LE, coventry_le, data_requests


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

    def test_429_waits_for_retry_after(self, settings, fake_api, fake_clock):
        fake_api.set_fault("429", times=1, retry_after=1)
        fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == [1.0]

    def test_429_then_success_returns_data(self, settings, fake_api, fake_clock):
        fake_api.set_fault("429", times=1, retry_after=1)
        assert not fingertips.profiles(settings=settings).empty

    def test_a_retry_after_http_date_is_waited_for_to_the_second(self, settings, fake_api,
                                                                 fake_clock):
        when = formatdate(fake_clock.time() + 30, usegmt=True)  # "Fri, 15 Jan 2027 08:00:30 GMT"
        fake_api.set_fault("429", times=1, retry_after=when)
        fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == [30.0]

    def test_a_retry_after_date_in_the_past_retries_at_once(self, settings, fake_api,
                                                            fake_clock):
        fake_api.set_fault("429", times=1,
                           retry_after=formatdate(fake_clock.time() - 60, usegmt=True))
        fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == [0.0]

    def test_the_longest_retry_after_is_waited_for(self, settings, fake_api, fake_clock):
        fake_api.set_fault("429", times=1, retry_after=int(ft_http.MAX_RETRY_AFTER))
        fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == [ft_http.MAX_RETRY_AFTER]

    def test_an_excessive_retry_after_fails_at_once(self, settings, fake_api, fake_clock):
        fake_api.set_fault("429", times=5, retry_after=int(ft_http.MAX_RETRY_AFTER) + 1)
        with pytest.raises(APIUnavailableError, match="121"):
            fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == []
        assert len(fake_api.requests_to("profiles")) == 1

    def test_an_excessive_retry_after_of_an_hour_names_the_wait(self, settings, fake_api,
                                                                fake_clock):
        fake_api.set_fault("429", times=5, retry_after=3600)
        with pytest.raises(APIUnavailableError, match="3600"):
            fingertips.profiles(settings=settings)
        assert fake_clock.sleeps == []

    @pytest.mark.parametrize("jitter, expected", [("low", [1.0, 2.0, 4.0]),
                                                  ("high", [2.0, 3.0, 5.0])])
    def test_back_off_doubles_with_up_to_one_step_of_jitter(self, settings, fake_api,
                                                            fake_clock, monkeypatch, jitter,
                                                            expected):
        # backoff * 2**(attempt - 1) + U(0, backoff), at the ends of the jitter's range.
        monkeypatch.setattr(ft_http.random, "uniform",
                            lambda a, b: a if jitter == "low" else b)
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError, match=r"after 4 attempt\(s\)"):
            fingertips.profiles(settings=settings.with_(retries=3, backoff=1.0))
        assert fake_clock.sleeps == expected

    def test_a_retry_after_replaces_the_back_off(self, settings, fake_api, fake_clock):
        fake_api.set_fault("429", times=1, retry_after=2)
        fingertips.profiles(settings=settings.with_(backoff=100.0))
        assert fake_clock.sleeps == [2.0]

    def test_a_404_is_not_retried(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError):
            fetch.get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert len(fake_api.requests_to("no_such_endpoint")) == 1

    def test_a_404_carries_its_status(self, settings, fake_api):
        with pytest.raises(FingertipsAPIError) as info:
            fetch.get_json("no_such_endpoint", None, settings=settings, expect=list)
        assert info.value.status == 404

    def test_connection_refused_raises_api_unavailable(self, settings, dead_api_url):
        with pytest.raises(APIUnavailableError, match="connection error"):
            fingertips.profiles(settings=settings.with_(api_base_url=dead_api_url))


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
        monkeypatch.setattr(parse, "PREFER_PYARROW", False)
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


#: Ways code could turn certificate checks off (spaces removed before matching).
TLS_OFF = ("verify=False", ".verify=False", "verify=0", "CERT_NONE", "check_hostname=False",
           "_create_unverified_context", "disable_warnings")


class TestTLS:
    def test_no_source_file_of_the_package_turns_verification_off(self):
        files = sorted(Path(cw_pophealth.__file__).parent.rglob("*.py"))
        assert len(files) > 20  # the whole package is read, not one module
        found = {str(p.relative_to(Path(cw_pophealth.__file__).parent)): marker
                 for p in files for marker in TLS_OFF
                 if marker in p.read_text(encoding="utf-8").replace(" ", "")}
        assert found == {}

    def test_the_tls_check_would_catch_a_fallback(self):
        # The check above cannot pass vacuously: the fingertips_py pattern it guards against
        # is caught by the same matching.
        sample = "requests.get(url, verify = False)".replace(" ", "")
        assert any(marker in sample for marker in TLS_OFF)

    def test_the_http_module_passes_verify_true(self):
        assert "verify=True" in inspect.getsource(ft_http).replace(" ", "")

    def test_pooled_sessions_verify_certificates(self):
        with ft_http._borrowed_session() as session:
            assert session.verify is True

    def test_each_request_passes_verify_true_and_timeouts(self, settings):
        calls = []

        class RecordingSession:
            def get(self, url, **kwargs):
                calls.append(kwargs)
                raise requests.exceptions.ConnectionError("refused")

        with pytest.raises(APIUnavailableError):
            ft_http.http_get("https://example.invalid/api/x",
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
