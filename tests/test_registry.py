"""Registries refuse duplicates and explain unknown names."""

import pytest

from heurevo.errors import DuplicateNameError, UnknownNameError
from heurevo.registry import Registry


def test_register_get_and_describe() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("b", 2, "the b")
    reg.register("a", 1, "the a")
    assert reg.get("a") == 1 and "b" in reg and len(reg) == 2
    assert reg.names() == ["a", "b"] and reg.in_order() == [2, 1]
    assert reg.describe() == "a: the a\nb: the b"


def test_duplicate_raises() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("a", 1)
    with pytest.raises(DuplicateNameError, match="thing 'a' is already registered"):
        reg.register("a", 2)


def test_unknown_lists_known() -> None:
    reg: Registry[int] = Registry("suite")
    reg.register("x", 1)
    with pytest.raises(UnknownNameError, match="unknown suite 'y'; known: x"):
        reg.get("y")


def test_decorator_uses_docstring() -> None:
    reg: Registry[object] = Registry("fn")

    @reg.decorator("f")
    def f() -> None:
        """Does f.

        More text."""

    assert reg.get("f") is f and reg.describe() == "f: Does f."


def test_lazy_reference_is_imported_on_first_lookup() -> None:
    reg: Registry[object] = Registry("thing")
    reg.register_lazy("join", "os.path:join", "path join")
    assert reg.names() == ["join"] and reg.describe() == "join: path join"
    import os.path

    assert reg.get("join") is os.path.join
    with pytest.raises(DuplicateNameError, match="refusing"):
        reg.register("join", 1)


def test_built_in_tables_come_from_the_registries() -> None:
    from heurevo.engine.proposers.base import PROPOSERS, proposer_class
    from heurevo.solvers.problem import PROBLEMS, problem_for_suffix, problem_info

    assert {"pbo", "tsp"} <= set(PROBLEMS.names())
    assert problem_for_suffix(".WBO") is problem_info("pbo")
    assert problem_for_suffix(".nope") is None
    assert {"gp", "llm", "autopbo"} <= set(PROPOSERS.names())
    assert proposer_class("gp").operators["crossover"] == 2
