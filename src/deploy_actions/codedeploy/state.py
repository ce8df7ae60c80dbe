"""Domain view of a CodeDeploy deployment and its targets, parsed from API answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")
TARGET_KEYS = ("instanceTarget", "ecsTarget", "lambdaTarget", "cloudFormationTarget")


@dataclass(frozen=True)
class LifecycleEvent:
    name: str
    status: str
    start: datetime | None
    end: datetime | None
    diagnostics: dict[str, Any] | None

    @property
    def seconds(self) -> float | None:
        if self.start and self.end:
            return (self.end - self.start).total_seconds()
        return None


@dataclass(frozen=True)
class TargetState:
    id: str
    status: str
    label: str | None  # Blue (original) / Green (replacement) for blue/green deployments
    events: tuple[LifecycleEvent, ...]

    @property
    def failed_event(self) -> LifecycleEvent | None:
        return next((e for e in self.events if e.status == "Failed"), None)

    @property
    def fleet(self) -> str:
        return {"Blue": "original", "Green": "replacement"}.get(self.label or "", "")


@dataclass
class DeploymentState:
    id: str
    status: str
    info: dict[str, Any]
    targets: list[TargetState] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def overview(self) -> dict[str, int]:
        return dict(self.info.get("deploymentOverview") or {})

    @property
    def error(self) -> dict[str, Any]:
        return dict(self.info.get("errorInformation") or {})

    @property
    def rollback_deployment_id(self) -> str | None:
        value = (self.info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
        return str(value) if value else None

    @property
    def rolled_back_deployment_id(self) -> str | None:
        value = (self.info.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId")
        return str(value) if value else None

    @property
    def is_blue_green(self) -> bool:
        style = self.info.get("deploymentStyle") or {}
        return style.get("deploymentType") == "BLUE_GREEN"

    @property
    def traffic_rerouted(self) -> bool:
        return bool(self.info.get("instanceTerminationWaitTimeStarted"))

    @property
    def create_time(self) -> datetime | None:
        value = self.info.get("createTime")
        return value if isinstance(value, datetime) else None

    @property
    def complete_time(self) -> datetime | None:
        value = self.info.get("completeTime")
        return value if isinstance(value, datetime) else None


def parse_target(raw: dict[str, Any]) -> TargetState:
    body = next((raw[k] for k in TARGET_KEYS if k in raw), raw)
    events = tuple(
        LifecycleEvent(
            name=str(event.get("lifecycleEventName", "")),
            status=str(event.get("status", "Pending")),
            start=event.get("startTime"),
            end=event.get("endTime"),
            diagnostics=event.get("diagnostics"),
        )
        for event in body.get("lifecycleEvents") or []
    )
    target_id = str(body.get("targetId") or body.get("targetArn") or "?")
    if target_id.startswith("arn:") and "/" in target_id:
        target_id = target_id.rsplit("/", 1)[-1]
    return TargetState(id=target_id, status=str(body.get("status", "Unknown")),
                       label=body.get("instanceLabel"), events=events)
