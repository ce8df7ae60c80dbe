"""ECS tasks running a real image under Docker: pushed to the emulator's ECR, pulled by the emulator
with ECR credentials (as the execution role pulls), run with the task definition's command and
environment on their own loopback address and container port, and reached through the ALB while a
rolling deployment replaces them. Images are built FROM scratch with busybox (no Docker Hub here).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.e2e.conftest import host_env, missing, run
from tests.integration.emulator.conftest import answer, wait_for
from tests.integration.emulator.ecr_registry import need_registry_binary

pytestmark = pytest.mark.e2e
SERVE = ("mkdir -p /www && echo ok > /www/health && echo \"$GREETING\" > /www/index.html"
         " && echo \"serving $GREETING\" && exec httpd -f -p 8000 -h /www")


@pytest.fixture
def docker(tmp_path: Path) -> dict[str, str]:
    if not shutil.which("docker"):
        missing("docker", "Debian docker.io; .ci/run installs it")
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not Path(busybox).exists():
        missing("busybox", "Debian busybox-static")
    env = host_env(DOCKER_BUILDKIT="0", DOCKER_CONFIG=str(tmp_path / "docker-config"))
    if run(["docker", "info"], cwd=tmp_path, env=env, timeout=30).code != 0:
        missing("a Docker engine", "start dockerd; .ci/run does")
    return env


def _push(emulator: Emulator, docker: dict[str, str], tmp_path: Path, name: str) -> str:
    """Build a busybox image, push it to the emulator's ECR, and forget it locally: ECS must pull it."""
    ecr = emulator.client("ecr")
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    host = str(data["proxyEndpoint"]).split("://", 1)[-1]
    login = run(["docker", "login", "--username", user, "--password", password, host], cwd=tmp_path, env=docker)
    assert login.code == 0, login.output
    context = tmp_path / "image"
    context.mkdir()
    shutil.copy2(shutil.which("busybox") or "/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\n'
                                        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n')
    image = f"{uri}:1"
    for argv in (["docker", "build", "-t", image, str(context)], ["docker", "push", image], ["docker", "rmi", image]):
        done = run(argv, cwd=tmp_path, env=docker)
        assert done.code == 0, done.output
    return image


def _containers(label: str = "deploy-actions.emulator.task") -> list[str]:
    done = subprocess.run(["docker", "ps", "-q", "--filter", f"label={label}"], capture_output=True, text=True,
                          timeout=30, check=False)
    return done.stdout.split()


def test_a_real_image_serves_through_the_alb_and_rolls(emulator: Emulator, docker: dict[str, str],
                                                       tmp_path: Path, unique: str) -> None:
    need_registry_binary()
    image = _push(emulator, docker, tmp_path, f"ecs/web-{unique}")
    scenario = load_scenario("ecs-fargate-rolling")
    container = scenario["ecs"]["task_definition"]["container"]
    container.update(image=image, command=["sh", "-c", SERVE], environment={"GREETING": "hello from v1"},
                     log_group=f"/ecs/t{unique}-web", health_check={
                         "command": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8000/health || exit 1"],
                         "interval": 5, "timeout": 2, "retries": 3})
    scenario["ecs"]["service"]["health_check_grace_period"] = 600
    out = seed(emulator.client, scenario, prefix=f"t{unique}-")
    ecs = emulator.client("ecs")
    url = emulator.listener_url(out["listener_arn"]) + "/"
    before = set(_containers())

    def completed() -> Any:
        service = ecs.describe_services(cluster=out["cluster"], services=[out["service"]])["services"][0]
        return len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED" \
            and service

    try:
        wait_for(completed, timeout=120)
        assert wait_for(lambda: answer(url) == "hello from v1", timeout=30)
        first = set(_containers()) - before
        assert len(first) == 2  # two tasks, two containers, both on port 8000 (each on its own address)
        arns = ecs.list_tasks(cluster=out["cluster"], serviceName=out["service"])["taskArns"]
        # the container health check runs in the container (Docker's, on the emulator's clock)
        assert wait_for(lambda: {t["healthStatus"] for t in ecs.describe_tasks(
            cluster=out["cluster"], tasks=arns)["tasks"]} == {"HEALTHY"}, timeout=30)

        definition = ecs.describe_task_definition(taskDefinition=out["task_definition_arn"])["taskDefinition"]
        [spec] = definition["containerDefinitions"]
        spec["environment"] = [{"name": "GREETING", "value": "hello from v2"}]
        second = ecs.register_task_definition(
            family=definition["family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
            memory="1024", containerDefinitions=[spec])["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(cluster=out["cluster"], service=out["service"], taskDefinition=second)
        service = wait_for(lambda: (s := completed()) and s["taskDefinition"] == second and s, timeout=120)

        assert service["runningCount"] == 2
        assert wait_for(lambda: answer(url) == "hello from v2", timeout=30)
        assert wait_for(lambda: not (set(_containers()) & first), timeout=60)  # the old containers are gone
        # what they printed went to their awslogs group (api/<container>/<task id>), as the driver sends it
        logs = emulator.client("logs")
        events = wait_for(lambda: len(found := logs.filter_log_events(
            logGroupName=f"/ecs/t{unique}-web", filterPattern='"serving hello from v1"')["events"]) == 2 and found)
        assert all(e["logStreamName"].startswith("api/api/") for e in events)
    finally:
        ecs.delete_service(cluster=out["cluster"], service=out["service"], force=True)
        wait_for(lambda: not (set(_containers()) - before), timeout=60)


def test_an_image_that_cannot_be_pulled_says_why(emulator: Emulator, docker: dict[str, str], unique: str) -> None:
    """The stopped reason is Docker's error, not its closing usage hint ("Run 'docker run --help' …")."""
    ecs, ec2 = emulator.client("ecs"), emulator.client("ec2")
    cluster = f"t{unique}-pull"
    ecs.create_cluster(clusterName=cluster)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:1]]
    # a loopback registry where nothing listens: the pull fails at once, with or without a registry here
    definition = ecs.register_task_definition(
        family=f"t{unique}-pull", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": "127.0.0.1:9/app:missing"}],
    )["taskDefinition"]["taskDefinitionArn"]
    task_arn = ecs.run_task(cluster=cluster, taskDefinition=definition, launchType="FARGATE", networkConfiguration={
        "awsvpcConfiguration": {"subnets": subnets}})["tasks"][0]["taskArn"]
    task = wait_for(lambda: (t := ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0])["lastStatus"]
                    == "STOPPED" and t, timeout=120)

    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError: "), task["stoppedReason"]
    assert "127.0.0.1:9" in task["stoppedReason"] and "docker run --help" not in task["stoppedReason"]
