"""Follow many services' rollouts in one loop.

Each poll costs one DescribeServices per 10 services and one DescribeServiceDeployments per 20 service
deployments, whatever happens; stopped tasks are read only when a service's failed-task count moves. A
rollout is identified by its service-deployment ARN (and, where ECS has none, the classic deployment id)
and the task definition it targets, never by "the latest deployment" or by a waiter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.durations import format_duration
from deploy_actions.core.operation import TransientFailures
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Poll
from deploy_actions.ecs import events
from deploy_actions.ecs.plan import TRAFFIC_STAGES, Target

SUCCESS = "SUCCESSFUL"
FAILED_STATUSES = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED",
                   "STOPPED", "STOP_REQUESTED")
ENDED_STATUSES = ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED")
STEADY_INTERVAL = 10.0
EVENTS_SHOWN = 10


@dataclass
class Rollout:
    """One service's new deployment, followed to its end (or to the stage asked for)."""

    target: Target
    started: datetime  # just before UpdateService: the new service deployment was created after it
    deployment_id: str = ""  # the classic deployments[] id running target.arn
    arn: str = ""  # the service deployment, once found
    hint: str = ""  # the service's currentServiceDeployment in UpdateService's answer (checked before use)
    updated: datetime | None = None  # the new deployment's createdAt in UpdateService's answer (AWS's clock)
    status: str = "PENDING"
    stage: str = ""
    done: bool = False
    ok: bool = False
    reason: str = ""
    rolled_back: bool = False  # ECS (circuit breaker, alarm, stop) or we put the previous definition back
    events: list[str] = field(default_factory=list)  # the service events seen since the start, oldest first
    stopped: list[str] = field(default_factory=list)  # stopped tasks: reason and exit codes
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, stage or status)
    service: dict[str, Any] = field(default_factory=dict)
    _event_ids: set[str] = field(default_factory=set)
    _task_ids: set[str] = field(default_factory=set)
    _failed_tasks: int = 0
    _line: str = ""

    @property
    def name(self) -> str:
        return self.target.name

    def seen_events(self, service: dict[str, Any]) -> None:
        self._event_ids.update(str(event.get("id")) for event in service.get("events") or [])


def identify(ecs: Any, cluster: str, rollouts: list[Rollout]) -> None:
    """Find each rollout's service deployment: the one that targets its new definition. UpdateService's answer
    names the service's current deployment, checked by its target revision in one batch (it can be stale,
    kayac/ecspresso#945); for any other, the deployments created since the update are listed and checked the
    same way. Services ECS answers for without service deployments are followed on the classic fields."""
    hinted = {r.hint: r for r in rollouts if r.hint}
    _match(ecs, hinted)
    candidates: dict[str, Rollout] = {}
    for rollout in rollouts:
        if rollout.arn:
            continue
        try:
            arns = ecs_api.list_service_deployments(ecs, cluster, rollout.name, created_after=rollout.started)
        except AwsCallFailed as exc:
            if exc.transient:
                raise
            continue  # no service deployments here (an older ECS, an emulator): the classic fields tell
        candidates.update({arn: rollout for arn in arns if arn != rollout.hint})
    _match(ecs, candidates)


def _match(ecs: Any, candidates: dict[str, Rollout]) -> None:
    """Give each rollout the newest candidate whose target revision runs its task definition."""
    if not candidates:
        return
    described = ecs_api.describe_service_deployments(ecs, list(candidates))
    revisions = [d["targetServiceRevision"]["arn"] for d in described.values() if d.get("targetServiceRevision")]
    task_definitions = {arn: r.get("taskDefinition") for arn, r in
                        ecs_api.describe_service_revisions(ecs, revisions).items()} if revisions else {}
    for arn, deployment in sorted(described.items(), key=lambda item: str(item[1].get("createdAt", ""))):
        rollout = candidates[arn]
        revision = str((deployment.get("targetServiceRevision") or {}).get("arn", ""))
        created = deployment.get("createdAt")
        if isinstance(created, datetime) and created < rollout.started:
            continue  # an earlier deployment of the same definition (a stale hint, a forced redeploy)
        if task_definitions.get(revision) == rollout.target.arn:
            rollout.arn = arn


