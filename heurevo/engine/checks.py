"""Static checks on untrusted slot source, run before anything executes it.

Order: size → ``compile()`` (syntax, duplicate argument names…) → the policy walk (imports,
names, attributes, statement kinds, nesting depth; the allow-lists are in
:mod:`heurevo.engine.check_policy`) → exact slot signature → undefined names. Every failure
carries a line number and a message written for whoever must repair the code (a person or an
LLM). The walk is iterative and the whole check is guarded, so hostile source (a 2000-deep
expression, a huge literal) is rejected with a reason and never raises. The slot's own
behavioural quick checks run later, inside a sandboxed worker
(:mod:`heurevo.engine.quick_checks`).
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from dataclasses import dataclass

from heurevo.engine.check_policy import (
    ALLOWED_BUILTINS,
    MODULE_MEMBERS,
    REFUSED_NAMES,
    RNG_HINT,
    SUBMODULES,
    VALUE_ATTRIBUTES,
)
from heurevo.solvers.slots import Slot

MAX_SOURCE_CHARS = 50_000
#: Deepest AST nesting accepted (Numba's compiler and Python's recurse over the tree too).
MAX_DEPTH = 100

_DUNDER_TEXT = re.compile(r"__\w+__")

_STATEMENTS_REFUSED = {
    ast.Global: "`global` statements are not allowed; pass state through the slot's arguments",
    ast.Nonlocal: "`nonlocal` statements are not allowed",
    ast.ClassDef: "class definitions are not allowed in slot code",
    ast.AsyncFunctionDef: "async functions are not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "generators (`yield`) are not allowed; return a value",
    ast.YieldFrom: "generators (`yield from`) are not allowed; return a value",
    ast.With: "`with` statements are not allowed",
    ast.AsyncWith: "`async with` is not allowed",
}


@dataclass(frozen=True)
class CheckFailure:
    """One problem found in the source."""

    kind: str  # size | syntax | safety | signature | names | quick
    message: str
    line: int | None = None

    def render(self) -> str:
        """``line N: message`` (or just the message)."""
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class CheckReport:
    """The verdict of the static checks on one slot source."""

    slot_key: str
    failures: tuple[CheckFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.failures

    def feedback(self) -> str:
        """Repair instructions: every failure, one per line, with the slot it concerns."""
        if self.ok:
            return ""
        head = f"The code for slot {self.slot_key} was rejected before running:"
        return "\n".join([head, *(f"- {f.render()}" for f in self.failures)])


_CONSTANT_NODES = (ast.Constant, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.unaryop, ast.operator,
                   ast.expr_context)
_ANNOTATION_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.BinOp,
                     ast.BitOr, ast.expr_context)


def _is_constant_expr(node: ast.AST) -> bool:
    """Literal numbers/strings/tuples and arithmetic on them (safe at definition time)."""
    return all(isinstance(n, _CONSTANT_NODES) for n in ast.walk(node))


def _is_plain_annotation(node: ast.AST) -> bool:
    """A type written with names, subscripts and ``|`` only (no calls run at definition time)."""
    return all(isinstance(n, _ANNOTATION_NODES) for n in ast.walk(node))


def _close(name: str, options: frozenset[str]) -> str:
    match = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.75)
    return f"; did you mean '{match[0]}'?" if match else ""


class _PolicyWalk:
    """One iterative pass over the tree that records every policy violation."""

    def __init__(self, slot: Slot):
        self.slot = slot
        self.failures: list[CheckFailure] = []
        self.modules: dict[str, str] = {"np": "numpy", "numpy": "numpy", "math": "math"}
        self.defined: set[str] = set()
        self.loaded: list[ast.Name] = []
        self._module_bases: set[int] = set()  # ids of module nodes used as `module.<member>`
        self._top_imports: set[int] = set()
        self._chain_links: set[int] = set()

    def fail(self, node: ast.AST, kind: str, message: str) -> None:
        self.failures.append(CheckFailure(kind, message, getattr(node, "lineno", None)))

    # --- module level -------------------------------------------------------------------
    def check_module(self, tree: ast.Module) -> None:
        """Top-level statement kinds, then the walk over every node."""
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._top_imports.add(id(node))
                continue
            if isinstance(node, ast.FunctionDef):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # docstring or bare constant
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            if targets and all(isinstance(t, ast.Name) for t in targets) \
                    and node.value is not None and _is_constant_expr(node.value):
                continue
            self.fail(node, "safety",
                      f"top-level `{type(node).__name__}` statement is not allowed; at module level "
                      "use only imports, function definitions and constant assignments")
        self._walk(tree)

    def _on_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        if id(node) not in self._top_imports:
            self.fail(node, "safety", "imports must be at the top of the module, not inside a function")
            return
        for alias in node.names:
            if alias.asname:
                self._check_name(node, alias.asname)
        allowed = self.slot.allowed_imports
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for module in modules:
            if module not in allowed or (isinstance(node, ast.ImportFrom) and node.level):
                self.fail(node, "safety", f"import of '{module or '.'}' is not allowed; this slot may "
                                          f"import only {', '.join(allowed)}")
                return
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.modules[alias.asname or alias.name] = alias.name
            return
        members = MODULE_MEMBERS.get(node.module or "", frozenset())
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "safety", f"`from {node.module} import *` is not allowed; import names explicitly")
            elif (node.module or "", alias.name) in SUBMODULES:
                self.fail(node, "safety", f"importing the module {node.module}.{alias.name} is not "
                                          f"allowed; use np.{alias.name}.<function>")
            elif alias.name not in members:
                self.fail(node, "safety", self._member_message(node.module or "", alias.name))
            else:
                self.defined.add(alias.asname or alias.name)

    _on_ImportFrom = _on_Import

    # --- the walk -----------------------------------------------------------------------
    def _walk(self, tree: ast.Module) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        too_deep = False
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                if not too_deep:
                    self.fail(node, "safety", f"the code is nested more than {MAX_DEPTH} levels deep; "
                                              "split long expressions into several statements")
                too_deep = True
                continue
            handler = getattr(self, f"_on_{type(node).__name__}", None)
            if handler is not None:
                handler(node)
            message = _STATEMENTS_REFUSED.get(type(node))
            if message:
                self.fail(node, "safety", message)
            children = list(ast.iter_child_nodes(node))
            stack.extend((c, depth + 1) for c in reversed(children))

    def _on_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._bind(node, node.name)
        if node.decorator_list:
            self.fail(node, "safety", f"decorators are not allowed (on '{node.name}'); "
                                      "heurevo compiles the function itself")
        self._arguments(node, node.args, f"'{node.name}'")
        if node.returns is not None and not _is_plain_annotation(node.returns):
            self.fail(node.returns, "safety", f"the return annotation of '{node.name}' must be a "
                                              "plain type name (nothing that runs code)")

    def _on_Lambda(self, node: ast.Lambda) -> None:
        self._arguments(node, node.args, "a lambda")

    def _arguments(self, node: ast.AST, args: ast.arguments, owner: str) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None and not _is_constant_expr(default):
                self.fail(default, "safety", f"default values of {owner} must be constants")
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None and not _is_plain_annotation(arg.annotation):
                self.fail(arg.annotation, "safety", f"the annotation of '{arg.arg}' in {owner} must "
                                                    "be a plain type name (nothing that runs code)")

    def _on_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not _is_plain_annotation(node.annotation):
            self.fail(node, "safety", "annotations must be plain type names (nothing that runs code)")

    def _bind(self, node: ast.AST, name: str) -> None:
        """A name being defined (function, argument, assignment target, loop variable)."""
        self._check_name(node, name)
        if name in self.modules:
            self.fail(node, "safety", f"'{name}' names the {self.modules[name]} module; do not rebind it")
        self.defined.add(name)

    def _check_name(self, node: ast.AST, name: str) -> None:
        if name.startswith("__"):
            self.fail(node, "safety", f"dunder name '{name}' is not allowed")
        elif name in REFUSED_NAMES:
            hint = f"; {RNG_HINT}" if name == "random" else ""
            self.fail(node, "safety", f"'{name}' is not allowed in slot code ({REFUSED_NAMES[name]}{hint})")

    def _on_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            self._bind(node, node.id)
            return
        self._check_name(node, node.id)
        if node.id in self.modules and id(node) not in self._module_bases:
            self.fail(node, "safety", f"the module '{node.id}' may only be used as {node.id}.<name>; "
                                      "do not pass it around or alias it")
        self.loaded.append(node)

    def _on_arg(self, node: ast.arg) -> None:
        self._bind(node, node.arg)

    def _on_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None and node.arg.startswith("_"):
            self.fail(node, "safety", f"keyword argument '{node.arg}' is not allowed")

    def _on_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _DUNDER_TEXT.search(node.value):
            self.fail(node, "safety", "strings naming dunder attributes are not allowed in slot code")

    def _module_of(self, node: ast.AST) -> str | None:
        """The module path an expression names (``np`` → numpy, ``np.linalg`` → numpy.linalg)."""
        if isinstance(node, ast.Name):
            return self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._module_of(node.value) if isinstance(node.value, ast.Name) else None
            return SUBMODULES.get((base, node.attr)) if base else None
        return None

    def _on_Attribute(self, node: ast.Attribute) -> None:
        """A whole chain ``a.b.c`` at its outermost link; only its first bad link is reported."""
        if id(node) in self._chain_links:
            return
        links: list[ast.Attribute] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            links.append(cur)
            self._chain_links.add(id(cur))
            cur = cur.value
        if self._module_of(cur) is not None:
            self._module_bases.add(id(cur))
        links.reverse()
        for i, link in enumerate(links):
            if not self._link_ok(link, last=i == len(links) - 1):
                break

    def _link_ok(self, node: ast.Attribute, last: bool) -> bool:
        """Check one ``value.attr`` link; False (after recording why) when it is refused."""
        if node.attr.startswith("_"):
            self.fail(node, "safety", f"access to private or dunder attribute '.{node.attr}' is not allowed")
            return False
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.fail(node, "safety", f"assigning to an attribute ('.{node.attr} = ...') is not "
                                      "allowed; write into arrays by index")
            return False
        module = self._module_of(node.value)
        if module is None:
            if node.attr in VALUE_ATTRIBUTES:
                return True
            self.fail(node, "safety", f"'.{node.attr}' is not an attribute or method slot code may "
                                      "use (allowed are the array/list ones Numba compiles, e.g. "
                                      f".shape, .size, .copy(), .sum(), .argmax(){_close(node.attr, VALUE_ATTRIBUTES)})")
            return False
        if node.attr not in MODULE_MEMBERS.get(module, frozenset()):
            self.fail(node, "safety", self._member_message(module, node.attr, _render(node.value)))
            return False
        if (module, node.attr) in SUBMODULES and last:
            shown = f"{_render(node.value)}.{node.attr}"
            self.fail(node, "safety", f"the module '{shown}' may only be used as {shown}.<name>; "
                                      "do not pass it around or alias it")
            return False
        return True

    def _member_message(self, module: str, name: str, shown: str | None = None) -> str:
        shown = shown or module
        if name == "random":
            return f"{shown}.random is not allowed in slot code ({RNG_HINT})"
        members = MODULE_MEMBERS.get(module, frozenset())
        return (f"{shown}.{name} is not allowed: slot code may use only the {module} functions and "
                f"constants Numba compiles in nopython mode (e.g. {_examples(module)})"
                f"{_close(name, members)}")


def _render(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else ast.unparse(node)


def _examples(module: str) -> str:
    picks = {"numpy": "np.sum, np.argsort, np.where, np.linalg.norm", "math": "math.sqrt, math.exp",
             "numpy.linalg": "np.linalg.norm, np.linalg.inv"}
    return picks.get(module, ", ".join(sorted(MODULE_MEMBERS.get(module, ()))[:4]))


def _check_signature(slot: Slot, tree: ast.Module) -> list[CheckFailure]:
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == slot.name]
    want = ", ".join(slot.arg_names)
    if not defs:
        others = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        seen = f" (found: {', '.join(others)})" if others else ""
        return [CheckFailure("signature", f"no top-level function named '{slot.name}'{seen}; "
                                          f"expected `{slot.def_line()}`")]
    if len(defs) > 1:
        return [CheckFailure("signature", f"'{slot.name}' is defined {len(defs)} times; define it once",
                             defs[-1].lineno)]
    fn = defs[0]
    a = fn.args
    got = [x.arg for x in a.args]
    out = []
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        return [CheckFailure("signature", f"'{slot.name}' must take exactly ({want}) with no "
                                          "*args, **kwargs, keyword-only or positional-only markers",
                             fn.lineno)]
    if tuple(got) != slot.arg_names:
        out.append(CheckFailure("signature", f"'{slot.name}' takes ({', '.join(got)}) but the slot "
                                             f"requires ({want}) — same names, same order", fn.lineno))
    if a.defaults:
        out.append(CheckFailure("signature", f"the arguments of '{slot.name}' must not have defaults",
                                fn.lineno))
    return out


def _recursion(tree: ast.Module) -> list[CheckFailure]:
    """Cycles in the call graph of the module's functions (Numba cannot compile them reliably)."""
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    calls = {name: {c.func.id for c in ast.walk(fn) if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Name) and c.func.id in funcs}
             for name, fn in funcs.items()}
    failures = []
    for start in funcs:
        stack, seen = list(calls[start]), set()
        while stack:
            f = stack.pop()
            if f == start:
                failures.append(CheckFailure(
                    "safety", f"function '{start}' is recursive; recursion is not allowed in slot "
                              "code (compiled slots have a small fixed stack): use a loop",
                    funcs[start].lineno))
                break
            if f not in seen:
                seen.add(f)
                stack.extend(calls[f])
    return failures


