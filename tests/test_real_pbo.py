"""Real-instance PBO suites: 1:1 split stratified by family and size, per-instance step budgets
that the sandboxed evaluator honours."""

from __future__ import annotations

from pathlib import Path

import pytest

from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.errors import ConfigError
from heurevo.instances.formats.opb import write_pb
from heurevo.instances.generators.pbo import generate
from heurevo.suites.catalog import SplitInstance, build_suite
from heurevo.suites.real_pbo import (
    ENV_VAR,
    MAX_STEPS,
    MIN_STEPS,
    family_of,
    n_variables,
    real_pbo_suite,
    scaled_budget,
    split_by_family,
)


def test_family_is_the_file_name_prefix() -> None:
    assert family_of("miplib_p0548.opb") == "miplib"
    assert family_of("normalized-ws97-5.opb") == "normalized"
    assert family_of("2club200v15p5scn.opb") == "2club200v15p5scn.opb"


def test_split_is_one_to_one_within_each_family_and_size_pair() -> None:
    sizes = {f"a_{i}.opb": i for i in range(6)} | {f"b-{i}.opb": 10 * i for i in range(5)} | {
        "lonely.opb": 3, "single_x.opb": 4}
    halves = split_by_family(sizes)
    assert halves == split_by_family(dict(reversed(list(sizes.items()))))  # order-free, seeded
    train, test = set(halves["train"]), set(halves["test"])
    assert not train & test and train | test == set(sizes)
    assert abs(len(train) - len(test)) <= 1
    for fam in ("a", "b-"):
        members = [n for n in sizes if n.startswith(fam)]
        assert abs(len(train & set(members)) - len(test & set(members))) <= 1
    for k in (0, 2, 4):  # the size-sorted pairs of family a are split one each way
        assert len({f"a_{k}.opb", f"a_{k + 1}.opb"} & train) == 1
    assert split_by_family(sizes, seed=1) != halves or split_by_family(sizes, seed=2) != halves


def test_budget_scales_with_size_within_bounds(tmp_path: Path) -> None:
    assert scaled_budget(1) == MIN_STEPS and scaled_budget(10**7) == MAX_STEPS
    assert MIN_STEPS < scaled_budget(1000) < scaled_budget(2000) < MAX_STEPS
    p = write_pb(generate("knapsack", 30, 1), tmp_path / "k.opb")
    assert n_variables(p) == 30
    (tmp_path / "noheader.opb").write_text("min: +1 x1 +2 x2 ;\n+1 x1 +1 x2 >= 1 ;\n")
    assert n_variables(tmp_path / "noheader.opb") == 2


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "real"
    folder.mkdir()
    for fam, gen in (("knap", "knapsack"), ("cover", "setcover")):
        for size in (20, 40, 1200, 1600):
            write_pb(generate(gen, size, size), folder / f"{fam}_{size}.opb")
    write_pb(generate("setcover", 20, 9), folder / "nothing_left.opb")
    (folder / "optima.csv").write_text("file,reference_obj\nnothing_left.opb,INFEASIBLE\n"
                                       "knap_20.opb,-5\n")
    return folder


def test_suite_halves_from_a_folder_the_user_points_at(tmp_path: Path, monkeypatch) -> None:
    folder = _folder(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(folder))
    train = build_suite("pbo-real-train", "pbo", tmp_path / "cache")
    test = build_suite("pbo-real-test", "pbo", tmp_path / "cache")
    names = {i.name for i in train.instances} | {i.name for i in test.instances}
    assert names == {f"{f}_{s}.opb" for f in ("knap", "cover") for s in (20, 40, 1200, 1600)}
    assert len(train.instances) == len(test.instances) == 4
    for inst in train.instances + test.instances:
        assert inst.budget_steps == scaled_budget(n_variables(Path(inst.path)))
    assert {i.budget_steps for i in train.instances + test.instances} != {MIN_STEPS}
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=ENV_VAR):
        real_pbo_suite("train")


def test_evaluator_runs_each_instance_with_its_own_budget(tmp_path: Path) -> None:
    a = write_pb(generate("knapsack", 40, 1), tmp_path / "a.opb")
    b = write_pb(generate("knapsack", 40, 2), tmp_path / "b.opb")
    items = [SplitInstance("a.opb", str(a), 700), SplitInstance("b.opb", str(b))]
    cfg = EvaluationConfig(budget_steps=1500, workers=1, smoke=False, minibatch=0)
    ev = StagedEvaluator("pbo", {"train": items}, cfg, 0, tmp_path / "work")
    try:
        res = ev.evaluate(ev.default_candidate)
    finally:
        ev.close()
    assert res.ok
    assert {r.instance: r.steps for r in res.instances} == {"a.opb": 700, "b.opb": 1500}
    other = StagedEvaluator("pbo", {"train": [SplitInstance("a.opb", str(a))]}, cfg, 0,
                            tmp_path / "w2", pool=ev.pool)
    assert other.evaluation_key(ev.default_candidate, "train") != ev.evaluation_key(
        ev.default_candidate, "train")  # the budget is part of the key
