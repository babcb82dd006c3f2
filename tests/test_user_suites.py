"""User suites: `suite add` with a refs file and a 1:1 split by family, listing, and build_suite."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from heurevo.cli import app
from heurevo.errors import ConfigError
from heurevo.instances.generators.pbo import write_suite
from heurevo.suites.catalog import build_suite
from heurevo.suites.user import (
    board_suite,
    family,
    find_user_suite,
    parse_ratio,
    read_references,
    split_names,
)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HEUREVO_CONFIG_DIR", str(tmp_path / "cfg"))
    data = tmp_path / "mine"
    write_suite(data, ["setcover", "knapsack"], [20], [1, 2, 3, 4])
    return data


def test_suite_add_with_refs_and_split_is_stable_and_listed(folder, tmp_path) -> None:
    names = sorted(p.name for p in folder.glob("*.opb"))
    refs = tmp_path / "refs.csv"
    refs.write_text("file,reference\n" + f"{names[0]},123\n{names[1]},INFEASIBLE\n"
                    + f"{names[2].removesuffix('.opb')},-7\n")
    runner = CliRunner()
    args = ["suite", "add", "mine", str(folder), "--refs", str(refs), "--split", "1:1", "--by", "family"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    suite = find_user_suite("mine")
    assert suite is not None and suite.problem == "pbo" and len(suite.instances) == 8
    assert suite.references == {names[0]: 123.0, names[2]: -7.0}
    for split in ("train", "validation"):  # 1:1 within each family: 2 set cover + 2 knapsack each
        fams = sorted(family(n) for n in suite.splits[split])
        assert fams == ["knapsack", "knapsack", "setcover", "setcover"], suite.splits
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and find_user_suite("mine").splits == suite.splits
    listed = runner.invoke(app, ["suites", "--json"])
    assert listed.exit_code == 0, listed.output
    row = next(r for r in json.loads(listed.stdout) if r["name"] == "mine")
    assert row["instances"] == 8 and row["splits"] == "train 4, validation 4"
    assert row["references"] == "refs.csv (2)"
    assert any(r["name"] == "pbo-tiny" and r["instances"] == 4 for r in json.loads(listed.stdout))
    built = build_suite("mine", "pbo", tmp_path / "cache")
    assert [i.name for i in built.instances] == names
    val = board_suite("mine", "validation")
    assert [i.name for i in val.suite.instances] == list(suite.splits["validation"])
    assert set(val.references) <= set(suite.splits["validation"])


def test_split_is_a_function_of_the_names_only() -> None:
    names = [f"{('alpha', 'beta', 'gamma')[k % 3]}-{k}" for k in range(36)]
    a = split_names(names, (2, 1, 1), "family")
    b = split_names(list(reversed(names)), (2, 1, 1), "family")
    assert a == b and sorted(sum(a.values(), ())) == sorted(names)
    for fam in ("alpha", "beta", "gamma"):  # 12 each: 6 / 3 / 3
        assert [sum(family(n) == fam for n in a[s]) for s in ("train", "validation", "test")] == [6, 3, 3]
    assert parse_ratio("1:1") == (1, 1)
    with pytest.raises(ConfigError, match="--split"):
        parse_ratio("1")


def test_bad_inputs_name_the_file_line_and_key(folder, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("file,reference\na.opb,12x\n")
    with pytest.raises(ConfigError, match=r"bad.csv.*line 2"):
        read_references(bad)
    result = CliRunner().invoke(app, ["suite", "add", "pbo-tiny", str(folder)])
    assert result.exit_code != 0 and "built-in" in str(result.exception)
    board = CliRunner().invoke(app, ["leaderboard", "--suite", str(folder), "--entry", "default",
                                     "--format", "bogus"])
    assert isinstance(board.exception, ConfigError) and "--format" in str(board.exception)
    split = CliRunner().invoke(app, ["leaderboard", "--suite", "pbo-tiny", "--entry", "default",
                                     "--split", "test"])
    assert isinstance(split.exception, ConfigError) and "only user suites" in str(split.exception)
