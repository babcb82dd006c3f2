"""AutoPBO agents: a Planner, an Editor and an Evaluator working on one slot at a time.

The **Planner** reads the current slot code and its evaluation statistics and answers several
concrete modification plans as JSON; it is asked once per (generation, slot, parent) and its
plans are shared by that generation's requests, each request implementing the plan its seed
picks, so the plans run in parallel as the run loop's parallel chains. The **Editor** implements
one plan (signature kept, no undefined names, a change that is more than layout: the shared
:class:`~heurevo.engine.proposers.llm.CodeWriter` checks all three and repairs). After each
evaluation the **Evaluator** compares the result with the parent: a candidate that failed its
checks or crashed goes back to the Editor with the feedback (an AutoToS repair round); one that
ran is accepted, or sent back with a next-step suggestion for up to ``refine_rounds`` rounds.
The controller keeps the best version and its greedy slot schedule moves on to the next slot
on top of it.

With CIRE's reflective refinement on (``[cire] refinement``), a request that carries a group
(clustering on) skips the Planner: the Editor first observes the group's members, reasons about
why some win or fail, then acts (:mod:`heurevo.engine.reflection`); the Evaluator's verdict on
the result and any revision continue the same conversation, and every turn (observe, reason,
act, evaluate, revise) is stored in the ``refinement`` table that ``heurevo show`` prints.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from heurevo.engine.llm.prompts import (
    FITNESS_NOTE,
    format_result,
    render,
    slot_context,
    system_prompt,
)
from heurevo.engine.proposers.base import Proposal, ProposalError
from heurevo.engine.proposers.llm import (
    LLMProposerConfig,
    Messages,
    MeteredClient,
    ModelProposer,
    repair_proposal,
    source_of,
    target_slot,
)
from heurevo.engine.reflection import Refiner, group_id
from heurevo.populations.records import Candidate, EvaluationResult, Member, ProposalRequest
from heurevo.populations.store import Store
from heurevo.solvers.slots import Slot

if TYPE_CHECKING:
    from heurevo.engine.run_config import RunConfig

PLANNER_SYSTEM = ("You are the Planner of a team that improves one heuristic function of a "
                  "solver. You answer with JSON only.")
EVALUATOR_SYSTEM = ("You are the Evaluator of a team that improves one heuristic function of a "
                    "solver. You answer with JSON only.")
OUTCOME_CLASSES = ("improved", "neutral", "worse")


@dataclass(frozen=True)
class Plan:
    """One modification plan from the Planner."""

    title: str
    change: str
    rationale: str = ""


@dataclass(frozen=True)
class Verdict:
    """The Evaluator's reading of one evaluated edit."""

    accept: bool
    outcome: str
    suggestion: str = ""


_FENCED_JSON = re.compile(r"```(?:json)?[ \t]*\n(.*?)```", re.S | re.I)


def parse_json(text: str) -> Any:
    """The JSON value in a model's answer: a fenced block, the whole text, or its outer braces."""
    candidates = [m.group(1) for m in _FENCED_JSON.finditer(text)] + [text]
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            candidates.append(text[start:end + 1])
    for chunk in candidates:
        try:
            return json.loads(chunk)
        except ValueError:
            continue
    raise ValueError("no JSON object found in the answer")


def parse_plans(text: str, limit: int) -> list[Plan]:
    """At most ``limit`` plans from the Planner's JSON; raises ValueError when there are none."""
    data = parse_json(text)
    items = data.get("plans") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError("expected {\"plans\": [...]}")
    plans = []
    for item in items:
        if not isinstance(item, dict):
            continue
        title, change = str(item.get("title", "")).strip(), str(item.get("change", "")).strip()
        if change:
            plans.append(Plan(title or change[:60], change, str(item.get("rationale", "")).strip()))
    if not plans:
        raise ValueError("the plans list holds no plan with a 'change'")
    return plans[:limit]


def parse_verdict(text: str) -> Verdict:
    """The Evaluator's verdict from its JSON; raises ValueError when it is not one."""
    data = parse_json(text)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    verdict = str(data.get("verdict", "")).strip().lower()
    if verdict not in ("accept", "revise"):
        raise ValueError(f"verdict must be 'accept' or 'revise', got {verdict!r}")
    outcome = str(data.get("outcome", "")).strip().lower()
    if outcome not in OUTCOME_CLASSES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOME_CLASSES)}, got {outcome!r}")
    suggestion = str(data.get("suggestion", "")).strip()
    if verdict == "revise" and not suggestion:
        raise ValueError("a 'revise' verdict needs a suggestion")
    return Verdict(verdict == "accept", outcome, suggestion)


