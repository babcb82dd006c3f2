"""Build the proposer a run config asks for."""

from __future__ import annotations

from heurevo.engine.proposers.base import Proposer
from heurevo.engine.proposers.gp import GPProposer
from heurevo.engine.run_config import RunConfig
from heurevo.populations.store import Store
from heurevo.solvers.slots import Slot


def make_proposer(config: RunConfig, slots: dict[str, Slot], store: Store) -> Proposer:
    """The configured proposer (LLM proposers record their transcripts in ``store``)."""
    del store  # used by the LLM proposers
    return GPProposer(slots, config.gp, config.tuning)
