"""Pull a slot's function out of a model's answer, without ever executing it.

Handles fenced (```python, ```py, ```, ~~~) and unfenced code, prose around it, several blocks
(the one defining the wanted function wins; helpers it needs are taken from the others; without
one, consecutive Python blocks are merged), several functions in one block (helpers and imports
kept, demo code such as ``if __name__ == "__main__":`` dropped), repeated functions or blocks
(deduplicated), an EoH-style idea (``{...}`` or an ``Idea:``/``Thought:`` line), and truncated
answers. The result is an :class:`Extraction` whose ``complaint`` is written for a repair prompt.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import textwrap
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from heurevo.solvers.slots import Slot


class ExtractStatus(Enum):
    """What came of an extraction."""

    OK = "ok"
    NO_CODE = "no_code"
    WRONG_NAME = "wrong_name"
    WRONG_ARITY = "wrong_arity"
    SYNTAX_ERROR = "syntax_error"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class Extraction:
    """The code found in an answer.

    ``source`` is the chosen code (also for wrong_name, wrong_arity, syntax_error and truncated,
    so a repair prompt can quote it); None when the answer holds no code at all (no_code, or
    truncated before any code). ``complaint`` is empty when the
    status is ok. ``found_name`` is the function taken for the slot's (wrong_name). ``notes``
    say what was cleaned up (duplicates removed, demo code dropped, degenerate repetition).
    """

    status: ExtractStatus
    source: str | None
    idea: str = ""
    complaint: str = ""
    found_name: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the slot's function was found with the right arity."""
        return self.status is ExtractStatus.OK


@dataclass(frozen=True)
class _Block:
    lang: str
    code: str
    closed: bool
    start: int  # line index of the opening fence


_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_CODE_START = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+\w+|import[ \t]+\w|"
                         r"from[ \t]+[\w.]+[ \t]+import[ \t]|@\w")
_CODE_LINE = re.compile(
    r"(?:async[ \t]+def|def|class|import|from|if|elif|else|for|while|try|except|finally|with|"
    r"return|raise|assert|pass|del|global|nonlocal)\b|[#@)\]}]|\"\"\"|'''|"
    r"[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*[ \t]*(?::[^=\n]+)?(?:[-+*/%|&^]|//|\*\*)?=(?!=)")
_IDEA_LINE = re.compile(r"^[ \t>*_#-]*(?:idea|thought|algorithm)[ \t*_]*:[ \t*_]*(.*)$",
                        re.I | re.M)
_BRACED = re.compile(r"\{([^{}]{3,2000})\}")
_PY_LANGS = frozenset({"", "python", "py", "python3", "py3", "numba", "python3.11", "ipython"})
_EOF_HINTS = ("was never closed", "unexpected EOF", "unterminated triple-quoted",
              "expected an indented block")
_MAX_SHRINK_TRIES = 60
_REPEAT_RUN = 6
_TOP_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
             ast.Assign, ast.AnnAssign, ast.AugAssign)


