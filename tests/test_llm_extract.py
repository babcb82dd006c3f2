"""Code extraction from model answers: shapes real models produce, and arbitrary text."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from heurevo.engine.llm.extract import ExtractStatus, extract_code
from heurevo.solvers.slots import Slot

NAME, ARGS = "pick_best_variable", ("state", "scores", "rng_state")
DEF = "def pick_best_variable(state, scores, rng_state):\n    return 0\n"


def ex(text: str, finish: str | None = None):
    return extract_code(text, NAME, ARGS, finish_reason=finish)


def test_accepts_a_slot_object() -> None:
    slot = Slot("pbo", NAME, "int64(int64, int64, int64)", ARGS, "Pick one.", DEF)
    assert extract_code(f"```python\n{DEF}```", slot).ok


def test_fence_styles_and_prose() -> None:
    for fence, close in (("```python", "```"), ("```py", "```"), ("```", "```"), ("~~~", "~~~"),
                         ("````Python", "````")):
        e = ex(f"Here is my answer.\n{fence}\n{DEF}{close}\nHope it helps.")
        assert e.ok, (fence, e)
        assert e.source.strip() == DEF.strip()


def test_unfenced_code_with_prose_after() -> None:
    e = ex(f"Sure.\n\nimport math\n{DEF}\nThis returns zero.\nThanks!")
    assert e.ok and "This returns" not in e.source and e.source.startswith("import math")


def test_idea_forms() -> None:
    assert ex("{Greedy on score, random ties.}\n```python\n" + DEF + "```").idea == \
        "Greedy on score, random ties."
    assert ex("**Thought:** try the\nlargest score\n\n```python\n" + DEF + "```").idea == \
        "try the largest score"
    assert ex("```python\n" + DEF + "```").idea == ""


def test_helpers_imports_kept_and_demo_dropped() -> None:
    text = ("```python\nimport numpy as np\n\nEPS = 1e-9\n\ndef helper(x):\n    return x + EPS\n\n"
            "def pick_best_variable(state, scores, rng_state):\n    return helper(np.argmax(scores))\n"
            "\nprint(pick_best_variable(0, [1], 0))\n\nif __name__ == '__main__':\n    main()\n```")
    e = ex(text)
    assert e.ok
    names = [type(n).__name__ for n in ast.parse(e.source).body]
    assert names == ["Import", "Assign", "FunctionDef", "FunctionDef"]


def test_several_blocks_choose_defining_one_and_pull_helpers() -> None:
    text = ("First the helper:\n```python\nimport math\n\ndef helper(x):\n    return math.sqrt(x)\n"
            "```\nUsage:\n```python\nprint(pick_best_variable(1, 2, 3))\n```\nMain:\n```python\n"
            "def pick_best_variable(state, scores, rng_state):\n    return helper(4.0)\n```")
    e = ex(text)
    assert e.ok and "import math" in e.source and "def helper" in e.source
    assert "print" not in e.source


def test_no_defining_block_merges_consecutive_blocks() -> None:
    e = ex("```python\nimport math\n```\n\n```python\ndef other(a, b, c):\n    return 1\n```")
    assert e.status is ExtractStatus.WRONG_NAME and "import math" in e.source


def test_wrong_name_gives_precise_complaint() -> None:
    e = ex("```python\ndef helper(v):\n    return v\n\ndef pick_var(a, b, c):\n"
           "    return helper(a)\n```")
    assert e.status is ExtractStatus.WRONG_NAME and e.found_name == "pick_var"
    assert e.complaint == ("you defined `pick_var(a, b, c)`; the function must be "
                           "`def pick_best_variable(state, scores, rng_state):`")
    assert "def helper" in e.source


def test_wrong_arity_returns_source_with_complaint() -> None:
    for sig in ("state, scores", "state, scores, rng_state, extra", "*args"):
        e = ex(f"```python\ndef pick_best_variable({sig}):\n    return 0\n```")
        assert e.status is ExtractStatus.WRONG_ARITY, sig
        assert e.source is not None and "exactly 3" in e.complaint


def test_syntax_error_names_the_line() -> None:
    e = ex("```python\ndef pick_best_variable(state, scores, rng_state):\n    x = = 1\n"
           "    return x\n```")
    assert e.status is ExtractStatus.SYNTAX_ERROR and "line 2" in e.complaint
    assert "x = = 1" in e.complaint


def test_truncation_signals() -> None:
    half = "```python\ndef pick_best_variable(state, scores, rng_state):\n    x = 1\n"
    assert ex(half, "length").status is ExtractStatus.TRUNCATED
    assert ex(half).status is ExtractStatus.TRUNCATED  # unclosed fence, finish unknown
    assert ex(half, "stop").ok  # the model ended it itself and it parses
    assert ex(half + "    y = max(x,\n", "stop").status is ExtractStatus.TRUNCATED
    assert ex(half + "    y = x +\n", "stop").status is ExtractStatus.TRUNCATED
    assert ex("```python\n" + DEF + "```\nAnd then the expl", "length").ok  # code was complete
    assert ex("Let me think about this problem step by", "length").status is \
        ExtractStatus.TRUNCATED
    assert "cut off" in ex(half, "length").complaint


def test_repetition_deduplicated_or_flagged() -> None:
    e = ex(("```python\n" + DEF + "```\n") * 3)
    assert e.ok and e.source.count("def ") == 1 and any("repeated" in n for n in e.notes)
    e = ex("```python\n" + (DEF + "\n") * 5 + "```")
    assert e.ok and e.source.count("def ") == 1
    loop = "```python\ndef pick_best_variable(state, scores, rng_state):\n" + \
        "    x = 1\n" * 40
    e = ex(loop, "length")
    assert e.status is ExtractStatus.TRUNCATED and any("degenerate" in n for n in e.notes)


def test_think_tags_and_no_code() -> None:
    e = ex("<think>maybe def pick_best_variable(a):</think>\n```python\n" + DEF + "```")
    assert e.ok
    e = ex("I am sorry, I cannot do that.")
    assert e.status is ExtractStatus.NO_CODE and e.source is None and "no Python function" in \
        e.complaint


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400) |
       st.lists(st.sampled_from(["```", "```python\n", "~~~", "\n", "def ", NAME, "(", ")", ":",
                                 "    ", "return", "{", "}", "Idea:", ",".join(ARGS), "<think>",
                                 "import math", "\\", "'''", "#", "\t", "@", "class "]),
                max_size=60).map("".join),
       st.sampled_from([None, "stop", "length"]))
def test_extraction_never_raises(text: str, finish: str | None) -> None:
    e = ex(text, finish)
    assert isinstance(e.status, ExtractStatus)
    assert e.ok == (e.complaint == "")
    if e.source is None:
        assert e.status in (ExtractStatus.NO_CODE, ExtractStatus.TRUNCATED)
    if e.ok:
        assert any(isinstance(n, ast.FunctionDef) and n.name == NAME
                   for n in ast.parse(e.source).body)
