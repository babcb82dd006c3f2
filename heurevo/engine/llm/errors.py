"""Errors of the LLM client layer; all derive from :class:`heurevo.errors.HeurevoError`."""

from __future__ import annotations

from heurevo.errors import HeurevoError


class LLMError(HeurevoError):
    """A chat request could not be answered."""


class BudgetExhausted(LLMError):
    """A call was refused because it could push spending past a token or money cap."""


class LLMRequestError(LLMError):
    """The endpoint refused the request (400, 401, 403, 404...): retrying cannot help."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class LLMUnavailable(LLMError):
    """Every attempt failed with a transient error (429, 5xx, timeout, connection, bad body)."""

    def __init__(self, message: str, *, attempts: int):
        self.attempts = attempts
        super().__init__(message)


class ReplayMiss(LLMError):
    """Replay mode was asked a request that the recorded run never made (or made fewer times)."""
