"""ECS rolling deployments on the emulator, over HTTP: what `describe_services`, the Service
Deployment APIs, the target group and the ALB show while a service rolls out, fails, rolls back.

Tasks are stand-ins (no Docker): docker labels `deploy-actions.emulator.*` on the container set
their fate (docs/emulator.md, "ECS").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.integration.emulator.conftest import answer, wait_for

BROKEN_IMAGE = {"deploy-actions.emulator.fail-to-start":
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"}
SLOW = {"deploy-actions.emulator.start-seconds": "60000"}  # 100 s at the tests' clock: still rolling


class Service:
    """A seeded `ecs-fargate-rolling` environment and helpers over boto3."""

    def __init__(self, emulator: Emulator, prefix: str, configuration: dict[str, Any] | None) -> None:
        scenario = load_scenario("ecs-fargate-rolling")
        if configuration is not None:
            scenario["ecs"]["service"]["deployment_configuration"] = configuration
        self.emulator = emulator
        self.out = seed(emulator.client, scenario, prefix=prefix)
        self.ecs = emulator.client("ecs")
        self.cluster, self.name = self.out["cluster"], self.out["service"]
        self.first = self.out["task_definition_arn"]
        self.container = scenario["ecs"]["task_definition"]["container"]
        self.wait_stable()

    def describe(self) -> dict[str, Any]:
        return dict(self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0])

    def wait_stable(self) -> dict[str, Any]:
        self.ecs.get_waiter("services_stable").wait(cluster=self.cluster, services=[self.name],
                                                    WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
        # services_stable passes once the tasks run; the rollout completes when they are healthy too
        return dict(wait_for(lambda: (s := self.describe())["deployments"][0]["rolloutState"] == "COMPLETED" and s))

    def register(self, labels: dict[str, str] | None = None) -> str:
        container = {"name": self.container["name"], "image": self.container["image"].replace("initial", "next"),
                     "portMappings": [{"containerPort": self.container["port"]}], "dockerLabels": labels or {}}
        return str(self.ecs.register_task_definition(
            family=self.out["task_family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
            memory="1024", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"])

    def deploy(self, task_definition: str) -> str:
        """UpdateService; the new service deployment's ARN."""
        self.ecs.update_service(cluster=self.cluster, service=self.name, taskDefinition=task_definition)
        return str(self.describe()["currentServiceDeployment"])

    def service_deployment(self, arn: str) -> dict[str, Any]:
        found = self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        return dict(found["serviceDeployments"][0])

    def wait_deployment(self, arn: str, statuses: tuple[str, ...]) -> dict[str, Any]:
        return dict(wait_for(lambda: (d := self.service_deployment(arn))["status"] in statuses and d, timeout=60))

    def messages(self) -> list[str]:
        return [e["message"] for e in reversed(self.describe()["events"])]  # oldest first

    def tasks(self, desired: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=self.name, desiredStatus=desired)["taskArns"]
        return list(self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]) if arns else []

    def url(self, path: str = "/") -> str:
        return self.emulator.listener_url(self.out["listener_arn"]) + path


@pytest.fixture
def service(emulator: Emulator, unique: str) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def make(configuration: dict[str, Any] | None = None) -> Service:
        made.append(Service(emulator, f"t{unique}-", configuration))
        return made[-1]

    yield make
    for svc in made:  # the session's emulator keeps probing what is left running
        svc.ecs.delete_service(cluster=svc.cluster, service=svc.name, force=True)


