"""verify-and-notify through the GitHub and GitLab front doors: act and gitlab-ci-local run a user's workflow
that checks a service on loopback and notifies a webhook receiver standing in for Slack, Discord and Teams. The
commit being reported is hostile; the webhook URLs are the job's secrets and must appear nowhere in its log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import AwsEndpoint
from tests.e2e.conftest import EXAMPLES, BuiltWheel, GitlabInstall, commit_all
from tests.e2e.test_act import Act, add_workflows, runner, step_outputs  # noqa: F401 (runner: the fixture)
from tests.e2e.test_gitlab_ci_local import pipeline, serve_component
from tests.integration.test_verify_and_notify import Service
from tests.integration.test_verify_and_notify import receiver as receiver
from tests.integration.test_verify_and_notify import service as service
from tests.support.platform_limits import HOSTILE_COMMIT, PROBLEMS
from tests.support.webhook_receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.e2e

ACTION = "org/deploy-actions/verify-and-notify@v1"


def hostile_repo(repo: Path) -> None:
    shutil.rmtree(repo / "deploy")
    (repo / "README.md").write_text("api\n")
    commit_all(repo, HOSTILE_COMMIT)


def assert_no_secret(log: str, urls: list[str]) -> None:
    for url in urls:
        assert url not in log and url.split("/hooks/")[1] not in log


def test_github_action_verifies_and_notifies_slack_and_discord_with_the_hostile_commit_inert(
        runner: Act, service: Service, receiver: WebhookReceiver, user_repo: Path) -> None:  # noqa: F811
    add_workflows(user_repo, "verify-and-notify.yml")
    hostile_repo(user_repo)
    slack, discord = receiver.url("slack"), receiver.url("discord")
    receiver.then(Reply(429, b"rate limited", {"Retry-After": "1"}), to=slack)

    secrets = {"SLACK_WEBHOOK": slack, "DISCORD_WEBHOOK": discord}
    result = runner.push(user_repo, "verify-and-notify.yml", secrets=secrets, variables={"SERVICE_URL": service.url})
    print(f"act, verify-and-notify: {result.seconds:.1f}s")
    assert result.code == 0, result.output
    outputs = step_outputs(result.output, ACTION)
    assert outputs["healthy"] == "true" and sorted(json.loads(outputs["notified"])) == ["discord", "slack"]
    assert 'checked healthy=true notified=["slack","discord"]' in result.output
    assert "slack: accepted (HTTP 200) after 2 attempts, waited 1s as asked" in result.output  # 429, then through
    checks = {c["name"]: c for c in json.loads(outputs["checks"])}
    assert checks[f"GET {service.url}/health"]["ok"] and checks[f"GET {service.url}/version"]["ok"]

    slack_payload, discord_payload = receiver.to(slack)[-1].json, receiver.to(discord)[-1].json
    assert PROBLEMS["slack"](slack_payload) == [] and PROBLEMS["discord"](discord_payload) == []
    slack_text = json.dumps(slack_payload)
    assert "&lt;!channel&gt;" in slack_text and "<!channel>" not in slack_text
    assert '"$(rm -rf ~)"'.replace('"', '\\"') in slack_text  # shown as text, never run
    assert discord_payload["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in json.dumps(discord_payload, ensure_ascii=False)
    assert_no_secret(result.output, [slack, discord])


def test_gitlab_component_fails_on_a_wrong_version_and_notifies_teams_and_a_webhook(
        gitlab_ci_local: str, service: Service, receiver: WebhookReceiver, user_repo: Path,
        tree_wheel: BuiltWheel, gitlab_install: GitlabInstall, aws: AwsEndpoint) -> None:
    shutil.copy(EXAMPLES / "gitlab" / "verify-and-notify.yml", user_repo / ".gitlab-ci.yml")
    hostile_repo(user_repo)
    serve_component(user_repo, "org/deploy-actions", "v1", "verify-and-notify", tree_wheel)
    teams, hook = receiver.url("teams"), receiver.url("webhook")
    variables = {"HEALTH_CHECKS": f"{service.url}/health expect-json=status=UP\n{service.url}/version "
                 "expect-version=2.1.0", "TEAMS_WEBHOOK": teams, "DEPLOY_WEBHOOK": hook}
    # gitlab-ci-local's CI_COMMIT_MESSAGE is a placeholder: the message comes from the checkout (GITLAB_CI=false)

    result = pipeline(gitlab_ci_local, user_repo, aws, variables, gitlab_install)
    print(f"gitlab-ci-local, verify-and-notify: {result.seconds:.1f}s")
    assert result.code != 0, result.output
    assert "FAIL  verify" in result.output
    assert "1 of 2 checks failed" in result.output and "version 2.1.0 not served" in result.output
    card, plain = receiver.to(teams)[-1].json, receiver.to(hook)[-1].json
    assert PROBLEMS["teams"](card) == []
    assert "@everyone" not in json.dumps(card, ensure_ascii=False) and "rm -rf" in json.dumps(card)
    body = card["attachments"][0]["content"]["body"]
    assert body[0]["color"] == "Attention" and body[0]["text"].endswith("failed")
    assert plain["status"] == "failure" and plain["healthy"] is False
    assert plain["commit"]["message"].startswith('Fix "$(rm -rf ~)"')
    assert [c["ok"] for c in plain["checks"]] == [True, False]
    assert_no_secret(result.output, [teams, hook])
