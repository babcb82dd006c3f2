#!/usr/bin/env bash
# Set up a virtual environment and run the demo or the test suite.
#   bash scripts/dev.sh demo   install, then run the main job
#   bash scripts/dev.sh test   install, then run the whole test suite (extra args go to pytest)
# Installs CPU torch 2.13.0 first (otherwise pip pulls a multi-GB CUDA build), then heurevo with
# all its extras. Re-installs only when pyproject.toml changed. HEUREVO_VENV picks the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${HEUREVO_VENV:-.venv}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
stamp="$venv/.heurevo-installed"

if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet torch==2.13.0
  # compat: the checkout goes on sys.path, so `python -m heurevo` also works from the folder
  # above the clone (the default editable finder loses to that folder as a namespace package)
  "$venv/bin/python" -m pip install --quiet -e ".[all]" --config-settings editable_mode=compat
  "$venv/bin/python" -m pip install --quiet -e examples/heurevo-binpacking --config-settings editable_mode=compat
  touch "$stamp"
fi

task="${1:-}"
shift || true
case "$task" in
  demo) exec "$venv/bin/heurevo" demo "$@" ;;
  # --dist loadfile: a file's tests share one worker, so a module fixture (a warm sandbox pool,
  # a real evolve run) is built once, not once per worker
  test) exec "$venv/bin/python" -m pytest -n 2 --dist loadfile "$@" ;;
  *) echo "usage: bash scripts/dev.sh demo|test [args]" >&2; exit 2 ;;
esac
