"""Tests for cw_pophealth.sources: the seam between sources of data and what uses them."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import schema, snapshot, sources
from cw_pophealth.errors import DamagedTableError, SchemaValidationError
from cw_pophealth.sources.fingertips_api import FingertipsAPISource
from cw_pophealth.sources.snapshot import SnapshotSource
from helpers import COVENTRY, LE, copy_of_built_data


class BrokenSource:
    """A source whose rows break the schema (no indicator ids)."""

    name = "broken test source"

    def tidy(self) -> pd.DataFrame:
        return schema.empty_tidy().drop(columns="indicator_id")


class CoventrySource:
    """The snapshot's Coventry rows only: a source whose table is not the one `build` writes."""

    name = "Coventry test source"

    def __init__(self, settings):
        self.settings = settings

    def tidy(self) -> pd.DataFrame:
        table = snapshot.load_indicators(self.settings)
        return table.loc[table["area_code"] == COVENTRY].reset_index(drop=True)


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

    def test_write_table_stamps_the_table_as_made_by_the_source(self, tmp_path,
                                                                 extracts_settings,
                                                                 built_settings):
        # An earlier build's stamp must not claim a table that a source wrote over it.
        settings = copy_of_built_data(built_settings, tmp_path / "data")
        assert snapshot.is_current(settings)
        path = sources.write_table(CoventrySource(built_settings), settings)
        stamp = schema.read_table_stamp(path)
        assert stamp is not None and stamp["made_by"] == (
            "cw_pophealth.sources.write_table (Coventry test source)")
        assert not snapshot.is_current(settings)

    def test_a_source_that_stamped_its_own_bytes_keeps_its_stamp(self, tmp_path,
                                                                 extracts_settings,
                                                                 built_settings):
        # The snapshot source writes the bytes `build` wrote: the build's stamp still holds.
        settings = copy_of_built_data(built_settings, tmp_path / "data")
        sources.write_table(SnapshotSource(extracts_settings), settings)
        assert snapshot.is_current(settings)

    def test_a_damaged_table_a_source_wrote_is_not_replaced_by_the_snapshot(
            self, tmp_path, extracts_settings, built_settings):
        settings = copy_of_built_data(built_settings, tmp_path / "data")
        path = sources.write_table(CoventrySource(built_settings), settings)
        path.write_bytes(b"not parquet")
        with pytest.raises(DamagedTableError, match="damaged"):
            snapshot.load_indicators(settings)