class Follower:
    """A core Follower over all rollouts: finished when every one has ended (or reached `wait_until`)."""

    def __init__(self, ecs: Any, cluster: str, rollouts: list[Rollout], reporter: Reporter, wait_until: str) -> None:
        self.ecs = ecs
        self.cluster = cluster
        self.rollouts = rollouts
        self.reporter = reporter
        self.wait_until = wait_until
        self.what = (f"service {rollouts[0].name}" if len(rollouts) == 1 else f"{len(rollouts)} services")
        self.polls = 0
        self.calls = 0  # API calls of the polls: what following costs, however many services
        self._clock0 = time.monotonic()
        self._last_progress = 0.0
        self._failures = TransientFailures(reporter)

    def check(self) -> Poll[list[Rollout]]:
        try:
            changed = self.poll()
        except AwsCallFailed as exc:
            if not self._failures.failed(exc):
                raise
            return Poll.pending()
        self._failures.answered()
        if all(r.done for r in self.rollouts):
            return Poll.finished(self.rollouts)
        return Poll.pending(changed=False, max_interval=STEADY_INTERVAL if not changed else None)

    def poll(self) -> bool:
        self.polls += 1
        pending = [r for r in self.rollouts if not r.done]
        services, missing = ecs_api.describe_services(self.ecs, self.cluster, [r.name for r in pending])
        arns = [r.arn for r in pending if r.arn]
        deployments = ecs_api.describe_service_deployments(self.ecs, arns) if arns else {}
        self.calls += -(-len(pending) // ecs_api.SERVICES_PER_CALL) + -(-len(arns) // ecs_api.DEPLOYMENTS_PER_CALL)
        changed = False
        for rollout in pending:
            if rollout.name in missing:
                self._end(rollout, False, f"service {rollout.name} was deleted while it deployed")
                continue
            rollout.service = services[rollout.name]
            changed |= self._events(rollout)
            changed |= self._stopped_tasks(rollout)
            if rollout.arn:
                deployment = deployments.get(rollout.arn)
                if deployment is None:
                    self._end(rollout, False, f"its service deployment {rollout.arn} disappeared")
                else:
                    changed |= self._judge(rollout, deployment)
            else:
                changed |= self._judge_classic(rollout)
            if rollout.done and not rollout.ok and not rollout.stopped:
                self._read_stopped(rollout)  # a failure explained by its tasks, however fast it came (#447)
        return changed

    # -- what a poll shows ---------------------------------------------------------------------------
    def _events(self, rollout: Rollout) -> bool:
        fresh = []
        for event in rollout.service.get("events") or []:
            event_id = str(event.get("id"))
            created = event.get("createdAt")
            if event_id in rollout._event_ids:
                continue
            rollout._event_ids.add(event_id)
            if isinstance(created, datetime) and created < rollout.started:
                continue
            fresh.append(str(event.get("message", "")))
        for message in reversed(fresh):  # ECS lists the newest first
            rollout.events.append(message)
            self.reporter.info(f"  {rollout.name}: {events.brief(message, rollout.name)}")
        return bool(fresh)

    def _stopped_tasks(self, rollout: Rollout) -> bool:
        primary = _classic(rollout)
        failed = int((primary or {}).get("failedTasks") or 0)
        if failed <= rollout._failed_tasks:
            return False
        rollout._failed_tasks = failed
        self._read_stopped(rollout)
        return True

    def _read_stopped(self, rollout: Rollout) -> None:
        self.calls += 2  # ListTasks, DescribeTasks
        for task in ecs_api.stopped_tasks(self.ecs, self.cluster, rollout.name):
            if task.get("taskArn") in rollout._task_ids or _scaled_in(task):
                continue
            stopped_at = task.get("stoppedAt")
            if isinstance(stopped_at, datetime) and stopped_at < (rollout.updated or rollout.started):
                continue  # an earlier rollout's (ECS keeps stopped tasks for an hour): not this one's cause
            rollout._task_ids.add(str(task.get("taskArn")))
            line = describe_stopped(task)
            rollout.stopped.append(line)
            self.reporter.info(f"  {rollout.name}: task stopped: {line}")

    def _judge(self, rollout: Rollout, deployment: dict[str, Any]) -> bool:
        status = str(deployment.get("status", ""))
        stage = str(deployment.get("lifecycleStage") or "")
        changed = self._show(rollout, status, stage, deployment)
        if status == SUCCESS:
            self._end(rollout, True, "")
        elif status in ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"):
            rollout.rolled_back = status == "ROLLBACK_SUCCESSFUL"
            self._end(rollout, False, _why(deployment))
        elif status == "ROLLBACK_IN_PROGRESS" or status == "ROLLBACK_REQUESTED":
            rollout.rolled_back = True  # seen through to its end: where the service stands matters
        elif self.wait_until not in ("completed", "stable") and _reached(stage, self.wait_until):
            self._end(rollout, True, "", paused=True)
            self.reporter.info(_next_step(rollout.name, self.wait_until, deployment))
        elif self.wait_until == "stable" and _stable(rollout):
            self._end(rollout, True, "")
            rollout.status = "STABLE"  # its deployment goes on (bake time, alarms) without the step
        return changed

    def _judge_classic(self, rollout: Rollout) -> bool:
        mine = _classic(rollout)
        state = str((mine or {}).get("rolloutState") or "")
        changed = self._show(rollout, state or "GONE", "", None)
        if mine is None:
            primary = _primary(rollout.service)
            rollout.rolled_back = primary is not None and primary.get("taskDefinition") != rollout.target.arn
            again = primary.get("taskDefinition") if primary else ""
            self._end(rollout, False, "ECS replaced the deployment" + (
                f": the service runs {again} again (rolled back)" if rollout.rolled_back else ""))
        elif state == "FAILED":
            primary = _primary(rollout.service)
            rollout.rolled_back = primary is not None and primary.get("taskDefinition") != rollout.target.arn
            self._end(rollout, False, str(mine.get("rolloutStateReason") or "the rollout FAILED"))
        elif state == "COMPLETED" and (self.wait_until == "completed" or _stable(rollout)):
            self._end(rollout, True, "")
        return changed

    def _show(self, rollout: Rollout, status: str, stage: str, deployment: dict[str, Any] | None) -> bool:
        mine = _classic(rollout) or _primary(rollout.service) or {}
        counts = (f"{mine.get('runningCount', 0)}/{mine.get('desiredCount', 0)} running"
                  + (f", {mine['pendingCount']} pending" if mine.get("pendingCount") else "")
                  + (f", {mine['failedTasks']} failed" if mine.get("failedTasks") else ""))
        extra = _guards(deployment) if deployment else ""
        line = f"{rollout.name}: {status}{' ' + stage if stage else ''} — {counts}{extra}"
        if line == rollout._line:
            return False
        rollout._line = line
        marker = stage or status
        if not rollout.timeline or rollout.timeline[-1][1] != marker:
            rollout.timeline.append((time.monotonic() - self._clock0, marker))
        rollout.status, rollout.stage = status, stage
        self.reporter.info(line)
        return True

    def _end(self, rollout: Rollout, ok: bool, reason: str, paused: bool = False) -> None:
        rollout.done, rollout.ok, rollout.reason = True, ok, reason
        if paused:
            rollout.status = f"PAST_{self.wait_until.upper()}"
        rollout.timeline.append((time.monotonic() - self._clock0, "done" if ok else "failed"))

    def progress(self, elapsed: float) -> None:
        if elapsed - self._last_progress >= 30:
            self._last_progress = elapsed
            waiting = [f"{r.name} ({r.stage or r.status})" for r in self.rollouts if not r.done]
            self.reporter.info(f"  still waiting after {format_duration(elapsed)}: {', '.join(waiting)}")


def _classic(rollout: Rollout) -> dict[str, Any] | None:
    """The classic deployments[] entry of this rollout (by id, else by its task definition)."""
    deployments = rollout.service.get("deployments") or []
    for deployment in deployments:
        if rollout.deployment_id and deployment.get("id") == rollout.deployment_id:
            return dict(deployment)
    if not rollout.deployment_id:
        for deployment in deployments:
            if deployment.get("taskDefinition") == rollout.target.arn:
                return dict(deployment)
    return None


def _primary(service: dict[str, Any]) -> dict[str, Any] | None:
    for deployment in service.get("deployments") or []:
        if deployment.get("status") == "PRIMARY":
            return dict(deployment)
    return None


def _stable(rollout: Rollout) -> bool:
    """*Our* deployment serves alone: it is PRIMARY at its desired count and no other deployment runs a task
    (what `services-stable` waits for, for this deployment), while ECS may still bake or watch alarms."""
    mine = _classic(rollout)
    others = [d for d in rollout.service.get("deployments") or [] if mine is None or d.get("id") != mine.get("id")]
    return (mine is not None and mine.get("status") == "PRIMARY" and mine.get("runningCount") == mine.get(
        "desiredCount") and not any(d.get("runningCount") or d.get("pendingCount") for d in others))


def _reached(stage: str, wanted: str) -> bool:
    """The deployment is past `wanted`: that stage is done (TEST_TRAFFIC_SHIFT: the test listener serves the new
    revision), e.g. held at a PAUSE hook of the next stage."""
    order = list(TRAFFIC_STAGES)
    wanted = wanted.upper()
    if stage not in order:
        return False  # a stage we do not know (ECS adds some): not a reason to stop
    return order.index(stage) > order.index(wanted)


def _guards(deployment: dict[str, Any]) -> str:
    parts = []
    target = deployment.get("targetServiceRevision") or {}
    if "requestedProductionTrafficWeight" in target:
        parts.append(f"traffic {target['requestedProductionTrafficWeight']:g}% production"
                     + (f", {target['requestedTestTrafficWeight']:g}% test"
                        if target.get("requestedTestTrafficWeight") else ""))
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    if breaker.get("status") not in (None, "DISABLED"):
        parts.append(f"circuit breaker {breaker['status']} {breaker.get('failureCount', 0)}/"
                     f"{breaker.get('threshold', '?')}")
    alarms = deployment.get("alarms") or {}
    if alarms.get("status") not in (None, "DISABLED"):
        triggered = alarms.get("triggeredAlarmNames") or []
        parts.append(f"alarms {alarms['status']}" + (f" ({', '.join(triggered)})" if triggered else ""))
    for hook in deployment.get("lifecycleHookDetails") or []:
        if hook.get("status") == "AWAITING_ACTION":
            parts.append(f"hook {hook.get('hookId')} awaiting action")
    return (" — " + "; ".join(parts)) if parts else ""


def _next_step(name: str, stage: str, deployment: dict[str, Any]) -> str:
    """What holds a deployment the step left past a stage, until when, and how to go on or back."""
    held = ""
    for hook in deployment.get("lifecycleHookDetails") or []:
        if hook.get("status") == "AWAITING_ACTION":
            expires = hook.get("expiresAt")
            until = f" until {expires.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if isinstance(expires, datetime) else ""
            then = f" (then {hook['timeoutAction']})" if hook.get("timeoutAction") else ""
            held = f", held by PAUSE hook {hook.get('hookId')}{until}{then}"
    return (f"{name}: past {stage.upper()}{held}. Next: test it, then run ecs-deploy with mode: continue to let "
            "the deployment go on, or mode: rollback to send the traffic back")


def _why(deployment: dict[str, Any]) -> str:
    rollback = deployment.get("rollback") or {}
    reason = rollback.get("reason") or deployment.get("statusReason") or ""
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    alarms = deployment.get("alarms") or {}
    if breaker.get("status") == "TRIGGERED":
        reason = reason or "the deployment circuit breaker tripped"
    if alarms.get("triggeredAlarmNames"):
        reason = (reason + "; " if reason else "") + "alarms in ALARM: " + ", ".join(alarms["triggeredAlarmNames"])
    return f"{deployment.get('status')}: {reason}" if reason else str(deployment.get("status"))


def _scaled_in(task: dict[str, Any]) -> bool:
    """Stopped because the scheduler no longer needed it (a rollout's old tasks): nothing to explain."""
    return str(task.get("stoppedReason") or "").startswith("Scaling activity initiated by")


def describe_stopped(task: dict[str, Any]) -> str:
    """'<task id>: <stoppedReason> (container app exit 1: reason)'."""
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
    parts = [f"{task_id}: {task.get('stoppedReason') or task.get('stopCode') or 'stopped'}"]
    for container in task.get("containers") or []:
        detail = []
        if container.get("exitCode") is not None:
            detail.append(f"exit {container['exitCode']}")
        if container.get("reason") and container["reason"] != task.get("stoppedReason"):
            detail.append(str(container["reason"]))
        if detail:
            parts.append(f"container {container.get('name')} {': '.join(detail)}")
    return " — ".join(parts)
