"""Contract suites every registered problem and proposer must pass (like Optuna's ``testing``).

:mod:`heurevo.testing.contracts` holds the checks as plain functions (they raise
``AssertionError``); :mod:`heurevo.testing.suite` turns them into pytest tests parametrised over
every registered problem and proposer, entry-point plug-ins included. A plug-in author runs
them against their own problem with::

    pytest --pyargs heurevo.testing.suite -k binpacking

or imports the test functions into a test module of their own.
"""

from heurevo.testing.contracts import PROBLEM_CHECKS, PROPOSER_CHECKS

__all__ = ["PROBLEM_CHECKS", "PROPOSER_CHECKS"]
