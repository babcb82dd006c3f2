"""The LLM client layer: chat over OpenAI-compatible endpoints, transcripts, replay, extraction.

:class:`LLMClient` talks to a live endpoint with retries, budgets and a concurrency limit and
records every exchange in the run store; :class:`ReplayClient` answers the same requests offline
from those records; :func:`extract_code` pulls a slot's function out of a model's answer.
"""

from heurevo.engine.llm.base import ChatClient, ChatRequest, ChatResult, make_request
from heurevo.engine.llm.budget import Budget, Usage
from heurevo.engine.llm.cache import ResponseCache
from heurevo.engine.llm.client import LLMClient
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.llm.errors import (
    BudgetExhausted,
    LLMError,
    LLMRequestError,
    LLMUnavailable,
    ReplayMiss,
)
from heurevo.engine.llm.extract import Extraction, ExtractStatus, extract_code
from heurevo.engine.llm.replay import ReplayClient

__all__ = [
    "Budget",
    "BudgetExhausted",
    "ChatClient",
    "ChatRequest",
    "ChatResult",
    "ExtractStatus",
    "Extraction",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMRequestError",
    "LLMUnavailable",
    "ReplayClient",
    "ReplayMiss",
    "ResponseCache",
    "Usage",
    "extract_code",
    "make_request",
]
