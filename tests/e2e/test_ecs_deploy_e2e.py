"""ecs-deploy through its real front doors: the example workflow under act, the example pipeline under
gitlab-ci-local, rolling two services on the emulator's ECS (stand-in tasks, real service deployments).

Each runs the example as a user's repository would: the task definition kept in deploy/ rendered with the
commit's image and RELEASE variable, registered once, both services followed to SUCCESSFUL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.actions import load_action
from deploy_actions.frontdoors import render
from tests.e2e.conftest import EXAMPLES, USER_REMOTE, BuiltWheel, GitlabInstall, commit_all, git, host_env, run
from tests.e2e.test_act import Act, step_outputs
from tests.e2e.test_act import oidc as oidc
from tests.e2e.test_act import runner as runner
from tests.e2e.test_gitlab_ci_local import ROLE, oidc_variables
from tests.integration.test_ecs_deploy_rollout import LABEL, Ecs, started
from tests.integration.test_ecs_deploy_rollout import ecs as ecs
from tests.support.oidc import OidcTokens

pytestmark = pytest.mark.e2e

ACTION = "org/deploy-actions/ecs-deploy@v1"
SERVICES = ("api", "worker")


def definition(ecs: Ecs, **labels: str) -> str:
    return json.dumps({
        "family": ecs.family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
        "memory": "512", "containerDefinitions": [{
            "name": "app", "image": "repo/app:placeholder", "essential": True,
            "portMappings": [{"containerPort": 8080}],
            "dockerLabels": {LABEL + k.replace("_", "-"): v for k, v in {"runtime": "stand-in", **labels}.items()}}],
    }, indent=2)


@pytest.fixture
def repo(tmp_path: Path, ecs: Ecs) -> Path:
    """A user's repository: its task definition in deploy/ (the family the services run)."""
    repo = tmp_path / "web"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "task-definition.json").write_text(definition(ecs))
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    return repo


def rolled_out(ecs: Ecs, commit: str, arn: str) -> None:
    """Both services run the new revision: the commit's image and RELEASE, and nothing else rolls."""
    for name in SERVICES:
        service = ecs.described(name)
        assert service["taskDefinition"] == arn and len(service["deployments"]) == 1
    (container,) = ecs.client.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"]
    assert container["image"] == f"repo/web:{commit}"
    assert container["environment"] == [{"name": "RELEASE", "value": commit}]


def test_act_rolls_out_two_services_from_the_repository_definition(
        runner: Act, oidc: OidcTokens, ecs: Ecs, repo: Path) -> None:
    started(ecs, *SERVICES)
    target = repo / ".github" / "workflows"
    target.mkdir(parents=True)
    shutil.copy(EXAMPLES / "github" / "ecs-deploy.yml", target / "ecs-deploy.yml")
    commit = commit_all(repo)

    result = runner.push(repo, "ecs-deploy.yml", secrets={}, oidc=oidc,
                         variables={"ECS_CLUSTER": ecs.cluster, "IMAGE_REPOSITORY": "repo/web"})
    print(f"act, two services rolled: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = step_outputs(result.output, ACTION)
    assert outputs["status"] == "SUCCESSFUL" and outputs["rolled-back"] == "false"
    arn = outputs["task-definition-arn"]
    assert arn.endswith(f"{ecs.family}:2")
    assert set(json.loads(outputs["service-deployment-arns"])) == set(SERVICES)
    assert f"ecs-deploy: status=SUCCESSFUL task-definition={arn}" in result.output  # the report step
    rolled_out(ecs, commit, arn)


def test_act_fails_on_a_circuit_breaker_rollback_and_reports_the_events(
        runner: Act, oidc: OidcTokens, ecs: Ecs, repo: Path) -> None:
    live = started(ecs, *SERVICES)
    (repo / "deploy" / "task-definition.json").write_text(definition(
        ecs, fail_to_start="CannotPullContainerError: pull access denied for repo/web"))
    target = repo / ".github" / "workflows"
    target.mkdir(parents=True)
    shutil.copy(EXAMPLES / "github" / "ecs-deploy.yml", target / "ecs-deploy.yml")
    commit_all(repo)

    result = runner.push(repo, "ecs-deploy.yml", secrets={}, oidc=oidc,
                         variables={"ECS_CLUSTER": ecs.cluster, "IMAGE_REPOSITORY": "repo/web"})
    print(f"act, two services rolled back: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    assert "CannotPullContainerError: pull access denied for repo/web" in result.output  # stopped tasks' reason
    assert "status=ROLLED_BACK" in result.output and "rolled-back=true" in result.output  # the report step ran
    assert "deployment failed: tasks failed to start." in result.output.split("events:", 1)[1]  # events output
    assert [ecs.described(name)["taskDefinition"] for name in SERVICES] == [live, live]


def serve_component(repo: Path, wheel: BuiltWheel) -> None:
    """Where gitlab-ci-local 4.70 keeps `include: component: <host>/org/deploy-actions/ecs-deploy@v1`."""
    host = USER_REMOTE.split("/")[2]
    target = repo / ".gitlab-ci-local" / "includes" / host / "org/deploy-actions" / "v1" / "templates"
    target.mkdir(parents=True, exist_ok=True)
    (target / "ecs-deploy.yml").write_text(render.gitlab_component(load_action("ecs-deploy"), wheel.requirement))


def test_gitlab_ci_local_rolls_out_two_services_and_reports_through_dotenv(
        gitlab_ci_local: str, aws: Any, ecs: Ecs, repo: Path, tree_wheel: BuiltWheel,
        gitlab_install: GitlabInstall) -> None:
    started(ecs, *SERVICES)
    shutil.copy(EXAMPLES / "gitlab" / "ecs-deploy.yml", repo / ".gitlab-ci.yml")
    commit = commit_all(repo)
    serve_component(repo, tree_wheel)
    argv = [gitlab_ci_local, "--force-shell-executor"]
    variables = {**oidc_variables(aws), **gitlab_install.variables, "ECS_CLUSTER": ecs.cluster,
                 "IMAGE_REPOSITORY": "repo/web"}
    for name, value in variables.items():
        argv += ["--variable", f"{name}={value}"]

    result = run(argv, cwd=repo, env=host_env(PATH=gitlab_install.path), timeout=300)
    print(f"gitlab-ci-local, two services rolled: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert "PASS  roll-out" in result.output and "PASS  rollout-report" in result.output
    assert f"Assumed role {ROLE}" in result.output  # by OIDC, as the example asks
    arn = ecs.described("api")["taskDefinition"]
    assert f"ecs-deploy: status=SUCCESSFUL task-definition={arn}" in result.output  # roll-out's dotenv outputs
    rolled_out(ecs, commit, arn)
