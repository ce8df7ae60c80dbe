"""The seed examples outside GitHub, run end to end against the emulator.

Example 4 (seed 003): `workflows-examples/gitlab/seed-003-blue-green-listener.yml` and its canary variant under
gitlab-ci-local, against the `ec2-blue-green-listener` scenario (two fleets behind one ALB listener, a CodeDeploy
deployment group each). Blue serves version 1; the pipeline packages this commit, finds green idle, deploys it
there, checks it, and the manual switch moves the listener: the new version answers through the load balancer.
A bounded load loop through the listener records every answer meanwhile: none fails, the version changes once
(the canary: the share of new answers follows the weights). The jobs authenticate only by OIDC: an id_tokens
token exchanged for the role (AssumeRoleWithWebIdentity), no access keys in their environment.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.seed import load_scenario, seed
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import (
    EXAMPLE_APP,
    EXAMPLES,
    USER_REMOTE,
    BuiltWheel,
    GitlabInstall,
    Run,
    answer,
    commit_all,
    git,
    host_env,
    missing,
    run,
)
from tests.e2e.test_gitlab_ci_local import serve_component
from tests.integration.emulator.ecr_registry import need_registry_binary
from tests.integration.test_ecs_deploy_rollout import Ecs
from tests.integration.test_ecs_deploy_rollout import ecs as ecs
from tests.integration.test_ecs_deploy_rollout import wait as rollout_wait
from tests.support import buildspec_driver
from tests.support.revisions import upload_revision, zip_revision

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::123456789012:role/gitlab-deploy"
# What GitLab puts in the id_tokens variable: a JWT (the emulator's STS does not check its signature).
ID_TOKEN = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2dpdGxhYi5leGFtcGxlLmNvbSIsInN1YiI6InBy"
            "b2plY3RfcGF0aDphY21lL2FwaTpyZWZfdHlwZTpicmFuY2g6cmVmOm1haW4iLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2ln")
COMPONENTS = ("package-revision", "switch-listener", "codedeploy-deploy", "verify-and-notify")


# -- the scenario: blue live at version 1, green idle with nothing deployed ----------------------------------


class Fleets:
    """`ec2-blue-green-listener` seeded under a unique prefix; blue runs the example app at version 1."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.out = seed(emulator.client, load_scenario("ec2-blue-green-listener"),
                        prefix=f"e2e{uuid.uuid4().hex[:8]}-")
        self.url = emulator.listener_url(self.out["listener_arn"])
        self.elbv2 = emulator.client("elbv2")

    def group(self, side: str) -> str:
        return str(self.out["target_groups"][f"app-{side}"])

    @property
    def variables(self) -> dict[str, str]:
        """The CI/CD variables the seed-003 examples read."""
        groups, out = self.out["deployment_groups"], self.out
        return {"DEPLOY_ROLE_ARN": ROLE, "DEPLOY_BUCKET": out["bucket"], "CODEDEPLOY_APPLICATION": out["application"],
                "BLUE_DEPLOYMENT_GROUP": groups["app-blue"], "GREEN_DEPLOYMENT_GROUP": groups["app-green"],
                "LISTENER_ARN": out["listener_arn"], "BLUE_TARGET_GROUP": self.group("blue").split("/")[-2],
                "GREEN_TARGET_GROUP": self.group("green").split("/")[-2], "ALARM_NAME": f"{self.prefix}app-5xx",
                "SITE_URL": self.url}

    @property
    def prefix(self) -> str:
        return str(self.out["application"]).removesuffix("app")

    def deploy(self, side: str, version: str) -> None:
        """What the fleet ran before this pipeline: the example app, deployed through the API."""
        codedeploy = self.emulator.client("codedeploy")
        revision = upload_revision(self.emulator.client("s3"), self.out["bucket"],
                                   zip_revision(EXAMPLE_APP, {"www/version": f"version: {version}\n"}))
        created = codedeploy.create_deployment(applicationName=self.out["application"], revision=revision,
                                               deploymentGroupName=self.out["deployment_groups"][f"app-{side}"])
        deadline = time.monotonic() + 60
        while (status := codedeploy.get_deployment(deploymentId=created["deploymentId"])["deploymentInfo"][
                "status"]) not in ("Succeeded", "Failed", "Stopped"):
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        assert status == "Succeeded"

    def weights(self) -> dict[str, int]:
        (listener,) = self.elbv2.describe_listeners(ListenerArns=[self.out["listener_arn"]])["Listeners"]
        forward = listener["DefaultActions"][0]
        groups = (forward.get("ForwardConfig") or {}).get("TargetGroups") or [
            {"TargetGroupArn": forward["TargetGroupArn"], "Weight": 1}]
        names = {self.group("blue"): "blue", self.group("green"): "green"}
        return {names[g["TargetGroupArn"]]: int(g.get("Weight", 1)) for g in groups if int(g.get("Weight", 1))}


