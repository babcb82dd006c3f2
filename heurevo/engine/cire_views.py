"""What ``heurevo show`` says about CIRE: clusters per generation, novelty rejections, notebook
entries used and the refinement conversations (as a table, or as JSON for ``--json``)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

from heurevo.engine.surrogate import accuracy
from heurevo.populations.store import Store


def cire_json(store: Store) -> dict[str, Any]:
    """``clusters`` (per generation: members and centre distances), ``novelty_rejections``,
    ``behaviour_duplicates``, ``notebook_entries_used``, ``refinement`` turns, ``surrogate``
    (its predictions' accuracy; empty when it was off) and ``judge`` verdicts."""
    novelty = [{"generation": g, **d} for g, d in store.cire_records("novelty")]
    return {
        "clusters": [{"generation": g, "clusters": d["clusters"], "survivors": d.get("survivors", [])}
                     for g, d in store.cire_records("clusters")],
        "novelty_rejections": [n for n in novelty if n["kind"] != "behaviour"],
        "behaviour_duplicates": [n for n in novelty if n["kind"] == "behaviour"],
        "notebook_entries_used": [e.data for e in store.events("notebook_used")],
        "refinement": [{"generation": g, **d} for g, d in store.cire_records("refinement")],
        "surrogate": accuracy(store),
        "judge": [e.data for e in store.events("judge")],
    }


def cire_report(store: Store) -> Group | None:
    """A short rendering for ``heurevo show`` (None when the run used no CIRE component)."""
    data = cire_json(store)
    if not any(data.values()):
        return None
    t = Table(title="CIRE: clusters per generation")
    for col in ("gen", "clusters", "sizes", "largest share"):
        t.add_column(col)
    for c in data["clusters"][-8:]:
        sizes = sorted((len(v) for v in c["clusters"].values()), reverse=True)
        t.add_row(str(c["generation"]), str(len(sizes)), " ".join(map(str, sizes)),
                  f"{sizes[0] / sum(sizes):.2f}" if sizes else "—")
    parts: list[Any] = [t] if data["clusters"] else []
    rej = data["novelty_rejections"]
    used = sum(len(e.get("entries", [])) for e in data["notebook_entries_used"])
    parts.append(f"novelty: {len(rej)} rejected before evaluation "
                 f"({', '.join(sorted({r['kind'] for r in rej})) or 'none'}), "
                 f"{len(data['behaviour_duplicates'])} behavioural duplicates marked; "
                 f"notebook entries used in prompts: {used}")
    if data["surrogate"]:
        s = data["surrogate"]
        rho = "—" if s["spearman"] is None else f"{s['spearman']:.2f}"
        mae = "—" if s["mae"] is None else f"{s['mae']:.4f}"
        parts.append(f"surrogate: {s['predictions']} predictions, {s['screened']} screened out; on "
                     f"the {s['evaluated']} evaluated: mean absolute error {mae}, Spearman {rho}")
    if data["judge"]:
        rated = [j["rating"] for j in data["judge"] if j["rating"] is not None]
        mean = f"mean rating {sum(rated) / len(rated):.1f}" if rated else "no rating read"
        parts.append(f"judge: {len(data['judge'])} verdicts ({mean}; "
                     f"{len(data['judge']) - len(rated)} failed or unreadable)")
    if data["refinement"]:
        r = Table(title="refinement conversations (latest 6 turns)")
        for col in ("gen", "group", "turn", "text"):
            r.add_column(col, overflow="fold")
        for turn in data["refinement"][-6:]:
            r.add_row(str(turn["generation"]), str(turn.get("group", "")), str(turn.get("step", "")),
                      str(turn.get("text", ""))[:200])
        parts.append(r)
    return Group(*parts)
