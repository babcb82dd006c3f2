"""The frozen configuration of the LLM client: endpoint, retries, concurrency, prices, budgets."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from heurevo.config import EndpointConfig
from heurevo.errors import ConfigError


@dataclass(frozen=True)
class LLMConfig:
    """How to reach an OpenAI-compatible chat endpoint and how much it may cost.

    ``prices`` maps a model name to (prompt, completion) USD per one million tokens; a model
    missing from it costs nothing (a local server). ``max_tokens_total`` and ``max_cost_usd`` are
    hard caps over the client's lifetime (None: no cap). The API key is read from the environment
    variable named by ``api_key_env`` when the client starts and is never stored.
    """

    model: str = ""
    base_url: str = ""
    api_key_env: str = "HEUREVO_LLM_API_KEY"
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    max_retry_after_s: float = 300.0
    max_concurrency: int = 4
    temperature: float = 0.8
    max_tokens: int = 2048
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_tokens_total: int | None = None
    max_cost_usd: float | None = None

    def validate(self) -> None:
        """Reject values that cannot work (a :class:`ConfigError` naming the field)."""
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"must start with http:// or https://, got {self.base_url!r}", key="base_url")
        if not self.api_key_env:
            raise ConfigError("must name an environment variable", key="api_key_env")
        positive = {"timeout_s": self.timeout_s, "backoff_cap_s": self.backoff_cap_s,
                    "max_concurrency": self.max_concurrency, "max_tokens": self.max_tokens}
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"must be positive, got {value}", key=name)
        for name, value in {"max_retries": self.max_retries, "backoff_base_s": self.backoff_base_s,
                            "max_retry_after_s": self.max_retry_after_s,
                            "temperature": self.temperature}.items():
            if value < 0:
                raise ConfigError(f"must not be negative, got {value}", key=name)
        for model, pair in self.prices.items():
            if len(pair) != 2 or any(p < 0 for p in pair):
                raise ConfigError(f"{model!r} needs two non-negative numbers "
                                  f"(USD per 1M prompt tokens, per 1M completion tokens), got {pair}", key="prices")
        if self.max_tokens_total is not None and self.max_tokens_total <= 0:
            raise ConfigError(f"must be positive, got {self.max_tokens_total}", key="max_tokens_total")
        if self.max_cost_usd is not None:
            if self.max_cost_usd <= 0:
                raise ConfigError(f"must be positive, got {self.max_cost_usd}", key="max_cost_usd")
            if self.model and self.model not in self.prices:
                raise ConfigError(f"a money cap needs a price for model "
                                  f"{self.model!r} in prices", key="max_cost_usd")

    def price(self) -> tuple[float, float]:
        """(prompt, completion) USD per 1M tokens of ``model``; (0, 0) when not listed."""
        return self.prices.get(self.model, (0.0, 0.0))

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Money for one call of ``model`` with these token counts."""
        p, c = self.price()
        return (prompt_tokens * p + completion_tokens * c) / 1_000_000

    def api_key(self) -> str | None:
        """The key from the environment, or None when the variable is unset or empty."""
        return os.environ.get(self.api_key_env) or None

    @classmethod
    def from_endpoint(cls, endpoint: EndpointConfig, **overrides: object) -> LLMConfig:
        """An LLMConfig taking base_url, model, api_key_env and timeout_s from ``endpoint``."""
        base = {"base_url": endpoint.base_url or "", "model": endpoint.model or "",
                "api_key_env": endpoint.api_key_env, "timeout_s": endpoint.timeout_s}
        cfg = dataclasses.replace(cls(), **{**base, **overrides})
        cfg.validate()
        return cfg
