"""Export a candidate's heuristics as one Python file that ``heurevo solve --heuristics`` reads."""

from __future__ import annotations

import ast

from heurevo.populations.records import Candidate
from heurevo.solvers.slots import Slot


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node


def is_default(candidate: Candidate, slots: dict[str, Slot]) -> bool:
    """True when the candidate changes no slot (it is the default heuristic set)."""
    return all(s == slots[n].default_source for n, s in candidate.sources.items() if n in slots)


def export_source(candidate: Candidate, slots: dict[str, Slot], header: str = "") -> str:
    """One module with every slot the candidate changes (helpers renamed where they clash).

    A candidate that changes nothing exports every slot's default source.
    """
    changed = {n: s for n, s in candidate.sources.items() if n in slots and s != slots[n].default_source}
    header = header or f"heurevo heuristics from candidate {candidate.id}"
    if is_default(candidate, slots):  # the default was kept: a valid file to start editing from
        changed = {n: s.default_source for n, s in slots.items()}
        header += " (no evolved change beat the default: these are the default slots)"
    parts = [f'"""{header}"""\n']
    imports: list[str] = []
    defined: dict[str, str] = {}
    bodies = []
    for name in sorted(changed, key=list(slots).index):
        tree = ast.parse(changed[name])
        helpers = {n.name: ast.unparse(n) for n in tree.body
                   if isinstance(n, ast.FunctionDef) and n.name != slots[name].name}
        clashes = {h: f"{h}_{name}" for h, src in helpers.items() if h in defined and defined[h] != src}
        if clashes:
            tree = _Rename(clashes).visit(tree)
        body = []
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                line = ast.unparse(node)
                if line not in imports:
                    imports.append(line)
            elif isinstance(node, ast.FunctionDef) and node.name != slots[name].name:
                text = ast.unparse(node)
                if defined.get(node.name) == text:
                    continue
                defined[node.name] = text
                body.append(text)
            else:
                body.append(ast.unparse(node))
        bodies.append(f"# --- slot {slots[name].key} ---\n" + "\n\n\n".join(body))
    parts += imports
    return "\n".join(parts) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"
