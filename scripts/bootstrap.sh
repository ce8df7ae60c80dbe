#!/usr/bin/env bash
# Make sure uv exists and .venv/ matches uv.lock (all extras, dev tools). Used by `make`; safe to rerun.
# Needs only Python 3.11+; uv comes from PATH, ~/.local/bin, or is installed from PyPI with pip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_uv() {
  command -v uv 2>/dev/null && return
  for candidate in "$HOME/.local/bin/uv" .cache/bootstrap/bin/uv; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  return 1
}

install_uv() {
  echo "bootstrap: installing uv from PyPI" >&2
  # User site first; Debian marks its Python externally managed (PEP 668), which --user may still hit.
  if python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip install --quiet --user uv 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages uv \
      && return 0
  fi
  # No pip: a private virtual environment just for uv (python3-venv on Debian).
  python3 -m venv .cache/bootstrap && .cache/bootstrap/bin/pip install --quiet uv
}

uv=$(find_uv) || { install_uv && uv=$(find_uv); } || {
  echo "bootstrap: could not get uv; install it (https://docs.astral.sh/uv/) or python3-pip, then rerun" >&2
  exit 2
}
"$uv" sync --all-extras --frozen