def extract_code(text: str | None, slot: Slot | str, arg_names: Sequence[str] | None = None, *,
                 finish_reason: str | None = None) -> Extraction:
    """Find the function for ``slot`` (a :class:`Slot`, or a name plus ``arg_names``) in ``text``.

    ``finish_reason`` is the server's; "length" means the answer was cut, "stop" that the model
    ended it itself. Never executes anything and never raises on odd text.
    """
    if isinstance(slot, Slot):
        name, args = slot.name, tuple(slot.arg_names)
    else:
        if arg_names is None:
            raise TypeError("extract_code needs arg_names when the slot is given by name")
        name, args = slot, tuple(arg_names)
    text = _THINK.sub("", str(text or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"</?think>", "", text, flags=re.I).replace("\x00", "")
    notes: list[str] = []
    blocks, prose_lines = _fenced_blocks(text)
    code, reaches_end, unclosed, first_line = _choose_code(blocks, name, notes)
    if code is None:
        code, reaches_end, first_line = _unfenced_code(text, name, notes)
        unclosed = False
        prose = "\n".join(text.split("\n")[:first_line]) if code is not None else text
        idea = _idea(prose, text)
    else:
        before = "\n".join(line for i, line in prose_lines if i < first_line)
        idea = _idea(before, "\n".join(line for _, line in prose_lines))
    if code is None or not code.strip():
        if finish_reason == "length":
            return Extraction(ExtractStatus.TRUNCATED, None, idea, _truncated_complaint(name, args),
                              notes=tuple(notes))
        return Extraction(ExtractStatus.NO_CODE, None, idea, _no_code_complaint(name, args),
                          notes=tuple(notes))
    cut = reaches_end and (finish_reason == "length" or (unclosed and finish_reason != "stop"))
    return _analyse(code, name, args, idea, notes, cut=cut)


def _fenced_blocks(text: str) -> tuple[list[_Block], list[tuple[int, str]]]:
    """The fenced blocks of ``text`` and the lines outside them (with their indices)."""
    blocks: list[_Block] = []
    prose: list[tuple[int, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            prose.append((i, lines[i]))
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        body: list[str] = []
        closed = False
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped and stripped[0] == fence[0] and set(stripped) == {fence[0]} \
                    and len(stripped) >= len(fence):
                closed = True
                break
            if lines[j].rstrip().endswith(fence) and stripped != fence:
                body.append(lines[j].rstrip()[: -len(fence)])
                closed = True
                break
            body.append(lines[j])
            j += 1
        blocks.append(_Block(lang, "\n".join(body), closed, i))
        i = j + 1
    return blocks, prose


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", code,
                     re.M) is not None


def _choose_code(blocks: list[_Block], name: str,
                 notes: list[str]) -> tuple[str | None, bool, bool, int]:
    """(code, reaches end of answer, unclosed, first line) from the fenced blocks, or Nones."""
    if not blocks:
        return None, False, False, 0
    unique: list[_Block] = []
    seen: set[str] = set()
    for b in blocks:
        key = textwrap.dedent(b.code).strip()
        if key in seen:
            continue
        seen.add(key)
        unique.append(b)
    if len(unique) < len(blocks):
        notes.append(f"removed {len(blocks) - len(unique)} repeated code block(s)")
    last = blocks[-1]
    defining = [b for b in unique if _defines(b.code, name)]
    if defining:
        chosen = defining[-1]
        if len(defining) > 1:
            notes.append(f"{len(defining)} blocks define `{name}`; used the last one")
        others = [b for b in unique if b is not chosen and b.lang in _PY_LANGS]
        code = _with_helpers(textwrap.dedent(chosen.code), others, notes)
        return code, chosen is last and not chosen.closed, not chosen.closed, chosen.start
    python = [b for b in unique if b.lang in _PY_LANGS and b.code.strip()]
    if not python:
        return None, False, False, 0
    if len(python) > 1:
        notes.append(f"merged {len(python)} code blocks")
    code = "\n\n".join(textwrap.dedent(b.code).strip("\n") for b in python)
    unclosed = not python[-1].closed
    return code, unclosed and python[-1] is last, unclosed, python[0].start


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _bound_names(node: ast.AST) -> set[str]:
    """Names a top-level statement binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)}


def _free_names(tree: ast.Module) -> set[str]:
    """Names read in ``tree`` that nothing in it binds (roughly; enough to find helpers)."""
    loaded, bound = set(), set(dir(builtins))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            bound |= _bound_names(n)
    return loaded - bound


def _with_helpers(code: str, others: list[_Block], notes: list[str]) -> str:
    """``code`` preceded by the imports and definitions from ``others`` that it needs (transitively)."""
    tree = _parse(code)
    if tree is None or not others:
        return code
    offers: dict[str, tuple[int, str]] = {}
    order = 0
    for b in others:
        src = textwrap.dedent(b.code)
        other = _parse(src)
        for node in other.body if other is not None else []:
            seg = ast.get_source_segment(src, node) if isinstance(node, _TOP_KEEP) else None
            if seg:
                for bound in _bound_names(node):
                    offers.setdefault(bound, (order, seg))
                order += 1
    taken: dict[int, str] = {}
    missing = sorted(_free_names(tree))
    while missing:
        wanted = missing.pop()
        if wanted not in offers or offers[wanted][0] in taken:
            continue
        pos, seg = offers[wanted]
        taken[pos] = seg
        sub = _parse(seg)
        if sub is not None:
            missing.extend(sorted(_free_names(sub)))
    if not taken:
        return code
    notes.append(f"took {len(taken)} helper definition(s)/import(s) from other code blocks")
    return "\n\n".join([*(taken[k] for k in sorted(taken)), code.strip("\n")])


def _unfenced_code(text: str, name: str, notes: list[str]) -> tuple[str | None, bool, int]:
    """(code, reaches end of answer, first line) for an answer without fences."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        start = next((i for i, line in enumerate(lines)
                      if re.match(r"[ \t]+def[ \t]+\w+[ \t]*\(", line)), None)
        if start is None:
            return None, False, 0
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line[0].isspace() and not _CODE_LINE.match(line):
            break
        end += 1
    code_lines = lines[start:end]
    reaches_end = not any(line.strip() for line in lines[end:])
    code = textwrap.dedent("\n".join(code_lines))
    if _parse(code) is None:
        shorter = _parseable_prefix(code, name)
        if shorter is not None:
            notes.append(f"ignored text after line {shorter.count(chr(10)) + 1} of the code")
            return shorter, False, start
    return code, reaches_end, start


