"""Regenerate the README's result tables from a demo or bench JSON output (never type numbers).

    heurevo demo --json > demo.json
    python scripts/readme_numbers.py demo demo.json --write README.md
    heurevo bench evolve --out bench.json
    python scripts/readme_numbers.py bench bench.json [more.json ...] --write README.md
    python -m heurevo.bench.demo_settings pbo --seeds 5 > check.json
    python scripts/readme_numbers.py check check.json --write README.md
    heurevo bench evolve --headroom 4 --out headroom.json
    python scripts/readme_numbers.py headroom headroom.json [more.json ...] --write README.md

Each table lives in the README between ``<!-- numbers:KIND -->`` and ``<!-- /numbers:KIND -->``;
``--write`` replaces that block, without it the block is printed (a demo check's block is
``check-PROBLEM``). :func:`parse_demo` reads a
block back into the demo summary it was made from (the test suite checks that the README's
block is exactly what :func:`render_demo` makes of it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

DEMO_KEYS = ("mean_score", "p_value", "better", "same", "worse", "families", "verdict")


def markers(kind: str) -> tuple[str, str]:
    """The opening and closing marker lines of a block."""
    return f"<!-- numbers:{kind} -->", f"<!-- /numbers:{kind} -->"


def render_demo(summary: dict[str, Any]) -> str:
    """The demo table: mean held-out score per family, then all instances, then the verdict."""
    missing = [k for k in DEMO_KEYS if k not in summary]
    if missing:
        raise ValueError(f"demo summary lacks key(s) {missing}")
    lines = ["| family | held-out mean score |", "|---|---|"]
    lines += [f"| {name} | {score:.4f} |" for name, score in sorted(summary["families"].items())]
    lines.append(f"| all | {summary['mean_score']:.4f} (p = {summary['p_value']:.3g}; "
                 f"{summary['better']} better / {summary['same']} same / {summary['worse']} worse) |")
    lines += ["", f"verdict: {summary['verdict']}"]
    return "\n".join(lines)


_ALL = re.compile(r"^\| all \| (?P<mean>[-\d.]+) \(p = (?P<p>[^;]+); (?P<b>\d+) better / "
                  r"(?P<s>\d+) same / (?P<w>\d+) worse\) \|$")
_FAMILY = re.compile(r"^\| (?P<name>[^|]+?) \| (?P<score>[-\d.]+) \|$")


def parse_demo(block: str) -> dict[str, Any]:
    """Inverse of :func:`render_demo` (up to the printed rounding); raises on any other format."""
    rows = block.strip().splitlines()
    if rows[:2] != ["| family | held-out mean score |", "|---|---|"]:
        raise ValueError("not a demo table: wrong header")
    families: dict[str, float] = {}
    summary: dict[str, Any] = {}
    for i, row in enumerate(rows[2:], start=2):
        if m := _ALL.match(row):
            summary = {"mean_score": float(m["mean"]), "p_value": float(m["p"]),
                       "better": int(m["b"]), "same": int(m["s"]), "worse": int(m["w"])}
            rest = rows[i + 1:]
            if len(rest) != 2 or rest[0] != "" or not rest[1].startswith("verdict: "):
                raise ValueError("not a demo table: the verdict line must follow the 'all' row")
            summary["verdict"] = rest[1].removeprefix("verdict: ")
            break
        m = _FAMILY.match(row)
        if not m:
            raise ValueError(f"not a demo table: bad row {row!r}")
        families[m["name"]] = float(m["score"])
    if not summary:
        raise ValueError("not a demo table: no 'all' row")
    return {**summary, "families": families}


def render_bench(figures: dict[str, Any]) -> str:
    """The bench evolve tables: held-out score per target/mode/family, then racing vs full."""
    head = (f"{figures['seeds']} seeds, {figures['evaluations']} evaluations per run, "
            f"{figures.get('seeds_per_instance', 1)} training seed(s) per instance; score: held-out "
            "result relative to the default on the same instance and seed")
    lines = [head, "", "| target | mode | family | score (mean ± std) | p | better / same / worse |",
             "|---|---|---|---|---|---|"]
    cost = ["", "| target | mode | held-out score | training solver steps | steps vs full | "
                "kept default |", "|---|---|---|---|---|---|"]
    for target, modes in figures["targets"].items():
        for mode, m in modes.items():
            for fam, f in m["families"].items():
                lines.append(f"| {target} | {mode} | {fam} | {f['mean']:.4f} ± {f['std']:.4f} | "
                             f"{f['p_value']:.3g} | {f['better']} / {f['same']} / {f['worse']} |")
            a = m["families"]["all"]
            ratio = m.get("steps_vs_full")
            cost.append(f"| {target} | {mode} | {a['mean']:.4f} ± {a['std']:.4f} | "
                        f"{m['train_steps']:,} | {f'{ratio:.2f}x' if ratio else 'n/a'} | "
                        f"{m['kept_default']} of {figures['seeds']} runs |")
    return "\n".join(lines + cost)


def render_check(check: dict[str, Any]) -> str:
    """The demo check (several seeds, the guard included): a row per seed, the pooled pairs, and
    the pooled score per family."""
    lines = ["| seed | held-out mean score | p | better / same / worse | families below 1.0 |",
             "|---|---|---|---|---|"]
    for run in check["runs"]:
        below = ", ".join(f"{f} {m:.4f}" for f, m in sorted(run["families"].items()) if m < 1.0)
        lines.append(f"| {run['seed']} | {run['mean_score']:.4f} | {run['p_value']:.3g} | "
                     f"{run['better']} / {run['same']} / {run['worse']} | {below or 'none'} |")
    pooled = check["pooled"]
    lines.append(f"| all ({len(check['runs'])} seeds) | {check['mean_score']} | "
                 f"{pooled['p_value']:.3g} (pooled, {pooled['pairs']} pairs) | "
                 f"{check['significant_seeds']} of {len(check['runs'])} seeds significant | "
                 f"{len(check['families_below_1'])} (seed, family) cells |")
    lines += ["", "| family | pooled mean score | p (pooled) | better / worse pairs |",
              "|---|---|---|---|"]
    lines += [f"| {fam} | {f['mean']:.4f} | {f['p_value']:.3g} | {f['better']} / {f['worse']} |"
              for fam, f in check["pooled_families"].items()]
    return "\n".join(lines)


def render_headroom(figures: dict[str, Any]) -> str:
    """The headroom table: per target and family, the default with more steps vs itself."""
    lines = [f"| target | family | score with {figures['factor']}x the steps | pairs better | "
             f"instances where the {figures['seeds']} seeds agree |", "|---|---|---|---|---|"]
    lines += [f"| {target} | {fam} | {f['score_with_more_steps']:.4f} | "
              f"{100 * f['pairs_better']:.0f}% | {100 * f['instances_seeds_agree']:.0f}% |"
              for target, fams in figures["targets"].items() for fam, f in fams.items()]
    return "\n".join(lines)


def replace_block(text: str, kind: str, body: str) -> str:
    """``text`` with the block of ``kind`` replaced by ``body`` (the markers must be there)."""
    start, end = markers(kind)
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no {start} ... {end} block")
    return text[:i + len(start)] + "\n" + body + "\n" + text[j:]


def block(text: str, kind: str) -> str:
    """The body of the block of ``kind`` in ``text``."""
    start, end = markers(kind)
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no {start} ... {end} block")
    return text[i + len(start):j].strip("\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``demo JSON | bench JSON [JSON ...]``, then ``[--write README.md]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("demo", "bench", "check", "headroom"))
    ap.add_argument("json", type=Path, nargs="+",
                    help="output of `heurevo demo --json` (one) or `bench evolve --out` (one or more)")
    ap.add_argument("--write", type=Path, help="README to update in place")
    args = ap.parse_args(argv)
    path = args.json[0]
    try:
        if args.kind in ("demo", "check") and len(args.json) > 1:
            raise ValueError(f"{args.kind} takes one JSON file")
        data = [json.loads((path := p).read_text(encoding="utf-8")) for p in args.json]
        kind = args.kind
        if kind == "demo":
            body = render_demo(data[0])
        elif kind == "headroom":
            body = "\n\n".join(render_headroom(d) for d in data)
        elif kind == "check":
            body, kind = render_check(data[0]), f"check-{data[0]['settings']['problem']}"
        else:
            body = "\n\n".join(render_bench(d) for d in data)
        if args.write is None:
            print(body)
            return 0
        args.write.write_text(replace_block(args.write.read_text(encoding="utf-8"), kind, body),
                              encoding="utf-8")
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
