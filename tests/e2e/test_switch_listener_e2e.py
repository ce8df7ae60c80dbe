"""switch-listener through its real front doors: the example workflow under act, the example pipeline under
gitlab-ci-local, against a blue and a green app behind the emulator's ALB (real HTTP, real health probes).

Both run the examples as a user's repository would: find the idle side (to: inactive, nothing changed), then
a 10/50/100 canary to it with a short bake, an alarm watched; the responses through the listener end green.
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
from tests.e2e.test_act import Act, step_outputs, step_summary
from tests.e2e.test_act import oidc as oidc
from tests.e2e.test_act import runner as runner
from tests.e2e.test_gitlab_ci_local import oidc_variables
from tests.integration.test_switch_listener import Site
from tests.integration.test_switch_listener import site as site
from tests.support.oidc import OidcTokens

pytestmark = pytest.mark.e2e

ACTION = "org/deploy-actions/switch-listener@v1"


@pytest.fixture
def alarm(site: Site) -> str:
    name = f"5xx-{site.name}"
    site.emulator.client("cloudwatch").put_metric_alarm(
        AlarmName=name, MetricName="HTTPCode_Target_5XX_Count", Namespace="Tests/SwitchListener", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    site.emulator.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="OK", StateReason="healthy")
    return name


def variables(site: Site, alarm: str) -> dict[str, str]:
    return {"LISTENER_ARN": site.listener, "BLUE_TARGET_GROUP": site.blue_name,
            "GREEN_TARGET_GROUP": site.green_name, "ALARM_NAME": alarm, "BAKE_TIME": "1s"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user's repository holding nothing but its pipeline."""
    repo = tmp_path / "web"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    return repo


def report(log: str) -> str:
    return next(line.split("switch: ", 1)[1] for line in log.splitlines() if "switch: previous=" in line
                and "$PREVIOUS" not in line)


def test_act_finds_the_idle_side_then_moves_traffic_to_it_as_a_canary(
        runner: Act, oidc: OidcTokens, site: Site, alarm: str, repo: Path) -> None:
    target = repo / ".github" / "workflows"
    target.mkdir(parents=True)
    shutil.copy(EXAMPLES / "github" / "switch-listener.yml", target / "switch-listener.yml")
    commit_all(repo)
    assert site.answers() == {"blue": 10}

    result = runner.push(repo, "switch-listener.yml", secrets={}, oidc=oidc, variables=variables(site, alarm))
    print(f"act, detect + 10/50/100 canary: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    assert f"deploying to {site.green}" in result.output  # the idle side, from the first step's output
    outputs = step_outputs(result.output.split("Deploy the new version", 1)[1], ACTION)
    assert outputs["active-target-group"] == site.green and outputs["previous-target-group"] == site.blue
    assert json.loads(outputs["weights"]) == {"blue": 0, "green": 100}
    assert report(result.output) == (f"previous={site.blue} active={site.green} "
                                     'weights={"blue":0,"green":100} rolled-back=false steps=3')
    assert site.answers() == {"green": 10}
    summary = step_summary(result.output.split("Deploy the new version", 1)[1], ACTION)
    assert f"| green | {site.green_name} | 0 (0%) | 100 (100%) |" in summary, result.output
    assert "xychart-beta" in summary


def serve_component(repo: Path, wheel: BuiltWheel) -> None:
    """Where gitlab-ci-local 4.70 keeps `include: component: <host>/org/deploy-actions/switch-listener@v1`."""
    host = USER_REMOTE.split("/")[2]
    target = repo / ".gitlab-ci-local" / "includes" / host / "org/deploy-actions" / "v1" / "templates"
    target.mkdir(parents=True, exist_ok=True)
    (target / "switch-listener.yml").write_text(render.gitlab_component(load_action("switch-listener"),
                                                                        wheel.requirement))


def test_gitlab_ci_local_detects_deploys_and_switches_through_dotenv_outputs(
        gitlab_ci_local: str, aws: Any, site: Site, alarm: str, repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "switch-listener.yml", repo / ".gitlab-ci.yml")
    commit_all(repo)
    serve_component(repo, tree_wheel)
    argv = [gitlab_ci_local, "--force-shell-executor"]
    for name, value in {**oidc_variables(aws), **gitlab_install.variables, **variables(site, alarm)}.items():
        argv += ["--variable", f"{name}={value}"]

    result = run(argv, cwd=repo, env=host_env(PATH=gitlab_install.path), timeout=300)
    print(f"gitlab-ci-local, detect + deploy + 10/50/100 canary: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    for job in ("detect-idle-side", "deploy-idle-side", "switch-traffic", "switch-report"):
        assert f"PASS  {job}" in result.output, result.output
    assert f"deploying to {site.green}" in result.output  # detect-idle-side's dotenv INACTIVE_TARGET_GROUP
    assert report(result.output) == (f"previous={site.blue} active={site.green} "
                                     'weights={"blue":0,"green":100} rolled-back=false steps=3')
    assert site.answers() == {"green": 10}
    summary = (repo / ".gitlab-ci-local" / "artifacts" / "switch-traffic" /
               "deploy-actions-summary-switch-traffic.md").read_text()
    assert f"| green | {site.green_name} | 0 (0%) | 100 (100%) |" in summary

    # Retrying the switch job alone: `to` is still the side detect-idle-side found (green), so nothing changes
    # (with to: toggle it would flip the traffic back to blue).
    again = run([*argv, "switch-traffic"], cwd=repo, env=host_env(PATH=gitlab_install.path), timeout=300)
    assert again.code == 0, again.output
    assert f"Green ({site.green_name}) already receives all traffic; nothing changed" in again.output
    assert site.answers() == {"green": 10}
