"""Task-definition rendering: what the inputs do to a definition, what is stripped, what is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.core.errors import InputError
from deploy_actions.ecs import render as rd
from deploy_actions.ecs.changes import Changes, parse_changes

DESCRIBED = {
    "taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "family": "web", "revision": 7, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
        "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
        "registeredAt": "2026-11-01T10:00:00Z", "registeredBy": "arn:aws:iam::123456789012:user/ci",
        "networkMode": "awsvpc", "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "containerDefinitions": [
            {"name": "app", "image": "repo/app:1", "essential": True, "cpu": 0, "portMappings": [
                {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
             "environment": [{"name": "MODE", "value": "blue"}], "secrets": [
                {"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}],
             "healthCheck": None, "mountPoints": [], "volumesFrom": []},
            {"name": "sidecar", "image": "repo/side:3", "essential": False,
             "logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "stdout"}}},
        ],
    },
    "tags": [{"key": "team", "value": "web"}],
}


def changes(**lines: Any) -> Changes:
    base: dict[str, Any] = {"containers": [], "environment": [], "secrets": [], "log_group": None, "cpu": None,
                            "memory": None, "task_role": None, "execution_role": None}
    return parse_changes(**{**base, **lines})


def described_body() -> dict[str, Any]:
    body, _ = rd.read_definition(json.dumps(DESCRIBED), "td.json")
    return body


def test_describe_output_is_unwrapped_its_read_only_keys_and_nulls_stripped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "td.json"
    path.write_text(json.dumps(DESCRIBED))
    source = rd.classify(str(path))
    assert source.kind == "file"
    assert set(source.stripped) == {"taskDefinitionArn", "revision", "status", "compatibilities",
                                    "requiresAttributes", "registeredAt", "registeredBy"}
    assert source.body["tags"] == [{"key": "team", "value": "web"}]
    assert "healthCheck" not in source.body["containerDefinitions"][0]
    rd.validate(source.body, "td.json")  # what is left is a request RegisterTaskDefinition takes


def test_yaml_console_definition_is_read(tmp_path: Path) -> None:
    path = tmp_path / "td.yaml"
    path.write_text("family: web\ncontainerDefinitions:\n  - name: app\n    image: repo/app:1\n    memory: 128\n")
    source = rd.classify(str(path))
    assert source.body["containerDefinitions"][0]["image"] == "repo/app:1"


def test_images_environment_secrets_logs_sizes_and_roles_are_applied_every_other_field_kept() -> None:
    wanted = changes(containers=["app=repo/app@sha256:" + "a" * 64], environment=["MODE=green", "app:ONLY=1",
                     "TOKEN=plain"], secrets=["sidecar:KEY=arn:aws:secretsmanager:us-east-1:123456789012:secret:k"],
                     log_group="/ecs/web", cpu="512", memory="1024", task_role="arn:aws:iam::123456789012:role/t")
    rendered, notices = rd.render(described_body(), wanted, region="eu-west-1")
    app, sidecar = rendered["containerDefinitions"]
    assert app["image"].endswith("a" * 64) and sidecar["image"] == "repo/side:3"
    assert {"name": "MODE", "value": "green"} in app["environment"] and {"name": "ONLY", "value": "1"} in \
        app["environment"]
    assert {"name": "MODE", "value": "green"} in sidecar["environment"]
    assert not any(e["name"] == "ONLY" for e in sidecar["environment"])
    assert app["secrets"] == [] and {"name": "TOKEN", "value": "plain"} in app["environment"]
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:k"
    assert sidecar["secrets"] == [{"name": "KEY", "valueFrom": secret}]
    assert app["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/web", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web"}}
    assert sidecar["logConfiguration"]["logDriver"] == "awsfirelens"
    assert any("TOKEN was a secret" in n for n in notices) and any("awsfirelens" in n for n in notices)
    assert (rendered["cpu"], rendered["memory"], rendered["taskRoleArn"]) == ("512", "1024",
                                                                              "arn:aws:iam::123456789012:role/t")
    assert rendered["networkMode"] == "awsvpc" and rendered["tags"] == [{"key": "team", "value": "web"}]
    assert app["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]


def test_star_sets_every_container() -> None:
    rendered, _ = rd.render(described_body(), changes(containers=["*=repo/all:9"]), region="us-east-1")
    assert {c["image"] for c in rendered["containerDefinitions"]} == {"repo/all:9"}


def test_an_unknown_container_is_refused_with_the_closest_name() -> None:
    with pytest.raises(InputError) as caught:
        rd.render(described_body(), changes(containers=["ap=repo/app:2"], environment=["sidcar:X=1"]),
                  region="us-east-1")
    text = str(caught.value)
    assert "input 'containers' = 'ap': no container 'ap' in task definition family web; did you mean 'app'?" in text
    assert "input 'environment-variables' = 'sidcar'" in text and "did you mean 'sidecar'?" in text


def test_secrets_without_an_execution_role_are_refused() -> None:
    body = described_body()
    del body["executionRoleArn"]
    with pytest.raises(InputError, match="input 'execution-role' = \\(not set\\): the containers have secrets"):
        rd.render(body, changes(), region="us-east-1")


@pytest.mark.parametrize(("body", "expected"), [
    ({"family": "web", "containerDefinition": [{"name": "a", "image": "i"}]},
     "unknown key 'containerDefinition'; did you mean 'containerDefinitions'?"),
    ({"containerDefinitions": [{"name": "a", "image": "i"}]}, "no family"),
    ({"family": "web", "containerDefinitions": []}, "no containerDefinitions"),
    ({"family": "web", "containerDefinitions": [{"name": "a"}]}, "container a has no image"),
    ({"family": "web", "containerDefinitions": [{"name": "a", "image": "i", "memory": "lots"}]},
     "not a valid task definition: Invalid type for parameter containerDefinitions[0].memory"),
])
def test_malformed_definitions_are_refused(body: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        rd.validate(body, "td.json")
    assert expected in str(caught.value)


@pytest.mark.parametrize(("value", "kind"), [
    (None, "current"), ("", "current"), ("web", "registered"), ("web:12", "registered"),
    ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:12", "registered"),
])
def test_what_the_task_definition_input_names(value: str | None, kind: str) -> None:
    assert rd.classify(value).kind == kind


def test_a_missing_file_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        rd.classify("deploy/td.json")
    broken = tmp_path / "td.yaml"
    broken.write_text("family: [web\n")
    with pytest.raises(InputError, match="neither JSON nor YAML"):
        rd.classify(str(broken))


def test_ecs_defaults_and_order_do_not_make_a_definition_different() -> None:
    live = DESCRIBED["taskDefinition"]
    mine, _ = rd.read_definition(json.dumps({
        "family": "web", "networkMode": "awsvpc", "cpu": 256, "memory": "512", "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "containerDefinitions": [
            {"name": "app", "image": "repo/app:1", "portMappings": [{"containerPort": 8080, "hostPort": 8080}],
             "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}],
             "environment": [{"name": "MODE", "value": "blue"}]},
            {"name": "sidecar", "image": "repo/side:3", "essential": False,
             "logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "stdout"}}}],
    }), "td.json")
    mine["tags"] = [{"key": "team", "value": "web"}]
    assert rd.same(mine, {**live, "tags": DESCRIBED["tags"]})
    changed, _ = rd.render(mine, changes(containers=["app=repo/app:2"]), region="us-east-1")
    assert not rd.same(changed, live)
    text = rd.diff(live, changed, "web:7")
    assert '-      "image": "repo/app:1",' in text and '+      "image": "repo/app:2",' in text


@pytest.mark.parametrize(("lines", "expected"), [
    ({"containers": ["app"]}, "input 'containers' = 'app': write each line as CONTAINER=IMAGE"),
    ({"containers": ["*=a:1", "app=b:2"]}, "*=IMAGE sets every container: give it alone"),
    ({"containers": ["app=a b"]}, "an image has no spaces"),
    ({"environment": ["S3CRET"]}, "input 'environment-variables' (value not shown): line 1: write NAME=VALUE"),
    ({"environment": ["1X=y"]}, "line 1: the name '1X' must be letters"),
    ({"secrets": ["K=not an arn"]}, "input 'secrets' (value not shown): line 1 (K): the value must be"),
    ({"cpu": "lots"}, "input 'cpu' = 'lots': expected CPU units"),
])
def test_bad_change_lines_are_refused_without_quoting_values(lines: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        changes(**lines)
    assert expected in str(caught.value)
    assert "S3CRET" not in str(caught.value) and "not an arn" not in str(caught.value)
