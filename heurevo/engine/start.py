"""The starting artifact: the candidate a run's first generation is made of (``start`` in the
run config; a registry, :data:`STARTS`).

- ``default``: the slots' default heuristics (the engine's behaviour without the knob).
- ``empty``: every expression hole of each evolved slot holds the constant 0.0: the decision
  reduced to a constant (no penalty scaling, no score preference, no weight growth, no random
  pick), the simplest body that still compiles and passes the slot's checks.
- ``random``: every evolved slot's hole holds a random GP tree (DEAP's half-and-half, the GP
  proposer's ``init``), seeded by the run seed. The same for every proposer: an LLM run starts
  from the random expression a GP run with that seed starts from, so a start × proposer
  ablation compares like with like, and no model is asked for a "random" heuristic.

Whatever the start, the guard compares the reported best with the default heuristic: the run
loop evaluates the default on train first (one evaluation of the budget, never a member of the
population) and on validation. ``empty`` and ``random`` need an expression hole
(``slot.extra["gp_hole"]``) in every evolved slot; a slot without one is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from heurevo.engine.evaluate import derive_seed
from heurevo.engine.proposers.gp import JOIN, GPConfig, GPProposer, build_pset, parse_tree, render
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate, ProposalRequest
from heurevo.registry import Registry
from heurevo.solvers.slots import GPHole, Slot


@dataclass(frozen=True)
class StartContext:
    """What a start needs: the problem's slots, the evolved ones, the run seed, GP's sizes."""

    problem: str
    slots: Mapping[str, Slot]
    evolved: tuple[str, ...]
    seed: int
    gp: GPConfig = field(default_factory=GPConfig)


#: A start's sources for the evolved slots (empty: the defaults) and the idea recorded with them.
StartFn = Callable[[StartContext], tuple[dict[str, str], str]]
STARTS: Registry[StartFn] = Registry("start")


def _holes(ctx: StartContext, start: str) -> dict[str, GPHole]:
    missing = [n for n in ctx.evolved if "gp_hole" not in ctx.slots[n].extra]
    if missing:
        raise ConfigError(f"'{start}' fills each evolved slot's expression hole; "
                          f"{', '.join(missing)} has none (evolve slots with holes, or start = "
                          "'default')", key="start")
    return {n: ctx.slots[n].extra["gp_hole"] for n in ctx.evolved}


def _default(ctx: StartContext) -> tuple[dict[str, str], str]:
    return {}, ""


def _empty(ctx: StartContext) -> tuple[dict[str, str], str]:
    out = {}
    for name, hole in _holes(ctx, "empty").items():
        zeros = ", ".join("0.0" for _ in hole.markers)
        tree = parse_tree(zeros if len(hole.markers) == 1 else f"{JOIN}({zeros})", build_pset(hole))
        out[name] = render(hole, tree)
    return out, "start: every expression hole of the evolved slots set to 0.0"


def _random(ctx: StartContext) -> tuple[dict[str, str], str]:
    _holes(ctx, "random")
    proposer = GPProposer({n: ctx.slots[n] for n in ctx.evolved}, ctx.gp)
    request = ProposalRequest(ctx.problem, ctx.evolved, "init", (), {},
                              seed=derive_seed(ctx.seed, "start", "random"), generation=0)
    proposal = proposer.propose(request)
    return proposal.sources, f"start: random GP trees ({proposal.idea})"


STARTS.register("default", _default, "the slots' default heuristics")
STARTS.register("empty", _empty, "the constant 0.0 in every expression hole of the evolved slots")
STARTS.register("random", _random, "a random GP tree in every expression hole of the evolved "
                "slots (seeded by the run seed; the same for every proposer)")


def start_candidate(start: str, ctx: StartContext, default: Candidate) -> Candidate:
    """The first generation's candidate: ``default`` itself for ``start = 'default'``, else the
    default with the evolved slots' sources replaced (operator and proposer ``start``)."""
    try:
        make = STARTS.get(start)
    except KeyError as exc:
        raise ConfigError(str(exc), key="start") from None
    sources, idea = make(ctx)
    if not sources:
        return default
    return Candidate.new(ctx.problem, {**default.sources, **sources}, operator=start,
                         proposer="start", idea=idea)
