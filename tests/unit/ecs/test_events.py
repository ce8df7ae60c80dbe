"""Service events as the log and the failure message show them."""

from __future__ import annotations

from deploy_actions.ecs.events import brief, telling

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/voj-backend-tg/6d0ecf831eec9f09"


def test_the_service_name_said_once_and_target_groups_by_name() -> None:
    event = f"(service voj-backend-api) registered 1 targets in (target-group {TG})"
    assert brief(event, "voj-backend-api") == "registered 1 targets in (target-group voj-backend-tg)"
    other = "(service worker) has reached a steady state."
    assert brief(other, "voj-backend-api") == other  # another service's name stays


def test_the_cause_is_kept_when_the_rollbacks_bookkeeping_came_after_it() -> None:
    events = [
        "(service api) has started 2 tasks: (task a) (task b).",
        f"(service api, taskSet ecs-svc/1) (task a) is unhealthy in (target-group {TG}) due to (reason Health "
        "checks failed).",
        "(service api) has stopped 2 running tasks: (task a) (task b).",
        "(service api) deployment ecs-svc/1 deployment failed: tasks failed to start.",
        "(service api) rolling back to deployment ecs-svc/0.",
        "(service api) has started 2 tasks: (task c) (task d).",
        "(service api) registered 2 targets in (target-group x)",
        "(service api) deregistered 2 targets in (target-group x)",
        "(service api) (deployment ecs-svc/0) deployment completed.",
        "(service api) has reached a steady state.",
    ]
    shown = telling(events, 5)
    assert shown[0] == events[1] and events[3] in shown and events[4] in shown  # the cause, then the failure
    assert shown == sorted(shown, key=events.index) and len(shown) == 5  # in their order, within the limit
    assert shown[-1] == events[-1]  # and where it ended
    assert telling(events[:1], 5) == events[:1]
