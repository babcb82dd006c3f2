"""Generated PBO families: seeded, valid OPB, feasible, configurable size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heurevo.instances.formats.opb import format_pb, read_pb
from heurevo.instances.generators.pbo import FAMILIES, brute_force, generate, write_suite


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_seeded_valid_and_feasible(family: str, tmp_path: Path) -> None:
    a, b = generate(family, 10, 5), generate(family, 10, 5)  # small enough for brute force
    assert format_pb(a) == format_pb(b) != format_pb(generate(family, 16, 6))
    assert brute_force(a) is not None
    big = generate(family, 200, 1)
    assert big.n_vars >= 100 and len(big.constraints) > 0


def test_write_suite_reads_back(tmp_path: Path) -> None:
    paths = write_suite(tmp_path, sorted(FAMILIES), [20], [1, 2])
    assert len(paths) == 2 * len(FAMILIES)
    for p in paths:
        f = read_pb(p)
        assert f.objective is not None and f.n_vars > 0


def test_brute_force_matches_a_hand_count() -> None:
    from heurevo.instances.formats.opb import parse_pb
    f = parse_pb("min: +3 x1 +2 x2 +2 x3 ;\n+1 x1 +1 x2 >= 1 ;\n+1 x1 +1 x3 >= 1 ;\n")
    assert brute_force(f) == 3
    assert brute_force(parse_pb("+1 x1 >= 1 ;\n+1 ~x1 >= 1 ;\n")) is None
    assert np.isscalar(brute_force(generate("knapsack", 10, 1)))


def test_maxsat_relaxation_pays_exactly_the_violated_clauses() -> None:
    from heurevo.instances.generators.pbo import max_sat
    f = max_sat(4, 12, 3)
    assert f.n_vars == 16 and len(f.constraints) == 12
    for k, c in enumerate(f.constraints):
        assert c.relop == ">=" and c.rhs == 1 and c.terms[-1] == (1, (4 + k + 1,))
        assert len({abs(lit) for _, (lit,) in c.terms[:3]}) == 3
    opt = brute_force(f)
    assert opt is not None and opt >= 0  # over-constrained: some weight may have to be paid
