"""What the emulator adds to moto's CodeDeploy state: revisions, deployment configs, deployment runs.

It hangs off moto's backend object for the account and region, so it lives and resets exactly as
moto's own state does (a `/moto-api/reset` clears both), and every emulator in the process sees it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.codedeploy.models import CodeDeployBackend, codedeploy_backends
from moto.core.utils import utcnow

from deploy_actions.emulator.codedeploy.configs import DeploymentConfig, builtin_configs

# One lock for all emulator-side CodeDeploy records: API handlers (werkzeug threads) read what the
# lifecycle engine threads write, and the records are small.
LOCK = threading.RLock()


@dataclass
class RevisionRecord:
    application: str
    revision: dict[str, Any]
    description: str
    register_time: datetime
    first_used_time: datetime | None = None
    last_used_time: datetime | None = None
    deployment_groups: list[str] = field(default_factory=list)


@dataclass
class LifecycleEventRecord:
    name: str
    status: str = "Pending"  # Pending | InProgress | Succeeded | Failed | Skipped | Unknown
    start_time: datetime | None = None
    end_time: datetime | None = None
    diagnostics: dict[str, str] | None = None

    def as_api(self) -> dict[str, Any]:
        event: dict[str, Any] = {"lifecycleEventName": self.name, "status": self.status}
        if self.start_time:
            event["startTime"] = self.start_time
        if self.end_time:
            event["endTime"] = self.end_time
        if self.diagnostics is not None:
            event["diagnostics"] = self.diagnostics
        return event


@dataclass
class TargetRecord:
    """One instance in one deployment: what GetDeploymentTarget/GetDeploymentInstance describe."""

    deployment_id: str
    instance_id: str
    arn: str
    events: list[LifecycleEventRecord]
    status: str = "Pending"  # Pending | InProgress | Succeeded | Failed | Skipped | Unknown | Ready
    last_updated: datetime | None = None
    instance_label: str | None = None  # Blue | Green for blue/green deployments
    target_type: str = "InstanceTarget"  # or ECSTarget (compute platform ECS: the service)
    task_sets: list[dict[str, Any]] = field(default_factory=list)  # ECSTarget's taskSetsInfo

    def event(self, name: str) -> LifecycleEventRecord:
        return next(e for e in self.events if e.name == name)


@dataclass
class DeploymentRun:
    """Emulator-side fields of one deployment; moto's `DeploymentInfo` keeps the rest."""

    deployment_id: str
    targets: dict[str, TargetRecord] = field(default_factory=dict)
    error_information: dict[str, str] | None = None
    rollback_info: dict[str, str] | None = None
    previous_revision: dict[str, Any] | None = None
    stop_requested: str | None = None  # "stop" (StopDeployment, or the emulator shutting down)
    stop_rollback: bool | None = None  # StopDeployment's autoRollbackEnabled, when given
    continue_requested: bool = False
    termination_wait_started: bool = False
    skip_termination_wait: bool = False
    # blue/green plan: original_asg, green_asg, blue (instance ids), rerouted - what a rollback undoes
    blue_green: dict[str, Any] = field(default_factory=dict)
    rollback_of: str | None = None  # the deployment this one rolls back
    status_messages: list[str] = field(default_factory=list)
    wakeup: threading.Event = field(default_factory=threading.Event)


@dataclass
class CodeDeployExtras:
    revisions: list[RevisionRecord] = field(default_factory=list)
    configs: dict[str, DeploymentConfig] = field(default_factory=builtin_configs)
    runs: dict[str, DeploymentRun] = field(default_factory=dict)
    # (application, group) -> revision of the last successful deployment, for rollbacks
    last_successful: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)


def backend(account: str, region: str) -> CodeDeployBackend:
    return codedeploy_backends[account][region]


def extras(codedeploy: CodeDeployBackend) -> CodeDeployExtras:
    with LOCK:
        found = codedeploy.__dict__.get("_deploy_actions_extras")
        if found is None:
            found = CodeDeployExtras()
            codedeploy.__dict__["_deploy_actions_extras"] = found
        return found


def revision_key(revision: dict[str, Any]) -> str:
    """Revisions are equal when their locations are: compare the normalized JSON."""
    return json.dumps(revision, sort_keys=True, default=str)


def record_revision(extras: CodeDeployExtras, application: str, revision: dict[str, Any],
                    description: str = "", deployment_group: str | None = None) -> RevisionRecord:
    """Register (or find) a revision; CreateDeployment also registers the revision it deploys."""
    key = revision_key(revision)
    with LOCK:
        for record in extras.revisions:
            if record.application == application and revision_key(record.revision) == key:
                if description:
                    record.description = description
                break
        else:
            record = RevisionRecord(application, revision, description, utcnow())
            extras.revisions.append(record)
        if deployment_group is not None:
            now = utcnow()
            record.first_used_time = record.first_used_time or now
            record.last_used_time = now
            if deployment_group not in record.deployment_groups:
                record.deployment_groups.append(deployment_group)
        return record
