"""What the suite analyses: the core indicators (with polarity) and the C&W areas.

Polarity follows Fingertips' ids: ``1`` RAG, high is good; ``0`` RAG, low is good;
``99`` BOB (no judgement, "Higher"/"Lower"); ``-1`` not applicable (never compared).
Each entry says where its polarity comes from.

Indicator ids
-------------
Fingertips indicator ids are positive integers. A series that is **not** a Fingertips
indicator (or not provably one) gets a **local id below zero**, which can never collide with a
Fingertips id; :func:`is_local_indicator` tells them apart. Local ids in use:

``-1001`` (:data:`LOCAL_HEALTH_LE_ID`)
    OHID Local Health life expectancy at birth, 5-year pooled, period not stated in the file.
    Kept in its own undated table (``snapshot.load_local_estimates``), never in the tidy
    indicator table and never as 90366.
``-1002`` (:data:`ONS_APS_SMOKING_ID`)
    ONS APS adults who currently smoke cigarettes (annual): a second smoking source, not 92443.
"""

from __future__ import annotations

from dataclasses import dataclass

# Fingertips polarity ids (fingertips-open PholioObjects/PolarityIds.cs).
POLARITY_HIGH_IS_GOOD = 1
POLARITY_LOW_IS_GOOD = 0
POLARITY_NO_JUDGEMENT = 99
POLARITY_NOT_APPLICABLE = -1

# Fingertips area-type ids in use (names as in the Pholio area_type table).
AREA_TYPE_ENGLAND = 15
AREA_TYPE_REGION = 6
AREA_TYPE_DISTRICT_UA = 501  # "Districts & UAs (from Apr 2023)"
AREA_TYPE_COUNTY_UA = 502  # "Counties & UAs (from Apr 2023)"

ENGLAND = "E92000001"
WEST_MIDLANDS = "E12000005"
COVENTRY = "E08000026"
WARWICKSHIRE = "E10000031"
WARWICKSHIRE_DISTRICTS = ("E07000218", "E07000219", "E07000220", "E07000221", "E07000222")

#: NHS Coventry and Warwickshire Integrated Care Board.
COVENTRY_AND_WARWICKSHIRE_ICB = "E54000018"

#: Fingertips ids of the two indicators whose difference is the window of need.
LIFE_EXPECTANCY_ID = 90366
HEALTHY_LIFE_EXPECTANCY_ID = 90362
#: Fingertips slope index of inequality in life expectancy at birth (Male/Female).
LE_INEQUALITY_SII_ID = 92901
#: Fingertips admission episodes for alcohol-related conditions (narrow measure).
ALCOHOL_ADMISSIONS_ID = 91414
#: Local ids (below zero: never a Fingertips id; see the module docstring).
LOCAL_HEALTH_LE_ID = -1001
ONS_APS_SMOKING_ID = -1002


@dataclass(frozen=True)
class IndicatorSpec:
    """One core indicator: its Fingertips id, how to read it and which way is better.

    Attributes
    ----------
    key : str
        Short stable name used in parameters and file names (``"smoking"``).
    indicator_id : int
        Fingertips indicator id.
    name : str
        Fingertips indicator name.
    short_name : str
        Label for charts.
    unit : str
        Unit as shown on axes (``"%"``, ``"years"``).
    value_type : str
        ``"proportion"``, ``"life expectancy"``, ``"rate"``: chooses CI and trend methods.
    polarity : int
        Fingertips polarity id (see module docstring).
    polarity_source : str
        Evidence for the polarity.
    sexes : tuple of str
        Sexes the indicator is published for.
    """

    key: str
    indicator_id: int
    name: str
    short_name: str
    unit: str
    value_type: str
    polarity: int
    polarity_source: str
    sexes: tuple[str, ...] = ("Persons",)


