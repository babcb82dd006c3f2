"""``heurevo doctor`` reports the sandbox layers a real child gets; ``evolve`` warns when one is off."""

from __future__ import annotations

from heurevo.doctor import sandbox_report
from heurevo.engine.isolation import DISABLE_ENV, LAYERS
from heurevo.engine.sandbox import missing_layer_warning


def test_every_layer_and_probe_is_ok_here() -> None:
    by = {c.name: c for c in sandbox_report()}
    assert set(LAYERS) <= set(by)
    assert all(c.ok is not False for c in by.values()), {n: c.detail for n, c in by.items()}
    assert by["probe: execve"].detail == "killed (SIGSYS)"
    assert by["landlock"].detail.startswith("on (ABI ")
    assert missing_layer_warning() == ""


def test_disabled_layers_show_up_and_the_probes_escape(monkeypatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "seccomp,landlock")
    by = {c.name: c for c in sandbox_report()}
    assert by["seccomp"].ok is False and by["seccomp"].detail == "disabled"
    assert by["landlock"].ok is False
    assert by["netns"].ok is True
    assert by["probe: execve"].ok is False  # the program ran: the child exited with its code
    assert by["probe: write outside"].ok is False
    warning = missing_layer_warning()
    assert warning.startswith("WARNING") and "seccomp: disabled" in warning and "landlock" in warning
