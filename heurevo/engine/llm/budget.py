"""Thread-safe token and money accounting with hard caps checked before each call starts."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from heurevo.engine.llm.base import ChatRequest
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.llm.errors import BudgetExhausted


@dataclass(frozen=True)
class Usage:
    """What a client has spent so far."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Reservation:
    """The worst case one in-flight call may spend (estimated prompt plus ``max_tokens``)."""

    tokens: int
    cost_usd: float


class Budget:
    """Spending so far plus in-flight reservations, against ``max_tokens_total``/``max_cost_usd``.

    A call is refused with :class:`BudgetExhausted` before it starts when what is spent, what
    calls in flight may still spend and this call's worst case (prompt estimated at four
    characters a token, completion at ``max_tokens``) together pass a cap. The caps hold exactly
    when the server counts the prompt within that estimate.
    """

    def __init__(self, config: LLMConfig):
        self._config = config
        self._lock = threading.Lock()
        self._usage = Usage()
        self._held_tokens = 0
        self._held_cost = 0.0

    def usage(self) -> Usage:
        """A snapshot of what has been spent."""
        with self._lock:
            return self._usage

    def reserve(self, request: ChatRequest) -> Reservation:
        """Hold the worst case of ``request``; raises :class:`BudgetExhausted` if it may not fit."""
        prompt = request.estimated_prompt_tokens()
        res = Reservation(prompt + request.max_tokens,
                          self._config.cost_usd(prompt, request.max_tokens))
        cap_t, cap_c = self._config.max_tokens_total, self._config.max_cost_usd
        with self._lock:
            u = self._usage
            if cap_t is not None and u.tokens + self._held_tokens + res.tokens > cap_t:
                raise BudgetExhausted(
                    f"token budget: {u.tokens} spent and {self._held_tokens} in flight of "
                    f"max_tokens_total={cap_t}; this call may need {res.tokens} "
                    f"(~{prompt} prompt + max_tokens={request.max_tokens})")
            if cap_c is not None and u.cost_usd + self._held_cost + res.cost_usd > cap_c:
                raise BudgetExhausted(
                    f"money budget: ${u.cost_usd:.4f} spent and ${self._held_cost:.4f} in flight "
                    f"of max_cost_usd={cap_c}; this call may cost up to ${res.cost_usd:.4f}")
            self._held_tokens += res.tokens
            self._held_cost += res.cost_usd
        return res

    def settle(self, res: Reservation, prompt_tokens: int, completion_tokens: int,
               cost_usd: float) -> None:
        """Release ``res`` and add what the call actually spent."""
        with self._lock:
            self._held_tokens -= res.tokens
            self._held_cost -= res.cost_usd
            u = self._usage
            self._usage = Usage(u.calls + 1, u.prompt_tokens + prompt_tokens,
                                u.completion_tokens + completion_tokens, u.cost_usd + cost_usd)

    def release(self, res: Reservation) -> None:
        """Release ``res`` of a call that failed without spending."""
        with self._lock:
            self._held_tokens -= res.tokens
            self._held_cost -= res.cost_usd
