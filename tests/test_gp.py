"""GP proposer: typed trees become ordinary slot code that passes the checks and compiles."""

from __future__ import annotations

import pytest
from deap import gp

from heurevo.engine.checks import static_check
from heurevo.engine.proposers.base import ProposalError
from heurevo.engine.proposers.gp import GPProposer, build_pset, parse_tree, render, tree_of
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    Member,
    ProposalRequest,
    Stage,
)
from heurevo.solvers.compile import compile_slot
from heurevo.solvers.problem import get_problem
from heurevo.solvers.slots import GPHole, Slot

TEMPLATE = """def combine(h, o, age):
    return GP_EXPR
"""
HOLE = GPHole(template=TEMPLATE, inputs=("h", "o", "age"), default="add(h, o)")
SLOT = Slot(problem="demo", name="combine", signature="float64(float64, float64, float64)",
            arg_names=("h", "o", "age"), contract="Combine two scores.",
            default_source=TEMPLATE.replace("GP_EXPR", "h + o"), extra={"gp_hole": HOLE})


TEMPLATE2 = """def gp_a(h, o, age):
    return GP_EXPR


def gp_b(h, o, age):
    return GP_INC


def combine(h, o, age):
    return gp_a(h, o, age) - gp_b(h, o, age)
"""
HOLE2 = GPHole(template=TEMPLATE2, inputs=("h", "o", "age"), default="join(add(h, o), 0.0)",
               markers=("GP_EXPR", "GP_INC"))
SLOT2 = Slot(problem="demo", name="combine", signature="float64(float64, float64, float64)",
             arg_names=("h", "o", "age"), contract="Combine two scores.",
             default_source=TEMPLATE.replace("GP_EXPR", "h + o"), extra={"gp_hole": HOLE2})


def request(op: str, parents: tuple[str, ...] = (), seed: int = 1, slot: Slot = SLOT) -> ProposalRequest:
    members = tuple(
        Member(c := Candidate.new("demo", {"combine": src}),
               EvaluationResult(c.id, EvalStatus.OK, Stage.MINIBATCH, fitness=0.5))
        for src in parents)
    return ProposalRequest("demo", ("combine",), op, members, {"combine": slot.default_source}, seed, 0)


def test_parse_and_render_round_trip() -> None:
    pset = build_pset(HOLE)
    text = "if_else(gt(h, 0.5), mul(o, 2.0), pdiv(age, -0.00125))"
    tree = parse_tree(text, pset)
    assert str(tree) == text
    src = render(HOLE, tree)
    assert tree_of(src, HOLE, pset) == tree
    fn = compile_slot(SLOT, src).function
    assert fn(1.0, 3.0, 0.0) == 6.0 and fn(0.0, 3.0, 1.0) == pytest.approx(-800.0)


@pytest.mark.parametrize("bad", ["add(h)", "add(h, o", "foo(h)", "gt(h, o)", "add(h, o) x",
                                 "__import__('os')", "add(h, o); 1"])
