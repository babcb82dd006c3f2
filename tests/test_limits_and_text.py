"""Limits are bounded at the boundary; text from candidates is cut and printed literally."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from heurevo import limits
from heurevo.config import load_toml
from heurevo.engine.run_config import RunConfig
from heurevo.engine.views import run_report
from heurevo.errors import ConfigError
from heurevo.populations.records import Candidate, EvalStatus, EvaluationResult, Stage
from heurevo.text import MAX_TEXT_CHARS, clip_text


def _config(tmp_path: Path, evaluation: str) -> Path:
    p = tmp_path / "run.toml"
    p.write_text(f"problem = \"pbo\"\n\n[evaluation]\n{evaluation}\n")
    return p


@pytest.mark.parametrize(("line", "key", "fragment"), [
    ("timeout_s = inf", "timeout_s", "expected a finite number, got inf"),
    ("timeout_s = nan", "timeout_s", "got nan"),
    ("timeout_s = 0.0", "timeout_s", "must be a finite number of seconds > 0, got 0.0"),
    ("timeout_s = -1.0", "timeout_s", "got -1.0"),
    (f"budget_steps = {2**63 - 1}", "budget_steps", "must be between 0 and 1,000,000,000 steps (the cap)"),
    ("budget_steps = -5", "budget_steps", "got -5"),
    ("memory_mb = 64", "memory_mb", "must be at least 1024 MB"),
    ("workers = 0", "workers", "must be >= 1"),
    (f"workers = {limits.max_workers() + 1}", "workers", "pass --force-workers"),
])
def test_run_config_limits_are_one_line_errors(tmp_path: Path, line: str, key: str, fragment: str) -> None:
    path = _config(tmp_path, line)
    with pytest.raises(ConfigError) as err:
        load_toml(RunConfig, path)
    text = str(err.value)
    assert fragment in text and f"key 'evaluation.{key}'" in text and str(path) in text, text
    assert "\n" not in text


def test_forced_workers_and_sensible_limits_pass(tmp_path: Path) -> None:
    many = limits.max_workers() + 1
    cfg = load_toml(RunConfig, _config(tmp_path, f"workers = {many}\nforce_workers = true\n"
                                                  "memory_mb = 0\ntimeout_s = 0.5"))
    assert cfg.evaluation.workers == many and cfg.evaluation.memory_mb == 0


def test_clip_text_says_how_much_was_cut() -> None:
    assert clip_text("short") == "short"
    huge = "a" * 10 + "x" * 30_000_000 + "END"
    cut = clip_text(huge)
    assert len(cut) <= MAX_TEXT_CHARS + 60
    assert cut.startswith("a" * 10) and cut.endswith("END")
    assert f"{len(huge) - MAX_TEXT_CHARS} characters cut" in cut


def test_store_keeps_at_most_the_limit(store) -> None:
    cand = Candidate.new("pbo", {"calculate_score": "def calculate_score(hscore, oscore):\n    return 0.0\n"})
    store.add_candidate(cand)
    big = "boom " * 6_000_000  # 30 MB, as an exception message once was
    store.record_evaluation("k", EvaluationResult(cand.id, EvalStatus.FAILED, Stage.SMOKE,
                                                  error=big, feedback=big))
    (_, stored), = store.evaluations()
    assert len(stored.feedback) < MAX_TEXT_CHARS + 60 and "characters cut" in stored.feedback
    assert len(stored.error) < MAX_TEXT_CHARS + 60


def test_show_prints_candidate_text_literally(store) -> None:
    idea = "[/bold] close a tag never opened [red]and open one"
    cand = Candidate.new("pbo", {"calculate_score": "def calculate_score(hscore, oscore):\n    return 1.0\n"},
                         idea=idea)
    store.add_candidate(cand)
    store.record_evaluation(f"{cand.id}/train/x", EvaluationResult(cand.id, EvalStatus.OK, Stage.FULL,
                                                                   fitness=1.0))
    store.add_event("stop", {"reason": "[/] budget [bold]"})
    out = io.StringIO()
    Console(file=out, width=300, color_system=None).print(run_report(store))
    assert idea[:60] in out.getvalue() and "[/] budget [bold]" in out.getvalue()
