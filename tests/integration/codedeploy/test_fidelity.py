"""codedeploy-deploy against AWS's documented behaviour, as the emulator now answers it.

- S3 answers a malformed versionId with 400 (InvalidArgument), not 404: the run still refuses it as
  bad input (exit 2, s3-version) before any deployment exists.
- A deployment stopped by someone else (console, CLI, another pipeline) is Stopped/MANUAL_STOP; the
  lifecycle event in flight runs to its end, the rest is Skipped: the run says who stopped it and what
  ran then, never that a hook failed.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.integration.codedeploy.test_codedeploy_deploy import deploy_args, deployment_ids
from tests.integration.emulator.conftest import Environment, wait_for


def test_a_malformed_version_id_is_refused_before_any_deployment(environment: Any, emulator: Any,
                                                                 run_cli: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1)
    emulator.client("s3").put_bucket_versioning(Bucket=env["bucket"],
                                                VersioningConfiguration={"Status": "Enabled"})
    key = env.revision("1")["s3Location"]["key"]
    url = f"s3://{env['bucket']}/{key}?versionId=not-a-version-id"

    result = run_cli(*deploy_args(env, None, "--revision", url), env=emulator.env())

    assert result.code == 2, result.log
    assert "s3-version" in result.log and "not-a-version-id" in result.log
    assert "(400)" in result.log  # S3's answer to a malformed version id, as on AWS (moto alone says 404)
    assert deployment_ids(env) == []


def stop_when_running(env: Environment, event: str, stopped: list[str]) -> None:
    """Someone else's StopDeployment (console, CLI, another pipeline) while `event` runs somewhere: once the
    event before it ended and `event` itself has not."""

    def running() -> str | None:
        ids = deployment_ids(env)
        if not ids:
            return None
        found = env.codedeploy.list_deployment_targets(deploymentId=ids[0])["targetIds"] if \
            env.info(ids[0])["status"] == "InProgress" else []
        for target_id in found:
            events = env.target(ids[0], target_id)["lifecycleEvents"]
            index = next(i for i, e in enumerate(events) if e["lifecycleEventName"] == event)
            if events[index - 1]["status"] == "Succeeded" and events[index]["status"] in ("Pending", "InProgress"):
                return str(ids[0])
        return None

    deployment_id = wait_for(running, timeout=30)
    env.codedeploy.stop_deployment(deploymentId=deployment_id)
    stopped.append(deployment_id)


def test_a_deployment_stopped_from_outside_is_reported_as_a_stop(environment: Any, emulator: Any, run_cli: Any,
                                                                 tmp_path: Path) -> None:
    env: Environment = environment("ec2-rolling", instances=2)  # rolls back on failure and alarm, not on a stop
    emulator.faults.delay("BeforeInstall", 1800, times=1)  # the first instance's BeforeInstall runs ~3 s
    stopped: list[str] = []
    stopper = threading.Thread(target=stop_when_running, args=(env, "BeforeInstall", stopped), daemon=True)
    stopper.start()

    result = run_cli(*deploy_args(env, env.revision("1")), env=emulator.env())
    stopper.join(timeout=30)

    assert result.code == 1, result.log
    assert result.outputs["status"] == "Stopped" and stopped == [result.outputs["deployment-id"]]
    instances = json.loads(result.outputs["instances"])
    assert [i["status"] for i in instances] == ["Failed", "Skipped"]
    assert {i["failed-hook"] for i in instances} == {""}
    first = instances[0]["id"]
    assert (f"[MANUAL_STOP]: the deployment was stopped (StopDeployment: console, CLI or another pipeline) "
            f"while BeforeInstall ran on {first}") in result.log
    assert "failed on" not in result.log  # no hook failed: it was stopped
    # What AWS shows: the event in flight ran to its end, nothing after it ran.
    events = {e["lifecycleEventName"]: e["status"] for e in env.target(stopped[0], first)["lifecycleEvents"]}
    assert events["BeforeInstall"] == "Succeeded" and events["Install"] == "Skipped"
    summary = (tmp_path / "summary.md").read_text()
    assert "Pending" not in summary and "InProgress" not in summary
    assert "while BeforeInstall ran on" in summary


def test_the_sequence_check_sees_the_newest_run_past_the_listing_limit(environment: Any, emulator: Any,
                                                                        run_cli: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy_actions.codedeploy import deploy

    # A busy group: more successful deployments in 90 days than the action reads (200), here 2.
    monkeypatch.setattr(deploy, "SEARCHED_DEPLOYMENTS", 2)
    env: Environment = environment("ec2-rolling", instances=1)
    ci = {**emulator.env(), "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/deploy.yml@refs/heads/main"}
    for number in ("1", "2", "3"):
        run = run_cli(*deploy_args(env, env.revision(number)), env={**ci, "GITHUB_RUN_NUMBER": number})
        assert run.code == 0 and run.outputs["status"] == "Succeeded", run.log

    late = run_cli(*deploy_args(env, env.revision("2")), env={**ci, "GITHUB_RUN_NUMBER": "2"})

    assert late.code == 0, late.log
    assert late.outputs["status"] == "Skipped", late.log  # run #3 is newer: #2 must not deploy over it