CORE_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "life_expectancy", LIFE_EXPECTANCY_ID, "Life expectancy at birth", "Life expectancy",
        "years", "life expectancy", POLARITY_HIGH_IS_GOOD,
        "Fingertips RAG high-is-good; published labels in trafford_themes/life_expectancy.csv "
        "('Better' above England)", ("Male", "Female"),
    ),
    IndicatorSpec(
        "healthy_life_expectancy", HEALTHY_LIFE_EXPECTANCY_ID, "Healthy life expectancy at birth",
        "Healthy life expectancy", "years", "life expectancy", POLARITY_HIGH_IS_GOOD,
        "Reproduces all 2,048 published Fingertips 'Compared to England' labels in "
        "trafford_themes/healthy_life_expectancy.csv (FingertipsNext's mock indicators.csv says "
        "'Low is good', which those labels contradict)", ("Male", "Female"),
    ),
    IndicatorSpec(
        "smoking", 92443,
        "Smoking Prevalence in adults (aged 18 and over) - current smokers (APS)",
        "Adult smoking", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good (ONS ELS cigarette smokers: Polarity -1, lower is better)",
    ),
    IndicatorSpec(
        "physical_inactivity", 93015, "Percentage of physically inactive adults",
        "Physically inactive adults", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "fingertipsnext/indicators.csv: 'Low is good'",
    ),
    IndicatorSpec(
        "overweight", 93088,
        "Overweight (including obesity) prevalence in adults, (using adjusted self-reported "
        "height and weight)",
        "Overweight or obese adults", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "fingertipsnext/indicators.csv: 'Low is good'",
    ),
    IndicatorSpec(
        "obesity", 93881, "Percentage of adults (aged 18 plus) classified as obese",
        "Obese adults", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good, as for overweight (93088)",
    ),
    IndicatorSpec(
        "alcohol", 92778, "Percentage of adults drinking over 14 units of alcohol a week",
        "Adults drinking >14 units/week", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good. No offline extract holds it, so it comes only from the "
        "live API",
    ),
    IndicatorSpec(
        "alcohol_admissions", ALCOHOL_ADMISSIONS_ID,
        "Admission episodes for alcohol-related conditions (Narrow)",
        "Alcohol-related admissions (narrow)", "per 100,000", "rate", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good: in trafford_dashboard_alcohol/alcohol_related_admissions."
        "csv every one of the 1,461 areas-years labelled 'Better' is below England's value for "
        "that year and every one of the 964 labelled 'Worse' is above it. A harm measure "
        "(hospital admissions), not alcohol consumption",
    ),
)

EXTRA_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "cvd_preventable_mortality", 93722,
        "Under 75 mortality rate from cardiovascular diseases considered preventable",
        "Preventable CVD mortality <75", "per 100,000", "rate", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good (a mortality rate)",
    ),
    IndicatorSpec(
        "smoking_ons_aps", ONS_APS_SMOKING_ID,
        "Adults (18+) who currently smoke cigarettes, annual (ONS APS, not Fingertips 92443)",
        "Adult cigarette smoking (ONS APS)", "%", "proportion", POLARITY_LOW_IS_GOOD,
        "ons_els/cigarette-smokers_annual_2025-10-06.csv: Polarity -1 (lower is better) on all "
        "5,100 rows",
    ),
    IndicatorSpec(
        "sii_life_expectancy", LE_INEQUALITY_SII_ID,
        "Slope index of inequality in life expectancy at birth",
        "SII in life expectancy", "years", "life expectancy", POLARITY_LOW_IS_GOOD,
        "A smaller gap between the most and least deprived is less inequality, the aim of both "
        "founding documents; psychty_la_ph_walkthrough/ut_data_meta_extract.json classes 92901 "
        "'Lower is better'. Fingertips' own polarity for 92901 is in no offline extract",
        ("Male", "Female"),
    ),
)


#: Labelled second sources: a series shown beside a Fingertips indicator where that indicator is
#: missing, never in its place (Fingertips id -> local id).
SECOND_SOURCES: dict[int, int] = {92443: ONS_APS_SMOKING_ID}


def is_local_indicator(indicator_id: object) -> bool:
    """True for a local (non-Fingertips) indicator id: every such id is below zero.

    Examples
    --------
    >>> is_local_indicator(ONS_APS_SMOKING_ID), is_local_indicator(92443)
    (True, False)
    """
    return int(str(indicator_id)) < 0


def all_indicators() -> tuple[IndicatorSpec, ...]:
    """Return the core and extra indicators, core first."""
    return CORE_INDICATORS + EXTRA_INDICATORS


def indicator_spec(key_or_id: object) -> IndicatorSpec:
    """Look up an indicator by key (``"smoking"``) or Fingertips id (``92443``).

    Raises
    ------
    cw_pophealth.errors.UnknownIndicatorError
        If neither a key nor an id matches; the message lists the valid keys.

    Examples
    --------
    >>> indicator_spec("smoking").indicator_id
    92443
    >>> indicator_spec(90366).key
    'life_expectancy'
    """
    from cw_pophealth.errors import UnknownIndicatorError

    for spec in all_indicators():
        if key_or_id == spec.key or str(key_or_id) == str(spec.indicator_id):
            return spec
    valid = ", ".join(f"{s.key} ({s.indicator_id})" for s in all_indicators())
    raise UnknownIndicatorError(
        f"Unknown indicator {key_or_id!r}. Use one of: {valid}; or any Fingertips id via "
        "cw_pophealth.fingertips.indicators() to search."
    )