def _parseable_prefix(code: str, name: str) -> str | None:
    """The longest prefix ending before a top-level line that parses and defines ``name``."""
    lines = code.split("\n")
    cuts = [j for j in range(len(lines) - 1, 0, -1) if lines[j][:1].strip()]
    for j in cuts[:_MAX_SHRINK_TRIES]:
        candidate = "\n".join(lines[:j]).rstrip()
        if _defines(candidate, name) and _parse(candidate) is not None:
            return candidate
    return None


def _idea(before: str, everywhere: str) -> str:
    """An EoH-style idea: ``{...}`` or an ``Idea:``/``Thought:`` line, before the code first."""
    for prose in (before, everywhere):
        m = _BRACED.search(prose)
        if m and not re.search(r"[=:]\s*$|^\s*['\"]", m.group(1)):
            return " ".join(m.group(1).split())
        m = _IDEA_LINE.search(prose)
        if m:
            rest = prose[m.end():].split("\n\n", 1)[0]
            body = " ".join((m.group(1) + " " + rest).split()).strip(" *_")
            if body:
                return body
    return ""


def _signature_of(f: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    a = f.args
    parts = [x.arg for x in [*a.posonlyargs, *a.args]]
    if a.vararg:
        parts.append("*" + a.vararg.arg)
    parts += [x.arg for x in a.kwonlyargs]
    if a.kwarg:
        parts.append("**" + a.kwarg.arg)
    return f"{f.name}({', '.join(parts)})"


def _plain_arity(f: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """Number of plain positional parameters, or None when it uses */**, or keyword-only."""
    a = f.args
    if a.vararg or a.kwarg or a.kwonlyargs:
        return None
    return len(a.posonlyargs) + len(a.args)


def _def_line(name: str, args: tuple[str, ...]) -> str:
    return f"def {name}({', '.join(args)}):"


def _truncated_complaint(name: str, args: tuple[str, ...]) -> str:
    return (f"Your answer was cut off before the code was complete. Reply again with the whole "
            f"function `{_def_line(name, args)}` in one ```python block, shorter if need be, "
            f"with little or no prose.")


def _no_code_complaint(name: str, args: tuple[str, ...]) -> str:
    return (f"Your answer contains no Python function. Reply with the complete function "
            f"`{_def_line(name, args)}` in one ```python block.")


def _repetition(lines: list[str]) -> int:
    """Length of the longest run of one identical non-blank line."""
    best = run = 0
    prev = None
    for line in lines:
        s = line.strip()
        if not s:
            continue
        run = run + 1 if s == prev else 1
        prev = s
        best = max(best, run)
    return best


def _looks_cut(code: str, exc: SyntaxError) -> bool:
    """Whether a syntax error means the code simply stops early."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO(code).readline):
            pass
    except tokenize.TokenError:
        return True
    except (SyntaxError, ValueError):
        pass
    msg = str(exc.msg or "")
    if any(h in msg for h in _EOF_HINTS):
        return True
    last = len(code.rstrip().split("\n"))
    return exc.lineno is not None and exc.lineno >= last


def _clean(code: str, tree: ast.Module, notes: list[str]) -> str:
    """Drop repeated definitions (the last one wins) and imports, and top-level demo code."""
    drop: set[int] = set()
    last_def: dict[str, int] = {}
    seen_imports: set[str] = set()
    repeated: dict[str, int] = {}
    for idx, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name in last_def:
                drop.add(last_def[node.name])
                repeated[node.name] = repeated.get(node.name, 1) + 1
            last_def[node.name] = idx
        elif isinstance(node, ast.Import | ast.ImportFrom):
            key = ast.dump(node)
            if key in seen_imports:
                drop.add(idx)
            seen_imports.add(key)
        elif not isinstance(node, _TOP_KEEP):
            is_doc = (idx == 0 and isinstance(node, ast.Expr)
                      and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
            if not is_doc:
                drop.add(idx)
    for fname, count in repeated.items():
        notes.append(f"`{fname}` was defined {count} times; kept the last definition")
    demo = sum(1 for i in drop if not isinstance(tree.body[i], _TOP_KEEP))
    if demo:
        notes.append(f"dropped {demo} top-level statement(s) that are not definitions")
    if not drop:
        return code
    lines = code.split("\n")
    gone: set[int] = set()
    for i in drop:
        node = tree.body[i]
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        gone.update(range(first - 1, (node.end_lineno or node.lineno)))
    kept = "\n".join(line for k, line in enumerate(lines) if k not in gone)
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip("\n") + "\n"
    return kept if _parse(kept) is not None else code


def _analyse(code: str, name: str, args: tuple[str, ...], idea: str, notes: list[str], *,
             cut: bool) -> Extraction:
    """Parse the chosen code, classify it and check the slot's function."""
    code = textwrap.dedent(code).strip("\n") + "\n"
    run = _repetition(code.split("\n"))
    if run >= _REPEAT_RUN:
        notes.append(f"degenerate repetition: one line repeated {run} times in a row")
    if cut:
        return Extraction(ExtractStatus.TRUNCATED, code, idea, _truncated_complaint(name, args),
                          notes=tuple(notes))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        if isinstance(exc, SyntaxError) and _looks_cut(code, exc):
            return Extraction(ExtractStatus.TRUNCATED, code, idea,
                              _truncated_complaint(name, args), notes=tuple(notes))
        where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
        msg = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        bad = ""
        if isinstance(exc, SyntaxError) and exc.lineno:
            lines = code.split("\n")
            if 0 < exc.lineno <= len(lines):
                bad = f" in `{lines[exc.lineno - 1].strip()[:120]}`"
        complaint = (f"Your code does not parse: {where}{msg}{bad}. Reply with the corrected, "
                     f"complete function `{_def_line(name, args)}` in one ```python block.")
        return Extraction(ExtractStatus.SYNTAX_ERROR, code, idea, complaint, notes=tuple(notes))
    code = _clean(code, tree, notes)
    tree = _parse(code) or tree
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    want = _def_line(name, args)
    mine = [f for f in funcs if f.name == name]
    if mine:
        f = mine[-1]
        arity = _plain_arity(f)
        if arity != len(args):
            complaint = (f"you defined `{_signature_of(f)}`; the function must be `{want}` with "
                         f"exactly {len(args)} plain positional arguments.")
            return Extraction(ExtractStatus.WRONG_ARITY, code, idea, complaint, name,
                              tuple(notes))
        got = tuple(a.arg for a in [*f.args.posonlyargs, *f.args.args])
        if got != args:
            notes.append(f"argument names {got} differ from the slot's {args}")
        return Extraction(ExtractStatus.OK, code, idea, "", name, tuple(notes))
    if not funcs:
        return Extraction(ExtractStatus.NO_CODE, code, idea, _no_code_complaint(name, args),
                          notes=tuple(notes))
    same = [f for f in funcs if _plain_arity(f) == len(args)]
    pick = same[0] if len(same) == 1 else funcs[0] if len(funcs) == 1 else None
    if pick is not None:
        complaint = f"you defined `{_signature_of(pick)}`; the function must be `{want}`"
        return Extraction(ExtractStatus.WRONG_NAME, code, idea, complaint, pick.name,
                          tuple(notes))
    listed = ", ".join(f"`{_signature_of(f)}`" for f in funcs)
    complaint = f"none of the functions you defined ({listed}) is `{want}`"
    return Extraction(ExtractStatus.WRONG_NAME, code, idea, complaint, None, tuple(notes))
