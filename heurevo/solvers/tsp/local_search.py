"""2-opt and Or-opt local search with neighbour lists and don't-look bits (a work queue).

The tour is an array with the inverse ``pos``; a 2-opt move reverses the shorter side, and an
Or-opt move (a segment of 1-3 cities moved elsewhere, either way round) is executed as two or
three such 2-opt moves. Moves are first-improvement, scanned from cities in the work queue; a
city leaves the queue when no improving move starts at it (its don't-look bit), and the
endpoints of every changed edge re-enter it.

The cost of an edge is ``d(i, j) + lam * penalty(i, j)`` (guided local search), or plain
``d(i, j)`` when ``lam == 0``. Candidate lists are ordered by true distance, which only
ever underestimates the penalised cost, so pruning on it stays exact. Two implementations of
the same search: :func:`run_queue_fast` reads every cost from one array (the distance matrix,
a penalised matrix kept by the caller, or coordinates) and serves true-distance search and
dense-table GLS; :func:`run_queue` looks penalties up in the (sparse) tables on the fly.
"""

from __future__ import annotations

import numpy as np
from numba import boolean, float64, int64, njit

from heurevo.solvers.tsp import penalties as P
from heurevo.solvers.tsp.distance import dist

EPS = 1e-10
#: A move must gain more than this share of the cost of the edges it removes. Penalised costs
#: reach 1e7 and more, where one rounding step exceeds EPS: without a relative tolerance a move
#: and its undo can both look improving, and the search cycles for ever.
REL_EPS = 1e-9


@njit(inline="always", cache=True)
def improves(delta, removed):
    """Whether a move changing the tour cost by ``delta`` (removing edges costing ``removed``) helps."""
    return delta < -(EPS + REL_EPS * removed)


@njit(inline="always", cache=True)
def cost(kind, xy, mat, lam, pn, pv, pc, i, j):
    """Edge cost on the (possibly penalised) distance."""
    d = dist(kind, xy, mat, i, j)
    if lam != 0.0:
        d += lam * P.penalty(pn, pv, pc, i, j)
    return d


@njit(inline="always", cache=True)
def succ(tour, pos, v):
    """The city after ``v``."""
    p = pos[v] + 1
    return tour[0] if p == tour.shape[0] else tour[p]


@njit(inline="always", cache=True)
def pred(tour, pos, v):
    """The city before ``v``."""
    p = pos[v]
    return tour[tour.shape[0] - 1] if p == 0 else tour[p - 1]


