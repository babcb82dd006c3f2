"""A chat client for any OpenAI-compatible endpoint with retries, budgets and transcripts.

One :class:`LLMClient` serves many threads: a semaphore bounds the requests in flight, a
:class:`~heurevo.engine.llm.budget.Budget` refuses calls that could pass a cap, and transient
failures (429, 5xx, timeouts, connection errors, unreadable bodies) are retried with exponential
backoff and full jitter, honouring ``Retry-After``. Refusals (400, 401, 403, 404...) fail at
once. Every call that reached the network is recorded as one
:class:`~heurevo.populations.records.LLMCall`: on success ``response`` holds the text,
finish reason and attempts; on failure ``error`` holds the message and ``response`` the error
type, HTTP status and attempts. The API key never appears in a record or an error message.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import openai

from heurevo.engine.llm.base import (
    CHARS_PER_TOKEN,
    CallSink,
    ChatRequest,
    ChatResult,
    Message,
    make_request,
    result_from_call,
)
from heurevo.engine.llm.budget import Budget, Usage
from heurevo.engine.llm.cache import ResponseCache
from heurevo.engine.llm.config import LLMConfig
from heurevo.engine.llm.errors import LLMError, LLMRequestError, LLMUnavailable
from heurevo.errors import ConfigError
from heurevo.populations.records import LLMCall

#: Placeholder key for servers that need none (vLLM, Ollama, llama.cpp); the SDK insists on one.
NO_KEY = "no-key"

RETRY_STATUSES = frozenset({408, 409, 429})


class _Attempt(Exception):
    """One failed HTTP attempt, classified (internal)."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None,
                 retry_after_s: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after_s = retry_after_s


