"""The package imports and the CLI answers, as installed and as ``python -m heurevo``."""

from __future__ import annotations

import json
import subprocess
import sys

import heurevo


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_package_imports_with_version() -> None:
    assert heurevo.__version__ and heurevo.__version__[0].isdigit()


def test_help_lists_commands_with_descriptions() -> None:
    res = run_cli("--help")
    assert res.returncode == 0, res.stderr
    for cmd in ("doctor", "solve", "bench"):
        assert cmd in res.stdout
    assert "Solve one instance" in res.stdout


def test_every_command_answers_help(capsys) -> None:
    from heurevo.cli import run_cli as run_in_process  # the code main runs; no Python start each

    for args in (["doctor"], ["solve"], ["bench"], ["bench", "pbo"], ["bench", "tsp"]):
        assert run_in_process([*args, "--help"]) == 0, (args, capsys.readouterr().err)
        assert "Usage" in capsys.readouterr().out


def test_version_flag() -> None:
    res = run_cli("--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"heurevo {heurevo.__version__}"


def test_doctor_json_reports_numba_and_extras(tmp_path) -> None:
    env_runs = tmp_path / "runs"
    res = subprocess.run([sys.executable, "-m", "heurevo", "doctor", "--json"], capture_output=True,
                         text=True, timeout=120,
                         env={**_clean_env(), "HEUREVO_RUNS_DIR": str(env_runs),
                              "HEUREVO_LLM_API_KEY": "sk-secret-do-not-print"})
    assert res.returncode == 0, res.stderr
    checks = json.loads(res.stdout)
    by = {(c["section"], c["name"]): c for c in checks}
    assert by[("numba", "version")]["ok"] is True
    assert ("numba", "threading layer") in by
    assert by[("runs", "directory")]["detail"].startswith(str(env_runs))
    assert {"llm", "embed", "dist", "test"} <= {n for s, n in by if s == "extras"}
    assert "sk-secret" not in res.stdout


def test_doctor_reports_unreachable_endpoint_without_leaking_key(tmp_path) -> None:
    env = {**_clean_env(), "HEUREVO_LLM_BASE_URL": "http://127.0.0.1:9/v1",
           "HEUREVO_LLM_MODEL": "m", "HEUREVO_LLM_API_KEY": "sk-secret-do-not-print"}
    res = subprocess.run([sys.executable, "-m", "heurevo", "doctor", "--json"], capture_output=True,
                         text=True, timeout=120, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    by = {(c["section"], c["name"]): c for c in json.loads(res.stdout)}
    assert by[("llm", "reachable")]["ok"] is False
    assert "set" in by[("llm", "api key")]["detail"]
    assert "sk-secret" not in res.stdout + res.stderr


def test_solve_unknown_suffix_is_a_clear_error(tmp_path) -> None:
    f = tmp_path / "x.foo"
    f.write_text("hello")
    res = run_cli("solve", str(f))
    assert res.returncode == 2
    assert "unknown instance type '.foo'" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_settings_key_names_key_and_file(tmp_path) -> None:
    f = tmp_path / "heurevo.toml"
    f.write_text('runs_dir = "r"\n[llm]\ntimeout = 3\n')
    res = run_cli("doctor", "--settings", str(f))
    assert res.returncode == 2
    assert "llm.timeout" in res.stderr and str(f) in res.stderr.replace("\n", "")


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("HEUREVO_")}