@njit(inline="always", cache=True)
def reverse_path(tour, pos, u, v):
    """Reverse the path from ``u`` forward to ``v`` (or its complement, whichever is shorter)."""
    n = tour.shape[0]
    i = pos[u]
    j = pos[v]
    length = j - i
    if length < 0:
        length += n
    length += 1
    if 2 * length > n:
        i, j = j + 1, i - 1
        if i == n:
            i = 0
        if j < 0:
            j = n - 1
        length = n - length
    for _ in range(length // 2):
        a = tour[i]
        b = tour[j]
        tour[i] = b
        pos[b] = i
        tour[j] = a
        pos[a] = j
        i += 1
        if i == n:
            i = 0
        j -= 1
        if j < 0:
            j = n - 1


@njit(inline="always", cache=True)
def move2(tour, pos, a, b, c, d):
    """Replace tour edges (a, b), (c, d) by (a, c), (b, d); b follows a as d follows c."""
    if succ(tour, pos, a) == b:
        reverse_path(tour, pos, b, c)
    else:
        reverse_path(tour, pos, c, b)


@njit(inline="always", cache=True)
def or_move(tour, pos, p, s1, s2, n2, x, y, reverse):
    """Move segment s1..s2 (between p and n2) between x and y = succ(x), reversed or not."""
    move2(tour, pos, p, s1, x, y)
    move2(tour, pos, p, x, n2, s2)
    if not reverse and s1 != s2:
        move2(tour, pos, x, s2, s1, y)


@njit(inline="always", cache=True)
def _push(queue, inq, touched, head_tail, v):
    touched[v] = True
    if head_tail[2] != 0 and not inq[v]:
        inq[v] = True
        n = queue.shape[0]
        queue[head_tail[1]] = v
        head_tail[1] = (head_tail[1] + 1) % n


@njit(inline="always", cache=True)
def _try_2opt(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, a, queue, inq, touched, ht):
    for direction in range(2):
        b = succ(tour, pos, a) if direction == 0 else pred(tour, pos, a)
        d_ab = cost(kind, xy, mat, lam, pn, pv, pc, a, b)
        for t in range(nbrs.shape[1]):
            c = nbrs[a, t]
            g1 = d_ab - dist(kind, xy, mat, a, c)
            if g1 <= EPS:
                break
            d = succ(tour, pos, c) if direction == 0 else pred(tour, pos, c)
            if c == b or d == a:
                continue
            d_cd = cost(kind, xy, mat, lam, pn, pv, pc, c, d)
            delta = (cost(kind, xy, mat, lam, pn, pv, pc, a, c)
                     + cost(kind, xy, mat, lam, pn, pv, pc, b, d) - d_ab - d_cd)
            if improves(delta, d_ab + d_cd):
                if direction == 0:
                    move2(tour, pos, a, b, c, d)
                else:
                    move2(tour, pos, b, a, d, c)
                _push(queue, inq, touched, ht, b)
                _push(queue, inq, touched, ht, c)
                _push(queue, inq, touched, ht, d)
                return True
    return False


@njit(inline="always", cache=True)
def _offset(pos, n, s1, v):
    o = pos[v] - pos[s1]
    return o + n if o < 0 else o


@njit(inline="always", cache=True)
def _try_oropt(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, a, queue, inq, touched, ht):
    n = tour.shape[0]
    for seg in range(1, 4):
        if n < seg + 3:
            break
        for direction in range(2):
            if seg == 1 and direction == 1:
                continue
            s1 = a
            s2 = a
            for _ in range(seg - 1):
                if direction == 0:
                    s2 = succ(tour, pos, s2)
                else:
                    s1 = pred(tour, pos, s1)
            p = pred(tour, pos, s1)
            n2 = succ(tour, pos, s2)
            cut = (cost(kind, xy, mat, lam, pn, pv, pc, p, s1)
                   + cost(kind, xy, mat, lam, pn, pv, pc, s2, n2))
            g = cut - cost(kind, xy, mat, lam, pn, pv, pc, p, n2)
            if g <= EPS:
                continue
            # only ``a``'s end joins a neighbour: the segment's other end does so on its own turn
            e = a
            other = s2 if direction == 0 else s1
            for t in range(nbrs.shape[1]):
                c = nbrs[e, t]
                if dist(kind, xy, mat, e, c) >= g - EPS:
                    break
                if _offset(pos, n, s1, c) < seg:
                    continue
                d_ce = cost(kind, xy, mat, lam, pn, pv, pc, c, e)
                for side in range(2):
                    # insertion edge (x, y) with y = succ(x); c is x (side 0) or y (side 1)
                    if side == 0:
                        x = c
                        y = succ(tour, pos, c)
                        w = y
                    else:
                        y = c
                        x = pred(tour, pos, c)
                        w = x
                    if _offset(pos, n, s1, w) < seg:
                        continue
                    d_xy = cost(kind, xy, mat, lam, pn, pv, pc, x, y)
                    delta = d_ce + cost(kind, xy, mat, lam, pn, pv, pc, other, w) - d_xy - g
                    if improves(delta, cut + d_xy):
                        # side 0: x-e ... other-y; e == s1 keeps the orientation
                        reverse = (e == s2) if side == 0 else (e == s1)
                        or_move(tour, pos, p, s1, s2, n2, x, y, reverse)
                        for v in (p, n2, s1, s2, x, y):
                            _push(queue, inq, touched, ht, v)
                        return True
    return False


@njit(inline="always", cache=True)
def enqueue(queue, inq, ht, v):
    """Put ``v`` at the tail of the circular work queue unless it is already queued."""
    if not inq[v]:
        inq[v] = True
        queue[ht[1]] = v
        ht[1] = (ht[1] + 1) % queue.shape[0]


@njit(cache=True)
def run_queue(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, queue, inq, ht, touched):
    """Work the queue ``(queue, inq, ht)`` empty; returns the number of improving moves.

    ``queue`` has n + 1 cells, ``inq`` marks queued cities, ``ht`` is ``[head, tail, cascade]``.
    Cities whose edges change are marked in ``touched`` and re-queued when ``ht[2]`` is set.
    """
    n = tour.shape[0]
    moves = 0
    if n < 5:
        while ht[0] != ht[1]:
            inq[queue[ht[0]]] = False
            ht[0] = (ht[0] + 1) % (n + 1)
        return 0
    while ht[0] != ht[1]:
        a = queue[ht[0]]
        ht[0] = (ht[0] + 1) % (n + 1)
        inq[a] = False
        improved = True
        while improved:
            improved = _try_2opt(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, a, queue, inq,
                                 touched, ht)
            if not improved:
                improved = _try_oropt(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, a, queue,
                                      inq, touched, ht)
            if improved:
                moves += 1
    return moves


@njit(cache=True)
def run_queue_fast(kind, xy, mat, w, nbrs, tour, pos, queue, inq, ht, touched):
    """:func:`run_queue` with edge costs ``dist(kind, xy, w, i, j)``, no penalty tables.

    ``w`` is ``mat`` (true distances, from coordinates when ``mat`` is 0 x 0) or, for guided
    local search with dense tables, the n x n ``mat + lam * penalty`` kept up to date by the
    caller; true distances bound the candidate scans. The scans are written out here rather
    than through helpers: Numba-inlined helpers whose array arguments are used conditionally
    left reference-count updates in the inner loops, making every lookup ~30 times dearer.
    """
    n = tour.shape[0]
    k = nbrs.shape[1]
    size = queue.shape[0]
    moves = 0
    if n < 5:
        while ht[0] != ht[1]:
            inq[queue[ht[0]]] = False
            ht[0] = (ht[0] + 1) % size
        return 0
    changed = np.empty(6, dtype=np.int64)
    while ht[0] != ht[1]:
        a = queue[ht[0]]
        ht[0] = (ht[0] + 1) % size
        inq[a] = False
        while True:
            m = 0
            pa = pos[a]
            for direction in range(2):  # 2-opt: new edge (a, c), c a candidate of a
                if direction == 0:
                    b = tour[pa + 1] if pa + 1 < n else tour[0]
                else:
                    b = tour[pa - 1] if pa > 0 else tour[n - 1]
                d_ab = dist(kind, xy, w, a, b)
                for t in range(k):
                    c = nbrs[a, t]
                    if d_ab - dist(kind, xy, mat, a, c) <= EPS:
                        break
                    q = pos[c]
                    if direction == 0:
                        d = tour[q + 1] if q + 1 < n else tour[0]
                    else:
                        d = tour[q - 1] if q > 0 else tour[n - 1]
                    if c == b or d == a:
                        continue
                    d_cd = dist(kind, xy, w, c, d)
                    delta = dist(kind, xy, w, a, c) + dist(kind, xy, w, b, d) - d_ab - d_cd
                    if improves(delta, d_ab + d_cd):
                        if direction == 0:
                            move2(tour, pos, a, b, c, d)
                        else:
                            move2(tour, pos, b, a, d, c)
                        changed[0] = b
                        changed[1] = c
                        changed[2] = d
                        m = 3
                        break
                if m:
                    break
            if m == 0:  # Or-opt: move a segment of 1-3 cities ending at a next to a candidate
                for seg in range(1, 4):
                    if n < seg + 3 or m:
                        break
                    for direction in range(2):
                        if seg == 1 and direction == 1:
                            continue
                        s1 = a
                        s2 = a
                        for _ in range(seg - 1):
                            if direction == 0:
                                q = pos[s2] + 1
                                s2 = tour[q] if q < n else tour[0]
                            else:
                                q = pos[s1] - 1
                                s1 = tour[q] if q >= 0 else tour[n - 1]
                        q = pos[s1] - 1
                        p = tour[q] if q >= 0 else tour[n - 1]
                        q = pos[s2] + 1
                        n2 = tour[q] if q < n else tour[0]
                        cut = dist(kind, xy, w, p, s1) + dist(kind, xy, w, s2, n2)
                        g = cut - dist(kind, xy, w, p, n2)
                        if g <= EPS:
                            continue
                        other = s2 if direction == 0 else s1
                        ps1 = pos[s1]
                        for t in range(k):
                            c = nbrs[a, t]
                            if dist(kind, xy, mat, a, c) >= g - EPS:
                                break
                            q = pos[c]
                            if (q - ps1 + n) % n < seg:
                                continue
                            d_ce = dist(kind, xy, w, c, a)
                            for side in range(2):
                                if side == 0:
                                    x = c
                                    y = tour[q + 1] if q + 1 < n else tour[0]
                                    v = y
                                else:
                                    y = c
                                    x = tour[q - 1] if q > 0 else tour[n - 1]
                                    v = x
                                if (pos[v] - ps1 + n) % n < seg:
                                    continue
                                d_xy = dist(kind, xy, w, x, y)
                                if improves(d_ce + dist(kind, xy, w, other, v) - d_xy - g,
                                            cut + d_xy):
                                    reverse = (a == s2) if side == 0 else (a == s1)
                                    or_move(tour, pos, p, s1, s2, n2, x, y, reverse)
                                    changed[0] = p
                                    changed[1] = n2
                                    changed[2] = s1
                                    changed[3] = s2
                                    changed[4] = x
                                    changed[5] = y
                                    m = 6
                                    break
                            if m:
                                break
                        if m:
                            break
            if m == 0:
                break
            moves += 1
            for r in range(m):
                v = changed[r]
                touched[v] = True
                if ht[2] != 0 and not inq[v]:
                    inq[v] = True
                    queue[ht[1]] = v
                    ht[1] = (ht[1] + 1) % size
    return moves


_LS_SIG = int64(int64, float64[:, ::1], float64[:, ::1], int64[:, ::1], int64[::1], int64[::1],
                float64, int64[:, ::1], float64[:, ::1], int64[::1], int64[::1], boolean[::1],
                boolean)


@njit(_LS_SIG, cache=True, nogil=True)
def local_search(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, start, touched, cascade):
    """Improve ``tour`` in place until no 2-opt/Or-opt move from a queued city helps.

    ``start`` lists the cities queued first; every city whose edges change is marked in
    ``touched`` and, when ``cascade``, queued again. Returns the number of improving moves.
    """
    n = tour.shape[0]
    queue = np.empty(n + 1, dtype=np.int64)  # circular; one spare cell tells full from empty
    inq = np.zeros(n, dtype=np.bool_)
    ht = np.zeros(3, dtype=np.int64)  # head, tail, cascade
    ht[2] = 1 if cascade else 0
    for v in start:
        enqueue(queue, inq, ht, v)
    if lam == 0.0:
        return run_queue_fast(kind, xy, mat, mat, nbrs, tour, pos, queue, inq, ht, touched)
    return run_queue(kind, xy, mat, nbrs, tour, pos, lam, pn, pv, pc, queue, inq, ht, touched)


def positions(tour: np.ndarray) -> np.ndarray:
    """The inverse permutation of ``tour``."""
    pos = np.empty_like(tour)
    pos[tour] = np.arange(tour.shape[0], dtype=tour.dtype)
    return pos


def improve(arrays, tour: np.ndarray) -> tuple[np.ndarray, int]:
    """Local search from every city on true distances; returns the new tour and the move count."""
    t = np.ascontiguousarray(tour, dtype=np.int64).copy()
    pos = positions(t)
    n = t.shape[0]
    pn, pv, _, pc = P.new_tables(n, 0)
    moves = local_search(arrays.kind, arrays.xy, arrays.mat, arrays.neighbours, t, pos, 0.0,
                         pn, pv, pc, np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.bool_), True)
    return t, int(moves)
