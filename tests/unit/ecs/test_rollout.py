"""What a poll of a service deployment says: stages reached, guards shown, causes named, tasks explained."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deploy_actions.ecs.plan import Target
from deploy_actions.ecs.report import summary
from deploy_actions.ecs.rollout import Rollout, _guards, _reached, _stable, _why, describe_stopped

NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"


def rollout(deployments: list[dict[str, object]]) -> Rollout:
    target = Target("api", {}, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", {}, arn=NEW)
    return Rollout(target, datetime.now(UTC), deployment_id="ecs-svc/2", service={"deployments": deployments})


@pytest.mark.parametrize(("stage", "wanted", "expected"), [
    ("TEST_TRAFFIC_SHIFT", "TEST_TRAFFIC_SHIFT", False),  # still shifting
    ("POST_TEST_TRAFFIC_SHIFT", "test_traffic_shift", True),
    ("PRODUCTION_TRAFFIC_SHIFT", "TEST_TRAFFIC_SHIFT", True),
    ("SCALE_UP", "TEST_TRAFFIC_SHIFT", False),
    ("SOMETHING_NEW", "TEST_TRAFFIC_SHIFT", False),  # ECS adds stages: an unknown one is no reason to stop
])
def test_a_stage_is_reached_at_it_or_after_it(stage: str, wanted: str, expected: bool) -> None:
    assert _reached(stage, wanted) is expected


def test_guards_show_weights_breaker_alarms_and_a_waiting_hook() -> None:
    shown = _guards({
        "targetServiceRevision": {"requestedProductionTrafficWeight": 10.0, "requestedTestTrafficWeight": 100.0},
        "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 1, "threshold": 3},
        "alarms": {"status": "TRIGGERED", "triggeredAlarmNames": ["5xx"]},
        "lifecycleHookDetails": [{"hookId": "h-1", "status": "AWAITING_ACTION"}],
    })
    assert shown == (" — traffic 10% production, 100% test; circuit breaker MONITORING 1/3; alarms TRIGGERED (5xx); "
                     "hook h-1 awaiting action")
    assert _guards({"deploymentCircuitBreaker": {"status": "DISABLED"}}) == ""


def test_the_cause_of_a_rollback_names_the_reason_and_the_alarms() -> None:
    assert _why({"status": "ROLLBACK_SUCCESSFUL", "rollback": {"reason": "circuit breaker"},
                 "alarms": {"triggeredAlarmNames": ["5xx", "latency"]}}) == (
        "ROLLBACK_SUCCESSFUL: circuit breaker; alarms in ALARM: 5xx, latency")
    assert _why({"status": "STOPPED", "deploymentCircuitBreaker": {"status": "TRIGGERED"}}) == (
        "STOPPED: the deployment circuit breaker tripped")


def test_a_stopped_task_is_told_by_its_reason_and_exit_codes() -> None:
    line = describe_stopped({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/abc", "stoppedReason": "Essential container "
                             "in task exited", "containers": [{"name": "app", "exitCode": 3, "reason": "OOM"},
                                                              {"name": "side"}]})
    assert line == "abc: Essential container in task exited — container app exit 3: OOM"


def test_stable_means_this_deployment_serving_alone_at_its_count() -> None:
    mine = {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": NEW, "runningCount": 2, "desiredCount": 2}
    assert _stable(rollout([mine]))
    assert not _stable(rollout([mine, {"id": "ecs-svc/1", "status": "ACTIVE", "runningCount": 1}]))
    assert _stable(rollout([mine, {"id": "ecs-svc/1", "status": "ACTIVE", "runningCount": 0}]))  # drained, baking
    assert not _stable(rollout([{**mine, "runningCount": 1}]))
    # Another deployment alone at its count (a rollback) is not this one being stable.
    assert not _stable(rollout([{**mine, "id": "ecs-svc/3", "taskDefinition": "other"}]))


def test_the_summary_has_a_row_per_service_a_timeline_and_a_failure_s_evidence() -> None:
    good, bad = rollout([]), rollout([])
    bad.target = Target("worker", {}, good.target.live_arn, {}, arn=NEW)
    good.ok = True
    good.status, bad.status, bad.reason = "SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "circuit breaker"
    good.timeline = [(0.0, "IN_PROGRESS"), (5.0, "SUCCESSFUL"), (5.1, "done")]
    bad.events, bad.stopped = ["deployment failed: tasks failed to start."], ["abc: CannotPullContainerError"]
    text = summary([good, bad], "completed")
    assert "| api | web:8 | SUCCESSFUL |" in text and "| worker | web:8 | ROLLBACK_SUCCESSFUL |" in text
    assert "```mermaid" in text and "section api" in text
    assert "CannotPullContainerError" in text
