"""Tests for cw_pophealth.fingertips.cache: the raw-response cache and the derived caches."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime

import pandas as pd
import pytest

from cw_pophealth import atomic
from cw_pophealth.errors import OfflineCacheMissError
from cw_pophealth.fingertips.cache import (
    CacheIntegrityError,
    DerivedFrameCache,
    ResponseCache,
    cache_key,
    digest_of,
    normalise_params,
    query_string,
)

ENDPOINT = "all_data/csv/by_indicator_id"

PARAMS = {"indicator_ids": [90366, 90362], "child_area_type_id": 502, "parent_area_type_id": 15}

BODY = b"Indicator ID,Value\r\n90366,77.3\r\n"


def put(store: ResponseCache, body: bytes = BODY, params=None, **extra):
    options = dict(url="https://fingertips.phe.org.uk/api/x", status=200,
                   content_type="text/csv", elapsed=0.25, extension="csv")
    options.update(extra)
    return store.put(ENDPOINT, PARAMS if params is None else params, body, **options)


def all_files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path) -> ResponseCache:
    return ResponseCache(tmp_path / "raw" / "fingertips")


class TestNormaliseParams:
    def test_sorts_by_name(self):
        assert list(normalise_params({"b": 1, "a": 2})) == ["a", "b"]

    def test_drops_none_values(self):
        assert normalise_params({"a": None, "b": 1}) == {"b": "1"}

    def test_joins_lists_with_commas(self):
        assert normalise_params({"ids": [1, 2, 3]}) == {"ids": "1,2,3"}

    def test_keeps_commas_literal_in_the_query_string(self):
        assert query_string({"ids": [1, 2]}) == "ids=1,2"


class TestCacheKey:
    def test_is_endpoint_plus_sorted_params(self):
        assert cache_key("areas/by_area_type", {"area_type_id": 502}) == (
            "areas/by_area_type?area_type_id=502")

    def test_ignores_parameter_order(self):
        assert cache_key(ENDPOINT, {"a": 1, "b": 2}) == cache_key(ENDPOINT, {"b": 2, "a": 1})

    def test_ignores_leading_and_trailing_slashes(self):
        assert cache_key("/profiles/", None) == "profiles"

    def test_does_not_depend_on_the_host(self, store):
        one = put(store, url="https://fingertips.phe.org.uk/api/x")
        two = put(store, url="http://127.0.0.1:8080/api/x")
        assert one.meta_path == two.meta_path


class TestPutAndGet:
    def test_round_trips_the_body_byte_for_byte(self, store):
        put(store)
        assert store.get(ENDPOINT, PARAMS).body == BODY

    def test_missing_entry_is_none(self, store):
        assert store.get(ENDPOINT, {"indicator_ids": 1}) is None

    def test_lives_under_the_endpoint_path(self, store):
        entry = put(store)
        assert entry.meta_path.parent == store.root / "all_data" / "csv" / "by_indicator_id"

    def test_file_name_encodes_the_query(self, store):
        assert "indicator_ids=90366,90362" in put(store).meta_path.name

    def test_long_queries_give_short_file_names(self, store):
        entry = put(store, params={"indicator_ids": list(range(90000, 90100))})
        assert len(entry.body_path.name) < 150

    def test_sidecar_records_the_sha256(self, store):
        assert put(store).meta["sha256"] == hashlib.sha256(BODY).hexdigest()

    @pytest.mark.parametrize("field", [
        "url", "endpoint", "params", "retrieved_at", "http_status", "sha256", "bytes",
        "content_type", "elapsed_seconds", "body_file", "source", "licence", "cache_key",
    ])
    def test_sidecar_on_disk_has_field(self, store, field):
        entry = put(store)
        assert field in json.loads(entry.meta_path.read_text(encoding="utf-8"))

    def test_retrieved_at_is_utc_iso_8601(self, store):
        stamp = put(store).meta["retrieved_at"]
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset().total_seconds() == 0

    def test_sidecar_records_the_size(self, store):
        assert put(store).meta["bytes"] == len(BODY)

    def test_sidecar_records_normalised_params(self, store):
        assert put(store).meta["params"]["indicator_ids"] == "90366,90362"

    def test_empty_params_are_allowed(self, store):
        store.put("profiles", None, b"[]", url="u", status=200, content_type=None, elapsed=0)
        assert store.get("profiles").body == b"[]"

    def test_contains_reports_stored_keys(self, store):
        put(store)
        assert (ENDPOINT, PARAMS) in store

    def test_entries_lists_every_sidecar(self, store):
        put(store)
        store.put("profiles", None, b"[]", url="u", status=200, content_type=None, elapsed=0)
        assert [m["cache_key"] for m in store.entries()] == [
            cache_key(ENDPOINT, PARAMS), "profiles"]

    def test_for_settings_uses_raw_dir(self, tmp_path):
        from cw_pophealth.config import get_settings

        settings = get_settings(data_dir=tmp_path)
        assert ResponseCache.for_settings(settings).root == tmp_path / "raw" / "fingertips"


class TestIntegrity:
    def test_edited_body_is_detected(self, store):
        entry = put(store)
        entry.body_path.write_bytes(BODY.replace(b"77.3", b"99.9"))
        with pytest.raises(CacheIntegrityError):
            store.get(ENDPOINT, PARAMS)

    def test_missing_body_file_is_detected(self, store):
        put(store).body_path.unlink()
        with pytest.raises(CacheIntegrityError):
            store.get(ENDPOINT, PARAMS)

    def test_damaged_sidecar_is_detected(self, store):
        put(store).meta_path.write_text("{not json", encoding="utf-8")
        with pytest.raises(CacheIntegrityError):
            store.get(ENDPOINT, PARAMS)

    def test_integrity_error_is_an_offline_cache_miss(self):
        assert issubclass(CacheIntegrityError, OfflineCacheMissError)

    def test_integrity_error_says_how_to_recover(self, store):
        put(store).body_path.write_bytes(b"changed")
        with pytest.raises(CacheIntegrityError, match="cw-pophealth pull"):
            store.get(ENDPOINT, PARAMS)


class TestAtomicWrites:
    def test_no_temporary_files_are_left(self, store):
        put(store)
        assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]

    def test_a_new_body_replaces_the_old_body_file(self, store):
        put(store)
        put(store, body=BODY + b"90362,58.5\r\n")
        assert len(list(store.root.rglob("*.body-*"))) == 1

    def test_a_new_body_is_served_after_replacement(self, store):
        put(store)
        put(store, body=b"new")
        assert store.get(ENDPOINT, PARAMS).body == b"new"

    def test_storing_the_same_body_again_keeps_one_file(self, store):
        put(store)
        put(store)
        assert len(list(store.root.rglob("*.body-*"))) == 1

    @pytest.fixture
    def failed_second_put(self, store, monkeypatch):
        """A good entry, then a second put whose sidecar write fails ("disk full")."""
        put(store)
        real_replace = atomic.os.replace

        def failing_replace(src, dst):
            if str(dst).endswith(".meta.json"):
                raise OSError("disk full")
            return real_replace(src, dst)

        monkeypatch.setattr(atomic.os, "replace", failing_replace)
        with pytest.raises(OSError):
            put(store, body=b"new body")
        monkeypatch.setattr(atomic.os, "replace", real_replace)
        return store

    def test_failure_writing_the_sidecar_keeps_the_previous_entry(self, failed_second_put):
        assert failed_second_put.get(ENDPOINT, PARAMS).body == BODY

    def test_failure_writing_the_sidecar_leaves_no_temporary_files(self, failed_second_put):
        store = failed_second_put
        assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]

    def test_failure_writing_the_body_keeps_sidecar_bytes(self, store, monkeypatch):
        entry = put(store)
        before = entry.meta_path.read_bytes()

        def failing_replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(atomic.os, "replace", failing_replace)
        with pytest.raises(OSError):
            put(store, body=b"new body")
        assert entry.meta_path.read_bytes() == before

    def test_concurrent_writers_leave_a_consistent_entry(self, store):
        bodies = [f"body {i}\n".encode() * 1000 for i in range(8)]
        threads = [threading.Thread(target=put, args=(store, b)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.get(ENDPOINT, PARAMS).body in bodies


DESCRIPTION = {"kind": "test", "body_sha256": "ab" * 32, "code": "v1"}

DTYPES = {"indicator_id": "Int64", "area_code": "string", "value": "float64"}


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({"indicator_id": pd.array([90366, 90362], dtype="Int64"),
                         "area_code": pd.array(["E08000026", None], dtype="string"),
                         "value": [77.3, float("nan")]})


@pytest.fixture
def derived(tmp_path) -> DerivedFrameCache:
    return DerivedFrameCache(tmp_path / "processed" / "cache" / "fingertips-tidy")


class TestDerivedFrameCache:
    def test_round_trips_the_frame(self, derived):
        derived.put(DESCRIPTION, small_frame())
        pd.testing.assert_frame_equal(derived.get(DESCRIPTION, DTYPES), small_frame())

    def test_returned_frame_carries_no_cache_attrs(self, derived):
        derived.put(DESCRIPTION, small_frame())
        assert derived.get(DESCRIPTION, DTYPES).attrs == {}

    def test_put_leaves_the_callers_frame_alone(self, derived):
        frame = small_frame()
        derived.put(DESCRIPTION, frame)
        assert frame.attrs == {}

    def test_missing_entry_is_none(self, derived):
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_file_is_named_by_the_digest_of_the_description(self, derived):
        path = derived.put(DESCRIPTION, small_frame())
        assert path.stem == digest_of(DESCRIPTION)

    def test_digest_ignores_key_order(self):
        assert digest_of({"a": 1, "b": 2}) == digest_of({"b": 2, "a": 1})

    def test_corrupt_file_is_ignored(self, derived):
        derived.put(DESCRIPTION, small_frame()).write_bytes(b"PAR1 not really parquet")
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_truncated_file_is_ignored(self, derived):
        path = derived.put(DESCRIPTION, small_frame())
        path.write_bytes(path.read_bytes()[:40])
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_file_describing_other_inputs_is_ignored(self, derived):
        other = {**DESCRIPTION, "code": "v2"}
        derived.path(DESCRIPTION).parent.mkdir(parents=True)
        derived.put(other, small_frame()).replace(derived.path(DESCRIPTION))
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_parquet_written_by_something_else_is_ignored(self, derived):
        path = derived.path(DESCRIPTION)
        path.parent.mkdir(parents=True)
        small_frame().to_parquet(path, index=False)
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_other_dtypes_are_ignored(self, derived):
        derived.put(DESCRIPTION, small_frame().astype({"indicator_id": "float64"}))
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_other_columns_are_ignored(self, derived):
        derived.put(DESCRIPTION, small_frame().drop(columns="value"))
        assert derived.get(DESCRIPTION, DTYPES) is None

    def test_a_bad_entry_is_replaced_by_the_next_put(self, derived):
        derived.put(DESCRIPTION, small_frame()).write_bytes(b"garbage")
        derived.put(DESCRIPTION, small_frame())
        pd.testing.assert_frame_equal(derived.get(DESCRIPTION, DTYPES), small_frame())

    def test_a_failed_write_returns_none_and_leaves_no_temporary_file(self, derived,
                                                                      monkeypatch):
        def failing_replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(atomic.os, "replace", failing_replace)
        assert derived.put(DESCRIPTION, small_frame()) is None
        assert not [p for p in derived.root.rglob("*") if p.is_file()]

    def test_for_settings_is_under_processed_dir(self, tmp_path):
        from cw_pophealth.config import get_settings

        settings = get_settings(data_dir=tmp_path)
        assert DerivedFrameCache.for_settings(settings).root == (
            tmp_path / "processed" / "cache" / "fingertips-tidy")


def batch(store: ResponseCache, bodies: list[bytes]) -> list:
    """One put_many of ``bodies``, one entry per body (indicator ids 1, 2, ...)."""
    return store.put_many([dict(endpoint=ENDPOINT, params={**PARAMS, "indicator_ids": [i]},
                                body=body, url=f"https://example.test/{i}", status=200,
                                content_type="text/csv", elapsed=0.1, extension="csv")
                           for i, body in enumerate(bodies, start=1)])


class TestBatches:
    """put_many: one flush to disk per batch, and a batch that fails part-way switches no
    entry to a torn one (issue 14)."""

    @pytest.fixture
    def syncs(self, monkeypatch):
        calls = []
        real = atomic.sync

        def counting(paths):
            calls.append(sorted(str(p) for p in paths))
            return real(paths)

        monkeypatch.setattr(atomic, "sync", counting)
        return calls

    def test_a_batch_round_trips_every_body(self, store):
        entries = batch(store, [b"a\n", b"b\n", b"c\n"])
        assert [store.get(ENDPOINT, e.meta["params"]).body for e in entries] == [
            b"a\n", b"b\n", b"c\n"]

    def test_a_new_batch_is_flushed_once(self, store, syncs):
        batch(store, [b"a\n", b"b\n", b"c\n"])
        assert len(syncs) == 1
        assert len(syncs[0]) == 6  # 3 bodies and 3 sidecars, before any sidecar is renamed

    def test_a_batch_that_replaces_bodies_flushes_again_before_deleting_them(self, store,
                                                                              syncs):
        old = batch(store, [b"a\n", b"b\n"])
        syncs.clear()
        batch(store, [b"A\n", b"b\n"])
        assert len(syncs) == 2
        assert not old[0].body_path.exists() and old[1].body_path.exists()

    def test_put_is_a_batch_of_one(self, store, syncs):
        put(store)
        assert len(syncs) == 1

    def test_sidecars_match_what_put_writes(self, store, tmp_path):
        one = put(ResponseCache(tmp_path / "one"), retrieved_at=datetime(2026, 12, 2))
        many = store.put_many([dict(endpoint=ENDPOINT, params=PARAMS, body=BODY,
                                    url=one.meta["url"], status=200, content_type="text/csv",
                                    elapsed=0.25, extension="csv",
                                    retrieved_at=datetime(2026, 12, 2))])[0]
        assert many.meta_path.read_bytes() == one.meta_path.read_bytes()

    def test_a_failed_flush_leaves_every_entry_as_it_was(self, store, monkeypatch):
        old = batch(store, [b"a\n", b"b\n"])
        before = [e.meta_path.read_bytes() for e in old]

        def failing(paths):
            raise OSError("I/O error")

        monkeypatch.setattr(atomic, "sync", failing)
        with pytest.raises(OSError):
            batch(store, [b"A\n", b"B\n", b"C\n"])
        monkeypatch.undo()
        assert [e.meta_path.read_bytes() for e in old] == before
        assert [store.get(ENDPOINT, e.meta["params"]).body for e in old] == [b"a\n", b"b\n"]
        assert store.get(ENDPOINT, {**PARAMS, "indicator_ids": [3]}) is None
        assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]

    def test_a_failure_between_two_sidecars_leaves_old_or_new_entries(self, store,
                                                                      monkeypatch):
        batch(store, [b"a\n", b"b\n"])
        real_replace = atomic.os.replace
        renamed = []

        def second_sidecar_fails(src, dst):
            if str(dst).endswith(".meta.json"):
                if renamed:
                    raise OSError("disk full")
                renamed.append(dst)
            return real_replace(src, dst)

        monkeypatch.setattr(atomic.os, "replace", second_sidecar_fails)
        with pytest.raises(OSError):
            batch(store, [b"A\n", b"B\n"])
        monkeypatch.undo()
        bodies = [store.get(ENDPOINT, {**PARAMS, "indicator_ids": [i]}).body for i in (1, 2)]
        assert bodies == [b"A\n", b"b\n"]  # each entry whole: the first new, the second old

    def test_a_pull_flushes_its_data_once(self, settings, fake_api, monkeypatch):
        from cw_pophealth import fingertips

        calls = []
        real = atomic.sync
        monkeypatch.setattr(atomic, "sync", lambda paths: (calls.append(len(list(paths))),
                                                           real(paths)))
        fingertips.pull(settings=settings, progress=False)
        # The two lookups (area types, metadata) are cached as they arrive, a batch of one
        # each; the 16 data responses are one batch of 16 bodies and 16 sidecars.
        assert sorted(calls) == [2, 2, 32]


class TestSync:
    def test_sync_falls_back_to_fsync_of_every_file_and_folder(self, tmp_path, monkeypatch):
        files = [tmp_path / "a", tmp_path / "sub" / "b"]
        for path in files:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"x")
        monkeypatch.setattr(atomic, "_SYNCFS", None)
        fsyncs = []
        real = atomic.os.fsync
        monkeypatch.setattr(atomic.os, "fsync", lambda fd: (fsyncs.append(fd), real(fd)))
        atomic.sync(files)
        assert len(fsyncs) == 4  # two files, two folders

    def test_sync_is_one_syncfs_per_filesystem_where_there_is_one(self, tmp_path, monkeypatch):
        if atomic._SYNCFS is None:
            pytest.skip("no syncfs(2) here")
        calls = []
        monkeypatch.setattr(atomic, "_syncfs", lambda folder: calls.append(folder) or True)
        files = [tmp_path / f"f{i}" for i in range(5)]
        for path in files:
            path.write_bytes(b"x")
        atomic.sync(files)
        assert calls == [tmp_path]
