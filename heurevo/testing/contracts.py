"""The checks of the contract suites, as plain functions of a registered name and a work folder.

Problem checks build the problem's adapter and run it in this process (no sandbox: the code
under test is the problem's own defaults). Proposer checks use the proposer class; the ones that
need a proposer object skip (raise :class:`ContractSkip`) when it cannot be built offline.
"""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Callable
from pathlib import Path

from heurevo.engine.checks import static_check
from heurevo.engine.controller import ControllerConfig
from heurevo.engine.quick_checks import run_quick_checks
from heurevo.errors import HeurevoError
from heurevo.populations.records import ProposalRequest
from heurevo.solvers.compile import compile_slot, python_caller
from heurevo.solvers.problem import PROBLEMS, ProblemAdapter, get_problem, problem_info
from heurevo.suites.catalog import SUITES, build_suite

#: The step budget of contract runs (small: the checks are about behaviour, not quality).
CONTRACT_STEPS = 200


class ContractSkip(Exception):
    """A check does not apply (e.g. a proposer that needs an LLM endpoint)."""


def _adapter(problem: str) -> ProblemAdapter:
    adapter = get_problem(problem)
    assert isinstance(adapter, ProblemAdapter), f"{problem}: the adapter is not a ProblemAdapter"
    return adapter


def check_record(problem: str, workdir: Path) -> None:
    """The registry record is complete: suffixes, budget, and suites that exist for this problem."""
    info = problem_info(problem)
    assert info.name == problem, f"registered as '{problem}' but its record says '{info.name}'"
    assert info.suffixes, f"{problem}: no instance file suffixes"
    for s in info.suffixes:
        assert s.startswith(".") and s == s.lower(), f"{problem}: suffix {s!r} is not '.lowercase'"
    assert info.default_budget_steps > 0, f"{problem}: default_budget_steps must be positive"
    for suite in (info.default_suite, info.heldout_suite):
        assert suite in SUITES, f"{problem}: suite '{suite}' is not registered"
    assert _adapter(problem).name == problem, f"{problem}: the adapter's name differs"


def check_suites_build(problem: str, workdir: Path) -> None:
    """The default and held-out suites build, hold this problem's files, and are disjoint."""
    info = problem_info(problem)
    built = [build_suite(name, problem, workdir / "suites")
             for name in (info.default_suite, info.heldout_suite)]
    for suite in built:
        assert suite.instances, f"suite '{suite.name}' is empty"
        for inst in suite.instances:
            assert Path(inst.path).suffix.lower() in info.suffixes, inst.path
    train = {Path(i.path).read_bytes() for i in built[0].instances}
    assert not train & {Path(i.path).read_bytes() for i in built[1].instances}, (
        f"{problem}: the held-out suite shares instances with the training suite")


def check_slots(problem: str, workdir: Path) -> None:
    """Every slot is named for the problem, and its default passes the static and quick checks."""
    slots = _adapter(problem).slots()
    assert slots, f"{problem}: no slots"
    for name, slot in slots.items():
        assert slot.name == name and slot.problem == problem, f"slot {slot.key} filed as '{name}'"
        assert slot.contract.strip(), f"slot {slot.key}: empty contract"
        report = static_check(slot, slot.default_source, filename=f"<{slot.key} default>")
        assert report.ok, report.feedback()
        compiled = compile_slot(slot, slot.default_source, filename=f"<{slot.key} default>")
        complaints = run_quick_checks(slot, compiled.function)
        assert not complaints, f"slot {slot.key} default: {complaints}"


def check_kernel_only_slots(problem: str, workdir: Path) -> None:
    """Slots declared ``kernel_only`` are never called from Python: the smoke instance solves with
    every such default compiled without its CPython wrapper, as the sandbox compiles candidates
    (in a forked child: a Python call of such a function crashes the process)."""
    adapter = _adapter(problem)
    only = {n: s for n, s in adapter.slots().items() if s.kernel_only}
    if not only:
        raise ContractSkip(f"{problem}: no kernel-only slots")
    instance = adapter.load(adapter.smoke_instance(workdir / "smoke"))
    functions = {}
    for name, slot in only.items():
        functions[name] = compile_slot(slot, slot.default_source, python_callable=False).function
        complaints = run_quick_checks(slot, python_caller(slot, functions[name]))
        assert not complaints, f"slot {slot.key} default, called as kernels call it: {complaints}"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's result is its exit status
        faulthandler.disable()  # an expected crash needs no traceback dump
        try:
            out = adapter.run(instance, functions, 1, CONTRACT_STEPS)
            os._exit(0 if out.verified else 3)
        except BaseException:
            os._exit(4)
    status = os.waitpid(pid, 0)[1]
    how = f"crashed (signal {os.WTERMSIG(status)})" if os.WIFSIGNALED(status) else "failed"
    assert status == 0, (
        f"{problem}: solving with kernel-only slots {sorted(only)} compiled without a CPython "
        f"wrapper {how}: the adapter calls one of them from Python; declare it kernel_only=False")


def check_slots_are_frozen(problem: str, workdir: Path) -> None:
    """Slot specs cannot be changed, and asking twice gives the same specs (extras included)."""
    first = _adapter(problem).slots()
    second = _adapter(problem).slots()
    assert first == second
    for name, slot in first.items():
        assert dict(slot.extra) == dict(second[name].extra), f"slot {name}: extras differ"
        try:
            slot.extra["contract-probe"] = True  # type: ignore[index]
        except TypeError:
            continue
        raise AssertionError(f"slot {slot.key}: its extra mapping can be modified")


