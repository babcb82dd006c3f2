"""The public API: the README's example runs; import heurevo changes no environment variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from heurevo.errors import SlotError

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_import_changes_no_environment_variable() -> None:
    code = ("import os, json; before = dict(os.environ); import heurevo, sys; "
            "after = dict(os.environ); print(json.dumps([before == after, 'numba' in sys.modules, "
            "sorted(heurevo.__all__)]))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    same, numba_loaded, names = __import__("json").loads(out)
    assert same and not numba_loaded
    assert {"solve", "evolve", "load_run", "problems", "slots", "HeuristicSet", "Run"} <= set(names)


def test_kernel_cache_goes_to_numba_config_not_the_environment() -> None:
    code = ("import os; import heurevo.solvers; from numba.core import config; "
            "print(config.CACHE_DIR); print(os.environ.get('NUMBA_CACHE_DIR', ''))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                           check=True).stdout.splitlines()
    assert "heurevo" in lines[0] and "numba" in lines[0] and lines[1:] == [""]


def test_heuristics_as_text_file_or_set_solve_alike(tmp_path: Path) -> None:
    import heurevo
    from heurevo.instances.generators.tsp import tsplib_text, uniform_points

    path = tmp_path / "u40.tsp"
    path.write_text(tsplib_text(uniform_points(40, 3), "u40"))
    source = heurevo.slots("tsp")["penalize_edges"].default_source.replace(
        "increments[best] = 1.0", "increments[best] = 2.0")
    file = tmp_path / "h.py"
    file.write_text(source)
    as_set = heurevo.HeuristicSet.from_source("tsp", source)
    assert list(as_set.sources) == ["penalize_edges"]
    results = {heurevo.solve(path, heuristics=h, steps=50, seed=2).objective
               for h in (source, file, as_set)}
    assert len(results) == 1
    assert heurevo.solve(path, steps=50, seed=2).verified
    with pytest.raises(SlotError, match="defines none of this solver's slot functions"):
        heurevo.HeuristicSet.from_source("tsp", "def unrelated():\n    return 1\n")


@pytest.mark.slow
def test_readme_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(readme_example())
    env = dict(os.environ, PYTHONPATH=str(ROOT), HEUREVO_CACHE=os.environ.get(
        "HEUREVO_CACHE", str(Path.home() / ".cache" / "heurevo")))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tsp" in proc.stdout and (tmp_path / "runs" / "api-example" / "run.sqlite").is_file()
