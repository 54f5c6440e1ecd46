"""Tests of the loopback fake API itself (tests/fake_fingertips.py)."""

from __future__ import annotations


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
