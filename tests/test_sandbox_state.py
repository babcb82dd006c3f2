"""No state shared between candidates: a candidate that poisons everything it can reach in its
process leaves the next candidate's score identical to a fresh evaluation."""

from __future__ import annotations

import pytest
from sandbox_helpers import worker_env

from heurevo.engine.evaluate import TASKS, EvaluationConfig, StagedEvaluator
from heurevo.engine.referee import judged_call
from heurevo.engine.tasks import RunReply
from heurevo.populations.records import Candidate, EvalStatus, InstanceResult
from heurevo.solvers.problem import get_problem
from heurevo.suites.catalog import SplitInstance, build_suite, suite_cache_dir

POISON_INIT = '''def initialize_assignment(values, obj_var, obj_cost, obj_paid, rng):
    if values.size > 50:
        for j in range(obj_cost.size):
            obj_cost[j] = 0
    for v in range(values.size):
        values[v] = 0
'''
CFG = EvaluationConfig(budget_steps=4000, timeout_s=30.0, memory_mb=3072, workers=1, smoke=False,
                       minibatch=0, early_stop_ratio=0.0)


def _candidate(problem: str, **changed: str) -> Candidate:
    slots = get_problem(problem).slots()
    sources = {n: s.default_source for n, s in slots.items()} | changed
    return Candidate.new(problem, sources, operator="test", proposer="test")


def _victim(problem: str) -> Candidate:
    name, slot = next(iter(get_problem(problem).slots().items()))
    return _candidate(problem, **{name: slot.default_source + "\n# the victim\n"})


@pytest.fixture()
def pbo_split():
    insts = list(build_suite("pbo-mixed-small", "pbo", suite_cache_dir()).instances)
    big = [i for i in insts if "knap" in i.name or "cover" in i.name][:2] or insts[:2]
    return [SplitInstance(i.name, i.path) for i in big]


def _fingerprint(results: tuple[InstanceResult, ...]) -> list[tuple]:
    return [(r.instance, r.objective, r.verified, r.steps, r.score) for r in results]


@pytest.mark.slow
def test_poisoned_arrays_and_classes_do_not_reach_the_next_candidate(pbo_split, tmp_path,
                                                                      monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    victim = _victim("pbo")
    poisoner = _candidate("pbo", initialize_assignment=POISON_INIT)
    ev = StagedEvaluator("pbo", {"train": pbo_split}, CFG, 7, tmp_path / "work")
    try:
        fresh = ev.evaluate(victim)  # its own child: nothing ran before it
        assert fresh.fitness is not None
        ev.evaluate(poisoner)
        touched = ev.pool.run("sandbox_tasks:poison", None)
        assert touched.ok and touched.value > 0  # it did reach the warm instance arrays
        after = ev.evaluate(victim)
        assert after.status is fresh.status and after.fitness == fresh.fitness
        assert _fingerprint(after.instances) == _fingerprint(fresh.instances)

        # the same poison inside one process would have changed the victim's score
        pairs = [(i, 0) for i in pbo_split]  # replicate 0: the seeds the evaluation used
        payload = ev._payload(victim, pairs, ev._references("train", 1))
        with ev.pool.lease() as worker:
            worker.call("sandbox_tasks:poison", None)
            shared = worker.call(f"{TASKS}:run_instances", payload, reply=list[RunReply])
        assert not shared.ok or [r.run.score for r in shared.value] != [r.score for r in fresh.instances]
        # and the slot's writes into obj_cost do not compile: the instance arrays are read-only
        # in the slot's Numba type, so the poisoner is rejected before it runs
        rejected = ev.evaluate(poisoner)
        assert rejected.status is EvalStatus.REJECTED
        assert "does not compile" in rejected.error + rejected.feedback
    finally:
        ev.close()


@pytest.mark.slow
def test_tsp_score_monkeypatch_does_not_reach_the_next_candidate(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    inst = get_problem("tsp").smoke_instance(tmp_path / "inst")
    split = [SplitInstance(inst.name, str(inst))]
    victim = _victim("tsp")
    ev = StagedEvaluator("tsp", {"train": split}, CFG, 3, tmp_path / "work")
    try:
        fresh = ev.evaluate(victim)
        assert ev.pool.run("sandbox_tasks:poison", None).ok
        after = ev.evaluate(victim)
        assert _fingerprint(after.instances) == _fingerprint(fresh.instances)
        assert all(r.score <= 1.0 for r in after.instances)
        request = ev._payload(victim, [(i, 0) for i in split], {})
        with ev.pool.lease() as worker:
            worker.call("sandbox_tasks:poison", None)
            shared = worker.call(f"{TASKS}:run_instances", request, reply=list[RunReply])
            judged = judged_call(worker.call, request, None)  # the same poisoned child
        assert shared.ok and shared.value[0].run.score == 1000.0  # the escape works within a process
        # ... but not past the engine, which scores the tour itself
        assert _fingerprint(tuple(judged.value)) == _fingerprint(fresh.instances)
    finally:
        ev.close()
