"""Switch ALB traffic between blue and green."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from deploy_actions.actions import ActionSpec
from deploy_actions.core.context import RunContext
from deploy_actions.core.durations import format_duration, parse_duration
from deploy_actions.core.errors import InputProblem
from deploy_actions.core.inputs import AwsInputs, Duration, Flag, Metavar, MultiLine
from deploy_actions.core.operation import OnInterrupt, WaitingInputs
from deploy_actions.core.outputs import ActionOutputs
from deploy_actions.listener.forward import linear_steps, other, parse_steps
from deploy_actions.listener.report import summary, table
from deploy_actions.listener.switch import ROLES, Outcome, Switcher, SwitchOptions

MAX_BAKE = 24 * 3600.0


def _bake_time(text: str) -> str:
    stripped = text.strip()
    seconds = parse_duration(stripped)
    if stripped.replace(".", "", 1).isdigit() and seconds:
        raise ValueError(f"give a unit: {stripped}m or {stripped}s")
    if seconds > MAX_BAKE:
        raise ValueError("must be at most 24h per step")
    return stripped


def _require_healthy(text: str) -> str:
    if text.strip().lower() != "all" and not (text.strip().isdigit() and int(text) >= 1):
        raise ValueError("give all (every registered target healthy, at least one) or a number of healthy "
                         "targets, at least 1")
    return text.strip().lower()


BakeTime = Annotated[str, AfterValidator(_bake_time), Metavar("DURATION")]


class Inputs(WaitingInputs, AwsInputs):
    listener_arn: str = Field(description="ARN of the ALB listener whose forward action moves.")
    rule_arn: str | None = Field(None, description="ARN of a rule of that listener: move that rule's forward "
                                 "action instead of the default action (other rules stay as they are).")
    blue_target_group: str = Field(description="The blue target group: name or ARN.")
    green_target_group: str = Field(description="The green target group: name or ARN.")
    to: Literal["green", "blue", "toggle", "inactive"] = Field(
        "toggle", description="Where traffic goes: green, blue, toggle (to the side that is idle now), or "
        "inactive: change nothing and report the idle side (the one to deploy to). The live side is read from "
        "the weights, never from names.")
    strategy: Literal["all-at-once", "canary", "linear"] = Field(
        "all-at-once", description="all-at-once: one step to 100%; canary: the percentages in steps; linear: "
        "equal steps of step-percent.")
    steps: str | None = Field(None, description="canary: percentages of traffic to the destination, ascending, "
                              "ending at 100. Default: 10,50,100.")
    step_percent: int | None = Field(None, ge=1, le=99, description="linear: percent of traffic moved per step. "
                                     "Default: 10.")
    bake_time: BakeTime = Field("5m", description="How long each step but the last holds before the next, "
                                "alarms watched (e.g. 90s, 5m; 0s: no bake).")
    require_healthy: Annotated[str, AfterValidator(_require_healthy)] = Field(
        "all", description="Healthy targets the destination needs before each step: all (every registered "
        "target, at least one) or a number.")
    alarms: MultiLine = Field([], description="CloudWatch alarm names, one per line: one in ALARM before or during "
                              "the shift puts the starting weights back and fails the step.")
    test_listener_arn: str | None = Field(None, description="A test listener of the same load balancer to point "
                                          "at the destination before the first step (restored on rollback).")
    test_url: str | None = Field(None, description="With test-listener-arn: a URL reaching the test listener "
                                 "(e.g. http://NAME.elb.amazonaws.com:8080/health) that must answer, with a status "
                                 "below 500 within 60s, before production traffic moves.")
    dry_run: Flag = Field(False, description="Read, check and print the plan; change nothing.")
    timeout: Duration = Field("1h", description="How long the whole step may take, bakes included (e.g. 30m, "
                              "1h30m; a unit is required).")
    on_timeout: OnInterrupt = Field("stop-and-rollback", description="When timeout passes mid-shift: "
                                    "stop-and-rollback puts the starting weights back; stop or leave keep the "
                                    "weights reached.")
    on_cancel: OnInterrupt = Field("stop-and-rollback", description="When the job is cancelled (SIGTERM/SIGINT) "
                                   "mid-shift: stop-and-rollback puts the starting weights back; stop or leave keep "
                                   "the weights reached.")
    wait: Flag = Field(True, description="Wait for destination targets still registering (initial) to pass their "
                       "health checks. false: judge them as they are.")

    def problems(self) -> list[InputProblem]:
        found: list[InputProblem] = []
        if self.steps is not None:
            if self.strategy != "canary":
                found.append(InputProblem("steps", self.steps, f"only used with strategy: canary (strategy is "
                                          f"{self.strategy}); remove it or set strategy: canary"))
            else:
                try:
                    parse_steps(self.steps)
                except ValueError as exc:
                    found.append(InputProblem("steps", self.steps, str(exc)))
        if self.test_url is not None:
            if not self.test_listener_arn:
                found.append(InputProblem("test-url", self.test_url, "only used with test-listener-arn (the "
                                          "listener it reaches); set both or remove test-url"))
            elif not self.test_url.startswith(("http://", "https://")):
                found.append(InputProblem("test-url", self.test_url, "must be an http:// or https:// URL"))
            elif "@" in urlsplit(self.test_url).netloc:  # the value is not quoted: it holds a password
                found.append(InputProblem("test-url", None, "must carry no user or password (user:pass@host): "
                                          "the step prints the URL it checks", hidden=True))
        if self.step_percent is not None and self.strategy != "linear":
            found.append(InputProblem("step-percent", str(self.step_percent), "only used with strategy: linear; "
                                      "remove it or set strategy: linear"))
        if self.blue_target_group.strip() == self.green_target_group.strip():
            found.append(InputProblem("green-target-group", self.green_target_group, "is the same as "
                                      "blue-target-group; name the two target groups traffic moves between"))
        if not found:
            bakes = parse_duration(self.bake_time) * (len(self.plan_steps()) - 1)
            if bakes > parse_duration(self.timeout):
                found.append(InputProblem("bake-time", self.bake_time, f"{len(self.plan_steps()) - 1} bakes take "
                                          f"{format_duration(bakes)}, more than timeout ({self.timeout}); raise "
                                          "timeout or shorten bake-time"))
        return found

    def plan_steps(self) -> tuple[int, ...]:
        if self.strategy == "canary":
            return tuple(parse_steps(self.steps or "10,50,100"))
        if self.strategy == "linear":
            return tuple(linear_steps(self.step_percent or 10))
        return (100,)


class Outputs(ActionOutputs):
    previous_target_group: str = Field("", description="ARN of the target group that was live before the step.")
    active_target_group: str = Field("", description="ARN of the target group live now (all the weight).")
    inactive_target_group: str = Field("", description="ARN of the idle target group: the one to deploy to next.")
    active_side: str = Field("", description="blue or green: the side live now (empty while mid-shift).")
    inactive_side: str = Field("", description="blue or green: the idle side, to deploy to and then pass as `to` "
                               "(a re-run then changes nothing, where toggle would flip back).")
    weights: dict[str, int] = Field({}, description='JSON of the weights now, e.g. {"blue":0,"green":100}.')
    rolled_back: bool = Field(False, description="true when the starting weights were put back.")
    steps_completed: int = Field(0, description="How many steps were applied (before any rollback).")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    clients = ctx.aws(inputs)
    opts = SwitchOptions(
        listener_arn=inputs.listener_arn, rule_arn=inputs.rule_arn, blue=inputs.blue_target_group,
        green=inputs.green_target_group, to=inputs.to, steps=inputs.plan_steps(),
        bake_seconds=parse_duration(inputs.bake_time),
        require_healthy=None if inputs.require_healthy == "all" else int(inputs.require_healthy),
        alarms=tuple(inputs.alarms), test_listener_arn=inputs.test_listener_arn, test_url=inputs.test_url,
        dry_run=inputs.dry_run,
        wait=inputs.wait)
    switcher = Switcher(clients.client("elbv2"), clients.client("cloudwatch", polling=True), ctx.reporter,
                        ctx.operation(inputs), on_change=lambda o: ctx.outputs.merge(_outputs(o)))
    plan = switcher.prepare(opts)
    outcome = switcher.run(plan, opts)
    outputs = _outputs(outcome)
    ctx.outputs.merge(outputs)
    ctx.reporter.info(table(outcome))
    ctx.reporter.summary(summary(outcome, plan.title))
    if outcome.error is not None:
        raise outcome.error
    return outputs


def _outputs(outcome: Outcome) -> Outputs:
    plan = outcome.plan
    previous = plan.live or plan.source
    active = outcome.active
    inactive = other(active) if active else None
    arn = {role: group.arn for role, group in plan.groups.items()}
    return Outputs(previous_target_group=arn[previous] if previous else "",
                   active_target_group=arn[active] if active else "",
                   inactive_target_group=arn[inactive] if inactive else "",
                   active_side=active or "", inactive_side=inactive or "",
                   weights={role: outcome.after[role] for role in ROLES}, rolled_back=outcome.rolled_back,
                   steps_completed=outcome.steps_completed)


SPEC = ActionSpec(
    name="switch-listener",
    title=ActionSpec.title_from(__doc__),
    description="Move an ALB listener's (or rule's) traffic between a blue and a green target group, at once or "
    "as a canary or linear shift, only while the destination is healthy; roll back to the starting weights when "
    "a CloudWatch alarm fires, on timeout or on cancel; report the live and idle sides.",
    icon="shuffle",
    color="blue",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
