"""The permutation libstdc++'s (GCC) ``std::sort`` produces when sorting by descending key.

NuPBO sorts each constraint's literals with ``std::sort`` and the comparator
``a.weight > b.weight``. ``std::sort`` is not stable, so the order of equal-coefficient literals
is whatever libstdc++'s introsort leaves; replaying NuPBO needs exactly that order. This is a
reimplementation of that introsort (median-of-three quicksort down to blocks of 16, heap sort
when the depth limit ``2 * floor(log2 n)`` runs out, then a final insertion sort), moving
``(key, index)`` pairs as two parallel lists with the comparator ``a.key > b.key``.
"""

from __future__ import annotations

from collections.abc import Sequence

#: libstdc++'s ``_S_threshold``: ranges this short are left to the final insertion sort.
THRESHOLD = 16


def cxx_sort_order(keys: Sequence[int]) -> list[int]:
    """Indices into ``keys`` in the order ``std::sort`` leaves ``(index, key)`` by ``a.key > b.key``."""
    k = list(keys)
    if len(k) <= THRESHOLD or len(set(k)) == len(k):
        # Only the (stable) insertion sort runs on short ranges, and distinct keys admit a
        # single sorted order: a stable sort gives the same permutation.
        return sorted(range(len(k)), key=k.__getitem__, reverse=True)
    return _introsort_order(k)


def _introsort_order(k: list[int]) -> list[int]:
    """``std::sort`` itself on ``k`` (sorted in place), returning where each element came from."""
    n = len(k)
    p = list(range(n))
    if n > 1:
        _introsort_loop(k, p, 0, n, 2 * (n.bit_length() - 1))
    _insertion_sort(k, p, 0, min(n, THRESHOLD))
    _unguarded_insertion_sort(k, p, THRESHOLD, n)
    return p


def _introsort_loop(k: list[int], p: list[int], first: int, last: int, depth: int) -> None:
    """Quicksort ``[first, last)`` into blocks of at most 16; heap sort once ``depth`` runs out."""
    while last - first > THRESHOLD:
        if depth == 0:
            _heap_sort(k, p, first, last)
            return
        depth -= 1
        cut = _partition_pivot(k, p, first, last)
        _introsort_loop(k, p, cut, last, depth)
        last = cut


def _partition_pivot(k: list[int], p: list[int], first: int, last: int) -> int:
    """Median of three to ``first``, then the unguarded partition of ``[first+1, last)``."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    ka, kb, kc = k[a], k[b], k[c]
    if ka > kb:
        s = b if kb > kc else (c if ka > kc else a)
    elif ka > kc:
        s = a
    else:
        s = c if kb > kc else b
    k[first], k[s] = k[s], k[first]
    p[first], p[s] = p[s], p[first]
    pivot = k[first]
    lo, hi = first + 1, last
    while True:
        while k[lo] > pivot:
            lo += 1
        hi -= 1
        while pivot > k[hi]:
            hi -= 1
        if lo >= hi:
            return lo
        k[lo], k[hi] = k[hi], k[lo]
        p[lo], p[hi] = p[hi], p[lo]
        lo += 1


def _heap_sort(k: list[int], p: list[int], first: int, last: int) -> None:
    """``__partial_sort(first, last, last)``: ``__make_heap`` then ``__sort_heap``."""
    n = last - first
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(k, p, first, parent, n, k[first + parent], p[first + parent])
    for end in range(n - 1, 0, -1):
        vk, vp = k[first + end], p[first + end]
        k[first + end], p[first + end] = k[first], p[first]
        _adjust_heap(k, p, first, 0, end, vk, vp)


def _adjust_heap(k: list[int], p: list[int], base: int, hole: int, n: int, vk: int,
                 vp: int) -> None:
    """libstdc++ ``__adjust_heap``: sift the hole to a leaf, then ``__push_heap`` the value."""
    top = child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if k[base + child] > k[base + child - 1]:
            child -= 1
        k[base + hole], p[base + hole] = k[base + child], p[base + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1) - 1
        k[base + hole], p[base + hole] = k[base + child], p[base + child]
        hole = child
    parent = (hole - 1) // 2
    while hole > top and k[base + parent] > vk:
        k[base + hole], p[base + hole] = k[base + parent], p[base + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[base + hole], p[base + hole] = vk, vp


def _insertion_sort(k: list[int], p: list[int], first: int, last: int) -> None:
    """libstdc++ ``__insertion_sort`` (stable: an element passes only strictly smaller keys)."""
    for i in range(first + 1, last):
        vk, vp = k[i], p[i]
        if vk > k[first]:
            k[first + 1:i + 1] = k[first:i]
            p[first + 1:i + 1] = p[first:i]
            k[first], p[first] = vk, vp
        else:
            _linear_insert(k, p, i)


def _unguarded_insertion_sort(k: list[int], p: list[int], first: int, last: int) -> None:
    """libstdc++ ``__unguarded_insertion_sort``: a larger key always lies to the left."""
    for i in range(first, last):
        _linear_insert(k, p, i)


def _linear_insert(k: list[int], p: list[int], i: int) -> None:
    """Move element ``i`` left past every strictly smaller key (``__unguarded_linear_insert``)."""
    vk = k[i]
    j = i - 1
    while vk > k[j]:
        j -= 1
    if j + 1 < i:
        vp = p[i]
        k[j + 2:i + 1] = k[j + 1:i]
        p[j + 2:i + 1] = p[j + 1:i]
        k[j + 1], p[j + 1] = vk, vp