@pytest.fixture
def fleets(aws_emulator: Emulator) -> Fleets:
    found = Fleets(aws_emulator)
    found.deploy("blue", "1")
    assert answer(found.url + "/version", timeout=30) == "version: 1"
    return found


@pytest.fixture
def faults(aws_emulator: Emulator) -> Any:
    yield aws_emulator.faults
    aws_emulator.faults.clear()


# -- the load loop through the listener ----------------------------------------------------------------------


def get(url: str) -> str:
    """The body; 'HTTP <code>' for an error status; 'failed: …' when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode().strip())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:
        return f"failed: {error}"


@dataclass
class Load:
    """One client requesting `url` in a loop until stopped or `limit` requests were made: every answer kept,
    with the listener's weights read just before and after it (the canary's share is judged by them)."""

    url: str
    fleets: Fleets
    limit: int = 5000
    answers: list[tuple[str, dict[str, int], dict[str, int]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.answers) < self.limit:
            before = self.fleets.weights()
            body = get(self.url)
            self.answers.append((body, before, self.fleets.weights()))

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(timeout=30)
        return [body for body, _, _ in self.answers]

    def failed(self) -> list[str]:
        return [body for body, _, _ in self.answers if not body.startswith("version: ")]

    def shares(self, new: str) -> dict[int, tuple[int, int]]:
        """Green's weight -> (answers of the new version, answers) while the weights held still around them."""
        found: dict[int, list[int]] = {}
        for body, before, after in self.answers:
            if before == after:
                counts = found.setdefault(before.get("green", 0), [0, 0])
                counts[0] += body == new
                counts[1] += 1
        return {weight: (hits, total) for weight, (hits, total) in sorted(found.items())}


def changes(bodies: list[str]) -> int:
    return sum(1 for a, b in itertools.pairwise(bodies) if a != b)


# -- the user's repository and the pipeline ----------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, tree_wheel: BuiltWheel) -> Path:
    """A service repository: deploy/ is the example app (its version file written by the build job)."""
    repo = tmp_path / "app"
    shutil.copytree(EXAMPLE_APP, repo / "deploy")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    for name in COMPONENTS:
        serve_component(repo, "org/deploy-actions", "v1", name, tree_wheel)
    return repo


