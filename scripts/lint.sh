#!/usr/bin/env bash
# Static checks `make lint` runs: Python lint and types, import layers, generated front doors in sync, the GitHub
# workflows and actions (actionlint, zizmor), and the GitLab files against GitLab's CI schema.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin
shopt -s nullglob
actions=(action.yml */action.yml)
workflows=(workflows-examples/github/*.yml workflows-examples/github/*.yaml)
gitlab=(templates/*.yml gitlab-templates/*.yml workflows-examples/gitlab/*.yml workflows-examples/gitlab/*.yaml)
failed=()

step() {  # run one check, keep going, report every failure at the end
  local name=$1; shift
  echo "--- $name"
  if ! "$@"; then failed+=("$name"); fi
}

step "ruff" "$bin/ruff" check .
step "mypy (strict, src/)" "$bin/mypy"
step "import layers (lint-imports)" "$bin/lint-imports" --no-cache
step "front doors match the models" "$bin/python" -m deploy_actions.frontdoors --check
step "actionlint (example workflows)" "$bin/actionlint" "${workflows[@]}"
# The auditor persona: also secrets outside a deployment environment and every other pedantic finding.
step "zizmor --persona auditor (actions and example workflows)" "$bin/zizmor" --offline --quiet \
  --persona auditor --config zizmor.yml "${actions[@]}" "${workflows[@]}"
step "GitLab CI schema (components and example pipelines)" "$bin/python" scripts/check_gitlab_ci.py "${gitlab[@]}"

if ((${#failed[@]})); then
  printf 'lint failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "lint: all checks passed"
