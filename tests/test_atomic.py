"""Tests for cw_pophealth.atomic: a file is either wholly replaced or left as it was."""

from __future__ import annotations

import json

import pytest

from cw_pophealth import atomic


def failing_replace(src, dst):
    raise OSError("disk full (simulated)")


class TestWriteBytes:
    def test_writes_the_whole_content(self, tmp_path):
        target = tmp_path / "sub" / "file.bin"
        atomic.write_bytes(target, b"new")
        assert target.read_bytes() == b"new"

    def test_a_failed_rename_leaves_the_old_content(self, tmp_path, monkeypatch):
        target = tmp_path / "file.txt"
        target.write_bytes(b"old")
        monkeypatch.setattr(atomic.os, "replace", failing_replace)
        with pytest.raises(OSError):
            atomic.write_bytes(target, b"new")
        assert target.read_bytes() == b"old"

    def test_a_failed_write_leaves_no_temporary_file(self, tmp_path, monkeypatch):
        monkeypatch.setattr(atomic.os, "replace", failing_replace)
        with pytest.raises(OSError):
            atomic.write_bytes(tmp_path / "file.txt", b"new", durable=True)
        assert list(tmp_path.iterdir()) == []


class TestWriteVia:
    def test_a_writer_that_raises_leaves_the_old_file(self, tmp_path):
        target = tmp_path / "table.parquet"
        target.write_bytes(b"old")

        def broken(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                handle.write(b"half")
            raise ValueError("writer failed")

        with pytest.raises(ValueError):
            atomic.write_via(target, broken)
        assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1

    def test_durable_writes_reach_the_target(self, tmp_path):
        target = tmp_path / "out.txt"
        atomic.write_via(target, lambda tmp: open(tmp, "w").write("done"), durable=True)
        assert target.read_text() == "done"


class TestWriteJson:
    def test_round_trips_and_ends_with_a_newline(self, tmp_path):
        target = atomic.write_json(tmp_path / "state.json", {"b": 1, "a": [1, 2]})
        text = target.read_text(encoding="utf-8")
        assert json.loads(text) == {"b": 1, "a": [1, 2]} and text.endswith("}\n")

    def test_writes_paths_as_text(self, tmp_path):
        target = atomic.write_json(tmp_path / "state.json", {"path": tmp_path})
        assert json.loads(target.read_text())["path"] == str(tmp_path)
