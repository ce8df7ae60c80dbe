"""The records the ECS engine keeps, and their AWS shapes: tasks, deployments, service deployments,
service revisions. Times are `datetime`s for the API and emulated seconds (`Clock.monotonic`) for
the engine's timers.
"""

from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.ecs.bluegreen import Shift
from deploy_actions.emulator.ecs.tasks import DockerContainer, Fate, StandIn

# Service deployment states (DescribeServiceDeployments)
PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED = "PENDING", "IN_PROGRESS", "SUCCESSFUL", "STOPPED"
STOP_REQUESTED, ROLLBACK_REQUESTED = "STOP_REQUESTED", "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED = (
    "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
FINISHED = (SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED)


def deployment_id() -> str:
    return "ecs-svc/" + "".join(secrets.choice(string.digits) for _ in range(19))


def random_id(length: int = 22) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(eq=False)
class Task:
    arn: str
    cluster_arn: str
    definition: Any  # moto's TaskDefinition
    container: dict[str, Any]  # the essential container's definition
    fate: Fate
    ip: str
    port: int | None
    group: str
    started_by: str
    launch_type: str
    overrides: dict[str, Any]
    created: float  # emulated seconds
    tags: list[dict[str, str]] = field(default_factory=list)
    service_arn: str | None = None
    deployment: str | None = None  # ecs-svc/… of a service's task
    docker: DockerContainer | None = None
    stand_in: StandIn | None = None
    last_status: str = "PROVISIONING"
    desired_status: str = "RUNNING"
    health_status: str = "UNKNOWN"
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    running_since: float | None = None  # emulated seconds
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    stop_due: float | None = None  # emulated seconds: when a stopping task is STOPPED
    registered: list[str] = field(default_factory=list)  # target groups it is registered in
    failed: bool = False  # stopped by its own failure (counts for the circuit breaker)
    starting: bool = False  # a docker run is under way
    groups: list[str] | None = None  # a task set's task: the target groups it registers in
    counted: bool = False  # its failure was counted
    seen_healthy: bool = False
    container_overrides: dict[str, Any] = field(default_factory=dict)
    version: int = 1

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def alive(self) -> bool:
        return self.desired_status == "RUNNING"

    def as_api(self) -> dict[str, Any]:
        image = str(self.container.get("image", ""))
        container: dict[str, Any] = {
            "containerArn": self.arn.replace(":task/", ":container/") + "/" + self.container["name"],
            "taskArn": self.arn, "name": self.container["name"], "image": image,
            "lastStatus": self.last_status if self.last_status in ("PENDING", "RUNNING", "STOPPED") else
            ("PENDING" if self.last_status == "PROVISIONING" else "RUNNING"),
            "networkInterfaces": [{"attachmentId": self.id, "privateIpv4Address": self.ip}],
            "healthStatus": self.health_status, "cpu": str(self.container.get("cpu", 0)),
        }
        if self.exit_code is not None:
            container["exitCode"] = self.exit_code
        if self.container_reason:
            container["reason"] = self.container_reason
        if self.port is not None:
            container["networkBindings"] = [{"bindIP": self.ip, "containerPort": self.port, "hostPort": self.port,
                                             "protocol": "tcp"}]
        task: dict[str, Any] = {
            "taskArn": self.arn, "clusterArn": self.cluster_arn, "taskDefinitionArn": self.definition.arn,
            "lastStatus": self.last_status, "desiredStatus": self.desired_status, "healthStatus": self.health_status,
            "containers": [container], "group": self.group, "launchType": self.launch_type or "FARGATE",
            "createdAt": self.created_at, "version": self.version, "overrides": self.overrides or {},
            "connectivity": "CONNECTED", "availabilityZone": "us-east-1a", "tags": self.tags,
            "attachments": [{"id": self.id, "type": "ElasticNetworkInterface", "status": "ATTACHED",
                             "details": [{"name": "privateIPv4Address", "value": self.ip}]}],
        }
        if self.definition.cpu:
            task["cpu"] = str(self.definition.cpu)
        if self.definition.memory:
            task["memory"] = str(self.definition.memory)
        if self.started_by:
            task["startedBy"] = self.started_by
        if task["launchType"] == "FARGATE":
            task["platformVersion"], task["platformFamily"] = "1.4.0", "Linux"
        for key, value in (("startedAt", self.started_at), ("stoppingAt", self.stopping_at),
                           ("stoppedAt", self.stopped_at), ("stopCode", self.stop_code),
                           ("stoppedReason", self.stopped_reason)):
            if value is not None:
                task[key] = value
        if self.stopped_at is not None:
            task["executionStoppedAt"] = self.stopped_at
        return task


