"""DEAP draws from a local random.Random: Python's global RNG is never seeded or advanced."""

from __future__ import annotations

import random

import deap.gp
import deap.tools.selection

from heurevo.engine.controller import seeded


def test_seeded_leaves_the_global_rng_alone_and_repeats() -> None:
    random.seed(12345)
    state = random.getstate()
    seen = []

    def draw(rng: random.Random) -> list[float]:
        seen.append(random.getstate() == state)  # not reseeded for the call
        return [deap.gp.random.random(), deap.tools.selection.random.choice([1, 2, 3]), rng.random()]

    first, second = seeded(7, draw), seeded(7, draw)
    assert first == second and seen == [True, True]
    assert random.getstate() == state  # nothing drawn from the global one
    reference = random.Random(7)
    assert first == [reference.random(), reference.choice([1, 2, 3]), reference.random()]
    assert deap.gp.random is random and deap.tools.selection.random is random  # restored


def test_gp_proposals_are_deterministic_per_seed() -> None:
    from heurevo.engine.proposers.gp import GPProposer
    from heurevo.populations.records import (
        Candidate,
        EvalStatus,
        EvaluationResult,
        Member,
        ProposalRequest,
        Stage,
    )
    from heurevo.solvers.problem import get_problem

    slots = get_problem("tsp").slots()
    defaults = {n: s.default_source for n, s in slots.items()}
    parent = Member(Candidate.new("tsp", defaults, operator="d", proposer="d"),
                    EvaluationResult("p", EvalStatus.OK, Stage.FULL, fitness=1.0))

    def proposals() -> list[str]:
        prop = GPProposer(slots)
        return [prop.propose(ProposalRequest("tsp", ("penalize_edges",), op, (parent,) * arity,
                                             defaults, seed=s, generation=0)).sources["penalize_edges"]
                for s in range(5) for op, arity in prop.operators.items()]

    random.seed(1)
    a = proposals()
    random.seed(2)  # the global RNG plays no part
    assert proposals() == a and len(set(a)) > 5
