"""Offline proposer: strongly typed genetic programming (DEAP) over a slot's expression holes.

A slot that supports GP declares a :class:`~heurevo.solvers.slots.GPHole` in
``slot.extra["gp_hole"]``: its default
source with a marker where an expression goes (the score combination, the weight increment, the
edge utility...), the float variables in scope there, and the default expression. GP evolves
typed expression trees (float arithmetic, comparisons, conditionals) with DEAP's init, subtree
crossover, uniform/node-replacement mutation and a height limit, and emits ordinary Python: the
template with the expression filled in, small helper functions, and a ``# gp-tree:`` comment that
lets later generations recover the tree (parsed by a small parser here, never ``eval``). The
result goes through the same checks and evaluation as LLM-written code.
"""

from __future__ import annotations

import math
import operator
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from deap import gp

from heurevo.engine.controller import seeded
from heurevo.engine.proposers.base import Proposal, ProposalError, Proposer
from heurevo.engine.proposers.tuning import TuningConfig, step_factor, tune_constants
from heurevo.errors import ConfigError
from heurevo.populations.records import ProposalRequest
from heurevo.solvers.slots import GPHole, Slot

if TYPE_CHECKING:
    from heurevo.engine.run_config import RunConfig
    from heurevo.populations.store import Store

TREE_COMMENT = "# gp-tree: "
JOIN = "join"


@dataclass(frozen=True)
class GPConfig:
    """Tree sizes and variation settings."""

    init_min_height: int = 1
    init_max_height: int = 3
    max_height: int = 7
    mutation_max_height: int = 2
    constant_sigma: float = 0.3

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if not 0 <= self.init_min_height <= self.init_max_height <= self.max_height:
            raise ConfigError("need 0 <= init_min_height <= init_max_height <= max_height", key="init_min_height")


class Bool:
    """Marker type for boolean-valued subtrees."""


class Joined:
    """Root type of a tree for a hole with several markers (one float subtree each)."""


# name → (arity, python template); helpers are emitted once as needed.
_FLOAT_OPS: dict[str, tuple[int, str]] = {
    "add": (2, "({0} + {1})"), "sub": (2, "({0} - {1})"), "mul": (2, "({0} * {1})"),
    "pdiv": (2, "gp_pdiv({0}, {1})"), "neg": (1, "(-{0})"), "fmax": (2, "max({0}, {1})"),
    "fmin": (2, "min({0}, {1})"), "sqrt_abs": (1, "math.sqrt(abs({0}))"),
    "log1p_abs": (1, "math.log1p(abs({0}))"), "square": (1, "({0} * {0})"),
}
_BOOL_OPS: dict[str, tuple[int, str]] = {"gt": (2, "({0} > {1})"), "lt": (2, "({0} < {1})")}
_IF = "if_else"
_HELPERS = {
    "gp_pdiv": "def gp_pdiv(a, b):\n    if abs(b) > 1e-12:\n        return a / b\n    return a\n",
}
_CONSTANTS = (0.1, 0.5, 1.0, 2.0, 10.0)


def _pdiv(a: float, b: float) -> float:
    return a / b if abs(b) > 1e-12 else a


def build_pset(hole: GPHole) -> gp.PrimitiveSetTyped:
    """DEAP's typed primitive set for a hole (float arithmetic, comparisons, if-else)."""
    root = float if len(hole.markers) == 1 else Joined
    pset = gp.PrimitiveSetTyped("HOLE", [float] * len(hole.inputs), root)
    pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(hole.inputs)})
    if root is Joined:
        pset.addPrimitive(lambda *xs: xs, [float] * len(hole.markers), Joined, name=JOIN)
    impl = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "pdiv": _pdiv,
            "neg": operator.neg, "fmax": max, "fmin": min,
            "sqrt_abs": lambda a: math.sqrt(abs(a)), "log1p_abs": lambda a: math.log1p(abs(a)),
            "square": lambda a: a * a}
    for name, (arity, _) in _FLOAT_OPS.items():
        pset.addPrimitive(impl[name], [float] * arity, float, name=name)
    pset.addPrimitive(operator.gt, [float, float], Bool, name="gt")
    pset.addPrimitive(operator.lt, [float, float], Bool, name="lt")
    pset.addPrimitive(lambda c, a, b: a if c else b, [Bool, float, float], float, name=_IF)
    for c in _CONSTANTS:
        pset.addTerminal(c, float)
    pset.addTerminal(True, Bool, name="true")
    return pset


