"""ecs-deploy rolling out on the emulator's ECS, over HTTP: the new service deployment followed to its real end,
circuit-breaker rollbacks seen as failures with their events and stopped tasks, rollback-on-failure, run-task,
many services in one loop, keep-revisions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsEndpoint

LABEL = "deploy-actions.emulator."


@dataclass
class Ecs:
    aws: AwsEndpoint
    cluster: str
    family: str

    @property
    def client(self) -> Any:
        return self.aws.client("ecs")

    def register(self, image: str = "repo/app:1", **labels: str) -> str:
        container = {"name": "app", "image": image, "essential": True, "portMappings": [{"containerPort": 8080}],
                     "dockerLabels": {LABEL + k.replace("_", "-"): v for k, v in {"runtime": "stand-in",
                                                                                  **labels}.items()}}
        answer = self.client.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[container])
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def service(self, name: str, task_definition: str, *, rollback: bool = True, desired: int = 2,
                **config: Any) -> str:
        self.client.create_service(
            cluster=self.cluster, serviceName=name, taskDefinition=task_definition, desiredCount=desired,
            launchType="FARGATE", networkConfiguration=self.network(),
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": rollback},
                                     "maximumPercent": 200, "minimumHealthyPercent": 100, **config})
        return name

    def network(self) -> dict[str, Any]:
        ec2 = self.aws.client("ec2")
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
        return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}

    def described(self, name: str) -> dict[str, Any]:
        return dict(self.client.describe_services(cluster=self.cluster, services=[name])["services"][0])

    def settled(self, name: str) -> bool:
        service = self.described(name)
        return len(service["deployments"]) == 1 and service["deployments"][0].get("rolloutState") == "COMPLETED"

    def revisions(self) -> list[str]:
        return list(self.client.list_task_definitions(familyPrefix=self.family, status="ACTIVE")["taskDefinitionArns"])


def wait(condition: Callable[[], bool], seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def ecs(aws: AwsEndpoint) -> Iterator[Ecs]:
    suffix = uuid.uuid4().hex[:8]
    env = Ecs(aws, f"c-{suffix}", f"web-{suffix}")
    env.client.create_cluster(clusterName=env.cluster)
    yield env
    for arn in env.client.list_services(cluster=env.cluster)["serviceArns"]:  # the session's emulator would
        env.client.delete_service(cluster=env.cluster, service=arn, force=True)  # keep probing their tasks


@pytest.fixture
def deploy(ecs: Ecs, run_cli: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: str, **env: str) -> Any:
        return run_cli("ecs-deploy", "--cluster", ecs.cluster, "--timeout", "5m", *args, env={**ecs.aws.env, **env})
    return run


def started(ecs: Ecs, *names: str, image: str = "repo/app:1") -> str:
    """Services running one healthy revision, their first deployment finished."""
    live = ecs.register(image)
    for name in names:
        ecs.service(name, live)
    assert wait(lambda: all(ecs.settled(n) for n in names))
    return live


def test_a_healthy_rolling_rollout_is_followed_to_its_successful_service_deployment(
        ecs: Ecs, deploy: Callable[..., Any], tmp_path: Path) -> None:
    live = started(ecs, "api")

    result = deploy("--services", "api", "--containers", "app=repo/app:2")

    assert result.code == 0, result.log
    out = result.outputs
    assert out["status"] == "SUCCESSFUL" and out["rolled-back"] == "false"
    assert out["previous-task-definition-arn"] == live and out["task-definition-arn"].endswith(":2")
    arn = json.loads(out["service-deployment-arns"])["api"]
    deployment = ecs.client.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert deployment["status"] == "SUCCESSFUL"
    service = ecs.described("api")
    assert service["taskDefinition"] == out["task-definition-arn"] and service["runningCount"] == 2
    assert "api: SUCCESSFUL" in result.log and "has started 2 tasks" in result.log  # events stream as they come
    summary = (tmp_path / "summary.md").read_text()
    assert "| api |" in summary and "```mermaid" in summary


def test_a_broken_image_trips_the_circuit_breaker_and_the_rollback_is_a_failure_explained(
        ecs: Ecs, deploy: Callable[..., Any], tmp_path: Path) -> None:
    live = started(ecs, "api")
    broken = ecs.register("repo/app:broken", fail_to_start="CannotPullContainerError: pull access denied")

    result = deploy("--services", "api", "--task-definition", broken)
    assert result.code == 1, result.log
    out = result.outputs
    assert out["status"] == "ROLLED_BACK" and out["rolled-back"] == "true"
    assert "ROLLBACK_SUCCESSFUL" in result.log
    assert "CannotPullContainerError: pull access denied" in result.log  # the stopped tasks' reason
    assert "deployment failed: tasks failed to start" in out["events"]  # the service events, for a later step
    assert ecs.described("api")["taskDefinition"] == live
    stands = (r"api: ROLLBACK_SUCCESSFUL: Service deployment rolled back because tasks failed to start\.\n +"
              rf"the service runs {re.escape(live.rsplit('/', 1)[-1])} again\n")
    assert re.search(stands, result.log), result.log  # where the service stands, in the message
    summary = (tmp_path / "summary.md").read_text()
    assert f"| ROLLBACK_SUCCESSFUL (rolled back to {live.rsplit('/', 1)[-1]}) |" in summary


def test_a_second_broken_release_lists_its_own_stopped_tasks_not_the_last_ones(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    """ECS keeps stopped tasks for a while: a failure names the tasks that stopped during its step only."""
    started(ecs, "api")
    first = deploy("--services", "api", "--task-definition",
                   ecs.register("repo/app:broken1", fail_to_start="CannotPullContainerError: first release"))
    assert first.code == 1 and "first release" in first.log, first.log

    second = deploy("--services", "api", "--task-definition",
                    ecs.register("repo/app:broken2", fail_to_start="CannotPullContainerError: second release"))

    assert second.code == 1, second.log
    assert "second release" in second.log
    assert "first release" not in second.log  # nor in the error, the summary or the outputs


def test_rollback_on_failure_redeploys_the_previous_definition_when_ecs_did_not(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = ecs.register()
    ecs.service("api", live, rollback=False)  # the circuit breaker stops the rollout and rolls nothing back
    assert wait(lambda: ecs.settled("api"))
    broken = ecs.register("repo/app:broken", fail_to_start="CannotPullContainerError: no such image")

    result = deploy("--services", "api", "--task-definition", broken, "--rollback-on-failure", "true")

    assert result.code == 1, result.log
    assert result.outputs["status"] == "ROLLED_BACK" and result.outputs["rolled-back"] == "true"
    assert "api: STOPPED" in result.log and "rollback-on-failure" in result.log
    assert f"rolled back to {live}" in result.log
    service = ecs.described("api")
    assert service["taskDefinition"] == live and service["deployments"][0]["rolloutState"] == "COMPLETED"


def test_a_failing_run_task_leaves_the_services_untouched(ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = started(ecs, "api")
    migrations = ecs.register("repo/app:2", exit_code="3", stopped_reason="Essential container in task exited")

    result = deploy("--services", "api", "--task-definition", migrations, "--run-task", "./manage.py migrate")

    assert result.code == 1, result.log
    assert "run-task (./manage.py migrate) exited 3" in result.log and "the services were not updated" in result.log
    assert ecs.described("api")["taskDefinition"] == live


def test_three_services_at_once_one_failing(ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = started(ecs, "a", "b")
    alarm = f"{ecs.cluster}-c-5xx"
    cloudwatch = ecs.aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    ecs.service("c", live, alarms={"alarmNames": [alarm], "enable": True, "rollback": True})
    assert wait(lambda: ecs.settled("c"))
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx from the new tasks")

    result = deploy("--services", "a\nb\nc", "--containers", "app=repo/app:2")

    assert result.code == 1, result.log
    assert result.outputs["status"] == "ROLLED_BACK"
    new = result.outputs["task-definition-arn"]
    assert new.endswith(":2") and len(json.loads(result.outputs["service-deployment-arns"])) == 3
    assert [ecs.described(n)["taskDefinition"] for n in "abc"] == [new, new, live]
    assert f"alarms in ALARM: {alarm}" in result.log
    assert "a: SUCCESSFUL" in result.log and "b: SUCCESSFUL" in result.log


def test_keep_revisions_deregisters_old_ones_but_never_the_live_or_previous(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    for n in range(4):
        ecs.register(f"repo/app:old{n}")
    live = started(ecs, "api")  # revision 5

    result = deploy("--services", "api", "--containers", "app=repo/app:6", "--keep-revisions", "1")

    assert result.code == 0, result.log
    assert sorted(ecs.revisions()) == sorted([live, result.outputs["task-definition-arn"]])
    assert "deregistered 4 old revision(s)" in result.log
    # why two remain with keep-revisions 1
    assert f"; kept beyond 1: :{live.rsplit(':', 1)[-1]} (a service runs it or ran it before this step)" in result.log


def sigterm(ecs: Ecs, tmp_path: Path, marker: str, *args: str) -> tuple[int, str]:
    """Run the step in its own process, as on a runner, and send SIGTERM (a cancelled job) once `marker` shows."""
    import queue
    import signal
    import subprocess
    import sys
    import threading
    import time

    process = subprocess.Popen([sys.executable, "-m", "deploy_actions", "ecs-deploy", "--cluster", ecs.cluster, *args],
                               env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **ecs.aws.env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while not any(marker in line for line in seen):
        assert time.monotonic() < deadline, "".join(seen)
        seen.append(lines.get(timeout=60))
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get())
    return process.returncode, "".join(seen)


def test_sigterm_mid_rollout_stops_the_service_deployment_with_rollback(ecs: Ecs, tmp_path: Path) -> None:
    import signal

    live = started(ecs, "api")
    slow = ecs.register("repo/app:2", start_seconds="60000")  # its tasks take ~100 s to start at the test clock

    code, log = sigterm(ecs, tmp_path, "api: IN_PROGRESS", "--services", "api", "--task-definition", slow)

    assert code == 128 + signal.SIGTERM, log
    assert "cancelled (SIGTERM)" in log and "stopping the deployment of api and rolling back" in log
    arns = ecs.client.list_service_deployments(cluster=ecs.cluster, service="api")["serviceDeployments"]
    newest = max(arns, key=lambda d: d["createdAt"])["serviceDeploymentArn"]

    def rolled_back() -> bool:
        found = ecs.client.describe_service_deployments(serviceDeploymentArns=[newest])["serviceDeployments"][0]
        return bool(found["status"] == "ROLLBACK_SUCCESSFUL")

    assert wait(rolled_back)
    assert ecs.described("api")["taskDefinition"] == live


def test_sigterm_during_run_task_stops_the_task_and_touches_no_service(ecs: Ecs, tmp_path: Path) -> None:
    import signal

    live = started(ecs, "api")
    endless = ecs.register("repo/app:2")  # a stand-in runs until stopped: a migration that hangs

    code, log = sigterm(ecs, tmp_path, ": RUNNING", "--services", "api", "--task-definition", endless,
                        "--run-task", "./migrate --wait-for-lock")

    assert code == 128 + signal.SIGTERM, log
    assert "stopping the run-task task" in log and "the services were not updated" in log
    task = log.split("Started ", 1)[1].split()[0]
    assert wait(lambda: ecs.client.describe_tasks(cluster=ecs.cluster, tasks=[task])["tasks"][0]["lastStatus"]
                == "STOPPED")
    assert ecs.described("api")["taskDefinition"] == live


def test_mode_rollback_redeploys_what_the_last_successful_deployment_replaced(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = started(ecs, "api")
    assert deploy("--services", "api", "--containers", "app=repo/app:2").code == 0

    result = deploy("--services", "api", "--mode", "rollback")

    assert result.code == 0, result.log
    assert result.outputs["status"] == "ROLLED_BACK" and result.outputs["task-definition-arn"] == live
    assert f"redeploying {live}" in result.log
    assert ecs.described("api")["taskDefinition"] == live and ecs.settled("api")


def test_mode_stop_stops_the_deployment_in_progress(ecs: Ecs, deploy: Callable[..., Any]) -> None:
    started(ecs, "api")
    slow = ecs.register("repo/app:2", start_seconds="60000")
    first = deploy("--services", "api", "--task-definition", slow, "--wait", "false")
    assert first.code == 0 and first.outputs["status"] == "STARTED", first.log
    arn = json.loads(first.outputs["service-deployment-arns"])["api"]

    result = deploy("--services", "api", "--mode", "stop")

    assert result.code == 0, result.log
    assert result.outputs["status"] == "STOP_REQUESTED"

    def stopped() -> bool:
        found = ecs.client.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
        return bool(found["status"] == "STOPPED")

    assert wait(stopped)


def test_wait_until_stable_ends_before_the_alarm_bake_with_the_deployment_still_monitored(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    alarm = f"{ecs.cluster}-5xx"
    ecs.aws.client("cloudwatch").put_metric_alarm(
        AlarmName=alarm, MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum",
        Period=3600, EvaluationPeriods=6, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    started(ecs, "api")
    ecs.client.update_service(cluster=ecs.cluster, service="api", deploymentConfiguration={
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200,
        "minimumHealthyPercent": 100, "alarms": {"alarmNames": [alarm], "enable": True, "rollback": True}})

    result = deploy("--services", "api", "--containers", "app=repo/app:2", "--wait-until", "stable")

    assert result.code == 0, result.log
    assert result.outputs["status"] == "STABLE"
    arn = json.loads(result.outputs["service-deployment-arns"])["api"]
    deployment = ecs.client.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert deployment["status"] == "IN_PROGRESS"  # its 6 h alarm bake goes on without the step
    ecs.client.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")


def test_on_timeout_stop_aborts_the_service_deployment_and_the_step_fails(ecs: Ecs) -> None:
    import io
    import time

    from deploy_actions.actions.ecs_deploy import Inputs, Outputs, run
    from deploy_actions.core.context import RunContext
    from deploy_actions.core.inputs import parse_inputs
    from deploy_actions.core.operation import Interrupted
    from deploy_actions.core.outputs import OutputSink
    from deploy_actions.core.platform import Reporter

    live = started(ecs, "api")
    slow = ecs.register("repo/app:2", start_seconds="60000")  # ~100 s to start at the test clock
    inputs = parse_inputs(Inputs, {"cluster": ecs.cluster, "services": "api", "task-definition": slow,
                                   "timeout": "1m", "on-timeout": "stop"})
    log = io.StringIO()
    # The run started 57 s ago: its 1m deadline passes within seconds of following, as a long rollout's would.
    ctx = RunContext(Reporter(log, ecs.aws.env), ecs.aws.env, outputs=OutputSink(Outputs, {}),
                     started=time.monotonic() - 57)

    with pytest.raises(Interrupted) as caught:
        run(inputs, ctx)

    assert caught.value.exit_code == 1
    assert "timed out" in str(caught.value) and "stopping the deployment of api" in log.getvalue()
    assert "and rolling back" not in log.getvalue()
    assert ctx.outputs.values["status"] == "INTERRUPTED"
    arn = json.loads(ctx.outputs.values["service-deployment-arns"])["api"]

    def stopped() -> bool:
        found = ecs.client.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
        return bool(found["status"] == "STOPPED")

    assert wait(stopped)  # ABORT: stopped where it was, not rolled back
    assert ecs.described("api")["deployments"][-1]["taskDefinition"] == live  # the old tasks still serve
