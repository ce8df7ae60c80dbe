"""`deploy-actions emulator ...` as a user runs it: a detached emulator, seeded, faulted, stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3


def emulator_cli(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`deploy-actions emulator ...` through the package's entry point, as the console script runs it."""
    return subprocess.run([sys.executable, "-m", "deploy_actions", "emulator", "--state-dir", str(state_dir), *args],
                          capture_output=True, text=True, timeout=90, check=False,
                          env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})


def start_detached(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`deploy-actions emulator start --detach` on a free port, in this process's environment."""
    return subprocess.run([sys.executable, "-m", "deploy_actions", "emulator", "start", "--state-dir", str(state_dir),
                           "--detach", "--port", "0", *args], capture_output=True, text=True, timeout=90, check=False)


def exported(started: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The `export NAME=value` lines `start --detach` prints, by name."""
    return dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines())


def test_start_seed_fault_status_env_stop(tmp_path: Path) -> None:
    state = tmp_path / "state"
    started = start_detached(state, "--clock-factor", "600")
    try:
        assert started.returncode == 0, started.stderr
        exports = exported(started)
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert exports["AWS_ACCESS_KEY_ID"] == "testing" and exports["AWS_REGION"] == "us-east-1"
        env = emulator_cli(state, "env")
        assert env.stdout == started.stdout

        seeded = emulator_cli(state, "seed", "ec2-rolling")
        assert seeded.returncode == 0, seeded.stderr
        out: dict[str, Any] = json.loads(seeded.stdout)
        codedeploy = boto3.client("codedeploy", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1",
                                  aws_access_key_id="testing", aws_secret_access_key="testing")
        group = codedeploy.get_deployment_group(applicationName=out["application"],
                                                deploymentGroupName=out["deployment_group"])["deploymentGroupInfo"]
        assert group["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
        assert group["deploymentStyle"]["deploymentType"] == "IN_PLACE"

        fault = emulator_cli(state, "fault", "hook", "--event", "ValidateService", "--instance", "2")
        assert fault.returncode == 0, fault.stderr
        assert json.loads(fault.stdout)["hooks"] == [{"event": "ValidateService", "instance": 2, "exit_code": 1,
                                                      "times": 1}]
        status = emulator_cli(state, "status")
        assert "load balancer web: http://127.0.0.1:" in status.stdout
        # each listener by its ARN with its own address: the ARN switch-listener takes, the URL a test-url needs
        listener = json.loads(emulator_cli(state, "status", "--json").stdout)["listeners"][out["listener_arn"]]
        assert f"\n  listener    http://{listener} {out['listener_arn']}\n" in status.stdout
        assert "ValidateService" in status.stdout
        # each instance with its fleet: its Auto Scaling group and, once registered, its target group
        deadline = time.monotonic() + 60
        while status.stdout.count("(group web-asg, in web-tg)") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            status = emulator_cli(state, "status")
        assert status.stdout.count("(group web-asg, in web-tg)") == 2, status.stdout
        refused = tmp_path / "refused.yml"  # AWS wants a health check's timeout below its interval
        refused.write_text("load_balancer: {name: x, forward: x-tg, target_groups: "
                           "[{name: x-tg, health_check: {interval: 5, timeout: 10}}]}\n")
        seeding = emulator_cli(state, "seed", str(refused))
        assert seeding.returncode == 1 and "Traceback" not in seeding.stderr, seeding.stderr
        assert seeding.stderr.startswith(f"deploy-actions emulator: seeding {refused} stopped (what was created "
                                         "before stays): An error occurred (ValidationError) when calling the "
                                         "CreateTargetGroup operation: "), seeding.stderr
        bad = emulator_cli(state, "fault", "throttle", "--fraction", "2")
        assert bad.returncode == 1 and "between 0 and 1" in bad.stderr
    finally:
        stopped = emulator_cli(state, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert emulator_cli(state, "status").returncode == 1


def test_start_on_a_busy_port_names_it_and_suggests_port_0(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for detach in ([], ["--detach"]):
            started = emulator_cli(tmp_path / "state", "start", "--port", str(port), *detach)
            assert started.returncode == 1, started.stderr
            assert f"port {port} on 127.0.0.1 is in use" in started.stderr
            assert "--port 0" in started.stderr
            assert not (tmp_path / "state" / "emulator.json").exists()