@dataclass(eq=False)
class Deployment:
    """One entry of `service.deployments` (the tasks of one revision)."""

    id: str
    task_definition: str
    revision: str  # service revision ARN
    desired: int
    launch_type: str | None
    network_configuration: dict[str, Any] | None
    service_deployment: ServiceDeployment
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    rollout_reason: str = ""
    failed_tasks: int = 0
    tasks: list[Task] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    rollback: bool = False  # a rollback deployment
    target_group: str | None = None  # blue/green: the one group its tasks register in
    shift: Shift | None = None  # blue/green, linear, canary: the traffic shift under way

    def __post_init__(self) -> None:
        if not self.rollout_reason:
            self.rollout_reason = f"ECS deployment {self.id} in progress."

    def alive(self) -> list[Task]:
        return [t for t in self.tasks if t.alive]

    def running(self) -> int:
        return sum(1 for t in self.tasks if t.alive and t.last_status == "RUNNING")

    def pending(self) -> int:
        return sum(1 for t in self.tasks if t.alive and t.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"))

    def as_api(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id, "status": self.status, "taskDefinition": self.task_definition,
            "desiredCount": self.desired if self.status == "PRIMARY" else len(self.alive()),
            "pendingCount": self.pending(), "runningCount": self.running(), "failedTasks": self.failed_tasks,
            "createdAt": self.created_at, "updatedAt": self.updated_at,
            "rolloutState": self.rollout_state, "rolloutStateReason": self.rollout_reason,
        }
        if self.launch_type:
            found["launchType"] = self.launch_type
            found["platformFamily"] = "EC2" if self.launch_type == "EC2" else "FARGATE"
            if self.launch_type == "FARGATE":
                found["platformVersion"] = "1.4.0"
        if self.network_configuration:
            found["networkConfiguration"] = self.network_configuration
        return found


@dataclass(eq=False)
class ServiceDeployment:
    arn: str
    service_arn: str
    cluster_arn: str
    target_revision: str
    source_revisions: list[str]
    configuration: dict[str, Any]
    status: str = PENDING
    status_reason: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stopped_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)
    rollback: dict[str, Any] | None = None
    failure_count: int = 0
    threshold: int = 0
    breaker_status: str = "DISABLED"
    alarms_status: str = "DISABLED"
    triggered_alarms: list[str] = field(default_factory=list)
    lifecycle_stage: str | None = None
    # counts per revision ARN, filled by the engine: (requested, running, pending)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    weights: dict[str, tuple[float, float]] = field(default_factory=dict)  # blue/green: (test, production) %
    shift: Shift | None = None

    def set_status(self, status: str, reason: str | None = None) -> None:
        self.status, self.updated_at = status, utcnow()
        if reason is not None:
            self.status_reason = reason
        if status in FINISHED:
            self.finished_at = self.finished_at or utcnow()
        if status == STOPPED:
            self.stopped_at = self.stopped_at or utcnow()

    def _revision(self, arn: str) -> dict[str, Any]:
        requested, running, pending = self.counts.get(arn, (0, 0, 0))
        found: dict[str, Any] = {"arn": arn, "requestedTaskCount": requested, "runningTaskCount": running,
                                 "pendingTaskCount": pending}
        if arn in self.weights:
            found["requestedTestTrafficWeight"], found["requestedProductionTrafficWeight"] = self.weights[arn]
        return found

    def as_api(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "serviceDeploymentArn": self.arn, "serviceArn": self.service_arn, "clusterArn": self.cluster_arn,
            "createdAt": self.created_at, "updatedAt": self.updated_at, "status": self.status,
            "targetServiceRevision": self._revision(self.target_revision),
            "sourceServiceRevisions": [self._revision(arn) for arn in self.source_revisions],
            "deploymentConfiguration": self.configuration,
            "deploymentCircuitBreaker": {"status": self.breaker_status, "failureCount": self.failure_count,
                                         "threshold": self.threshold},
            "alarms": {"status": self.alarms_status,
                       "alarmNames": list((self.configuration.get("alarms") or {}).get("alarmNames") or []),
                       "triggeredAlarmNames": list(self.triggered_alarms)},
        }
        if self.shift is not None:
            found["lifecycleHookDetails"] = [run.as_api() for run in self.shift.runs]
        for key, value in (("startedAt", self.started_at), ("finishedAt", self.finished_at),
                           ("stoppedAt", self.stopped_at), ("statusReason", self.status_reason),
                           ("rollback", self.rollback), ("lifecycleStage", self.lifecycle_stage)):
            if value is not None:
                found[key] = value
        return found

    def brief(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "serviceDeploymentArn": self.arn, "serviceArn": self.service_arn, "clusterArn": self.cluster_arn,
            "createdAt": self.created_at, "targetServiceRevisionArn": self.target_revision, "status": self.status}
        for key, value in (("startedAt", self.started_at), ("finishedAt", self.finished_at),
                           ("statusReason", self.status_reason)):
            if value is not None:
                found[key] = value
        return found


