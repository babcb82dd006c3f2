"""Property-based fuzzing of every reader and CLI option: exit 0 or 2, never a traceback.

Hypothesis feeds random bytes, random text, huge numbers, other scripts' digits and boundary
values to the OPB/WBO, TSPLIB (instances and tours) and optima-CSV readers, to run configs and
settings (TOML), and to the options of ``slots``, ``check``, ``solve``, ``evolve``, ``show``
and ``export``. A reader must return or raise a :class:`~heurevo.errors.HeurevoError`; a
command must exit 0 or 2 with no traceback and no "internal error".

``HEUREVO_FUZZ_EXAMPLES`` sets the examples per reader test (default 150; CLI tests run a fifth
as many); ``HEUREVO_FUZZ_EXAMPLES=1500`` gives over 10,000 generated inputs. ``HEUREVO_FUZZ_REPORT=FILE``
writes how many inputs each test ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import string
from collections import Counter
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heurevo.cli import run_cli
from heurevo.config import Settings, from_mapping, load_settings, load_toml
from heurevo.engine.run_config import RunConfig
from heurevo.engine.run_lock import LOCK_FILE
from heurevo.errors import HeurevoError
from heurevo.instances.formats.opb import parse_pb, read_pb
from heurevo.instances.formats.optima import read_optima
from heurevo.instances.formats.tsplib import parse_tour, parse_tsp, read_tsp
from heurevo.solvers.pbo.instance import build_instance
from heurevo.solvers.tsp.instance import arrays_from_tsplib

EXAMPLES = int(os.environ.get("HEUREVO_FUZZ_EXAMPLES", "150"))
_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much,
           HealthCheck.data_too_large]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=_HEALTH)
#: CLI examples run whole commands (some solve for real): a fifth as many.
FUZZ_CLI = settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
COUNTS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    out = os.environ.get("HEUREVO_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps({"total": sum(COUNTS.values()), **COUNTS}, indent=1))


# --- building blocks -----------------------------------------------------------------------

ODD_NUMBERS = ["0", "-0", "+0", "1", "-1", "1e300", "-1e300", "1e309", "nan", "NaN", "inf", "-inf",
               "1_000", "１", "٣", "+２", "x１", "9223372036854775807", "9223372036854775808",
               "-9223372036854775809", "4611686018427387904", "1e-300", "0x10", "1.5", ".5",
               "5.", "", " ", "1e", "--1", "10" * 40, "\x00", "७"]
numbers = st.one_of(st.integers().map(str), st.integers(-10**30, 10**30).map(str),
                    st.sampled_from(ODD_NUMBERS), st.floats().map(repr),
                    st.text(alphabet="0123456789+-.eE", max_size=12))
words = st.text(alphabet=string.printable + "éß１٣\u200b", max_size=20)


def joined(parts: st.SearchStrategy[str], sep: str, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(parts, max_size=max_size).map(sep.join)


def fuzzed(structured: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly structured text, sometimes any text at all."""
    return st.one_of(structured, structured, structured, st.text(max_size=200))


def count(name: str) -> None:
    COUNTS[name] += 1


# --- readers --------------------------------------------------------------------------------

opb_tokens = st.one_of(numbers, numbers.map(lambda n: f"+{n}"), numbers.map(lambda n: f"x{n}"),
                       numbers.map(lambda n: f"~x{n}"), st.sampled_from([">=", "<=", "=", ">", "<",
                       ";", "min:", "max:", "soft:", "*", "x", "~", "+", "-"]),
                       numbers.map(lambda n: f"[{n}]"))
opb_lines = st.one_of(joined(opb_tokens, " ", 12), numbers.map(lambda n: f"* #variable= {n} #constraint= 1"))
opb_text = fuzzed(joined(opb_lines, "\n", 12))


@FUZZ
@given(text=opb_text, wbo=st.booleans())
def test_fuzz_opb_and_wbo(text: str, wbo: bool) -> None:
    count("opb")
    try:
        formula = parse_pb(text, "f.opb", wbo=wbo)
    except HeurevoError:
        return
    with contextlib.suppress(HeurevoError):
        build_instance(formula, "f.opb")


