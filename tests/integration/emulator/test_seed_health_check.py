"""A scenario's target group health check: what is not given takes AWS's defaults, fitted to what is."""

from __future__ import annotations

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import seed


def test_a_short_interval_without_a_timeout_seeds_with_a_timeout_below_it(emulator: Emulator, unique: str) -> None:
    scenario = {"load_balancer": {"name": "web", "forward": "web-blue", "target_groups": [
        {"name": "web-blue", "target_type": "ip", "port": 8080, "health_check": {"path": "/", "interval": 5}}]}}
    out = seed(emulator.client, scenario, prefix=f"t{unique}-")  # AWS refuses timeout 5 with interval 5
    (group,) = emulator.client("elbv2").describe_target_groups(
        TargetGroupArns=[out["target_groups"]["web-blue"]])["TargetGroups"]
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (5, 4)
