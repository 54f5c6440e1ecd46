"""The client against the live API as the server source says it behaves: one class per row
of ``API-FIDELITY.md`` (C1-C22), each over real HTTP against the loopback fake.

The fake's own answers are tested in ``tests/test_fake_fingertips.py``. Most classes here
failed on the client before issue 12 (which read ``ParentAreaTypes`` from ``area_types``,
never sent ``include_definition``, read ``YearTypeId``, dropped ``Compared to percentiles``,
kept the England copy under parent type 15 and dropped 5xx bodies); the rest pin behaviour
that the tidier fake could not exercise (the octet-stream CSV, silent truncation, the old
export, both forms of region names).
"""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from cw_pophealth import fingertips, schema
from cw_pophealth.errors import APIUnavailableError, FingertipsAPIError, UnknownAreaTypeError
from cw_pophealth.fingertips import parse
from cw_pophealth.fingertips.cache import ResponseCache
from cw_pophealth.fingertips.http import http_get
from helpers import COVENTRY, LE, data_requests

HLE, CAMPYLOBACTER, INACTIVE = 90362, 93356, 93015


def le(settings, **kwargs) -> pd.DataFrame:
    return fingertips.fingertips_data(LE, settings=settings, progress=False, **kwargs)


class TestC1ParentAreaTypes:
    def test_parent_types_come_from_the_parent_area_types_endpoint(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        assert types.loc[types["area_type_id"] == 502, "parent_area_type_id"].tolist() == [
            6, 15, 19139]

    def test_parent_names_are_the_parents_short_names(self, settings, fake_api):
        types = fingertips.area_types(settings=settings)
        row = types.loc[(types["area_type_id"] == 501) & (types["parent_area_type_id"] == 6)]
        assert row["parent_area_type_name"].tolist() == ["Regions (statistical)"]


class TestC2Definitions:
    def test_the_definition_arrives(self, settings, fake_api):
        meta = fingertips.indicator_metadata(INACTIVE, settings=settings)
        assert meta["definition"].iloc[0].startswith("The number of respondents aged 19")

    def test_the_rationale_arrives(self, settings, fake_api):
        meta = fingertips.indicator_metadata(INACTIVE, settings=settings)
        assert meta["rationale"].notna().all()

    def test_include_definition_is_sent(self, settings, fake_api):
        fingertips.indicator_metadata(INACTIVE, settings=settings)
        assert fake_api.requests[0].params["include_definition"] == "yes"


class TestC3MetadataFields:
    def test_year_type_is_read_from_the_year_type_object(self, settings, fake_api):
        meta = fingertips.indicator_metadata(HLE, settings=settings)
        assert (meta["year_type"].iloc[0], meta["year_type_id"].iloc[0]) == ("Calendar", 1)

    def test_ci_method_is_read_from_its_object(self, settings, fake_api):
        meta = fingertips.indicator_metadata(HLE, settings=settings)
        assert meta["ci_method"].iloc[0] == "Other method - see below"

    def test_the_published_ci_details_say_the_level(self, settings, fake_api):
        meta = fingertips.indicator_metadata(HLE, settings=settings)
        assert "95 percent" in meta["ci_details"].iloc[0]

    def test_value_type_is_read_from_its_name(self, settings, fake_api):
        meta = fingertips.indicator_metadata(INACTIVE, settings=settings)
        assert meta["value_type"].iloc[0] == "Proportion"


class TestC4ParentComparison:
    def test_compared_to_percentiles_lands_in_compared_to_parent(self, settings, fake_api):
        assert set(le(settings)["compared_to_parent"]) == {"Not compared"}

    def test_a_regions_comparison_column_is_read_too(self, settings, fake_api):
        table = fingertips.fingertips_data(CAMPYLOBACTER, parent_area_type_id=6,
                                           settings=settings, progress=False)
        assert {"Better", "Worse"} <= set(table["compared_to_parent"])

    def test_no_column_is_reported_unexpected(self, settings, fake_api, caplog):
        le(settings)
        assert "unexpected column" not in caplog.text


class TestC4EnglandCopies:
    def test_england_appears_once_per_period_and_sex(self, settings, fake_api):
        table = le(settings)
        england = table.loc[(table["area_code"] == "E92000001") & (table["sex"] == "Male")]
        assert england["period"].is_unique

    def test_the_kept_england_row_has_no_parent(self, settings, fake_api):
        table = le(settings)
        assert table.loc[table["area_code"] == "E92000001", "parent_code"].isna().all()

    def test_a_ua_under_counties_and_uas_appears_once(self, settings, fake_api):
        table = le(settings, area_type_id=501, parent_area_type_id=502,
                   area_codes=[COVENTRY])
        assert len(table.loc[table["period"] == "2021 - 23"]) == 2


class TestC5PublishedColumns:
    def test_time_period_range_is_read(self, settings, fake_api):
        assert set(le(settings)["time_period_range"]) == {"3y"}

    def test_the_current_header_ends_with_time_period_range(self):
        assert parse.FINGERTIPS_CSV_COLUMNS[-1] == "Time period range"


class TestC6Numbers:
    def test_values_are_read_exactly_as_written(self, settings, fake_api):
        table = fingertips.fingertips_data(CAMPYLOBACTER, settings=settings, progress=False)
        england = table.loc[(table["area_code"] == "E92000001") & (table["period"] == "2015")]
        assert (england["value"].iloc[0], england["count"].iloc[0]) == (94.7261896202678,
                                                                          51897.0)


class TestC7RowOrder:
    def test_the_table_is_the_same_whatever_order_the_rows_came_in(self, settings, fake_api,
                                                                   monkeypatch):
        first = le(settings)
        real = fake_api.csv_bytes

        def reversed_rows(*args):
            head, *lines = real(*args).decode().rstrip("\r\n").split("\r\n")
            return ("\r\n".join([head, *reversed(lines)]) + "\r\n").encode()

        monkeypatch.setattr(fake_api, "csv_bytes", reversed_rows)
        second = le(settings.with_(data_dir=settings.data_dir / "again"))
        key = ["area_code", "sex", "period"]
        pd.testing.assert_frame_equal(
            first.drop(columns="source_ref").sort_values(key).reset_index(drop=True),
            second.drop(columns="source_ref").sort_values(key).reset_index(drop=True))


class TestC8OldExport:
    def test_a_pull_from_an_old_server_reads_its_short_rows(self, settings, fake_api):
        fake_api.configure(csv_format="2017")
        table = fingertips.fingertips_data(CAMPYLOBACTER, parent_area_type_id=6,
                                           settings=settings, progress=False)
        assert len(table) > 100 and table["compared_to_goal"].isna().all()

    def test_the_old_new_data_flag_is_kept(self, settings, fake_api):
        fake_api.configure(csv_format="2017")
        table = fingertips.fingertips_data(CAMPYLOBACTER, parent_area_type_id=6,
                                           settings=settings, progress=False)
        assert set(table.loc[table["new_data"].notna(), "period"]) == {"2017"}


class TestC9Quoting:
    def test_a_line_feed_in_a_quoted_name_is_read_and_trimmed(self, settings, fake_api):
        table = fingertips.fingertips_data(CAMPYLOBACTER, settings=settings, progress=False)
        assert set(table["indicator_name"]) == {"Campylobacter incidence rate/100,000"}


class TestC10OctetStream:
    def test_the_octet_stream_csv_is_cached_with_its_content_type(self, settings, fake_api):
        le(settings)
        types = {e["content_type"] for e in ResponseCache.for_settings(settings).entries()
                 if e["endpoint"].startswith("all_data/")}
        assert types == {"application/octet-stream"}

    def test_it_is_served_offline_afterwards(self, settings, fake_api, dead_api_url):
        online = le(settings)
        offline = le(settings.with_(offline=True, api_base_url=dead_api_url))
        pd.testing.assert_frame_equal(offline, online)


class TestC11SilentTruncation:
    @pytest.fixture
    def many(self, extracts_settings):
        from fake_fingertips import FakeFingertips, synthetic_table

        with FakeFingertips(synthetic_table(150), settings=extracts_settings,
                            extras=False) as fake:
            yield fake

    def test_all_150_indicators_arrive_though_the_server_drops_ids_past_100(
            self, settings, many):
        table = fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                           settings=settings.with_(api_base_url=many.url))
        assert table["indicator_id"].nunique() == 150

    def test_no_request_carries_more_than_100_ids(self, settings, many):
        fingertips.fingertips_data(list(range(800001, 800151)), progress=False,
                                   settings=settings.with_(api_base_url=many.url))
        assert max(len(r.params["indicator_ids"].split(",")) for r in data_requests(many)) <= 100


