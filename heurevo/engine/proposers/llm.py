"""LLM proposer: EoH-style evolution operators as prompts, with an AutoToS repair loop.

Each operator (init, crossover, crossover_common, mutate_algorithm, mutate_params, simplify)
is a prompt template with the slot's contract and signature, the problem, and the parents with
their scores and feedback. The model answers with an idea in braces and the code. The
:class:`CodeWriter` extracts the function, runs the static checks, refuses code identical to
the parent, and sends every complaint back in the same conversation (``repair.txt``: "Remember
how you fixed the previous mistakes") for up to ``repair_rounds`` rounds per request; a candidate
that is rejected, fails or crashes in evaluation comes back through :meth:`LLMProposer.followup`
for a repair round from the same budget. Every model answer is counted by outcome in an
:class:`OutcomeLog` and recorded as an ``llm_outcome`` store event, repairs flagged.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from heurevo.engine.checks import static_check
from heurevo.engine.llm import (
    BudgetExhausted,
    ChatResult,
    LLMError,
    ReplayMiss,
    Usage,
    extract_code,
)
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.llm.prompts import (
    OPERATOR_TEMPLATES,
    format_member,
    render,
    slot_context,
    system_prompt,
)
from heurevo.engine.proposers.base import Proposal, ProposalError, Proposer
from heurevo.engine.reflection import Refiner, lessons
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate, EvaluationResult, Member, ProposalRequest
from heurevo.populations.store import Store
from heurevo.solvers.slots import Slot

if TYPE_CHECKING:
    from heurevo.engine.run_config import RunConfig

#: Every outcome a model answer is counted under.
OUTCOMES = ("ok", "no_code", "wrong_name", "wrong_arity", "syntax_error", "truncated",
            "check_rejected", "unchanged", "bad_json", "api_error", "budget_stop", "replay_miss")

#: A conversation as plain data: (role, content) pairs.
Messages = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LLMProposerConfig:
    """Settings of the LLM proposers (``[llm_proposer]`` in a run config).

    ``repair_rounds`` is K, the repair requests one proposal request may take (bad answers,
    failed checks, failed evaluations); ``plans`` and ``refine_rounds`` are AutoPBO's number of
    Planner plans and Evaluator→Editor rounds; ``feedback_chars`` clips feedback in prompts;
    ``replay`` names a recorded run folder whose transcripts answer every request offline.
    """

    repair_rounds: int = 2
    plans: int = 3
    refine_rounds: int = 2
    feedback_chars: int = 1200
    replay: str = ""

    def validate(self) -> None:
        """Reject settings that cannot work."""
        for name in ("repair_rounds", "refine_rounds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"must not be negative, got {getattr(self, name)}", key=name)
        if self.plans < 1:
            raise ConfigError(f"must be >= 1, got {self.plans}", key="plans")
        if self.feedback_chars < 100:
            raise ConfigError(f"must be >= 100, got {self.feedback_chars}", key="feedback_chars")


class MeteredClient(Protocol):
    """A chat client that also says what it has spent (LLMClient and ReplayClient do)."""

    config: LLMConfig

    def chat(self, messages: Sequence[dict[str, str]], *, temperature: float | None = None,
             max_tokens: int | None = None, seed: int | None = None) -> ChatResult:
        """Answer one chat request."""
        ...

    def usage(self) -> Usage:
        """Tokens and money spent so far."""
        ...


class OutcomeLog:
    """Thread-safe counts of model answers by outcome, mirrored as ``llm_outcome`` store events."""

    def __init__(self, store: Store | None = None):
        self._store = store
        self._lock = threading.Lock()
        self._counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self._repairs = 0

    def record(self, outcome: str, *, role: str, slot: str, operator: str, repair: bool,
               detail: str = "") -> None:
        """Count one answer (``repair``: it answered a repair request) and store the event."""
        if outcome not in self._counts:
            raise ValueError(f"unknown LLM outcome {outcome!r}")
        with self._lock:
            self._counts[outcome] += 1
            self._repairs += int(repair)
        if self._store is not None:
            self._store.add_event("llm_outcome", {
                "outcome": outcome, "role": role, "slot": slot, "operator": operator,
                "repair": repair, "detail": detail[:300]})

    def totals(self) -> dict[str, int]:
        """Counts per outcome plus ``repair_rounds`` (answers to repair requests)."""
        with self._lock:
            return {**self._counts, "repair_rounds": self._repairs}


@dataclass(frozen=True)
class Written:
    """Usable code from a conversation: source, idea, the conversation so far, repairs used."""

    source: str
    idea: str
    messages: Messages
    repairs: int


def _as_dicts(messages: Messages) -> list[dict[str, str]]:
    return [{"role": r, "content": c} for r, c in messages]


def _shape(source: str) -> str:
    """The code's AST without docstrings (comments and layout never reach the AST)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree)


