"""Tests for cw_pophealth.fingertips.data: fingertips_data, batching and the derived cache."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from cw_pophealth import fingertips, schema
from cw_pophealth.errors import (
    InvalidAreaCodeError,
    NoDataError,
    OfflineCacheMissError,
    ParameterError,
    UnknownAreaError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from cw_pophealth.fingertips import data, parse
from helpers import (
    ALCOHOL,
    COVENTRY,
    LE,
    count_tidy_calls,
    coventry_le,
    data_cache_files,
    data_requests,
    derived_files,
)


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

    def test_rows_carry_the_release_of_the_day_they_were_retrieved(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        today = pd.Timestamp.now(tz="UTC").tz_convert(None).normalize()
        assert (set(table["release"]), set(table["release_date"]), set(table["current"])) == (
            {f"Fingertips API, retrieved {today:%Y-%m-%d}"}, {today}, {True})

    def test_offline_rows_carry_the_cached_retrieval_date(self, settings, fake_api):
        fingertips.fingertips_data(LE, settings=settings, progress=False)
        sidecar = next((settings.raw_dir / "fingertips" / "all_data").rglob("*.meta.json"))
        text = sidecar.read_text(encoding="utf-8")
        sidecar.write_text(text.replace(text.split('"retrieved_at": "')[1][:10], "2026-11-23"),
                           encoding="utf-8")
        offline = fingertips.fingertips_data(LE, settings=settings.with_(offline=True),
                                             progress=False)
        assert set(offline["release"]) == {"Fingertips API, retrieved 2026-11-23"}

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
        monkeypatch.setattr(parse, "PREFER_PYARROW", False)
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
        monkeypatch.setattr(data, "code_fingerprint", lambda: "edited code")
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