#: What each indicator measures, in plain words, for the glossary and data dictionary
#: (:func:`cw_pophealth.report.glossary_html`); from the Fingertips indicator definitions.
DEFINITIONS: dict[str, str] = {
    "life_expectancy": (
        "The average number of years a person would expect to live from birth if they "
        "experienced the area's death rates at each age in the period. Three-year rolling "
        "periods (e.g. 2021 - 23), by sex."),
    "healthy_life_expectancy": (
        "The average number of years a person would expect to live from birth in good "
        "health (self-reported 'very good' or 'good' general health), given the area's death "
        "rates and the prevalence of good health at each age in the period. ONS, three-year "
        "periods, by sex."),
    "smoking": (
        "Percentage of adults aged 18 and over who are current smokers, from the ONS Annual "
        "Population Survey (APS). Published by calendar year (e.g. 2022)."),
    "physical_inactivity": (
        "Percentage of adults aged 19 and over who do less than 30 moderate intensity "
        "equivalent minutes of physical activity a week (Sport England Active Lives Adult "
        "Survey). Survey years run November to November and are labelled like financial "
        "years (e.g. 2022/23)."),
    "overweight": (
        "Percentage of adults aged 18 and over classified as overweight or obese (body mass "
        "index 25 or more), from self-reported height and weight adjusted for reporting bias "
        "(Active Lives Adult Survey)."),
    "obesity": (
        "Percentage of adults aged 18 and over classified as obese (body mass index 30 or "
        "more), from adjusted self-reported height and weight (Active Lives Adult Survey)."),
    "alcohol": (
        "Percentage of adults drinking over 14 units of alcohol a week, the UK Chief Medical "
        "Officers' low-risk guideline: a consumption measure. No offline extract holds it; a "
        "live pull fetches it."),
    "alcohol_admissions": (
        "Admission episodes for alcohol-related conditions, narrow measure: hospital "
        "admissions whose primary diagnosis is alcohol-related, or with an alcohol-related "
        "external cause as a secondary diagnosis. Directly age-standardised rate per 100,000 "
        "population, by financial year: a harm measure, not consumption."),
    "cvd_preventable_mortality": (
        "Deaths under 75 from cardiovascular diseases considered preventable, directly "
        "age-standardised rate per 100,000 population, three-year pooled periods."),
    "smoking_ons_aps": (
        "ONS Annual Population Survey: percentage of adults aged 18 and over who currently "
        "smoke cigarettes, by calendar year. A second source shown beside Fingertips 92443, "
        "never in its place (the two differ after the 2020 survey reweighting)."),
    "sii_life_expectancy": (
        "Slope index of inequality in life expectancy at birth: the gap in years between the "
        "most and the least deprived ends of the area, from life expectancy in each "
        "deprivation decile of its neighbourhoods (LSOAs). Three-year periods, by sex."),
}

#: Plain-word meanings of the terms the reports use, for the glossary.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Window of need", "Life expectancy minus healthy life expectancy: the years a person "
     "can expect to live in not-good health, for the same area, sex, period and release."),
    ("95% confidence interval (CI)", "The range within which the true value is expected to "
     "lie, given the random variation in the data; shown as whiskers or shading where the "
     "data publish it. Two areas whose intervals overlap may not differ."),
    ("Benchmark", "The area every value is compared with (England unless a report names "
     "another)."),
    ("Polarity", "Which way is better for an indicator: high is good (life expectancy), low "
     "is good (smoking, obesity), or no judgement (Higher/Lower only)."),
    ("Better / Similar / Worse", "The comparison with the benchmark (Fingertips method): "
     "Similar if the area's 95% CI contains the benchmark's value, otherwise Better or Worse "
     "by the indicator's polarity. Where the data carry no CI, the label Fingertips "
     "published is shown."),
    ("Higher / Lower", "The comparison for an indicator with no judgement of which way is "
     "better."),
    ("Not compared", "No value, no benchmark value for the same period, or the benchmark "
     "itself."),
    ("Period", "The time a value covers: a calendar year (2022), a financial year (2022/23) "
     "or a rolling three-year period (2021 - 23). 'Latest' means each area's own latest "
     "period with a value."),
    ("Release", "The publication a value comes from. An earlier release (more than a year "
     "older than the indicator's newest) is hatched in figures and named in the legend; a "
     "value replaced by a later release is kept as superseded, never shown as current."),
    ("Slope index of inequality (SII)", "The gap, in the indicator's units, between the most "
     "and least deprived ends of an area's population, read off a line fitted across its "
     "deprivation deciles."),
    ("Relative index of inequality (RII)", "The same comparison as the SII, as a ratio."),
    ("Spine chart", "Each indicator's range across areas of the same type (worst to best, "
     "and the 25th to 75th percentile), centred on the benchmark, with better to the right."),
    ("— (reason)", "A value not in the data: shown as a dash with the reason, never filled "
     "in."),
)


def definition(key_or_id: object) -> str:
    """The plain-word definition of an indicator ("" when the catalogue has none).

    Examples
    --------
    >>> definition("obesity").startswith("Percentage of adults aged 18 and over")
    True
    """
    return DEFINITIONS.get(indicator_spec(key_or_id).key, "")


POLARITY_WORDS: dict[int, str] = {
    POLARITY_HIGH_IS_GOOD: "high is good",
    POLARITY_LOW_IS_GOOD: "low is good",
    POLARITY_NO_JUDGEMENT: "no judgement",
    POLARITY_NOT_APPLICABLE: "not compared",
}
