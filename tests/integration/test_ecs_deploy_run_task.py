"""run-task with a real image under Docker (pushed to the emulator's ECR, logs shipped to its CloudWatch Logs):
a failing migration's exit code and log tail stop the step before any service changes; a passing one lets the
services roll."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsEndpoint
from tests.integration.emulator.test_ecs_docker import _push
from tests.integration.emulator.test_ecs_docker import docker as docker
from tests.integration.test_ecs_deploy_rollout import Ecs, wait

pytestmark = pytest.mark.e2e


def test_migrations_fail_with_their_log_tail_then_pass_and_the_services_roll(
        aws_emulator: Any, docker: dict[str, str], tmp_path: Path, run_cli: Any) -> None:
    image = _push(aws_emulator, docker, tmp_path, f"migrate-{uuid.uuid4().hex[:8]}")
    suffix = uuid.uuid4().hex[:8]
    ecs = Ecs(AwsEndpoint(aws_emulator.endpoint_url), f"c-{suffix}", f"api-{suffix}")
    ecs.client.create_cluster(clusterName=ecs.cluster)
    group = f"/ecs/{ecs.family}"
    ecs.aws.client("logs").create_log_group(logGroupName=group)
    live = ecs.client.register_task_definition(
        family=ecs.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": image, "essential": True, "command": ["sleep", "3600"],
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": group, "awslogs-region": "us-east-1",
                                   "awslogs-stream-prefix": "api"}}}])["taskDefinition"]["taskDefinitionArn"]
    ecs.service("api", live, desired=1)
    try:
        assert wait(lambda: ecs.settled("api"), 120)
        base = ["ecs-deploy", "--cluster", ecs.cluster, "--services", "api", "--environment-variables",
                "RELEASE=2", "--timeout", "5m"]

        failing = run_cli(*base, "--run-task", "sh -c 'echo applying 0042_users; echo relation users exists >&2; "
                          "exit 3'", env=ecs.aws.env)

        assert failing.code == 1, failing.log
        assert "run-task (sh -c" in failing.log and "exited 3" in failing.log
        assert "| relation users exists" in failing.log  # the task's log tail, from CloudWatch Logs
        assert "the services were not updated" in failing.log
        assert ecs.described("api")["taskDefinition"] == live

        passing = run_cli(*base, "--run-task", "sh -c 'echo migrated'", env=ecs.aws.env)

        assert passing.code == 0, passing.log
        assert "run-task exited 0" in passing.log and passing.outputs["status"] == "SUCCESSFUL"
        assert ecs.described("api")["taskDefinition"] == passing.outputs["task-definition-arn"] != live
    finally:
        ecs.client.delete_service(cluster=ecs.cluster, service="api", force=True)