tsp_keys = st.sampled_from(["NAME", "TYPE", "COMMENT", "DIMENSION", "EDGE_WEIGHT_TYPE",
                            "EDGE_WEIGHT_FORMAT", "NODE_COORD_TYPE", "CAPACITY", "BOGUS"])
tsp_values = st.one_of(numbers, words, st.sampled_from(["TSP", "ATSP", "EUC_2D", "CEIL_2D", "ATT",
                       "GEO", "EUC_3D", "EXPLICIT", "FULL_MATRIX", "UPPER_ROW", "LOWER_DIAG_ROW",
                       "UPPER_COL", "3", "2", "1", "a/b", "x" * 300]))
tsp_lines = st.one_of(st.tuples(tsp_keys, tsp_values).map(lambda kv: f"{kv[0]} : {kv[1]}"),
                      st.sampled_from(["NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "EOF",
                                       "DISPLAY_DATA_SECTION", "TOUR_SECTION", "-1"]),
                      joined(numbers, " ", 4))
tsp_text = fuzzed(joined(tsp_lines, "\n", 16))


@FUZZ
@given(text=tsp_text)
def test_fuzz_tsplib_instances(text: str) -> None:
    count("tsplib")
    try:
        inst = parse_tsp(text, "f.tsp")
    except HeurevoError:
        return
    arrays_from_tsplib(inst)


@FUZZ
@given(text=tsp_text)
def test_fuzz_tsplib_tours(text: str) -> None:
    count("tour")
    with contextlib.suppress(HeurevoError):
        parse_tour(text, "f.tour")


csv_cells = st.one_of(numbers, words, st.sampled_from(["INFEASIBLE", "optimal", '"', '""', "a,b"]))
csv_text = fuzzed(joined(joined(csv_cells, ",", 5), "\n", 8).map(
    lambda body: "name,optimal_length,file,reference_obj,reference_kind\n" + body))


@FUZZ
@given(text=csv_text, raw=st.binary(max_size=64), use_raw=st.booleans())
def test_fuzz_optima_csv(tmp_path_factory, text: str, raw: bytes, use_raw: bool) -> None:
    count("optima")
    path = tmp_path_factory.mktemp("optima") / "optima.csv"
    if use_raw:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8")
    for key, value, kind in (("name", "optimal_length", None), ("file", "reference_obj", "reference_kind")):
        with contextlib.suppress(HeurevoError):
            read_optima(path, key, value, kind=kind)


@FUZZ
@given(raw=st.binary(max_size=300), suffix=st.sampled_from([".opb", ".wbo", ".tsp"]))
def test_fuzz_random_bytes_as_instance_files(tmp_path_factory, raw: bytes, suffix: str) -> None:
    count("bytes")
    path = tmp_path_factory.mktemp("bytes") / f"f{suffix}"
    path.write_bytes(raw)
    with contextlib.suppress(HeurevoError):
        read_tsp(path) if suffix == ".tsp" else read_pb(path)


