"""Stopping a deployment on timeout or cancel when ECS is already rolling it back, or when it ended since the last
poll: ECS answers StopServiceDeployment ConflictException then, which must not become the step's error."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from deploy_actions.core.platform import Reporter
from deploy_actions.ecs.deploy import EcsDeployer
from deploy_actions.ecs.plan import Target
from deploy_actions.ecs.rollout import Rollout

LIVE = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/api/abc"


def deployer() -> tuple[EcsDeployer, Any, io.StringIO]:
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    log = io.StringIO()
    return EcsDeployer(ecs, Reporter(log, {}), None, "us-east-1"), ecs, log  # type: ignore[arg-type]


def rollout(status: str) -> Rollout:
    target = Target("api", {}, LIVE, {}, arn=LIVE.replace(":7", ":8"))
    found = Rollout(target, datetime.now(UTC), arn=ARN)
    found.status = status
    return found


def test_a_deployment_ecs_already_rolls_back_is_left_to_finish_without_a_stop_call() -> None:
    ecs_deployer, ecs, log = deployer()
    rolling_back = rollout("ROLLBACK_IN_PROGRESS")

    with Stubber(ecs) as stub:  # no response queued: any call would fail the test
        ecs_deployer._stop("c", rolling_back, True)
        stub.assert_no_pending_responses()

    assert rolling_back.rolled_back
    assert "api: ECS is already rolling its deployment back (ROLLBACK_IN_PROGRESS); left to finish, back to web:7" \
        in log.getvalue()


def test_a_stop_ecs_refuses_as_a_conflict_is_a_warning_not_the_failure() -> None:
    ecs_deployer, ecs, log = deployer()
    in_progress = rollout("IN_PROGRESS")

    with Stubber(ecs) as stub:
        stub.add_client_error("stop_service_deployment", "ConflictException",
                              "The service deployment is SUCCESSFUL and can't be stopped.",
                              expected_params={"serviceDeploymentArn": ARN, "stopType": "ROLLBACK"})
        ecs_deployer._stop("c", in_progress, True)

    assert "api: not stopped: " in log.getvalue() and "can't be stopped" in log.getvalue()
    assert not in_progress.rolled_back
