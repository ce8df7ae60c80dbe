"""Least privilege, proven: each action's paths (success, failure and rollback, stop and continue, bad input) run
against the emulator with its call recorder on. Every call a run makes must be allowed by the action's policy in
docs/iam/<action>.json; at the end, every action a policy allows must have been needed by some run here.

A failure names what to change, per action: "MISSING FROM POLICY <iam action> (needed by <operations>)" or
"NEVER USED <iam action>". The scenarios reuse the fixtures of each action's own integration tests.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.bundle import upload
from deploy_actions.emulator import Emulator
from deploy_actions.emulator.core.calls import Call
from deploy_actions.emulator.ecr.service import FindingsRule, finding
from tests.conftest import AwsEndpoint
from tests.integration.codedeploy.test_codedeploy_deploy import deploy_args, hold
from tests.integration.emulator.conftest import Environment, wait_for
from tests.integration.emulator.conftest import _no_faults_left as _no_faults_left
from tests.integration.emulator.conftest import emulator as emulator
from tests.integration.emulator.conftest import environment as environment
from tests.integration.emulator.conftest import unique as unique
from tests.integration.emulator.ecr_registry import need_registry_binary
from tests.integration.emulator.test_ecs_blue_green import BlueGreen
from tests.integration.emulator.test_ecs_blue_green import blue_green as blue_green
from tests.integration.emulator.test_ecs_codedeploy import CodeDeployEcs
from tests.integration.emulator.test_ecs_codedeploy import codedeploy_ecs as codedeploy_ecs
from tests.integration.test_build_push_ecr import app, container_storage, tool
from tests.integration.test_ecs_deploy_rollout import LABEL, Ecs, sigterm, started
from tests.integration.test_ecs_deploy_rollout import deploy as deploy
from tests.integration.test_ecs_deploy_rollout import ecs as ecs
from tests.integration.test_switch_listener import Site
from tests.integration.test_switch_listener import cli_env as cli_env
from tests.integration.test_switch_listener import site as site
from tests.integration.test_verify_and_notify import FAST
from tests.integration.test_verify_and_notify import balanced as balanced
from tests.integration.test_verify_and_notify import service as service
from tests.support.least_privilege import ACTIONS, Needs, check, needs_from_calls

# What the runs of this module needed, per action, and the scenarios that ran to their end.
NEEDED: dict[str, Needs] = {}
SCENARIOS = ("package-revision", "codedeploy-deploy rolling", "codedeploy-deploy blue/green",
             "ecs-deploy rolling", "ecs-deploy run-task cancelled", "ecs-deploy blue/green", "ecs-deploy CODE_DEPLOY",
             "switch-listener", "verify-and-notify", "build-push-ecr")
FINISHED: set[str] = set()


@contextmanager
def recorded(emulator: Emulator, action: str, scenario: str) -> Iterator[None]:
    """Record what `action` calls in the block (its builder's registry requests included: they push with its
    token); then every call must be allowed by its policy."""
    with emulator.calls.watching() as calls:
        yield
        made: list[Call] = calls()
    assert any(c.action == action for c in made), f"{action} made no call the recorder saw"
    needs = needs_from_calls([c.as_json() for c in made])[action]
    for name, operations in needs.by_iam.items():
        NEEDED.setdefault(action, Needs()).by_iam.setdefault(name, set()).update(operations)
    problems = check({action: needs}, complete=False, actions=[action])
    assert not problems, f"{scenario}: calls the policy does not allow\n{problems}"
    FINISHED.add(scenario)


# -- package-revision --------------------------------------------------------------------------------------------

def test_package_revision_uploads_registers_finds_it_uploaded_and_goes_up_in_parts(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Emulator, revision_tree: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"lp-{uuid.uuid4().hex[:8]}"
    aws.client("s3").create_bucket(Bucket=name)
    aws.client("codedeploy").create_application(applicationName=name)
    args = ["package-revision", "--source", str(revision_tree), "--output", str(tmp_path / "out.zip"),
            "--bucket", name, "--key-prefix", "api/", "--application", name]
    env = {**aws.env, "SOURCE_DATE_EPOCH": "1700000000"}
    with recorded(aws_emulator, "package-revision", "package-revision"):
        first = run_cli(*args, env=env)
        assert first.code == 0 and first.outputs["uploaded"] == "true", first.log
        again = run_cli(*args, env=env)  # the same content: found, not uploaded again
        assert again.code == 0 and again.outputs["uploaded"] == "false", again.log
        monkeypatch.setattr(upload, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)  # parts without a 64 MiB bundle
        (revision_tree / "blob.bin").write_bytes(os.urandom(6 * 1024 * 1024))
        parts = run_cli(*args, env=env)
        assert parts.code == 0 and parts.outputs["s3-etag"].endswith("-1"), parts.log  # a multipart upload


# -- codedeploy-deploy -------------------------------------------------------------------------------------------

def test_codedeploy_deploy_succeeds_fails_and_rolls_back_and_stops(
        environment: Callable[..., Environment], emulator: Emulator, run_cli: Any) -> None:
    env = environment("ec2-rolling", instances=3)  # instance 2 of 3 failing fails the deployment
    s3 = emulator.client("s3")
    s3.put_bucket_versioning(Bucket=env["bucket"], VersioningConfiguration={"Status": "Enabled"})
    with recorded(emulator, "codedeploy-deploy", "codedeploy-deploy rolling"):
        good = env.revision("1")
        head = s3.head_object(Bucket=good["s3Location"]["bucket"], Key=good["s3Location"]["key"])
        good["s3Location"]["version"] = head["VersionId"]  # the exact version: HeadObject with versionId
        malformed = {**good, "s3Location": {**good["s3Location"], "version": "not-a-version"}}
        refused = run_cli(*deploy_args(env, malformed), env=emulator.env())  # S3 answers 400: botocore then
        assert refused.code == 2 and "input 's3-version'" in refused.log, refused.log  # asks HeadBucket
        ok = run_cli(*deploy_args(env, good, "--deployment-config", "CodeDeployDefault.OneAtATime"),
                     env=emulator.env())
        assert ok.code == 0 and ok.outputs["status"] == "Succeeded", ok.log

        emulator.faults.fail_hook("ValidateService", instance=2)
        failed = run_cli(*deploy_args(env, env.revision("2")), env=emulator.env())
        assert failed.code == 1 and failed.outputs["rollback-deployment-id"], failed.log

        active = hold(env, emulator, env.revision("3"))
        busy = run_cli(*deploy_args(env, env.revision("4"), "--if-active", "fail"), env=emulator.env())
        assert busy.code == 1 and f"already has an active deployment {active}" in busy.log, busy.log
        stop = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "stop",
                       "--deployment-id", active, "--auto-rollback", "off", env=emulator.env())
        assert stop.code == 0 and stop.outputs["status"] == "Stopped", stop.log


def test_codedeploy_deploy_blue_green_left_ready_then_continued(
        environment: Callable[..., Environment], emulator: Emulator, run_cli: Any) -> None:
    env = environment("asg-blue-green", blue_green={"ready": "STOP_DEPLOYMENT", "ready_wait_minutes": 60})
    with recorded(emulator, "codedeploy-deploy", "codedeploy-deploy blue/green"):
        ready = run_cli(*deploy_args(env, env.revision("1"), "--traffic-reroute", "manual"), env=emulator.env())
        assert ready.code == 0 and ready.outputs["status"] == "Ready", ready.log
        resumed = run_cli("codedeploy-deploy", "--application", env["application"], "--mode", "continue",
                          "--deployment-id", ready.outputs["deployment-id"], "--original-fleet", "wait",
                          env=emulator.env())
        assert resumed.code == 0 and resumed.outputs["status"] == "Succeeded", resumed.log


# -- ecs-deploy --------------------------------------------------------------------------------------------------

def test_ecs_deploy_rolls_out_with_roles_tags_run_task_and_pruning_fails_back_stops_and_refuses(
        ecs: Ecs, deploy: Callable[..., Any], aws_emulator: Emulator) -> None:
    for n in range(2):
        ecs.register(f"repo/app:old{n}")
    container = {"name": "app", "image": "repo/app:1", "essential": True, "portMappings": [{"containerPort": 8080}],
                 "dockerLabels": {LABEL + "runtime": "stand-in"}}
    registered = ecs.client.register_task_definition(
        family=ecs.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[container], tags=[{"key": "team", "value": "api"}])  # a new revision keeps them
    live = str(registered["taskDefinition"]["taskDefinitionArn"])
    ecs.service("api", live)
    assert wait_for(lambda: ecs.settled("api"), timeout=60)
    account = aws_emulator.account
    ecs.aws.client("logs").create_log_group(logGroupName=f"/ecs/{ecs.family}")  # run-task's task logs there
    with recorded(aws_emulator, "ecs-deploy", "ecs-deploy rolling"):
        rolled = deploy("--services", "api", "--containers", "app=repo/app:2", "--keep-revisions", "1",
                        "--task-role", f"arn:aws:iam::{account}:role/api-task",
                        "--execution-role", f"arn:aws:iam::{account}:role/ecsTaskExecutionRole")
        assert rolled.code == 0 and rolled.outputs["status"] == "SUCCESSFUL", rolled.log

        migrations = ecs.register("repo/app:3", exit_code="3", logs="applying 0042_orders")
        migrated = deploy("--services", "api", "--task-definition", migrations, "--log-group", f"/ecs/{ecs.family}",
                          "--run-task", "./manage.py migrate")  # its exit code and log tail are read
        assert migrated.code == 1 and "run-task (./manage.py migrate) exited 3" in migrated.log, migrated.log

        broken = ecs.register("repo/app:broken", fail_to_start="CannotPullContainerError: pull access denied")
        failed = deploy("--services", "api", "--task-definition", broken, "--rollback-on-failure", "true")
        assert failed.code == 1 and failed.outputs["rolled-back"] == "true", failed.log

        slow = ecs.register("repo/app:3", start_seconds="60000")
        begun = deploy("--services", "api", "--task-definition", slow, "--wait", "false")
        assert begun.code == 0 and begun.outputs["status"] == "STARTED", begun.log
        stopped = deploy("--services", "api", "--mode", "stop")
        assert stopped.code == 0 and stopped.outputs["status"] == "STOP_REQUESTED", stopped.log

        missing = deploy("--services", "apii", "--containers", "app=repo/app:4")
        assert missing.code == 2 and "did you mean api?" in missing.log, missing.log


def test_ecs_deploy_stops_its_one_off_task_when_the_job_is_cancelled(
        ecs: Ecs, aws_emulator: Emulator, tmp_path: Path) -> None:
    started(ecs, "api")
    endless = ecs.register("repo/app:2")  # a stand-in runs until stopped: a migration that hangs
    with recorded(aws_emulator, "ecs-deploy", "ecs-deploy run-task cancelled"):
        code, log = sigterm(ecs, tmp_path, ": RUNNING", "--services", "api", "--task-definition", endless,
                            "--run-task", "./migrate --wait-for-lock")
        assert code == 143 and "stopping the run-task task" in log, log


def test_ecs_deploy_deploys_a_code_deploy_service_through_codedeploy(
        codedeploy_ecs: CodeDeployEcs, aws_emulator: Emulator, run_cli: Any) -> None:
    env = codedeploy_ecs
    with recorded(aws_emulator, "ecs-deploy", "ecs-deploy CODE_DEPLOY"):
        result = run_cli("ecs-deploy", "--cluster", env.cluster, "--services", env.service, "--containers",
                         "app-api=saiondo/app-api:2", "--timeout", "5m", "--codedeploy-application", env.application,
                         "--codedeploy-deployment-group", env.group, env=aws_emulator.env())
        assert result.code == 0, result.log


def test_ecs_deploy_blue_green_held_past_test_traffic_then_continued(
        blue_green: Callable[..., BlueGreen], aws_emulator: Emulator, run_cli: Any) -> None:
    env = blue_green()
    args = ["ecs-deploy", "--cluster", env.cluster, "--services", env.name, "--timeout", "5m"]
    with recorded(aws_emulator, "ecs-deploy", "ecs-deploy blue/green"):
        held = run_cli(*args, "--containers", "web=shop-web:2", "--wait-until", "TEST_TRAFFIC_SHIFT",
                       env=aws_emulator.env())
        assert held.code == 0 and held.outputs["status"] == "PAST_TEST_TRAFFIC_SHIFT", held.log
        resumed = run_cli(*args, "--mode", "continue", env=aws_emulator.env())
        assert resumed.code == 0 and resumed.outputs["status"] == "SUCCESSFUL", resumed.log


# -- switch-listener ---------------------------------------------------------------------------------------------

def test_switch_listener_switches_a_rule_and_a_canary_rolled_back_by_an_alarm(
        site: Site, run_cli: Any, cli_env: dict[str, str], aws_emulator: Emulator) -> None:
    cloudwatch = aws_emulator.client("cloudwatch")
    alarm = f"lp-5xx-{site.name}"
    cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="HTTPCode_Target_5XX_Count",
                                Namespace="Tests/LeastPrivilege", Statistic="Sum", Period=60, EvaluationPeriods=1,
                                Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="healthy")
    rule = site.elbv2.create_rule(ListenerArn=site.listener, Priority=10, Conditions=[
        {"Field": "path-pattern", "Values": ["/api/*"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])["Rules"][0]["RuleArn"]

    def alarm_once_green_takes_ten() -> None:
        wait_for(lambda: site.weights().get("green") == 10, timeout=60, interval=0.05)
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx during the canary")

    with recorded(aws_emulator, "switch-listener", "switch-listener"):
        switched = run_cli(*site.args("--rule-arn", rule, "--to", "green", "--alarms", alarm), env=cli_env)
        assert switched.code == 0, switched.log
        trigger = threading.Thread(target=alarm_once_green_takes_ten, daemon=True)
        trigger.start()
        canary = run_cli(*site.args("--to", "green", "--strategy", "canary", "--steps", "10,100", "--bake-time", "30s",
                                    "--alarms", alarm), env=cli_env)
        trigger.join(timeout=60)
        assert canary.code == 1 and site.weights() == {"blue": 1}, canary.log  # rolled back to where it started


# -- verify-and-notify -------------------------------------------------------------------------------------------

def test_verify_and_notify_reads_target_health_alarms_and_logs(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Emulator, balanced: dict[str, str]) -> None:
    cloudwatch, logs = aws.client("cloudwatch"), aws.client("logs")
    alarm, group = f"lp-{balanced['name']}", f"/lp/{balanced['name']}"
    cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="Errors", Namespace="Tests/LeastPrivilege",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="healthy")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    logs.put_log_events(logGroupName=group, logStreamName="web-1", logEvents=[
        {"timestamp": int(time.time() * 1000) - 1000, "message": "ERROR database connection refused"}])
    with recorded(aws_emulator, "verify-and-notify", "verify-and-notify"):
        result = run_cli("verify-and-notify", "--urls", f"{balanced['url']}/health expect-status=200",
                         "--target-groups", balanced["name"], "--alarms", alarm, "--log-group", group,
                         "--log-filter", "ERROR", "--log-since", "5m", *FAST, env=aws.env)
        assert result.code == 1, result.log  # the ERROR line fails the scan; everything else passed
        checks = {c["name"]: c["ok"] for c in json.loads(result.outputs["checks"])}
        assert sum(checks.values()) == len(checks) - 1, checks


# -- build-push-ecr ----------------------------------------------------------------------------------------------

@pytest.mark.e2e
def test_build_push_ecr_creates_the_repository_pushes_gates_on_the_scan_and_keeps_immutable_tags(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Emulator, tmp_path: Path) -> None:
    need_registry_binary()
    tool("buildah")
    name = f"lp/api-{uuid.uuid4().hex[:8]}"
    aws_emulator.ecr.set_findings(FindingsRule(name, "", [finding("CVE-2026-0001", "LOW")], seconds=20))
    policy = tmp_path / "lifecycle.json"
    policy.write_text(json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
        "action": {"type": "expire"}}]}))
    env = {**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": "90dd6032fac8bda1b6c4436a2e65de27961ed071"}
    context = app(tmp_path / "app", "least-privilege")
    with recorded(aws_emulator, "build-push-ecr", "build-push-ecr"):
        first = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "buildah",
                        "--create-repository", "true", "--scan-on-push", "false", "--tag-immutability", "true",
                        "--lifecycle-policy", str(policy),
                        "--scan-gate", "true", "--tags", "type=sha", env=env)
        assert first.code == 0 and json.loads(first.outputs["scan-findings"]) == {"LOW": 1}, first.log
        again = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "buildah",
                        "--tags", "type=sha", env=env)  # the same immutable tag: refused before building
        assert again.code == 2 and "immutable" in again.log, again.log
        derived = tmp_path / "derived"  # a build FROM the image it pushed, in a storage of its own: read back
        derived.mkdir()
        (derived / "Dockerfile").write_text(f"FROM {first.outputs['image']}\nLABEL built=on-top\n")
        on_top = run_cli("build-push-ecr", "--repository", name, "--context", str(derived), "--builder", "buildah",
                         "--tags", "type=raw,value=derived", env={**env, **container_storage(tmp_path / "c2")})
        assert on_top.code == 0, on_top.log


# -- the comparison --------------------------------------------------------------------------------------------

def test_every_action_a_policy_allows_was_needed_by_a_run() -> None:
    """Runs last (pytest keeps the file's order): the union of this module's runs against each policy."""
    skipped = [s for s in SCENARIOS if s not in FINISHED]
    if skipped:
        pytest.skip(f"not every scenario ran to its end ({', '.join(skipped)}): an unused action cannot be told")
    problems = check(NEEDED, complete=True, actions=ACTIONS)
    assert not problems, f"docs/iam/ and the actions' calls differ:\n{problems}"
