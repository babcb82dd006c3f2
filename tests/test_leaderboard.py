"""Leaderboards: statistics on fixed runs, and real sandboxed runs reusing the content cache."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from heurevo.benchmarks.leaderboard import (
    BoardRun,
    BoardSpec,
    Entry,
    board_table,
    default_entry,
    resolve_entry,
    summarise,
    unique_labels,
)
from heurevo.benchmarks.result_cache import CacheKey, ResultCache, RunResult
from heurevo.benchmarks.tables import to_text
from heurevo.cli import app
from heurevo.errors import ConfigError
from heurevo.instances.generators.tsp import tsplib_text, uniform_points
from heurevo.solvers.problem import get_problem
from heurevo.suites.catalog import SplitInstance


def _tsp_instances(tmp_path, n: int) -> tuple[SplitInstance, ...]:
    out = []
    for k in range(n):
        p = tmp_path / f"u20-{k}.tsp"
        p.write_text(tsplib_text(uniform_points(20, k + 1), f"u20-{k}"))
        out.append(SplitInstance(p.name, str(p)))
    return tuple(out)


def _ok(objective: float) -> RunResult:
    return RunResult("ok", objective, True, True, 100, 0.5)


def test_summary_gaps_wins_and_wilcoxon_match_hand_and_scipy(tmp_path) -> None:
    insts = _tsp_instances(tmp_path, 3)
    a, b = Entry("a", ()), Entry("b", ())
    # objectives per (instance, seed): b is better on 5 pairs, worse on 1
    obj_a = {(0, 1): 110, (0, 2): 120, (1, 1): 200, (1, 2): 210, (2, 1): 300, (2, 2): 330}
    obj_b = {(0, 1): 100, (0, 2): 105, (1, 1): 190, (1, 2): 212, (2, 1): 290, (2, 2): 300}
    runs = tuple(BoardRun(e.label, insts[i].name, s, _ok(objs[(i, s)]), False)
                 for e, objs in ((a, obj_a), (b, obj_b)) for (i, s) in objs)
    refs = {insts[0].name: 100.0}  # instance 0 has a known optimum; the others use the best found
    spec = BoardSpec("t", "tsp", insts, (a, b), seeds=2, budget_steps=100, references=refs,
                     reference_kind="optima.csv")
    board = summarise(spec, runs)
    assert board.references[insts[0].name].kind == "optima.csv"
    assert board.references[insts[1].name].value == 190 and board.references[insts[1].name].kind == "best found"
    best = {0: 100, 1: 190, 2: 290}
    gaps_b = [100 * (obj_b[k] - best[k[0]]) / best[k[0]] for k in obj_b]
    sa, sb = board.stats
    assert sb.gap_mean == pytest.approx(sum(gaps_b) / 6)
    assert sb.wins == 3 and sa.wins == 0  # by mean objective per instance
    score_a = [best[i] / obj_a[(i, s)] for (i, s) in sorted(obj_a)]
    score_b = [best[i] / obj_b[(i, s)] for (i, s) in sorted(obj_b)]
    assert sb.avg_score == pytest.approx(sum(score_b) / 6)
    expected = stats.wilcoxon([x - y for x, y in zip(score_b, score_a, strict=True)],
                              alternative="two-sided").pvalue
    assert sa.p_value is None and sb.p_value == pytest.approx(expected)
    assert sb.solved == sb.runs == 6


def test_failed_runs_score_zero_and_are_counted(tmp_path) -> None:
    insts = _tsp_instances(tmp_path, 2)
    a, b = Entry("a", ()), Entry("b", ())
    runs = (BoardRun("a", insts[0].name, 1, _ok(100), True), BoardRun("a", insts[1].name, 1, _ok(50), True),
            BoardRun("b", insts[0].name, 1, RunResult("crashed", None, False, False, 0, 0.0, "died"), False),
            BoardRun("b", insts[1].name, 1, _ok(40), False))
    board = summarise(BoardSpec("t", "tsp", insts, (a, b), seeds=1, budget_steps=10), runs)
    sb = board.stats[1]
    assert sb.failures == {"crashed": 1} and sb.solved == 1
    assert sb.avg_score == pytest.approx((0 + 1.0) / 2)
    assert board.stats[0].avg_score == pytest.approx((1.0 + 40 / 50) / 2)
    text = to_text(board_table(board))
    assert "crashed 1" in text and "1/2" in text


def test_cache_round_trip_skips_timeouts(tmp_path) -> None:
    cache = ResultCache(tmp_path / "c.sqlite")
    k1 = CacheKey("e", "i", 1, "steps=100", "s")
    traced = RunResult("ok", 3.0, True, True, 100, 0.5, "", ((0.1, 5.0), (0.3, 3.0)), ((20, 5.0), (70, 3.0)))
    cache.put(k1, traced)
    cache.put(CacheKey("e", "i", 2, "steps=100", "s"), RunResult("timeout", None, False, False, 0, 9.0))
    assert cache.get(k1) == traced and len(cache) == 1
    assert cache.get(CacheKey("e", "i", 1, "steps=101", "s")) is None  # another budget is another run
    assert cache.get(CacheKey("e", "i", 1, "time=100s", "s")) is None  # ... and so is another kind
    cache.close()
    again = ResultCache(tmp_path / "c.sqlite")
    assert again.get(k1) == traced
    old = CacheKey("e", "i", 3, "steps=100", "s")  # a row written before step traces were kept
    again._db.execute("INSERT INTO runs VALUES (?,?,?,?,?,'ok',3.0,1,1,100,0.5,'','[[0.1, 3.0]]',0)",
                      (old.entry, old.instance, old.seed, old.budget, old.solver))
    assert again.get(old) == RunResult("ok", 3.0, True, True, 100, 0.5, "", ((0.1, 3.0),))
    again.close()


def test_entries_resolve_and_labels_are_unique(tmp_path) -> None:
    slot = get_problem("pbo").slots()["pick_best_variable"]
    f = tmp_path / "best.py"
    f.write_text(slot.default_source.replace("0.01", "0.02"))
    entry = resolve_entry(str(f), "pbo")
    assert entry.label == "best"
    assert entry.candidates[0].sources["pick_best_variable"] == f.read_text()
    assert entry.candidates[0].id != default_entry("pbo").candidates[0].id
    labels = [e.label for e in unique_labels([entry, entry, default_entry("pbo")])]
    assert labels == ["best", "best#2", "default"]
    with pytest.raises(ConfigError, match="--entry"):
        resolve_entry(str(tmp_path / "nothing"), "pbo")


@pytest.mark.slow
def test_second_board_with_a_new_entry_runs_only_that_entry(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_CONFIG_DIR", str(tmp_path / "cfg"))
    slot = get_problem("tsp").slots()["penalize_edges"]
    suite = tmp_path / "suite"
    suite.mkdir()
    for k in range(3):
        (suite / f"u25-{k}.tsp").write_text(tsplib_text(uniform_points(25, k + 1), f"u25-{k}"))
    (suite / "optima.csv").write_text("name,optimal_length\nu25-0,1\n")  # a (wrong) known value
    tsp_file = tmp_path / "slow_guide.py"
    tsp_file.write_text(slot.default_source)
    cache = tmp_path / "board.sqlite"
    runner = CliRunner()
    base = ["leaderboard", "--suite", str(suite), "--seeds", "2", "--steps", "30", "--workers", "2",
            "--cache", str(cache), "--format", "json", "--per-instance", "--entry", "default"]
    first = runner.invoke(app, base)
    assert first.exit_code == 0, first.output
    one = json.loads(first.stdout)
    assert one["evaluated"] == 6 and one["reused"] == 0
    assert all(r["verified"] and r["status"] == "ok" for r in one["runs"])
    assert one["references"]["u25-0.tsp"] == {"value": 1.0, "kind": "optima.csv"}
    second = runner.invoke(app, [*base, "--entry", str(tsp_file)])
    assert second.exit_code == 0, second.output
    two = json.loads(second.stdout)
    assert two["evaluated"] == 0 and two["reused"] == 12  # the file's code is the default's
    doubled = runner.invoke(app, [*base, "--entry", str(tsp_file), "--cache", str(tmp_path / "b2.sqlite")])
    assert doubled.exit_code == 0, doubled.output
    both = json.loads(doubled.stdout)
    assert both["evaluated"] == 12  # nothing cached in b2 ...
    assert len(ResultCache(tmp_path / "b2.sqlite")) == 6  # ... but the same code ran once per run
    objs = {(r["entry"], r["instance"], r["seed"]): r["objective"] for r in both["runs"]}
    assert all(objs[("default", i, s)] == objs[("slow_guide", i, s)] for (_, i, s) in objs)
    # a changed heuristic is a new entry: only its 6 runs are evaluated
    tsp_file.write_text(slot.default_source + "\n# changed\n")
    third = runner.invoke(app, [*base, "--entry", str(tsp_file), "--plot", str(tmp_path / "p.png")])
    assert third.exit_code == 0, third.output
    three = json.loads(third.stdout)
    assert three["evaluated"] == 6 and three["reused"] == 6
    assert {r["entry"] for r in three["runs"] if not r["cached"]} == {"slow_guide"}
    assert three["entries"][1]["p_value"] is not None
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_scores_are_cached_by_instance_content_so_a_cached_board_reads_no_instance(tmp_path) -> None:
    from heurevo.benchmarks.leaderboard import Scorer
    from heurevo.benchmarks.result_cache import file_hash

    insts = _tsp_instances(tmp_path, 1)
    spec = BoardSpec("t", "tsp", insts, (Entry("a", ()),), seeds=1, budget_steps=10)
    cache = ResultCache(tmp_path / "c.sqlite")
    hashes = {insts[0].name: file_hash(insts[0].path)}
    first = Scorer(spec, cache, hashes, "solver")
    assert first(insts[0].name, 120.0, 100.0) == pytest.approx(100 / 120)
    assert list(first.loaded) == [insts[0].name]
    second = Scorer(spec, cache, hashes, "solver")
    assert second(insts[0].name, 120.0, 100.0) == pytest.approx(100 / 120)
    assert second.loaded == {}  # from the cache
    other_solver = Scorer(spec, cache, hashes, "changed")
    other_solver(insts[0].name, 120.0, 100.0)
    assert list(other_solver.loaded) == [insts[0].name]
    cache.close()


@pytest.mark.slow
def test_hostile_entries_are_recorded_as_failures_and_the_board_still_finishes(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_CONFIG_DIR", str(tmp_path / "cfg"))
    corpus = Path(__file__).resolve().parent / "corpus"
    args = ["leaderboard", "--suite", "pbo-tiny", "--seeds", "1", "--steps", "3000", "--timeout", "30",
            "--cache", str(tmp_path / "b.sqlite"), "--format", "json", "--entry", "default",
            "--entry", str(corpus / "out_of_bounds_write.py"), "--entry", str(corpus / "import_os.py")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    entries = {e["label"]: e for e in json.loads(res.stdout)["entries"]}
    assert entries["default"]["solved"] == 4 and entries["default"]["failures"] == {}
    assert entries["out_of_bounds_write"]["failures"] == {"crashed": 4}
    assert entries["import_os"]["failures"] == {"rejected": 4}
    for bad in ("out_of_bounds_write", "import_os"):
        assert entries[bad]["solved"] == 0 and entries[bad]["avg_score"] == 0.0
        assert entries[bad]["p_value"] is not None


@pytest.mark.slow  # two sandboxed boards and their cached reruns: ~10 s on a loaded machine
def test_a_time_board_runs_and_caches_apart_from_a_step_board(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HEUREVO_CONFIG_DIR", str(tmp_path / "cfg"))
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "u15.tsp").write_text(tsplib_text(uniform_points(15, 3), "u15"))
    runner = CliRunner()
    base = ["leaderboard", "--suite", str(suite), "--seeds", "1", "--workers", "1", "--entry", "default",
            "--cache", str(tmp_path / "c.sqlite"), "--format", "json", "--per-instance"]

    def board(*budget: str) -> dict:
        res = runner.invoke(app, [*base, *budget])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    steps = board("--steps", "20")
    assert steps["budget_kind"] == "steps" and steps["time_s"] is None and steps["evaluated"] == 1
    timed = board("--time", "0.3")
    assert timed["budget_kind"] == "time" and timed["time_s"] == 0.3
    assert timed["evaluated"] == 1  # the step board's result is not reused for a time budget
    (run,) = timed["runs"]
    assert run["verified"] and run["status"] == "ok" and run["trace"][-1][1] == run["objective"]
    assert board("--time", "0.3")["evaluated"] == 0 and board("--steps", "20")["evaluated"] == 0
    caption = runner.invoke(app, [*base[:-3], "--format", "text", "--time", "0.3"]).stdout
    assert "0.3 s" in caption and "not reproducible elsewhere" in caption
    page = runner.invoke(app, [*base[:-3], "--format", "html", "--time", "0.3"]).stdout
    images = dict(re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page))
    assert set(images) == {"performance profile", "anytime curves"}
    assert base64.b64decode(images["anytime curves"])[:4] == b"\x89PNG"
