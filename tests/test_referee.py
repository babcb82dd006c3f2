"""The engine judges every run itself: a child that lies about its runs gains nothing."""

from __future__ import annotations

import msgspec
import pytest
from sandbox_helpers import worker_env

from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.engine.executors.stages import _bad
from heurevo.engine.referee import Referee, judged_call, referee_for
from heurevo.engine.tasks import RunReply, RunRequest
from heurevo.populations.records import Candidate, EvalStatus
from heurevo.solvers.problem import ProblemAdapter, get_problem
from heurevo.suites.catalog import SplitInstance

CFG = EvaluationConfig(budget_steps=2000, timeout_s=30.0, workers=1, smoke=False, minibatch=0,
                       early_stop_ratio=0.0)


@pytest.fixture(scope="module")
def pbo_eval(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", worker_env()["PYTHONPATH"])
    work = tmp_path_factory.mktemp("referee")
    inst = get_problem("pbo").smoke_instance(work / "inst")
    ev = StagedEvaluator("pbo", {"train": [SplitInstance(inst.name, str(inst))]}, CFG, 5, work / "w")
    yield ev
    ev.close()
    mp.undo()


def _forging(call, forge: str):
    """``call`` with the run task replaced by one that forges its replies, as an escaped child would."""
    def forged(task, req, timeout_s, reply):
        return call("sandbox_tasks:forged_run", {**req, "forge": forge}, timeout_s, reply=reply)
    return forged


def _forged(ev: StagedEvaluator, forge: str):
    request = ev._payload(ev.default_candidate, [(ev.splits["train"][0], 0)], ev._references("train", 1))
    return judged_call(_forging(ev.pool.run, forge), request, 60.0), ev._baseline_results("train", 0)


def test_an_honest_reply_is_judged_as_the_child_said(pbo_eval):
    out, base = _forged(pbo_eval, "none")
    (run,) = out.value
    (ref,) = base.values()
    assert out.ok and run.verified and run.feasible
    assert (run.objective, run.score) == (ref.objective, ref.score)


@pytest.mark.parametrize("forge", ["better", "infeasible-as-feasible", "dtype", "short", "renamed"])
def test_a_forged_reply_is_refused(pbo_eval, forge):
    out, _ = _forged(pbo_eval, forge)
    (run,) = out.value
    assert out.ok and not run.verified and run.score == 0.0
    assert _bad(out).endswith("failed independent verification")


def test_without_the_referee_the_forgery_would_have_counted(pbo_eval):
    request = pbo_eval._payload(pbo_eval.default_candidate, [(pbo_eval.splits["train"][0], 0)], {})
    raw = pbo_eval.pool.run("sandbox_tasks:forged_run", {**request, "forge": "better"}, 60.0,
                            reply=list[RunReply])
    assert raw.ok and raw.value[0].run.verified and raw.value[0].run.score == 1000.0


def test_a_forging_candidate_fails_its_evaluation(pbo_eval, monkeypatch):
    """Through evaluate(): every run call of the candidate's child forges, the evaluation fails."""
    import heurevo.engine.executors.stages as stages

    original = stages.judged_call
    monkeypatch.setattr(stages, "judged_call",
                        lambda call, payload, t: original(_forging(call, "better"), payload, t))
    slots = get_problem("pbo").slots()
    name, slot = next(iter(slots.items()))
    cand = Candidate.new("pbo", {n: s.default_source for n, s in slots.items()}
                         | {name: slot.default_source + "\n# changed\n"}, operator="t", proposer="t")
    res = pbo_eval.evaluate(cand)
    assert res.status is EvalStatus.FAILED and "independent verification" in res.error


def test_problems_without_check_keep_the_childs_verdict(pbo_eval):
    class NoCheck(type(pbo_eval.adapter)):
        check = ProblemAdapter.check

    referee = Referee(NoCheck())
    assert not referee.outside and referee_for("pbo").outside
    request = pbo_eval._payload(pbo_eval.default_candidate, [(pbo_eval.splits["train"][0], 0)], {})
    raw = pbo_eval.pool.run("sandbox_tasks:forged_run", {**request, "forge": "better"}, 60.0,
                            reply=list[RunReply])
    (run,) = referee.judge(raw.value, msgspec.convert(request, RunRequest).instances)
    assert run.verified and run.score == 1000.0  # what the child said: why such problems warn