def static_check(slot: Slot, source: str, *, filename: str = "<candidate>") -> CheckReport:
    """Run every static check of ``source`` for ``slot``; never executes the code, never raises.

    A failure of the checker itself (recursion, memory, anything) rejects the source.
    """
    try:
        return CheckReport(slot.key, tuple(_failures(slot, source, filename)))
    except (RecursionError, MemoryError) as exc:
        return CheckReport(slot.key, (CheckFailure(
            "size", f"the source is too deeply nested or too large to check ({type(exc).__name__}); "
                    "split long expressions into several statements"),))
    except Exception as exc:  # hostile input must never crash the engine
        return CheckReport(slot.key, (CheckFailure(
            "syntax", f"the source could not be checked ({type(exc).__name__}: {str(exc)[:200]})"),))


def _failures(slot: Slot, source: str, filename: str) -> list[CheckFailure]:
    if len(source) > MAX_SOURCE_CHARS:
        return [CheckFailure("size", f"source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS}")]
    if not source.strip():
        return [CheckFailure("syntax", "the source is empty")]
    try:
        compile(source, filename, "exec", dont_inherit=True)
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        return [CheckFailure("syntax", f"syntax error: {exc.msg}", exc.lineno)]
    except ValueError as exc:
        return [CheckFailure("syntax", f"cannot be compiled: {exc}")]
    walk = _PolicyWalk(slot)
    walk.check_module(tree)
    failures = list(walk.failures)
    failures += _recursion(tree)
    failures += _check_signature(slot, tree)
    if not failures:
        from heurevo.solvers.compile import SLOT_GLOBALS

        known = walk.defined | set(walk.modules) | ALLOWED_BUILTINS | set(SLOT_GLOBALS)
        undefined = {}
        for name in walk.loaded:
            if name.id not in known and name.id not in undefined:
                undefined[name.id] = name
        for name, node in undefined.items():
            hint = " (builtin not available in compiled slots)" if hasattr(builtins, name) else ""
            failures.append(CheckFailure("names", f"undefined name '{name}'{hint}", node.lineno))
    return failures
