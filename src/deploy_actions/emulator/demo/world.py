"""Example 2's world on the emulator: the AWS side a team's IaC would have made, the user's repository, and the
copy of deploy-actions act serves as `org/deploy-actions@v1`. The demo and the end-to-end tests build it alike."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploy_actions.emulator.server import Emulator

ROOT = Path(__file__).resolve().parents[4]  # the checkout: examples/, workflows-examples/
SERVICE = Path("examples") / "seed-001-api"
WORKFLOW = "seed-001-ec2-rolling.yml"
WORKFLOW_SOURCE = Path("workflows-examples") / "github" / WORKFLOW
SCENARIO = "ec2-rolling"
ROLE = "arn:aws:iam::123456789012:role/deploy-api"  # the emulator's STS lets any OIDC token assume any role
# The runner's variables a run must not inherit from the machine hosting it (a CI job, a developer's AWS keys).
HOST_VARIABLES = re.compile(r"^(GITHUB_|RUNNER_|INPUT_|AWS_|CI_|GITLAB_|DEPLOY_ACTIONS_|ACTIONS_|SOURCE_DATE_EPOCH$)")
AUTHOR = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
          "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}


def provision(emulator: Emulator, seeded: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """The production environment on top of the seeded `ec2-rolling` scenario: the ECR repository (scan on push)
    and the deployment group's hook log group; returns the environment's variables, as the workflow reads them."""
    from deploy_actions.emulator.codedeploy.instance import HOOK_LOG_GROUP_TAG  # moto: only once it is known there

    repository, log_group = f"{prefix}api", f"/{prefix}api/deployments"
    emulator.client("ecr").create_repository(repositoryName=repository,
                                             imageScanningConfiguration={"scanOnPush": True})
    group_arn = (f"arn:aws:codedeploy:{emulator.region}:{emulator.account}:deploymentgroup:"
                 f"{seeded['application']}/{seeded['deployment_group']}")
    emulator.client("codedeploy").tag_resource(ResourceArn=group_arn,
                                               Tags=[{"Key": HOOK_LOG_GROUP_TAG, "Value": log_group}])
    return {
        "AWS_REGION": emulator.region, "AWS_ROLE_ARN": ROLE, "ECR_REPOSITORY": repository,
        "DEPLOY_BUCKET": seeded["bucket"], "CODEDEPLOY_APPLICATION": seeded["application"],
        "CODEDEPLOY_DEPLOYMENT_GROUP": seeded["deployment_group"], "TARGET_GROUP": f"{prefix}web-tg",
        "ALARMS": f"{prefix}web-5xx", "LOG_GROUP": log_group,
        # the scenario's parameter /app/environment, under the prefix as seed() puts it
        "SSM_PATH": f"/{prefix.strip('-')}/app" if prefix else "/app",
        "SERVICE_URL": emulator.listener_url(seeded["listener_arn"]),
    }


def host_env(**extra: str) -> dict[str, str]:
    """This machine's environment without CI or AWS variables of whatever hosts the run."""
    return {**{k: v for k, v in os.environ.items() if not HOST_VARIABLES.match(k)}, **extra}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**host_env(), **AUTHOR, **(env or {})},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def user_repository(target: Path, remote: str, root: Path = ROOT) -> Path:
    """The user's repository: the example service with its GitHub workflow, on main, `remote` as origin."""
    shutil.copytree(root / SERVICE, target, ignore=shutil.ignore_patterns("build"))
    workflows = target / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(root / WORKFLOW_SOURCE, workflows / WORKFLOW)
    git(target, "init", "--quiet", "--initial-branch=main")
    git(target, "remote", "add", "origin", remote)
    return target


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "--message", message)
    return git(repo, "rev-parse", "HEAD")


def copy_checkout(root: Path, target: Path) -> Path:
    """What a runner fetches for `org/deploy-actions@v1`: the checkout's files as they are now (uncommitted
    changes too), without .venv and caches; act copies this folder for every step, so small matters."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): everything but local state
        shutil.copytree(root, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".git", ".venv", ".cache", ".*_cache", ".hypothesis", "__pycache__", "work"))
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = root / name
        if source.is_file():  # listed but deleted in the working tree: not part of the checkout
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target
