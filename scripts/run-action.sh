#!/usr/bin/env bash
# Bootstrap for the composite actions: create (once per action version and lock file) a cached
# virtual environment holding deploy-actions, then exec its CLI. A second action in the same job,
# or a later job on the same runner, reuses it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# This script is part of the key too: how it builds the environment (e.g. bytecode) is part of it. So is
# every source file (names and contents): a checkout with changed code, as when rehearsing a change under
# act, gets its own environment instead of silently running the code cached for the same version.
sources="$(cd "$root" && find src -type f ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)"
key="$( (cat "$root/uv.lock" "$root/pyproject.toml" "${BASH_SOURCE[0]}"; printf '%s' "$sources") \
  | sha256sum | cut -c1-16)"
cache="${DEPLOY_ACTIONS_CACHE:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/deploy-actions}"
venv="$cache/venv-$key"

# Without uv on PATH (hosted runners do not put ~/.local/bin on it), fetch uv itself with the host's
# pip: one pinned version, any of its wheels' sha256 below (pip refuses a file matching none), kept in
# the cache. Prints the binary's path; fails (and the pip path below is taken) when there is no host pip
# or no index. Regenerate the hashes from https://pypi.org/simple/uv/ when changing the version.
uv_version=0.13.9
uv_hashes=(
  d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19 # manylinux_2_17_x86_64
  2c45530751517d6c3bbc69a19473f6effe47cce047bede01ffd8af7ea7b36b25 # musllinux_1_1_x86_64
  5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe # manylinux_2_17_aarch64 + musllinux
  ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375 # manylinux_2_28_aarch64
  c16ed11e013557536b3e60065f1b912f6407bd6518e041b961e23ef9e6b4fbf5 # macosx_10_12_x86_64
  66c512266d633bef48384a1f53003f41f2a8e7b36fe6e7fbfd3e0fd52d96fa63 # macosx_11_0_arm64
)
fetch_uv() {
  local dir="$cache/uv-$uv_version" req
  if [ ! -x "$dir/uv" ]; then
    python3 -m pip --version >/dev/null 2>&1 || return 1
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    req="uv==$uv_version"
    for hash in "${uv_hashes[@]}"; do req+=" --hash=sha256:$hash"; done
    echo "$req" >"$dir.tmp/requirements.txt"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$dir.tmp/requirements.txt" -d "$dir.tmp" >&2 || { rm -rf "$dir.tmp"; return 1; }
    python3 - "$dir.tmp" <<'PY' || { rm -rf "$dir.tmp"; return 1; }
import os, sys, zipfile
from pathlib import Path
folder = Path(sys.argv[1])
(wheel,) = folder.glob("uv-*.whl")
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith(".data/scripts/uv"))
    (folder / "uv").write_bytes(archive.read(name))
os.chmod(folder / "uv", 0o755)
wheel.unlink()
PY
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/uv"
}

if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  exec 9>"$cache/venv-$key.lock"
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    started=$(date +%s)
    echo "deploy-actions: creating its environment in $venv (once per version)" >&2
    rm -rf "$venv"
    # Bytecode is compiled at install time (uv: --compile-bytecode; pip does by default), so no run
    # depends on writing .pyc: PYTHONDONTWRITEBYTECODE=1 or a read-only cache would otherwise make
    # every start compile ~430 modules (benchmarks/RESULTS.md, Bootstrap).
    if command -v uv >/dev/null 2>&1; then
      UV_PROJECT_ENVIRONMENT="$venv" uv sync --quiet --frozen --no-dev --no-editable --compile-bytecode \
        --project "$root" >&2
    elif uv=$(fetch_uv); then
      # The same hash-pinned requirements.lock as the pip path below, only faster; from where pip is
      # told to look (a mirror, a wheel folder) when uv is told nothing.
      [ -n "${PIP_INDEX_URL:-}" ] && export UV_INDEX_URL="${UV_INDEX_URL:-$PIP_INDEX_URL}"
      [ -n "${PIP_FIND_LINKS:-}" ] && export UV_FIND_LINKS="${UV_FIND_LINKS:-${PIP_FIND_LINKS// /,}}"
      case "${PIP_NO_INDEX:-}" in 1 | [Tt]rue | [Yy]es | on) export UV_NO_INDEX="${UV_NO_INDEX:-1}" ;; esac
      "$uv" venv --quiet --python "$(command -v python3)" "$venv" >&2
      "$uv" pip install --quiet --python "$venv/bin/python" --compile-bytecode --require-hashes \
        --only-binary :all: -r "$root/src/deploy_actions/frontdoors/requirements.lock" >&2
      "$uv" pip install --quiet --python "$venv/bin/python" --compile-bytecode --no-deps "$root" >&2
    else
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet --disable-pip-version-check \
        --require-hashes -r "$root/src/deploy_actions/frontdoors/requirements.lock" >&2
      "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$root" >&2
    fi
    touch "$venv/.complete"
    echo "deploy-actions: environment ready in $(( $(date +%s) - started ))s" >&2
  fi
  exec 9>&-
fi

exec "$venv/bin/deploy-actions" "$@"