def check_default_solves_smoke(problem: str, workdir: Path) -> None:
    """The defaults solve the smoke instance: feasible, verified, deterministic per seed."""
    adapter = _adapter(problem)
    path = adapter.smoke_instance(workdir / "smoke")
    assert path.is_file(), f"{problem}: smoke_instance did not write {path}"
    assert path.suffix.lower() in problem_info(problem).suffixes, path
    instance = adapter.load(path)
    first = adapter.run(instance, {}, 1, CONTRACT_STEPS)
    assert first.verified and first.feasible and first.objective is not None, first
    again = adapter.run(adapter.load(path), {}, 1, CONTRACT_STEPS)
    assert again.objective == first.objective, "the same seed gave another objective"


def check_scoring(problem: str, workdir: Path) -> None:
    """Scores: 1.0 against itself, 0 when infeasible, higher for a better (lower) objective."""
    adapter = _adapter(problem)
    instance = adapter.load(adapter.smoke_instance(workdir / "smoke"))
    out = adapter.run(instance, {}, 1, CONTRACT_STEPS)
    assert out.objective is not None
    obj = out.objective
    assert adapter.score(instance, obj, True, obj) == 1.0
    assert adapter.score(instance, None, False, obj) == 0.0
    assert adapter.score(instance, obj, True, None) == 1.0
    worse = obj + max(1.0, abs(obj) * 0.1)
    assert adapter.score(instance, worse, True, obj) < 1.0, "a higher objective must score below 1"


def check_bad_file_is_a_clear_error(problem: str, workdir: Path) -> None:
    """A malformed instance file raises a HeurevoError (named file), never a bare exception."""
    adapter = _adapter(problem)
    path = workdir / f"broken{problem_info(problem).suffixes[0]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this is not an instance\n@@@ 1 2 3\n", encoding="utf-8")
    try:
        adapter.load(path)
    except HeurevoError as exc:
        assert path.name in str(exc), f"the error does not name the file: {exc}"
        return
    raise AssertionError(f"{problem}: loading a malformed file raised nothing")


def check_proposer_declaration(proposer: str, workdir: Path) -> None:
    """Operators with arities >= 0, default tables that use only its operators, a from_run."""
    from heurevo.engine.proposers.base import Proposer, proposer_class

    cls = proposer_class(proposer)
    assert isinstance(cls, type) and issubclass(cls, Proposer), f"{proposer}: not a Proposer class"
    assert cls.operators, f"{proposer}: declares no operators"
    for op, arity in cls.operators.items():
        assert isinstance(arity, int) and arity >= 0, f"{proposer}.{op}: arity {arity!r}"
    for mode in ("exploit", "explore"):
        table = cls.operator_weights(getattr(ControllerConfig(), f"{mode}_operators"), mode)
        assert set(table) <= set(cls.operators), f"{proposer} {mode}: {sorted(set(table) - set(cls.operators))}"
        assert sum(table.values()) > 0


def check_proposer_proposes(proposer: str, workdir: Path) -> None:
    """On every problem it can work on offline, each operator returns sources that pass the checks."""
    from heurevo.engine.proposers.base import ProposalError
    from heurevo.engine.proposers.factory import make_proposer
    from heurevo.engine.run_config import BudgetConfig, RunConfig
    from heurevo.populations.records import Candidate, EvalStatus, EvaluationResult, Member, Stage
    from heurevo.populations.store import SQLiteStore

    store = SQLiteStore(workdir / f"{proposer}.sqlite")
    tried = 0
    try:
        for problem in PROBLEMS.names():
            config = RunConfig(problem=problem, proposer=proposer, budget=BudgetConfig())
            slots = _adapter(problem).slots()
            try:
                prop = make_proposer(config, slots, store)
            except HeurevoError:
                continue  # needs an endpoint or data this machine lacks
            try:
                for slot_name in prop.evolvable()[:2]:
                    defaults = {n: s.default_source for n, s in slots.items()}
                    parent = Member(Candidate.new(problem, defaults, operator="default",
                                                  proposer="default"),
                                    EvaluationResult("p", EvalStatus.OK, Stage.FULL, fitness=1.0))
                    made = 0
                    for i, (op, arity) in enumerate(prop.operators.items()):
                        req = ProposalRequest(problem, (slot_name,), op, (parent,) * arity,
                                              defaults, seed=17 + i, generation=0)
                        try:
                            out = prop.propose(req)
                        except ProposalError:
                            continue  # a refusal is allowed (e.g. crossover of two defaults)
                        made += 1
                        tried += 1
                        for name, src in out.sources.items():
                            report = static_check(slots[name], src, filename=f"<{proposer} {op}>")
                            assert report.ok, f"{proposer} {op} on {problem}.{name}: {report.feedback()}"
                            compile_slot(slots[name], src)
                    assert made, f"{proposer} refused every operator on {problem}.{slot_name}"
            finally:
                prop.close()
    finally:
        store.close()
    if not tried:
        raise ContractSkip(f"the {proposer} proposer cannot be built offline")


ProblemCheck = Callable[[str, Path], None]

#: The problem contract, check name → function(problem, workdir).
PROBLEM_CHECKS: dict[str, ProblemCheck] = {
    f.__name__.removeprefix("check_"): f for f in (
        check_record, check_suites_build, check_slots, check_kernel_only_slots,
        check_slots_are_frozen,
        check_default_solves_smoke, check_scoring, check_bad_file_is_a_clear_error)}

#: The proposer contract, check name → function(proposer, workdir).
PROPOSER_CHECKS: dict[str, ProblemCheck] = {
    f.__name__.removeprefix("check_"): f for f in (check_proposer_declaration,
                                                     check_proposer_proposes)}

