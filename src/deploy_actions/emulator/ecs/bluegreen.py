"""Native blue/green, linear and canary deployments (deploymentConfiguration.strategy): the records
of one deployment's traffic shift, its lifecycle hooks, and the listener-rule rewrites.

The green revision's tasks register in the target group the blue tasks do not use (the service's
`targetGroupArn` or its `advancedConfiguration.alternateTargetGroupArn`); the test rule shifts
first, then the production rule's weights move (at once, or in linear/canary steps with their bake
times), then the bake time, then the blue tasks stop. Stages run in AWS's order; a stage with hooks
waits for them: PAUSE hooks for ContinueServiceDeployment (or their timeout), Lambda hooks by the
emulator's rule (`hookDetails.emulator`: `{"result": "SUCCEEDED"|"FAILED", "seconds": N}`, default
SUCCEEDED at once; the function is not called).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow

STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
STAGES = ["RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
          "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
          "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
DEFAULT_HOOK_TIMEOUT_MINUTES = 60.0  # a PAUSE hook nobody answers


@dataclass(eq=False)
class HookRun:
    hook: dict[str, Any]
    stage: str
    started: float  # emulated seconds
    expires: float  # emulated seconds
    expires_at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "IN_PROGRESS"

    @property
    def target_type(self) -> str:
        return str(self.hook.get("targetType", "AWS_LAMBDA"))

    @property
    def timeout_action(self) -> str:
        return str((self.hook.get("timeoutConfiguration") or {}).get("action") or "ROLLBACK")

    def as_api(self) -> dict[str, Any]:
        found: dict[str, Any] = {"hookId": self.id, "targetType": self.target_type, "status": self.status,
                                 "expiresAt": self.expires_at, "timeoutAction": self.timeout_action}
        if self.hook.get("hookTargetArn"):
            found["targetArn"] = self.hook["hookTargetArn"]
        return found


@dataclass(eq=False)
class Shift:
    """One blue/green (linear, canary) deployment's progress."""

    strategy: str
    blue_group: str
    green_group: str
    production_rule: str
    test_rule: str | None
    steps: list[float]  # the green revision's production weight (percent) after each step
    step_bake: float  # emulated seconds between steps
    bake: float  # emulated seconds of BAKE_TIME
    hooks: list[dict[str, Any]]
    stage: str = "RECONCILE_SERVICE"
    entered: bool = False
    step: int = 0
    wait_until: float | None = None
    runs: list[HookRun] = field(default_factory=list)  # every hook run of the deployment
    production_weight: float = 0.0
    test_weight: float = 0.0
    rewrites: int = 0  # listener rule rewrites under way

    def current_hooks(self) -> list[HookRun]:
        return [r for r in self.runs if r.stage == self.stage and r.status in ("IN_PROGRESS", "AWAITING_ACTION")]

    def start_hooks(self, now: float, real: Callable[[float], float]) -> None:
        for hook in self.hooks:
            if self.stage not in (hook.get("lifecycleStages") or []):
                continue
            minutes = float((hook.get("timeoutConfiguration") or {}).get("timeoutInMinutes")
                            or DEFAULT_HOOK_TIMEOUT_MINUTES)
            run = HookRun(hook, self.stage, now, now + minutes * 60,
                          utcnow() + timedelta(seconds=real(minutes * 60)))
            if run.target_type == "PAUSE":
                run.status = "AWAITING_ACTION"
            self.runs.append(run)

    def settle_hooks(self, now: float) -> str | None:
        """Move the stage's hooks on; 'done', 'rollback' (with the failed hook), or None while waiting."""
        for run in [r for r in self.runs if r.stage == self.stage]:
            if run.status not in ("IN_PROGRESS", "AWAITING_ACTION"):
                continue
            if run.target_type != "PAUSE":
                rule = (run.hook.get("hookDetails") or {}).get("emulator") or {}
                if now - run.started >= float(rule.get("seconds", 0)):
                    run.status = "FAILED" if str(rule.get("result", "SUCCEEDED")).upper() == "FAILED" else "SUCCEEDED"
            if run.status in ("IN_PROGRESS", "AWAITING_ACTION") and now >= run.expires:
                run.status = "TIMED_OUT"
        mine = [r for r in self.runs if r.stage == self.stage]
        if any(r.status == "FAILED" or (r.status == "TIMED_OUT" and r.timeout_action == "ROLLBACK") for r in mine):
            return "rollback"
        if all(r.status in ("SUCCEEDED", "TIMED_OUT") for r in mine):
            return "done"
        return None

    def next_stage(self) -> None:
        index = STAGES.index(self.stage)
        if self.stage == "PRODUCTION_TRAFFIC_SHIFT" and self.step + 1 < len(self.steps):
            self.step += 1
            self.stage = "PRE_PRODUCTION_TRAFFIC_SHIFT"
        else:
            self.stage = STAGES[index + 1]
        self.entered = False


def plan(configuration: dict[str, Any]) -> tuple[list[float], float]:
    """(production weights of the green revision after each step, emulated seconds between steps)."""
    strategy = configuration.get("strategy")
    if strategy == "LINEAR":
        settings = configuration.get("linearConfiguration") or {}
        step = float(settings.get("stepPercent", 10.0))
        count = math.ceil(100 / step)
        return [min(100.0, round(step * (i + 1), 3)) for i in range(count)], \
            float(settings.get("stepBakeTimeInMinutes", 6)) * 60
    if strategy == "CANARY":
        settings = configuration.get("canaryConfiguration") or {}
        bake = float(settings.get("canaryBakeTimeInMinutes", 10)) * 60
        return [float(settings.get("canaryPercent", 5.0)), 100.0], bake
    return [100.0], 0.0


def forward(blue: str, green: str, green_percent: float) -> list[dict[str, Any]]:
    """The whole action list of a rule that forwards to both groups (ALB weights are integers)."""
    green_weight = round(green_percent)
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue, "Weight": 100 - green_weight}, {"TargetGroupArn": green, "Weight": green_weight}]}}]


def set_weights(elbv2: Any, rule: str, blue: str, green: str, green_percent: float) -> None:
    """Rewrite a listener rule (or a listener's default actions: a listener ARN, or the default rule,
    whose actions moto keeps on the listener) to send `green_percent` to the green group."""
    actions = forward(blue, green, green_percent)
    if ":listener/" in rule:
        elbv2.modify_listener(ListenerArn=rule, DefaultActions=actions)
        return
    found = elbv2.describe_rules(RuleArns=[rule])["Rules"][0]
    if found.get("IsDefault"):
        listener = rule.replace(":listener-rule/", ":listener/").rsplit("/", 1)[0]
        elbv2.modify_listener(ListenerArn=listener, DefaultActions=actions)
    else:
        elbv2.modify_rule(RuleArn=rule, Actions=actions)


NO_PAUSE_STAGES = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")


def invalid_configuration(configuration: dict[str, Any]) -> str | None:
    """What AWS refuses in a deployment configuration's hooks (InvalidParameterException), or None."""
    for hook in configuration.get("lifecycleHooks") or []:
        stages = list(hook.get("lifecycleStages") or [])
        if hook.get("targetType") == "PAUSE" and any(stage in NO_PAUSE_STAGES for stage in stages):
            return "PAUSE lifecycle hooks are not supported for the TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT " \
                   "lifecycle stages."
        if hook.get("targetType", "AWS_LAMBDA") == "AWS_LAMBDA" and not hook.get("hookTargetArn"):
            return "hookTargetArn is required for AWS_LAMBDA lifecycle hooks."
    return None