def parse_retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class LLMClient:
    """Live chat client over ``openai.OpenAI`` (the SDK's own retries are off; ours are used).

    ``store`` receives one :class:`LLMCall` per call that reached the network. With ``cache``,
    a request recorded there is answered from it first (no network, not recorded again).
    ``sleep`` and ``rng`` drive the backoff, so tests can run it instantly and reproducibly.
    """

    def __init__(self, config: LLMConfig, *, store: CallSink | None = None,
                 cache: ResponseCache | None = None, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None):
        config.validate()
        if not config.model:
            raise ConfigError("not set: name the model to ask", key="llm.model")
        if not config.base_url:
            raise ConfigError("not set: give the endpoint, e.g. http://127.0.0.1:8000/v1",
                              key="llm.base_url")
        self.config = config
        self._key = config.api_key()
        self._store = store
        self._cache = cache
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._budget = Budget(config)
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._sdk = openai.OpenAI(base_url=config.base_url, api_key=self._key or NO_KEY,
                                  timeout=config.timeout_s, max_retries=0)

    def usage(self) -> Usage:
        """Tokens and money spent so far by this client."""
        return self._budget.usage()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._sdk.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def chat(self, messages: Sequence[Message] | str, *, temperature: float | None = None,
             max_tokens: int | None = None, seed: int | None = None) -> ChatResult:
        """Send one chat request (defaults from the config) and return the answer.

        Raises :class:`BudgetExhausted` before sending when a cap could be passed,
        :class:`LLMRequestError` when the server refuses the request, and
        :class:`LLMUnavailable` when every attempt failed transiently.
        """
        req = make_request(self.config, messages, temperature=temperature,
                           max_tokens=max_tokens, seed=seed)
        key = req.cache_key()
        if self._cache is not None:
            recorded = self._cache.take(key)
            if recorded is not None:
                return answer_recorded(self._budget, req, recorded)
        reservation = self._budget.reserve(req)
        spent = False
        start = time.perf_counter()
        failures: list[str] = []
        try:
            while True:
                try:
                    with self._slots:
                        completion = self._send(req)
                    result = self._result(req, key, completion, len(failures) + 1,
                                          time.perf_counter() - start)
                except _Attempt as att:
                    failures.append(att.message)
                    delay = self._retry_delay(att, len(failures))
                    if delay is None:
                        raise self._fail(req, key, att, failures, start) from None
                    self._sleep(delay)
                    continue
                self._budget.settle(reservation, result.prompt_tokens, result.completion_tokens,
                                    result.cost)
                spent = True
                self._record(req, key, result, failures)
                return result
        finally:
            if not spent:
                self._budget.release(reservation)

    def _send(self, req: ChatRequest) -> Any:
        """One HTTP attempt; SDK errors become :class:`_Attempt` with redacted messages."""
        try:
            completion = self._sdk.chat.completions.create(
                model=req.model, messages=req.message_dicts(), **req.params())
        except openai.APITimeoutError:
            raise _Attempt(f"timed out after {self.config.timeout_s:g} s (timeout_s)",
                           retryable=True) from None
        except openai.APIConnectionError as exc:
            raise _Attempt(self._redact(f"connection failed: {exc.message}"),
                           retryable=True) from None
        except openai.APIResponseValidationError as exc:
            raise _Attempt(self._redact(f"unreadable response: {exc.message}"),
                           retryable=True) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            retryable = status in RETRY_STATUSES or status >= 500
            raise _Attempt(self._redact(f"HTTP {status}: {exc.message}"), retryable=retryable,
                           status=status,
                           retry_after_s=parse_retry_after(exc.response.headers)) from None
        except ValueError as exc:  # a body that is not JSON
            raise _Attempt(self._redact(f"unreadable response: {exc}"), retryable=True) from None
        if not getattr(completion, "choices", None):
            raise _Attempt("unreadable response: no choices in the completion", retryable=True)
        return completion

    def _result(self, req: ChatRequest, key: str, completion: Any, attempts: int,
                seconds: float) -> ChatResult:
        choice = completion.choices[0]
        text = (choice.message.content if choice.message is not None else None) or ""
        usage = getattr(completion, "usage", None)
        estimated = usage is None or usage.prompt_tokens is None
        if estimated:
            pt = req.estimated_prompt_tokens()
            ct = -(-len(text) // CHARS_PER_TOKEN)
        else:
            pt, ct = int(usage.prompt_tokens), int(usage.completion_tokens or 0)
        return ChatResult(text=text, finish_reason=choice.finish_reason, prompt_tokens=pt,
                          completion_tokens=ct, cost=self.config.cost_usd(pt, ct),
                          seconds=seconds, attempts=attempts, cached=False,
                          usage_estimated=estimated, cache_key=key)

    def _retry_delay(self, att: _Attempt, failed: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not att.retryable or failed > self.config.max_retries:
            return None
        if att.retry_after_s is not None:
            if att.retry_after_s > self.config.max_retry_after_s:
                return None
            return att.retry_after_s
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** (failed - 1))
        return self._rng.uniform(0.0, ceiling)

    def _fail(self, req: ChatRequest, key: str, att: _Attempt, failures: list[str],
              start: float) -> LLMError:
        """Record the failed call and build the error to raise."""
        cfg = self.config
        where = f"{cfg.base_url} (model {cfg.model!r})"
        if not att.retryable:
            hint = {401: f"check the API key in ${cfg.api_key_env}",
                    403: f"the key in ${cfg.api_key_env} may not use this model",
                    404: "check base_url and the model name"}.get(att.status or 0,
                                                                  "the request was refused")
            err: LLMError = LLMRequestError(f"{where}: {att.message}; not retried: {hint}",
                                            status=att.status)
        elif att.retry_after_s is not None and att.retry_after_s > cfg.max_retry_after_s:
            err = LLMUnavailable(
                f"{where}: {att.message}; the server asked to wait {att.retry_after_s:g} s "
                f"(Retry-After), more than max_retry_after_s={cfg.max_retry_after_s:g}",
                attempts=len(failures))
        else:
            err = LLMUnavailable(
                f"{where}: gave up after {len(failures)} attempts (max_retries="
                f"{cfg.max_retries}); last error: {att.message}", attempts=len(failures))
        message = self._redact(str(err))
        if self._store is not None:
            self._store.add_llm_call(LLMCall(
                seq=0, cache_key=key, model=req.model, request=req.as_record(),
                response={"error_type": type(err).__name__, "status": att.status,
                          "attempts": len(failures), "attempt_errors": failures},
                seconds=time.perf_counter() - start, error=message))
        err.args = (message,)
        return err

    def _record(self, req: ChatRequest, key: str, result: ChatResult,
                failures: list[str]) -> None:
        if self._store is None:
            return
        self._store.add_llm_call(LLMCall(
            seq=0, cache_key=key, model=req.model, request=req.as_record(),
            response={"text": result.text, "finish_reason": result.finish_reason,
                      "attempts": result.attempts, "usage_estimated": result.usage_estimated,
                      "attempt_errors": failures},
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            cost=result.cost, seconds=result.seconds))

    def _redact(self, text: str) -> str:
        """``text`` with the API key replaced."""
        return text.replace(self._key, "[redacted]") if self._key else text


def answer_recorded(budget: Budget, req: ChatRequest, call: LLMCall) -> ChatResult:
    """Answer ``req`` with a recorded call: counts it against ``budget`` or re-raises its error."""
    if call.error:
        kind = (call.response or {}).get("error_type")
        if kind == "LLMRequestError":
            raise LLMRequestError(call.error, status=(call.response or {}).get("status"))
        raise LLMUnavailable(call.error, attempts=int((call.response or {}).get("attempts", 1)))
    reservation = budget.reserve(req)
    budget.settle(reservation, call.prompt_tokens, call.completion_tokens, call.cost)
    return result_from_call(call)
