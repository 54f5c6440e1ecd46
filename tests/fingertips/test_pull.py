"""Tests for cw_pophealth.fingertips.pull: the tidy table written by ``cw-pophealth pull``."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import fingertips, schema
from cw_pophealth.errors import (
    APIUnavailableError,
    InvalidAreaCodeError,
    OfflineCacheMissError,
    UnknownAreaTypeError,
)
from cw_pophealth.fingertips import data
from helpers import (
    COVENTRY,
    LE,
    WARWICKSHIRE,
    count_tidy_calls,
    coventry_le,
    data_requests,
    pulled_table_before_issue_14,
    without_source_ref,
)


class TestPull:
    def test_writes_a_valid_tidy_parquet(self, settings, fake_api):
        fingertips.pull(settings=settings, progress=False)
        assert len(schema.read_tidy(settings.indicators_table)) > 0

    def test_written_table_equals_the_returned_table(self, settings, fake_api):
        table = fingertips.pull(settings=settings, progress=False)
        pd.testing.assert_frame_equal(schema.read_tidy(settings.indicators_table), table)

    def test_defaults_to_the_core_indicators_with_data(self, settings, fake_api):
        table = fingertips.pull(settings=settings, progress=False)
        assert set(table["indicator_id"]) == {90366, 90362, 92443, 93015, 93088, 93881, 91414}

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
        # Warwickshire's life expectancy (Fingertips as of January 2020) is in the snapshot the
        # fake API serves, so both areas come back, and no other.
        assert set(table["area_code"]) == {COVENTRY, WARWICKSHIRE}

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

    def test_every_response_is_converted_in_one_go(self, settings, fake_api, monkeypatch):
        # 3 ids x 2 area types: six responses, one conversion (it was one per area type).
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE, 90362, 92443], settings=settings, progress=False)
        assert len(calls) == 1

    def test_requests_run_concurrently(self, settings, extracts_settings, api_table):
        from fake_fingertips import FakeFingertips

        # area_types + metadata, then 2 ids x 2 types: 6 requests of 0.3 s. The server counts
        # the requests in progress, which a loaded 2-core machine cannot blur the way it blurs
        # a wall-time threshold: a client that sent one at a time would show 1.
        with FakeFingertips(api_table, settings=extracts_settings, latency=0.3,
                            extras=False) as fake:
            fingertips.pull([LE, 90362], progress=False,
                            settings=settings.with_(api_base_url=fake.url))
            assert fake.max_in_flight == 4


class TestLeanPull:
    """Issue 14: the pull converts, validates and de-duplicates its rows once, and writes the
    table the old way wrote, byte for byte."""

    @pytest.mark.parametrize("kwargs", [
        {},
        {"area_codes": [COVENTRY, WARWICKSHIRE, "E92000001", "E12000005"]},
        {"per_indicator": False},
    ], ids=["core", "areas", "batched"])
    def test_the_table_is_the_one_built_the_old_way(self, settings, fake_api, tmp_path,
                                                    kwargs):
        table = fingertips.pull(settings=settings, progress=False, **kwargs)
        offline = settings.with_(offline=True)  # the very responses the pull cached
        from cw_pophealth import catalogue

        plan = data.plan_data([s.indicator_id for s in catalogue.CORE_INDICATORS], [502, 501],
                              6, area_codes=kwargs.get("area_codes"),
                              per_indicator=kwargs.get("per_indicator", True),
                              settings=offline, caller="pull")
        _, bodies = data.download(plan, settings=offline, progress=False)
        old = pulled_table_before_issue_14(plan, bodies)
        pd.testing.assert_frame_equal(table, old)
        schema.write_tidy(old, tmp_path / "old.parquet")
        assert (tmp_path / "old.parquet").read_bytes() == (
            settings.indicators_table.read_bytes())

    def test_the_rows_are_validated_and_converted_once(self, settings, fake_api,
                                                       monkeypatch):
        calls = {"validate_tidy": 0, "coerce_tidy": 0}
        for name in calls:
            real = getattr(schema, name)

            def counting(*args, _real=real, _name=name, **kwargs):
                calls[_name] += 1
                return _real(*args, **kwargs)

            monkeypatch.setattr(schema, name, counting)
        fingertips.pull(settings=settings, progress=False)
        assert calls == {"validate_tidy": 1, "coerce_tidy": 1}

    def test_a_bad_row_is_reported_for_its_area_type_as_before(self, settings, fake_api,
                                                               monkeypatch):
        # The error names the responses of the first area type with a bad row (502), as when
        # each area type was validated on its own; nothing is cached.
        from cw_pophealth.errors import SchemaValidationError

        real = fake_api.csv_bytes
        monkeypatch.setattr(fake_api, "csv_bytes", lambda *a: real(*a).replace(
            b",Male,", b",Mail,"))
        with pytest.raises(SchemaValidationError, match=r"Column 'sex' in http://\S+"
                           r"child_area_type_id=502&indicator_ids=90362\S+, http://\S+"
                           r"child_area_type_id=502&indicator_ids=90366\S+: not one of"):
            fingertips.pull([LE, 90362], settings=settings, progress=False)
        assert not list((settings.raw_dir / "fingertips").glob("all_data/**/*.meta.json"))


class TestTableStamp:
    def test_an_unchanged_pull_does_not_rewrite_the_table(self, settings, fake_api,
                                                          monkeypatch):
        first = fingertips.pull([LE], settings=settings, progress=False)

        def no_write(*args, **kwargs):
            raise AssertionError("the table was written again")

        monkeypatch.setattr(schema, "write_tidy", no_write)
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
        monkeypatch.setattr(data, "code_fingerprint", lambda: "edited code")
        calls = count_tidy_calls(monkeypatch)
        fingertips.pull([LE], settings=settings, progress=False)
        assert len(calls) == 1
