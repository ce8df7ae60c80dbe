"""`deploy-actions emulator fault scan-findings|alarm --for-seconds` and `emulator lifecycle` as a user runs
them against a detached emulator; `emulator stop` ends its registry too, and so does a SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.emulator.conftest import wait_for
from tests.integration.emulator.ecr_registry import RegistryClient, need_registry_binary
from tests.integration.emulator.test_cli import emulator_cli, exported, start_detached


def _registry_processes(state: Path) -> list[str]:
    """The docker-registry processes serving a config under `state` (the emulator's own)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(state).encode() in part for part in command) and b"serve" in command:
            found.append(proc.name)
    return found


def test_scan_findings_lifecycle_and_a_scripted_alarm_from_the_cli(tmp_path: Path) -> None:
    need_registry_binary()
    state = tmp_path / "state"
    started = start_detached(state, "--clock-factor", "600")
    try:
        assert started.returncode == 0, started.stderr
        endpoint = exported(started)["AWS_ENDPOINT_URL"]

        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")

        ecr, cloudwatch = client("ecr"), client("cloudwatch")
        name = f"cli/{uuid.uuid4().hex[:8]}"
        ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
        fault = emulator_cli(state, "fault", "scan-findings", "--repository", name, "--finding", "CVE-2024-9=HIGH")
        assert fault.returncode == 0, fault.stderr
        assert json.loads(fault.stdout)["scan_findings"][0]["findings"][0]["severity"] == "HIGH"
        registry = RegistryClient(ecr)
        assert registry.push_image(name, "v1", "old").status == 201
        assert registry.push_image(name, "v1", "new").status == 201  # the old image is untagged now
        ecr.get_waiter("image_scan_complete").wait(repositoryName=name, imageId={"imageTag": "v1"},
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        counts = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
        assert counts["imageScanFindings"]["findingSeverityCounts"] == {"HIGH": 1}

        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps({"rules": [{
            "rulePriority": 1, "action": {"type": "expire"}, "selection": {
                "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}}]}))
        lifecycle = emulator_cli(state, "lifecycle", "--repository", name, "--days-later", "31")
        assert lifecycle.returncode == 0, lifecycle.stderr
        assert len(json.loads(lifecycle.stdout)["expired"]) == 1
        assert [d.get("imageTags") for d in ecr.describe_images(repositoryName=name)["imageDetails"]] == [["v1"]]

        cloudwatch.put_metric_alarm(AlarmName="cli-alarm", Namespace="Test", MetricName="Errors", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanThreshold")
        alarm = emulator_cli(state, "fault", "alarm", "--alarm", "cli-alarm", "--at", "0", "--for-seconds", "30")
        assert alarm.returncode == 0, alarm.stderr

        def summaries() -> list[str]:
            items = cloudwatch.describe_alarm_history(AlarmName="cli-alarm", HistoryItemType="StateUpdate",
                                                      ScanBy="TimestampAscending")["AlarmHistoryItems"]
            return [item["HistorySummary"] for item in items]

        wait_for(lambda: len(summaries()) == 2)
        assert summaries() == ["Alarm updated from INSUFFICIENT_DATA to ALARM",
                               "Alarm updated from ALARM to INSUFFICIENT_DATA"]
        assert _registry_processes(state)
    finally:
        stopped = emulator_cli(state, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert _registry_processes(state) == []


def test_a_killed_emulator_takes_its_registry_along(tmp_path: Path) -> None:
    need_registry_binary()
    if not shutil.which("setpriv"):
        pytest.skip("without util-linux's setpriv a SIGKILLed emulator leaves its registry (docs/emulator.md)")
    state = tmp_path / "state"
    started = start_detached(state)
    assert started.returncode == 0, started.stderr
    record = json.loads((state / "emulator.json").read_text())
    try:
        ecr = boto3.client("ecr", endpoint_url=record["endpoint"], region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        ecr.get_authorization_token()  # starts the registry
        assert _registry_processes(state)
    finally:
        os.kill(int(record["pid"]), signal.SIGKILL)
    wait_for(lambda: _registry_processes(state) == [], timeout=20)
