"""Constant tuning: perturb the numeric literals of any candidate's source (LLM-written too).

Floats are multiplied by a factor whose logarithm is Cauchy-distributed (scale ``sigma``, the
heavy-tailed step of fast evolutionary programming): most moves are small, but about one in
eight changes a constant several-fold, so a run can leave the neighbourhood of a default that is
off by an order of magnitude. Integers of magnitude >= 2 that are not used as
indices are scaled and rounded (keeping their sign, never reaching 0). Everything else in the
code is kept; the output is regenerated with ``ast.unparse`` so it is always valid Python.
"""

from __future__ import annotations

import ast
import math
import random
from dataclasses import dataclass

from heurevo.errors import ConfigError


@dataclass(frozen=True)
class TuningConfig:
    """How strongly and how many constants to perturb."""

    sigma: float = 0.3
    fraction: float = 0.5

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.sigma <= 0:
            raise ConfigError(f"must be positive, got {self.sigma}", key="sigma")
        if not 0 < self.fraction <= 1:
            raise ConfigError(f"must be in (0, 1], got {self.fraction}", key="fraction")


#: Largest change of one step: a constant is at most multiplied or divided by this.
MAX_FACTOR = 100.0


def step_factor(rng: random.Random, sigma: float) -> float:
    """A multiplicative step: ``exp(sigma * Cauchy)``, clipped to [1/MAX_FACTOR, MAX_FACTOR]."""
    log_step = sigma * math.tan(math.pi * (rng.random() - 0.5))
    bound = math.log(MAX_FACTOR)
    return math.exp(min(bound, max(-bound, log_step)))


def _tunable_constants(tree: ast.AST) -> list[ast.Constant]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            for sub in ast.walk(node.slice):
                skip.add(id(sub))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            for arg in node.args:
                for sub in ast.walk(arg):
                    skip.add(id(sub))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in skip or isinstance(node.value, bool):
            continue
        v = node.value
        tunable_float = isinstance(v, float) and math.isfinite(v) and v != 0.0
        if tunable_float or (isinstance(v, int) and abs(v) >= 2):
            out.append(node)
    return out


def count_tunable(source: str) -> int:
    """How many literals :func:`tune_constants` could change."""
    return len(_tunable_constants(ast.parse(source)))


def tune_constants(source: str, seed: int, config: TuningConfig | None = None) -> str:
    """A copy of ``source`` with some numeric literals perturbed (same structure otherwise)."""
    cfg = config or TuningConfig()
    tree = ast.parse(source)
    consts = _tunable_constants(tree)
    if not consts:
        return source
    rng = random.Random(seed)
    k = max(1, round(cfg.fraction * len(consts)))
    for node in rng.sample(consts, k):
        factor = step_factor(rng, cfg.sigma)
        if isinstance(node.value, float):
            node.value = float(f"{node.value * factor:.6g}")
        else:
            new = round(node.value * factor)
            if new == node.value:
                new += 1 if rng.random() < 0.5 else -1
            node.value = new if abs(new) >= 1 and (new > 0) == (node.value > 0) else node.value
    return ast.unparse(tree) + "\n"
