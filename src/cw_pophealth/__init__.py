"""cw_pophealth: population-health analytics from OHID Fingertips data."""
__version__ = "0.1.0"
