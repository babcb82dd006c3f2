"""An optional LLM judge: ASI-ARCH's composite fitness (off by default, ``[cire.judge]``).

After a candidate is evaluated, the run's LLM (``[llm]``, the OpenAI-protocol client) reads its
changed code, its idea and its measured effect and rates it from 0 to 10 for soundness and
promise. The controller then sees a composite fitness, the measured fitness plus
``weight * (rating - 5) / 5`` (so a rating of 5 changes nothing and ``weight`` bounds the
change); the stored evaluation and the validation guard keep the measured fitness, so the
judge can steer selection and survival but never what the run reports as proven. Every verdict
(rating, reason, measured and composite fitness) is a ``judge`` event in the store; a failed
call or an unreadable answer leaves the fitness as measured and is recorded too. The client
answers a resumed run's repeated request from its store, so resume asks nothing twice.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from heurevo.engine.llm.base import ChatClient
from heurevo.engine.llm.errors import LLMError
from heurevo.errors import ConfigError
from heurevo.populations.records import Member
from heurevo.populations.store import Store

_RATING = re.compile(r"rating\s*[:=]\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class JudgeConfig:
    """The judge (``[cire.judge]`` in a run config; it uses the run's ``[llm]`` endpoint)."""

    enabled: bool = False
    weight: float = 0.01  # the most the composite moves the fitness (at rating 0 or 10)
    max_tokens: int = 300

    def validate(self) -> None:
        """Reject settings that cannot work."""
        if self.weight < 0:
            raise ConfigError(f"must be >= 0, got {self.weight}", key="weight")
        if self.max_tokens < 16:
            raise ConfigError(f"must be >= 16, got {self.max_tokens}", key="max_tokens")


def judge_prompt(member: Member, defaults: dict[str, str]) -> str:
    """What the judge reads: the changed code, the idea and the measured effect."""
    cand, result = member.candidate, member.result
    code = "\n\n".join(f"# slot {name}\n{src}" for name, src in sorted(cand.sources.items())
                       if src != defaults.get(name))
    scores = ", ".join(f"{r.instance}: {r.score:.4f}" for r in result.instances[:12])
    return ("You judge heuristics for a combinatorial local-search solver. A score of 1.0 is the "
            "default heuristic's result on the same instance and seed; higher is better.\n\n"
            f"## Idea\n{cand.idea or '(none given)'}\n\n## Code (slots that differ from the "
            f"default)\n{code or '(the default)'}\n\n## Measured\nfitness {result.fitness:.4f}; "
            f"per instance: {scores or '(none)'}\n\nRate how sound and promising this heuristic "
            "is as a direction to develop further (0 = broken or a dead end, 5 = unremarkable, "
            "10 = clearly worth building on). Give one sentence of reasons, then a last line "
            "'RATING: N'.")


def parse_rating(text: str) -> float | None:
    """The last ``RATING: N`` in ``text`` (0 to 10), or None."""
    found = _RATING.findall(text or "")
    if not found:
        return None
    value = float(found[-1])
    return value if 0 <= value <= 10 else None


class Judge:
    """Rates evaluated candidates and returns them with the composite fitness."""

    def __init__(self, config: JudgeConfig, client: ChatClient, defaults: dict[str, str],
                 store: Store | None = None):
        config.validate()
        self.config = config
        self.client = client
        self.defaults = dict(defaults)
        self.store = store
        self.calls = 0

    def rescore(self, member: Member) -> Member:
        """``member`` with its fitness made composite (unchanged when it failed or the judge did)."""
        result = member.result
        if not result.ok or result.fitness is None or self.config.weight == 0:
            return member
        rating, reason, error = None, "", ""
        try:
            self.calls += 1
            answer = self.client.chat(judge_prompt(member, self.defaults), temperature=0.0,
                                      max_tokens=self.config.max_tokens, seed=0)
            text = answer.text
            rating = parse_rating(text)
            reason = text.strip()[:300]
            error = "" if rating is not None else "no 'RATING: N' (0-10) in the answer"
        except LLMError as exc:
            error = str(exc)[:300]
        composite = result.fitness if rating is None else \
            result.fitness + self.config.weight * (rating - 5.0) / 5.0
        if self.store is not None:
            self.store.add_event("judge", {"candidate": member.candidate.id, "rating": rating,
                                           "reason": reason, "error": error,
                                           "fitness": result.fitness, "composite": composite})
        if rating is None:
            return member
        return Member(member.candidate, dataclasses.replace(result, fitness=composite))
