"""ecs-deploy on the emulator, over HTTP: rendering, registering (or not), dry-run and the bad inputs that must
stop the step before anything is registered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsEndpoint

EXEC_ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


@dataclass
class Ecs:
    aws: AwsEndpoint
    cluster: str
    family: str

    @property
    def client(self) -> Any:
        return self.aws.client("ecs")

    def register(self, image: str = "repo/app:1", **extra: Any) -> str:
        answer = self.client.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            executionRoleArn=EXEC_ROLE, containerDefinitions=[
                {"name": "app", "image": image, "essential": True, "portMappings": [{"containerPort": 8080}],
                 "environment": [{"name": "MODE", "value": "blue"}]},
                {"name": "worker", "image": "repo/worker:1", "essential": False}], **extra)
        return str(answer["taskDefinition"]["taskDefinitionArn"])

    def service(self, name: str, task_definition: str, **extra: Any) -> str:
        self.client.create_service(cluster=self.cluster, serviceName=name, taskDefinition=task_definition,
                                   desiredCount=1, **extra)
        return name

    def revisions(self, family: str | None = None) -> list[str]:
        return list(self.client.list_task_definitions(familyPrefix=family or self.family,
                                                      status="ACTIVE")["taskDefinitionArns"])

    def running(self, service: str) -> str:
        answer = self.client.describe_services(cluster=self.cluster, services=[service])
        return str(answer["services"][0]["taskDefinition"])

    def definition(self, arn: str) -> dict[str, Any]:
        return dict(self.client.describe_task_definition(taskDefinition=arn)["taskDefinition"])


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
        return run_cli("ecs-deploy", "--cluster", ecs.cluster, *args, env={**ecs.aws.env, **env})
    return run


def test_describe_output_with_a_new_image_env_and_secret_is_registered_with_a_notice(
        ecs: Ecs, deploy: Callable[..., Any], tmp_path: Path) -> None:
    live = ecs.register()
    described = ecs.client.describe_task_definition(taskDefinition=live, include=["TAGS"])
    path = tmp_path / "task-definition.json"
    path.write_text(json.dumps(described, default=str))

    result = deploy("--task-definition", str(path), "--containers", "app=repo/app@sha256:" + "b" * 64,
                    "--environment-variables", "MODE=green\nworker:QUEUE=jobs",
                    "--secrets", "app:DB_PASSWORD=arn:aws:ssm:us-east-1:123456789012:parameter/db")

    assert result.code == 0, result.log
    arn = result.outputs["task-definition-arn"]
    assert arn.endswith(f"{ecs.family}:2") and result.outputs["status"] == "REGISTERED"
    assert "ignored read-only keys" in result.log and "compatibilities" in result.log
    app, worker = ecs.definition(arn)["containerDefinitions"]
    assert app["image"] == "repo/app@sha256:" + "b" * 64 and app["environment"] == [{"name": "MODE", "value": "green"}]
    assert app["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}]
    assert worker["environment"] == [{"name": "MODE", "value": "green"}, {"name": "QUEUE", "value": "jobs"}]


def test_an_arn_with_nothing_to_change_is_deployed_as_it_is(ecs: Ecs, deploy: Callable[..., Any]) -> None:
    first = ecs.register()
    second = ecs.register("repo/app:2")
    service = ecs.service("api", first)

    result = deploy("--services", service, "--task-definition", second, "--wait", "false")

    assert result.code == 0, result.log
    assert result.outputs["task-definition-arn"] == second
    assert result.outputs["previous-task-definition-arn"] == first
    assert len(ecs.revisions()) == 2  # nothing registered
    assert ecs.running(service) == second
    assert "no new revision registered" in result.log


def test_a_rendered_definition_identical_to_the_live_one_registers_and_deploys_nothing(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = ecs.register()
    service = ecs.service("api", live)

    result = deploy("--services", service, "--containers", "app=repo/app:1", "--environment-variables",
                    "app:MODE=blue")

    assert result.code == 0, result.log
    assert result.outputs["status"] == "UNCHANGED" and result.outputs["task-definition-arn"] == live
    assert len(ecs.revisions()) == 1
    assert f"{service} already runs {live}: nothing to deploy" in result.log


def test_each_service_renders_its_own_current_definition(ecs: Ecs, deploy: Callable[..., Any]) -> None:
    one = ecs.register()
    two = ecs.register("repo/app:other")
    ecs.service("a", one)
    ecs.service("b", two)

    result = deploy("--services", "a\nb", "--containers", "worker=repo/worker:2", "--wait", "false")

    assert result.code == 0, result.log
    arns = json.loads(result.outputs["task-definition-arn"])
    assert set(arns) == {"a", "b"} and len(set(arns.values())) == 2
    assert json.loads(result.outputs["previous-task-definition-arn"]) == {"a": one, "b": two}
    assert ecs.definition(arns["a"])["containerDefinitions"][0]["image"] == "repo/app:1"
    assert ecs.definition(arns["b"])["containerDefinitions"][0]["image"] == "repo/app:other"
    assert {ecs.running("a"), ecs.running("b")} == set(arns.values())


def test_dry_run_prints_the_rendered_definition_and_its_diff_and_changes_nothing(
        ecs: Ecs, deploy: Callable[..., Any]) -> None:
    live = ecs.register()
    service = ecs.service("api", live)

    result = deploy("--services", service, "--containers", "app=repo/app:2", "--cpu", "512", "--dry-run", "true")

    assert result.code == 0, result.log
    assert result.outputs["status"] == "DRY_RUN"
    assert f"--- {live}" in result.log and "+++ rendered" in result.log
    assert '-      "image": "repo/app:1",' in result.log and '+      "image": "repo/app:2",' in result.log
    assert '-  "cpu": "256",' in result.log and '+  "cpu": "512",' in result.log
    assert len(ecs.revisions()) == 1 and ecs.running(service) == live


def bad(ecs: Ecs) -> dict[str, Callable[[Path], tuple[list[str], str]]]:
    """Each bad input: (the args, what the message says)."""

    def unknown_container(_: Path) -> tuple[list[str], str]:
        return (["--services", "api", "--containers", "ap=repo/app:2"],
                "input 'containers' = 'ap': no container 'ap' in task definition family "
                f"{ecs.family}; did you mean 'app'?")

    def malformed(tmp: Path) -> tuple[list[str], str]:
        path = tmp / "td.json"
        path.write_text(json.dumps({"family": ecs.family, "containerDefinition": [{"name": "app", "image": "x"}]}))
        return (["--services", "api", "--task-definition", str(path)],
                "unknown key 'containerDefinition'; did you mean 'containerDefinitions'?")

    def unknown_cluster(_: Path) -> tuple[list[str], str]:
        return (["--cluster", "nope-" + ecs.cluster, "--services", "api", "--containers", "app=x:2"],
                f"input 'cluster' = 'nope-{ecs.cluster}': no such ECS cluster")

    def unknown_service(_: Path) -> tuple[list[str], str]:
        return (["--services", "apii", "--containers", "app=x:2"],
                f"input 'services' = 'apii': no such service in cluster {ecs.cluster}; did you mean api?")

    def other_family(_: Path) -> tuple[list[str], str]:
        other = ecs.client.register_task_definition(family="other-" + ecs.family, containerDefinitions=[
            {"name": "app", "image": "x", "memory": 64}])["taskDefinition"]["taskDefinitionArn"]
        return (["--services", "api", "--task-definition", other],
                f"family other-{ecs.family} is not the family service api runs ({ecs.family})")

    def stage_of_rolling(_: Path) -> tuple[list[str], str]:
        return (["--services", "api", "--containers", "app=x:2", "--wait-until", "TEST_TRAFFIC_SHIFT"],
                "service api deploys ROLLING, which has no TEST_TRAFFIC_SHIFT stage")

    def external(_: Path) -> tuple[list[str], str]:
        ecs.service("ext", ecs.running("api"), deploymentController={"type": "EXTERNAL"})
        return (["--services", "ext", "--containers", "app=x:2"],
                "input 'services' = 'ext': its deployment controller is EXTERNAL")

    return {f.__name__: f for f in (unknown_container, malformed, unknown_cluster, unknown_service, other_family,
                                    stage_of_rolling, external)}


@pytest.mark.parametrize("case", ["unknown_container", "malformed", "unknown_cluster", "unknown_service",
                                  "other_family", "stage_of_rolling", "external"])
def test_bad_inputs_exit_2_with_one_message_and_register_nothing(
        case: str, ecs: Ecs, deploy: Callable[..., Any], tmp_path: Path) -> None:
    live = ecs.register()
    ecs.service("api", live)
    args, message = bad(ecs)[case](tmp_path)
    before = len(ecs.revisions())

    result = deploy(*args)

    assert result.code == 2, result.log
    assert message in result.log
    assert len(ecs.revisions()) == before and ecs.running("api") == live
