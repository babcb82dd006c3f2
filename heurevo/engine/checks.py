"""Static checks on untrusted slot source, run before anything executes it.

Order: size → ``compile()`` (syntax, duplicate argument names…) → AST allow-list (imports, names,
attributes, statement kinds) → exact slot signature → undefined names. Every failure carries a
line number and a message written for whoever must repair the code (a person or an LLM). The
slot's own behavioural quick checks run later, inside a sandboxed worker
(:mod:`heurevo.engine.quick_checks`).
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from heurevo.solvers.slots import Slot

MAX_SOURCE_CHARS = 50_000

#: Builtins a Numba slot may use; every other builtin name is refused.
ALLOWED_BUILTINS = frozenset({
    "abs", "min", "max", "range", "len", "int", "float", "bool", "round", "sum", "enumerate",
    "zip", "reversed", "divmod", "pow", "tuple", "list", "True", "False", "None", "ValueError",
    "IndexError", "RuntimeError", "ZeroDivisionError", "AssertionError", "Exception",
})

#: Names that signal an escape attempt, refused with a specific message.
FORBIDDEN_NAMES = frozenset({
    "open", "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "getattr",
    "setattr", "delattr", "hasattr", "input", "breakpoint", "exit", "quit", "help", "memoryview",
    "print", "dir", "type", "object", "super", "id", "os", "sys", "subprocess", "socket",
    "shutil", "pathlib", "ctypes", "builtins", "importlib", "threading", "multiprocessing",
    "signal", "random", "time", "pickle", "marshal", "io", "resource", "gc",
})

#: numpy attributes refused: file I/O, hidden global RNG, low-level escapes.
FORBIDDEN_NUMPY_ATTRS = frozenset({
    "random", "load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
    "fromfile", "tofile", "memmap", "ctypeslib", "lib", "testing", "f2py", "show_config",
    "DataSource", "fromregex", "frombuffer", "ctypes",
})

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


def _is_constant_expr(node: ast.AST) -> bool:
    """Literal numbers/strings/tuples and arithmetic on them (safe at definition time)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_constant_expr(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_constant_expr(node.left) and _is_constant_expr(node.right)
    if isinstance(node, ast.Tuple):
        return all(_is_constant_expr(e) for e in node.elts)
    return False


class _Visitor(ast.NodeVisitor):
    def __init__(self, slot: Slot):
        self.slot = slot
        self.failures: list[CheckFailure] = []
        self.numpy_aliases: set[str] = set()
        self.defined: set[str] = set()
        self.loaded: list[ast.Name] = []

    def fail(self, node: ast.AST, kind: str, message: str) -> None:
        self.failures.append(CheckFailure(kind, message, getattr(node, "lineno", None)))

    # --- module level -------------------------------------------------------------------
    def check_module(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef):
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
        self.visit(tree)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module_name(node, alias.name)
            name = alias.asname or alias.name.split(".")[0]
            self.defined.add(name)
            if alias.name == "numpy":
                self.numpy_aliases.add(name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.fail(node, "safety", "relative imports are not allowed")
            return
        self._check_module_name(node, node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "safety", f"`from {node.module} import *` is not allowed; import names explicitly")
                continue
            if node.module == "numpy" and alias.name in FORBIDDEN_NUMPY_ATTRS:
                self.fail(node, "safety", f"numpy.{alias.name} is not allowed in slot code")
            if alias.name.startswith("_"):
                self.fail(node, "safety", f"importing private name '{alias.name}' is not allowed")
            self.defined.add(alias.asname or alias.name)

    def _check_module_name(self, node: ast.AST, module: str) -> None:
        allowed = self.slot.allowed_imports
        if module not in allowed:
            self.fail(node, "safety", f"import of '{module}' is not allowed; this slot may import only "
                                      f"{', '.join(allowed)}")

    # --- definitions --------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.defined.add(node.name)
        if node.decorator_list:
            self.fail(node, "safety", f"decorators are not allowed (on '{node.name}'); "
                                      "heurevo compiles the function itself")
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None and not _is_constant_expr(default):
                self.fail(default, "safety", f"default values of '{node.name}' must be constants")
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            self.defined.add(arg.arg)
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for arg in node.args.args:
            self.defined.add(arg.arg)
        self.generic_visit(node)

    # --- names and attributes -----------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            self.fail(node, "safety", f"dunder name '{node.id}' is not allowed")
        elif node.id in FORBIDDEN_NAMES:
            self.fail(node, "safety", f"'{node.id}' is not allowed in slot code (no I/O, reflection "
                                      "or system access; use the slot's arguments and rng_* helpers)")
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.defined.add(node.id)
        else:
            self.loaded.append(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.defined.add(node.arg)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self.fail(node, "safety", f"access to private or dunder attribute '.{node.attr}' is not allowed")
        base = node.value
        if isinstance(base, ast.Name) and base.id in self.numpy_aliases | {"np", "numpy"} \
                and node.attr in FORBIDDEN_NUMPY_ATTRS:
            hint = (" (use rng_random(rng_state) / rng_randint(rng_state, n) / "
                    "rng_chance(rng_state, p) with the given state)") if node.attr == "random" else ""
            self.fail(node, "safety", f"{base.id}.{node.attr} is not allowed in slot code{hint}")
        if node.attr in {"tofile", "dump", "dumps"}:
            self.fail(node, "safety", f"'.{node.attr}' (file output) is not allowed")
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        for kind, message in _STATEMENTS_REFUSED.items():
            if isinstance(node, kind):
                self.fail(node, "safety", message)
        super().generic_visit(node)


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
    """Run every static check of ``source`` for ``slot``; never executes the code."""
    if len(source) > MAX_SOURCE_CHARS:
        return CheckReport(slot.key, (CheckFailure(
            "size", f"source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS}"),))
    if not source.strip():
        return CheckReport(slot.key, (CheckFailure("syntax", "the source is empty"),))
    try:
        compile(source, filename, "exec", dont_inherit=True)
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        return CheckReport(slot.key, (CheckFailure("syntax", f"syntax error: {exc.msg}", exc.lineno),))
    except (ValueError, MemoryError, RecursionError) as exc:
        return CheckReport(slot.key, (CheckFailure("syntax", f"cannot be compiled: {exc}"),))
    visitor = _Visitor(slot)
    visitor.check_module(tree)
    failures = list(visitor.failures)
    failures += _recursion(tree)
    failures += _check_signature(slot, tree)
    if not failures:
        from heurevo.solvers.compile import SLOT_GLOBALS

        known = visitor.defined | ALLOWED_BUILTINS | set(SLOT_GLOBALS)
        undefined = {}
        for name in visitor.loaded:
            if name.id not in known and name.id not in undefined:
                undefined[name.id] = name
        for name, node in undefined.items():
            hint = " (builtin not available in compiled slots)" if hasattr(builtins, name) else ""
            failures.append(CheckFailure("names", f"undefined name '{name}'{hint}", node.lineno))
    return CheckReport(slot.key, tuple(failures))