def test_a_healthy_rolling_deployment_completes(service: Callable[..., Service], emulator: Emulator) -> None:
    svc = service()
    created = svc.describe()
    assert created["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert wait_for(lambda: answer(svc.url()) == f"{svc.out['task_family']}:1")
    first_sd = svc.service_deployment(created["currentServiceDeployment"])
    second = svc.register()

    arn = svc.deploy(second)
    rolling = svc.describe()
    assert [(d["status"], d["taskDefinition"]) for d in rolling["deployments"]] == [
        ("PRIMARY", second), ("ACTIVE", svc.first)]
    assert rolling["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    done = svc.wait_stable()

    assert [(d["status"], d["taskDefinition"], d["rolloutState"], d["runningCount"]) for d in done["deployments"]] \
        == [("PRIMARY", second, "COMPLETED", 2)]
    assert done["taskDefinition"] == second and done["runningCount"] == 2 and done["pendingCount"] == 0
    deployment = svc.service_deployment(arn)
    assert deployment["status"] == "SUCCESSFUL"
    assert deployment["targetServiceRevision"]["runningTaskCount"] == 2
    assert deployment["sourceServiceRevisions"][0]["arn"] == first_sd["targetServiceRevision"]["arn"]
    assert deployment["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"
    revision = svc.ecs.describe_service_revisions(serviceRevisionArns=[deployment["targetServiceRevision"]["arn"]])
    assert revision["serviceRevisions"][0]["taskDefinition"] == second
    messages = svc.messages()
    new_id = done["deployments"][0]["id"]
    assert f"(service {svc.name}) (deployment {new_id}) deployment completed." in messages
    assert messages[-1] == f"(service {svc.name}) has reached a steady state."
    assert any(m.startswith(f"(service {svc.name}) has started 2 tasks: (task ") for m in messages)
    assert any(m.startswith(f"(service {svc.name}) registered 2 targets in (target-group ") for m in messages)
    # the new tasks, and only they, are the target group's healthy targets; the ALB reaches them
    tasks = svc.tasks()
    assert {t["taskDefinitionArn"] for t in tasks} == {second} and {t["lastStatus"] for t in tasks} == {"RUNNING"}
    addresses = {t["attachments"][0]["details"][0]["value"] for t in tasks}
    group = svc.out["target_groups"]["voj-backend-api"]
    elbv2 = emulator.client("elbv2")
    healthy = wait_for(lambda: {d["Target"]["Id"] for d in elbv2.describe_target_health(
        TargetGroupArn=group)["TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy"} == addresses)
    assert healthy
    assert wait_for(lambda: answer(svc.url()) == f"{svc.out['task_family']}:2")


def test_a_broken_image_trips_the_circuit_breaker_and_rolls_back(service: Callable[..., Service]) -> None:
    svc = service()
    previous = svc.service_deployment(svc.describe()["currentServiceDeployment"])["targetServiceRevision"]["arn"]
    broken = svc.register(BROKEN_IMAGE)

    arn = svc.deploy(broken)
    failed_id = svc.describe()["deployments"][0]["id"]
    deployment = svc.wait_deployment(arn, ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED", "SUCCESSFUL"))

    assert deployment["status"] == "ROLLBACK_SUCCESSFUL"
    assert deployment["rollback"]["serviceRevisionArn"] == previous
    assert deployment["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert deployment["deploymentCircuitBreaker"]["threshold"] == 3
    assert deployment["deploymentCircuitBreaker"]["failureCount"] >= 3
    done = svc.wait_stable()
    assert done["taskDefinition"] == svc.first
    assert [(d["taskDefinition"], d["rolloutState"]) for d in done["deployments"]] == [(svc.first, "COMPLETED")]
    messages = svc.messages()
    prefix = f"(service {svc.name}) (deployment {failed_id})"
    failed_at = messages.index(f"{prefix} deployment failed: tasks failed to start.")
    rollback = done["deployments"][0]["id"]
    assert messages[failed_at + 1] == f"{prefix} rolling back to deployment {rollback}."
    assert messages[-1] == f"(service {svc.name}) has reached a steady state."
    stopped = [t for t in svc.tasks("STOPPED") if t["taskDefinitionArn"] == broken]
    assert len(stopped) >= 3
    assert {t["stopCode"] for t in stopped} == {"TaskFailedToStart"}
    assert stopped[0]["stoppedReason"].startswith("CannotPullContainerError: ")
    assert wait_for(lambda: answer(svc.url()) == f"{svc.out['task_family']}:1")


def test_without_rollback_the_failed_deployment_stops(service: Callable[..., Service]) -> None:
    svc = service({"deploymentCircuitBreaker": {"enable": True, "rollback": False}})

    arn = svc.deploy(svc.register(BROKEN_IMAGE))
    deployment = svc.wait_deployment(arn, ("ROLLBACK_SUCCESSFUL", "STOPPED", "SUCCESSFUL"))

    assert deployment["status"] == "STOPPED"
    primary = svc.describe()["deployments"][0]
    assert (primary["rolloutState"], primary["rolloutStateReason"]) == (
        "FAILED", "ECS deployment circuit breaker: tasks failed to start.")
    assert svc.describe()["deployments"][1]["runningCount"] == 2  # the old tasks keep serving


def test_an_alarm_rolls_the_deployment_back(service: Callable[..., Service], emulator: Emulator) -> None:
    svc = service()
    alarm = f"{svc.out['cluster'].split('-')[0]}-voj-backend-5xx"
    svc.ecs.update_service(cluster=svc.cluster, service=svc.name, deploymentConfiguration={
        "alarms": {"alarmNames": [alarm], "enable": True, "rollback": True}})

    arn = svc.deploy(svc.register(SLOW))
    emulator.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx")
    deployment = svc.wait_deployment(arn, ("ROLLBACK_SUCCESSFUL", "STOPPED", "SUCCESSFUL"))

    assert deployment["status"] == "ROLLBACK_SUCCESSFUL"
    assert deployment["alarms"] == {"status": "TRIGGERED", "alarmNames": [alarm], "triggeredAlarmNames": [alarm]}
    assert svc.wait_stable()["taskDefinition"] == svc.first
    assert any(m.endswith("deployment failed: alarm detected.") for m in svc.messages())


def test_stop_service_deployment_rolls_back(service: Callable[..., Service]) -> None:
    svc = service()
    arn = svc.deploy(svc.register(SLOW))
    listed = svc.ecs.list_service_deployments(cluster=svc.cluster, service=svc.name, status=["IN_PROGRESS"])
    assert [d["serviceDeploymentArn"] for d in listed["serviceDeployments"]] == [arn]

    assert svc.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
    assert svc.service_deployment(arn)["status"] in (
        "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL")
    deployment = svc.wait_deployment(arn, ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"))

    assert deployment["status"] == "ROLLBACK_SUCCESSFUL"
    assert svc.wait_stable()["taskDefinition"] == svc.first
    with pytest.raises(svc.ecs.exceptions.ConflictException):
        svc.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")


def test_stop_service_deployment_abort_leaves_the_service_as_it_is(service: Callable[..., Service]) -> None:
    svc = service()
    arn = svc.deploy(svc.register(SLOW))

    svc.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
    deployment = svc.wait_deployment(arn, ("STOPPED", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"))

    assert deployment["status"] == "STOPPED" and "ABORT" in deployment["statusReason"]
    service_now = svc.describe()
    assert [(d["status"], d["rolloutState"]) for d in service_now["deployments"]] == [
        ("PRIMARY", "FAILED"), ("ACTIVE", "COMPLETED")]
    assert service_now["deployments"][1]["runningCount"] == 2  # the old tasks still serve
    assert wait_for(lambda: answer(svc.url()) == f"{svc.out['task_family']}:1")
    with pytest.raises(svc.ecs.exceptions.ServiceDeploymentNotFoundException):
        svc.ecs.stop_service_deployment(serviceDeploymentArn=arn + "x", stopType="ABORT")


def test_a_service_without_a_load_balancer_is_replaced_in_place(emulator: Emulator, unique: str) -> None:
    out = seed(emulator.client, load_scenario("ecs-dev-rolling"), prefix=f"t{unique}-")
    ecs = emulator.client("ecs")

    def completed() -> Any:
        found = ecs.describe_services(cluster=out["cluster"], services=[out["service"]])["services"][0]
        return len(found["deployments"]) == 1 and found["deployments"][0]["rolloutState"] == "COMPLETED" and found

    try:
        first = wait_for(completed, timeout=60)["deployments"][0]["id"]
        ecs.update_service(cluster=out["cluster"], service=out["service"], forceNewDeployment=True)
        done = wait_for(lambda: (s := completed()) and s["deployments"][0]["id"] != first and s, timeout=60)

        assert done["runningCount"] == 1 and done["taskDefinition"] == out["task_definition_arn"]
        messages = [e["message"] for e in reversed(done["events"])]
        name = out["service"]
        stopped = next(i for i, m in enumerate(messages) if m.startswith(f"(service {name}) has stopped 1 running"))
        started = [i for i, m in enumerate(messages) if m.startswith(f"(service {name}) has started 1 tasks")]
        assert started[0] < stopped < started[1]  # minimumHealthyPercent 0, maximumPercent 100: stop, then start
    finally:
        ecs.delete_service(cluster=out["cluster"], service=out["service"], force=True)


def test_tasks_failing_elb_health_checks_trip_a_count_threshold(service: Callable[..., Service]) -> None:
    svc = service({"deploymentCircuitBreaker": {"enable": True, "rollback": True,
                                                "thresholdConfiguration": {"type": "COUNT", "value": 2}}})
    unhealthy = svc.register({"deploy-actions.emulator.health": "unhealthy"})

    arn = svc.deploy(unhealthy)
    deployment = svc.wait_deployment(arn, ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED", "SUCCESSFUL"))

    assert deployment["status"] == "ROLLBACK_SUCCESSFUL"
    assert deployment["deploymentCircuitBreaker"]["threshold"] == 2
    stopped = [t for t in svc.tasks("STOPPED") if t["taskDefinitionArn"] == unhealthy]
    group = svc.out["target_groups"]["voj-backend-api"]
    failed = [t for t in stopped if t["stoppedReason"] == f"Task failed ELB health checks in (target-group {group})"]
    assert len(failed) >= 2  # the rest were stopped by the rollback ("Scaling activity initiated by ...")
    task_id = failed[0]["taskArn"].rsplit("/", 1)[-1]
    assert f"(service {svc.name}) (task {task_id}) (port 8000) is unhealthy in (target-group {group}) due to " \
           "(reason Health checks failed with these codes: [500])." in svc.messages()
    assert svc.wait_stable()["taskDefinition"] == svc.first
