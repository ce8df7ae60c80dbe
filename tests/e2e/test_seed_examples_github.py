"""The seed pipelines' GitHub examples under act, end to end against the emulator.

Example 2 (seed 001, `seed-001-ec2-rolling.yml`): a user's repository holding examples/seed-001-api is pushed
to main; the workflow builds and tests it, pushes the image to the emulator's ECR (scan gate), packages
deploy/ with deployment-info.env, deploys it one instance at a time to the `ec2-rolling` scenario's two
instances (container hooks: ECR login and pull, SSM parameters → env file, docker run, health check), then
checks health, targets, alarms and the hooks' log and tells a Slack stand-in. The workflow runs unchanged:
act gets the endpoint, the variables of the `production` environment and an OIDC token service, since act
has none of its own (the actions read ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN as on GitHub and call
AssumeRoleWithWebIdentity at the emulator; no access key reaches the run).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.demo.world import ROLE, provision
from deploy_actions.emulator.ecr.service import FindingsRule, finding
from deploy_actions.emulator.seed import load_scenario, seed
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import EXAMPLES, ROOT, USER_REMOTE, Fleet, Run, answer, commit_all, git, host_env, run
from tests.e2e.test_act import Act, step_outputs
from tests.integration.emulator.ecr_registry import need_registry_binary
from tests.integration.test_build_push_ecr import container_storage, tool
from tests.support.oidc import OidcTokens
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

SERVICE = ROOT / "examples" / "seed-001-api"
WORKFLOW = "seed-001-ec2-rolling.yml"
DEPLOY = "org/deploy-actions/codedeploy-deploy@v1"
VERIFY = "org/deploy-actions/verify-and-notify@v1"


def user_repository(source: Path, repo: Path, workflow: str) -> Path:
    """The user's repository: a copy of the example `source` with its GitHub workflow, on main, origin set."""
    shutil.copytree(source, repo)
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(EXAMPLES / "github" / workflow, repo / ".github" / "workflows" / workflow)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    return repo


