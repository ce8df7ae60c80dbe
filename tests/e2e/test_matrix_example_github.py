"""The GitHub matrix example under act: two ECS services, each its own task definition file, rolled in one run.

`matrix-ecs-services.yml` runs unchanged in a user's repository holding deploy/api.json and deploy/worker.json;
act runs one job per matrix line against the emulator's ECS (stand-in tasks, real service deployments), each
job authenticated by OIDC (an ID-token stand-in; no access key reaches the run).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import EXAMPLES, USER_REMOTE, commit_all, git
from tests.e2e.test_act import Act
from tests.e2e.test_act import oidc as oidc
from tests.e2e.test_act import runner as runner
from tests.integration.test_ecs_deploy_rollout import LABEL, Ecs, wait
from tests.integration.test_ecs_deploy_rollout import ecs as ecs
from tests.support.oidc import ROLE, OidcTokens

pytestmark = pytest.mark.e2e

WORKFLOW = "matrix-ecs-services.yml"
SERVICES = ("api", "worker")
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop"


def test_act_rolls_each_service_of_the_matrix_to_a_new_revision_with_the_commits_image(
        runner: Act, oidc: OidcTokens, ecs: Ecs, tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    (repo / "deploy").mkdir(parents=True)
    for name in SERVICES:  # each service its own family, running revision 1 (stand-in tasks)
        definition = {"family": f"{ecs.family}-{name}", "networkMode": "awsvpc",
                      "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                      "containerDefinitions": [{"name": "app", "image": f"shop/{name}:1", "essential": True,
                                                "portMappings": [{"containerPort": 8080}],
                                                "dockerLabels": {LABEL + "runtime": "stand-in"}}]}
        live = ecs.client.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
        ecs.service(name, live)
        (repo / "deploy" / f"{name}.json").write_text(json.dumps(definition, indent=2))
    assert wait(lambda: all(ecs.settled(name) for name in SERVICES))
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(EXAMPLES / "github" / WORKFLOW, repo / ".github" / "workflows" / WORKFLOW)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    commit = commit_all(repo)

    result = runner.push(repo, WORKFLOW, secrets={}, oidc=oidc, variables={
        "AWS_REGION": "us-east-1", "ECS_CLUSTER": ecs.cluster, "IMAGE_REGISTRY": REGISTRY})
    print(f"act, matrix of 2 ECS services: {result.seconds:.1f}s")
    assert result.code == 0, result.output

    for name in SERVICES:  # each on its own family's new revision, with its own image of this commit
        service = ecs.described(name)
        arn = service["taskDefinition"]
        assert arn.endswith(f"/{ecs.family}-{name}:2") and len(service["deployments"]) == 1, service
        assert service["deployments"][0]["rolloutState"] == "COMPLETED"
        (container,) = ecs.client.describe_task_definition(taskDefinition=arn)["taskDefinition"][
            "containerDefinitions"]
        assert container["image"] == f"{REGISTRY}/{name}:{commit}"
        assert container["environment"] == [{"name": "RELEASE", "value": commit}]
        assert f"{name}: status=SUCCESSFUL task-definition={arn}" in result.output  # its job's report step

    # One job per service, each authenticated through the OIDC exchange alone.
    assert set(oidc.audiences) == {"sts.amazonaws.com"} and len(oidc.audiences) >= len(SERVICES)
    assert result.output.count(f"Assumed role {ROLE}") >= len(SERVICES)
