"""The adversarial corpus: hostile or broken heuristics end in the right status, with a reason.

Each file in tests/corpus is a real heuristic source with a header (the corpus manifest) naming
its slot, the status it must end in, a phrase the error or feedback must contain and the class
of attack or mistake it stands for. They run through the real pipeline (static checks,
sandboxed workers with real limits, real Numba compilation, real instances); after the whole
corpus the engine must still evaluate the default correctly. Cases the static checks reject are
also checked on their own, fast, outside the slow tier.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from heurevo.engine.checks import static_check
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.populations.records import Candidate, EvalStatus
from heurevo.suites.catalog import SplitInstance

CORPUS = Path(__file__).resolve().parent / "corpus"
HEADER = re.compile(r"# slot: (\w+)\.(\w+)\n# expect: (\w+)\n# reason: ?(.*)\n# class: ([\w-]+)\n")

#: Every class of issue 14 (and of the original corpus) must have cases.
CLASSES = {"attribute-chain", "dunder-reflection", "string-to-name", "imports", "definition-time",
           "scoping", "resource-abuse", "exceptions", "slot-contract", "array-poisoning",
           "shared-state", "replies", "signature", "syntax", "ok"}


def cases() -> list[tuple[str, str, str, str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.py")):
        m = HEADER.match(f.read_text())
        assert m, f"{f.name}: missing header"
        out.append((f.name, *m.groups()[:4]))
    return out


def classes() -> dict[str, str]:
    return {f.name: HEADER.match(f.read_text()).group(5) for f in sorted(CORPUS.glob("*.py"))}


CASES = cases()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 90
    assert {c[3] for c in CASES} >= {"rejected", "failed", "timeout", "crashed", "memory", "ok"}
    assert set(classes().values()) == CLASSES


STATIC = [c for c in CASES if c[3] == "rejected"]


@pytest.mark.parametrize(("name", "problem", "slot", "expect", "reason"), STATIC, ids=[c[0] for c in STATIC])
def test_static_rejections_name_the_reason(name: str, problem: str, slot: str, expect: str,
                                           reason: str) -> None:
    """A case the static checks refuse gives the expected reason there (no worker needed)."""
    from heurevo.solvers.problem import get_problem

    report = static_check(get_problem(problem).slots()[slot], (CORPUS / name).read_text())
    if not report.ok:
        assert reason.strip() in report.feedback(), report.feedback()


@pytest.fixture(scope="module")
def evaluators(tmp_path_factory):
    made = {}

    def get(problem: str) -> StagedEvaluator:
        if problem not in made:
            from heurevo.solvers.problem import get_problem

            work = tmp_path_factory.mktemp(f"corpus-{problem}")
            inst = get_problem(problem).smoke_instance(work / "inst")
            cfg = EvaluationConfig(budget_steps=3000, timeout_s=30.0, memory_mb=2048, workers=1,
                                   minibatch=1, full=False)
            made[problem] = StagedEvaluator(problem, {"train": [SplitInstance(inst.name, str(inst))]},
                                            cfg, 0, work)
        return made[problem]

    yield get
    for ev in made.values():
        ev.close()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "problem", "slot", "expect", "reason"), CASES, ids=[c[0] for c in CASES])
def test_case_ends_in_expected_status(evaluators, name: str, problem: str, slot: str, expect: str,
                                      reason: str) -> None:
    ev = evaluators(problem)
    defaults = {n: s.default_source for n, s in ev.slots.items()}
    cand = Candidate.new(problem, {**defaults, slot: (CORPUS / name).read_text()})
    result = ev.evaluate(cand)
    text = result.error + "\n" + result.feedback
    assert result.status is EvalStatus(expect), f"{name}: {result.status} at {result.stage}: {text}"
    assert reason.strip() in text, f"{name}: reason {reason!r} not in:\n{text}"
    if expect != "ok":
        assert result.feedback.strip(), f"{name}: no feedback for a proposer"
        assert result.fitness is None
    else:
        assert result.fitness is not None and result.fitness > 0


@pytest.mark.slow
def test_engine_healthy_and_deterministic_after_corpus(evaluators) -> None:
    for problem in sorted({c[1] for c in CASES}):
        ev = evaluators(problem)
        killer = next(c for c in CASES if c[1] == problem and c[3] in ("timeout", "crashed"))
        defaults = {n: s.default_source for n, s in ev.slots.items()}
        ev.evaluate(Candidate.new(problem, {**defaults, killer[2]: (CORPUS / killer[0]).read_text()}))
        first = ev.evaluate(ev.default_candidate)
        again = ev.evaluate(ev.default_candidate)
        assert first.ok and first.fitness == pytest.approx(1.0)
        assert [r.objective for r in first.instances] == [r.objective for r in again.instances]
        assert ev.pool.restarts > 0  # a hostile candidate killed a worker, and it was replaced
