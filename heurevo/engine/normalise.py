"""Code as CIRE compares it: normalised (comments, docstrings, annotations and local names gone)
and reduced to what a candidate adds to its slot's boilerplate (default and GP template)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

_TOKEN_RE = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|==|!=|<=|>=|\*\*|//|\S")


class _Renamer(ast.NodeTransformer):
    """Renames arguments and locals of each function to v0, v1, ... (globals and calls kept)."""

    def __init__(self, keep: set[str], keep_args_of: str | None) -> None:
        self.names: dict[str, str] = {}
        self.keep = keep
        self.keep_args_of = keep_args_of

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        outer, self.names = self.names, {}
        assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        args = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        fixed = set(args) if node.name == self.keep_args_of else set()
        for name in [*args, *sorted(assigned - set(args), key=_first_use(node))]:
            if name not in self.keep and name not in fixed:
                self.names.setdefault(name, f"v{len(self.names)}")
        for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
            a.arg = self.names.get(a.arg, a.arg)
            a.annotation = None
        node.returns = None
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:] or [ast.Pass()]
        node.body = [self.visit(s) for s in body]
        self.names = outer
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.names.get(node.id, node.id)
        return node


def _first_use(fn: ast.FunctionDef) -> Callable[[str], tuple[int, str]]:
    order: dict[str, int] = {}
    for i, n in enumerate(ast.walk(fn)):
        if isinstance(n, ast.Name):
            order.setdefault(n.id, i)
    return lambda name: (order.get(name, 1 << 30), name)


def normalise_code(source: str, slot: str | None = None, vocabulary: frozenset[str] = frozenset()) -> str:
    """Source with comments, docstrings and annotations dropped and local names renamed.

    Function names, globals, attributes and called names are kept: they carry meaning, and so do
    the arguments of the slot function ``slot`` (the slot's signature fixes them) and the names
    in ``vocabulary`` (those of the slot's default and template). Code that does not parse is
    returned with comments and blank lines stripped.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        lines = [ln.split("#", 1)[0].rstrip() for ln in source.splitlines()]
        return "\n".join(ln for ln in lines if ln.strip())
    renamer = _Renamer({n.name for n in tree.body if isinstance(n, ast.FunctionDef)} | vocabulary, slot)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        tree.body = tree.body[1:]
    return ast.unparse(renamer.visit(tree))


def code_tokens(text: str) -> list[str]:
    """Identifiers, numbers and operators of code, in order."""
    return _TOKEN_RE.findall(text)


def _names(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def normalised_sources(sources: dict[str, str], defaults: dict[str, str]) -> str:
    """The normalised code of the slots that differ from the default ("default" when none do)."""
    changed = [normalise_code(src, name) for name, src in sorted(sources.items())
               if src != defaults.get(name)]
    return "\n\n".join(changed) or "default"


def code_text(sources: dict[str, str], defaults: dict[str, str],
              boilerplate: dict[str, str] | None = None) -> str:
    """What is embedded of a candidate's code: per changed slot, its normalised lines that the
    slot's boilerplate (its default and, say, the GP template, each normalised) does not have;
    the whole normalised slot if none are new.

    A template shared by every candidate (GP fills one expression into one) would otherwise
    dominate the embedding, and MiniLM would see all of them as the same text.
    """
    parts = []
    for name, src in sorted(sources.items()):
        if src == defaults.get(name):
            continue
        refs = (defaults.get(name, ""), (boilerplate or {}).get(name, ""))
        vocab = frozenset(n for ref in refs for n in _names(ref))
        norm = normalise_code(src, name, vocab)
        base = {ln.strip() for ref in refs for ln in normalise_code(ref, name, vocab).splitlines()}
        new = [ln for ln in norm.splitlines() if ln.strip() and ln.strip() not in base]
        parts.append("\n".join(new) if new else norm)
    return "\n\n".join(parts) or "default"
