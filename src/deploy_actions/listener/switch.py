"""Switch a listener's (or rule's) forward action between blue and green: read, check, plan, shift, restore.

`Switcher.prepare` does every read and every check that can refuse an input (exit 2) before anything is
modified; `Switcher.run` shifts the weights step by step, each step gated by the destination's health and
each bake by the alarms, and writes the action list it started from back when anything regresses, when the
run times out or is cancelled (as on-timeout / on-cancel say).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from deploy_actions.aws import cloudwatch, elbv2
from deploy_actions.core.durations import format_duration
from deploy_actions.core.errors import DeployActionsError, DeploymentFailed, InputError
from deploy_actions.core.operation import Interrupted, Operation
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Cancelled, WaitPolicy, WaitTimeout
from deploy_actions.listener.forward import Forward, Role, live_side, other, remaining_steps, share, step_weights
from deploy_actions.listener.guards import (
    TEST_ANSWER_WAIT,
    AlarmFired,
    AnswerCheck,
    Bake,
    Health,
    HealthCheck,
    alarms_in_alarm,
    requirement,
)

To = Literal["green", "blue", "toggle", "inactive"]
ROLES: tuple[Role, Role] = ("blue", "green")


@dataclass(frozen=True)
class SwitchOptions:
    listener_arn: str
    blue: str  # name or ARN
    green: str
    to: To = "toggle"
    steps: tuple[int, ...] = (100,)  # percentages of traffic to the destination; (100,) is all at once
    bake_seconds: float = 0.0
    require_healthy: int | None = None  # None: every registered target healthy, and at least one
    alarms: tuple[str, ...] = ()
    rule_arn: str | None = None
    test_listener_arn: str | None = None
    test_url: str | None = None  # must answer (status < 500) once the test listener points at the destination
    dry_run: bool = False
    wait: bool = True  # wait for destination targets still registering (initial)


@dataclass(frozen=True)
class TargetGroup:
    role: Role
    arn: str
    name: str


@dataclass(frozen=True)
class Plan:
    where: str  # "listener <arn>" or "rule <arn>"
    groups: dict[Role, TargetGroup]
    forward: Forward
    before: dict[Role, int]  # weights as read
    live: Role | None  # None: mid-shift
    destination: Role | None  # None: to: inactive
    steps: tuple[int, ...]  # the steps still to take
    test: tuple[str, Forward] | None = None  # the test listener and its forward action as read
    test_label: str = ""  # how the log names the test listener: `HTTP:8080`, as the AWS console does

    @property
    def source(self) -> Role | None:
        return other(self.destination) if self.destination else None

    @property
    def title(self) -> str:
        """`blue → green on listener app/NAME/ID/ID` (or rule, or `blue (inactive: green)`)."""
        kind, _, arn = self.where.partition(" ")
        place = f"{kind} {arn.partition(':listener-rule/' if kind == 'rule' else ':listener/')[2] or arn}"
        if self.destination is None:
            return f"{place}: live {self.live or 'mid-shift'}"
        return f"{self.live or 'mid-shift'} → {self.destination} on {place}"


@dataclass(frozen=True)
class Point:
    """One moment of the weights' history: what the summary's chart draws."""

    label: str
    seconds: float
    weights: dict[Role, int]


@dataclass
class Outcome:
    plan: Plan
    after: dict[Role, int]
    timeline: list[Point]
    steps_completed: int = 0
    rolled_back: bool = False
    health: dict[Role, Health] = field(default_factory=dict)
    error: DeployActionsError | None = None
    note: str = ""  # what happened in words: no-op, dry run, refused, rolled back

    @property
    def active(self) -> Role | None:
        return live_side(self.after["blue"], self.after["green"])


class HealthRefused(DeploymentFailed):
    """The destination is not healthy enough for the next step."""


class NotAnswering(DeploymentFailed):
    """The destination does not answer through the test listener."""


class Switcher:
    def __init__(self, elb: Any, cw: Any, reporter: Reporter, op: Operation, *,
                 on_change: Callable[[Outcome], None] = lambda _: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.elb, self.cw, self.reporter, self.op = elb, cw, reporter, op
        self.on_change, self.clock = on_change, clock
        self._modified: dict[str, Callable[[], None]] = {}  # what to write back, by listener/rule ARN

    # -- prepare: every read and every check, nothing modified ---------------------------------------
    def prepare(self, opts: SwitchOptions) -> Plan:
        listener = elbv2.listener(self.elb, opts.listener_arn)
        balancer = str(listener.get("LoadBalancerArn", ""))
        if opts.rule_arn:
            rule = elbv2.rule(self.elb, opts.rule_arn)
            _check_rule_of(opts.rule_arn, opts.listener_arn, rule)
            actions, where, input_name, value = list(rule.get("Actions") or []), f"rule {opts.rule_arn}", \
                "rule-arn", opts.rule_arn
        else:
            actions, where, input_name, value = list(listener.get("DefaultActions") or []), \
                f"listener {opts.listener_arn}", "listener-arn", opts.listener_arn
        groups: dict[Role, TargetGroup] = {"blue": self._target_group("blue", opts.blue, balancer),
                  "green": self._target_group("green", opts.green, balancer)}
        if groups["blue"].arn == groups["green"].arn:
            raise InputError.single("green-target-group", opts.green, "is the same target group as "
                                    "blue-target-group; name the two target groups traffic moves between")
        forward = Forward.read(actions)
        if forward is None:
            kinds = ", ".join(str(a.get("Type")) for a in actions) or "none"
            raise InputError.single(input_name, value, f"its action is not a forward action ({kinds}); "
                                    "switch-listener moves the weights of a forward action")
        blue, green = groups["blue"].arn, groups["green"].arn
        if blue not in forward.weights and green not in forward.weights:
            names = ", ".join(_short(arn) for arn in forward.weights) or "nothing"
            raise InputError.single("blue-target-group", opts.blue, f"the {where.split()[0]} forwards to {names}, "
                                    "not to blue-target-group or green-target-group; name the target groups it "
                                    "forwards to")
        extra = forward.others(blue, green)
        if extra:
            raise InputError.single(input_name, value, "also forwards to " + ", ".join(
                f"{_short(arn)} (weight {w})" for arn, w in extra.items()) + "; switch-listener moves traffic "
                "between blue and green only: take that group out of the action (or set its weight to 0) first")
        before: dict[Role, int] = {"blue": forward.weight(blue), "green": forward.weight(green)}
        if before["blue"] + before["green"] <= 0:
            raise InputError.single(input_name, value, "forwards no traffic (every weight is 0); give the live "
                                    "target group a weight first")
        live = live_side(before["blue"], before["green"])
        destination = _destination(opts.to, live, before)
        current = share(before["blue"], before["green"], destination) if destination else 0.0
        steps = tuple(remaining_steps(list(opts.steps), current)) if destination else ()
        test, test_label = self._test_listener(opts, balancer) if opts.test_listener_arn else (None, "")
        if opts.alarms:
            cloudwatch.alarm_states(self.cw, list(opts.alarms))  # an unknown alarm: exit 2, before any change
        return Plan(where, groups, forward, before, live, destination, steps, test, test_label)

    def _target_group(self, role: Role, ref: str, balancer: str) -> TargetGroup:
        input_name = f"{role}-target-group"
        found = elbv2.target_group(self.elb, ref, input_name=input_name)
        balancers = list(found.get("LoadBalancerArns") or [])
        if balancers and balancer not in balancers:
            raise InputError.single(input_name, ref, f"serves load balancer {_short(balancers[0])}, not this "
                                    f"listener's ({_short(balancer)}); an ALB target group serves one load "
                                    "balancer: use a target group of this one")
        return TargetGroup(role, str(found["TargetGroupArn"]), str(found.get("TargetGroupName") or _short(ref)))

    def _test_listener(self, opts: SwitchOptions, balancer: str) -> tuple[tuple[str, Forward], str]:
        arn = str(opts.test_listener_arn)
        found = elbv2.listener(self.elb, arn, input_name="test-listener-arn")
        if arn == opts.listener_arn:
            raise InputError.single("test-listener-arn", arn, "is the production listener itself; give the test "
                                    "listener (another port of the same load balancer), or leave it empty")
        if str(found.get("LoadBalancerArn", "")) != balancer:
            raise InputError.single("test-listener-arn", arn, "belongs to another load balancer; give a listener "
                                    "of the production listener's load balancer")
        forward = Forward.read(list(found.get("DefaultActions") or []))
        if forward is None:
            raise InputError.single("test-listener-arn", arn, "its default action is not a forward action; "
                                    "switch-listener points a forward action at the destination")
        label = f"{found.get('Protocol') or 'HTTP'}:{found['Port']}" if found.get("Port") else arn
        return (arn, forward), label

    # -- run -----------------------------------------------------------------------------------------
    def run(self, plan: Plan, opts: SwitchOptions) -> Outcome:
        started = self.clock()
        outcome = Outcome(plan, dict(plan.before), [Point("start", 0.0, dict(plan.before))])
        self._describe(plan)
        destination = plan.destination
        if destination is None:
            side = other(plan.live) if plan.live else None
            outcome.note = f"deploy to {side} ({plan.groups[side].name})" if side else ""
            self.reporter.info(f"Inactive side: {outcome.note}; nothing changed")
            return outcome
        target = plan.groups[destination]
        if not plan.steps:
            outcome.note = f"{destination} ({target.name}) already receives all traffic; nothing changed"
            self.reporter.info(_sentence(outcome.note))
            return outcome
        self.reporter.info(_plan_line(plan, opts))
        if opts.dry_run:
            outcome.note = "dry run: nothing changed"
            self.reporter.info("Dry run: nothing changed")
            return outcome
        try:
            firing = alarms_in_alarm(self.cw, list(opts.alarms))
            if firing:
                raise AlarmFired(firing, "before the first step")
            for number, percent in enumerate(plan.steps, start=1):
                label = f"{percent}%"
                with self.reporter.group(f"Step {number}/{len(plan.steps)}: {label} of traffic to {destination} "
                                         f"({target.name})", live=True):
                    self.op.cancel.raise_if_cancelled(f"before the step to {label}")
                    self._gate(plan, opts, outcome, label)
                    if number == 1 and plan.test is not None:
                        self._point_test_listener(plan, opts)
                    weights = step_weights(percent, destination)
                    self._write(plan, weights)
                    outcome.after = weights
                    outcome.steps_completed = number
                    outcome.timeline.append(Point(label, self.clock() - started, dict(weights)))
                    self.on_change(outcome)
                    self.reporter.info(f"{destination} ({target.name}) now receives {label}: weights blue "
                                       f"{weights['blue']}, green {weights['green']}")
                    if number < len(plan.steps) and opts.bake_seconds > 0:
                        self._bake(opts, label)
        except (AlarmFired, HealthRefused, NotAnswering) as exc:
            outcome.error = self._failed(plan, outcome, str(exc), started)
        except (WaitTimeout, Cancelled) as exc:
            interruption = self.op.interruption(exc)
            self.op.carry_out(interruption, "the traffic shift",
                              lambda rollback: self._rollback(plan, outcome, started)
                              if rollback and self._modified else None)
            outcome.error = Interrupted(f"{interruption.reason} ({interruption.choice})", interruption.exit_code)
        except DeployActionsError as exc:  # AWS failed mid-way: put the starting weights back if it lets us
            outcome.error = exc
            if self._modified:
                self.reporter.warning(f"{exc}; restoring the starting weights")
                try:
                    self._rollback(plan, outcome, started)
                except DeployActionsError as again:
                    self.reporter.error(f"could not restore the starting weights: {again}")
        if outcome.error is None:
            outcome.note = f"{destination} ({target.name}) receives all traffic"
        return outcome

    def _describe(self, plan: Plan) -> None:
        weights = ", ".join(f"{role} {plan.groups[role].name} weight {plan.before[role]}" for role in ROLES)
        state = f"live: {plan.live}" if plan.live else "mid-shift"
        self.reporter.info(f"{_sentence(plan.where)} forwards to {weights} ({state})")

    def _gate(self, plan: Plan, opts: SwitchOptions, outcome: Outcome, label: str) -> None:
        assert plan.destination is not None
        group = plan.groups[plan.destination]
        check = HealthCheck(self.elb, group.arn, group.name, opts.require_healthy, self.reporter, wait=opts.wait)
        health = self.op.follow(check)
        outcome.health[plan.destination] = health
        if not health.enough(opts.require_healthy):
            raise HealthRefused(f"{group.name} is not healthy enough for {label}: {health.describe()}; "
                                f"require-healthy wants {requirement(opts.require_healthy)}")
        self.reporter.info(f"{group.name}: {health.describe()}")

    def _bake(self, opts: SwitchOptions, label: str) -> None:
        bake = Bake(self.cw, list(opts.alarms), opts.bake_seconds, label, self.reporter, clock=self.clock)
        self.reporter.info(f"Baking {format_duration(opts.bake_seconds)} at {label}"
                           + (f", watching {', '.join(opts.alarms)}" if opts.alarms else ""))
        self.op.follow(bake, WaitPolicy(timeout=self.op.deadline.remaining(), initial_interval=bake.interval,
                                        max_interval=bake.interval))

    def _write(self, plan: Plan, weights: dict[Role, int]) -> None:
        by_arn = {plan.groups[role].arn: weights[role] for role in ROLES}
        actions = plan.forward.with_weights(by_arn)
        if plan.where.startswith("rule "):
            arn = plan.where.removeprefix("rule ")
            self._modified.setdefault(arn, lambda: elbv2.set_rule_actions(self.elb, arn, plan.forward.original()))
            elbv2.set_rule_actions(self.elb, arn, actions)
        else:
            arn = plan.where.removeprefix("listener ")
            self._modified.setdefault(arn, lambda: elbv2.set_listener_actions(self.elb, arn,
                                                                              plan.forward.original()))
            elbv2.set_listener_actions(self.elb, arn, actions)

    def _point_test_listener(self, plan: Plan, opts: SwitchOptions) -> None:
        assert plan.test is not None and plan.destination is not None
        arn, forward = plan.test
        destination = plan.groups[plan.destination]
        weights = {destination.arn: 1, plan.groups[other(plan.destination)].arn: 0}
        self._modified.setdefault(arn, lambda: elbv2.set_listener_actions(self.elb, arn, forward.original()))
        elbv2.set_listener_actions(self.elb, arn, forward.with_weights(weights))
        self.reporter.info(f"Test listener {plan.test_label} now forwards to {destination.name}")
        if opts.test_url:
            policy = WaitPolicy(timeout=min(TEST_ANSWER_WAIT, self.op.deadline.remaining()), initial_interval=1.0,
                                max_interval=5.0)
            try:
                status = self.op.follow(AnswerCheck(opts.test_url, self.reporter), policy)
            except WaitTimeout:
                raise NotAnswering(f"{opts.test_url} did not answer through the test listener within "
                                  f"{format_duration(policy.timeout)} (a status below 500)") from None
            self.reporter.info(f"{opts.test_url} answered HTTP {status} through the test listener")

    def _rollback(self, plan: Plan, outcome: Outcome, started: float) -> None:
        """Write back every action list this run changed, exactly as it was read."""
        for restore in reversed(list(self._modified.values())):
            restore()
        self._modified.clear()
        outcome.after = dict(plan.before)
        outcome.rolled_back = True
        outcome.timeline.append(Point("rolled back", self.clock() - started, dict(plan.before)))
        self.on_change(outcome)
        self.reporter.info(f"Restored the starting weights: blue {plan.before['blue']}, green {plan.before['green']}")

    def _failed(self, plan: Plan, outcome: Outcome, reason: str, started: float) -> DeploymentFailed:
        if not self._modified:
            return DeploymentFailed(f"{reason}; nothing changed")
        moved = plan.where.partition(" ")[2] in self._modified
        self.reporter.warning(f"{reason}; restoring the starting weights")
        self._rollback(plan, outcome, started)
        if not moved:
            outcome.rolled_back = False  # production traffic never moved: only the test listener was put back
            return DeploymentFailed(f"{reason}; the test listener was restored and production traffic never moved")
        return DeploymentFailed(f"{reason}; rolled back to the starting weights (blue {plan.before['blue']}, "
                                f"green {plan.before['green']})")


def _destination(to: To, live: Role | None, before: dict[Role, int]) -> Role | None:
    if to in ("green", "blue"):
        return "green" if to == "green" else "blue"
    if live is None:
        raise InputError.single("to", to, f"the listener is mid-shift (blue weight {before['blue']}, green "
                                f"{before['green']}), so neither side is {'idle' if to == 'inactive' else 'live'}; "
                                "say to: green to finish the shift or to: blue to undo it")
    if to == "inactive":
        return None
    return other(live)


def _check_rule_of(rule_arn: str, listener_arn: str, rule: dict[str, Any]) -> None:
    """A rule ARN names its listener: ...:listener-rule/app/LB/ID/LISTENER/RULE vs ...:listener/app/LB/ID/LISTENER."""
    rule_path = rule_arn.partition(":listener-rule/")[2].rpartition("/")[0]
    listener_path = listener_arn.partition(":listener/")[2]
    if rule_path and listener_path and rule_path != listener_path:
        raise InputError.single("rule-arn", rule_arn, "is a rule of another listener; give a rule of listener-arn")
    if rule.get("IsDefault"):
        raise InputError.single("rule-arn", rule_arn, "is the listener's default rule; leave rule-arn empty to "
                                "switch the listener's default action")


def _sentence(text: str) -> str:
    """The first letter upper case, the rest as it is (a target group's name keeps its case)."""
    return text[:1].upper() + text[1:]


def _short(arn: str) -> str:
    """A target group's or load balancer's name from its ARN (…:targetgroup/NAME/ID)."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def _plan_line(plan: Plan, opts: SwitchOptions) -> str:
    steps = " → ".join(f"{s}%" for s in plan.steps)
    bake = f", baking {format_duration(opts.bake_seconds)} between steps" if len(plan.steps) > 1 and \
        opts.bake_seconds else ""
    alarms = f", watching {', '.join(opts.alarms)}" if opts.alarms else ""
    assert plan.destination is not None
    return f"Plan: {steps} of traffic to {plan.destination} ({plan.groups[plan.destination].name}){bake}{alarms}"
