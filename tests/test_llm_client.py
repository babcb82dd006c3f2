"""The LLM client against a real HTTP server on 127.0.0.1, recording into a real SQLite store."""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time

import pytest
from llm_fake_server import FakeLLMServer, error, fake_llm_fixture, malformed, ok  # noqa: F401

from heurevo.config import from_mapping
from heurevo.engine.llm import (
    BudgetExhausted,
    ExtractStatus,
    LLMClient,
    LLMConfig,
    LLMRequestError,
    LLMUnavailable,
    ReplayClient,
    ReplayMiss,
    ResponseCache,
    extract_code,
)
from heurevo.engine.llm.client import parse_retry_after
from heurevo.errors import ConfigError, HeurevoError
from heurevo.populations.store import SQLiteStore

KEY = "sk-test-SECRET-4f9a7c"
SLOT = ("pick_best_variable", ("state", "scores", "rng_state"))
GOOD = ("Idea: take the best score.\n\n```python\n"
        "def pick_best_variable(state, scores, rng_state):\n    return 0\n```\n")


class Sleeps:
    """A recording sleep that does not sleep."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, s: float) -> None:
        self.calls.append(s)


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("HEUREVO_LLM_API_KEY", KEY)


def make(server: FakeLLMServer, store=None, sleep=None, cache=None, **kw) -> LLMClient:
    cfg = LLMConfig(model="fake-model", base_url=server.base_url,
                    **{"timeout_s": 2.0, "max_retries": 3, "backoff_base_s": 0.5,
                       "backoff_cap_s": 4.0, "max_tokens": 64, **kw})
    return LLMClient(cfg, store=store, cache=cache, sleep=sleep or Sleeps(), rng=random.Random(0))


def test_good_code_through_http(fake_llm, store) -> None:
    fake_llm.push(ok(GOOD, prompt_tokens=12, completion_tokens=30))
    client = make(fake_llm, store, prices={"fake-model": (1.0, 2.0)})
    res = client.chat([{"role": "system", "content": "be brief"},
                       {"role": "user", "content": "write it"}], seed=5)
    assert (res.prompt_tokens, res.completion_tokens, res.attempts) == (12, 30, 1)
    assert res.cost == pytest.approx((12 * 1.0 + 30 * 2.0) / 1e6)
    assert not res.cached and not res.usage_estimated and res.finish_reason == "stop"
    ext = extract_code(res.text, *SLOT, finish_reason=res.finish_reason)
    assert ext.ok and ext.idea == "take the best score."
    [req] = fake_llm.chat_requests()
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.body["seed"] == 5 and req.body["max_tokens"] == 64
    assert req.body["messages"][0] == {"role": "system", "content": "be brief"}
    [call] = store.llm_calls()
    assert call.response["text"] == GOOD and call.prompt_tokens == 12 and call.error == ""
    assert call.cache_key == res.cache_key and call.request["seed"] == 5


@pytest.mark.parametrize(("content", "finish", "status"), [
    ("Sure, here it is:\n\n```py\ndef pick_best_variable(state, scores, rng_state):\n"
     "    return 1\n```\nIt returns 1.", "stop", ExtractStatus.OK),
    ("def pick_best_variable(state, scores, rng_state):\n    return 2\n", "stop", ExtractStatus.OK),
    ("```python\ndef pick_var(a, b, c):\n    return 0\n```", "stop", ExtractStatus.WRONG_NAME),
    ("```python\ndef pick_best_variable(a):\n    return 0\n```", "stop", ExtractStatus.WRONG_ARITY),
    ("```python\ndef pick_best_variable(state, scores, rng_state):\n    return )(\n    x = 1\n```",
     "stop", ExtractStatus.SYNTAX_ERROR),
    ("```python\ndef pick_best_variable(state, scores, rng_state):\n    x = 1\n", "length",
     ExtractStatus.TRUNCATED),
    ("```python\ndef pick_best_variable(state, scores, rng_state):\n    return 0\n```\n" * 4,
     "stop", ExtractStatus.OK),
])
def test_answers_over_http_are_classified(fake_llm, content, finish, status) -> None:
    fake_llm.push(ok(content, finish_reason=finish))
    res = make(fake_llm).chat("write it")
    assert res.finish_reason == finish
    ext = extract_code(res.text, *SLOT, finish_reason=res.finish_reason)
    assert ext.status is status, ext
    if status is ExtractStatus.OK:
        assert ext.source.count("def pick_best_variable") == 1 and ext.complaint == ""
    else:
        assert ext.complaint and "def pick_best_variable(state, scores, rng_state):" in ext.complaint


def test_429_retry_after_seconds_and_date_honoured(fake_llm, store) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake_llm.push(error(429, "slow down", retry_after="7"), error(429, retry_after=when),
                  ok("def f():\n    pass\n"))
    sleeps = Sleeps()
    res = make(fake_llm, store, sleeps, max_retry_after_s=60).chat("hi")
    assert res.attempts == 3 and len(fake_llm.chat_requests()) == 3
    assert sleeps.calls[0] == 7.0 and 27.0 < sleeps.calls[1] <= 30.0
    [call] = store.llm_calls()
    assert call.response["attempts"] == 3 and "HTTP 429" in call.response["attempt_errors"][0]


def test_retry_after_longer_than_allowed_gives_up(fake_llm) -> None:
    fake_llm.push(error(429, retry_after="3600"))
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailable, match="Retry-After"):
        make(fake_llm, sleep=sleeps, max_retry_after_s=60).chat("hi")
    assert sleeps.calls == []


def test_500_then_success_backs_off_with_full_jitter(fake_llm) -> None:
    fake_llm.push(error(500), error(502), malformed(), ok("fine"))
    sleeps = Sleeps()
    res = make(fake_llm, sleep=sleeps).chat("hi")
    assert res.text == "fine" and res.attempts == 4
    ceilings = [0.5, 1.0, 2.0]
    assert len(sleeps.calls) == 3
    assert all(0.0 <= s <= c for s, c in zip(sleeps.calls, ceilings, strict=True))
    rng = random.Random(0)
    assert sleeps.calls == [rng.uniform(0, c) for c in ceilings]


def test_slow_response_times_out_retried_then_clear_error(fake_llm, store) -> None:
    fake_llm.default = ok("late", delay_s=3.0)
    sleeps = Sleeps()
    client = make(fake_llm, store, sleeps, timeout_s=0.25, max_retries=1)
    t0 = time.perf_counter()
    with pytest.raises(LLMUnavailable) as info:
        client.chat("hi")
    assert time.perf_counter() - t0 < 2.0
    msg = str(info.value)
    assert "gave up after 2 attempts" in msg and "timed out after 0.25 s" in msg
    assert info.value.attempts == 2 and len(sleeps.calls) == 1
    [call] = store.llm_calls()
    assert call.response["error_type"] == "LLMUnavailable" and "timed out" in call.error


@pytest.mark.parametrize(("status", "hint"), [(401, "HEUREVO_LLM_API_KEY"), (400, "refused"),
                                              (404, "model name")])
def test_refusals_fail_at_once(fake_llm, store, status, hint) -> None:
    fake_llm.push(error(status, f"nope, key {KEY} is invalid"), ok("never"))
    sleeps = Sleeps()
    with pytest.raises(LLMRequestError, match=hint) as info:
        make(fake_llm, store, sleeps).chat("hi")
    assert info.value.status == status and f"HTTP {status}" in str(info.value)
    assert KEY not in str(info.value) and "[redacted]" in str(info.value)
    assert len(fake_llm.chat_requests()) == 1 and sleeps.calls == []
    dump = json.dumps([c.__dict__ for c in store.llm_calls()])
    assert KEY not in dump and "[redacted]" in dump


def test_key_never_in_store_or_errors(fake_llm, store) -> None:
    fake_llm.push(error(503, f"upstream said {KEY}"), ok("text mentioning nothing"))
    make(fake_llm, store).chat("hi")
    files = list(store.path.parent.glob("run.sqlite*"))
    assert files and all(KEY.encode() not in f.read_bytes() for f in files)
    assert len(store.llm_calls()) == 1
    assert fake_llm.chat_requests()[0].headers["authorization"].endswith(KEY)


def test_token_budget_never_exceeded(fake_llm) -> None:
    fake_llm.default = ok("x" * 40, prompt_tokens=8, completion_tokens=10)
    client = make(fake_llm, max_tokens=10, max_tokens_total=100)
    done = 0
    with pytest.raises(BudgetExhausted, match="max_tokens_total=100"):
        for _ in range(50):
            client.chat("hello")  # ~6 prompt tokens estimated + 10 max
            done += 1
    u = client.usage()
    assert u.tokens <= 100 and u.calls == done == len(fake_llm.chat_requests()) >= 4


def test_money_budget_never_exceeded_and_usage_estimated_without_usage(fake_llm) -> None:
    fake_llm.default = ok("y" * 400, prompt_tokens=None, completion_tokens=None)
    client = make(fake_llm, max_tokens=100, prices={"fake-model": (1000.0, 1000.0)},
                  max_cost_usd=1.0)
    results = []
    with pytest.raises(BudgetExhausted, match="max_cost_usd"):
        for _ in range(50):
            results.append(client.chat("z" * 40))
    assert results and all(r.usage_estimated for r in results)
    assert results[0].completion_tokens == 100 and results[0].prompt_tokens == (40 + 4) // 4 + 4
    assert client.usage().cost_usd <= 1.0 and len(results) == 8  # 8 x $0.115
    assert len(fake_llm.chat_requests()) == len(results)


def test_concurrency_limit_respected_at_the_server(fake_llm, store) -> None:
    fake_llm.default = ok("ok", delay_s=0.15)
    client = make(fake_llm, store, max_concurrency=2)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client.chat(f"job {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert fake_llm.max_active == 2 and len(store.llm_calls()) == 6


def test_replay_reproduces_session_offline(fake_llm, store, tmp_path) -> None:
    fake_llm.push(ok("first A", prompt_tokens=5, completion_tokens=7), ok(GOOD),
                  ok("second A", prompt_tokens=6, completion_tokens=8), error(401))
    client = make(fake_llm, store, prices={"fake-model": (3.0, 4.0)})
    live = [client.chat("A", seed=1), client.chat("B", temperature=0.1), client.chat("A", seed=1)]
    with pytest.raises(LLMRequestError):
        client.chat("C")
    url, config = fake_llm.base_url, client.config
    fake_llm.stop()
    client.close()
    reopened = SQLiteStore(store.path)
    replay = ReplayClient(config, reopened)
    again = [replay.chat("A", seed=1), replay.chat("B", temperature=0.1), replay.chat("A", seed=1)]
    for a, b in zip(live, again, strict=True):
        assert (a.text, a.finish_reason, a.prompt_tokens, a.completion_tokens, a.cost,
                a.attempts) == (b.text, b.finish_reason, b.prompt_tokens, b.completion_tokens,
                                b.cost, b.attempts)
        assert b.cached and not a.cached
    assert again[0].text == "first A" and again[2].text == "second A"
    with pytest.raises(LLMRequestError, match="401"):
        replay.chat("C")
    with pytest.raises(ReplayMiss, match="more often than recorded"):
        replay.chat("A", seed=1)
    with pytest.raises(ReplayMiss, match="never recorded"):
        replay.chat("A", seed=2)
    assert replay.usage().tokens == client.usage().tokens and replay.remaining() == 0
    assert url.startswith("http://127.0.0.1:")
    reopened.close()


def test_live_client_answers_from_cache_first(fake_llm, store) -> None:
    fake_llm.push(ok("recorded"), ok("fresh"))
    make(fake_llm, store).chat("Q")
    client = make(fake_llm, store, cache=ResponseCache.from_store(store))
    first, second = client.chat("Q"), client.chat("Q")
    assert (first.text, first.cached) == ("recorded", True)
    assert (second.text, second.cached) == ("fresh", False)
    assert len(fake_llm.chat_requests()) == 2 and len(store.llm_calls()) == 2


def test_config_from_mapping_and_validation() -> None:
    cfg = from_mapping(LLMConfig, {"model": "m", "base_url": "http://127.0.0.1:1/v1",
                                   "prices": {"m": [0.5, 1.5]}, "max_cost_usd": 2})
    assert cfg.prices == {"m": (0.5, 1.5)} and cfg.cost_usd(1_000_000, 0) == 0.5
    with pytest.raises(ConfigError, match="max_concurrency"):
        from_mapping(LLMConfig, {"max_concurrency": 0})
    with pytest.raises(ConfigError, match="needs a price"):
        from_mapping(LLMConfig, {"model": "m", "max_cost_usd": 1.0})
    with pytest.raises(ConfigError, match="base_url"):
        from_mapping(LLMConfig, {"base_url": "127.0.0.1:8000"})
    with pytest.raises(ConfigError, match=r"llm\.model"):
        LLMClient(LLMConfig(base_url="http://127.0.0.1:1/v1"))
    assert issubclass(BudgetExhausted, HeurevoError)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
