"""Run reports and the runs listing, from a tiny real evolution; rendered in headless Chromium."""

from __future__ import annotations

import base64
import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from heurevo.engine.session import STORE_FILE
from heurevo.populations.records import (
    Candidate,
    CandidateState,
    EvalStatus,
    EvaluationResult,
    Stage,
)
from heurevo.populations.store import SQLiteStore

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
SECTIONS = ("verdict", "budgets", "convergence", "leaderboard", "best", "failures", "population", "config")


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([sys.executable, "-m", "heurevo", *args], capture_output=True, text=True,
                         timeout=900, env=env)
    assert res.returncode == 0, f"heurevo {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str, dict[str, str]]:
    """A tiny real GP run on pbo-tiny, a hostile failed candidate added, and its report."""
    root = tmp_path_factory.mktemp("report")
    env = {**os.environ, "HEUREVO_CONFIG_DIR": str(root / "cfg"), "HEUREVO_RUNS_DIR": str(root / "runs"),
           "COLUMNS": "160"}
    run = root / "runs" / "tiny"
    cli(env, "evolve", "--problem", "pbo", "--suite", "pbo-tiny", "--evaluations", "6", "--seed", "2",
        "--workers", "2", "--run-dir", str(run))
    store = SQLiteStore(run / STORE_FILE)
    cand = Candidate.new("pbo", {"pick_best_variable": HOSTILE}, idea=HOSTILE, operator="mutate")
    store.add_candidate(cand)
    store.record_evaluation(f"{cand.id}/train/x", EvaluationResult(
        cand.id, EvalStatus.REJECTED, Stage.CHECKS, error=HOSTILE, feedback=HOSTILE),
        CandidateState.REJECTED)
    store.close()
    out = root / "report.html"
    cli(env, "report", str(run), "--out", str(out), "--seeds", "1", "--test-suite", "none",
        "--cache", str(root / "board.sqlite"))
    return out, out.read_text(encoding="utf-8"), env


@pytest.mark.slow
def test_report_has_every_section_valid_inline_images_and_escapes_candidate_text(report) -> None:
    _, page, _ = report
    for section in SECTIONS:
        assert f'<section id="{section}"' in page
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    assert "rejected" in page  # the failure kind, with its (escaped) example
    assert re.search(r"(src|href)=\"(https?:)?//", page) is None  # nothing from the network
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(uris) >= 4  # convergence, profile, population, lineage
    for uri in uris:
        raw = base64.b64decode(uri, validate=True)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            assert img.width > 100 and img.height > 100
    assert "paired Wilcoxon" in page and "leaderboard: pbo-tiny validation" in page


@pytest.mark.slow
def test_runs_lists_the_run_with_status_and_verdict(report) -> None:
    _, _, env = report
    res = cli(env, "runs")
    line = next(x for x in res.stdout.splitlines() if x.startswith("tiny"))
    assert "finished" in line and "pbo" in line
    assert re.search(r"default kept|better than the default", line)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_report_renders_in_headless_chromium_without_network(report, tmp_path) -> None:
    path, _, _ = report
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,2000", path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # not a blank page
    dom = subprocess.run([*flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    body = re.search(r'<body data-images="(\d+)" data-images-decoded="(\d+)"', dom)
    assert body is not None, dom[:500]
    assert int(body.group(1)) >= 4 and body.group(1) == body.group(2)
    assert "pwned" not in dom.split("</title>")[0]  # the candidate's script did not run


@pytest.mark.slow
def test_a_run_folder_is_a_leaderboard_entry_and_reuses_the_reports_runs(report) -> None:
    path, _, env = report
    run = Path(env["HEUREVO_RUNS_DIR"]) / "tiny"
    res = cli(env, "leaderboard", "--suite", "pbo-tiny", "--entry", "default", "--entry", str(run),
              "--seeds", "1", "--cache", str(path.parent / "board.sqlite"), "--format", "csv")
    rows = {line.split(",")[0]: line for line in res.stdout.splitlines()[1:]}
    assert set(rows) == {"default", "tiny"}
    reused = re.search(r"(\d+) runs evaluated, (\d+) from the cache", res.stderr)
    assert reused is not None and int(reused.group(2)) >= 2  # the validation runs of the report