class TestC12C13ErrorBodies:
    def test_a_400_quotes_the_servers_plain_text(self, settings, fake_api):
        url = (f"{fake_api.url}all_data/csv/by_indicator_id?indicator_ids=&"
               "child_area_type_id=502&parent_area_type_id=6")
        with pytest.raises(FingertipsAPIError, match="IndicatorIds cannot be null or empty"):
            http_get(url, settings=settings)

    def test_a_500_quotes_the_servers_explanation(self, settings, fake_api):
        fake_api.set_fault("500", times=10, endpoint="all_data/")
        with pytest.raises(APIUnavailableError,
                           match="CSV data could not be built for indicator 90366"):
            le(settings)


class TestC14UnknownAreaType:
    def test_the_area_type_error_wins_over_the_servers_500(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError, match="999"):
            le(settings, area_type_id=999)

    def test_the_server_did_answer_the_data_request_with_a_500(self, settings, fake_api):
        with pytest.raises(UnknownAreaTypeError):
            le(settings.with_(retries=0), area_type_id=999)
        response = requests.get(f"{fake_api.url}all_data/csv/by_indicator_id", timeout=10,
                                params={"indicator_ids": LE, "child_area_type_id": 999,
                                        "parent_area_type_id": 15})
        assert response.status_code == 500


