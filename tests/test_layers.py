"""The packages form layers that import one way: nothing imports a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

import heurevo

ROOT = Path(heurevo.__file__).parent

#: Bottom to top. A unit (a package, or a top-level module) may import only units of lower layers.
LAYERS: list[set[str]] = [
    {"errors", "text", "stats", "console", "stop_signals", "_numba_cache"},
    {"registry", "config", "limits"},
    {"instances"},
    {"solvers"},
    {"suites", "populations"},
    {"engine"},
    {"testing", "benchmarks", "doctor"},
    {"bench", "api"},
    {"cli_engine", "cli_reports"},
    {"cli_compare"},
    {"cli"},
    {"__main__", "__init__"},
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str:
    """``heurevo.engine.llm.client`` -> ``engine``; ``heurevo`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(name: str) -> bool:
    return (ROOT / f"{name}.py").exists() or (ROOT / name / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every ``heurevo...`` module a file imports, at top level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "heurevo":
            # ``from heurevo import limits`` imports a module; ``__version__`` is the root's own
            names = [f"heurevo.{a.name}" for a in node.names if _is_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n == "heurevo" or n.startswith("heurevo."))
    return found


def source_files() -> list[tuple[str, Path]]:
    """(unit, file) for every Python file of the package."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        unit = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name != "__init__.py" else "__init__"
        out.append((unit, path))
    return out


def test_every_unit_has_a_layer():
    units = {unit for unit, _ in source_files()}
    assert units - RANK.keys() == set(), "give each new package or top-level module a layer"


def test_no_import_goes_up_or_sideways():
    bad = []
    for unit, path in source_files():
        for module in imports_of(path):
            target = unit_of(module)
            if target != unit and RANK[target] >= RANK[unit]:
                bad.append(f"{path.relative_to(ROOT)} ({unit}) imports {module} ({target})")
    assert bad == []


def test_the_checker_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from heurevo.engine.run import RunLoop\n")
    assert {unit_of(m) for m in imports_of(bad)} == {"engine"}
    assert RANK["engine"] > RANK["solvers"]
