"""Build the proposer a run config asks for."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from heurevo.engine.proposers.base import Proposer, proposer_class
from heurevo.engine.run_config import RunConfig
from heurevo.errors import ConfigError
from heurevo.populations.records import LLMCall
from heurevo.populations.store import SQLiteStore, Store
from heurevo.solvers.slots import Slot

if TYPE_CHECKING:
    from heurevo.engine.proposers.llm import MeteredClient

#: The store file inside a run folder (as heurevo.engine.session writes it).
RUN_STORE = "run.sqlite"


def make_proposer(config: RunConfig, slots: dict[str, Slot], store: Store) -> Proposer:
    """The configured proposer, from the registry (LLM proposers record transcripts in ``store``)."""
    return proposer_class(config.proposer).from_run(config, slots, store)


def make_client(config: RunConfig, store: Store) -> MeteredClient:
    """The chat client of an LLM run: a replay of a recorded run, or the live endpoint.

    The run's token and money budgets become the client's hard caps, so no call can pass them.
    A live client records every exchange in ``store`` and answers requests already recorded
    there from it (a resumed run repeats no call).
    """
    from heurevo.engine.llm import LLMClient, ReplayClient, ResponseCache

    llm = dataclasses.replace(config.llm, max_tokens_total=config.budget.tokens,
                              max_cost_usd=config.budget.cost_usd)
    try:
        llm.validate()
    except ConfigError as exc:
        raise exc.within("llm") from None
    replay = config.llm_proposer.replay
    if replay:
        return ReplayClient(llm, recorded_calls(Path(replay)))
    return LLMClient(llm, store=store, cache=ResponseCache.from_store(store))


def recorded_calls(run: Path) -> list[LLMCall]:
    """Every LLM call recorded in a run folder (or its ``run.sqlite``), read and closed again."""
    path = run / RUN_STORE if run.is_dir() else run
    if not path.is_file():
        raise ConfigError(f"{run}: no recorded run here (looked for {path})",
                          key="llm_proposer.replay")
    recorded = SQLiteStore(path)
    try:
        calls = recorded.llm_calls()
    finally:
        recorded.close()
    if not calls:
        raise ConfigError(f"{path} holds no LLM calls to replay", key="llm_proposer.replay")
    return calls
