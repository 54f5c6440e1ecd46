"""Tests for cw_pophealth.fingertips.data: fingertips_data, batching and the derived cache."""

from __future__ import annotations

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
    ENG,
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
        with pytest.raises(ParameterError, match="indicator_ids, domain_id or profile_id"):
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
        # area_types, 2 metadata batches and 2 data batches at 0.3 s each: the server sees
        # them overlap (a wall-time threshold was flaky on a loaded 2-core machine).
        fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                   settings=settings.with_(api_base_url=many_indicators.url))
        assert many_indicators.max_in_flight == 4


def both_area_types(settings) -> pd.DataFrame:
    """``fingertips_data`` for LE at counties & UAs and at districts & UAs (regions the
    parent): one group of responses, so one derived frame, per area type."""
    return pd.concat([fingertips.fingertips_data(LE, area_type_id=t, parent_area_type_id=6,
                                                 settings=settings, progress=False)
                      for t in (502, 501)], ignore_index=True)


class TestDerivedCache:
    """The derived cache speeds up ``fingertips_data``. A pull does not use it: its table's own
    stamp makes an unchanged pull fast, and converting a pull's rows costs less than writing
    and reading them back (issue 14)."""

    def test_a_cold_pull_stores_no_derived_frame(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        assert settings.indicators_table.is_file()
        assert derived_files(settings) == []

    def test_fingertips_data_stores_one_derived_frame_per_area_type(self, settings, fake_api):
        both_area_types(settings)
        assert len(derived_files(settings)) == 2

    def test_offline_rebuild_uses_the_derived_frames(self, settings, fake_api, monkeypatch):
        online = both_area_types(settings)
        calls = count_tidy_calls(monkeypatch)
        offline = both_area_types(settings.with_(offline=True))
        assert calls == []
        pd.testing.assert_frame_equal(offline, online)

    def test_unchanged_bodies_online_are_not_converted_again(self, settings, fake_api,
                                                             monkeypatch):
        both_area_types(settings)
        calls = count_tidy_calls(monkeypatch)
        both_area_types(settings)
        assert calls == []

    def test_a_corrupt_derived_frame_is_rebuilt_from_the_raw_body(self, settings, fake_api,
                                                                  monkeypatch):
        online = both_area_types(settings)
        for path in derived_files(settings):
            path.write_bytes(b"not parquet")
        calls = count_tidy_calls(monkeypatch)
        offline = both_area_types(settings.with_(offline=True))
        assert len(calls) == 2
        pd.testing.assert_frame_equal(offline, online)

    def test_a_rebuilt_derived_frame_is_valid_again(self, settings, fake_api):
        both_area_types(settings)
        for path in derived_files(settings):
            path.write_bytes(b"not parquet")
        both_area_types(settings.with_(offline=True))
        assert all(pd.read_parquet(p).shape[0] > 0 for p in derived_files(settings))

    def test_a_derived_frame_from_other_code_is_not_used(self, settings, fake_api,
                                                         monkeypatch):
        both_area_types(settings)
        monkeypatch.setattr(data, "code_fingerprint", lambda: "edited code")
        calls = count_tidy_calls(monkeypatch)
        both_area_types(settings.with_(offline=True))
        assert len(calls) == 2

    def test_a_derived_frame_with_other_dtypes_is_not_used(self, settings, fake_api,
                                                           monkeypatch):
        online = both_area_types(settings)
        for path in derived_files(settings):
            frame = pd.read_parquet(path)
            attrs = frame.attrs
            frame = frame.astype({"indicator_id": "float64"})
            frame.attrs = attrs
            frame.to_parquet(path, index=False)
        calls = count_tidy_calls(monkeypatch)
        offline = both_area_types(settings.with_(offline=True))
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


class TestPublishedColumns:
    def test_time_period_range_is_kept(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert set(table["time_period_range"]) == {"3y"}

    def test_compared_to_goal_is_kept(self, settings, fake_api):
        # The synthetic indicator 900001 has a goal (a synthetic test fixture).
        table = fingertips.fingertips_data(900001, settings=settings, progress=False)
        assert set(table["compared_to_goal"]) == {"Green", "Red"}

    def test_new_data_is_flagged_in_profile_requests(self, settings, fake_api):
        table = fingertips.fingertips_data(LE, profile_id=19, settings=settings,
                                           progress=False)
        assert set(table.loc[table["new_data"].notna(), "period"]) == {"2023 - 25"}

    def test_the_columns_follow_compared_to_parent(self, settings, fake_api):
        columns = list(fingertips.fingertips_data(LE, settings=settings,
                                                  progress=False).columns)
        at = columns.index("compared_to_parent")
        assert columns[at + 1:at + 4] == ["new_data", "compared_to_goal", "time_period_range"]


class TestCategoryRows:
    def test_deprivation_decile_rows_come_with_include_categories(self, settings, fake_api):
        table = fingertips.fingertips_data(93356, include_categories=True, settings=settings,
                                           progress=False)
        deciles = table.loc[table["category_type"]
                            == "County & UA deprivation deciles in England (IMD2015)"]
        assert deciles["category"].nunique() == 10

    def test_ethnic_group_rows_come_with_include_categories(self, settings, fake_api):
        table = fingertips.fingertips_data(900001, include_categories=True, settings=settings,
                                           progress=False)
        assert set(table.loc[table["category_type"] == "Ethnic groups", "category"]) == {
            "White", "Mixed", "Asian", "Black", "Other"}

    def test_category_rows_are_dropped_by_default(self, settings, fake_api):
        table = fingertips.fingertips_data(93356, settings=settings, progress=False)
        assert table["category_type"].isna().all()


class TestDomainSelection:
    def test_a_domain_gives_its_indicators(self, settings, fake_api):
        table = fingertips.fingertips_data(domain_id=1000049, settings=settings,
                                           progress=False)
        assert set(table["indicator_id"]) == {90366, 90362}

    def test_several_domains_give_one_request_each(self, settings, fake_api):
        fingertips.fingertips_data(domain_id=[1000049, 1000043], settings=settings,
                                   progress=False)
        assert sorted(r.params["group_id"] for r in data_requests(fake_api)) == [
            "1000043", "1000049"]

    def test_indicator_ids_take_precedence_over_domains(self, settings, fake_api):
        table = fingertips.fingertips_data(92443, domain_id=1000049, settings=settings,
                                           progress=False)
        assert set(table["indicator_id"]) == {92443}

    def test_an_unknown_domain_is_an_error_pointing_to_profiles(self, settings, fake_api):
        with pytest.raises(ParameterError, match=r"1234.*profiles\(\)"):
            fingertips.fingertips_data(domain_id=1234, settings=settings, progress=False)

    def test_a_domain_that_is_not_a_number_is_refused_before_any_request(self, settings,
                                                                         fake_api):
        with pytest.raises(ParameterError, match="domain_id='overarching'"):
            fingertips.fingertips_data(domain_id="overarching", settings=settings,
                                       progress=False)
        assert fake_api.requests == []


class TestRank:
    @pytest.fixture
    def ranked(self, settings, fake_api):
        return fingertips.fingertips_data(93015, area_type_id=502, parent_area_type_id=6,
                                          rank=True, settings=settings, progress=False)

    def test_adds_polarity_rank_and_count_after_the_tidy_columns(self, ranked):
        assert list(ranked.columns[-3:]) == ["polarity", "rank", "area_values_count"]

    def test_polarity_comes_from_the_metadata_csv(self, ranked):
        assert set(ranked["polarity"]) == {"RAG - Low is good"}

    def test_children_are_ranked_one_to_n_in_each_period(self, ranked):
        latest = ranked.loc[(ranked["period"] == "2022/23") & (ranked["parent_code"] != ENG)
                            & (ranked["area_code"] != ENG)]
        assert latest["rank"].max() == latest["value"].notna().sum()

    def test_rank_one_is_the_lowest_value(self, ranked):
        latest = ranked.loc[(ranked["period"] == "2022/23") & (ranked["parent_code"] != ENG)
                            & (ranked["area_code"] != ENG)]
        assert latest.loc[latest["rank"] == 1, "value"].iloc[0] == latest["value"].min()

    def test_ranks_are_among_every_area_before_the_area_filter(self, settings, fake_api,
                                                              ranked):
        one = fingertips.fingertips_data(93015, area_type_id=502, parent_area_type_id=6,
                                         area_codes=[COVENTRY], rank=True, settings=settings,
                                         progress=False)
        full = ranked.loc[ranked["area_code"] == COVENTRY, ["period", "rank"]]
        assert one[["period", "rank"]].reset_index(drop=True).equals(
            full.reset_index(drop=True))

    def test_the_tidy_part_still_passes_the_schema(self, ranked):
        tidy = ranked.drop(columns=["polarity", "rank", "area_values_count"])
        pd.testing.assert_frame_equal(schema.validate_tidy(tidy), tidy)


class TestUrlOnly:
    def test_returns_the_urls_without_any_request(self, settings, fake_api):
        urls = fingertips.fingertips_data([LE, 90362], url_only=True, settings=settings)
        assert (fake_api.requests, len(urls)) == ([], 1)

    def test_the_urls_are_the_ones_a_call_fetches(self, settings, fake_api):
        urls = fingertips.fingertips_data(LE, url_only=True, settings=settings)
        table = fingertips.fingertips_data(LE, settings=settings, progress=False)
        assert set(table["source_ref"]) == set(urls)

    def test_a_domain_gives_a_by_group_id_url(self, settings, fake_api):
        urls = fingertips.fingertips_data(domain_id=1000049, area_type_id=501,
                                          url_only=True, settings=settings)
        assert urls == [f"{fake_api.url}all_data/csv/by_group_id?child_area_type_id=501&"
                        "group_id=1000049&parent_area_type_id=15"]

    def test_bad_arguments_are_still_refused(self, settings, fake_api):
        with pytest.raises(InvalidAreaCodeError):
            fingertips.fingertips_data(LE, area_codes=["Coventry"], url_only=True,
                                       settings=settings)
