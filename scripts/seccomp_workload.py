"""seccomp_syscalls.py's workload: a few PBO and TSP candidates through the real pipeline."""

import tempfile
from pathlib import Path

from heurevo.bench.pipeline import gp_candidates
from heurevo.engine.evaluate import EvaluationConfig, StagedEvaluator
from heurevo.populations.records import Candidate
from heurevo.solvers.problem import get_problem
from heurevo.suites.catalog import SplitInstance, build_suite, suite_cache_dir

work = Path(tempfile.mkdtemp())
cfg = EvaluationConfig(budget_steps=3000, workers=1, timeout_s=120)
insts = list(build_suite("pbo-mixed-small", "pbo", suite_cache_dir()).instances)[:3]
ev = StagedEvaluator("pbo", {"train": insts}, cfg, 1, work / "p")
for c in gp_candidates(4, 3):
    print(ev.evaluate(c).status)
ev.close()

tsp = get_problem("tsp")
inst = tsp.smoke_instance(work / "t")
ev = StagedEvaluator("tsp", {"train": [SplitInstance(inst.name, str(inst))]},
                     EvaluationConfig(budget_steps=50, workers=1, timeout_s=120), 1, work / "tt")
sources = {n: s.default_source for n, s in tsp.slots().items()}
sources["heuristics"] += "\n# changed\n"
print(ev.evaluate(Candidate.new("tsp", sources, operator="t", proposer="t")).status)
ev.close()
