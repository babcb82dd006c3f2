"""Ablations: variant configs, and a tiny real ablation (evolutions, then the board of their bests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heurevo.benchmarks.ablate import AblationSpec, variants
from heurevo.config import dump_toml
from heurevo.engine.evaluate import EvaluationConfig
from heurevo.engine.run_config import BudgetConfig, RunConfig, SuiteConfig
from heurevo.engine.session import STORE_FILE
from heurevo.errors import ConfigError, UnknownNameError
from heurevo.populations.store import SQLiteStore


def _config() -> RunConfig:
    return RunConfig(problem="pbo", seed=1, suite=SuiteConfig(name="pbo-tiny"),
                     budget=BudgetConfig(evaluations=5),
                     evaluation=EvaluationConfig(budget_steps=2000, workers=2))


def test_variants_switch_components_off_and_sweep_knobs(tmp_path) -> None:
    spec = AblationSpec(_config(), ("crossover", "minibatch", "population", "proposer"), 2, tmp_path, "pbo-tiny")
    got = dict(variants(spec))
    assert next(iter(got)) == "full" and got["full"] == spec.config
    no_x = got["no-crossover"].controller
    assert "crossover" not in no_x.exploit_operators and "crossover" not in no_x.explore_operators
    assert no_x.exploit_operators["mutate"] == spec.config.controller.exploit_operators["mutate"]
    assert got["minibatch=off"].evaluation.minibatch == 0 and got["minibatch=1"].evaluation.minibatch == 1
    assert {got["population=4"].controller.population_size, got["population=16"].controller.population_size} == {4, 16}
    llm = got["proposer=llm"]
    assert llm.proposer == "llm" and "mutate_algorithm" in llm.controller.exploit_operators
    with pytest.raises(UnknownNameError):
        variants(AblationSpec(_config(), ("nonsense",), 1, tmp_path, "pbo-tiny"))


def test_knobs_sweep_the_values_given(tmp_path) -> None:
    import dataclasses

    spec = AblationSpec(_config(), ("minibatch=1,2,8", "population=3", "proposer=llm,autopbo"), 2,
                        tmp_path, "pbo-tiny")
    got = dict(variants(spec))
    assert [k for k in got if k.startswith("minibatch")] == ["minibatch=1", "minibatch=2", "minibatch=8"]
    assert got["minibatch=8"].evaluation.minibatch == 8 and "minibatch=4" not in got  # 4 is the config's
    assert got["population=3"].controller.population_size == 3
    assert got["proposer=autopbo"].proposer == "autopbo"
    llm = dataclasses.replace(_config(), proposer="llm")
    fed = dict(variants(AblationSpec(llm, ("feedback=300,5000",), 1, tmp_path, "pbo-tiny")))
    assert fed["feedback=300"].llm_proposer.feedback_chars == 300
    assert fed["feedback=5000"].llm_proposer.feedback_chars == 5000
    assert set(dict(variants(AblationSpec(llm, ("feedback",), 1, tmp_path, "pbo-tiny")))) == \
        {"full", "feedback=100", "feedback=4800"}
    for bad, match in (("feedback=300", "gp proposer"), ("minibatch=-1", ">= 0"), ("minibatch=", "values"),
                       ("crossover=2", "no values"), ("population=x", ">= 1")):
        with pytest.raises(ConfigError, match=match):
            variants(AblationSpec(_config(), (bad,), 1, tmp_path, "pbo-tiny"))
    with pytest.raises(UnknownNameError):
        variants(AblationSpec(_config(), ("proposer=nonsense",), 1, tmp_path, "pbo-tiny"))
    with pytest.raises(ConfigError, match="repeat"):
        variants(AblationSpec(_config(), ("crossover", "crossover"), 1, tmp_path, "pbo-tiny"))


@pytest.mark.slow
def test_a_tiny_real_ablation_evolves_each_variant_and_tests_it_against_full(tmp_path) -> None:
    cfg = tmp_path / "base.toml"
    dump_toml(_config(), cfg)
    env = {**os.environ, "HEUREVO_CONFIG_DIR": str(tmp_path / "cfg")}
    out = tmp_path / "abl"
    args = [sys.executable, "-m", "heurevo", "ablate", str(cfg), "--component", "crossover",
            "--seeds", "2", "--suite", "pbo-tiny", "--out", str(out), "--format", "json",
            "--cache", str(tmp_path / "board.sqlite")]
    res = subprocess.run(args, capture_output=True, text=True, timeout=1500, env=env)
    assert res.returncode == 0, res.stderr
    board = json.loads(res.stdout)
    assert [e["label"] for e in board["entries"]] == ["full", "no-crossover"]
    assert board["entries"][0]["p_value"] is None and board["entries"][1]["p_value"] is not None
    assert all(e["runs"] == 4 * 2 for e in board["entries"])  # 4 instances x 2 seeds
    for label in ("full", "no-crossover"):
        for seed in (1, 2):
            store = SQLiteStore(Path(out / label / f"s{seed}" / STORE_FILE))
            try:
                assert store.run_info().status == "finished"
                ops = {c.operator for c in store.candidates()}
            finally:
                store.close()
            if label == "no-crossover":
                assert "crossover" not in ops
    again = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["evaluated"] == 0  # finished runs and cached board reused
    assert "evolving" in again.stderr
    page = subprocess.run([*args[:-3], "html", *args[-2:]], capture_output=True, text=True,
                          timeout=600, env=env)
    assert page.returncode == 0, page.stderr
    assert "<table" in page.stdout and page.stdout.count('src="data:image/png;base64,iVBOR') == 2


def test_the_start_knob_sweeps_the_starting_artifact(tmp_path) -> None:
    import dataclasses

    got = dict(variants(AblationSpec(_config(), ("start=default,empty,random",), 2, tmp_path, "pbo-tiny")))
    assert list(got) == ["full", "start=empty", "start=random"]  # default is the config's: full
    assert got["full"].start == "default"
    assert got["start=empty"].start == "empty" and got["start=random"].start == "random"
    assert dataclasses.replace(got["start=random"], start="default") == got["full"]  # nothing else moves
    from_empty = dataclasses.replace(_config(), start="empty")
    assert list(dict(variants(AblationSpec(from_empty, ("start",), 1, tmp_path, "pbo-tiny")))) == \
        ["full", "start=default", "start=random"]
    with pytest.raises(ConfigError, match="start=blank: unknown start"):
        variants(AblationSpec(_config(), ("start=blank",), 1, tmp_path, "pbo-tiny"))


def test_ablate_takes_knobs_by_their_name_too(tmp_path, capsys) -> None:
    from heurevo.cli import run_cli

    cfg = tmp_path / "base.toml"
    dump_toml(_config(), cfg)
    assert run_cli(["ablate", str(cfg), "--knob", "start=nonsense"]) == 2
    assert "start=nonsense: unknown start" in capsys.readouterr().err
    assert run_cli(["ablate", str(cfg), "--list"]) == 0
    assert "start=default,empty,random" in capsys.readouterr().out
