"""One-off ECS tasks on the emulator (migrations): RunTask, DescribeTasks, StopTask and the
tasks_stopped waiter, with exit codes, stopCode and stoppedReason. Stand-in tasks: docker labels
`deploy-actions.emulator.*` set their fate (docs/emulator.md, "ECS")."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from tests.integration.emulator.conftest import answer, wait_for


@pytest.fixture
def cluster(emulator: Emulator, unique: str) -> dict[str, Any]:
    ecs, ec2 = emulator.client("ecs"), emulator.client("ec2")
    name = f"t{unique}-jobs"
    ecs.create_cluster(clusterName=name)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:1]]
    return {"name": name, "network": {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}}


def _definition(ecs: Any, family: str, labels: dict[str, str], port: int | None = None) -> str:
    container: dict[str, Any] = {"name": "migrate", "image": "example/app:1", "command": ["./manage.py", "migrate"],
                                 "dockerLabels": labels}
    if port:
        container["portMappings"] = [{"containerPort": port}]
    return str(ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"])


def test_a_one_off_task_exits_1_with_its_reason(emulator: Emulator, cluster: dict[str, Any], unique: str) -> None:
    ecs = emulator.client("ecs")
    definition = _definition(ecs, f"t{unique}-migrate", {
        "deploy-actions.emulator.exit-code": "1", "deploy-actions.emulator.exit-after": "30"})

    started = ecs.run_task(cluster=cluster["name"], taskDefinition=definition, launchType="FARGATE",
                           networkConfiguration=cluster["network"], startedBy="deploy-actions")
    task_arn = started["tasks"][0]["taskArn"]
    assert started["tasks"][0]["lastStatus"] == "PROVISIONING" and started["failures"] == []
    ecs.get_waiter("tasks_stopped").wait(cluster=cluster["name"], tasks=[task_arn],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})

    task = ecs.describe_tasks(cluster=cluster["name"], tasks=[task_arn])["tasks"][0]
    assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert (task["stopCode"], task["stoppedReason"]) == (
        "EssentialContainerExited", "Essential container in task exited")
    assert task["containers"][0]["exitCode"] == 1
    assert task["startedBy"] == "deploy-actions" and task["taskDefinitionArn"] == definition
    assert task["startedAt"] <= task["stoppedAt"]
    listed = ecs.list_tasks(cluster=cluster["name"], family=f"t{unique}-migrate", desiredStatus="STOPPED")
    assert listed["taskArns"] == [task_arn]


def test_a_task_that_cannot_start_and_one_stopped_by_hand(emulator: Emulator, cluster: dict[str, Any],
                                                          unique: str) -> None:
    ecs = emulator.client("ecs")
    broken = _definition(ecs, f"t{unique}-broken", {
        "deploy-actions.emulator.fail-to-start": "CannotPullContainerError: pull access denied"})
    server = _definition(ecs, f"t{unique}-server", {"deploy-actions.emulator.body": "hello"}, port=8080)

    failed = ecs.run_task(cluster=cluster["name"], taskDefinition=broken, launchType="FARGATE",
                          networkConfiguration=cluster["network"])["tasks"][0]["taskArn"]
    running = ecs.run_task(cluster=cluster["name"], taskDefinition=server, launchType="FARGATE",
                           networkConfiguration=cluster["network"])["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_running").wait(cluster=cluster["name"], tasks=[running],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    described = ecs.describe_tasks(cluster=cluster["name"], tasks=[running])["tasks"][0]
    address = described["attachments"][0]["details"][0]["value"]
    assert answer(f"http://{address}:8080/") == "hello"  # the task listens on its own address
    stopped = ecs.stop_task(cluster=cluster["name"], task=running, reason="done with it")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    ecs.get_waiter("tasks_stopped").wait(cluster=cluster["name"], tasks=[failed, running],
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})

    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster=cluster["name"], tasks=[failed, running])["tasks"]}
    assert (tasks[failed]["stopCode"], tasks[failed]["stoppedReason"]) == (
        "TaskFailedToStart", "CannotPullContainerError: pull access denied")
    assert "startedAt" not in tasks[failed] and "exitCode" not in tasks[failed]["containers"][0]
    assert (tasks[running]["stopCode"], tasks[running]["stoppedReason"]) == ("UserInitiated", "done with it")
    assert wait_for(lambda: answer(f"http://{address}:8080/") == "")
    missing = ecs.describe_tasks(cluster=cluster["name"], tasks=["0123456789abcdef0123456789abcdef"])
    assert missing["failures"][0]["reason"] == "MISSING"


def test_task_output_reaches_its_awslogs_group(emulator: Emulator, cluster: dict[str, Any], unique: str) -> None:
    ecs, logs = emulator.client("ecs"), emulator.client("logs")
    group = f"/ecs/t{unique}-migrate"
    logs.create_log_group(logGroupName=group)

    def definition(log_group: str) -> str:
        container = {"name": "migrate", "image": "example/app:1", "dockerLabels": {
            "deploy-actions.emulator.logs": "applying 0042_orders\nmigration failed: relation exists",
            "deploy-actions.emulator.exit-code": "1"},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "job"}}}
        return str(ecs.register_task_definition(
            family=f"t{unique}-logged", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"])

    arns = [ecs.run_task(cluster=cluster["name"], taskDefinition=definition(name), launchType="FARGATE",
                         networkConfiguration=cluster["network"])["tasks"][0]["taskArn"]
            for name in (group, f"{group}-missing")]
    ecs.get_waiter("tasks_stopped").wait(cluster=cluster["name"], tasks=arns,
                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})

    logged, missing = ecs.describe_tasks(cluster=cluster["name"], tasks=arns)["tasks"]
    task_id = logged["taskArn"].rsplit("/", 1)[-1]
    events = logs.filter_log_events(logGroupName=group, filterPattern="migration")["events"]
    assert [(e["logStreamName"], e["message"]) for e in events] == [
        (f"job/migrate/{task_id}", "migration failed: relation exists")]
    assert missing["stopCode"] == "TaskFailedToStart"
    assert missing["stoppedReason"].startswith("ResourceInitializationError: failed to validate logger args")
