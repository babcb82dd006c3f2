"""Offline replay of a recorded run: answers only from recorded LLM calls, never the network."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from heurevo.engine.llm.base import ChatResult, Message, make_request
from heurevo.engine.llm.budget import Budget, Usage
from heurevo.engine.llm.cache import ResponseCache
from heurevo.engine.llm.client import answer_recorded
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.llm.errors import ReplayMiss
from heurevo.populations.records import LLMCall
from heurevo.populations.store import Store


class ReplayClient:
    """A :class:`~heurevo.engine.llm.base.ChatClient` that replays ``recorded`` calls exactly.

    Each request is matched by its cache key (model, messages, sampling parameters); the same
    request asked again gets the next recorded outcome for it, a recorded failure raises the
    same kind of error, and budgets are enforced as in the live run. A request never recorded
    (or asked more often than recorded) raises :class:`ReplayMiss`.
    """

    def __init__(self, config: LLMConfig, recorded: Store | Iterable[LLMCall]):
        config.validate()
        self.config = config
        calls = recorded.llm_calls() if isinstance(recorded, Store) else list(recorded)
        self._cache = ResponseCache(calls)
        self._budget = Budget(config)

    def usage(self) -> Usage:
        """Tokens and money the replayed answers account for so far."""
        return self._budget.usage()

    def remaining(self) -> int:
        """Recorded calls not yet replayed."""
        return self._cache.remaining()

    def chat(self, messages: Sequence[Message] | str, *, temperature: float | None = None,
             max_tokens: int | None = None, seed: int | None = None) -> ChatResult:
        """The recorded answer to this request; raises :class:`ReplayMiss` when there is none."""
        req = make_request(self.config, messages, temperature=temperature,
                           max_tokens=max_tokens, seed=seed)
        key = req.cache_key()
        call = self._cache.take(key)
        if call is None:
            why = ("was asked more often than recorded" if self._cache.recorded(key)
                   else "was never recorded")
            first = req.messages[-1][1].strip().splitlines()[:1]
            raise ReplayMiss(
                f"replay: request {key[:12]} (model {req.model!r}, {len(req.messages)} messages, "
                f"params {req.params()}) {why}; last message starts "
                f"{(first[0][:80] if first else '')!r}. Replay needs the same prompts, sampling "
                f"parameters and model as the recorded run")
        return answer_recorded(self._budget, req, call)
