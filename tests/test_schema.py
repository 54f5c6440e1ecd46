"""Tests for cw_pophealth.schema: the tidy table's contract."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from cw_pophealth import schema
from cw_pophealth.errors import SchemaValidationError


def synthetic_rows(n: int = 2) -> pd.DataFrame:
    """A small SYNTHETIC tidy table (invented values, for unit tests only)."""
    return schema.coerce_tidy(pd.DataFrame({
        "indicator_id": [90366] * n,
        "indicator_name": ["Life expectancy at birth"] * n,
        "area_code": ["E08000026"] * n,
        "area_name": ["Coventry"] * n,
        "area_type": ["UA"] * n,
        "sex": ["Male", "Female"][:n],
        "period": ["2021 - 23"] * n,
        "period_start": [pd.Timestamp("2021-01-01")] * n,
        "period_end": [pd.Timestamp("2023-12-31")] * n,
        "value": [70.0, 80.0][:n],
        "lower_ci_95": [69.0, 79.0][:n],
        "upper_ci_95": [71.0, 81.0][:n],
        "source": ["synthetic test rows"] * n,
        "source_ref": ["tests/test_schema.py"] * n,
        "release": ["synthetic release"] * n,
        "release_date": [pd.Timestamp("2026-01-01")] * n,
        "current": [True] * n,
    }))


class TestValidateTidy:
    def test_valid_table_passes_with_schema_column_order(self):
        out = schema.validate_tidy(synthetic_rows())
        assert list(out.columns) == list(schema.TIDY_COLUMNS)

    def test_the_published_columns_follow_compared_to_parent(self):
        at = schema.TIDY_COLUMNS.index("compared_to_parent")
        assert schema.TIDY_COLUMNS[at + 1:at + 4] == (
            "new_data", "compared_to_goal", "time_period_range")

    def test_the_published_columns_are_optional(self):
        out = schema.validate_tidy(synthetic_rows())
        assert out[["new_data", "compared_to_goal", "time_period_range"]].isna().all().all()

    def test_missing_column_is_named_with_the_file(self):
        with pytest.raises(SchemaValidationError, match=r"'value'.*missing in data/x\.parquet"):
            schema.validate_tidy(synthetic_rows().drop(columns="value"), where="data/x.parquet")

    def test_missing_required_value_names_the_column(self):
        df = synthetic_rows().assign(area_name=[pd.NA, "Coventry"])
        with pytest.raises(SchemaValidationError, match="Column 'area_name'"):
            schema.validate_tidy(df)

    def test_malformed_area_code_is_rejected(self):
        df = synthetic_rows().assign(area_code=["E0800002", "E08000026"])
        with pytest.raises(SchemaValidationError, match="area_code"):
            schema.validate_tidy(df)

    def test_unknown_sex_is_rejected(self):
        df = synthetic_rows().assign(sex=["M", "Female"])
        with pytest.raises(SchemaValidationError, match="'sex'"):
            schema.validate_tidy(df)

    def test_lower_limit_above_value_is_rejected(self):
        df = synthetic_rows().assign(lower_ci_95=[75.0, 79.0])
        with pytest.raises(SchemaValidationError, match="lower_ci_95"):
            schema.validate_tidy(df)

    def test_limit_within_rounding_of_value_is_accepted(self):
        # Published limits are rounded independently (e.g. value 70.04 shown with lower 70.1).
        df = synthetic_rows().assign(value=[70.04, 80.0], lower_ci_95=[70.05, 79.0])
        assert len(schema.validate_tidy(df)) == 2

    def test_duplicate_observation_is_rejected(self):
        df = pd.concat([synthetic_rows(1), synthetic_rows(1)])
        with pytest.raises(SchemaValidationError, match="duplicate"):
            schema.validate_tidy(df)

    def test_missing_value_is_allowed_and_stays_missing(self):
        df = synthetic_rows().assign(value=[None, 80.0], lower_ci_95=[None, 79.0],
                                     upper_ci_95=[None, 81.0])
        assert schema.validate_tidy(df)["value"].isna().tolist() == [True, False]

    def test_a_row_without_a_release_is_rejected(self):
        df = synthetic_rows().assign(release=[pd.NA, "synthetic release"])
        with pytest.raises(SchemaValidationError, match="'release'"):
            schema.validate_tidy(df)

    def test_two_releases_of_one_observation_can_sit_side_by_side(self):
        old = synthetic_rows(1).assign(release="older", current=False, superseded_by="newer")
        new = synthetic_rows(1).assign(release="newer")
        assert len(schema.validate_tidy(pd.concat([old, new]))) == 2

    def test_two_current_releases_of_one_observation_are_rejected(self):
        df = pd.concat([synthetic_rows(1).assign(release="older"),
                        synthetic_rows(1).assign(release="newer")])
        with pytest.raises(SchemaValidationError, match="more than one current release"):
            schema.validate_tidy(df)

    def test_a_current_row_cannot_name_a_superseding_release(self):
        df = synthetic_rows(1).assign(superseded_by="newer")
        with pytest.raises(SchemaValidationError, match="superseded_by"):
            schema.validate_tidy(df)

    def test_release_columns_come_last_in_the_schema(self):
        assert schema.TIDY_COLUMNS[-4:] == ("release", "release_date", "current",
                                            "superseded_by")

    def test_uncoercible_number_names_the_column(self):
        df = synthetic_rows().astype({"value": object}).assign(value=["high", 80.0])
        with pytest.raises(SchemaValidationError, match="'value'"):
            schema.validate_tidy(df)


class TestWriteAndReadTidy:
    def test_round_trip_keeps_values_and_dtypes(self, tmp_path):
        path = schema.write_tidy(synthetic_rows(), tmp_path / "t.parquet")
        expected = schema.validate_tidy(synthetic_rows())
        pd.testing.assert_frame_equal(schema.read_tidy(path), expected)

    def test_invalid_table_does_not_replace_a_good_file(self, tmp_path):
        path = schema.write_tidy(synthetic_rows(), tmp_path / "t.parquet")
        before = path.read_bytes()
        with pytest.raises(SchemaValidationError):
            schema.write_tidy(synthetic_rows().assign(sex=["x", "y"]), path)
        assert path.read_bytes() == before

    def test_reading_a_missing_file_says_how_to_build_it(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="make data"):
            schema.read_tidy(tmp_path / "absent.parquet")

    def test_reading_a_drifted_file_names_column_and_file(self, tmp_path):
        path = tmp_path / "old.parquet"
        synthetic_rows().drop(columns="source_ref").to_parquet(path)
        with pytest.raises(SchemaValidationError, match=r"source_ref.*old\.parquet"):
            schema.read_tidy(path)


def synthetic_two_sources() -> pd.DataFrame:
    """SYNTHETIC rows: one observation published by two sources."""
    base = dict(indicator_id=90362, indicator_name="HLE", area_code="E08000026",
                area_name="Coventry", area_type="UA", sex="Male", period="2021 - 23",
                period_start=pd.Timestamp("2021-01-01"), period_end=pd.Timestamp("2023-12-31"))
    return schema.coerce_tidy(pd.DataFrame([
        {**base, "value": 58.5, "source": "trafford_themes: x", "source_ref": "a",
         "release": "Fingertips copy", "release_date": pd.Timestamp("2026-05-13")},
        {**base, "value": 58.5, "lower_ci_95": 55.7, "upper_ci_95": 61.2,
         "source": "ons_els: y", "source_ref": "b", "release": "ONS",
         "release_date": pd.Timestamp("2026-02-19")},
    ]))


class TestDeduplicateSources:
    def test_preferred_source_wins(self):
        out = schema.deduplicate_sources(synthetic_two_sources(), ["ons_els", "trafford"])
        assert out["source_ref"].tolist() == ["b"]

    def test_priority_order_is_respected_when_reversed(self):
        out = schema.deduplicate_sources(synthetic_two_sources(), ["trafford", "ons_els"])
        assert out["source_ref"].tolist() == ["a"]

    def test_disagreement_beyond_rounding_is_logged(self, caplog):
        df = synthetic_two_sources()
        df.loc[0, "value"] = 60.0
        schema.deduplicate_sources(df, ["ons_els"])
        assert "differ between sources" in caplog.text

    @pytest.mark.parametrize("priority", [["ons_els"], ["trafford", "ons_els"], [], ["x"]])
    def test_the_same_rows_and_warning_as_before_issue_14(self, caplog, priority):
        # SYNTHETIC: copies across sources and within one, a clash, a missing age and a frame
        # order that is not the sorted order.
        from helpers import deduplicate_sources_before_issue_14

        two = synthetic_two_sources()
        other = two.assign(area_code="E08000025", value=[58.5, 70.0])
        aged = two.assign(age=pd.NA, period="2018 - 20", value=[1.0, 1.02],
                          period_start=pd.Timestamp("2018-01-01"),
                          period_end=pd.Timestamp("2020-12-31"))
        df = pd.concat([other, two, aged, two.iloc[[1]]], ignore_index=True)
        caplog.set_level("WARNING")
        new = schema.deduplicate_sources(df, priority)
        new_log = [r.getMessage() for r in caplog.records]
        caplog.clear()
        old = deduplicate_sources_before_issue_14(df, priority)
        pd.testing.assert_frame_equal(new, old)
        assert new_log == [r.getMessage() for r in caplog.records]


def synthetic_releases() -> pd.DataFrame:
    """SYNTHETIC rows: one observation (Coventry male LE 2016 - 18) in two releases, and another
    observation in the older release only."""
    old = synthetic_rows(2).assign(period=["2016 - 18"] * 2, value=[78.5394, 82.3477],
                                   release="January 2020",
                                   release_date=pd.Timestamp("2020-02-04"))
    new = synthetic_rows(1).assign(period="2016 - 18", value=78.4, release="May 2026",
                                   release_date=pd.Timestamp("2026-05-13"))
    return pd.concat([old, new], ignore_index=True).assign(lower_ci_95=None, upper_ci_95=None)


class TestMarkCurrent:
    def test_the_latest_release_is_current(self):
        out = schema.mark_current(synthetic_releases())
        assert out.loc[out["current"].astype(bool), "value"].tolist() == [82.3477, 78.4]

    def test_the_superseded_row_is_kept_and_names_its_successor(self):
        out = schema.mark_current(synthetic_releases())
        old = out.loc[~out["current"].astype(bool)]
        assert (old["value"].tolist(), old["superseded_by"].tolist()) == ([78.5394], ["May 2026"])

    def test_an_observation_in_one_release_only_stays_current(self):
        out = schema.mark_current(synthetic_releases())
        female = out.loc[out["sex"] == "Female"]
        assert female["current"].tolist() == [True]

    def test_the_marked_table_is_valid(self):
        assert len(schema.validate_tidy(schema.mark_current(synthetic_releases()))) == 3

    def test_two_releases_on_the_same_day_cannot_be_ordered(self):
        df = synthetic_releases().assign(release_date=pd.Timestamp("2026-05-13"))
        with pytest.raises(SchemaValidationError, match="share the latest release date"):
            schema.mark_current(df)

    def test_current_rows_leaves_out_superseded_ones(self):
        out = schema.current_rows(schema.mark_current(synthetic_releases()))
        assert sorted(out["release"]) == ["January 2020", "May 2026"] and len(out) == 2


class TestTableStamps:
    @pytest.fixture
    def table(self, tmp_path):
        path = tmp_path / "indicators.parquet"
        schema.write_tidy(synthetic_rows(), path)
        return path

    def test_the_stamp_names_the_command_that_made_the_table(self, table):
        schema.write_table_stamp(table, "inputs-1", made_by="cw-pophealth build")
        assert schema.read_table_stamp(table)["made_by"] == "cw-pophealth build"

    def test_stamped_table_is_returned_for_the_same_inputs(self, table):
        schema.write_table_stamp(table, "inputs-1")
        assert schema.read_stamped_table(table, "inputs-1") == table.read_bytes()

    def test_other_inputs_give_none(self, table):
        schema.write_table_stamp(table, "inputs-1")
        assert schema.read_stamped_table(table, "inputs-2") is None

    def test_no_stamp_gives_none(self, table):
        assert schema.read_stamped_table(table, "inputs-1") is None

    def test_a_table_changed_after_stamping_gives_none(self, table):
        schema.write_table_stamp(table, "inputs-1")
        synthetic_rows(1).to_parquet(table, index=False)
        assert schema.read_stamped_table(table, "inputs-1") is None

    def test_a_damaged_stamp_gives_none(self, table):
        schema.write_table_stamp(table, "inputs-1").write_text("{not json", encoding="utf-8")
        assert schema.read_stamped_table(table, "inputs-1") is None

    def test_a_missing_table_gives_none(self, table):
        schema.write_table_stamp(table, "inputs-1")
        table.unlink()
        assert schema.read_stamped_table(table, "inputs-1") is None

    def test_stamp_is_a_hidden_file_beside_the_table(self, table):
        assert schema.stamp_path(table) == table.parent / ".indicators.parquet.inputs.json"

    def test_stamp_records_the_table_sha256(self, table):
        stamp = json.loads(schema.write_table_stamp(table, "inputs-1").read_text(encoding="utf-8"))
        assert stamp["table_sha256"] == hashlib.sha256(table.read_bytes()).hexdigest()
