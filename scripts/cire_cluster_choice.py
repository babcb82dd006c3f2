"""Which clustering for CIRE populations: average-linkage agglomerative or HDBSCAN?

Planted populations of the sizes the controller sees (8-24 members in 1-5 groups, features on
the clustering module's scale: members of one idea within about one unit, ideas several units
apart) are clustered by both; printed: adjusted Rand index against the planted groups (1 = all
recovered), how often a one-group (converged) population comes out as one cluster, the share
of members HDBSCAN leaves as noise, and milliseconds per clustering.

    PYTHONPATH=. python scripts/cire_cluster_choice.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.metrics import adjusted_rand_score

from heurevo.engine.clustering import cluster_rows


def planted(rng: np.random.Generator, groups: int, n: int, dims: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows in ``groups`` groups: centres about 4 units apart, members about 0.7 from each other."""
    centres = rng.normal(0, 4 / np.sqrt(2 * dims), size=(groups, dims))
    labels = np.sort(rng.integers(0, groups, size=n))
    labels[:groups] = np.arange(groups)
    x = centres[labels] + rng.normal(0, 0.5 / np.sqrt(dims), size=(n, dims))
    return x, labels


def hdbscan_labels(x: np.ndarray) -> tuple[np.ndarray, float]:
    """HDBSCAN labels with each noise point its own cluster, and the noise share."""
    raw = HDBSCAN(min_cluster_size=2, copy=True).fit_predict(x)
    noise = raw < 0
    out = raw.copy()
    out[noise] = raw.max() + 1 + np.arange(noise.sum())
    return out, float(noise.mean())


def main() -> None:
    """Print the comparison."""
    rng = np.random.default_rng(0)
    rows = {"agglomerative": [], "hdbscan": []}
    single = {"agglomerative": [], "hdbscan": []}
    times = {"agglomerative": 0.0, "hdbscan": 0.0}
    noise = []
    trials = 0
    for _ in range(60):
        for groups in (1, 2, 3, 5):
            n = int(rng.integers(8, 25))
            x, truth = planted(rng, groups, n)
            t0 = time.perf_counter()
            a = cluster_rows(x, max_clusters=8)
            times["agglomerative"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            h, share = hdbscan_labels(x)
            times["hdbscan"] += time.perf_counter() - t0
            noise.append(share)
            trials += 1
            for name, lab in (("agglomerative", a), ("hdbscan", h)):
                if groups == 1:
                    single[name].append(len(set(lab.tolist())) == 1)
                else:
                    rows[name].append(adjusted_rand_score(truth, lab))
    for name in rows:
        print(f"{name:14s} ARI {np.mean(rows[name]):.3f}  one-group population as one cluster "
              f"{100 * np.mean(single[name]):.0f}%  {1000 * times[name] / trials:.2f} ms per clustering")
    print(f"hdbscan leaves {100 * np.mean(noise):.0f}% of members as noise on average")


if __name__ == "__main__":
    main()