def test_parser_refuses_bad_trees(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_tree(bad, build_pset(HOLE))


def test_two_marker_hole_round_trip() -> None:
    pset = build_pset(HOLE2)
    text = "join(mul(h, 2.0), sub(age, 0.5))"
    tree = parse_tree(text, pset)
    src = render(HOLE2, tree)
    assert "GP_" not in src and tree_of(src, HOLE2, pset) == tree
    assert compile_slot(SLOT2, src).function(1.0, 0.0, 3.0) == pytest.approx(2.0 - 2.5)
    with pytest.raises(ValueError):
        parse_tree("mul(h, 2.0)", pset)  # a two-marker hole needs a join at the root


@pytest.mark.parametrize("slot", [SLOT, SLOT2], ids=["one-marker", "two-markers"])
def test_offspring_pass_checks_and_compile_for_every_operator(slot: Slot) -> None:
    gpp = GPProposer({"combine": slot})
    hole = slot.extra["gp_hole"]
    parent_a = gpp.propose(request("init", seed=3, slot=slot)).sources["combine"]
    parent_b = gpp.propose(request("init", seed=4, slot=slot)).sources["combine"]
    seen = set()
    for op in ("init", "mutate", "crossover", "tune"):
        for seed in range(15):
            prop = gpp.propose(request(op, (parent_a, parent_b), seed, slot))
            src = prop.sources["combine"]
            if src in seen:
                continue  # checked and compiled already
            report = static_check(slot, src)
            assert report.ok, report.feedback() + "\n" + src
            fn = compile_slot(slot, src).function
            assert isinstance(fn(1.0, 2.0, 3.0), float)
            assert tree_of(src, hole, gpp.psets["combine"]).height <= gpp.config.max_height
            seen.add(src)
    assert len(seen) > 20  # variation actually varies


@pytest.mark.parametrize("problem", ["pbo", "tsp"])
def test_registered_hole_defaults_render_to_valid_slots(problem: str) -> None:
    slots = get_problem(problem).slots()
    holed = {n: s for n, s in slots.items() if "gp_hole" in s.extra}
    assert holed
    for slot in holed.values():
        hole = slot.extra["gp_hole"]
        src = render(hole, parse_tree(hole.default, build_pset(hole)))
        assert static_check(slot, src).ok, src
        compile_slot(slot, src)


def test_deterministic_for_a_seed() -> None:
    gpp = GPProposer({"combine": SLOT})
    a = [gpp.propose(request("init", seed=s)).sources for s in range(5)]
    b = [gpp.propose(request("init", seed=s)).sources for s in range(5)]
    assert a == b


def test_mutation_of_non_gp_parent_starts_from_default() -> None:
    gpp = GPProposer({"combine": SLOT})
    tree = tree_of(SLOT.default_source, HOLE, gpp.psets["combine"])
    assert str(tree) == "add(h, o)" and isinstance(tree, gp.PrimitiveTree)


def test_offspring_never_repeat_the_default_expression() -> None:
    """A default clone (e.g. tuning a tree without constants) re-measures only seed noise."""
    gpp = GPProposer({"combine": SLOT})
    for op in ("mutate", "tune", "crossover"):
        for seed in range(10):
            try:
                src = gpp.propose(request(op, (SLOT.default_source,), seed)).sources["combine"]
            except ProposalError:
                continue  # allowed: nothing but the default came out
            assert str(tree_of(src, HOLE, gpp.psets["combine"])) != HOLE.default
    with pytest.raises(ProposalError, match="only the default"):
        gpp.propose(request("tune", (SLOT.default_source,), 1))  # add(h, o) has no constant


def test_behavioural_clones_of_the_default_are_recognised() -> None:
    from heurevo.engine.proposers.gp import same_expression
    from heurevo.solvers.pbo.holes import PENALTY_HARD, UPDATE_WEIGHTS

    pset = build_pset(PENALTY_HARD)
    default = parse_tree(PENALTY_HARD.default, pset)
    for clone in ("pdiv(if_else(lt(0.5, 0.1), mul(a, 1.0), weight), a)", "pdiv(mul(1.0, weight), a)"):
        assert same_expression(parse_tree(clone, pset), default, pset, PENALTY_HARD.inputs)
    for other in ("pdiv(weight, sqrt_abs(a))", "pdiv(weight, fmax(a, 2.0))", "mul(weight, a)"):
        assert not same_expression(parse_tree(other, pset), default, pset, PENALTY_HARD.inputs)
    pw = build_pset(UPDATE_WEIGHTS)
    assert same_expression(parse_tree("join(1.0, fmin(1.0, 10.0))", pw), parse_tree("join(1.0, 1.0)", pw),
                           pw, UPDATE_WEIGHTS.inputs)
    assert not same_expression(parse_tree("join(1.0, 2.0)", pw), parse_tree("join(1.0, 1.0)", pw),
                               pw, UPDATE_WEIGHTS.inputs)