def breaker_threshold(breaker: dict[str, Any], desired: int) -> int:
    """AWS's failure threshold: BOUNDED_PERCENT (default, 50): ceil(value% of desired) within 3..200;
    UNBOUNDED_PERCENT: ceil(value% of desired), at least 1; COUNT: the value."""
    settings = breaker.get("thresholdConfiguration") or {}
    kind = settings.get("type", "BOUNDED_PERCENT")
    value = float(settings.get("value", 50))
    if kind == "COUNT":
        return max(int(value), 1)
    computed = math.ceil(desired * value / 100)
    if kind == "UNBOUNDED_PERCENT":
        return max(computed, 1)
    return min(max(computed, 3), 200)


@dataclass(eq=False)
class TaskSet:
    """A task set of a service with an external or CODE_DEPLOY deployment controller."""

    id: str
    arn: str
    service_arn: str
    cluster_arn: str
    task_definition: str
    external_id: str | None
    started_by: str
    launch_type: str | None
    network_configuration: dict[str, Any] | None
    load_balancers: list[dict[str, Any]]
    scale: dict[str, Any]
    status: str = "ACTIVE"  # PRIMARY | ACTIVE | DRAINING
    stability: str = "STABILIZING"
    stability_at: datetime = field(default_factory=utcnow)
    computed: int = 0
    tasks: list[Task] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def alive(self) -> list[Task]:
        return [t for t in self.tasks if t.alive]

    def as_api(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id, "taskSetArn": self.arn, "serviceArn": self.service_arn, "clusterArn": self.cluster_arn,
            "startedBy": self.started_by, "status": self.status, "taskDefinition": self.task_definition,
            "computedDesiredCount": self.computed,
            "pendingCount": sum(1 for t in self.tasks if t.alive and t.last_status != "RUNNING"),
            "runningCount": sum(1 for t in self.tasks if t.alive and t.last_status == "RUNNING"),
            "createdAt": self.created_at, "updatedAt": self.updated_at, "loadBalancers": self.load_balancers,
            "scale": self.scale, "stabilityStatus": self.stability, "stabilityStatusAt": self.stability_at,
            "serviceRegistries": [], "tags": [],
        }
        if self.external_id:
            found["externalId"] = self.external_id
        if self.launch_type:
            found["launchType"] = self.launch_type
            if self.launch_type == "FARGATE":
                found["platformVersion"], found["platformFamily"] = "1.4.0", "Linux"
        if self.network_configuration:
            found["networkConfiguration"] = self.network_configuration
        return found