class TestC15RegionNames:
    @pytest.mark.parametrize("form, name", [("statistical", "West Midlands region (statistical)"),
                                            ("region", "West Midlands region")])
    def test_region_names_arrive_as_the_server_writes_them(self, settings, fake_api, form,
                                                           name):
        fake_api.configure(region_names=form)
        table = fingertips.fingertips_data(HLE, parent_area_type_id=6, settings=settings,
                                           progress=False)
        assert set(table.loc[table["area_code"] == "E12000005", "area_name"]) == {name}

    def test_children_name_their_region_the_same_way(self, settings, fake_api):
        fake_api.configure(region_names="region")
        table = fingertips.fingertips_data(HLE, parent_area_type_id=6, settings=settings,
                                           progress=False)
        assert set(table.loc[table["area_code"] == COVENTRY, "parent_name"]) == {
            "West Midlands region"}

    def test_report_tables_name_the_region_from_the_geography(self, settings, fake_api):
        # The reports select areas with area_selection, which joins on codes and names areas
        # from the Pholio tables, so they read "West Midlands" whichever form the API sent.
        from cw_pophealth.analysis import area_selection, benchmark_table

        fake_api.configure(region_names="region")
        table = fingertips.fingertips_data(HLE, parent_area_type_id=6, settings=settings,
                                           progress=False)
        areas = area_selection(["E12000005"], include_districts=False)
        rows = benchmark_table(table, HLE, areas, period="2021 - 23")
        assert set(rows["area_name"]) == {"West Midlands"} and rows["value"].notna().all()


class TestC16AreaTypeLabels:
    def test_the_servers_short_name_becomes_the_tier(self, settings, fake_api):
        table = le(settings)
        assert set(table.loc[table["area_code"] == COVENTRY, "area_type"]) == {"UA"}

    def test_per_area_labels_give_the_same_tier(self, fake_api):
        body = requests.get(f"{fake_api.url}all_data/csv/by_indicator_id", timeout=10,
                            params={"indicator_ids": HLE, "area_type_id": 502}).content
        tidy = parse.tidy_from_fingertips_csv(
            parse.as_pandas(parse.parse_fingertips_csv(body, "per-area")), source="t",
            source_ref="per-area", release="t", release_date="2026-01-01")
        assert set(tidy.loc[tidy["area_code"] == COVENTRY, "area_type"]) == {"UA"}


class TestC17C19Domains:
    def test_a_domain_is_taken_whole_by_group_id(self, settings, fake_api):
        table = fingertips.fingertips_data(domain_id=1000049, settings=settings,
                                           progress=False)
        assert set(table["indicator_id"]) == {LE, HLE}

    def test_the_domain_request_names_one_group(self, settings, fake_api):
        fingertips.fingertips_data(domain_id=[1000049], settings=settings, progress=False)
        assert [r.params["group_id"] for r in data_requests(fake_api)] == ["1000049"]

    def test_phof_domain_ids_are_the_live_apis(self, settings, fake_api):
        ids = fingertips.profiles(19, settings=settings)["domain_id"].tolist()
        assert ids == [1000049, 1000041, 1000042, 1000043, 1000044, 1938132983]


class TestC18NeighbourCodes:
    def test_neighbours_are_asked_for_with_an_nn_code(self, settings, fake_api):
        fingertips.nearest_neighbours("E10000031", 502, settings=settings)
        asked = [r.params for r in fake_api.requests_to("areas/by_parent_area_code")]
        assert asked == [{"area_type_id": "502", "parent_area_code": "nn-9004-E10000031"}]


class TestC20NoRateLimiting:
    def test_a_default_pull_is_never_refused_by_a_server_without_limits(self, settings,
                                                                       fake_api):
        fingertips.pull([LE, HLE], settings=settings, progress=False)
        assert fake_api.refused == 0


class TestC21ChildAndParentAlwaysSent:
    def test_every_data_request_names_both_types(self, settings, fake_api):
        fingertips.pull([LE], settings=settings, progress=False)
        assert all({"child_area_type_id", "parent_area_type_id"} <= set(r.params)
                   for r in data_requests(fake_api))


class TestC22NoCacheBusting:
    def test_requests_carry_no_timestamp_so_the_cache_key_is_stable(self, settings, fake_api):
        le(settings)
        assert all("timestamp" not in r.params for r in fake_api.requests)

    def test_the_result_still_validates(self, settings, fake_api):
        table = le(settings)
        pd.testing.assert_frame_equal(schema.validate_tidy(table), table)
