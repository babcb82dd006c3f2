"""Recorded exchanges as a response cache: answers by request key, in the order they were made."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from heurevo.populations.records import LLMCall
from heurevo.populations.store import Store


class ResponseCache:
    """Recorded calls grouped by cache key; each :meth:`take` hands out the next one of a key.

    The same request asked twice gets the recorded outcomes in the order they were recorded,
    so a run that asks the same things in the same order replays exactly. Thread-safe.
    """

    def __init__(self, calls: Iterable[LLMCall]):
        self._lock = threading.Lock()
        self._by_key: dict[str, deque[LLMCall]] = {}
        for call in sorted(calls, key=lambda c: c.seq):
            self._by_key.setdefault(call.cache_key, deque()).append(call)

    @classmethod
    def from_store(cls, store: Store) -> ResponseCache:
        """A cache over every LLM call recorded in ``store``."""
        return cls(store.llm_calls())

    def take(self, key: str) -> LLMCall | None:
        """The next unused recorded call for ``key``, or None when there is none left."""
        with self._lock:
            queue = self._by_key.get(key)
            return queue.popleft() if queue else None

    def recorded(self, key: str) -> bool:
        """Whether ``key`` was recorded at all (used or not)."""
        return key in self._by_key

    def remaining(self) -> int:
        """Recorded calls not yet handed out."""
        with self._lock:
            return sum(len(q) for q in self._by_key.values())
