"""Reflective multi-turn refinement (CIRE) for the LLM proposers: Observe → Reason → Act.

For a request that carries a group (a homogeneous cluster, or one member of each of several
clusters), the model first *observes* the members (code, idea, scores per instance family, with
distant references and the notebook's lessons), then *reasons* about why some win or fail, then
*acts*: in explore mode (progress stalled, or the population converged into one cluster) it
writes a new mechanism or recombines ideas across clusters; in exploit mode it refines the best.
The Act answer goes through the usual code writer (checks, repairs). Every turn is stored in
the run store's ``refinement`` table (``heurevo show`` prints them); a proposer that goes on
talking about the Act's result (AutoPBO's Evaluator and revisions) adds its turns there too.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from heurevo.engine.llm.prompts import format_member, render, slot_context, system_prompt
from heurevo.engine.notebook import family_of
from heurevo.engine.proposers.base import Proposal
from heurevo.populations.records import Member, ProposalRequest
from heurevo.populations.store import Store
from heurevo.solvers.slots import Slot

if TYPE_CHECKING:
    from heurevo.engine.proposers.llm import CodeWriter, Messages


def family_scores(member: Member) -> str:
    """Mean score per instance family ("knapsack 1.021, setcover 0.987"), or "no scores"."""
    fams: dict[str, list[float]] = {}
    for r in member.result.instances:
        fams.setdefault(family_of(r.instance), []).append(r.score)
    return ", ".join(f"{f} {np.mean(v):.3f}" for f, v in sorted(fams.items())) or "no scores"


def lessons(request: ProposalRequest) -> str:
    """The notebook section of a prompt ("" when the request carries no notes)."""
    if not request.notes:
        return ""
    return render("lessons", notes="\n".join(f"- {n}" for n in request.notes))


def _members_block(members: tuple[Member, ...], slot: Slot, fallback: str, clip: int,
                   first: int = 0) -> str:
    return "\n".join(
        format_member(chr(ord("A") + first + i), m, slot.name, fallback, clip)
        + f"Scores per family: {family_scores(m)}\n"
        for i, m in enumerate(members))


def group_id(request: ProposalRequest) -> str:
    """A short id of the request's group (its members' ids)."""
    ids = ",".join(m.candidate.id for m in request.group)
    return hashlib.sha256(ids.encode()).hexdigest()[:10]


class Refiner:
    """Runs the three-turn conversation for one request and stores every turn."""

    def __init__(self, writer: CodeWriter, store: Store | None, feedback_chars: int = 1200):
        self.writer = writer
        self.store = store
        self.clip = feedback_chars

    def record(self, request: ProposalRequest, step: str, text: str) -> None:
        """Store one turn of ``request``'s conversation in the ``refinement`` table."""
        if self.store is not None:
            self.store.add_cire_record("refinement", request.generation, {
                "group": group_id(request), "members": [m.candidate.id for m in request.group],
                "mode": request.mode, "reason": request.reason, "operator": request.operator,
                "seed": request.seed, "step": step, "text": text})

    def observe_prompt(self, request: ProposalRequest, slot: Slot) -> str:
        """The Observe turn's prompt: the group, the references, the lessons."""
        fallback = request.base_sources.get(slot.name, slot.default_source)
        kind = ("These come from different clusters of the population (distinct ideas)."
                if request.mode == "explore" else
                "These come from one cluster of the population (similar ideas).")
        refs = ""
        if request.references:
            refs = "### Distant references (other clusters or lower ranks)\n" + _members_block(
                request.references, slot, fallback, self.clip, first=len(request.group))
        return render("refine_observe", context=slot_context(slot), group_kind=kind,
                      members=_members_block(request.group, slot, fallback, self.clip),
                      references=refs, notes=lessons(request))

    def propose(self, request: ProposalRequest, slot: Slot, parent_source: str | None) -> Proposal:
        """Observe, Reason, Act; the Act answer is written and repaired like any proposal."""
        op, seed = request.operator, request.seed
        messages: Messages = (("system", system_prompt(slot)),
                              ("user", self.observe_prompt(request, slot)))
        for step, prompt in (("observe", None), ("reason", render("refine_reason"))):
            if prompt is not None:
                messages = (*messages, ("user", prompt))
            answer = self.writer.chat(messages, seed=seed, role=f"refine-{step}", slot=slot.name,
                                      operator=op, repair=False)
            messages = (*messages, ("assistant", answer.text))
            self.record(request, step, answer.text)
        act = render("refine_act_explore", reason=request.reason or "explore",
                     def_line=slot.def_line()) if request.mode == "explore" else \
            render("refine_act_exploit", def_line=slot.def_line())
        written = self.writer.write(slot, (*messages, ("user", act)), seed=seed, operator=op,
                                    role="refine-act", repairs_used=0, first_is_repair=False,
                                    parent_source=parent_source)
        self.record(request, "act", f"{{{written.idea}}}\n{written.source}")
        return Proposal({slot.name: written.source}, op, written.idea,
                        meta={"slot": slot.name, "messages": written.messages,
                              "repairs": written.repairs, "parent_source": parent_source,
                              "refined_group": group_id(request)})
