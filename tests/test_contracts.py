"""heurevo's contract suites over every registered problem and proposer (plug-ins included)."""

from heurevo.testing.suite import test_problem_contract, test_proposer_contract

__all__ = ["test_problem_contract", "test_proposer_contract"]
