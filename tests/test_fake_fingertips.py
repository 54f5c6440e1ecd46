"""Tests of the loopback fake API itself: it answers as the Fingertips server source says.

Each class is one row of ``API-FIDELITY.md`` (C1-C22); the requests are real HTTP, sent with
``requests`` so that nothing of the client is involved. The client's side of each row is
tested in ``tests/fingertips/test_fidelity.py``.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io

import pytest
import requests

from cw_pophealth.fingertips import parse

LE, HLE, CAMPYLOBACTER = 90366, 90362, 93356
EXPORT_2017 = "api_samples/fingertips_export_indicators-CountyUA.data.csv"


def get(fake, endpoint: str, **params) -> requests.Response:
    return requests.get(f"{fake.url}{endpoint}", params=params, timeout=10)


def data(fake, ids="90366", child=502, parent=6, **extra) -> requests.Response:
    return get(fake, "all_data/csv/by_indicator_id", indicator_ids=ids,
               child_area_type_id=child, parent_area_type_id=parent, **extra)


def rows(response: requests.Response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


class TestFakeLatencyModel:
    def test_lookups_cost_the_fixed_latency(self, extracts_settings, api_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(api_table, settings=extracts_settings, latency=0.25,
                              latency_per_indicator=0.5)
        assert fake.request_latency("area_types", {}) == 0.25

    def test_data_requests_add_a_cost_per_indicator(self, extracts_settings, api_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(api_table, settings=extracts_settings, latency=0.25,
                              latency_per_indicator=0.5)
        assert fake.request_latency("all_data/csv/by_indicator_id",
                                    {"indicator_ids": "90366,90362,92443"}) == 1.75

    def test_profile_requests_count_the_profile_indicators(self, extracts_settings,
                                                           api_table):
        from fake_fingertips import FakeFingertips

        fake = FakeFingertips(api_table, settings=extracts_settings,
                              latency_per_indicator=1.0)
        assert fake.request_latency("all_data/csv/by_profile_id", {"profile_id": "18"}) == 1.0


class TestC1AreaTypes:
    def test_area_types_carry_no_parent_types(self, fake_api):
        assert all("ParentAreaTypes" not in t for t in get(fake_api, "area_types").json())

    def test_area_types_lists_about_a_hundred_types(self, fake_api):
        assert len(get(fake_api, "area_types").json()) >= 100

    def test_area_type_keys_are_the_servers(self, fake_api):
        first = get(fake_api, "area_types").json()[0]
        assert list(first) == ["Id", "Name", "Short", "IsSearchable", "CanBeDisplayedOnMap"]

    def test_parent_area_types_endpoint_carries_them(self, fake_api):
        items = {t["Id"]: t for t in get(fake_api, "area_types/parent_area_types").json()}
        assert [p["Id"] for p in items[502]["ParentAreaTypes"]] == [6, 15, 19139]

    def test_a_decile_parent_has_only_id_name_and_short(self, fake_api):
        items = {t["Id"]: t for t in get(fake_api, "area_types/parent_area_types").json()}
        assert list(items[502]["ParentAreaTypes"][-1]) == ["Id", "Name", "Short"]


class TestC2C3IndicatorMetadata:
    def test_descriptive_is_name_and_data_source_by_default(self, fake_api):
        item = get(fake_api, "indicator_metadata/by_indicator_id", indicator_ids=93015).json()
        assert list(item["93015"]["Descriptive"]) == ["Name", "DataSource"]

    def test_include_definition_yes_sends_the_definition(self, fake_api):
        item = get(fake_api, "indicator_metadata/by_indicator_id", indicator_ids=93015,
                   include_definition="YES").json()
        assert "Definition" in item["93015"]["Descriptive"]

    def test_metadata_has_the_servers_objects_and_no_id_fields(self, fake_api):
        item = get(fake_api, "indicator_metadata/by_indicator_id",
                   indicator_ids=93015).json()["93015"]
        assert (list(item)[:6], {"ValueTypeId", "YearTypeId", "CIMethodId",
                                 "ConfidenceLevel"} & set(item)) == (
            ["IID", "Unit", "ValueType", "YearType", "ConfidenceIntervalMethod",
             "Descriptive"], set())

    def test_value_type_has_a_name_not_a_label(self, fake_api):
        item = get(fake_api, "indicator_metadata/by_indicator_id", indicator_ids=93015).json()
        assert list(item["93015"]["ValueType"]) == ["Id", "Name"]

    def test_an_empty_id_list_returns_every_indicator(self, fake_api):
        assert len(get(fake_api, "indicator_metadata/by_indicator_id",
                       indicator_ids="").json()) > 5


class TestC4C5Header:
    def test_parent_column_under_england_is_compared_to_percentiles(self, fake_api):
        header = data(fake_api, parent=15).content.split(b"\r\n")[0].decode().split(",")
        assert header[22] == "Compared to percentiles"

    def test_parent_column_names_the_parent_type(self, fake_api):
        header = data(fake_api, parent=6).content.split(b"\r\n")[0].decode().split(",")
        assert header[22] == "Compared to Regions (statistical) value or percentiles"

    def test_parent_comparison_under_england_is_never_computed(self, fake_api):
        assert {r["Compared to percentiles"] for r in rows(data(fake_api, parent=15))} == {
            "Not compared"}

    def test_time_period_range_is_the_last_column(self, fake_api):
        header = data(fake_api).content.split(b"\r\n")[0].decode().split(",")
        assert header[-3:] == ["New data", "Compared to goal", "Time period range"]


class TestC6C9Format:
    def test_numbers_are_written_as_dotnet_writes_them(self, fake_api, extracts_dir):
        # The real export's England 2015 row, byte for byte in the numeric fields.
        line = data(fake_api, ids=CAMPYLOBACTER).content.split(b"\r\n")[1]
        assert b",94.7261896202678,93.9129396546008,95.5447303303505,,,51897,54786327," in line

    def test_a_line_feed_inside_a_field_is_quoted_bare(self, fake_api):
        assert b'"Campylobacter incidence rate/100,000\n"' in data(
            fake_api, ids=CAMPYLOBACTER).content

    def test_lines_end_in_crlf_without_a_byte_order_mark(self, fake_api):
        body = data(fake_api).content
        assert body.startswith(b"Indicator ID,") and body.endswith(b"\r\n")


class TestC7RowOrder:
    def test_england_then_parents_then_children_within_each_period(self, fake_api):
        got = rows(data(fake_api, ids=HLE, parent=6))
        # A period with regions (the earliest ones are the June 2020 release, counties only).
        period = next(r["Time period"] for r in got if r["Area Code"].startswith("E12"))
        blocks = [r["Area Code"][:3] for r in got if r["Time period"] == period]
        assert blocks.index("E12") > max(i for i, b in enumerate(blocks) if b == "E92") and (
            min(i for i, b in enumerate(blocks) if b not in ("E92", "E12"))
            > max(i for i, b in enumerate(blocks) if b == "E12"))

    def test_periods_run_oldest_first(self, fake_api):
        sortable = [int(r["Time period Sortable"]) for r in rows(data(fake_api, ids=HLE))]
        assert sortable == sorted(sortable)

    def test_males_come_before_females(self, fake_api):
        england = [r["Sex"] for r in rows(data(fake_api)) if r["Area Code"] == "E92000001"]
        assert england[:2] == ["Male", "Female"]

    def test_recent_trend_only_in_the_latest_period(self, fake_api):
        got = rows(data(fake_api, ids=CAMPYLOBACTER))
        assert {r["Time period"] for r in got if r["Recent Trend"]} == {"2017"}

    def test_england_comes_twice_under_parent_type_15(self, fake_api):
        got = rows(data(fake_api, parent=15))
        england = [r["Parent Code"] for r in got if r["Area Code"] == "E92000001"
                   and r["Time period"] == "2021 - 23" and r["Sex"] == "Male"]
        assert england == ["", "E92000001"]


class TestC8OldExport:
    def test_old_format_rows_are_one_field_short(self, fake_api):
        fake_api.configure(csv_format="2017")
        lines = data(fake_api, ids=CAMPYLOBACTER).content.split(b"\r\n")
        assert [len(next(csv.reader([lines[0].decode()]))), len(next(csv.reader(
            [lines[-2].decode()])))] == [26, 25]

    def test_old_format_names_the_file_as_the_real_export(self, fake_api):
        fake_api.configure(csv_format="2017")
        disposition = data(fake_api, ids=CAMPYLOBACTER).headers["Content-Disposition"]
        assert disposition == "attachment; filename=indicators-CountyUA.data.csv"


class TestC10C11C12C13C14Responses:
    def test_csv_is_an_octet_stream_attachment(self, fake_api):
        response = data(fake_api)
        assert (response.headers["Content-Type"], response.headers["Content-Disposition"]) == (
            "application/octet-stream",
            "attachment; filename=indicators-CountiesUAsfromApr2023.data.csv")

    def test_ids_past_the_hundredth_are_dropped_silently(self, fake_api):
        ids = ",".join(["90366"] * 100 + ["90362"])
        response = data(fake_api, ids=ids, child=502, parent=6)
        assert response.status_code == 200 and "90362" not in {
            r["Indicator ID"] for r in rows(response)}

    def test_an_empty_id_list_is_a_plain_text_400(self, fake_api):
        response = data(fake_api, ids="")
        assert (response.status_code, response.text) == (
            400, "IndicatorIds cannot be null or empty")

    def test_ids_that_are_not_numbers_give_the_header_only(self, fake_api):
        assert rows(data(fake_api, ids="abc")) == []

    def test_a_failed_build_is_a_plain_text_500(self, fake_api):
        fake_api.set_fault("500", endpoint="all_data/")
        response = data(fake_api)
        assert response.status_code == 500 and response.text.startswith(
            "CSV data could not be built for indicator 90366")

    def test_an_unknown_area_type_is_a_null_reference_500(self, fake_api):
        response = data(fake_api, child=999)
        assert (response.status_code, response.text) == (
            500, "Object reference not set to an instance of an object.")

    def test_a_missing_required_parameter_is_a_json_404(self, fake_api):
        response = get(fake_api, "all_data/csv/by_indicator_id", indicator_ids=LE)
        assert response.status_code == 404 and "MessageDetail" in response.json()


class TestC15RegionNames:
    @pytest.mark.parametrize("form, name", [("statistical", "West Midlands region (statistical)"),
                                            ("region", "West Midlands region")])
    def test_regions_carry_the_servers_suffix(self, fake_api, form, name):
        fake_api.configure(region_names=form)
        names = {r["Area Name"] for r in rows(data(fake_api, ids=HLE, parent=6))
                 if r["Area Code"] == "E12000005"}
        assert names == {name}


class TestC16C21AreaTypeLabels:
    def test_area_type_is_the_short_name_of_the_requested_type(self, fake_api):
        labels = {r["Area Type"] for r in rows(data(fake_api, ids=HLE, parent=6))}
        assert labels == {"England", "Regions (statistical)", "Counties & UAs (from Apr 2023)"}

    def test_area_type_id_alone_labels_each_area_by_its_tier(self, fake_api):
        response = get(fake_api, "all_data/csv/by_indicator_id", indicator_ids=HLE,
                       area_type_id=502)
        assert {r["Area Type"] for r in rows(response)} == {"England", "Region", "County",
                                                            "UA"}


class TestC17C19Profiles:
    def test_profiles_carry_group_metadata(self, fake_api):
        phof = next(p for p in get(fake_api, "profiles").json() if p["Id"] == 19)
        assert phof["GroupMetadata"][0] == {"Id": 1000049, "Name": "A. Overarching indicators",
                                            "Sequence": 1, "ProfileId": 19}

    def test_phof_domain_ids_are_the_live_apis(self, fake_api):
        phof = next(p for p in get(fake_api, "profiles").json() if p["Id"] == 19)
        assert phof["GroupIds"] == [1000049, 1000041, 1000042, 1000043, 1000044, 1938132983]

    def test_group_metadata_is_ordered_by_sequence(self, fake_api):
        items = get(fake_api, "group_metadata", group_ids="1000041,1000049").json()
        assert [g["Id"] for g in items] == [1000049, 1000041]

    def test_an_unknown_group_is_a_plain_text_500(self, fake_api):
        response = get(fake_api, "all_data/csv/by_group_id", group_id=5,
                       child_area_type_id=502, parent_area_type_id=6)
        assert (response.status_code, response.text) == (500, "Sequence contains no elements")


class TestC18ParentToChildAreas:
    def test_both_types_are_optional(self, fake_api):
        assert get(fake_api, "parent_to_child_areas", child_area_type_id=502).json() == {}

    def test_a_type_of_zero_gives_nothing(self, fake_api):
        assert get(fake_api, "parent_to_child_areas", child_area_type_id=0,
                   parent_area_type_id=6).json() == {}

    def test_a_nearest_neighbour_code_gives_the_neighbours(self, fake_api):
        got = get(fake_api, "parent_to_child_areas", nearest_neighbour_code="nn-1-E10000032")
        assert "E10000031" in got.json()["E10000032"]

    def test_neighbours_by_parent_code_carry_their_rank(self, fake_api):
        items = get(fake_api, "areas/by_parent_area_code", area_type_id=502,
                    parent_area_code="nn-9004-E10000031").json()
        assert [i["Sequence"] for i in items] == list(range(1, len(items) + 1))


class TestC20NoRateLimiting:
    def test_sixteen_concurrent_requests_are_all_answered(self, fake_api):
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda _: get(fake_api, "area_types").status_code, range(16)))
        assert codes == [200] * 16


class TestC22IgnoredParameters:
    def test_timestamp_and_sortable_periods_change_nothing(self, fake_api):
        assert data(fake_api, timestamp=1700000000,
                    include_sortable_time_periods="yes").content == data(fake_api).content


class TestCategoryRows:
    def test_the_2017_exports_decile_rows_are_served(self, fake_api):
        got = rows(data(fake_api, ids=CAMPYLOBACTER))
        assert "County & UA deprivation deciles in England (IMD2015)" in {
            r["Category Type"] for r in got}

    def test_the_header_parses_as_the_current_27_columns(self, fake_api):
        header = data(fake_api, parent=6).content.split(b"\r\n")[0].decode().split(",")
        assert len(header) == len(parse.FINGERTIPS_CSV_COLUMNS)


class TestListenBacklog:
    def test_the_backlog_is_well_above_socketservers_five(self, fake_api):
        # A burst of benchmark connections must queue, not be dropped and timed as retries.
        assert fake_api._server.request_queue_size >= 128
