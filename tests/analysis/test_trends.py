"""Tests for cw_pophealth.analysis.trends: every period, and the recent trend."""

from __future__ import annotations

from cw_pophealth import analysis, stats
from helpers import COV, ENG


class TestTrends:
    def test_trend_table_keeps_every_period_an_area_has(self, snapshot_table):
        trend = analysis.trend_table(snapshot_table, "obesity", [COV])
        assert len(trend) == 10

    def test_rolling_periods_cannot_be_trend_tested(self, snapshot_table):
        recent = analysis.recent_trends(snapshot_table, "healthy_life_expectancy", [COV])
        assert recent["trend"].eq(stats.CANNOT_BE_CALCULATED).all()

    def test_sources_without_counts_or_cis_give_the_reason(self, snapshot_table):
        recent = analysis.recent_trends(snapshot_table, "smoking", [COV])
        assert "neither counts nor confidence intervals" in recent["reason"].iloc[0]

    def test_proportions_with_cis_use_the_weighted_method(self, snapshot_table):
        recent = analysis.recent_trends(snapshot_table, "obesity", [ENG])
        assert recent["method"].iloc[0].startswith("weighted least squares")
