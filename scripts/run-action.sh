#!/usr/bin/env bash
# Bootstrap for the composite actions: create (once per action version and lock file) a cached
# virtual environment holding deploy-actions, then exec its CLI. A second action in the same job,
# or a later job on the same runner, reuses it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# This script is part of the key too: how it builds the environment (e.g. bytecode) is part of it.
key="$(cat "$root/uv.lock" "$root/pyproject.toml" "$root/src/deploy_actions/__init__.py" "${BASH_SOURCE[0]}" \
  | sha256sum | cut -c1-16)"
cache="${DEPLOY_ACTIONS_CACHE:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/deploy-actions}"
venv="$cache/venv-$key"

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
