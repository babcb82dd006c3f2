"""Shared pieces of the LLM proposer tests: a small slot, model answers, a no-exec evaluator.

The slot ``score(a, b)`` is scored by the constant K in ``return a * K + b`` (best at K = 2.5)
read from the AST, so evaluation is deterministic and never runs model code in the test process.
"""

from __future__ import annotations

import ast
import random
from typing import Any

from llm_fake_server import Reply, error, ok

from heurevo.engine.checks import static_check
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    Member,
    ProposalRequest,
    Stage,
)
from heurevo.solvers.slots import Slot

DEFAULT = "def score(a, b):\n    return a + b\n"
SLOT = Slot(problem="pbo", name="score", signature="float64(float64, float64)",
            arg_names=("a", "b"), contract="Combine the two partial scores a and b; higher is better.",
            default_source=DEFAULT)
SLOTS = {"score": SLOT}
REPAIR_HEAD = "Your last answer could not be used"


def code(k: float, *, idea: str | None = None, tail: str = "") -> str:
    """A well-formed answer: an idea in braces and ``return a * k + b``."""
    return (f"{{{idea or f'Weight a by {k}.'}}}\n\n```python\ndef score(a, b):\n"
            f"    return a * {k} + b{tail}\n```\n")


#: Bad answers by kind, and the outcome each must be counted under.
BAD = {
    "no_code": ("I would weight the first score more, but I cannot write code today.", "no_code"),
    "wrong_name": ("{x}\n```python\ndef combine(a, b):\n    return a - b\n```", "wrong_name"),
    "wrong_arity": ("{x}\n```python\ndef score(a):\n    return a\n```", "wrong_arity"),
    "syntax_error": ("{x}\n```python\ndef score(a, b):\n    x = = 1\n    return a\n```", "syntax_error"),
    "check_rejected": ("{x}\n```python\nimport os\n\ndef score(a, b):\n    return a + b\n```",
                       "check_rejected"),
    "unchanged": ("{same}\n```python\ndef score(a, b):\n    # same thing\n    return a + b\n```",
                  "unchanged"),
}


def truncated() -> Reply:
    """An answer cut by the length limit."""
    return ok("{long}\n```python\ndef score(a, b):\n    x = a *", finish_reason="length")


def client(server: Any, store: Any = None, **kw: Any) -> LLMClient:
    """A live client on the fake server that never sleeps and never retries."""
    cfg = LLMConfig(model="fake-model", base_url=server.base_url,
                    **{"max_retries": 0, "max_tokens": 200, "timeout_s": 5.0, **kw})
    return LLMClient(cfg, store=store, sleep=lambda s: None, rng=random.Random(0))


def member(source: str, fitness: float | None = 1.0, *, idea: str = "",
           status: EvalStatus = EvalStatus.OK, feedback: str = "") -> Member:
    """An evaluated member with ``source`` for the slot."""
    cand = Candidate.new("pbo", {"score": source}, idea=idea)
    return Member(cand, EvaluationResult(cand.id, status, Stage.MINIBATCH, fitness=fitness,
                                         metrics={"mean_score": fitness or 0.0},
                                         feedback=feedback))


def request(op: str, parents: tuple[Member, ...] = (), seed: int = 7,
            generation: int = 0) -> ProposalRequest:
    """A proposal request for the score slot."""
    return ProposalRequest("pbo", ("score",), op, parents, {"score": DEFAULT}, seed, generation)


def constant(source: str) -> float:
    """K in ``return a * K + b`` (1.0 when there is none)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) \
                and isinstance(node.right, ast.Constant):
            return float(node.right.value)
    return 1.0


class ScoreEvaluator:
    """Rejects what fails the static checks, 'crashes' on a CRASH marker, scores K otherwise."""

    def __init__(self) -> None:
        self.evaluated: list[str] = []

    def evaluation_key(self, candidate: Candidate, suite: str) -> str:
        return f"{candidate.id}:{suite}"

    def evaluate(self, candidate: Candidate, suite: str = "train",
                 parent_fitness: float | None = None) -> EvaluationResult:
        self.evaluated.append(candidate.id)
        src = candidate.sources["score"]
        report = static_check(SLOT, src)
        if not report.ok:
            return EvaluationResult(candidate.id, EvalStatus.REJECTED, Stage.CHECKS,
                                    feedback=report.feedback())
        if "CRASH" in src:
            return EvaluationResult(candidate.id, EvalStatus.CRASHED, Stage.SMOKE,
                                    error="worker died (signal 11)",
                                    feedback="The worker running score died with signal 11.")
        k = constant(src)
        return EvaluationResult(candidate.id, EvalStatus.OK, Stage.MINIBATCH,
                                fitness=round(1.0 / (1.0 + (k - 2.5) ** 2), 6))


def last_user(body: dict[str, Any]) -> str:
    """The last user message of a chat request body."""
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def mixed_responder(body: dict[str, Any]) -> Reply:
    """Deterministic per request: repairs get good code, first answers cycle through bad kinds."""
    seed = int(body.get("seed", 0))
    system = body["messages"][0]["content"]
    usage = {"prompt_tokens": sum(len(m["content"]) for m in body["messages"]) // 4,
             "completion_tokens": 40}
    if "Planner" in system:
        return ok('{"plans": [{"title": "steeper", "change": "weight a by 3", "rationale": "r"},'
                  ' {"title": "flatter", "change": "weight a by 2", "rationale": "r"}]}', **usage)
    if "Evaluator" in system:
        return ok('{"verdict": "accept", "outcome": "improved", "suggestion": ""}', **usage)
    k = 1.0 + (seed % 13) / 4
    if last_user(body).startswith(REPAIR_HEAD):
        return ok(code(k + 0.125), **usage)
    if seed % 23 == 3:
        return error(400, "scripted refusal")
    kind = seed % 9
    if kind < len(BAD):
        return ok(list(BAD.values())[kind][0], **usage)
    if kind == 6:
        return truncated()
    if kind == 7:
        return ok(code(k, tail="  # CRASH"), **usage)
    return ok(code(k), **usage)
