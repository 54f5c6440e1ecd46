"""Every docstring example in the package runs as written, module by module.

``--doctest-modules`` runs them too; this test also checks that the examples are found at all,
so that moving code cannot make the check pass by running nothing.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cw_pophealth

MODULES = sorted(m.name for m in pkgutil.walk_packages(cw_pophealth.__path__, "cw_pophealth."))
#: Modules whose public methods are documented with runnable examples.
WITH_EXAMPLES = ["cw_pophealth.stats.intervals", "cw_pophealth.stats.comparisons",
                 "cw_pophealth.stats.life_expectancy", "cw_pophealth.stats.inequality",
                 "cw_pophealth.stats.quantiles",
                 "cw_pophealth.stats.trend", "cw_pophealth.stats.dsr", "cw_pophealth.periods",
                 "cw_pophealth.fingertips.cache", "cw_pophealth.fingertips.parse",
                 "cw_pophealth.atomic", "cw_pophealth.catalogue"]


def run_examples(name: str) -> doctest.TestResults:
    module = importlib.import_module(name)
    return doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                           verbose=False, report=False)


def test_every_subpackage_is_walked():
    assert {"cw_pophealth.stats.intervals", "cw_pophealth.fingertips.http",
            "cw_pophealth.analysis.benchmark", "cw_pophealth.runner.run"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_each_module_pass(name):
    assert run_examples(name).failed == 0


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_documented_modules_have_examples_that_run(name):
    assert run_examples(name).attempted > 0
