"""The step summary: before/after table and the chart of the destination's share."""

from __future__ import annotations

from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.listener.forward import Forward
from deploy_actions.listener.report import summary
from deploy_actions.listener.switch import Outcome, Plan, Point, TargetGroup

BLUE = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-green/2"


def outcome(destination: str = "blue") -> Outcome:
    forward = Forward.read([{"Type": "forward", "TargetGroupArn": GREEN}])
    assert forward is not None
    plan = Plan("listener arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/1/2",
                {"blue": TargetGroup("blue", BLUE, "web-blue"), "green": TargetGroup("green", GREEN, "web-green")},
                forward, {"blue": 0, "green": 1}, "green", destination, (10, 100))  # type: ignore[arg-type]
    return Outcome(plan, {"blue": 0, "green": 1}, [
        Point("start", 0, {"blue": 0, "green": 1}), Point("10%", 1.2, {"blue": 10, "green": 90}),
        Point("rolled back", 7.6, {"blue": 0, "green": 1})], steps_completed=1, rolled_back=True,
        error=DeploymentFailed("cancelled (SIGTERM) while waiting for the bake at 10% (stop-and-rollback)"))


def test_the_summary_charts_the_destination_share_and_says_it_rolled_back() -> None:
    text = summary(outcome(), outcome().plan.title)
    assert text.startswith("### ❌ switch-listener: green → blue on listener app/web/1/2\n")
    assert "1 step(s) completed; rolled back to the starting weights; cancelled (SIGTERM)" in text
    assert "| blue | web-blue | 0 (0%) | 0 (0%) |  |" in text
    assert "| green | web-green | 1 (100%) | 1 (100%) |  |" in text
    assert 'title "blue\'s share of traffic (%)"' in text
    assert 'x-axis ["start +0s", "10% +1s", "rolled back +8s"]' in text and "line [0, 10, 0]" in text
