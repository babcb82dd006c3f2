"""Prompt templates (text files in ``prompts/``) and the pieces rendered into them.

Templates use ``string.Template`` placeholders (``$name``), so code, JSON and braces in the
text need no escaping. :func:`render` refuses a missing field by name; :func:`slot_context`
renders the block every code-writing prompt starts with (problem, slot contract and signature,
how fitness reads); :func:`format_member` shows a parent with its score, idea and feedback.
"""

from __future__ import annotations

import functools
import string
from importlib import resources

from heurevo.populations.records import EvaluationResult, Member
from heurevo.solvers.slots import Slot

#: Operator → template of the EoH-style code-writing prompts.
OPERATOR_TEMPLATES = {
    "init": "init", "crossover": "crossover", "crossover_common": "crossover_common",
    "mutate_algorithm": "mutate_algorithm", "mutate_params": "mutate_params",
    "simplify": "simplify",
}

FITNESS_NOTE = ("Fitness is the mean normalised solution quality on the training instances "
                "relative to the default heuristic: 1.0 is as good as the default, higher is "
                "better; a candidate that fails its checks or crashes scores nothing.")


@functools.cache
def template(name: str) -> string.Template:
    """The template ``prompts/<name>.txt`` shipped with the package."""
    path = resources.files("heurevo.engine.llm") / "prompts" / f"{name}.txt"
    if not path.is_file():
        raise KeyError(f"no prompt template {name!r} (looked for prompts/{name}.txt)")
    return string.Template(path.read_text(encoding="utf-8"))


def render(name: str, **fields: object) -> str:
    """Template ``name`` with ``fields`` filled in; raises KeyError naming a missing field."""
    try:
        return template(name).substitute({k: str(v) for k, v in fields.items()}).strip() + "\n"
    except KeyError as exc:
        raise KeyError(f"prompt template {name!r} needs field {exc.args[0]!r}") from None


def problem_description(problem: str) -> str:
    """The shipped description of ``problem``, or a note to rely on the contract."""
    try:
        return template(f"problem_{problem}").template.strip()
    except KeyError:
        return f"The {problem} problem (no description shipped; rely on the slot contract)."


def system_prompt(slot: Slot) -> str:
    """The system message: the coding rules for ``slot`` and the answer format."""
    return render("system", def_line=slot.def_line(),
                  allowed_imports=", ".join(f"`import {m}`" for m in slot.allowed_imports))


def slot_context(slot: Slot) -> str:
    """Problem description, the slot's signature and contract, and how fitness reads."""
    return render("context", problem_description=problem_description(slot.problem),
                  slot_key=slot.key, slot_description=slot.describe(), fitness_note=FITNESS_NOTE)


def format_result(result: EvaluationResult | None, feedback_chars: int = 1200) -> str:
    """A short account of an evaluation: status, stage, fitness, metrics, per-instance scores."""
    if result is None:
        return "not evaluated yet"
    parts = [f"status {result.status.value} at stage {result.stage.value}"]
    if result.fitness is not None:
        parts.append(f"fitness {result.fitness:.4f}")
    if result.metrics:
        parts.append("metrics " + ", ".join(f"{k}={v:.4g}" for k, v in sorted(result.metrics.items())))
    if result.instances:
        scores = ", ".join(f"{r.instance}: score {r.score:.3f}"
                           + ("" if r.feasible else " (infeasible)") for r in result.instances[:8])
        more = f" and {len(result.instances) - 8} more" if len(result.instances) > 8 else ""
        parts.append(f"instances {scores}{more}")
    text = "; ".join(parts)
    note = (result.feedback or result.error).strip()
    if note:
        text += "\nFeedback: " + _clip(note, feedback_chars)
    return text


def format_member(label: str, member: Member, slot: str, fallback_source: str,
                  feedback_chars: int = 1200) -> str:
    """One parent as a prompt shows it: fitness, status, idea, its code for ``slot``, feedback."""
    res = member.result
    fit = f"{res.fitness:.4f}" if res.fitness is not None else "none"
    return render("parent", label=label, fitness=fit, status=res.status.value,
                  idea=member.candidate.idea or "(not stated)",
                  source=member.candidate.sources.get(slot, fallback_source).strip(),
                  evaluation=format_result(res, feedback_chars))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters]"
