"""The same candidates through two heurevo trees: `bench pipeline`'s overhead and throughput.

    python scripts/pipeline_compare.py dump cands.json          # 30 GP-written PBO candidates
    PYTHONPATH=OLD_TREE python scripts/pipeline_compare.py measure cands.json old
    PYTHONPATH=NEW_TREE python scripts/pipeline_compare.py measure cands.json new

`measure` imports whichever heurevo is on the path (this tree's layout, or the layout before
the layer moves), so a worker model can be compared with an earlier commit's on identical
candidates; run the two alternately on a quiet machine.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def _modules():
    try:
        from heurevo.bench import pipeline
        from heurevo.suites.catalog import build_suite, suite_cache_dir
    except ImportError:  # a tree from before the layer moves
        from heurevo.benchmarks.suites import build_suite

        from heurevo.benchmarks import bench_pipeline as pipeline
        from heurevo.engine.session import suite_cache_dir
    return pipeline, build_suite, suite_cache_dir


def main(argv: list[str]) -> None:
    """``dump FILE`` or ``measure FILE LABEL``."""
    pipeline, build_suite, suite_cache_dir = _modules()
    if argv[0] == "dump":
        Path(argv[1]).write_text(json.dumps([c.sources for c in pipeline.gp_candidates(30, 1)]))
        return
    from heurevo.populations.records import Candidate

    cands = [Candidate.new("pbo", s, operator="mutate", proposer="gp")
             for s in json.loads(Path(argv[1]).read_text())]
    suite = list(build_suite("pbo-mixed-small", "pbo", suite_cache_dir()).instances)
    over = pipeline.measure_overhead(cands, suite, 20_000, Path(tempfile.mkdtemp()))
    rate = pipeline.measure_throughput(cands, suite, 20_000, 2, Path(tempfile.mkdtemp()))
    print(json.dumps({"tree": argv[2], "overhead_median_s": round(over["median_s"], 3),
                      "p90_s": round(over["p90_s"], 3), "statuses": over["statuses"],
                      "per_minute": round(rate["per_minute"], 1)}))


if __name__ == "__main__":
    main(sys.argv[1:])
