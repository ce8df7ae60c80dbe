"""What every part of the ECS engine shares: the lock, the records it keeps by ARN, the emulated
clock, the ELB health tracker and a client of the emulator's own API. `engine.EcsEngine` is one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.ecs.model import ServiceDeployment, Task
from deploy_actions.emulator.ecs.service_run import ServiceRun


class TargetHealth(Protocol):
    """What the engine asks the emulator's ELB health tracker (`elbv2.target_health.HealthTracker`)."""

    def state_of(self, arn: str, target_id: str) -> str | None: ...

    def describe(self, arn: str, targets: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


class EcsState:
    def __init__(self, account: str, region: str, clock: Clock, health: TargetHealth,
                 internal_client: Callable[[str], Any]) -> None:
        self.account, self.region, self.clock = account, region, clock
        self.health = health
        self.client = internal_client  # a boto3 client of the emulator, by service name
        self.lock = threading.RLock()
        self.runs: dict[str, ServiceRun] = {}  # by service ARN
        self.tasks: dict[str, Task] = {}  # by task ARN
        self.service_deployments: dict[str, ServiceDeployment] = {}
        self.revisions: dict[str, dict[str, Any]] = {}

    @property
    def backend(self) -> EC2ContainerServiceBackend:
        return ecs_backends[self.account][self.region]

    def arn(self, kind: str, rest: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:{kind}/{rest}"
