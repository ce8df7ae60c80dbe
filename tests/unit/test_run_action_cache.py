"""scripts/run-action.sh caches the actions' environment; a checkout with other code must not reuse it.

A stand-in `uv` on PATH builds an "environment" whose deploy-actions prints the source it was built from, so
the real script's cache decision is what the test observes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_UV = """#!/usr/bin/env bash
# uv sync --project ROOT: "install" by recording the source's marker in the environment's deploy-actions
set -eu
project="${@: -1}"
mkdir -p "$UV_PROJECT_ENVIRONMENT/bin"
printf '#!/bin/sh\\necho built from %s\\n' "$(cat "$project/src/deploy_actions/marker.txt")" \\
  > "$UV_PROJECT_ENVIRONMENT/bin/deploy-actions"
chmod +x "$UV_PROJECT_ENVIRONMENT/bin/deploy-actions"
"""


def checkout(at: Path, marker: str) -> Path:
    for name in ("scripts/run-action.sh", "uv.lock", "pyproject.toml", "src/deploy_actions/__init__.py"):
        (at / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, at / name)
    (at / "src/deploy_actions/marker.txt").write_text(marker)
    return at


def run(action: Path, tmp_path: Path) -> str:
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    (tools / "uv").write_text(FAKE_UV)
    (tools / "uv").chmod(0o755)
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "DEPLOY_ACTIONS_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(["bash", str(action / "scripts/run-action.sh")], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_same_checkout_reuses_its_environment_and_changed_code_gets_its_own(tmp_path: Path) -> None:
    action = checkout(tmp_path / "action", "first")
    assert run(action, tmp_path) == "built from first"
    (action / "src/deploy_actions/marker.txt").write_text("second")  # same version and lock, other code
    assert run(action, tmp_path) == "built from second"
    assert run(action, tmp_path) == "built from second"  # and that one is reused
    assert len(list((tmp_path / "cache").glob("venv-*[!k]"))) == 2