def first_release(world: Any, what: str) -> tuple[str, Run]:
    """The first release committed and pushed: the run is green and the load balancer serves it."""
    first = commit_all(world.repo, "First release")
    result = world.push()
    print(f"act, {what}: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert world.serves() == first
    return first, result


@dataclass
class Load:
    """A bounded load loop through the load balancer: every response recorded, in order."""

    url: str
    limit: int = 20_000
    text: bool = False  # the body as the version, instead of its JSON "version"
    answers: list[str] = field(default_factory=list)  # the body, or "FAILED <reason>"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set() and len(self.answers) < self.limit:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    body = response.read()
                    self.answers.append(body.decode().strip() if self.text else json.loads(body)["version"])
            except (OSError, ValueError, KeyError) as exc:
                self.answers.append(f"FAILED {exc}")
            time.sleep(0.005)

    @property
    def failed(self) -> list[str]:
        return [answer for answer in self.answers if answer.startswith("FAILED")]

    @property
    def mixed(self) -> int:
        """Requests from the first answer of the last version to the last answer of any other (0: one switch)."""
        last = self.answers[-1]
        first_new = self.answers.index(last)
        last_old = max((i for i, a in enumerate(self.answers) if a != last), default=-1)
        return max(0, last_old - first_new + 1)

    @property
    def changes(self) -> int:
        return sum(1 for before, after in zip(self.answers, self.answers[1:], strict=False) if before != after)


@dataclass
class Api:
    """The user's service repository, the fleet it deploys to and what a run needs."""

    repo: Path
    fleet: Fleet
    act: Act
    variables: dict[str, str]
    env: dict[str, str]
    secrets: dict[str, str]
    slack: WebhookReceiver
    first: tuple[str, str] = ("", "")  # the first release: commit, S3 key of its revision
    oidc: OidcTokens | None = None

    def push(self) -> Run:
        return self.act.push(self.repo, WORKFLOW, secrets=self.secrets, env=self.env, variables=self.variables)

    def dispatch(self, workflow: str, inputs: dict[str, str]) -> Run:
        """`act workflow_dispatch` with the inputs a person would type in the Actions tab."""
        (self.repo / ".github" / "workflows" / workflow).write_bytes((EXAMPLES / "github" / workflow).read_bytes())
        secret_file = self.repo.parent / "dispatch.secrets"
        secret_file.write_text("".join(f"{k}={v}\n" for k, v in self.secrets.items()))
        argv = [self.act.binary, "workflow_dispatch", "-P", "ubuntu-latest=-self-hosted",
                "-W", f".github/workflows/{workflow}",
                "--local-repository", f"org/deploy-actions@v1={self.act.checkout}",
                "--action-cache-path", str(self.repo.parent / "act-cache"), "--secret-file", str(secret_file),
                "--var-file", "/dev/null", "--env-file", "/dev/null",
                "--env", f"AWS_ENDPOINT_URL={self.act.aws.url}", "--env", f"DEPLOY_ACTIONS_CACHE={self.act.cache}"]
        for option, values in (("--env", self.env), ("--var", self.variables), ("--input", inputs)):
            for name, value in values.items():
                argv += [option, f"{name}={value}"]
        return run(argv, cwd=self.repo, env=host_env(), timeout=300)

    def serves(self) -> str:
        """The commit the load balancer's answer names (`/actuator/info`), '' when nothing answers."""
        body = self.fleet.serves("/actuator/info", timeout=10)
        return str(json.loads(body)["version"]) if body else ""


def instance_ids(emulator: Emulator, group: str) -> list[str]:
    described = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return [i["InstanceId"] for i in described["AutoScalingGroups"][0]["Instances"]]


@pytest.fixture(scope="module")
def api(act: str, action_checkout: Path, action_cache: Path, aws: AwsEndpoint, aws_emulator: Emulator,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Example 2's world, seeded once for the module, with a first release already deployed by the workflow."""
    docker = tool("docker")
    need_registry_binary()
    base = tmp_path_factory.mktemp("seed-001")
    repo = user_repository(SERVICE, base / "api", WORKFLOW)

    fleet = Fleet(aws_emulator, instances=2)
    # what the team's IaC makes besides the fleet (ECR repository, hook log group), as `make demo` seeds it
    variables = provision(aws_emulator, fleet.out, prefix=fleet.out["application"].removesuffix("web"))
    slack = WebhookReceiver()
    oidc = OidcTokens()
    world = Api(repo, fleet, Act(act, action_checkout, action_cache, aws), variables,
                {**oidc.env, **container_storage(base / "containers")}, {"SLACK_WEBHOOK": slack.url("slack")}, slack,
                oidc=oidc)
    try:
        first, result = first_release(world, "seed-001 first release (build, push, package, deploy 2 instances, "
                                      "verify)")
        world.first = (first, step_outputs(result.output, "org/deploy-actions/package-revision@v1")["s3-key"])
        yield world
    finally:
        slack.close()
        oidc.close()
        for instance in instance_ids(aws_emulator, fleet.out["auto_scaling_group"]):
            subprocess.run([docker, "rm", "-f", f"api-{instance}"], capture_output=True, timeout=60, check=False)


def test_seed_001_rolls_a_release_out_one_instance_at_a_time_with_no_failed_request(
        api: Api, aws_emulator: Emulator) -> None:
    before = api.serves()
    (api.repo / "src" / "www" / "index.html").write_text("<h1>api, second release</h1>\n")
    release = commit_all(api.repo, "Second release")
    url = api.variables["SERVICE_URL"] + "/actuator/info"
    with Load(url) as load:
        result = api.push()
    print(f"act, seed-001 rolling release: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed, {load.changes} version changes")
    assert result.code == 0, result.output
    assert "🏁  Job succeeded" in result.output

    # What a user sees: the new commit answers through the load balancer, and nothing failed on the way.
    assert api.serves() == release
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before, release}
    assert load.answers[0] == before and load.answers[-1] == release
    print(f"mixed window: {load.mixed} requests")  # one instance new, the other old, as a rolling update does

    # OneAtATime through both instances; the image by digest, tagged latest and the commit.
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Succeeded" and outputs["rollback-deployment-id"] == ""
    instances = json.loads(outputs["instances"])
    assert [i["status"] for i in instances] == ["Succeeded", "Succeeded"]
    info = api.fleet.info(outputs["deployment-id"])
    assert info["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    images = aws_emulator.client("ecr").describe_images(repositoryName=api.variables["ECR_REPOSITORY"])
    tags = {tag for image in images["imageDetails"] for tag in image.get("imageTags", [])}
    assert {"latest", release} <= tags

    # SSM's parameter reached the container through the env file; the checks passed and Slack heard of it.
    assert api.fleet.serves("/env") == "production"
    verify = step_outputs(result.output, VERIFY)
    assert verify["healthy"] == "true", result.output
    assert {c["kind"] for c in json.loads(verify["checks"])} >= {"url", "target-group", "alarm", "logs"}
    messages = api.slack.to(api.secrets["SLACK_WEBHOOK"])
    assert messages and release[:7] in json.dumps(messages[-1].json)

    # Credentials: only the OIDC exchange. Each AWS step asked GitHub's token service for an STS token;
    # no access key was given to the run (its secrets are the Slack URL alone).
    assert api.oidc is not None and set(api.oidc.audiences) == {"sts.amazonaws.com"}
    assert result.output.count("Assumed role " + ROLE) >= 4  # build-push-ecr, package, deploy, verify
    assert set(api.secrets) == {"SLACK_WEBHOOK"} and "AWS_ACCESS_KEY_ID" not in api.env


def test_seed_001_a_release_failing_its_health_check_is_rolled_back_and_the_job_says_why(api: Api) -> None:
    before = api.serves()
    (api.repo / "src" / "www" / "actuator" / "health").unlink()  # the bad release: no health endpoint
    commit_all(api.repo, "Bad release")
    url = api.variables["SERVICE_URL"] + "/actuator/info"
    with Load(url) as load:
        result = api.push()
    print(f"act, seed-001 bad release rolled back: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed")
    git(api.repo, "revert", "--no-edit", "HEAD")  # leave a healthy repository to whatever runs next

    assert result.code != 0, result.output
    assert "🏁  Job failed" in result.output
    assert f"❌  Failure - Main {DEPLOY}" in result.output
    # The cause, in the job's log: the instance, the hook, its own words.
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Failed", result.output
    failed = [i for i in json.loads(outputs["instances"]) if i["status"] == "Failed"]
    assert [i["failed-hook"] for i in failed] == ["ValidateService"]
    assert f"::error title=ValidateService failed on {failed[0]['id']}::" in result.output
    assert "did not answer UP" in result.output
    assert outputs["rollback-deployment-id"].startswith("d-")

    # The old release answers again, and kept answering throughout.
    assert api.serves() == before
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before}
    # Slack heard of the failure, from the step that reports what the checks did not get to.
    messages = api.slack.to(api.secrets["SLACK_WEBHOOK"])
    assert outputs["deployment-id"] in json.dumps(messages[-1].json)


def test_seed_001_manual_rollback_puts_the_chosen_revision_back(api: Api) -> None:
    commit, key = api.first
    assert api.serves() != commit  # a later release runs
    target = f"s3://{api.variables['DEPLOY_BUCKET']}/{key}"
    result = api.dispatch("seed-001-manual-rollback.yml", {"environment": "production", "target-revision": target})
    print(f"act, seed-001 manual rollback: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Succeeded"
    info = api.fleet.info(outputs["deployment-id"])
    assert info["revision"]["s3Location"]["key"] == key
    assert api.serves() == commit
    assert f"rollback deployment: {outputs['deployment-id']} status=Succeeded" in result.output


def test_seed_001_develop_deploys_to_development_all_at_once_without_automatic_rollback(api: Api) -> None:
    git(api.repo, "checkout", "--quiet", "-b", "develop")
    try:
        (api.repo / "src" / "www" / "index.html").write_text("<h1>api, develop</h1>\n")
        commit = commit_all(api.repo, "Work in progress")
        result = api.push()
    finally:
        git(api.repo, "checkout", "--quiet", "main")
    print(f"act, seed-001 develop push: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = step_outputs(result.output, DEPLOY)
    info = api.fleet.info(outputs["deployment-id"])
    assert info["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
    assert info["autoRollbackConfiguration"]["enabled"] is False
    assert api.serves() == commit
    assert api.fleet.serves("/env") == "production"  # the SSM parameter the seeded path holds
    package = step_outputs(result.output, "org/deploy-actions/package-revision@v1")
    body = api.fleet.emulator.client("s3").get_object(Bucket=package["s3-bucket"], Key=package["s3-key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        info_env = bundle.read("deployment-info.env").decode()
    assert "APP_ENV='development'" in info_env and f"COMMIT_SHA='{commit}'" in info_env, info_env


def test_seed_001_an_alarm_during_the_deployment_stops_it_and_rolls_it_back(api: Api, aws_emulator: Emulator) -> None:
    before = api.serves()
    (api.repo / "src" / "www" / "index.html").write_text("<h1>api, release that sets off an alarm</h1>\n")
    commit_all(api.repo, "Release under an alarm")
    alarm = api.variables["ALARMS"]
    codedeploy = aws_emulator.client("codedeploy")
    started = threading.Event()

    def fire_once_deploying() -> None:  # the alarm goes off while CodeDeploy works, as a 5xx spike would
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not started.is_set():
            if codedeploy.list_deployments(applicationName=api.variables["CODEDEPLOY_APPLICATION"],
                                           deploymentGroupName=api.variables["CODEDEPLOY_DEPLOYMENT_GROUP"],
                                           includeOnlyStatuses=["InProgress"])["deployments"]:
                aws_emulator.faults.alarm_at(alarm, at=0, real_delay=0)
                started.set()
            time.sleep(0.05)

    watcher = threading.Thread(target=fire_once_deploying, daemon=True)
    watcher.start()
    try:
        with Load(api.variables["SERVICE_URL"] + "/actuator/info") as load:
            result = api.push()
    finally:
        started.set()
        watcher.join(timeout=10)
        aws_emulator.faults.clear()
        aws_emulator.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="e2e over")
        git(api.repo, "revert", "--no-edit", "HEAD")
    print(f"act, seed-001 release stopped by an alarm: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed")

    assert result.code != 0, result.output
    assert f"❌  Failure - Main {DEPLOY}" in result.output
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Stopped", result.output
    assert alarm in result.output and "ALARM_ACTIVE" in result.output
    assert outputs["rollback-deployment-id"].startswith("d-")
    assert api.serves() == before
    assert load.failed == [], load.failed[:5]


def test_seed_001_a_high_finding_in_the_scan_stops_the_run_before_anything_deploys(
        api: Api, aws_emulator: Emulator) -> None:
    before = api.serves()
    group = {"applicationName": api.variables["CODEDEPLOY_APPLICATION"],
             "deploymentGroupName": api.variables["CODEDEPLOY_DEPLOYMENT_GROUP"]}
    deployments = aws_emulator.client("codedeploy").list_deployments(**group)["deployments"]
    (api.repo / "src" / "www" / "index.html").write_text("<h1>api, vulnerable</h1>\n")
    commit_all(api.repo, "Vulnerable release")
    # the next scans in the repository find it (this push's tags: latest and the commit)
    aws_emulator.ecr.set_findings(FindingsRule(api.variables["ECR_REPOSITORY"], "",
                                               [finding("CVE-2026-0001", "HIGH")], seconds=5))
    try:
        result = api.push()
    finally:
        aws_emulator.ecr.clear_findings()
        git(api.repo, "revert", "--no-edit", "HEAD")
    print(f"act, seed-001 scan gate: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    assert "❌  Failure - Main org/deploy-actions/build-push-ecr@v1" in result.output
    assert "CVE-2026-0001 (HIGH)" in result.output
    assert "Run Main org/deploy-actions/codedeploy-deploy@v1" not in result.output  # the deploy job never ran
    assert aws_emulator.client("codedeploy").list_deployments(**group)["deployments"] == deployments
    assert api.serves() == before


# -- Example 1 (seed 000): blue/green on a copied Auto Scaling group, Docker Compose in the hooks, Discord ------

SHOP = ROOT / "examples" / "seed-000-shop"
BLUE_GREEN = "seed-000-asg-blue-green.yml"


@dataclass
class Shop:
    repo: Path
    emulator: Emulator
    out: dict[str, Any]
    act: Act
    variables: dict[str, str]
    env: dict[str, str]
    secrets: dict[str, str]
    discord: WebhookReceiver

    def push(self) -> Run:
        return self.act.push(self.repo, BLUE_GREEN, secrets=self.secrets, env=self.env, variables=self.variables)

    def serves(self) -> str:
        return answer(self.variables["SERVICE_URL"] + "/version", timeout=10)

    def info(self, deployment_id: str) -> dict[str, Any]:
        codedeploy = self.emulator.client("codedeploy")
        return dict(codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])


@pytest.fixture(scope="module")
def shop(act: str, action_checkout: Path, action_cache: Path, aws: AwsEndpoint, aws_emulator: Emulator,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """Example 1's world, seeded once for the module; the first release already moved traffic to green."""
    docker = tool("docker")
    need_registry_binary()
    if not (shutil.which("docker-compose") or subprocess.run([docker, "compose", "version"], capture_output=True,
                                                             check=False).returncode == 0):
        tool("docker-compose")
    base = tmp_path_factory.mktemp("seed-000")
    repo = user_repository(SHOP, base / "shop", BLUE_GREEN)

    prefix = f"e2e{uuid.uuid4().hex[:8]}-"
    out = seed(aws_emulator.client, load_scenario("asg-blue-green"), prefix=prefix)
    aws_emulator.client("ecr").create_repository(repositoryName=f"{prefix}shop")
    discord = WebhookReceiver()
    oidc = OidcTokens()
    variables = {"AWS_REGION": "us-east-1", "AWS_ROLE_ARN": ROLE, "ECR_REPOSITORY": f"{prefix}shop",
                 "DEPLOY_BUCKET": out["bucket"], "CODEDEPLOY_APPLICATION": out["application"],
                 "CODEDEPLOY_DEPLOYMENT_GROUP": out["deployment_group"],
                 "SERVICE_URL": aws_emulator.listener_url(out["listener_arn"])}
    world = Shop(repo, aws_emulator, out, Act(act, action_checkout, action_cache, aws), variables,
                 {**oidc.env, **container_storage(base / "containers")}, {"DISCORD_WEBHOOK": discord.url("discord")},
                 discord)
    try:
        first_release(world, "seed-000 first release (test, build, push, package, blue/green)")
        yield world
    finally:
        discord.close()
        oidc.close()
        listed = subprocess.run([docker, "ps", "-aq", "--filter", "label=deploy-actions.example=seed-000-shop"],
                                capture_output=True, text=True, timeout=60, check=False).stdout.split()
        if listed:
            subprocess.run([docker, "rm", "-f", *listed], capture_output=True, timeout=120, check=False)


def test_seed_000_blue_green_moves_traffic_to_green_with_no_failed_request_and_terminates_blue(shop: Shop) -> None:
    before = shop.serves()
    (shop.repo / "src" / "www" / "index.html").write_text("<h1>shop, second release</h1>\n")
    release = commit_all(shop.repo, "Second release")
    with Load(shop.variables["SERVICE_URL"] + "/version", text=True) as load:
        result = shop.push()
    print(f"act, seed-000 blue/green release: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed, {load.changes} version changes")
    assert result.code == 0, result.output
    assert shop.serves() == release
    assert load.failed == [], load.failed[:5]
    assert load.answers[0] == before and load.answers[-1] == release
    # CodeDeploy's EC2 blue/green registers the green instances in the group's target group, then
    # deregisters the blue ones: both answer for that moment (a listener switch would not), never neither.
    assert set(load.answers) == {before, release}
    print(f"mixed window: {load.mixed} requests")
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Succeeded"
    info = shop.info(outputs["deployment-id"])
    assert info["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"
    blue = {i["id"] for i in json.loads(outputs["instances"]) if i["fleet"] == "original"}
    assert blue, outputs["instances"]
    described = shop.emulator.client("ec2").describe_instances(InstanceIds=sorted(blue))
    states = {i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}
    assert states <= {"shutting-down", "terminated"}, states  # the original fleet is gone after the wait
    messages = shop.discord.to(shop.secrets["DISCORD_WEBHOOK"])
    assert messages and release[:7] in json.dumps(messages[-1].json)


def test_seed_000_a_green_fleet_failing_its_health_check_never_takes_traffic(shop: Shop) -> None:
    before = shop.serves()
    (shop.repo / "src" / "www" / "health").unlink()  # the bad release: no health endpoint
    commit_all(shop.repo, "Bad release")
    with Load(shop.variables["SERVICE_URL"] + "/version", text=True) as load:
        result = shop.push()
    print(f"act, seed-000 bad release: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed")
    git(shop.repo, "revert", "--no-edit", "HEAD")

    assert result.code != 0, result.output
    assert f"❌  Failure - Main {DEPLOY}" in result.output
    outputs = step_outputs(result.output, DEPLOY)
    assert outputs["status"] == "Failed", result.output
    failed = [i for i in json.loads(outputs["instances"]) if i["status"] == "Failed"]
    assert failed and {i["failed-hook"] for i in failed} == {"ValidateService"}
    assert "health check failed" in result.output
    assert shop.serves() == before
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before}
    messages = shop.discord.to(shop.secrets["DISCORD_WEBHOOK"])
    assert outputs["deployment-id"] in json.dumps(messages[-1].json)


# -- Example 5 (seed 004): ECR by digest → ECS Fargate rolling update, previous task definition on failure ------

BACKEND = ROOT / "examples" / "seed-004-backend"
FARGATE = "seed-004-ecs-fargate.yml"
ECS_DEPLOY = "org/deploy-actions/ecs-deploy@v1"


@dataclass
class Backend:
    repo: Path
    emulator: Emulator
    out: dict[str, Any]
    act: Act
    variables: dict[str, str]
    env: dict[str, str]

    def push(self) -> Run:
        return self.act.push(self.repo, FARGATE, secrets={}, env=self.env, variables=self.variables)

    def serves(self) -> str:
        return answer(self.emulator.listener_url(self.out["listener_arn"]) + "/version", timeout=20)

    def service(self) -> dict[str, Any]:
        ecs = self.emulator.client("ecs")
        return dict(ecs.describe_services(cluster=self.out["cluster"], services=[self.out["service"]])["services"][0])


@pytest.fixture(scope="module")
def backend(act: str, action_checkout: Path, action_cache: Path, aws: AwsEndpoint, aws_emulator: Emulator,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """Example 5's world: the Fargate scenario seeded once, its service already rolled to a first release."""
    tool("docker")
    need_registry_binary()
    base = tmp_path_factory.mktemp("seed-004")
    repo = user_repository(BACKEND, base / "backend", FARGATE)
    shutil.copy("/bin/busybox", repo / "busybox")  # what the README asks for before a build
    prefix = f"e2e{uuid.uuid4().hex[:8]}-"
    out = seed(aws_emulator.client, load_scenario("ecs-fargate-rolling"), prefix=prefix)
    definition = repo / "deploy" / "task-definition.json"  # the user's own family
    definition.write_text(definition.read_text().replace('"backend-prod"', json.dumps(out["task_family"])))
    aws_emulator.client("ecr").create_repository(repositoryName=f"{prefix}backend")
    oidc = OidcTokens()
    variables = {"AWS_REGION": "us-east-1", "AWS_ROLE_ARN": ROLE, "ECR_REPOSITORY": f"{prefix}backend",
                 "ECS_CLUSTER": out["cluster"], "ECS_SERVICE": out["service"]}
    world = Backend(repo, aws_emulator, out, Act(act, action_checkout, action_cache, aws), variables,
                    {**oidc.env, **container_storage(base / "containers")})
    try:
        first_release(world, "seed-004 first release (build, push, render, roll out)")
        yield world
    finally:
        oidc.close()


def test_seed_004_rolls_the_pushed_digest_out_on_fargate_with_no_failed_request(backend: Backend) -> None:
    before = backend.serves()
    (backend.repo / "www" / "index.html").write_text("<h1>backend, second release</h1>\n")
    release = commit_all(backend.repo, "Second release")
    with Load(backend.emulator.listener_url(backend.out["listener_arn"]) + "/version", text=True) as load:
        result = backend.push()
    print(f"act, seed-004 rolling update: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed, {load.changes} version changes, mixed window {load.mixed} requests")
    assert result.code == 0, result.output
    assert backend.serves() == release
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before, release}

    outputs = step_outputs(result.output, ECS_DEPLOY)
    assert outputs["status"] == "SUCCESSFUL" and outputs["rolled-back"] == "false"
    image = step_outputs(result.output, "org/deploy-actions/build-push-ecr@v1")
    assert image["image-digest-uri"].endswith(image["digest"])
    assert json.loads(image["tags"]) == [f"{image['registry']}/{backend.variables['ECR_REPOSITORY']}:sha-{release[:7]}"]
    ecs = backend.emulator.client("ecs")
    (container,) = ecs.describe_task_definition(taskDefinition=outputs["task-definition-arn"])[
        "taskDefinition"]["containerDefinitions"]
    assert container["image"] == image["image-digest-uri"]  # by digest, not by the tag
    assert backend.service()["taskDefinition"] == outputs["task-definition-arn"]


def test_seed_004_a_release_whose_tasks_fail_is_rolled_back_to_the_previous_task_definition(
        backend: Backend) -> None:
    before = backend.serves()
    previous = backend.service()["taskDefinition"]
    (backend.repo / "www" / "health").unlink()  # the bad release: the ALB's health check fails
    commit_all(backend.repo, "Bad release")
    with Load(backend.emulator.listener_url(backend.out["listener_arn"]) + "/version", text=True) as load:
        result = backend.push()
    print(f"act, seed-004 bad release rolled back: {result.seconds:.1f}s; load: {len(load.answers)} requests, "
          f"{len(load.failed)} failed")
    git(backend.repo, "revert", "--no-edit", "HEAD")

    assert result.code != 0, result.output
    assert f"❌  Failure - Main {ECS_DEPLOY}" in result.output
    outputs = step_outputs(result.output, ECS_DEPLOY)
    assert outputs["rolled-back"] == "true", result.output
    assert outputs["status"] in {"ROLLED_BACK", "FAILED"}, outputs
    # The cause, in the job's annotation: ECS's rollback and the stopped tasks' reason.
    (annotation,) = [line for line in result.output.splitlines() if "::error title=ecs-deploy%3A failed::" in line]
    assert "ROLLBACK_SUCCESSFUL" in annotation and "Task failed ELB health checks" in annotation, annotation
    assert backend.service()["taskDefinition"] == previous
    assert backend.serves() == before
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before}


@pytest.fixture
def breaker_without_rollback(backend: Backend) -> Iterator[None]:
    """The service's circuit breaker stops a failing rollout but leaves it there: ECS does not roll back itself.

    The scenario's service has rollback on (as the example's header asks); a team's may not. Its configuration
    is put back afterwards, since the other example-5 tests share the service."""
    ecs = backend.emulator.client("ecs")
    configuration = backend.service()["deploymentConfiguration"]
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, configuration
    changed = {**configuration, "deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    ecs.update_service(cluster=backend.out["cluster"], service=backend.out["service"], deploymentConfiguration=changed)
    try:
        yield
    finally:
        ecs.update_service(cluster=backend.out["cluster"], service=backend.out["service"],
                           deploymentConfiguration=configuration)


def test_seed_004_when_ecs_does_not_roll_back_the_action_redeploys_the_previous_task_definition(
        backend: Backend, breaker_without_rollback: None) -> None:
    before = backend.serves()
    previous = backend.service()["taskDefinition"]
    ecs = backend.emulator.client("ecs")
    (backend.repo / "www" / "health").unlink()  # the bad release: the ALB's health check fails
    commit_all(backend.repo, "Bad release, no rollback by ECS")
    with Load(backend.emulator.listener_url(backend.out["listener_arn"]) + "/version", text=True) as load:
        result = backend.push()
    print(f"act, seed-004 bad release, ECS without rollback: {result.seconds:.1f}s; load: {len(load.answers)} "
          f"requests, {len(load.failed)} failed")
    git(backend.repo, "revert", "--no-edit", "HEAD")

    assert result.code != 0, result.output
    assert "🏁  Job failed" in result.output
    assert f"❌  Failure - Main {ECS_DEPLOY}" in result.output
    outputs = step_outputs(result.output, ECS_DEPLOY)
    bad = outputs["task-definition-arn"]
    assert bad != previous and outputs["previous-task-definition-arn"] == previous, outputs
    assert outputs["rolled-back"] == "true" and outputs["status"] == "ROLLED_BACK", outputs

    # ECS marked the bad rollout FAILED and stopped there: its circuit breaker did not roll back.
    listed = ecs.list_service_deployments(cluster=backend.out["cluster"], service=backend.out["service"])
    described = ecs.describe_service_deployments(
        serviceDeploymentArns=[d["serviceDeploymentArn"] for d in listed["serviceDeployments"]])["serviceDeployments"]
    revisions = {r["serviceRevisionArn"]: r["taskDefinition"] for r in ecs.describe_service_revisions(
        serviceRevisionArns=[d["targetServiceRevision"]["arn"] for d in described])["serviceRevisions"]}
    failed = [d for d in described if revisions[d["targetServiceRevision"]["arn"]] == bad]
    assert [d["status"] for d in failed] == ["STOPPED"], failed
    assert "rollback" not in failed[0] and failed[0]["deploymentCircuitBreaker"]["status"] == "TRIGGERED", failed[0]
    # The action's own rollback: a new deployment of the previous task definition, which succeeded.
    back = [d for d in described if revisions[d["targetServiceRevision"]["arn"]] == previous
            and d["createdAt"] > failed[0]["createdAt"]]
    assert [d["status"] for d in back] == ["SUCCESSFUL"], back

    # The cause, in the job's annotation: the stopped tasks' reason and where the service was put back.
    (annotation,) = [line for line in result.output.splitlines() if "::error title=ecs-deploy%3A failed::" in line]
    assert "Task failed ELB health checks" in annotation and f"rolled back to {previous}" in annotation, annotation
    assert "ROLLBACK_SUCCESSFUL" not in annotation, annotation
    # Where the user stands: the previous task definition runs and the old version answers through the ALB.
    assert backend.service()["taskDefinition"] == previous
    assert backend.serves() == before
    assert load.failed == [], load.failed[:5]
    assert set(load.answers) == {before}
