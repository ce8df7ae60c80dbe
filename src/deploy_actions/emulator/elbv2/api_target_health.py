"""ELBv2 operations moto answers differently: DescribeTargetHealth from the emulator's real probes.

Each function becomes a method of moto's `ELBV2Response` (see `extensions.py`).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.elbv2.target_health import HealthTracker


def describe_target_health(self: Any) -> ActionResult:
    health = runtime.current(HealthTracker)
    arn = self._get_param("TargetGroupArn")
    targets = self._get_param("Targets", [])
    if health is None:  # not served by an emulator: moto's answer
        return ActionResult({"TargetHealthDescriptions": self.elbv2_backend.describe_target_health(arn, targets)})
    return ActionResult({"TargetHealthDescriptions": health.describe(arn, targets)})


HANDLERS = {"describe_target_health": describe_target_health}
