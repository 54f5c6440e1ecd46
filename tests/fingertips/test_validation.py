"""The cache is never poisoned: every answer is checked (shape, field types, conversion to a table)
before anything is written to data/raw/, against the loopback fake API.

Each case fills the cache with a good answer first, then has the fake answer badly, and checks
that the call fails as a server fault (not as the caller's mistake), that the raw cache is byte
for byte as it was, and that an offline call still gives the first answer.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests

from cw_pophealth import fingertips
from cw_pophealth.errors import (
    MalformedResponseError,
    ParameterError,
    UnknownAreaTypeError,
    UnknownIndicatorError,
)
from cw_pophealth.fingertips import parse
from helpers import COVENTRY, LE


def raw_files(settings) -> dict:
    """Every cached body with its bytes, and each sidecar's body and sha256 (good answers fetched
    again may be stored again with a new retrieval time, which is not poisoning)."""
    root = settings.raw_dir
    out: dict = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.endswith(".lock"):
            continue
        if path.name.endswith(".meta.json"):
            meta = json.loads(path.read_text(encoding="utf-8"))
            out[path.relative_to(root)] = (meta["body_file"], meta["sha256"], meta["bytes"])
        else:
            out[path.relative_to(root)] = path.read_bytes()
    return out


def call(settings):
    return fingertips.fingertips_data(LE, area_type_id=502, area_codes=[COVENTRY],
                                      settings=settings, progress=False)


@pytest.fixture
def primed(settings, fake_api):
    """A good online call (its table) with the cache filled by it."""
    return call(settings)


def assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed, match):
    before = raw_files(settings)
    with pytest.raises(MalformedResponseError, match=match) as info:
        call(settings)
    assert not isinstance(info.value, ParameterError)  # not "unknown indicator/area/type"
    assert raw_files(settings) == before
    offline = call(settings.with_(offline=True, api_base_url=dead_api_url))
    assert offline.equals(primed)


def good_body(fake_api, endpoint: str, **params) -> bytes:
    return requests.get(f"{fake_api.url}{endpoint}", params=params, timeout=10).content


class TestJsonAnswers:
    def test_area_types_as_a_list_of_strings(self, settings, fake_api, dead_api_url, primed):
        fake_api.set_fault("body", times=20, endpoint="area_types",
                           body=json.dumps(["Counties & UAs", "Districts & UAs"]))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           r"the answer\[0\] is \"Counties & UAs\".*not an object")

    @pytest.mark.parametrize("bad_id", ["502", "abc", 502.9, None, True])
    def test_an_area_type_id_that_is_not_an_integer(self, settings, fake_api, dead_api_url,
                                                    primed, bad_id):
        items = json.loads(good_body(fake_api, "area_types"))
        items[0]["Id"] = bad_id
        fake_api.set_fault("body", times=20, endpoint="area_types", body=json.dumps(items))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           r"the answer\[0\]\.Id .* not an integer")

    def test_descriptive_as_a_string(self, settings, fake_api, dead_api_url, primed):
        fake_api.set_fault("body", times=20, endpoint="indicator_metadata/", body=json.dumps(
            {str(LE): {"IID": LE, "Descriptive": "Life expectancy at birth"}}))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           r"Descriptive is \"Life expectancy at birth\"")

    def test_metadata_items_that_are_not_objects(self, settings, fake_api, dead_api_url,
                                                 primed):
        fake_api.set_fault("body", times=20, endpoint="indicator_metadata/",
                           body=json.dumps({str(LE): "Life expectancy at birth"}))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           "not an object")

    def test_an_indicator_id_with_a_fraction_in_the_metadata(self, settings, fake_api,
                                                             dead_api_url, primed):
        fake_api.set_fault("body", times=20, endpoint="indicator_metadata/", body=json.dumps(
            {str(LE): {"IID": LE + 0.9, "Descriptive": {"Name": "Life expectancy"}}}))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           r"IID is 90366.9 .* not an integer")

    def test_neighbour_types_with_an_id_that_is_not_an_integer(self, settings, fake_api,
                                                                dead_api_url):
        good = fingertips.nearest_neighbour_types(settings=settings)
        before = raw_files(settings)
        items = json.loads(good_body(fake_api, "nearest_neighbour_types"))
        items[0]["NeighbourTypeId"] = "CIPFA"
        fake_api.set_fault("body", times=20, endpoint="nearest_neighbour_types",
                           body=json.dumps(items))
        with pytest.raises(MalformedResponseError, match=r"NeighbourTypeId is \"CIPFA\""):
            fingertips.nearest_neighbour_types(settings=settings)
        assert raw_files(settings) == before
        offline = fingertips.nearest_neighbour_types(
            settings=settings.with_(offline=True, api_base_url=dead_api_url))
        assert offline.equals(good)

    def test_areas_as_a_list_of_codes(self, settings, fake_api, dead_api_url, primed):
        fake_api.set_fault("body", times=20, endpoint="areas/by_area_type",
                           body=json.dumps([COVENTRY]))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           "not an object")

    def test_an_area_without_a_code(self, settings, fake_api, dead_api_url, primed):
        items = json.loads(good_body(fake_api, "areas/by_area_type", area_type_id=502))
        for item in items:
            item.pop("Code")
        fake_api.set_fault("body", times=20, endpoint="areas/by_area_type",
                           body=json.dumps(items))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           r"Code is null")

    def test_a_good_answer_still_passes_every_shape(self, settings, fake_api):
        # The checks are not so strict that the server's real formats fail them.
        assert not fingertips.area_types(settings=settings).empty
        assert not fingertips.profiles(settings=settings).empty
        assert not fingertips.indicators(settings=settings).empty
        assert not fingertips.category_types(settings=settings).empty
        assert not fingertips.parent_to_child_areas(501, 502, settings=settings).empty
        assert not fingertips.indicator_areatypes(LE, settings=settings).empty


def csv_with_value(body: bytes, value: str) -> bytes:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    rows[1][rows[0].index("Value")] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


class TestCsvAnswers:
    @pytest.fixture
    def csv_body(self, fake_api):
        return good_body(fake_api, "all_data/csv/by_indicator_id", indicator_ids=LE,
                         child_area_type_id=502, parent_area_type_id=15)

    def test_a_header_without_rows_does_not_replace_cached_rows(self, settings, fake_api,
                                                                dead_api_url, primed):
        fake_api.set_fault("no_rows", times=20, endpoint="all_data/")
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           "no rows.*cached answer was kept")

    @pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN", "Infinity", "1e400"])
    def test_a_value_that_is_not_a_finite_number(self, settings, fake_api, dead_api_url,
                                                 primed, csv_body, value):
        fake_api.set_fault("body", times=20, endpoint="all_data/",
                           body=csv_with_value(csv_body, value))
        assert_server_fault_and_cache_kept(settings, fake_api, dead_api_url, primed,
                                           "not a finite number in column 'Value'")

    @pytest.mark.parametrize("pyarrow", [True, False])
    @pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
    def test_both_readers_reject_non_finite_values(self, csv_body, value, pyarrow,
                                                   monkeypatch):
        monkeypatch.setattr(parse, "PREFER_PYARROW", pyarrow)
        with pytest.raises(MalformedResponseError):
            parse.parse_fingertips_csv(csv_with_value(csv_body, value), "test")

    @pytest.mark.parametrize("pyarrow", [True, False])
    def test_both_readers_reject_an_indicator_id_with_a_fraction(self, csv_body, pyarrow,
                                                                 monkeypatch):
        monkeypatch.setattr(parse, "PREFER_PYARROW", pyarrow)
        bad = csv_body.replace(f"\r\n{LE},".encode(), f"\r\n{LE}.9,".encode(), 1)
        assert bad != csv_body
        with pytest.raises(MalformedResponseError):
            parse.parse_fingertips_csv(bad, "test")

    def test_a_blank_value_is_still_missing_not_an_error(self, csv_body):
        frame = parse.as_pandas(parse.parse_fingertips_csv(csv_with_value(csv_body, ""), "t"))
        assert frame["Value"].isna().sum() >= 1


class TestIdsAreNotTruncated:
    def test_an_indicator_id_with_a_fraction_is_rejected_before_any_request(self, settings,
                                                                             fake_api):
        with pytest.raises(UnknownIndicatorError, match="90366.9"):
            fingertips.fingertips_data(90366.9, area_type_id=502, settings=settings,
                                       progress=False)
        assert fake_api.requests == []

    def test_an_area_type_with_a_fraction_is_rejected_before_any_request(self, settings,
                                                                         fake_api):
        with pytest.raises(UnknownAreaTypeError, match="502.5"):
            fingertips.fingertips_data(LE, area_type_id=502.5, settings=settings,
                                       progress=False)
        assert fake_api.requests == []

    def test_a_whole_float_is_still_accepted(self, settings, fake_api):
        table = fingertips.fingertips_data(float(LE), area_type_id=502.0, settings=settings,
                                           progress=False)
        assert set(table["indicator_id"]) == {LE}
