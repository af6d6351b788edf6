"""One-to-one assignment that maximises the total score (the Hungarian method)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def assign(score: Matrix) -> list[tuple[int, int]]:
    """The pairs (row, column) of ``score`` that maximise its sum, each row and column used at
    most once. Our own solver rather than SciPy's: SciPy is not a dependency of ebpm, and its
    import alone costs longer (about 0.5 s) than solving every table of two editions."""
    return hungarian(score)


def hungarian(score: Matrix) -> list[tuple[int, int]]:
    """Kuhn–Munkres with potentials (O(n²m), rows vectorised): the maximum-score assignment."""
    if score.size == 0:
        return []
    flip = score.shape[0] > score.shape[1]
    cost = -(score.T if flip else score)
    n, m = cost.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=np.int64)  # p[j]: the row (1-based) assigned to column j
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            cur = cost[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            candidates = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            taken = np.nonzero(used)[0]
            u[p[taken]] += delta
            v[taken] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = int(way[j0])
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    pairs = [(int(p[j]) - 1, j - 1) for j in range(1, m + 1) if p[j]]
    return sorted((c, r) for r, c in pairs) if flip else sorted(pairs)