def gitlab(gitlab_ci_local: str, repo: Path, aws: AwsEndpoint, install: GitlabInstall, fleets: Fleets,
           *args: str, **extra: str) -> Run:
    """gitlab-ci-local with the CI/CD variables a team sets: the role and an OIDC token, never access keys."""
    argv = [gitlab_ci_local, "--force-shell-executor", *args]
    endpoint = {k: v for k, v in aws.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    variables = {**endpoint, **install.variables, **fleets.variables, "AWS_ID_TOKEN": ID_TOKEN, **extra}
    for name, value in variables.items():
        argv += ["--variable", f"{name}={value}"]
    return run(argv, cwd=repo, env=host_env(PATH=install.path), timeout=420)


def use(repo: Path, example: str) -> str:
    shutil.copy(EXAMPLES / "gitlab" / example, repo / ".gitlab-ci.yml")
    return commit_all(repo)


def passed(result: Run, *jobs: str) -> None:
    for job in jobs:
        assert f"PASS  {job}" in result.output, result.output


def test_blue_green_listener_pipeline_switches_to_the_new_version_without_a_failed_request(
        gitlab_ci_local: str, aws: AwsEndpoint, fleets: Fleets, repo: Path, gitlab_install: GitlabInstall) -> None:
    sha = use(repo, "seed-003-blue-green-listener.yml")
    load = Load(fleets.url + "/version", fleets)
    # The pipeline up to its manual gate, then switch-traffic started by hand (gitlab-ci-local --manual).
    result = gitlab(gitlab_ci_local, repo, aws, gitlab_install, fleets, "--manual", "switch-traffic")
    bodies = load.stop()
    print(f"gitlab-ci-local, seed-003 blue/green pipeline: {result.seconds:.1f}s; load: {len(bodies)} requests, "
          f"{len(load.failed())} failed, {changes(bodies)} version change(s), {Counter(bodies)}")
    assert result.code == 0, result.output
    passed(result, "build-revision", "test", "detect-idle-side", "deploy-idle-side", "health-check",
           "zero-downtime-check", "switch-traffic", "verify", "clean-up")
    assert "emergency-rollback" not in result.output.split("PASS  clean-up", 1)[1]  # manual, not started
    new = answer(fleets.url + "/version")
    assert new.startswith("version: ") and sha.startswith(new.removeprefix("version: ")), new
    assert fleets.weights() == {"green": 1} or fleets.weights() == {"green": 100}
    assert load.failed() == [] and changes(bodies) == 1 and bodies[0] == "version: 1" and bodies[-1] == new
    assert f"live: green ({fleets.group('green')})" in result.output  # clean-up, from detect's dotenv

    # The emergency: the fleet that was live when the pipeline started takes all traffic back.
    load = Load(fleets.url + "/version", fleets)
    back = gitlab(gitlab_ci_local, repo, aws, gitlab_install, fleets, "--manual", "emergency-rollback",
                  "emergency-rollback")
    bodies = load.stop()
    print(f"gitlab-ci-local, seed-003 emergency-rollback: {back.seconds:.1f}s; load: {len(bodies)} requests, "
          f"{len(load.failed())} failed, {changes(bodies)} version change(s)")
    assert back.code == 0, back.output
    passed(back, "emergency-rollback")
    assert answer(fleets.url + "/version") == "version: 1"
    assert load.failed() == [] and changes(bodies) == 1


def test_an_unhealthy_new_fleet_stops_the_pipeline_before_the_switch_and_the_old_version_keeps_answering(
        gitlab_ci_local: str, aws: AwsEndpoint, fleets: Fleets, repo: Path, gitlab_install: GitlabInstall,
        faults: Faults) -> None:
    use(repo, "seed-003-blue-green-listener.yml")
    faults.make_unhealthy(target_group=fleets.group("green"))  # the new release fails the ALB's health checks
    # A pipeline variable outranks the job's own: the health check gives up after 2 tries 1 s apart, not 12 x 5 s.
    result = gitlab(gitlab_ci_local, repo, aws, gitlab_install, fleets, "--manual", "switch-traffic",
                    INPUT_ATTEMPTS="2", INPUT_INTERVAL="1s")
    print(f"gitlab-ci-local, seed-003 with green unhealthy: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    passed(result, "deploy-idle-side")
    assert "FAIL  health-check" in result.output, result.output
    # The job is red with the cause: which targets of the new fleet fail the load balancer's health checks.
    green = fleets.group("green").split("/")[1]  # the check is named by the group's name (its ARN is given)
    assert (f"error: verify-and-notify: failed: 1 of 1 checks failed: target group {green}: "
            "0/2 targets healthy;") in result.output
    assert "unhealthy (Target.FailedHealthChecks)" in result.output
    assert "PASS  switch-traffic" not in result.output and "PASS  verify" not in result.output
    assert fleets.weights() == {"blue": 1}
    assert answer(fleets.url + "/version") == "version: 1"

    # Someone presses play on the switch anyway: it refuses, red with the cause, and changes nothing.
    forced = gitlab(gitlab_ci_local, repo, aws, gitlab_install, fleets, "--manual", "switch-traffic",
                    "switch-traffic")
    print(f"gitlab-ci-local, seed-003 switch-traffic forced onto the unhealthy fleet: {forced.seconds:.1f}s")
    assert forced.code != 0 and "FAIL  switch-traffic" in forced.output, forced.output
    green = fleets.variables["GREEN_TARGET_GROUP"]
    assert f"{green} is not healthy enough for 100%: 0 of 2 targets healthy" in forced.output, forced.output
    assert "nothing changed" in forced.output
    assert fleets.weights() == {"blue": 1}
    assert answer(fleets.url + "/version") == "version: 1"


def test_canary_pipeline_moves_the_share_of_new_answers_with_the_weights(
        gitlab_ci_local: str, aws: AwsEndpoint, fleets: Fleets, repo: Path, gitlab_install: GitlabInstall) -> None:
    sha = use(repo, "seed-003-blue-green-canary.yml")
    load = Load(fleets.url + "/version", fleets)
    result = gitlab(gitlab_ci_local, repo, aws, gitlab_install, fleets, "--manual", "switch-traffic",
                    BAKE_TIME="2s")
    bodies = load.stop()
    new = answer(fleets.url + "/version")
    shares = load.shares(new)
    print(f"gitlab-ci-local, seed-003 canary pipeline: {result.seconds:.1f}s; load: {len(bodies)} requests, "
          f"{len(load.failed())} failed; green weight -> (new-version answers, answers): {shares}")
    assert result.code == 0, result.output
    passed(result, "deploy-idle-side", "health-check", "zero-downtime-check", "switch-traffic", "verify", "clean-up")
    assert new.startswith("version: ") and sha.startswith(new.removeprefix("version: ")), new
    assert fleets.weights() == {"green": 100}
    assert load.failed() == [] and bodies[0] == "version: 1" and bodies[-1] == new
    # Each share was held (a bake of 2 s) and the new version answered as often as its weight says: the
    # emulated ALB picks by smooth weighted round robin, so a window of answers shows the weight to within one
    # or two requests (those routed just as the weights changed).
    assert set(shares) == {0, 10, 50, 100}, shares
    assert shares[0][0] == 0 and shares[100][0] == shares[100][1]
    for weight in (10, 50):
        hits, total = shares[weight]
        assert total >= 10 and abs(hits - total * weight / 100) <= 2, (weight, hits, total)


# -- Example 3 (seed 002): a CodeBuild buildspec, run by a driver that executes its phases as CodeBuild does ----


@dataclass
class Service:
    """`ecs-fargate-rolling` seeded under a unique prefix (stand-in tasks answer `<family>:1`), its ECR repository
    created as the team's Terraform does (ecr.tf)."""

    emulator: Emulator
    out: dict[str, Any]
    repository: str

    @property
    def url(self) -> str:
        return self.emulator.listener_url(self.out["listener_arn"])

    def described(self) -> dict[str, Any]:
        ecs = self.emulator.client("ecs")
        return dict(ecs.describe_services(cluster=self.out["cluster"], services=[self.out["service"]])["services"][0])


@pytest.fixture
def ecs_service(aws_emulator: Emulator) -> Any:
    need_registry_binary()
    prefix = f"e2e{uuid.uuid4().hex[:8]}-"
    out = seed(aws_emulator.client, load_scenario("ecs-fargate-rolling"), prefix=prefix)
    repository = f"{prefix}voj-backend"
    aws_emulator.client("ecr").create_repository(repositoryName=repository)
    service = Service(aws_emulator, out, repository)
    assert answer(service.url + "/version", timeout=60) == f"{out['task_family']}:1"
    yield service
    ecs = aws_emulator.client("ecs")
    ecs.delete_service(cluster=out["cluster"], service=out["service"], force=True)
    deadline = time.monotonic() + 60  # the real containers stop with the service
    while ecs.list_tasks(cluster=out["cluster"])["taskArns"] and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.fixture
def service_repo(tmp_path: Path, ecs_service: Service) -> Path:
    """The team's service repository: a Dockerfile (FROM scratch with busybox: no Docker Hub here) serving www/ on
    8000, the task definition it keeps in deploy/, and the example as buildspec.yml."""
    repo = tmp_path / "voj-backend"
    (repo / "www").mkdir(parents=True)
    (repo / "www" / "health").write_text("ok\n")
    (repo / "www" / "version").write_text("version: dev\n")
    shutil.copy("/bin/busybox", repo / "busybox")
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8000\n"
                                     'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"]\n')
    (repo / "deploy").mkdir()
    (repo / "deploy" / "task-definition.json").write_text(json.dumps({
        "family": ecs_service.out["task_family"], "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "512", "memory": "1024", "containerDefinitions": [{
            "name": "api", "image": "voj-backend:placeholder", "essential": True,
            "portMappings": [{"containerPort": 8000, "protocol": "tcp"}]}]}, indent=2))
    shutil.copy(EXAMPLES / "buildspec" / "seed-002-buildspec.yml", repo / "buildspec.yml")
    git(repo, "init", "--quiet", "--initial-branch=main")
    return repo