_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z_0-9]*|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[(),])")


def parse_tree(text: str, pset: gp.PrimitiveSetTyped) -> gp.PrimitiveTree:
    """Parse a prefix expression like ``add(x, mul(y, 0.5))`` with ``pset``'s names (no eval)."""
    tokens = [t for t in _TOKEN.findall(text) if t]
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ValueError(f"unexpected characters in GP tree {text!r}")
    prims = {name: p for name, p in pset.mapping.items() if isinstance(p, gp.Primitive)}
    terms = {name: t for name, t in pset.mapping.items() if isinstance(t, gp.Terminal)}
    out: list[Any] = []
    pos = 0

    def node(ret: type) -> None:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("GP tree ends early")
        tok = tokens[pos]
        pos += 1
        if tok in prims:
            prim = prims[tok]
            if prim.ret is not ret:
                raise ValueError(f"'{tok}' has the wrong type here")
            out.append(prim)
            if tokens[pos:pos + 1] != ["("]:
                raise ValueError(f"expected '(' after '{tok}'")
            pos += 1
            for i, arg_type in enumerate(prim.args):
                if i:
                    if tokens[pos:pos + 1] != [","]:
                        raise ValueError(f"expected ',' in arguments of '{tok}'")
                    pos += 1
                node(arg_type)
            if tokens[pos:pos + 1] != [")"]:
                raise ValueError(f"expected ')' after arguments of '{tok}'")
            pos += 1
        elif tok in terms and terms[tok].ret is ret:
            out.append(terms[tok])
        elif ret is float and re.fullmatch(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", tok):
            out.append(gp.Terminal(float(tok), False, float))
        else:
            raise ValueError(f"unknown or mistyped token '{tok}' in GP tree")

    node(pset.ret)
    if pos != len(tokens):
        raise ValueError("trailing tokens after GP tree")
    return gp.PrimitiveTree(out)


def tree_to_python(tree: gp.PrimitiveTree) -> tuple[list[str], set[str]]:
    """The tree as Python expressions (one per ``join`` argument, else one) and its helpers."""
    helpers: set[str] = set()

    def emit(i: int) -> tuple[str, int]:
        nd = tree[i]
        if isinstance(nd, gp.Primitive):
            args, j = [], i + 1
            for _ in range(nd.arity):
                text, j = emit(j)
                args.append(text)
            if nd.name == _IF:
                return f"({args[1]} if {args[0]} else {args[2]})", j
            template = (_FLOAT_OPS.get(nd.name) or _BOOL_OPS[nd.name])[1]
            if "gp_pdiv" in template:
                helpers.add("gp_pdiv")
            return template.format(*args), j
        value = nd.value
        if nd.ret is Bool:
            return "True", i + 1
        if isinstance(value, float):
            return repr(value), i + 1
        return str(value), i + 1  # an input variable: its value is its name

    exprs, end = [], 1
    if isinstance(tree[0], gp.Primitive) and tree[0].name == JOIN:
        for _ in range(tree[0].arity):
            text, end = emit(end)
            exprs.append(text)
    else:
        text, end = emit(0)
        exprs.append(text)
    assert end == len(tree)
    return exprs, helpers


def render(hole: GPHole, tree: gp.PrimitiveTree) -> str:
    """Slot source for ``tree``: tree comment, helpers, template with the expression(s)."""
    exprs, helpers = tree_to_python(tree)
    if len(exprs) != len(hole.markers):
        raise ValueError(f"GP tree has {len(exprs)} expression(s) for {len(hole.markers)} marker(s)")
    head = TREE_COMMENT + str(tree) + "\n"
    if any("math." in e for e in exprs):
        head += "import math\n\n\n"
    body = "".join(_HELPERS[h] + "\n\n" for h in sorted(helpers))
    source = hole.template
    for marker, expr in zip(hole.markers, exprs, strict=True):
        source = source.replace(marker, expr)
    return head + body + source


def tree_of(source: str | None, hole: GPHole, pset: gp.PrimitiveSetTyped) -> gp.PrimitiveTree:
    """The tree recorded in a GP-made source, else the hole's default expression."""
    if source and source.startswith(TREE_COMMENT):
        line = source.splitlines()[0][len(TREE_COMMENT):]
        try:
            return parse_tree(line, pset)
        except ValueError:
            pass
    return parse_tree(hole.default, pset)


def evaluate_tree(tree: gp.PrimitiveTree, pset: gp.PrimitiveSetTyped, args: dict[str, float]) -> Any:
    """The tree's value (a tuple for a ``join``) at the given inputs, in plain Python."""
    def ev(i: int) -> tuple[Any, int]:
        nd = tree[i]
        if isinstance(nd, gp.Primitive):
            vals, j = [], i + 1
            for _ in range(nd.arity):
                v, j = ev(j)
                vals.append(v)
            return pset.context[nd.name](*vals), j
        if nd.ret is Bool:
            return True, i + 1
        return (args[nd.value] if isinstance(nd.value, str) else nd.value), i + 1

    return ev(0)[0]


#: Input points at which two trees must agree to count as the same expression.
_PROBES = ((0.0, 0.0, 0.0, 0.0), (1.0, 1.0, 1.0, 1.0), (0.5, 3.0, 17.0, 2000.0),
           (7.0, 0.25, 1.0, 40.0), (123.0, 9.0, 0.0, 3.0), (2.5, 2500.0, 4.0, 0.1),
           (-3.0, 11.0, 60.0, 7.0), (40.0, 1.5, 2.0, 1e4))


def same_expression(a: gp.PrimitiveTree, b: gp.PrimitiveTree, pset: gp.PrimitiveSetTyped,
                    inputs: tuple[str, ...]) -> bool:
    """Whether two trees give the same values at fixed probe inputs (e.g. ``if_else(lt(0.5,
    0.1), a, w)`` and ``w``): a behavioural clone of the default only re-measures seed noise."""
    if str(a) == str(b):
        return True
    for probe in _PROBES:
        args = {name: probe[k % len(probe)] * (1 + k // len(probe)) for k, name in enumerate(inputs)}
        try:
            if evaluate_tree(a, pset, args) != evaluate_tree(b, pset, args):
                return False
        except (ArithmeticError, ValueError):
            return False
    return True


class GPProposer(Proposer):
    """Genetic programming over the expression holes of the requested slots."""

    name = "gp"
    operators: ClassVar[Mapping[str, int]] = {"init": 0, "mutate": 1, "crossover": 2, "tune": 1}

    def __init__(self, slots: dict[str, Slot], config: GPConfig | None = None,
                 tuning: TuningConfig | None = None):
        self.config = config or GPConfig()
        self.config.validate()
        self.tuning = tuning or TuningConfig()
        self.holes = {name: s.extra["gp_hole"] for name, s in slots.items() if "gp_hole" in s.extra}
        self.psets = {name: build_pset(h) for name, h in self.holes.items()}

    @classmethod
    def from_run(cls, config: RunConfig, slots: dict[str, Slot], store: Store) -> GPProposer:
        """GP with the run's ``gp`` and ``tuning`` settings (it records nothing in ``store``)."""
        return cls(slots, config.gp, config.tuning)

    def evolvable(self) -> list[str]:
        """Slots this proposer can work on."""
        return list(self.holes)

    def _limit_ok(self, tree: gp.PrimitiveTree) -> bool:
        return tree.height <= self.config.max_height

    def _vary(self, slot: str, request: ProposalRequest, rng: random.Random) -> gp.PrimitiveTree:
        hole, pset, cfg = self.holes[slot], self.psets[slot], self.config
        parents = [tree_of(p.candidate.sources.get(slot), hole, pset) for p in request.parents]
        op = request.operator
        if op == "init" or not parents:
            low = max(cfg.init_min_height, 1) if pset.ret is Joined else cfg.init_min_height
            return gp.PrimitiveTree(gp.genHalfAndHalf(pset, low, max(low, cfg.init_max_height),
                                                      pset.ret))
        if op == "crossover" and len(parents) >= 2:
            a, b = gp.PrimitiveTree(parents[0]), gp.PrimitiveTree(parents[1])
            child, _ = gp.cxOnePoint(a, b)
            return child
        if op == "tune":
            return self._tune_tree(gp.PrimitiveTree(parents[0]), rng)
        mutant = gp.PrimitiveTree(parents[0])
        if rng.random() < 0.7:
            def expr(pset: gp.PrimitiveSetTyped, type_: type) -> list[Any]:
                low = 1 if type_ is Joined else 0  # a join needs its subtrees: no terminal
                return gp.genGrow(pset, low, max(low, cfg.mutation_max_height), type_)
            (mutant,) = gp.mutUniform(mutant, expr=expr, pset=pset)
        else:
            (mutant,) = gp.mutNodeReplacement(mutant, pset=pset)
        return mutant

    def _tune_tree(self, tree: gp.PrimitiveTree, rng: random.Random) -> gp.PrimitiveTree:
        consts = [i for i, nd in enumerate(tree) if isinstance(nd, gp.Terminal)
                  and isinstance(nd.value, float)]
        if not consts:
            return tree
        for i in rng.sample(consts, max(1, len(consts) // 2)):
            value = tree[i].value * step_factor(rng, self.config.constant_sigma)
            tree[i] = gp.Terminal(float(f"{value:.4g}"), False, float)
        return tree

    def propose(self, request: ProposalRequest) -> Proposal:
        """New sources for the requested slots that have holes (tune also works on any code)."""
        slots = [s for s in request.slots if s in self.holes]
        if not slots:
            if request.operator == "tune" and request.parents:
                sources = {s: tune_constants(request.parents[0].candidate.sources[s], request.seed,
                                             self.tuning)
                           for s in request.slots if s in request.parents[0].candidate.sources}
                return Proposal(sources, "tune", "retuned numeric constants")
            raise ProposalError(f"GP has no expression hole in slot(s) {', '.join(request.slots)}")
        out: dict[str, str] = {}
        changed = False
        for k, slot in enumerate(slots):
            hole, pset = self.holes[slot], self.psets[slot]
            default = parse_tree(hole.default, pset)
            fallback = None
            for attempt in range(20):
                tree = seeded(request.seed * 31 + k * 1009 + attempt,
                              lambda rng, s=slot: self._vary(s, request, rng))
                if not self._limit_ok(tree):
                    continue
                if not same_expression(tree, default, pset, hole.inputs):
                    break  # the default again would only re-measure seed noise
                fallback = tree
            else:
                if fallback is None:
                    raise ProposalError(f"GP could not make a tree within height {self.config.max_height}")
                tree = fallback
            changed |= not same_expression(tree, default, pset, hole.inputs)
            out[slot] = render(self.holes[slot], tree)
        if not changed:
            raise ProposalError("GP produced only the default expression(s); nothing new to evaluate")
        idea = "; ".join(f"{s}: {o.splitlines()[0][len(TREE_COMMENT):]}" for s, o in out.items())
        return Proposal(out, request.operator, idea)

