"""Config loading: unknown keys and bad values are named with their file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import pytest

from heurevo.config import (
    EndpointConfig,
    Settings,
    dump_toml,
    load_settings,
    load_toml,
)
from heurevo.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Inner:
    size: int = 3
    ratio: float = 0.5
    mode: Literal["a", "b"] = "a"

    def validate(self) -> None:
        if self.size < 1:
            raise ConfigError(f"must be >= 1, got {self.size}", key="size")
        if self.ratio > 1:
            raise ValueError(f"ratio: {self.ratio} is above 1")  # unstructured: not split apart


@dataclasses.dataclass(frozen=True)
class Outer:
    name: str = "x"
    tags: tuple[str, ...] = ()
    inner: Inner = dataclasses.field(default_factory=Inner)
    limit: int | None = None


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_defaults_and_nested_tables(tmp_path: Path) -> None:
    cfg = load_toml(Outer, write(tmp_path, 'name = "y"\ntags = ["p", "q"]\n[inner]\nsize = 5\nratio = 1\n'))
    assert cfg == Outer(name="y", tags=("p", "q"), inner=Inner(size=5, ratio=1.0))
    assert isinstance(cfg.inner.ratio, float)


def test_unknown_key_is_named_with_file(tmp_path: Path) -> None:
    p = write(tmp_path, "[inner]\nsise = 5\n")
    with pytest.raises(ConfigError) as exc:
        load_toml(Outer, p)
    assert exc.value.key == "inner.sise"
    assert str(p) in str(exc.value) and "known keys here: mode, ratio, size" in str(exc.value)


@pytest.mark.parametrize(("text", "key", "fragment"), [
    ("[inner]\nsize = 'big'\n", "inner.size", "expected an integer"),
    ("[inner]\nsize = true\n", "inner.size", "expected an integer"),
    ("[inner]\nmode = 'c'\n", "inner.mode", "not one of 'a', 'b'"),
    ("tags = 'p'\n", "tags", "expected a list"),
    ("tags = [1]\n", "tags[0]", "expected a string"),
    ("limit = 1.5\n", "limit", "expected an integer"),
    ("[inner]\nsize = 0\n", "inner.size", "must be >= 1"),
])
def test_bad_values_are_named(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_toml(Outer, p)
    assert exc.value.key == key
    assert fragment in str(exc.value) and str(p) in str(exc.value)


def test_errors_keep_file_key_and_message_apart(tmp_path: Path) -> None:
    import pickle

    from heurevo.engine.run_config import RunConfig

    p = write(tmp_path, "[evaluation]\nalpha = 2.0\n")
    with pytest.raises(ConfigError) as exc:
        load_toml(RunConfig, p)
    err = exc.value
    assert (err.path, err.key, err.message) == (str(p), "evaluation.alpha", "must be in (0, 1), got 2.0")
    assert str(err) == f"{p}, key 'evaluation.alpha': must be in (0, 1), got 2.0"
    again = pickle.loads(pickle.dumps(err))  # crosses process boundaries intact
    assert (again.path, again.key, again.message) == (err.path, err.key, err.message)
    with pytest.raises(ConfigError) as exc:
        load_toml(Outer, write(tmp_path, "[inner]\nratio = 2\n"))
    assert (exc.value.key, exc.value.message) == ("inner", "ratio: 2.0 is above 1")
    assert str(ConfigError("must be > 0", key="--time")) == "--time: must be > 0"


def test_cli_prints_a_config_error_as_one_line_and_exits_2(tmp_path: Path, capsys) -> None:
    from heurevo.cli import run_cli

    p = write(tmp_path, "seed = 1\n[budget]\nevaluations = 0\n")
    assert run_cli(["evolve", str(p), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {p}, key 'budget.evaluations': must be >= 1, got 0\n"
    assert not (tmp_path / "run").exists()


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    p = write(tmp_path, "name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(Outer, p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_toml(Outer, tmp_path / "nope.toml")


def test_round_trip_through_toml(tmp_path: Path) -> None:
    cfg = Outer(name="z", tags=("a",), inner=Inner(size=7, mode="b"), limit=4)
    dump_toml(cfg, tmp_path / "out.toml")
    assert load_toml(Outer, tmp_path / "out.toml") == cfg


def test_configs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Outer().name = "q"  # type: ignore[misc]


def test_settings_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, 'runs_dir = "a"\n[llm]\nbase_url = "http://h/v1"\nmodel = "m1"\n')
    monkeypatch.setenv("HEUREVO_LLM_MODEL", "m2")
    monkeypatch.setenv("HEUREVO_RUNS_DIR", str(tmp_path / "b"))
    s = load_settings(p)
    assert s.llm == EndpointConfig(base_url="http://h/v1", model="m2")
    assert s.runs_dir == tmp_path / "b"


def test_endpoint_validation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_toml(Settings, write(tmp_path, '[llm]\nbase_url = "ftp://x"\n'))
    assert exc.value.key == "llm.base_url"


def test_command_line_problem_switch_takes_that_problems_defaults() -> None:
    from heurevo.engine.run_config import RunConfig
    from heurevo.engine.run_flags import RunFlags
    from heurevo.solvers.problem import problem_info

    tsp = RunFlags(problem="tsp").apply(RunConfig())
    assert tsp.problem == "tsp" and tsp.suite.name == "tsp-uniform-small"
    assert tsp.evaluation.budget_steps == problem_info("tsp").default_budget_steps
    chosen = RunConfig(evaluation=dataclasses.replace(RunConfig().evaluation, budget_steps=1234))
    assert RunFlags(problem="tsp").apply(chosen).evaluation.budget_steps == 1234


def test_run_config_for_tsp_needs_no_other_arguments() -> None:
    from heurevo.engine.run_config import RunConfig

    tsp = RunConfig(problem="tsp")
    assert tsp.suite.name == "tsp-uniform-small" and tsp.evaluation.budget_steps == 500
    assert RunConfig().suite.name == "pbo-mixed-small"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("problem", "knapsackz", "unknown problem 'knapsackz'; known: "),
    ("proposer", "magic", "unknown proposer 'magic'; known: "),
])
def test_problem_and_proposer_are_checked_against_the_registries(
        tmp_path: Path, key: str, value: str, message: str) -> None:
    from heurevo.engine.run_config import RunConfig

    with pytest.raises(ConfigError) as exc:
        load_toml(RunConfig, write(tmp_path, f'{key} = "{value}"\n'))
    assert exc.value.key == key and message in str(exc.value)
