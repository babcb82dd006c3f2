"""Frozen configuration dataclasses, loaded from TOML with every key and value checked.

Each component owns one frozen dataclass. :func:`from_mapping` builds one from a plain mapping
(nested dataclasses become TOML tables), rejecting unknown keys by name and wrong types by key;
:func:`load_toml` does the same from a file and names the file in every error. A dataclass may
define ``validate(self) -> None`` that raises :class:`~heurevo.errors.ConfigError` with the
field's name as ``key``; the error is reported against the file and the field's full key.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import tomli_w

from heurevo.errors import ConfigError

C = TypeVar("C")

#: Integers must fit in int64 (they reach NumPy and SQLite); floats must be finite.
INT_LIMIT = 2**63
FLOAT_LIMIT = 1e300


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str, path: str | None) -> Any:
    """Check ``value`` against the annotation ``tp``; return it converted where that is lossless."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise ConfigError(f"{value!r} is not one of {choices}", key=key, path=path)
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, path)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0] if len(errors) == 1 else ConfigError(
            f"{value!r} does not match {_type_name(tp)}", key=key, path=path
        )
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"expected a list, got {value!r}", key=key, path=path)
        args = get_args(tp)
        item_tp = args[0] if args else Any
        items = [_coerce(v, item_tp, f"{key}[{i}]", path) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"expected a table, got {value!r}", key=key, path=path)
        k_tp, v_tp = get_args(tp) or (Any, Any)
        return {
            _coerce(k, k_tp, key, path): _coerce(v, v_tp, f"{key}.{k}", path)
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"expected a table, got {value!r}", key=key, path=path)
        return from_mapping(tp, value, path=path, prefix=key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {value!r}", key=key, path=path)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected an integer, got {value!r}", key=key, path=path)
        if not -INT_LIMIT <= value < INT_LIMIT:
            raise ConfigError(f"{value} does not fit in a 64-bit integer", key=key, path=path)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"expected a number, got {value!r}", key=key, path=path)
        if not math.isfinite(value) or abs(value) >= FLOAT_LIMIT:
            raise ConfigError(f"expected a finite number, got {value!r}", key=key, path=path)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {value!r}", key=key, path=path)
        return value
    if tp is Path:
        if not isinstance(value, str | Path):
            raise ConfigError(f"expected a path string, got {value!r}", key=key, path=path)
        return Path(value)
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(f"expected {_type_name(tp)}, got {value!r}", key=key, path=path)


def from_mapping(cls: type[C], data: Mapping[str, Any], *, path: str | Path | None = None,
                 prefix: str = "") -> C:
    """Build the frozen dataclass ``cls`` from ``data``; unknown keys and bad values raise."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    spath = str(path) if path is not None else None
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for name in data:
        if name not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"unknown key (known keys here: {known})",
                              key=f"{prefix}.{name}" if prefix else str(name), path=spath)
    kwargs = {}
    for name, value in data.items():
        full = f"{prefix}.{name}" if prefix else name
        kwargs[name] = _coerce(value, hints[name], full, spath)
    try:
        obj = cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ConfigError(str(exc), key=prefix or None, path=spath) from None
    validate = getattr(obj, "validate", None)
    if callable(validate):
        try:
            validate()
        except ConfigError as exc:  # names the field: place it in this table and file
            raise exc.within(prefix, spath) from None
        except ValueError as exc:
            raise ConfigError(str(exc), key=prefix or None, path=spath) from None
    return obj


def load_toml(cls: type[C], path: str | Path) -> C:
    """Load ``cls`` from the TOML file at ``path``; errors name the file and the key."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not a text file: byte {exc.start} is not UTF-8", path=p) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", path=p) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=p) from None
    except RecursionError:
        raise ConfigError("not valid TOML: nested too deeply", path=p) from None
    return from_mapping(cls, data, path=p)


def to_mapping(obj: Any) -> dict[str, Any]:
    """The TOML-ready mapping of a config dataclass (None values are left out, paths become strings)."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)
                    if getattr(v, f.name) is not None}
        if isinstance(v, tuple | list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items() if x is not None}
        if isinstance(v, Path):
            return str(v)
        return v

    return conv(obj)


def dump_toml(obj: Any, path: str | Path) -> None:
    """Write a config dataclass to ``path`` as TOML (the resolved config of a run, say)."""
    Path(path).write_text(tomli_w.dumps(to_mapping(obj)), encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class EndpointConfig:
    """Where an OpenAI-compatible chat endpoint is; the key is read from an environment variable."""

    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "HEUREVO_LLM_API_KEY"
    timeout_s: float = 60.0

    def validate(self) -> None:
        """Reject values that cannot work."""
        if self.timeout_s <= 0:
            raise ConfigError(f"must be positive, got {self.timeout_s}", key="timeout_s")
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"must start with http:// or https://, got {self.base_url!r}",
                              key="base_url")

    def api_key(self) -> str | None:
        """The key from the environment (never stored in a config or a log)."""
        return os.environ.get(self.api_key_env) or None


@dataclasses.dataclass(frozen=True)
class Settings:
    """Machine-wide settings: where runs go and which LLM endpoint to use."""

    runs_dir: Path = Path("runs")
    llm: EndpointConfig = dataclasses.field(default_factory=EndpointConfig)


SETTINGS_FILE_ENV = "HEUREVO_SETTINGS"


def load_settings(path: str | Path | None = None) -> Settings:
    """Settings from ``path``, ``$HEUREVO_SETTINGS`` or ``./heurevo.toml``, then env overrides.

    Environment overrides: ``HEUREVO_RUNS_DIR``, ``HEUREVO_LLM_BASE_URL``, ``HEUREVO_LLM_MODEL``.
    """
    candidate = path or os.environ.get(SETTINGS_FILE_ENV)
    if candidate is None and Path("heurevo.toml").is_file():
        candidate = "heurevo.toml"
    settings = load_toml(Settings, candidate) if candidate else Settings()
    llm = settings.llm
    overrides = {
        "base_url": os.environ.get("HEUREVO_LLM_BASE_URL"),
        "model": os.environ.get("HEUREVO_LLM_MODEL"),
    }
    llm = dataclasses.replace(llm, **{k: v for k, v in overrides.items() if v})
    runs_dir = Path(os.environ.get("HEUREVO_RUNS_DIR") or settings.runs_dir)
    return dataclasses.replace(settings, llm=llm, runs_dir=runs_dir)