class AutoPBOProposer(ModelProposer):
    """Planner → parallel Editors → Evaluator loop on the controller's current slot."""

    name = "autopbo"
    operators: ClassVar[Mapping[str, int]] = {"plan": 1}

    @classmethod
    def operator_weights(cls, table: Mapping[str, float], mode: str) -> dict[str, float]:
        """Always the Planner loop: AutoPBO has one operator."""
        return {"plan": 1.0}

    def __init__(self, client: MeteredClient, slots: dict[str, Slot],
                 config: LLMProposerConfig | None = None, store: Store | None = None,
                 refine: bool = False):
        super().__init__(client, slots, config, store)
        self.max_followups = self.config.repair_rounds + self.config.refine_rounds
        #: CIRE's Observe → Reason → Act conversation, in place of the Planner for a group.
        self.refiner = Refiner(self.writer, store, self.config.feedback_chars) if refine else None
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[int, str, str], threading.Lock] = {}
        self._plans: dict[tuple[int, str, str], list[Plan] | str] = {}

    @classmethod
    def from_run(cls, config: RunConfig, slots: dict[str, Slot], store: Store) -> AutoPBOProposer:
        """The agents on the run's chat client, with CIRE's refinement when the run asks for it."""
        from heurevo.engine.proposers.factory import make_client

        return cls(make_client(config, store), slots, config.llm_proposer, store,
                   refine=config.cire.refinement)

    # --- Planner ------------------------------------------------------------------------
    def plans(self, request: ProposalRequest, slot: Slot) -> list[Plan]:
        """The Planner's plans for this generation, slot and parent (asked once, then shared)."""
        parent = request.parents[0] if request.parents else None
        key = (request.generation, slot.name, parent.candidate.id if parent else "base")
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self._plans.get(key)
            if isinstance(cached, str):
                raise ProposalError(cached)
            if cached is not None:
                return cached
            try:
                plans = self._ask_planner(request, slot, parent, zlib.crc32(repr(key).encode()))
            except ProposalError as exc:
                self._plans[key] = str(exc)
                raise
            self._plans[key] = plans
            return plans

    def _ask_planner(self, request: ProposalRequest, slot: Slot, parent: Member | None,
                     seed: int) -> list[Plan]:
        prompt = render("planner", context=slot_context(slot), slot_key=slot.key,
                        source=source_of(parent, request, slot).strip(),
                        evaluation=self._evaluation(parent), n_plans=self.config.plans)
        messages: Messages = (("system", PLANNER_SYSTEM), ("user", prompt))
        answer = self.writer.chat(messages, seed=seed, role="planner", slot=slot.name,
                                  operator="plan", repair=False)
        try:
            plans = parse_plans(answer.text, self.config.plans)
        except ValueError as exc:
            self.log.record("bad_json", role="planner", slot=slot.name, operator="plan",
                            repair=False, detail=str(exc))
            raise ProposalError(f"the Planner's answer holds no usable plans: {exc}") from exc
        self.log.record("ok", role="planner", slot=slot.name, operator="plan", repair=False)
        return plans

    def _evaluation(self, member: Member | None) -> str:
        if member is None:
            return "the run's best version (no evaluation at hand)"
        return format_result(member.result, self.config.feedback_chars)

    # --- Editor -------------------------------------------------------------------------
    def propose(self, request: ProposalRequest) -> Proposal:
        """The Editor's implementation of the plan this request's seed picks."""
        slot = target_slot(request, self.slots)
        if self.refiner is not None and len(request.group) >= 2:
            return self._refined(request, slot)
        plans = self.plans(request, slot)
        index = request.seed % len(plans)
        plan = plans[index]
        parent = request.parents[0] if request.parents else None
        parent_source = source_of(parent, request, slot)
        prompt = render("editor", context=slot_context(slot), slot_key=slot.key,
                        source=parent_source.strip(), evaluation=self._evaluation(parent),
                        plan_title=plan.title, plan_change=plan.change,
                        plan_rationale=plan.rationale or "(none given)",
                        def_line=slot.def_line())
        messages: Messages = (("system", system_prompt(slot)), ("user", prompt))
        written = self.writer.write(slot, messages, seed=request.seed, operator="plan",
                                    role="editor", repairs_used=0, first_is_repair=False,
                                    parent_source=parent_source, previous_idea=plan.title)
        return Proposal({slot.name: written.source}, "plan", written.idea,
                        meta={"slot": slot.name, "messages": written.messages,
                              "repairs": written.repairs, "refines": 0,
                              "parent_source": parent_source, "plan": index,
                              "plan_title": plan.title, "plan_change": plan.change})

    def _refined(self, request: ProposalRequest, slot: Slot) -> Proposal:
        """The Editor's Observe → Reason → Act over the request's group (no Planner)."""
        parent = request.parents[0] if request.parents else None
        parent_source = source_of(parent, request, slot)
        p = self.refiner.propose(request, slot, parent_source)  # type: ignore[union-attr]
        title = f"refinement of group {group_id(request)}"
        return Proposal(p.sources, "plan", p.idea,
                        meta={**p.meta, "refines": 0, "plan": -1, "plan_title": title,
                              "plan_change": p.idea or title})

    def _turn(self, request: ProposalRequest, meta: dict[str, Any], step: str, text: str) -> None:
        """A turn after the Act of a refined proposal, in the same conversation's record."""
        if self.refiner is not None and "refined_group" in meta:
            self.refiner.record(request, step, text)

    # --- Evaluator ----------------------------------------------------------------------
    def followup(self, request: ProposalRequest, proposal: Proposal, candidate: Candidate,
                 result: EvaluationResult) -> Proposal | None:
        """Repair a failed edit, or let the Evaluator accept or revise one that ran."""
        meta = proposal.meta
        slot = self.slots[meta["slot"]]
        parent = request.parents[0] if request.parents else None
        if not result.ok:
            self._verdict_event(candidate, slot, Verdict(False, "error", "repair"), meta)
            return repair_proposal(self.writer, self.slots, request, proposal, result,
                                   role="editor")
        refines = int(meta.get("refines", 0))
        if refines >= self.config.refine_rounds:
            return None
        verdict = self._ask_evaluator(request, slot, parent, result, meta, refines)
        if verdict is None:
            return None
        self._verdict_event(candidate, slot, verdict, meta)
        self._turn(request, meta, "evaluate", f"{'accept' if verdict.accept else 'revise'} "
                   f"({verdict.outcome}): {verdict.suggestion}")
        if verdict.accept:
            return None
        messages = (*meta["messages"], ("user", render(
            "editor_revise", parent_evaluation=self._evaluation(parent),
            child_evaluation=format_result(result, self.config.feedback_chars),
            outcome=verdict.outcome, suggestion=verdict.suggestion, def_line=slot.def_line())))
        written = self.writer.write(slot, messages, seed=request.seed, operator="plan",
                                    role="editor", repairs_used=int(meta.get("repairs", 0)),
                                    first_is_repair=False, parent_source=candidate.sources.get(
                                        slot.name), previous_idea=proposal.idea)
        self._turn(request, meta, "revise", f"{{{written.idea}}}\n{written.source}")
        return Proposal({slot.name: written.source}, "plan", written.idea,
                        meta={**meta, "messages": written.messages, "repairs": written.repairs,
                              "refines": refines + 1})

    def _ask_evaluator(self, request: ProposalRequest, slot: Slot, parent: Member | None,
                       result: EvaluationResult, meta: dict[str, Any],
                       refines: int) -> Verdict | None:
        prompt = render("evaluator", slot_key=slot.key, plan_title=meta.get("plan_title", ""),
                        plan_change=meta.get("plan_change", ""),
                        parent_evaluation=self._evaluation(parent),
                        child_evaluation=format_result(result, self.config.feedback_chars),
                        fitness_note=FITNESS_NOTE,
                        rounds_left=self.config.refine_rounds - refines)
        messages: Messages = (("system", EVALUATOR_SYSTEM), ("user", prompt))
        answer = self.writer.chat(messages, seed=request.seed, role="evaluator", slot=slot.name,
                                  operator="plan", repair=False)
        try:
            verdict = parse_verdict(answer.text)
        except ValueError as exc:
            self.log.record("bad_json", role="evaluator", slot=slot.name, operator="plan",
                            repair=False, detail=str(exc))
            return None
        self.log.record("ok", role="evaluator", slot=slot.name, operator="plan", repair=False)
        return verdict

    def _verdict_event(self, candidate: Candidate, slot: Slot, verdict: Verdict,
                       meta: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.add_event("autopbo_verdict", {
                "candidate": candidate.id, "slot": slot.name, "plan": meta.get("plan_title", ""),
                "accept": verdict.accept, "outcome": verdict.outcome,
                "suggestion": verdict.suggestion[:300]})

