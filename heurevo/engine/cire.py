"""CIRE wired together: the ``[cire]`` config section and the parts a run gets from it.

Each component has its own switch so each can be ablated: clustering (and what it drives in
the controller: cluster selection, niching, the convergence signal), the novelty check, the
mistake notebook, the surrogate pre-screen, the LLM judge's composite fitness, and reflective
refinement for the LLM proposers. All are off by default, so a
plain config runs the plain engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from heurevo.engine.clustering import Clusterer, ClusteringConfig
from heurevo.engine.embeddings import EmbeddingConfig, EmbeddingIndex, make_embedder
from heurevo.engine.judge import Judge, JudgeConfig
from heurevo.engine.llm.base import ChatClient
from heurevo.engine.notebook import Notebook, NotebookConfig
from heurevo.engine.novelty import NoveltyConfig, NoveltyFilter
from heurevo.engine.surrogate import Surrogate, SurrogateConfig
from heurevo.errors import ConfigError
from heurevo.populations.records import (
    Candidate,
    EvalStatus,
    EvaluationResult,
    Member,
    ProposalRequest,
    Stage,
)
from heurevo.populations.store import Store
from heurevo.solvers.slots import Slot


@dataclass(frozen=True)
class CireConfig:
    """The ``[cire]`` section of a run config."""

    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)
    novelty: NoveltyConfig = field(default_factory=NoveltyConfig)
    notebook: NotebookConfig = field(default_factory=NotebookConfig)
    surrogate: SurrogateConfig = field(default_factory=SurrogateConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    #: Reflective multi-turn refinement (Observe, Reason, Act) per group, for LLM proposers.
    refinement: bool = False

    def validate(self) -> None:
        """Reject settings that cannot work (the message names ``cire.<section>.<key>``)."""
        for name in ("embedding", "clustering", "novelty", "notebook", "surrogate", "judge"):
            try:
                getattr(self, name).validate()
            except ConfigError as exc:
                raise exc.within(f"cire.{name}") from None

    @property
    def needs_embeddings(self) -> bool:
        """True when any switched-on component embeds code or text."""
        return self.clustering.enabled or self.novelty.enabled or bool(self.notebook.path) or \
            self.surrogate.enabled

    def with_components(self, names: set[str]) -> CireConfig:
        """This config with only the named components on (for ablations)."""
        return dataclasses.replace(
            self,
            clustering=dataclasses.replace(self.clustering, enabled="clustering" in names),
            novelty=dataclasses.replace(self.novelty, enabled="novelty" in names),
            notebook=self.notebook if "notebook" in names else NotebookConfig(),
            surrogate=dataclasses.replace(self.surrogate, enabled="surrogate" in names),
            refinement="refinement" in names)


#: Component names ``with_components`` and ``heurevo bench evolve --ablate`` know.
COMPONENTS = ("clustering", "novelty", "notebook", "refinement", "surrogate")


@dataclass
class CireParts:
    """What a run gets from its ``[cire]`` section (None where switched off).

    It is also the run loop's hook object: :meth:`prepare` with a generation's proposals (one
    embedding call), :meth:`check` before an evaluation (novelty, surrogate, known failures), :meth:`admit`
    after one, :meth:`annotate` on each request (notebook lessons and
    guidance), :meth:`end_generation` (the notebook's reflection).
    """

    index: EmbeddingIndex | None = None
    clusterer: Clusterer | None = None
    novelty: NoveltyFilter | None = None
    notebook: Notebook | None = None
    surrogate: Surrogate | None = None
    judge: Judge | None = None
    store: Store | None = None
    #: True when the proposer reads lessons in its prompts (LLM proposers; GP does not).
    prompts: bool = False

    def check(self, cand: Candidate) -> EvaluationResult | None:
        """A ``REJECTED`` result in place of an evaluation, or None to evaluate ``cand``."""
        if self.novelty is not None:
            verdict = self.novelty.check(cand)
            if verdict is not None:
                return verdict.result()
        if self.surrogate is not None:
            screened = self.surrogate.check(cand)
            if screened is not None:
                return screened
        nb = self.notebook
        if nb is not None and nb.config.skip_known_failures:
            known = nb.known_failure(cand)
            if known is not None:
                nb.skipped += 1
                return EvaluationResult(
                    cand.id, EvalStatus.REJECTED, Stage.CHECKS,
                    error=f"notebook: the same code failed before (candidate {known.candidate_id})",
                    feedback=f"Not evaluated: the mistake notebook holds this code as a failure: "
                             f"{known.text}. Change the approach.")
        return None

    def prepare(self, cands: list[Candidate]) -> None:
        """A generation's first proposals, embedded together before their novelty checks."""
        if self.novelty is not None:
            self.novelty.prepare(cands)
        if self.surrogate is not None:
            self.surrogate.prepare(cands)

    def rescore(self, member: Member) -> Member:
        """The member the controller is told: with the judge's composite fitness when it is on."""
        return self.judge.rescore(member) if self.judge is not None else member

    def admit(self, member: Member) -> None:
        """After an evaluation: the novelty archive and the notebook learn from it."""
        if self.novelty is not None:
            self.novelty.admit(member)
        if self.surrogate is not None:
            self.surrogate.admit(member)
        if self.notebook is not None:
            self.notebook.observe(member)

    def annotate(self, request: ProposalRequest) -> ProposalRequest:
        """The request with the notebook's guidance and most relevant lessons attached."""
        nb = self.notebook
        if nb is None or not self.prompts:
            return request
        parent = request.parents[0] if request.parents else None
        query = f"{request.operator} {' '.join(request.slots)} " + (
            f"{parent.candidate.idea} {parent.result.error}" if parent else "")
        found = nb.search(query, generation=request.generation)
        if self.store is not None and found:
            self.store.add_event("notebook_used", {"generation": request.generation,
                                                   "operator": request.operator,
                                                   "entries": [e.seq for e in found]})
        notes = [e.text for e in found]
        guidance = nb.guidance()
        return dataclasses.replace(request, notes=tuple(([guidance] if guidance else []) + notes))

    def end_generation(self, generation: int) -> None:
        """The notebook's reflection rewrites the guidance."""
        if self.notebook is not None:
            self.notebook.reflect(generation)

    def close(self) -> None:
        """Close the notebook file and the judge's client."""
        if self.notebook is not None:
            self.notebook.close()
        close = getattr(self.judge.client, "close", None) if self.judge is not None else None
        if close is not None:
            close()


def build_parts(config: CireConfig, slots: dict[str, Slot], store: Store,
                run_id: str = "", problem: str = "", prompts: bool = False,
                judge_client: ChatClient | None = None) -> CireParts:
    """The switched-on components of a run, sharing one embedding index (``prompts``: the
    proposer reads notebook lessons in its prompts; ``judge_client``: the LLM the judge asks)."""
    defaults = {n: s.default_source for n, s in slots.items()}
    judge = Judge(config.judge, judge_client, defaults, store) \
        if config.judge.enabled and judge_client is not None else None
    if not config.needs_embeddings:
        return CireParts(judge=judge, store=store)
    templates = {n: s.extra["gp_hole"].template for n, s in slots.items() if "gp_hole" in s.extra}
    index = EmbeddingIndex(make_embedder(config.embedding), defaults, store, templates)
    parts = CireParts(index=index, store=store, prompts=prompts, judge=judge)
    if config.clustering.enabled:
        parts.clusterer = Clusterer(config.clustering, index, store)
    if config.novelty.enabled:
        parts.novelty = NoveltyFilter(config.novelty, index, store)
    if config.surrogate.enabled:
        parts.surrogate = Surrogate(config.surrogate, index, store)
    if config.notebook.path:
        parts.notebook = Notebook(Path(config.notebook.path), make_embedder(config.embedding),
                                  config.notebook, run_id=run_id, problem=problem)
        parts.notebook.set_defaults(defaults)
    return parts