def _config_keys(cls: type, prefix: str = "") -> list[str]:
    import dataclasses

    keys = []
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            keys += _config_keys(type(default), f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


RUN_KEYS = [*_config_keys(RunConfig), "bogus", "budget.bogus"]
SETTINGS_KEYS = [*_config_keys(Settings), "bogus"]
toml_values = st.one_of(st.integers(-2**70, 2**70), st.floats(), st.booleans(), words,
                        st.sampled_from(["pbo", "tsp", "gp", "llm", "autopbo", "pbo-tiny", "http://x"]),
                        st.lists(st.one_of(st.integers(-5, 5), words), max_size=3),
                        st.dictionaries(words, st.integers(-5, 5), max_size=2))


def _nest(items: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in items.items():
        *heads, last = key.split(".")
        node = out
        for h in heads:
            nxt = node.setdefault(h, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[last] = value
    return out


def _toml(keys: list[str]) -> st.SearchStrategy[bytes]:
    tables = st.dictionaries(st.sampled_from(keys), toml_values, max_size=4).map(_nest)
    return st.one_of(tables.map(lambda d: tomli_w.dumps(d).encode()),
                     st.binary(max_size=100), st.text(max_size=100).map(str.encode))


@FUZZ
@given(raw=_toml(RUN_KEYS))
def test_fuzz_run_config_toml(tmp_path_factory, raw: bytes) -> None:
    count("run_config")
    path = tmp_path_factory.mktemp("cfg") / "run.toml"
    path.write_bytes(raw)
    with contextlib.suppress(HeurevoError):
        load_toml(RunConfig, path)


@FUZZ
@given(raw=_toml(SETTINGS_KEYS))
def test_fuzz_settings_toml(tmp_path_factory, raw: bytes) -> None:
    count("settings")
    path = tmp_path_factory.mktemp("settings") / "heurevo.toml"
    path.write_bytes(raw)
    with contextlib.suppress(HeurevoError):
        load_settings(path)


# --- CLI options ----------------------------------------------------------------------------

option_values = st.one_of(numbers, words, st.sampled_from(["pbo", "tsp", "penalty_obj", "gp"]))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Small real inputs: a broken TSP, a heuristic file, a locked run folder, a plain file."""
    base = tmp_path_factory.mktemp("cli-fuzz")
    src = base / "h.py"
    src.write_text("def penalty_obj(x):\n    return x\n")
    run = base / "run"
    run.mkdir()
    from heurevo.config import dump_toml

    dump_toml(from_mapping(RunConfig, {"suite": {"name": "pbo-tiny"}}), run / "config.toml")
    (run / LOCK_FILE).write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    broken = base / "broken.tsp"
    broken.write_text("NAME : b\nTYPE : TSP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : EUC_2D\n"
                      "NODE_COORD_SECTION\n1 0 0\n2 x 0\nEOF\n")
    blocker = base / "a-file"
    blocker.write_text("not a folder")
    return {"broken": broken, "src": src, "run": run, "blocker": blocker}


def assert_clean(capsys, args: list[str]) -> None:
    status = run_cli(args)
    out, err = capsys.readouterr()
    assert status in (0, 2), (args, status, out[-500:], err[-2000:])
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    if status == 2:
        assert err.strip().count("\n") == 0 or "Usage" in err + out, (args, err)


@FUZZ_CLI
@given(steps=option_values, time_s=option_values, seed=option_values, bound=option_values,
       heuristics=option_values)
def test_fuzz_solve_options(capsys, files, steps: str, time_s: str, seed: str, bound: str,
                            heuristics: str) -> None:
    count("cli_solve")
    # the instance has an error after its header: every option is parsed and checked, and no
    # kernel runs (real solves with checked options are in test_cli_inputs)
    assert_clean(capsys, ["solve", str(files["broken"]), "--steps", steps, "--time", time_s,
                          "--seed", seed, "--lower-bound", bound])
    assert_clean(capsys, ["solve", str(files["broken"]), "--heuristics", heuristics])


@FUZZ_CLI
@given(steps=option_values, timeout=option_values, problem=option_values)
def test_fuzz_check_options(capsys, files, steps: str, timeout: str, problem: str) -> None:
    count("cli_check")
    # an unknown slot ends the command after the options are checked (no sandbox started)
    assert_clean(capsys, ["check", str(files["src"]), "--problem", problem, "--slot", "no_such_slot",
                          "--steps", steps, "--timeout", timeout])


evolve_flags = st.sampled_from(["--problem", "--suite", "--slots", "--proposer", "--evaluations",
                                "--seed", "--workers", "--llm-model", "--llm-base-url"])


@FUZZ_CLI
@given(flags=st.lists(st.tuples(evolve_flags, option_values), max_size=5), resume=st.booleans())
def test_fuzz_evolve_options(capsys, files, flags: list[tuple[str, str]], resume: bool) -> None:
    count("cli_evolve")
    args = [x for pair in flags for x in pair]
    # resuming: the folder is locked by this process; starting: the folder cannot be created
    target = files["run"] if resume else files["blocker"] / "run"
    assert_clean(capsys, ["evolve", *(["--resume"] if resume else []), "--run-dir", str(target), *args])


@FUZZ_CLI
@given(problem=option_values, slot=option_values, path=words, top=option_values)
def test_fuzz_slots_show_export(capsys, files, problem: str, slot: str, path: str, top: str) -> None:
    count("cli_other")
    assert_clean(capsys, ["slots", problem, slot])
    assert_clean(capsys, ["show", str(files["blocker"].parent / (path or "x")), "--top", top])
    assert_clean(capsys, ["export", str(files["run"]), "--out", str(files["blocker"] / "b.py")])
