"""What guards each step: the destination's target health before it, the CloudWatch alarms during its bake."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy_actions.aws import cloudwatch, elbv2
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.durations import format_duration
from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Poll

PROGRESS_EVERY = 10.0  # seconds between progress lines of a wait
COUNTED = ("initial", "healthy", "unhealthy", "unavailable")  # draining and unused targets take no traffic


@dataclass(frozen=True)
class Health:
    healthy: int
    registered: int
    initial: int
    others: tuple[str, ...] = field(default=())  # "id:port unhealthy (Target.Timeout)" for each not healthy

    def enough(self, required: int | None) -> bool:
        """required None: every registered target healthy, and at least one."""
        if required is None:
            return self.registered > 0 and self.healthy == self.registered
        return self.healthy >= required

    def describe(self) -> str:
        text = f"{self.healthy} of {self.registered} targets healthy"
        return text + (f"; {', '.join(self.others[:5])}" if self.others else "")


def read_health(elb: Any, arn: str) -> Health:
    healthy = registered = initial = 0
    others: list[str] = []
    for description in elbv2.target_health(elb, arn):
        state = description.get("TargetHealth") or {}
        status = str(state.get("State", ""))
        if status not in COUNTED:
            continue
        registered += 1
        healthy += status == "healthy"
        initial += status == "initial"
        if status != "healthy":
            target = description.get("Target") or {}
            reason = f" ({state['Reason']})" if state.get("Reason") else ""
            others.append(f"{target.get('Id')}:{target.get('Port')} {status}{reason}")
    return Health(healthy, registered, initial, tuple(others))


def requirement(required: int | None) -> str:
    return "every registered target healthy (at least one)" if required is None else \
        f"at least {required} healthy target{'s' if required != 1 else ''}"


class HealthCheck:
    """Follower: the destination's health, waiting while targets are still registering (`initial`) if asked."""

    def __init__(self, elb: Any, arn: str, name: str, required: int | None, reporter: Reporter, *,
                 wait: bool) -> None:
        self.elb, self.arn, self.name, self.required = elb, arn, name, required
        self.reporter, self.wait = reporter, wait
        self.last: Health | None = None
        self.said = -PROGRESS_EVERY

    @property
    def what(self) -> str:
        return f"the targets of {self.name} to pass their health checks"

    def check(self) -> Poll[Health]:
        health = read_health(self.elb, self.arn)
        changed, self.last = health != self.last, health
        if health.enough(self.required) or not (self.wait and health.initial):
            return Poll.finished(health)
        return Poll.pending(changed, max_interval=5.0)

    def progress(self, elapsed: float) -> None:
        if self.last is not None and elapsed - self.said >= PROGRESS_EVERY:
            self.said = elapsed
            self.reporter.info(f"  {self.name}: {self.last.describe()} ({format_duration(elapsed)})")


class AlarmFired(DeploymentFailed):
    def __init__(self, alarms: list[str], during: str) -> None:
        super().__init__(f"alarm {', '.join(alarms)} in ALARM {during}")
        self.alarms = alarms


def alarms_in_alarm(cw: Any, alarms: list[str]) -> list[str]:
    if not alarms:
        return []
    return [name for name, state in cloudwatch.alarm_states(cw, alarms).items() if state == "ALARM"]


class Bake:
    """Follower: done when `seconds` have passed; AlarmFired as soon as a watched alarm is in ALARM."""

    def __init__(self, cw: Any, alarms: list[str], seconds: float, label: str, reporter: Reporter, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cw, self.alarms, self.seconds, self.label = cw, alarms, seconds, label
        self.reporter, self.clock = reporter, clock
        self.ends = clock() + seconds
        self.said = 0.0

    @property
    def what(self) -> str:
        return f"the bake at {self.label}"

    def check(self) -> Poll[None]:
        try:
            firing = alarms_in_alarm(self.cw, self.alarms)
        except AwsCallFailed as exc:
            if not exc.transient:
                raise
            self.reporter.warning(f"reading the alarms: {exc}; asking again")  # throttled: the next poll may pass
            return Poll.pending(max_interval=max(0.0, self.ends - self.clock()))
        if firing:
            raise AlarmFired(firing, f"during the bake at {self.label}")
        left = self.ends - self.clock()
        if left <= 0:
            return Poll.finished(None)
        return Poll.pending(max_interval=left)

    def progress(self, elapsed: float) -> None:
        if elapsed - self.said < PROGRESS_EVERY:
            return
        self.said = elapsed
        left = max(0.0, self.ends - self.clock())
        watched = f", {len(self.alarms)} alarm(s) OK" if self.alarms else ""
        self.reporter.info(f"  baking at {self.label}: {format_duration(left)} left{watched}")

    @property
    def interval(self) -> float:
        """How often alarms are read: every 10 s in a long bake, more often in a short one."""
        return min(10.0, max(0.5, self.seconds / 5))


TEST_ANSWER_WAIT = 60.0  # seconds the test listener gets to answer once it points at the destination


class AnswerCheck:
    """Follower: done when `url` answers with a status below 500 (the destination serves test traffic)."""

    def __init__(self, url: str, reporter: Reporter) -> None:
        self.url, self.reporter = url, reporter
        self.last = ""

    @property
    def what(self) -> str:
        return f"{self.url} to answer through the test listener"

    def check(self) -> Poll[int]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url, timeout=10) as response:  # noqa: S310 - the user's URL
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = int(error.code)
        except (OSError, ValueError) as error:
            changed, self.last = self.last != str(error), str(error)
            return Poll.pending(changed)
        if status < 500:
            return Poll.finished(status)
        changed, self.last = self.last != f"HTTP {status}", f"HTTP {status}"
        return Poll.pending(changed)

    def progress(self, elapsed: float) -> None:
        if self.last:
            self.reporter.info(f"  {self.url}: {self.last} ({format_duration(elapsed)})")
