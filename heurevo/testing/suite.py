"""The contract suites as pytest tests, over every registered problem and proposer.

Import the two test functions into a test module, or run ``pytest --pyargs
heurevo.testing.suite``; ``-k NAME`` picks one problem or proposer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.engine.proposers.base import PROPOSERS
from heurevo.solvers.problem import PROBLEMS
from heurevo.testing.contracts import PROBLEM_CHECKS, PROPOSER_CHECKS, ContractSkip


def _cases(names: list[str], checks: dict) -> list:
    return [pytest.param(name, check, id=f"{name}-{check}") for name in names for check in checks]


@pytest.mark.parametrize(("problem", "check"), _cases(PROBLEMS.names(), PROBLEM_CHECKS))
def test_problem_contract(problem: str, check: str, tmp_path: Path) -> None:
    """Every registered problem passes every problem check."""
    try:
        PROBLEM_CHECKS[check](problem, tmp_path)
    except ContractSkip as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize(("proposer", "check"), _cases(PROPOSERS.names(), PROPOSER_CHECKS))
def test_proposer_contract(proposer: str, check: str, tmp_path: Path) -> None:
    """Every registered proposer passes every proposer check."""
    try:
        PROPOSER_CHECKS[check](proposer, tmp_path)
    except ContractSkip as exc:
        pytest.skip(str(exc))
