"""The EA meta-controller: parent selection, survival, explore/exploit, slot scheduling.

Ask/tell: :meth:`Controller.ask` returns proposal requests (which slot, which operator, which
parents); :meth:`Controller.tell` records an evaluated candidate; :meth:`Controller.end_generation`
applies survival and advances the slot schedule. Selection and survival use DEAP's tools
(tournament, roulette, NSGA-II) on thin wrappers, under a seed derived from the run seed and the
generation, so a run is reproducible. The controller never evaluates or proposes code itself.

With a :class:`~heurevo.engine.clustering.Clusterer` (CIRE), every generation's pool is
clustered on behaviour and code; then (each behind its own switch) parents are picked within a
cluster to exploit and across clusters to explore, survival keeps the best of each cluster
(niching), and one cluster holding most of the population counts as convergence, which switches
to explore just as stagnation does. Each request carries a homogeneous or heterogeneous group and
a few distant references for proposers that use them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import deap.gp
import deap.tools.emo
import deap.tools.selection
from deap import base, tools

from heurevo.engine.clustering import (
    Clusterer,
    Clustering,
    best_per_cluster,
    heterogeneous_group,
    homogeneous_group,
)
from heurevo.errors import ConfigError
from heurevo.populations.records import Member, ProposalRequest

OBJECTIVE_WEIGHTS = {"quality": 1.0, "time": -1.0, "length": -1.0}


@dataclass(frozen=True)
class ControllerConfig:
    """How the population is selected, kept and steered."""

    population_size: int = 8
    offspring_per_generation: int = 8
    selection: Literal["tournament", "roulette"] = "tournament"
    tournament_size: int = 3
    survival: Literal["plus", "nsga2"] = "plus"
    objectives: tuple[str, ...] = ("quality", "time", "length")
    stagnation_generations: int = 3
    exploit_operators: dict[str, float] = field(default_factory=lambda: {"mutate": 0.4, "crossover": 0.3, "tune": 0.3})
    explore_operators: dict[str, float] = field(default_factory=lambda: {"init": 0.4, "mutate": 0.5, "crossover": 0.1})
    slot_schedule: Literal["greedy", "joint"] = "greedy"
    generations_per_slot: int = 3

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.population_size < 1:
            raise ConfigError(f"must be >= 1, got {self.population_size}", key="population_size")
        if self.offspring_per_generation < 1:
            raise ConfigError(f"must be >= 1, got {self.offspring_per_generation}", key="offspring_per_generation")
        if self.tournament_size < 1:
            raise ConfigError(f"must be >= 1, got {self.tournament_size}", key="tournament_size")
        for name in self.objectives:
            if name not in OBJECTIVE_WEIGHTS:
                raise ConfigError(f"unknown objective '{name}' (known: quality, time, length)", key="objectives")
        for key in ("exploit_operators", "explore_operators"):
            ops = getattr(self, key)
            if not ops or any(w < 0 for w in ops.values()) or sum(ops.values()) <= 0:
                raise ConfigError("needs at least one operator with a positive weight", key=key)
        if self.generations_per_slot < 1:
            raise ConfigError(f"must be >= 1, got {self.generations_per_slot}", key="generations_per_slot")




class _Wrapped:
    """A DEAP-compatible individual around a member."""

    def __init__(self, member: Member, fitness_cls: type[base.Fitness], objectives: Sequence[str]):
        self.member = member
        self.fitness = fitness_cls()
        vals = member.objectives(objectives)
        # DEAP cannot order -inf sensibly in crowding distance; failed members get a floor value.
        self.fitness.values = tuple(v if v != float("-inf") else -1e9 for v in vals)


#: DEAP modules that draw from the ``random`` module they imported (``random.choice`` & co.).
_DEAP_RANDOM_USERS = (deap.gp, deap.tools.selection, deap.tools.emo)
_DEAP_RANDOM_LOCK = threading.RLock()


def seeded(seed: int, fn: Callable[[random.Random], Any]) -> Any:
    """Run ``fn(rng)`` with ``rng = random.Random(seed)`` as the generator DEAP's tools draw from.

    Python's global RNG is neither seeded nor advanced: for the call, DEAP's modules see ``rng``
    in place of the ``random`` module (under a lock, restored afterwards). ``fn`` draws its own
    numbers from ``rng`` too, so the whole call is one reproducible stream.
    """
    rng = random.Random(seed)
    with _DEAP_RANDOM_LOCK:
        saved = [m.random for m in _DEAP_RANDOM_USERS]
        for m in _DEAP_RANDOM_USERS:
            m.random = rng  # type: ignore[attr-defined]
        try:
            return fn(rng)
        finally:
            for m, original in zip(_DEAP_RANDOM_USERS, saved, strict=True):
                m.random = original  # type: ignore[attr-defined]


class Controller:
    """Steers the population of one run; all state is rebuilt from ``tell`` calls on resume."""

    def __init__(self, config: ControllerConfig, problem: str, slot_names: Sequence[str],
                 default_sources: dict[str, str], seed: int, operators: Mapping[str, int],
                 clusterer: Clusterer | None = None):
        """``operators``: the proposer's operators, each with the number of parents it takes;
        ``clusterer``: CIRE's clustering of the population (None: plain selection)."""
        config.validate()
        self.clusterer = clusterer
        self.clustering: Clustering | None = None
        self._converged: list[bool] = []
        self.config = config
        self.problem = problem
        self.slot_names = tuple(slot_names)
        self.seed = seed
        self.operators = dict(operators)
        self.generation = 0
        self.population: list[Member] = []
        self.offspring: list[Member] = []
        self.best_sources = dict(default_sources)
        self.best: Member | None = None
        self._best_history: list[float] = []
        self._slot_index = 0
        self._generations_on_slot = 0
        self._weights_single = type("QualityFitness", (base.Fitness,), {"weights": (1.0,)})
        weights = tuple(OBJECTIVE_WEIGHTS[o] for o in config.objectives)
        self._weights_multi = type("MultiFitness", (base.Fitness,), {"weights": weights})

    # --- state ------------------------------------------------------------------------
    @property
    def current_slots(self) -> tuple[str, ...]:
        """The slot(s) being evolved now."""
        if self.config.slot_schedule == "joint":
            return self.slot_names
        return (self.slot_names[self._slot_index % len(self.slot_names)],)

    @property
    def mode(self) -> Literal["exploit", "explore"]:
        """Explore when the best has not improved for ``stagnation_generations`` or, with
        clustering, when the population has converged into one cluster."""
        return "explore" if self.reason else "exploit"

    @property
    def reason(self) -> str:
        """Why the controller explores: "stagnation", "convergence", or "" (it exploits)."""
        k = self.config.stagnation_generations
        hist = self._best_history
        if len(hist) > k and hist[-1] <= hist[-1 - k]:
            return "stagnation"
        if self._converged and self._converged[-1]:
            return "convergence"
        return ""

    @property
    def _cluster_selection(self) -> bool:
        return self.clusterer is not None and self.clusterer.config.selection and self.clustering is not None

    def _rng(self, salt: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + self.generation) * 1_009 + salt)

    # --- ask / tell ---------------------------------------------------------------------
    def ask(self, n: int | None = None) -> list[ProposalRequest]:
        """Proposal requests for this generation's offspring."""
        n = self.config.offspring_per_generation if n is None else n
        rng = self._rng(0)
        mode = self.mode
        table = self.config.explore_operators if mode == "explore" else self.config.exploit_operators
        ops = [(op, w) for op, w in table.items() if op in self.operators and w > 0]
        if not ops:
            ops = [(op, 1.0) for op in sorted(self.operators)]
        viable = [m for m in self.population if m.fitness != float("-inf")]
        requests = []
        for i in range(n):
            op = rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
            arity = self.operators[op]
            if arity > len(viable):
                op, arity = ("init", 0) if "init" in self.operators else (op, len(viable))
            if self._cluster_selection:
                parents = self._cluster_parents(viable, arity, mode, salt=i + 1)
            else:
                parents = self.select_parents(viable, arity, salt=i + 1)
            group, references = self._group(viable, parents, mode, salt=i + 1)
            requests.append(ProposalRequest(
                problem=self.problem, slots=self.current_slots, operator=op, parents=tuple(parents),
                base_sources=dict(self.best_sources), seed=rng.randrange(2**31),
                generation=self.generation, mode=mode, group=tuple(group),
                references=tuple(references), reason=self.reason))
        return requests

    def _label(self, member: Member) -> int | None:
        return self.clustering.labels.get(member.candidate.id) if self.clustering else None

    def _cluster_parents(self, viable: Sequence[Member], k: int, mode: str, salt: int) -> list[Member]:
        """Exploit: a tournament over everyone, the mate from the same cluster. Explore: the first
        parent from a cluster drawn uniformly (small niches get their turn), the mate from another."""
        if k == 0 or not viable:
            return []
        labels = sorted({lab for m in viable if (lab := self._label(m)) is not None})
        rng = self._rng(2000 + salt)
        if mode == "explore" and len(labels) > 1:
            home = rng.choice(labels)
            first = self.select_parents([m for m in viable if self._label(m) == home], 1, salt)[0]
        else:
            first = self.select_parents(viable, 1, salt)[0]
        parents = [first]
        for j in range(1, k):
            same = [m for m in viable if m is not first and self._label(m) == self._label(first)]
            other = [m for m in viable if self._label(m) != self._label(first)]
            pool = (other or same) if mode == "explore" else (same or other)
            parents += self.select_parents(pool or list(viable), 1, salt * 31 + j)
        return parents

    def _group(self, viable: Sequence[Member], parents: Sequence[Member], mode: str,
               salt: int) -> tuple[list[Member], list[Member]]:
        """The request's CIRE group and distant references (none without clustering)."""
        if self.clustering is None or not viable:
            return [], []
        rng = self._rng(3000 + salt)
        if mode == "explore":
            group = heterogeneous_group(self.clustering, viable, rng, 4)
        else:
            home = self._label(parents[0]) if parents else None
            group = homogeneous_group(self.clustering, viable, rng, 4, home)
        chosen = {m.candidate.id for m in (*parents, *group)}
        far = [m for m in viable if m.candidate.id not in chosen and
               all(self._label(m) != self._label(p) for p in parents)]
        far = far or [m for m in viable[len(viable) // 2:] if m.candidate.id not in chosen]
        return group, sorted(rng.sample(far, min(2, len(far))), key=lambda m: -m.fitness)

    def select_parents(self, pool: Sequence[Member], k: int, salt: int = 0) -> list[Member]:
        """``k`` distinct-if-possible parents by tournament or roulette selection (DEAP tools)."""
        if k == 0 or not pool:
            return []
        wrapped = [_Wrapped(m, self._weights_single, ("quality",)) for m in pool]
        seed = self._rng(1000 + salt).randrange(2**31)
        if self.config.selection == "roulette":
            floor = min(w.fitness.values[0] for w in wrapped)
            shift = -floor + 1e-9 if floor <= 0 else 0.0
            for w in wrapped:
                w.fitness.values = (w.fitness.values[0] + shift,)
            chosen = seeded(seed, lambda _: tools.selRoulette(wrapped, k))
        else:
            size = min(self.config.tournament_size, len(wrapped))
            chosen = seeded(seed, lambda _: tools.selTournament(wrapped, k, size))
        return [c.member for c in chosen]

    def tell(self, member: Member) -> None:
        """Record an evaluated offspring (or an initial member)."""
        self.offspring.append(member)
        if member.fitness != float("-inf") and (self.best is None or member.fitness > self.best.fitness):
            self.best = member
            self.best_sources = {**self.best_sources, **member.candidate.sources}

    def end_generation(self) -> None:
        """Survival of the fittest (mu + lambda, or NSGA-II), then advance the slot schedule."""
        pool = self.population + self.offspring
        self.offspring = []
        mu = self.config.population_size
        if self.config.survival == "nsga2" and len(pool) > mu:
            wrapped = [_Wrapped(m, self._weights_multi, self.config.objectives) for m in pool]
            chosen = seeded(self._rng(7).randrange(2**31), lambda _: tools.selNSGA2(wrapped, mu))
            survivors = [w.member for w in chosen]
        else:
            wrapped = [_Wrapped(m, self._weights_single, ("quality",)) for m in pool]
            survivors = [w.member for w in tools.selBest(wrapped, min(mu, len(wrapped)))]
        if self.clusterer is not None and pool:
            pool = sorted(pool, key=lambda m: (-m.fitness, m.candidate.id))
            self.clustering = self.clusterer(pool, self.generation)
            if self.clusterer.config.niching:
                survivors = self._niche(pool, mu)
            share = self.clusterer.config.convergence_share
            kept = [m.candidate.id for m in survivors]
            labels = [self.clustering.labels[c] for c in kept]
            top = max(labels.count(lab) for lab in set(labels)) / len(labels) if labels else 0.0
            self._converged.append(bool(share) and len(labels) >= 3 and top >= share)
            self.clusterer.record(self.clustering, kept)
        # Keep a stable order (by fitness, then id) so a resumed run rebuilds the same state.
        self.population = sorted(survivors, key=lambda m: (-m.fitness, m.candidate.id))
        self._best_history.append(self.best.fitness if self.best else float("-inf"))
        self.generation += 1
        self._generations_on_slot += 1
        if self.config.slot_schedule == "greedy" and self._generations_on_slot >= self.config.generations_per_slot:
            self._slot_index += 1
            self._generations_on_slot = 0
            # The next slot starts from a population of the best so far (greedy propagation).
            self.population = [m for m in self.population if m is self.best] or self.population[:1]

    def _niche(self, pool: Sequence[Member], mu: int) -> list[Member]:
        """Niching survival: the best viable member of each cluster (up to half the places,
        fittest clusters first), then the fittest of the rest."""
        assert self.clustering is not None
        reps = [m for m in best_per_cluster(self.clustering, pool) if m.fitness != float("-inf")]
        keep = reps[: max(1, (mu + 1) // 2)]
        ids = {m.candidate.id for m in keep}
        rest = [m for m in pool if m.candidate.id not in ids]  # pool is sorted by fitness
        return keep + rest[: mu - len(keep)]