@pytest.fixture(scope="session")
def build_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TMPDIR of the builds: the install phase's venv is made once, later builds find it installed."""
    return tmp_path_factory.mktemp("codebuild-tmp")


@pytest.fixture
def codebuild_project(aws: AwsEndpoint, ecs_service: Service, tree_wheel: BuiltWheel, gitlab_install: GitlabInstall,
                      build_tmp: Path, tmp_path: Path) -> dict[str, str]:
    """A build container's environment: its own PATH and HOME (python3, no deploy-actions), nothing else of this
    host's (its CONTAINER_NAME would win over the buildspec's), the project's variables, the role's credentials
    (CodeBuild's service role), pip pointed at a folder with this tree's wheel and its locked dependencies."""
    if not shutil.which("docker"):
        missing("docker", "apt-get install docker.io; .ci/run installs it")
    base = {name: value for name, value in host_env(PATH=gitlab_install.path).items()
            if name in ("PATH", "HOME", "LANG", "DOCKER_HOST")}
    out = ecs_service.out
    return {**base, **aws.env, **gitlab_install.variables, "TMPDIR": str(build_tmp),
            "ECR_REPOSITORY": ecs_service.repository, "ECS_CLUSTER": out["cluster"], "ECS_SERVICE": out["service"],
            "DEPLOY_ACTIONS_PACKAGE": tree_wheel.requirement, "DOCKER_CONFIG": str(tmp_path / "docker-config")}


