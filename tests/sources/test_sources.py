"""Tests for cw_pophealth.sources: the seam between sources of data and what uses them."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import schema, sources
from cw_pophealth.errors import SchemaValidationError
from cw_pophealth.sources.fingertips_api import FingertipsAPISource
from cw_pophealth.sources.snapshot import SnapshotSource
from helpers import COVENTRY, LE


class BrokenSource:
    """A source whose rows break the schema (no indicator ids)."""

    name = "broken test source"

    def tidy(self) -> pd.DataFrame:
        return schema.empty_tidy().drop(columns="indicator_id")


class TestSeam:
    def test_the_snapshot_is_a_source(self, extracts_settings):
        assert isinstance(SnapshotSource(extracts_settings), sources.TidySource)

    def test_the_api_is_a_source(self):
        assert isinstance(FingertipsAPISource(), sources.TidySource)

    def test_the_snapshot_source_gives_the_snapshot(self, extracts_settings, snapshot_table):
        pd.testing.assert_frame_equal(sources.load(SnapshotSource(extracts_settings)),
                                      snapshot_table)

    def test_the_api_source_gives_the_pull(self, settings, fake_api):
        table = sources.load(FingertipsAPISource([LE], area_codes=[COVENTRY],
                                                 settings=settings))
        assert set(table["area_code"]) == {COVENTRY} and set(table["source"]) == {
            "Fingertips API"}

    def test_rows_that_break_the_schema_are_refused_naming_the_source(self):
        with pytest.raises(SchemaValidationError, match="broken test source"):
            sources.load(BrokenSource())

    def test_write_table_writes_what_the_reports_read(self, tmp_path, extracts_settings):
        settings = extracts_settings.with_(data_dir=tmp_path)
        path = sources.write_table(SnapshotSource(extracts_settings), settings)
        assert path == settings.indicators_table and len(schema.read_tidy(path)) > 0
