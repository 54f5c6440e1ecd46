"""What the suite analyses: the core indicators (with polarity) and the C&W areas.

Polarity follows Fingertips' ids: ``1`` RAG, high is good; ``0`` RAG, low is good;
``99`` BOB (no judgement, "Higher"/"Lower"); ``-1`` not applicable (never compared).
Each entry says where its polarity comes from.
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

#: Fingertips ids of the two indicators whose difference is the window of need.
LIFE_EXPECTANCY_ID = 90366
HEALTHY_LIFE_EXPECTANCY_ID = 90362


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
)

EXTRA_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "cvd_preventable_mortality", 93722,
        "Under 75 mortality rate from cardiovascular diseases considered preventable",
        "Preventable CVD mortality <75", "per 100,000", "rate", POLARITY_LOW_IS_GOOD,
        "Fingertips RAG low-is-good (a mortality rate)",
    ),
    IndicatorSpec(
        "sii_life_expectancy", 92901,
        "Slope index of inequality in life expectancy at birth",
        "SII in life expectancy", "years", "life expectancy", POLARITY_LOW_IS_GOOD,
        "A smaller gap between the most and least deprived is less inequality, the aim of both "
        "founding documents; psychty_la_ph_walkthrough/ut_data_meta_extract.json classes 92901 "
        "'Lower is better'. Fingertips' own polarity for 92901 is in no offline extract",
        ("Male", "Female"),
    ),
)

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
