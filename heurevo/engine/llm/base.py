"""What every chat client shares: the request record, its cache key, the result, the protocol."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from heurevo.engine.llm.config import LLMConfig
from heurevo.populations.records import LLMCall

#: A chat message as the OpenAI protocol has it: {"role": ..., "content": ...}.
Message = Mapping[str, str]

#: Roughly how many characters make one token, for estimates when a server reports no usage.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class ChatRequest:
    """One chat request in plain data: what is sent (without any key) and what is recorded."""

    model: str
    messages: tuple[tuple[str, str], ...]
    temperature: float
    max_tokens: int
    seed: int | None

    def params(self) -> dict[str, Any]:
        """Sampling parameters sent along with the messages."""
        out: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def message_dicts(self) -> list[dict[str, str]]:
        """The messages as the protocol wants them."""
        return [{"role": r, "content": c} for r, c in self.messages]

    def as_record(self) -> dict[str, Any]:
        """The JSON-ready request stored in a transcript."""
        return {"model": self.model, "messages": self.message_dicts(), **self.params()}

    def cache_key(self) -> str:
        """SHA-256 of (model, messages, sampling parameters): equal requests share a key."""
        blob = json.dumps(self.as_record(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def estimated_prompt_tokens(self) -> int:
        """Prompt size at about four characters a token (plus a few per message)."""
        chars = sum(len(c) + len(r) for r, c in self.messages)
        return chars // CHARS_PER_TOKEN + 4 * len(self.messages)


def make_request(config: LLMConfig, messages: Sequence[Message] | str, *,
                 temperature: float | None = None, max_tokens: int | None = None,
                 seed: int | None = None) -> ChatRequest:
    """Normalise ``messages`` (a string is one user message) and fill defaults from ``config``."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    pairs = []
    for i, m in enumerate(messages):
        role, content = m.get("role"), m.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise ValueError(f"message {i} needs string 'role' and 'content', got {dict(m)!r}")
        pairs.append((role, content))
    if not pairs:
        raise ValueError("a chat request needs at least one message")
    mt = config.max_tokens if max_tokens is None else max_tokens
    if mt <= 0:
        raise ValueError(f"max_tokens must be positive, got {mt}")
    return ChatRequest(config.model, tuple(pairs),
                       config.temperature if temperature is None else float(temperature), mt, seed)


@dataclass(frozen=True)
class ChatResult:
    """The answer to one chat request.

    ``cost`` is in USD; ``seconds`` is the wall time of the call including retries (for a
    cached answer, the time recorded when it was first made); ``attempts`` counts HTTP
    attempts; ``usage_estimated`` is True when the server gave no token counts.
    """

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost: float
    seconds: float
    attempts: int
    cached: bool = False
    usage_estimated: bool = False
    cache_key: str = ""


def result_from_call(call: LLMCall) -> ChatResult:
    """The :class:`ChatResult` a recorded successful call stands for (marked cached)."""
    resp = call.response or {}
    return ChatResult(text=resp.get("text", ""), finish_reason=resp.get("finish_reason"),
                      prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens,
                      cost=call.cost, seconds=call.seconds, attempts=int(resp.get("attempts", 1)),
                      cached=True, usage_estimated=bool(resp.get("usage_estimated", False)),
                      cache_key=call.cache_key)


class CallSink(Protocol):
    """Where transcripts go: anything with ``add_llm_call`` (every run ``Store`` has it)."""

    def add_llm_call(self, call: LLMCall) -> int:
        """Record one exchange; returns its sequence number."""
        ...


class ChatClient(Protocol):
    """What proposers use: a live :class:`~heurevo.engine.llm.client.LLMClient` or a replay."""

    config: LLMConfig

    def chat(self, messages: Sequence[Message] | str, *, temperature: float | None = None,
             max_tokens: int | None = None, seed: int | None = None) -> ChatResult:
        """Answer one chat request."""
        ...
