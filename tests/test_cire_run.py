"""CIRE in real runs through the CLI: GP evolution with clustering, novelty and a shared notebook.

Real sandboxed workers, Numba kernels, SQLite stores and a notebook file shared by two runs;
``heurevo show --json`` reports the clusters of every generation and the novelty records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """
problem = "pbo"
[suite]
name = "pbo-tiny"
[cire.clustering]
enabled = true
[cire.novelty]
enabled = true
[cire.embedding]
backend = "tfidf"
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    return {**os.environ, "HEUREVO_CACHE": str(cache), "HEUREVO_RUNS_DIR": str(cache / "runs"),
            "COLUMNS": "160"}


def cli(env: dict[str, str], *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                         timeout=600, env=env)
    assert res.returncode == 0, f"heurevo {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.mark.slow
def test_gp_run_with_cire_and_a_shared_notebook(env, tmp_path: Path) -> None:
    cfg = tmp_path / "cire.toml"
    cfg.write_text(CONFIG)
    notebook = tmp_path / "notes.sqlite"
    for seed in (1, 2):
        cli(env, "evolve", str(cfg), "--evaluations", "10", "--seed", str(seed), "--workers", "2",
            "--run-dir", str(tmp_path / f"run{seed}"), "--notebook", str(notebook))
    shown = json.loads(cli(env, "show", str(tmp_path / "run2"), "--json"))
    gens = [c["generation"] for c in shown["clusters"]]
    assert gens == sorted(set(gens)) and gens[0] == 0 and len(gens) >= 2
    last = shown["clusters"][-1]
    members = [m["candidate"] for ms in last["clusters"].values() for m in ms]
    assert set(last["survivors"]) <= set(members) and len(members) >= len(last["survivors"]) > 0
    assert all(m["centroid_distance"] >= 0 for ms in last["clusters"].values() for m in ms)
    assert isinstance(shown["novelty_rejections"], list) and "notebook_entries_used" in shown
    for rej in shown["novelty_rejections"]:
        assert rej["kind"] in ("source", "embedding") and rej["duplicate_of"]
    with sqlite3.connect(notebook) as db:
        runs = {r for (r,) in db.execute("SELECT DISTINCT run_id FROM entries")}
        guidance_runs = {r for (r,) in db.execute("SELECT DISTINCT run_id FROM guidance")}
    assert runs | guidance_runs <= {"run1", "run2"} and guidance_runs  # both runs wrote one file
    text = cli(env, "show", str(tmp_path / "run2"))
    assert "CIRE: clusters per generation" in text and "novelty:" in text