def same_code(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ only in comments, docstrings and layout."""
    try:
        return _shape(a) == _shape(b)
    except SyntaxError:
        return a.strip() == b.strip()


class CodeWriter:
    """Asks the model for a slot's code and repairs bad answers in the same conversation."""

    def __init__(self, client: MeteredClient, config: LLMProposerConfig, log: OutcomeLog):
        self.client = client
        self.config = config
        self.log = log

    def chat(self, messages: Messages, *, seed: int, role: str, slot: str, operator: str,
             repair: bool) -> ChatResult:
        """One model call; API errors and budget refusals are counted and become ProposalError."""
        try:
            return self.client.chat(_as_dicts(messages), seed=seed)
        except BudgetExhausted as exc:
            self.log.record("budget_stop", role=role, slot=slot, operator=operator, repair=repair,
                            detail=str(exc))
            raise ProposalError(f"LLM budget: {exc}") from exc
        except ReplayMiss as exc:
            self.log.record("replay_miss", role=role, slot=slot, operator=operator,
                            repair=repair, detail=str(exc))
            raise ProposalError(str(exc)) from exc
        except LLMError as exc:
            self.log.record("api_error", role=role, slot=slot, operator=operator, repair=repair,
                            detail=str(exc))
            raise ProposalError(f"LLM call failed: {exc}") from exc

    def write(self, slot: Slot, messages: Messages, *, seed: int, operator: str, role: str,
              repairs_used: int, first_is_repair: bool, parent_source: str | None,
              previous_idea: str = "") -> Written:
        """Usable code for ``slot``, repairing until it passes or ``repair_rounds`` are spent.

        ``parent_source`` (when given) must not come back unchanged. Raises ProposalError when
        no usable code came within the repair budget.
        """
        repair = first_is_repair
        while True:
            answer = self.chat(messages, seed=seed, role=role, slot=slot.name, operator=operator,
                               repair=repair)
            messages = (*messages, ("assistant", answer.text))
            ex = extract_code(answer.text, slot, finish_reason=answer.finish_reason)
            outcome, complaint = ex.status.value, ex.complaint
            if ex.ok and ex.source is not None:
                report = static_check(slot, ex.source)
                if not report.ok:
                    outcome, complaint = "check_rejected", report.feedback()
                elif parent_source is not None and same_code(ex.source, parent_source):
                    outcome = "unchanged"
                    complaint = ("Your function is the same as the current one (only comments "
                                 "or layout differ). Make the substantive change the task asks for.")
                else:
                    self.log.record("ok", role=role, slot=slot.name, operator=operator,
                                    repair=repair)
                    return Written(ex.source, ex.idea or previous_idea, messages, repairs_used)
            self.log.record(outcome, role=role, slot=slot.name, operator=operator, repair=repair,
                            detail=complaint)
            if repairs_used >= self.config.repair_rounds:
                raise ProposalError(f"no usable code for {slot.key} after {repairs_used} repair "
                                    f"round(s); last answer: {outcome}: {complaint[:300]}")
            messages = (*messages, ("user", render("repair", feedback=complaint,
                                                   def_line=slot.def_line())))
            repairs_used += 1
            repair = True


def target_slot(request: ProposalRequest, slots: dict[str, Slot]) -> Slot:
    """The slot a request changes: its only slot, or one chosen by the request's seed."""
    names = [s for s in request.slots if s in slots]
    if not names:
        raise ProposalError(f"no known slot among {request.slots}")
    return slots[names[request.seed % len(names)]]


def source_of(member: Member | None, request: ProposalRequest, slot: Slot) -> str:
    """The member's code for ``slot`` (else the run's best, else the default)."""
    fallback = request.base_sources.get(slot.name, slot.default_source)
    return member.candidate.sources.get(slot.name, fallback) if member is not None else fallback


class ModelProposer(Proposer):
    """What the LLM proposers share: the client, the slots, the outcome log, the code writer."""

    parallel_safe = True

    def __init__(self, client: MeteredClient, slots: dict[str, Slot],
                 config: LLMProposerConfig | None = None, store: Store | None = None):
        self.config = config or LLMProposerConfig()
        self.config.validate()
        self.client = client
        self.slots = dict(slots)
        self.store = store
        self.log = OutcomeLog(store)
        self.writer = CodeWriter(client, self.config, self.log)

    @classmethod
    def from_run(cls, config: RunConfig, slots: dict[str, Slot], store: Store) -> ModelProposer:
        """The proposer on the run's chat client (live or replayed), recording in ``store``."""
        from heurevo.engine.proposers.factory import make_client

        return cls(make_client(config, store), slots, config.llm_proposer, store)

    def evolvable(self) -> list[str]:
        """Every slot of the problem: the model writes any of them."""
        return list(self.slots)

    def usage(self) -> tuple[int, float]:
        """Tokens and money spent; a budget too small for one more call counts as spent."""
        u = self.client.usage()
        tokens, cost = u.tokens, u.cost_usd
        if self.log.totals()["budget_stop"]:
            cfg = self.client.config
            tokens = max(tokens, cfg.max_tokens_total or 0)
            cost = max(cost, cfg.max_cost_usd or 0.0)
        return tokens, cost

    def close(self) -> None:
        """Close the client's connections (a replay holds none)."""
        close = getattr(self.client, "close", None)
        if callable(close):
            close()


class LLMProposer(ModelProposer):
    """Evolution operators as prompts (EoH), each answer repaired up to K times (AutoToS)."""

    name = "llm"
    operators: ClassVar[Mapping[str, int]] = {
        "init": 0, "crossover": 2, "crossover_common": 2, "mutate_algorithm": 1,
        "mutate_params": 1, "simplify": 1}
    default_operators: ClassVar[Mapping[str, Mapping[str, float]]] = {
        "exploit": {"mutate_algorithm": 0.3, "mutate_params": 0.25, "crossover": 0.2,
                    "crossover_common": 0.15, "simplify": 0.1},
        "explore": {"init": 0.4, "mutate_algorithm": 0.4, "crossover": 0.1, "simplify": 0.1},
    }
    operator_aliases: ClassVar[Mapping[str, str]] = {"mutate": "mutate_algorithm",
                                                     "tune": "mutate_params"}

    def __init__(self, client: MeteredClient, slots: dict[str, Slot],
                 config: LLMProposerConfig | None = None, store: Store | None = None,
                 refine: bool = False):
        super().__init__(client, slots, config, store)
        self.max_followups = self.config.repair_rounds
        #: CIRE's Observe → Reason → Act conversation for requests that carry a group.
        self.refiner = Refiner(self.writer, store, self.config.feedback_chars) if refine else None

    @classmethod
    def from_run(cls, config: RunConfig, slots: dict[str, Slot], store: Store) -> LLMProposer:
        """The proposer on the run's chat client, with CIRE's refinement when the run asks for it."""
        from heurevo.engine.proposers.factory import make_client

        return cls(make_client(config, store), slots, config.llm_proposer, store,
                   refine=config.cire.refinement)

    def prompt(self, request: ProposalRequest, slot: Slot) -> str:
        """The operator's user prompt for ``slot``."""
        op = request.operator
        if op not in OPERATOR_TEMPLATES:
            raise ProposalError(f"the llm proposer has no operator {op!r}; it offers "
                                f"{', '.join(self.operators)}")
        needed = self.operators[op]
        if len(request.parents) < needed:
            raise ProposalError(f"{op} needs {needed} parent(s), got {len(request.parents)}")
        fallback = source_of(None, request, slot)
        parents = "\n".join(
            format_member(chr(ord("A") + i), m, slot.name, fallback, self.config.feedback_chars)
            for i, m in enumerate(request.parents[:needed]))
        return render(OPERATOR_TEMPLATES[op], context=slot_context(slot),
                      default_source=slot.default_source.strip(), parents=parents) + lessons(request)

    def propose(self, request: ProposalRequest) -> Proposal:
        """Ask the model for new code of one requested slot by the request's operator."""
        slot = target_slot(request, self.slots)
        parent = source_of(request.parents[0], request, slot) if request.parents else None
        if self.refiner is not None and len(request.group) >= 2:
            return self.refiner.propose(request, slot, parent)
        messages: Messages = (("system", system_prompt(slot)),
                              ("user", self.prompt(request, slot)))
        written = self.writer.write(slot, messages, seed=request.seed, operator=request.operator,
                                    role="coder", repairs_used=0, first_is_repair=False,
                                    parent_source=parent)
        return Proposal({slot.name: written.source}, request.operator, written.idea,
                        meta={"slot": slot.name, "messages": written.messages,
                              "repairs": written.repairs, "parent_source": parent})

    def followup(self, request: ProposalRequest, proposal: Proposal, candidate: Candidate,
                 result: EvaluationResult) -> Proposal | None:
        """A repair of a candidate that was rejected, failed or crashed; None when it ran."""
        if result.ok:
            return None
        return repair_proposal(self.writer, self.slots, request, proposal, result, role="coder")


def evaluation_feedback(result: EvaluationResult) -> str:
    """What went wrong in an evaluation, for a repair prompt."""
    text = (result.feedback or result.error).strip()
    head = f"The candidate was {result.status.value} at stage {result.stage.value}."
    return f"{head}\n{text}" if text else head


def repair_proposal(writer: CodeWriter, slots: dict[str, Slot], request: ProposalRequest,
                    proposal: Proposal, result: EvaluationResult, *, role: str,
                    extra_meta: dict[str, Any] | None = None) -> Proposal | None:
    """An AutoToS repair round for a failed evaluation, or None when the repair budget is spent."""
    meta = proposal.meta
    repairs = int(meta.get("repairs", 0))
    if repairs >= writer.config.repair_rounds:
        return None
    slot = slots[meta["slot"]]
    feedback = evaluation_feedback(result)
    clip = writer.config.feedback_chars
    if len(feedback) > clip:
        feedback = feedback[:clip] + "\n[...]"
    messages = (*meta["messages"], ("user", render("repair", feedback=feedback,
                                                    def_line=slot.def_line())))
    written = writer.write(slot, messages, seed=request.seed, operator=proposal.operator,
                           role=role, repairs_used=repairs + 1, first_is_repair=True,
                           parent_source=meta.get("parent_source"), previous_idea=proposal.idea)
    return Proposal({slot.name: written.source}, proposal.operator, written.idea,
                    meta={**meta, **(extra_meta or {}), "messages": written.messages,
                          "repairs": written.repairs})

