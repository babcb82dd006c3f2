"""Portfolios: one heuristics set per instance family, chosen by the instance's family at solve time.

A run's guard picks one set for the whole suite. When a mixed suite's families want different
heuristics, :func:`choose_per_family` picks, for every family of the validation split, the
validated candidate that beats the default *on that family* by the run's paired test (Bonferroni
over the candidates and families tried), or the default. ``heurevo export RUN --portfolio DIR``
writes the choice as ``DIR/portfolio.toml`` plus one heuristics file per evolved member, and
``heurevo solve INSTANCE --heuristics DIR/portfolio.toml`` solves each instance with its
family's member (static checks and sandbox as for any heuristics file).

The file format (paths relative to the TOML file; ``"default"`` means the solver's defaults)::

    [portfolio]
    problem = "pbo"
    fallback = "default"          # families the portfolio does not name

    [portfolio.families]
    knapsack = "knapsack.py"
    setcover = "default"
"""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from heurevo.engine.evaluate import instance_family, pair_scores
from heurevo.errors import ConfigError
from heurevo.populations.records import EvaluationResult
from heurevo.populations.store import Store
from heurevo.stats import PairedTest, paired_on_keys

#: The member name that means "the solver's own default slots".
DEFAULT = "default"


@dataclass(frozen=True)
class Portfolio:
    """Family → heuristics file (None: the defaults), and the member for unnamed families."""

    problem: str
    families: dict[str, Path | None]
    fallback: Path | None = None

    def member(self, instance: str | Path) -> tuple[str, Path | None]:
        """The instance's family and the heuristics file that solves it (None: the defaults)."""
        family = instance_family(Path(instance).name)
        return family, self.families.get(family, self.fallback)


def load_portfolio(path: Path) -> Portfolio:
    """Read a portfolio file; every error names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the portfolio: {exc.strerror}", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    table = data.get("portfolio")
    if not isinstance(table, dict):
        raise ConfigError("no [portfolio] table (see `heurevo export --portfolio`)", path=path)
    families = table.get("families", {})
    if not isinstance(families, dict) or not all(isinstance(v, str) for v in families.values()):
        raise ConfigError(f"must map family names to file names or \"{DEFAULT}\"",
                          key="portfolio.families", path=path)

    def member(key: str, value: object) -> Path | None:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"must be a file name or \"{DEFAULT}\"", key=key, path=path)
        if value == DEFAULT:
            return None
        file = (path.parent / value).resolve()
        if not file.is_file():
            raise ConfigError(f"{value!r}: no such file {file}", key=key, path=path)
        return file

    return Portfolio(problem=str(table.get("problem", "")),
                     families={f: member(f"portfolio.families.{f}", v) for f, v in families.items()},
                     fallback=member("portfolio.fallback", table.get("fallback", DEFAULT)))


@dataclass(frozen=True)
class FamilyChoice:
    """The member chosen for one family and why."""

    family: str
    candidate: str  # a candidate id, or the default's id
    evolved: bool
    pairs: int
    mean_difference: float  # mean paired score difference from the default on this family
    p_value: float | None


def choose_per_family(store: Store) -> tuple[list[FamilyChoice], float]:
    """Per family, the validated candidate that beats the default there significantly (the run's
    test, Bonferroni over candidates x families), else the default; and the threshold used.

    Raises :class:`ConfigError` when the run has not validated (nothing to choose from)."""
    events = store.events("validated")
    if not events:
        raise ConfigError("the run has no validation yet: a portfolio is chosen from the "
                          "validated candidates (let the run finish, or resume it)")
    info = events[-1].data
    default_id, method, alpha = str(info["default"]), str(info.get("method", "wilcoxon")), float(info["alpha"])
    validated: dict[str, EvaluationResult] = {
        r.candidate_id: r for key, r in store.evaluations()
        if key.split("/")[1:2] == ["validation"] and r.ok}
    if default_id not in validated:
        raise ConfigError("the run's default has no validation result to compare with")
    base = _by_family(pair_scores(validated.pop(default_id).instances))
    per_candidate = {cid: _by_family(pair_scores(r.instances)) for cid, r in sorted(validated.items())}
    threshold = alpha / max(1, len(validated) * len(base))
    choices = []
    for family, default_scores in sorted(base.items()):
        best: tuple[float, str, PairedTest] | None = None
        smallest = None
        for cid, families in per_candidate.items():
            test = paired_on_keys(families.get(family, {}), default_scores, method=method,  # type: ignore[arg-type]
                                  alternative="greater")
            if test is None:
                continue
            smallest = test.p_value if smallest is None else min(smallest, test.p_value)
            if test.p_value < threshold and test.difference.mean > 0 and \
                    (best is None or test.difference.mean > best[0]):
                best = (test.difference.mean, cid, test)
        if best is None:
            choices.append(FamilyChoice(family, default_id, False, len(default_scores), 0.0, smallest))
        else:
            mean, cid, test = best
            choices.append(FamilyChoice(family, cid, True, test.n, mean, test.p_value))
    return choices, threshold


def _by_family(scores: dict[tuple[str, int], float]) -> dict[str, dict[tuple[str, int], float]]:
    out: dict[str, dict[tuple[str, int], float]] = defaultdict(dict)
    for key, score in scores.items():
        out[instance_family(key[0])][key] = score
    return dict(out)


def portfolio_toml(problem: str, members: dict[str, str]) -> str:
    """The text of a portfolio file: family → member file name (or ``"default"``)."""
    lines = ["# heurevo portfolio: one heuristics set per instance family", "[portfolio]",
             f"problem = {json.dumps(problem)}", f"fallback = {json.dumps(DEFAULT)}", "",
             "[portfolio.families]"]
    lines += [f"{json.dumps(f)} = {json.dumps(m)}" for f, m in sorted(members.items())]
    return "\n".join(lines) + "\n"
