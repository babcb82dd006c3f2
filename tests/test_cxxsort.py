"""``cxx_sort_order`` gives the same permutation as libstdc++'s ``std::sort`` compiled with g++."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from heurevo.solvers.pbo import cxxsort
from heurevo.solvers.pbo.cxxsort import cxx_sort_order

# Reads cases ("L n 1 key..." or "K n div": a killer of size n, values divided by div) and prints,
# per case, the keys and then the indices in the order std::sort leaves them by a.key > b.key.
PROGRAM = r"""
#include <algorithm>
#include <cstdio>
#include <vector>

struct Lit { int idx; long long key; };

static std::vector<long long> val;
static long long gas, nsolid;
static int candidate;

// McIlroy's adversary ("A killer adversary for quicksort"): freezes values lazily so that the
// sort degenerates; replaying the frozen values makes std::sort hit its depth limit.
static bool adversary_less(int x, int y) {
    if (val[x] == gas && val[y] == gas) {
        if (x == candidate) val[x] = nsolid++; else val[y] = nsolid++;
    }
    if (val[x] == gas) candidate = x; else if (val[y] == gas) candidate = y;
    return val[x] < val[y];
}

static std::vector<long long> killer(int n, long long div) {
    val.assign(n, n); gas = n; nsolid = 0; candidate = 0;
    std::vector<int> items(n);
    for (int i = 0; i < n; ++i) items[i] = i;
    std::sort(items.begin(), items.end(), adversary_less);
    std::vector<long long> keys(n);
    for (int i = 0; i < n; ++i) keys[i] = -(val[i] / div);  // descending: same comparisons
    return keys;
}

int main() {
    int cases;
    if (scanf("%d", &cases) != 1) return 1;
    while (cases--) {
        char kind; int n; long long div;
        if (scanf(" %c %d %lld", &kind, &n, &div) != 3) return 1;
        std::vector<long long> keys(n);
        if (kind == 'K') keys = killer(n, div);
        else for (auto &k : keys) if (scanf("%lld", &k) != 1) return 1;
        std::vector<Lit> lits(n);
        for (int i = 0; i < n; ++i) lits[i] = {i, keys[i]};
        std::sort(lits.begin(), lits.end(),
                  [](const Lit &a, const Lit &b) { return a.key > b.key; });
        for (int i = 0; i < n; ++i) printf("%lld ", keys[i]);
        printf("\n");
        for (int i = 0; i < n; ++i) printf("%d ", lits[i].idx);
        printf("\n");
    }
    return 0;
}
"""


def _cases() -> list[tuple[str, list[int] | tuple[int, int]]]:
    rng = random.Random(20240601)
    cases: list[tuple[str, list[int] | tuple[int, int]]] = []
    for n in range(41):
        for _ in range(40):
            hi = rng.choice([1, 2, 3, 5, 10, 1000])
            cases.append(("L", [rng.randint(1, hi) for _ in range(n)]))
    for _ in range(40):
        cases.append(("L", [rng.randint(1, 3) for _ in range(rng.randint(17, 3000))]))
    for n in (17, 18, 33, 100, 1000, 2999):
        cases += [("L", [7] * n), ("L", list(range(n))), ("L", list(range(n, 0, -1))),
                  ("L", [min(i, n - i) for i in range(n)]),
                  ("L", [max(i, n - i) for i in range(n)]),
                  ("L", [i % 3 for i in range(n)]), ("L", [i // 4 for i in range(n)])]
    cases += [("K", (n, div)) for n in (200, 1000, 3000) for div in (1, 2, 3, 4)]
    return cases


def test_matches_libstdcxx_std_sort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    (tmp_path / "sort.cpp").write_text(PROGRAM)
    exe = tmp_path / "sort"
    subprocess.run(["g++", "-O2", "-o", str(exe), str(tmp_path / "sort.cpp")], check=True)
    cases = _cases()
    lines = [str(len(cases))]
    for kind, case in cases:
        if kind == "K":
            assert isinstance(case, tuple)
            lines.append(f"K {case[0]} {case[1]}")
        else:
            lines.append(f"L {len(case)} 1 " + " ".join(map(str, case)))
    out = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout.split("\n")
    heap_sorted: list[int] = []
    real_heap_sort = cxxsort._heap_sort

    def counting_heap_sort(k: list[int], p: list[int], first: int, last: int) -> None:
        heap_sorted.append(last - first)
        real_heap_sort(k, p, first, last)

    monkeypatch.setattr(cxxsort, "_heap_sort", counting_heap_sort)
    for i, (kind, case) in enumerate(cases):
        keys = [int(x) for x in out[2 * i].split()]
        if kind == "L":
            assert keys == case
        expected = [int(x) for x in out[2 * i + 1].split()]
        assert cxx_sort_order(keys) == expected, (kind, len(keys), keys[:40])
    # the killers with ties drive the introsort into its heap-sort fallback on large ranges
    assert heap_sorted and max(heap_sorted) > 1000


def test_fast_paths_agree_with_the_introsort() -> None:
    rng = random.Random(7)
    for n in (*range(40), 100, 5000):
        for keys in (rng.sample(range(10 * n + 1), n), [rng.randint(1, 3) for _ in range(n)]):
            if n <= cxxsort.THRESHOLD or len(set(keys)) == n:
                assert cxx_sort_order(keys) == cxxsort._introsort_order(list(keys))
    assert cxx_sort_order([2, 1, 2, 3, 1]) == [3, 0, 2, 1, 4]
