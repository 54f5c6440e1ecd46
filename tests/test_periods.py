"""Tests for cw_pophealth.periods: period labels and the dates they cover."""

from __future__ import annotations

import pandas as pd
import pytest

from cw_pophealth import periods


class TestParsePeriod:
    @pytest.mark.parametrize(
        ("label", "start", "end"),
        [
            pytest.param("2023", "2023-01-01", "2023-12-31", id="calendar year"),
            pytest.param("2022/23", "2022-04-01", "2023-03-31", id="financial year"),
            pytest.param("2021 - 23", "2021-01-01", "2023-12-31", id="3-year rolling"),
            pytest.param("2009-11", "2009-01-01", "2011-12-31", id="range without spaces"),
            pytest.param("1999 - 01", "1999-01-01", "2001-12-31", id="range across a century"),
            pytest.param("2015/16 - 17/18", "2015-04-01", "2018-03-31", id="financial range"),
            pytest.param("2019/20 Q4", "2020-01-01", "2020-03-31", id="financial quarter"),
            pytest.param("2022-11-16/P1Y", "2022-11-16", "2023-11-15", id="ISO one year"),
            pytest.param("2021-01-01/P3Y", "2021-01-01", "2023-12-31", id="ISO three years"),
            pytest.param("May 2017", "2017-05-01", "2017-05-31", id="one month"),
            pytest.param("Mar 2015 - Feb 2016", "2015-03-01", "2016-02-29", id="months"),
            pytest.param("Aug 2017 - Jul 2018", "2017-08-01", "2018-07-31", id="months, Aug"),
        ],
    )
    def test_label_gives_first_and_last_day(self, label, start, end):
        assert periods.parse_period(label) == (pd.Timestamp(start), pd.Timestamp(end))

    def test_an_unknown_month_is_quoted_in_the_error(self):
        with pytest.raises(ValueError, match="'Smarch 2020'"):
            periods.parse_period("Smarch 2020")

    def test_unknown_label_is_quoted_in_the_error(self):
        with pytest.raises(ValueError, match="'Spring 2020'"):
            periods.parse_period("Spring 2020")


class TestFingertipsPeriodLabel:
    @pytest.mark.parametrize(
        ("iso", "label"),
        [("2021-01-01/P3Y", "2021 - 23"), ("2022-11-16/P1Y", "2022/23"),
         ("2019-01-01/P1Y", "2019"), ("2098-01-01/P3Y", "2098 - 00")],
    )
    def test_iso_period_gets_the_fingertips_label(self, iso, label):
        assert periods.fingertips_period_label(iso) == label


class TestAddPeriodBounds:
    def test_each_row_gets_the_bounds_of_its_own_label_and_a_missing_label_gets_none(self):
        frame = pd.DataFrame({"period": pd.array(["2022/23", None, "2021 - 23", "2022/23"],
                                                 dtype="string")})
        out = periods.add_period_bounds(frame)
        assert out["period_start"].tolist()[::2] == [pd.Timestamp(2022, 4, 1),
                                                    pd.Timestamp(2021, 1, 1)]
        assert out["period_end"].tolist()[::2] == [pd.Timestamp(2023, 3, 31),
                                                  pd.Timestamp(2023, 12, 31)]
        assert out["period_start"][3] == pd.Timestamp(2022, 4, 1)
        assert pd.isna(out["period_start"][1]) and pd.isna(out["period_end"][1])

    def test_a_frame_with_no_labels_gets_empty_bounds(self):
        out = periods.add_period_bounds(pd.DataFrame({"period": pd.array([], dtype="string")}))
        assert list(out.columns) == ["period", "period_start", "period_end"]
        assert out.empty


class TestIsRollingPeriod:
    def test_three_year_period_is_rolling(self):
        assert periods.is_rolling_period("2021 - 23")

    def test_single_financial_year_is_not_rolling(self):
        assert not periods.is_rolling_period("2022/23")


class TestFingertipsRangeLabel:
    @pytest.mark.parametrize(("label", "expected"), [
        ("2016-18", "2016 - 18"), ("2016 - 18", "2016 - 18"), ("2017/18", "2017/18"),
        ("2018", "2018"),
    ])
    def test_only_calendar_ranges_change(self, label, expected):
        assert periods.fingertips_range_label(label) == expected