def test_buildspec_builds_pushes_to_ecr_and_rolls_the_ecs_service_to_the_new_version(
        aws: AwsEndpoint, ecs_service: Service, service_repo: Path, codebuild_project: dict[str, str]) -> None:
    commit = commit_all(service_repo, "Ship the API")
    build = buildspec_driver.run(service_repo / "buildspec.yml", service_repo, codebuild_project, commit=commit)
    print(f"buildspec driver, seed-002 build + push + ECS rolling update: {build.seconds:.1f}s")
    assert build.succeeded, build.log
    assert build.phases == dict.fromkeys(buildspec_driver.PHASES, "SUCCEEDED")
    release = f"sha-{commit[:7]}"
    [image] = aws.client("ecr").describe_images(repositoryName=ecs_service.repository)["imageDetails"]
    assert image["imageTags"] == [release]
    assert build.exported["IMAGE_URI"].endswith(f"/{ecs_service.repository}@{image['imageDigest']}")
    service = ecs_service.described()
    assert service["taskDefinition"] == build.exported["TASK_DEFINITION_ARN"] and len(service["deployments"]) == 1
    assert answer(ecs_service.url + "/version", timeout=30) == f"version: {release}"


def _buildspec(tmp_path: Path, phases: str) -> Path:
    path = tmp_path / "buildspec.yml"
    path.write_text("version: 0.2\nenv:\n  variables:\n    WHO: buildspec\n    KEPT: buildspec\n"
                    "  exported-variables: [WHO, KEPT, SEEN]\nphases:\n" + phases)
    return path


@pytest.mark.parametrize(("on_failure", "ran_post_build"), [("", True), ("    on-failure: ABORT\n", False),
                                                            ("    on-failure: CONTINUE\n", True)])
def test_the_buildspec_driver_follows_codebuild_after_a_failed_build_phase(
        tmp_path: Path, on_failure: str, ran_post_build: bool) -> None:
    """A failed command ends its phase (finally still runs); without on-failure post_build still runs after a
    failed build, ABORT ends the build there; CODEBUILD_BUILD_SUCCEEDING tells post_build; one shell session
    throughout; the project's variables win over the buildspec's."""
    spec = _buildspec(tmp_path, (
        "  install:\n    commands:\n      - mkdir -p work && cd work\n      - export SEEN=install\n"
        "  build:\n" + on_failure + "    commands:\n      - 'false'\n      - export SEEN=after-false\n"
        "    finally:\n      - echo finally ran in $(basename $PWD)\n"
        "  post_build:\n    commands:\n      - export SEEN=post_build-$CODEBUILD_BUILD_SUCCEEDING\n"))
    build = buildspec_driver.run(spec, tmp_path, {"PATH": "/usr/bin:/bin", "WHO": "project"}, commit="c0ffee")
    assert not build.succeeded
    assert build.phases == {"install": "SUCCEEDED", "pre_build": "SUCCEEDED", "build": "FAILED",
                            **({"post_build": "SUCCEEDED"} if ran_post_build else {})}
    assert build.exported == {"WHO": "project", "KEPT": "buildspec",
                              "SEEN": "post_build-0" if ran_post_build else "install"}
    assert "finally ran in work" in build.log
    assert "[Container] Command did not exit successfully false exit status 1" in build.log


