"""Tests for cw_pophealth.fingertips.fetch: the raw cache on the request path, offline mode, and
lookups run alongside the requests they guard.
"""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from cw_pophealth import fingertips
from cw_pophealth.errors import (
    APIUnavailableError,
    FingertipsAPIError,
    MalformedResponseError,
    OfflineCacheMissError,
    UnknownAreaError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from cw_pophealth.fingertips.cache import ResponseCache
from helpers import COVENTRY, LE, data_cache_files, data_requests


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

    def test_a_miss_points_at_make_data_and_at_pulling_online(self, settings, fake_api):
        with pytest.raises(OfflineCacheMissError, match="`make data`.*`cw-pophealth pull` online"):
            fingertips.profiles(settings=settings.with_(offline=True))

    def test_offline_rows_keep_the_original_url_as_source_ref(self, settings, fake_api,
                                                               dead_api_url):
        fingertips.fingertips_data(LE, settings=settings, progress=False)
        table = fingertips.fingertips_data(
            LE, settings=settings.with_(offline=True, api_base_url=dead_api_url), progress=False)
        assert table["source_ref"].str.startswith(fake_api.url).all()


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
