"""Tests for cw_pophealth.analysis.profile: the spine-chart table of one area."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import analysis, catalogue, schema
from helpers import COV, ENG, WARKS, WM, tidy


class TestAreaProfileTable:
    @pytest.fixture
    def table(self):
        base = {"indicator_id": 93881, "period": "2022/23"}
        values = {COV: 30.0, "E06000001": 10.0, "E06000002": 20.0, "E06000003": 40.0,
                  "E06000004": 50.0}
        rows = [{**base, "area_code": code, "value": v, "lower_ci_95": v - 1,
                 "upper_ci_95": v + 1} for code, v in values.items()]
        rows.append({**base, "area_code": ENG, "value": 25.0})
        rows.append({**base, "area_code": WM, "value": 99.0})  # a region: not a peer of a UA
        return tidy(rows)

    @pytest.fixture
    def row(self, table):
        return analysis.area_profile_table(table, COV, indicators=["obesity"]).iloc[0]

    def test_quantiles_are_r_type_7_over_peers_of_the_same_tier(self, row):
        assert (row["minimum"], row["q25"], row["q75"], row["maximum"], row["n_areas"]) == (
            10.0, 20.0, 40.0, 50.0, 5)

    def test_an_earlier_release_of_a_peer_is_not_counted_again(self, table):
        # SYNTHETIC: E06000001's value in an earlier release of the same period, superseded.
        older = tidy([{"indicator_id": 93881, "period": "2022/23", "area_code": "E06000001",
                       "value": 90.0, "release": "synthetic earlier release",
                       "release_date": pd.Timestamp("2025-01-01"), "current": False,
                       "superseded_by": "synthetic test release"}])
        both = schema.validate_tidy(pd.concat([table, older], ignore_index=True))
        row = analysis.area_profile_table(both, COV, indicators=["obesity"]).iloc[0]
        assert (row["n_areas"], row["maximum"]) == (5, 50.0)

    def test_low_is_good_puts_the_lowest_value_at_best(self, row):
        assert (row["best"], row["worst"]) == (10.0, 50.0)

    def test_spine_is_centred_on_england_and_better_is_right(self, row):
        # half range = max(|10 - 25|, |50 - 25|) = 25; low is good, so 10 is at +0.6.
        assert (row["half_range"], row["spine_best"], row["spine_worst"],
                row["spine_area"]) == pytest.approx((25.0, 0.6, -1.0, -0.2))

    def test_spine_q25_is_always_the_worse_quartile(self, row):
        assert row["spine_q25"] < row["spine_q75"]

    def test_an_indicator_without_data_gets_an_explicit_row(self, table):
        profile = analysis.area_profile_table(table, COV, indicators=["obesity", "alcohol"])
        alcohol = profile.loc[profile["indicator_key"] == "alcohol"].iloc[0]
        assert alcohol["status"] == ("No data in snapshot for Coventry (92778): a live pull "
                                     "(cw-pophealth pull) would fetch Fingertips 92778 for it")

    def test_every_core_indicator_appears_for_a_real_area(self, snapshot_table):
        profile = analysis.area_profile_table(snapshot_table, "E06000001")
        assert set(profile["indicator_key"]) == {s.key for s in catalogue.CORE_INDICATORS}

    def test_presented_profile_reads_no_data(self, snapshot_table):
        profile = analysis.area_profile_table(snapshot_table, WARKS)
        shown = analysis.present_area_profile(profile)
        assert shown.loc[shown["Indicator"].str.contains("92778"), "Area value"].iloc[0] == (
            "no data")


class TestRangesCountEachAreaOnce:
    @pytest.fixture
    def table(self):
        # SYNTHETIC: Hartlepool held under two codes for one period (as Barnsley and Sheffield
        # are, under their codes before and after 2021), the newer release under the second.
        base = {"indicator_id": 93881, "period": "2022/23"}
        rows = [{**base, "area_code": code, "value": v} for code, v in
                ((COV, 30.0), ("E06000001", 10.0), ("E06000003", 40.0), (ENG, 25.0))]
        rows.append({**base, "area_code": "E06000002", "area_name": "Hartlepool", "value": 12.0,
                     "release_date": pd.Timestamp("2026-03-01")})
        return tidy(rows)

    def test_an_area_under_two_codes_counts_once(self, table):
        row = analysis.area_profile_table(table, COV, indicators=["obesity"]).iloc[0]
        assert (row["n_areas"], row["minimum"]) == (3, 12.0)

    def test_the_range_says_which_area_types_it_holds(self, table):
        row = analysis.area_profile_table(table, COV, indicators=["obesity"]).iloc[0]
        assert row["range_area_types"] == "UA"

    def test_barnsley_and_sheffield_count_once_in_the_real_data(self, snapshot_table):
        profile = analysis.area_profile_table(snapshot_table, COV,
                                              indicators=["healthy_life_expectancy"])
        rows = snapshot_table.loc[(snapshot_table["indicator_id"] == 90362)
                                  & snapshot_table["current"]
                                  & snapshot_table["area_type"].isin(["UA", "County"])
                                  & snapshot_table["value"].notna()]
        male = profile.loc[profile["sex"] == "Male"].iloc[0]
        names = rows.loc[(rows["sex"] == "Male") & (rows["period"] == male["period"]),
                         "area_name"]
        assert male["n_areas"] == names.nunique() < len(names)


class TestManyAreasOnOneTable:
    """A fan-out profiles area after area on one table (in one warm kernel): from the second
    area of a type on, every area of that type is computed at once and each takes its rows."""

    #: Unitary authorities, counties, districts and the regions; Coventry and Warwickshire.
    CODES = ["E06000001", "E06000052", "E08000026", "E08000016", "E08000038", "E09000001",
             "E10000031", "E10000003", "E07000218", "E07000222", "E12000005", "E12000007",
             "E92000001"]

    @staticmethod
    def alone(table, code, **kwargs):
        """The area's rows as the first area profiled on a table gets them (no batch)."""
        from cw_pophealth.analysis import profile

        kind = profile._area_types(table)[code]
        peers = tuple(profile.PEER_AREA_TYPES.get(kind, (kind,)))
        keys = [s.key for s in catalogue.CORE_INDICATORS]
        return profile._profile_rows(table, [code], keys, ENG, kwargs.get("period", "latest"),
                                     peers, 0.95)

    @pytest.mark.parametrize("period", ["latest", "2022 - 24", "2024/25"])
    def test_each_area_gets_the_rows_it_gets_alone(self, snapshot_table, period):
        table = snapshot_table.copy(deep=False)
        for code in self.CODES:
            got = analysis.area_profile_table(table, code, period=period)
            assert got.attrs["area_code"] == code
            got.attrs = {}
            pd.testing.assert_frame_equal(got, self.alone(table, code, period=period),
                                          check_exact=True)

    @pytest.mark.parametrize("key", [s.key for s in catalogue.CORE_INDICATORS])
    def test_one_indicator_over_all_periods_too(self, snapshot_table, key):
        # The second UA profiled over "all" periods, through the public function: the rows it
        # gets alone (whether or not a batch is made).
        from cw_pophealth.analysis import profile

        table = snapshot_table.copy(deep=False)
        analysis.area_profile_table(table, "E06000001", indicators=[key], period="all")
        got = analysis.area_profile_table(table, "E06000002", indicators=[key], period="all")
        got.attrs = {}
        alone = profile._profile_rows(table, ["E06000002"], [key], ENG, "all",
                                      profile.PEER_AREA_TYPES["UA"], 0.95)
        pd.testing.assert_frame_equal(got, alone, check_exact=True)

    def test_areas_without_a_value_grouped_together_keep_everyone_s_dtypes(
            self, snapshot_table):
        # "all" periods put the areas without a value in a group of their own, whose period
        # column is all missing: computing them with others must not change the dtype of
        # anyone's rows.
        from cw_pophealth.analysis import profile
        from cw_pophealth.analysis.benchmark import area_batches

        table = snapshot_table.copy(deep=False)
        types = profile._area_types(table)
        uas = sorted(c for c, kind in types.items() if kind == "UA")
        without, *valued = area_batches(table, "alcohol_admissions", uas, ENG, period="all")
        assert len(without) > 1 and all(len(g) == 1 for g in valued)
        codes = sorted([*without, *(g[0] for g in valued[:3])])
        peers = profile.PEER_AREA_TYPES["UA"]
        together = profile._profile_rows(table, codes, ["alcohol_admissions"], ENG, "all",
                                         peers, 0.95)
        for code in (without[0], valued[0][0]):
            alone = profile._profile_rows(table, [code], ["alcohol_admissions"], ENG, "all",
                                          peers, 0.95)
            mine = together.loc[together["area_code"] == code].reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, alone, check_exact=True)

    def test_one_area_alone_computes_no_batch(self, snapshot_table, caplog):
        table = snapshot_table.copy(deep=False)
        with caplog.at_level("DEBUG", logger="cw_pophealth.analysis.profile"):
            analysis.area_profile_table(table, COV)
            assert "computed at once" not in caplog.text
            analysis.area_profile_table(table, "E06000001")
        assert "computed at once" in caplog.text

    def test_all_periods_are_not_batched_as_each_area_is_a_group_of_its_own(
            self, snapshot_table, caplog):
        # With "all" periods a batch would run every UA one by one: seconds for two areas.
        table = snapshot_table.copy(deep=False)
        with caplog.at_level("DEBUG", logger="cw_pophealth.analysis.profile"):
            for code in ("E06000001", "E06000002", "E06000003"):
                analysis.area_profile_table(table, code, indicators=["smoking"], period="all")
            assert "computed at once" not in caplog.text
            analysis.area_profile_table(table, "E06000001", indicators=["smoking"])
            analysis.area_profile_table(table, "E06000002", indicators=["smoking"])
        assert "computed at once" in caplog.text

    def test_an_edited_table_is_profiled_afresh(self, snapshot_table):
        table = snapshot_table.copy(deep=False)
        for code in (COV, "E06000001"):
            analysis.area_profile_table(table, code)
        smoking = (table["indicator_id"] == 92443) & (table["area_code"] == COV)
        table.loc[smoking, "value"] = 99.9  # synthetic: an analyst's edit
        row = analysis.area_profile_table(table, COV, indicators=["smoking"]).iloc[0]
        assert row["value"] == 99.9

    def test_a_region_is_not_a_peer_of_a_batch_of_uas(self, snapshot_table):
        table = snapshot_table.copy(deep=False)
        analysis.area_profile_table(table, "E06000001")
        profile = analysis.area_profile_table(table, "E06000002")
        assert set(profile["area_code"]) == {"E06000002"}
        assert not profile["range_area_types"].str.contains("Region").any()
