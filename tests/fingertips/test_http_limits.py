"""Bounded resources, redirects, DNS failures and credentials in cw_pophealth.fingertips.http,
against real loopback servers (the fake API of tests/fake_fingertips.py, and a small HTTPS
server for the HTTPS-to-HTTP redirect).
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cw_pophealth import config, fingertips
from cw_pophealth.errors import APIUnavailableError, FingertipsAPIError, MalformedResponseError
from cw_pophealth.fingertips import http as ft_http
from cw_pophealth.fingertips.cache import ResponseCache
from helpers import LE


def cached_profiles(settings):
    return ResponseCache.for_settings(settings).get("profiles")


class TestTotalDeadline:
    def test_a_body_dripping_a_byte_every_half_second_is_abandoned(self, settings, fake_api):
        # Every read gets a byte well within the 5 s read timeout, so only a deadline ends it.
        fake_api.set_fault("drip", times=5, endpoint="profiles", delay=0.5)
        started = time.monotonic()
        with pytest.raises(APIUnavailableError, match="deadline"):
            fingertips.profiles(settings=settings.with_(request_deadline=1.5, retries=1))
        assert time.monotonic() - started < 6  # two attempts of 1.5 s, plus a little

    def test_nothing_of_a_dripped_body_is_cached(self, settings, fake_api):
        fake_api.set_fault("drip", times=5, endpoint="profiles", delay=0.5)
        with pytest.raises(APIUnavailableError):
            fingertips.profiles(settings=settings.with_(request_deadline=1.0, retries=0))
        assert cached_profiles(settings) is None

    def test_a_drip_that_stops_is_retried_and_succeeds(self, settings, fake_api):
        fake_api.set_fault("drip", times=1, endpoint="profiles", delay=0.5)
        frame = fingertips.profiles(settings=settings.with_(request_deadline=1.0))
        assert 19 in set(frame["profile_id"])

    def test_the_deadline_is_a_setting(self, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_DEADLINE", "42")
        assert config.get_settings().request_deadline == 42


class TestBodySizeCap:
    def test_a_gzip_bomb_is_abandoned_without_filling_memory(self, settings, fake_api):
        # 1.2 MB on the wire, 1.2 GB decompressed; the cap here is 8 MB.
        fake_api.set_fault("gzip_bomb", times=5, endpoint="profiles", size=1200 * 2**20)
        tracemalloc.start()
        try:
            with pytest.raises(MalformedResponseError, match="larger than 8 MB"):
                fingertips.profiles(settings=settings.with_(max_body_bytes=8 * 2**20))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 64 * 2**20

    def test_an_oversized_body_is_not_retried_or_cached(self, settings, fake_api):
        fake_api.set_fault("gzip_bomb", times=5, endpoint="profiles", size=64 * 2**20)
        with pytest.raises(MalformedResponseError):
            fingertips.profiles(settings=settings.with_(max_body_bytes=2**20))
        assert len(fake_api.requests_to("profiles")) == 1 and cached_profiles(settings) is None

    def test_a_compressed_body_under_the_cap_is_read(self, settings, fake_api):
        # A small gzip body of zeros is not JSON: it must get as far as the JSON check.
        fake_api.set_fault("gzip_bomb", times=1, endpoint="profiles", size=2**20)
        with pytest.raises(MalformedResponseError, match="invalid JSON"):
            fingertips.profiles(settings=settings.with_(max_body_bytes=4 * 2**20))

    def test_the_default_cap_is_far_below_a_gigabyte(self):
        assert config.get_settings().max_body_bytes <= 512 * 2**20

    def test_the_cap_is_a_setting(self, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_MAX_BODY_MB", "3")
        assert config.get_settings().max_body_bytes == 3 * 2**20


class TestRedirects:
    def test_a_redirect_to_another_host_is_not_followed(self, settings, fake_api):
        other_host = fake_api.url.replace("127.0.0.1", "localhost") + "profiles"
        fake_api.set_fault("redirect", times=1, endpoint="profiles", location=other_host)
        with pytest.raises(FingertipsAPIError, match="another host"):
            fingertips.profiles(settings=settings)
        assert len(fake_api.requests) == 1 and cached_profiles(settings) is None

    def test_a_redirect_to_another_port_is_not_followed(self, settings, fake_api, dead_api_url):
        fake_api.set_fault("redirect", times=1, endpoint="profiles",
                           location=dead_api_url + "profiles")
        with pytest.raises(FingertipsAPIError, match="not followed"):
            fingertips.profiles(settings=settings)

    def test_a_redirect_within_the_api_is_followed(self, settings, fake_api):
        fake_api.set_fault("redirect", times=1, endpoint="profiles", location="/api/profiles")
        assert 19 in set(fingertips.profiles(settings=settings)["profile_id"])
        assert cached_profiles(settings).meta["url"] == f"{fake_api.url}profiles"

    def test_endless_redirects_stop(self, settings, fake_api):
        fake_api.set_fault("redirect", times=50, endpoint="profiles", location="/api/profiles")
        with pytest.raises(FingertipsAPIError, match="redirects"):
            fingertips.profiles(settings=settings)
        assert len(fake_api.requests) <= 6

    def test_https_to_http_is_not_followed(self, settings, fake_api, https_redirecting_to):
        https_url = https_redirecting_to(f"{fake_api.url}profiles")
        with pytest.raises(FingertipsAPIError, match="from HTTPS to HTTP"):
            fingertips.profiles(settings=settings.with_(api_base_url=https_url))
        assert fake_api.requests == [] and cached_profiles(settings) is None


class TestNameResolution:
    def test_a_dns_failure_is_not_retried(self, settings, caplog):
        unresolvable = "https://fingertips.invalid/api/"
        started = time.monotonic()
        with pytest.raises(APIUnavailableError, match="does not resolve"):
            fingertips.profiles(settings=settings.with_(api_base_url=unresolvable, backoff=1.0,
                                                        retries=3))
        assert time.monotonic() - started < 1.0
        assert not [r for r in caplog.records if "retrying" in r.getMessage()]


class TestCredentials:
    SECRET = "s3cret-pa55"

    @pytest.fixture
    def with_password(self, settings, fake_api):
        base = fake_api.url.replace("http://", f"http://ana:{self.SECRET}@")
        return settings.with_(api_base_url=base)

    def test_a_base_url_with_them_still_works(self, with_password, fake_api):
        fingertips.profiles(settings=with_password)
        assert fake_api.requests_to("profiles")

    def test_they_are_in_no_cache_file(self, with_password):
        fingertips.fingertips_data(LE, settings=with_password, progress=False)
        raw = with_password.raw_dir
        files = [p for p in raw.rglob("*") if p.is_file()]
        assert files and not [p for p in files if self.SECRET.encode() in p.read_bytes()]

    def test_they_are_in_no_table_column(self, with_password):
        table = fingertips.fingertips_data(LE, settings=with_password, progress=False)
        assert not table.astype(str).apply(lambda c: c.str.contains(self.SECRET)).any().any()

    def test_they_are_in_no_error_message(self, with_password, fake_api):
        fake_api.set_fault("500", times=10)
        with pytest.raises(APIUnavailableError) as info:
            fingertips.profiles(settings=with_password)
        assert self.SECRET not in str(info.value) and self.SECRET not in str(info.value.url)

    def test_they_are_in_no_pulled_table_or_stamp(self, with_password):
        fingertips.pull(indicators=[LE], area_type_ids=[502], settings=with_password,
                        progress=False)
        processed = [p for p in with_password.processed_dir.rglob("*") if p.is_file()]
        assert processed and not [p for p in processed if self.SECRET.encode() in p.read_bytes()]

    def test_they_are_not_in_a_bad_url_setting_error(self, monkeypatch):
        monkeypatch.setenv("FINGERTIPS_API_URL", f"ftp://ana:{self.SECRET}@example.org/api/")
        with pytest.raises(Exception) as info:
            config.get_settings()
        assert "FINGERTIPS_API_URL" in str(info.value) and self.SECRET not in str(info.value)

    def test_they_are_not_sent_to_another_origin(self, with_password, fake_api):
        other = fake_api.url.replace("127.0.0.1", "localhost")
        assert ft_http._credentials(with_password, other + "profiles") is None
        assert ft_http._credentials(with_password, fake_api.url + "profiles") == (
            "ana", self.SECRET)


@pytest.fixture
def https_redirecting_to(tmp_path, monkeypatch):
    """A loopback HTTPS server, trusted through REQUESTS_CA_BUNDLE, whose every answer is a
    redirect to the URL given."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    servers = []

    def start(target: str) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = json.dumps({"moved": target}).encode()
                self.send_response(301)
                self.send_header("Location", target)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}/api/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
