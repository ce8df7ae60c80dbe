"""The import contracts in pyproject.toml hold, and they catch an import that breaks a layer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}  # ahead of the installed (editable) package
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def copy_of_the_code(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "src" / "deploy_actions", tmp_path / "src" / "deploy_actions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "src" / "deploy_actions"


def test_the_code_keeps_every_contract() -> None:
    done = lint_imports(ROOT / "src", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("module", "bad_import", "contract"), [
    ("core/summary.py", "from deploy_actions.codedeploy import state", "product layers"),
    ("aws/s3.py", "from deploy_actions.bundle import upload", "product layers"),
    ("codedeploy/report.py", "from deploy_actions.bundle import archive", "product layers"),
    ("actions/package_revision.py", "from deploy_actions.actions import codedeploy_deploy",
     "action modules never import each other"),
    ("core/outputs.py", "import deploy_actions.emulator.server", "product code never imports the emulator"),
    ("emulator/seed.py", "from deploy_actions.core import durations", "an independent oracle"),
    ("emulator/core/clock.py", "from deploy_actions.emulator.codedeploy import events", "emulator layers"),
    ("emulator/codedeploy/engine.py", "from deploy_actions.emulator.elbv2 import alb", "emulator layers"),
    ("emulator/codedeploy/engine.py", "from deploy_actions.emulator.codedeploy import api_revisions",
     "CodeDeploy's engine imports no handler"),
    ("emulator/ecs/rolling.py", "from deploy_actions.emulator.ecs import api_services",
     "ECS's engine imports no handler"),
    ("emulator/elbv2/alb.py", "from deploy_actions.emulator.cloudwatch import alarms", "emulator layers"),
    ("emulator/ecr/service.py", "from deploy_actions.emulator.ecr import api",
     "ECR's registry, images and rules import no handler"),
    ("emulator/cloudwatch/alarms.py", "from deploy_actions.emulator.cloudwatch import api",
     "CloudWatch's evaluator imports no handler"),
])
def test_an_import_across_a_boundary_breaks_a_contract(tmp_path: Path, module: str, bad_import: str,
                                                       contract: str) -> None:
    package = copy_of_the_code(tmp_path)
    target = package / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    done = lint_imports(tmp_path / "src", tmp_path)
    assert done.returncode == 1, done.stdout
    broken = [line for line in done.stdout.splitlines() if " BROKEN" in line]
    assert any(contract in line for line in broken), done.stdout