def test_the_buildspec_driver_ends_the_build_after_a_failed_install(tmp_path: Path) -> None:
    spec = _buildspec(tmp_path, "  install:\n    commands:\n      - exit_code() { return 3; }; exit_code\n"
                                "  build:\n    commands:\n      - export SEEN=build\n")
    build = buildspec_driver.run(spec, tmp_path, {"PATH": "/usr/bin:/bin"}, commit="c0ffee")
    assert not build.succeeded and build.phases == {"install": "FAILED"} and build.exported["SEEN"] == ""
    assert "exit status 3" in build.log


def test_buildspec_with_a_release_failing_its_health_checks_is_rolled_back_and_the_build_fails(
        ecs_service: Service, service_repo: Path, codebuild_project: dict[str, str]) -> None:
    (service_repo / "www" / "health").unlink()  # the release answers 404 to the target group's health check
    commit = commit_all(service_repo, "Drop the health page")
    build = buildspec_driver.run(service_repo / "buildspec.yml", service_repo, codebuild_project, commit=commit)
    print(f"buildspec driver, seed-002 failing release rolled back: {build.seconds:.1f}s")
    assert not build.succeeded, build.log
    assert build.phases == {**dict.fromkeys(buildspec_driver.PHASES, "SUCCEEDED"), "post_build": "FAILED"}
    # Red with the cause: ECS's circuit breaker rolled back, the stopped tasks failed the ELB health checks.
    out = ecs_service.out
    assert f"error: ecs-deploy: failed: {out['service']}: ROLLBACK_SUCCESSFUL: Service deployment rolled back" \
        in build.log, build.log
    assert "Task failed ELB health checks" in build.log and "Health checks failed with these codes: [404]" in build.log
    assert answer(ecs_service.url + "/version", timeout=30) == f"{out['task_family']}:1"
    assert ecs_service.described()["taskDefinition"] == out["task_definition_arn"]


# -- The GitLab matrix example: one job per service, in parallel ----------------------------------------------


MATRIX_SERVICES = ("api", "worker")


def test_matrix_pipeline_rolls_each_service_to_its_own_definition_in_a_job_of_its_own(
        gitlab_ci_local: str, aws: AwsEndpoint, ecs: Ecs, tmp_path: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    repo = tmp_path / "shop"
    (repo / "deploy").mkdir(parents=True)
    for name in MATRIX_SERVICES:  # each service its own family, running revision 1 (stand-in tasks)
        family = f"{ecs.family}-{name}"
        definition = {"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                      "cpu": "256", "memory": "512", "containerDefinitions": [{
                          "name": "app", "image": f"shop/{name}:1", "essential": True,
                          "portMappings": [{"containerPort": 8080}]}]}
        live = ecs.client.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
        ecs.service(name, live)
        (repo / "deploy" / f"{name}.json").write_text(json.dumps(definition, indent=2))
    assert rollout_wait(lambda: all(ecs.settled(name) for name in MATRIX_SERVICES))
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    shutil.copy(EXAMPLES / "gitlab" / "matrix-ecs-services.yml", repo / ".gitlab-ci.yml")
    commit = commit_all(repo)
    serve_component(repo, "org/deploy-actions", "v1", "ecs-deploy", tree_wheel)
    argv = [gitlab_ci_local, "--force-shell-executor"]
    endpoint = {k: v for k, v in aws.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    variables = {**endpoint, **gitlab_install.variables, "AWS_ID_TOKEN": ID_TOKEN, "DEPLOY_ROLE_ARN": ROLE,
                 "ECS_CLUSTER": ecs.cluster, "IMAGE_REGISTRY": "registry.example.com/shop"}
    for name, value in variables.items():
        argv += ["--variable", f"{name}={value}"]

    result = run(argv, cwd=repo, env=host_env(PATH=gitlab_install.path), timeout=300)
    print(f"gitlab-ci-local, matrix of 2 ECS services: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    for name in MATRIX_SERVICES:
        assert f"PASS  roll-out: [{name}" in result.output, result.output
        service = ecs.described(name)
        assert service["taskDefinition"].endswith(f"/{ecs.family}-{name}:2") and len(service["deployments"]) == 1
        (container,) = ecs.client.describe_task_definition(taskDefinition=service["taskDefinition"])[
            "taskDefinition"]["containerDefinitions"]
        assert container["image"] == f"registry.example.com/shop/{name}:{commit}"
        assert container["environment"] == [{"name": "RELEASE", "value": commit}]
