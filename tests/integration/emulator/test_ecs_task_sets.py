"""Task sets of a CODE_DEPLOY-controlled ECS service on the emulator (Fargate, where moto alone
crashes): the PRIMARY task set the service starts with, CreateTaskSet running its tasks in its own
target group, UpdateServicePrimaryTaskSet, DeleteTaskSet draining the old one."""

from __future__ import annotations

from typing import Any

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.integration.emulator.conftest import wait_for


def test_task_sets_run_their_tasks_in_their_target_groups(emulator: Emulator, unique: str) -> None:
    scenario = load_scenario("ecs-blue-green")
    scenario["ecs"].pop("service")
    out = seed(emulator.client, scenario, prefix=f"t{unique}-")
    ecs, elbv2 = emulator.client("ecs"), emulator.client("elbv2")
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    network = {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}  # no securityGroups
    blue, green = out["target_groups"]["shop-blue"], out["target_groups"]["shop-green"]
    cluster, name = out["cluster"], f"t{unique}-cd"
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=out["task_definition_arn"], desiredCount=2,
                       launchType="FARGATE", networkConfiguration=network,
                       deploymentController={"type": "CODE_DEPLOY"},
                       loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 8080}])

    def sets() -> list[dict[str, Any]]:
        return list(ecs.describe_services(cluster=cluster, services=[name])["services"][0]["taskSets"])

    def healthy(group: str) -> int:
        return sum(1 for d in elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
                   if d["TargetHealth"]["State"] == "healthy")

    try:
        [original] = wait_for(lambda: (found := sets()) and found[0]["stabilityStatus"] == "STEADY_STATE" and found)
        assert (original["status"], original["computedDesiredCount"], original["runningCount"]) == ("PRIMARY", 2, 2)
        created = ecs.create_task_set(
            cluster=cluster, service=name, taskDefinition=out["task_definition_arn"], externalId="d-EMULATED1",
            launchType="FARGATE", networkConfiguration=network, scale={"value": 50.0, "unit": "PERCENT"},
            loadBalancers=[{"targetGroupArn": green, "containerName": "web", "containerPort": 8080}])["taskSet"]
        assert (created["status"], created["externalId"]) == ("ACTIVE", "d-EMULATED1")
        wait_for(lambda: healthy(green) == 1)  # 50 % of 2
        ecs.update_task_set(cluster=cluster, service=name, taskSet=created["id"], scale={"value": 100.0,
                                                                                         "unit": "PERCENT"})
        wait_for(lambda: healthy(green) == 2)

        ecs.update_service_primary_task_set(cluster=cluster, service=name, primaryTaskSet=created["taskSetArn"])
        ecs.delete_task_set(cluster=cluster, service=name, taskSet=original["id"])
        [remaining] = wait_for(lambda: len(found := sets()) == 1 and found)

        assert (remaining["id"], remaining["status"], remaining["runningCount"]) == (created["id"], "PRIMARY", 2)
        assert wait_for(lambda: healthy(blue) == 0)
    finally:
        ecs.delete_service(cluster=cluster, service=name, force=True)


def test_a_task_set_task_failing_elb_health_checks_is_reported_as_unhealthy(emulator: Emulator, unique: str) -> None:
    """The same event as a rolling deployment's task (its target group, its port, the health check's reason)."""
    scenario = load_scenario("ecs-blue-green")
    scenario["ecs"].pop("service")
    out = seed(emulator.client, scenario, prefix=f"t{unique}-")
    ecs = emulator.client("ecs")
    containers = ecs.describe_task_definition(taskDefinition=out["task_definition_arn"])["taskDefinition"][
        "containerDefinitions"]
    containers[0]["dockerLabels"] = {"deploy-actions.emulator.health": "unhealthy"}
    unhealthy = ecs.register_task_definition(
        family=out["task_family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    blue, cluster, name = out["target_groups"]["shop-blue"], out["cluster"], f"t{unique}-cd"
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=unhealthy, desiredCount=1,
                       launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"},
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
                       loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 8080}])

    def stopped() -> list[dict[str, Any]]:
        arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus="STOPPED")["taskArns"]
        return list(ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]) if arns else []

    try:
        [task, *_] = wait_for(stopped)
        assert task["stoppedReason"] == f"Task failed ELB health checks in (target-group {blue})"
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        messages = [e["message"] for e in ecs.describe_services(cluster=cluster, services=[name])["services"][0][
            "events"]]
        assert f"(service {name}) (task {task_id}) (port 8080) is unhealthy in (target-group {blue}) due to " \
               "(reason Health checks failed with these codes: [500])." in messages
    finally:
        ecs.delete_service(cluster=cluster, service=name, force=True)
