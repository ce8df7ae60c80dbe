"""A service as the engine runs it (`ServiceRun`: its deployments or task sets, events, launch
throttle, alarm timers, queued target changes), and what the engine reads off moto's service record.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.ecs import events
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, TaskSet

MAX_EVENTS = 100
DEFAULT_ALARM_BAKE = 60.0  # emulated seconds of alarm monitoring after the tasks are healthy
BACKOFF_BASE, BACKOFF_MAX = 10.0, 900.0  # emulated seconds: the scheduler's launch throttle after failures

log = logging.getLogger(__name__)

# Work for outside the engine's lock (calls to the emulator's own API), run after a step.
Action = Callable[[], None]


@dataclass(eq=False)
class ServiceRun:
    service: Any  # moto's Service
    configuration: dict[str, Any]
    grace: float = 0.0
    deployments: list[Deployment] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    last_completed: str | None = None  # service revision ARN
    current: ServiceDeployment | None = None
    bake_until: float | None = None
    backoff_until: float = 0.0
    launch_failures: int = 0
    frozen: bool = False  # ABORTed: no scheduling, its tasks left as they are, until the next UpdateService
    requested: str | None = None  # ROLLBACK or ABORT asked by StopServiceDeployment
    alarm_next: float = 0.0
    alarm_bake: float = DEFAULT_ALARM_BAKE
    task_sets: list[TaskSet] = field(default_factory=list)  # CODE_DEPLOY and EXTERNAL controllers
    pending_actions: list[Action] = field(default_factory=list)  # for the next tick, outside the lock
    registered: dict[str, int] = field(default_factory=dict)  # targets (de)registered since the last event
    deregistered: dict[str, int] = field(default_factory=dict)

    def target_events(self) -> None:
        for verb, counts in (("registered", self.registered), ("deregistered", self.deregistered)):
            for group_arn, count in counts.items():
                self.event(events.targets_changed(self.name, verb, count, group_arn))
            counts.clear()

    @property
    def name(self) -> str:
        return str(self.service.name)

    def event(self, message: str) -> None:
        self.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message})
        del self.events[MAX_EVENTS:]

    def launch_failed(self, now: float) -> None:
        """A task failed: the scheduler waits longer before it launches again (doubling, up to a cap)."""
        self.launch_failures += 1
        self.backoff_until = now + min(BACKOFF_BASE * 2 ** (self.launch_failures - 1), BACKOFF_MAX)


def run_all(actions: list[Action]) -> None:
    for action in actions:
        try:
            action()
        except Exception:
            log.exception("ECS engine action failed")


def controller(service: Any) -> str:
    return str((service.deployment_controller or {}).get("type") or "ECS")


def target_groups(service: Any) -> list[tuple[str, int]]:
    """(target group, container port) of the service's load balancers; alternate groups (blue/green)
    with the port negated, so a task registers in them only when its deployment names them."""
    found: list[tuple[str, int]] = []
    for load_balancer in service.load_balancers or []:
        port = int(load_balancer.get("containerPort") or 0)
        if load_balancer.get("targetGroupArn"):
            found.append((str(load_balancer["targetGroupArn"]), port))
        alternate = (load_balancer.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
        if alternate:
            found.append((str(alternate), -port))
    return found
