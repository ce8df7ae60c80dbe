"""The verbs: deploy (render, register, run-task, update, follow, roll back, prune), continue, rollback, stop —
on one run's Operation (its deadline, cancellation and on-timeout / on-cancel)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core import operation
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.errors import InputError
from deploy_actions.core.operation import Operation
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Cancelled, WaitTimeout
from deploy_actions.ecs import events
from deploy_actions.ecs import render as rd
from deploy_actions.ecs.appspec import ecs_appspec
from deploy_actions.ecs.changes import Changes
from deploy_actions.ecs.migrate import run_once
from deploy_actions.ecs.plan import Plan, Target, make_plan
from deploy_actions.ecs.report import summary
from deploy_actions.ecs.revisions import prune, register
from deploy_actions.ecs.rollout import Follower, Rollout, _why, identify

STOP_GRACE = 120.0  # after a timeout: how long to watch a stop or rollback take effect
CLOCK_SKEW = timedelta(seconds=5)  # ListServiceDeployments' createdAt filter, against this machine's clock


@dataclass(frozen=True)
class Options:
    cluster: str
    services: list[str]
    source: rd.Source
    changes: Changes
    desired_count: int | None = None
    force: bool = False
    wait: bool = True
    wait_until: str = "completed"
    rollback_on_failure: bool = False
    keep_revisions: int | None = None
    run_task: str | None = None
    run_task_container: str | None = None
    dry_run: bool = False
    code_deploy: bool = False  # a CODE_DEPLOY service: render, register, run-task and its appspec; CodeDeploy deploys


@dataclass
class Result:
    status: str
    ok: bool = True
    message: str = ""
    arns: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)
    deployment_arns: dict[str, str] = field(default_factory=dict)
    rolled_back: bool = False
    events: list[str] = field(default_factory=list)
    summary: str = ""
    interrupted: operation.Interrupted | None = None
    appspec: str = ""  # CODE_DEPLOY: what CodeDeploy is to deploy
    codedeploy_deployment_id: str = ""


class EcsDeployer:
    def __init__(self, ecs: Any, reporter: Reporter, op: Operation, region: str, *, polling: Any = None,
                 logs: Any = None, on_known: Callable[..., None] | None = None) -> None:
        self.ecs = ecs
        self.polling = polling if polling is not None else ecs
        self.logs = logs
        self.reporter = reporter
        self.op = op
        self.region = region
        self.on_known = on_known or (lambda **_: None)
        self.mode = "deploy"

    # -- deploy ----------------------------------------------------------------------------------------
    def deploy(self, opts: Options) -> Result:
        with self.reporter.group("Render the task definition"):
            plan = make_plan(self.ecs, cluster=opts.cluster, services=opts.services, source=opts.source,
                             changes=opts.changes, region=self.region, wait_until=opts.wait_until,
                             code_deploy=opts.code_deploy)
            for notice in plan.notices:
                self.reporter.info(f"Note: {notice}")
        previous = {t.name: t.live_arn for t in plan.targets}
        if opts.dry_run:
            self._dry_run(plan)
            if opts.code_deploy:
                self.reporter.info("The appspec CodeDeploy would get:\n" + ecs_appspec(
                    plan.targets[0].service, "<the rendered definition, once registered>"))
            return Result("DRY_RUN", previous=previous)
        by_key = register(self.ecs, plan, self.reporter)
        arns = {t.name: t.arn for t in plan.targets} or {"": by_key[0]}
        self.on_known(task_definition_arn=one_or_map(arns), previous_task_definition_arn=one_or_map(previous))
        if not plan.targets:
            return Result("REGISTERED", arns=arns)
        if opts.run_task:
            failure = run_once(self.ecs, self.logs, self.op, self.reporter, cluster=opts.cluster,
                               target=plan.targets[0], command=opts.run_task, container=opts.run_task_container)
            if failure:
                return Result("FAILED", ok=False, message=f"{failure}; the services were not updated", arns=arns,
                              previous=previous)
        if opts.code_deploy:
            target = plan.targets[0]
            return Result("REGISTERED", arns=arns, previous=previous, appspec=ecs_appspec(target.service, target.arn))
        moving = [t for t in plan.targets if not t.unchanged or opts.force or opts.desired_count is not None]
        for target in plan.targets:
            if target not in moving:
                self.reporter.info(f"{target.name} already runs {target.arn}: nothing to deploy")
        if not moving:
            return Result("UNCHANGED", arns=arns, previous=previous)
        rollouts = self._update(opts, moving)
        result = Result("STARTED", arns=arns, previous=previous,
                        deployment_arns={r.name: r.arn for r in rollouts if r.arn})
        if not opts.wait:
            return result
        self._follow(opts, rollouts, result)
        if result.ok and opts.keep_revisions:
            self._prune(plan, opts.keep_revisions, previous)
        return result

    def _dry_run(self, plan: Plan) -> None:
        shown: set[tuple[int, str]] = set()
        for key, definition in enumerate(plan.definitions):
            with self.reporter.group(f"Rendered task definition {definition.get('family')}"):
                self.reporter.info(rd.pretty(definition))
            for target in plan.targets:
                if target.key != key or (key, target.live_arn) in shown:
                    continue
                shown.add((key, target.live_arn))
                text = rd.diff(target.live, definition, target.live_arn)
                self.reporter.info(f"Diff against {target.live_arn} (live on {target.name}):\n{text}" if text else
                                   f"No difference from {target.live_arn} (live on {target.name}): nothing would "
                                   "be registered")
        self.reporter.info("dry-run: nothing registered, no service changed")

    def _update(self, opts: Options, targets: list[Target]) -> list[Rollout]:
        rollouts: list[Rollout] = []
        with self.reporter.group("Update the services"):
            for target in targets:
                rollouts.append(self._start(opts.cluster, target, desired_count=opts.desired_count, force=opts.force))
            identify(self.ecs, opts.cluster, rollouts)
        self.on_known(service_deployment_arns={r.name: r.arn for r in rollouts if r.arn})
        return rollouts

    def _start(self, cluster: str, target: Target, *, desired_count: int | None = None,
               force: bool = False) -> Rollout:
        started = datetime.now(UTC) - CLOCK_SKEW
        changes: dict[str, Any] = {"taskDefinition": target.arn}
        if desired_count is not None:
            changes["desiredCount"] = desired_count
        if force:
            changes["forceNewDeployment"] = True
        service = ecs_api.update_service(self.ecs, cluster, target.name, **changes)
        rollout = Rollout(target, started, service=service, hint=str(service.get("currentServiceDeployment") or ""))
        rollout.seen_events(service)  # what happened before this update is not this rollout's story
        for deployment in service.get("deployments") or []:
            if deployment.get("status") == "PRIMARY" and deployment.get("taskDefinition") == target.arn:
                rollout.deployment_id = str(deployment.get("id", ""))
                created = deployment.get("createdAt")
                rollout.updated = created if isinstance(created, datetime) else None
        self.reporter.info(f"{target.name}: {target.live_arn.rsplit('/', 1)[-1]} → {target.arn.rsplit('/', 1)[-1]} "
                           f"({target.strategy})")
        return rollout

    def _follow(self, opts: Options, rollouts: list[Rollout], result: Result) -> None:
        follower = Follower(self.polling, opts.cluster, rollouts, self.reporter, opts.wait_until)
        with self.reporter.group(f"Follow {follower.what}", live=True):
            try:
                self.op.follow(follower)
            except (WaitTimeout, Cancelled) as exc:
                interruption = self.op.interruption(exc)
                for rollout in rollouts:
                    if not rollout.done:
                        stop: Callable[[bool], None] = partial(self._stop, opts.cluster, rollout)
                        self.op.carry_out(interruption, f"the deployment of {rollout.name}", stop)
                        rollout.reason = interruption.reason
                result.interrupted = operation.Interrupted(interruption.reason, interruption.exit_code)
        self.reporter.debug(f"followed {follower.what}: {follower.polls} polls, {follower.calls} API calls")
        failed = [r for r in rollouts if r.done and not r.ok]
        if failed and opts.rollback_on_failure:
            self._roll_back(opts, [r for r in failed if not r.rolled_back])
        self._conclude(rollouts, result, opts.wait_until)

    def _stop(self, cluster: str, rollout: Rollout, rollback: bool) -> None:
        if rollout.status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
            # ECS answers a stop ConflictException now, and the rollback is what a stop would start anyway
            self.reporter.warning(f"{rollout.name}: ECS is already rolling its deployment back ({rollout.status}); "
                                  f"left to finish, back to {rollout.target.live_arn.rsplit('/', 1)[-1]}")
            rollout.rolled_back = True
            return
        if rollout.arn:
            try:
                ecs_api.stop_service_deployment(self.ecs, rollout.arn, rollback)
            except AwsCallFailed as exc:
                if exc.code != "ConflictException":
                    raise
                # it ended or began rolling back since the last poll: nothing left to stop
                self.reporter.warning(f"{rollout.name}: not stopped: {exc}")
                return
        elif rollback:
            ecs_api.update_service(self.ecs, cluster, rollout.name, taskDefinition=rollout.target.live_arn)
        else:
            self.reporter.warning(f"{rollout.name}: ECS cannot stop a rolling deployment that has no service "
                                  "deployment; it goes on")
            return
        rollout.rolled_back = rollback

    def _roll_back(self, opts: Options, failed: list[Rollout]) -> None:
        if not failed:
            return
        with self.reporter.group("rollback-on-failure: redeploy the previous task definition"):
            back = [self._start(opts.cluster, replace(r.target, arn=r.target.live_arn)) for r in failed]
            identify(self.ecs, opts.cluster, back)
            try:
                self.op.follow(Follower(self.polling, opts.cluster, back, self.reporter, "completed"),
                               self.op.grace(STOP_GRACE))
            except (WaitTimeout, Cancelled) as exc:
                self.reporter.warning(f"the rollback is still going on: {exc}")
        for rollout, undo in zip(failed, back, strict=True):
            rollout.rolled_back = undo.ok
            rollout.events.extend(undo.events)
            rollout.reason += (f"; rolled back to {rollout.target.live_arn}" if undo.ok else
                               f"; the rollback to {rollout.target.live_arn} did not complete: {undo.reason}")

    def _conclude(self, rollouts: list[Rollout], result: Result, wait_until: str) -> None:
        failed = [r for r in rollouts if not r.ok]
        result.rolled_back = any(r.rolled_back for r in rollouts)
        result.events = [f"{r.name}: {e}" for r in rollouts for e in r.events]
        result.summary = summary(rollouts, wait_until)
        if result.interrupted is not None:
            result.status, result.ok, result.message = "INTERRUPTED", False, str(result.interrupted)
            return
        if failed:
            result.ok = False
            result.status = "ROLLED_BACK" if result.rolled_back else "FAILED"
            result.message = "\n".join(_explain(r) for r in failed)
            return
        stages = {r.status for r in rollouts}
        only = stages.pop() if len(stages) == 1 else ""
        result.status = only if only.startswith("PAST_") or only == "STABLE" else "SUCCESSFUL"

    def _prune(self, plan: Plan, keep: int, previous: dict[str, str]) -> None:
        protected = {t.arn for t in plan.targets} | set(previous.values())
        for family in sorted({str(d["family"]) for d in plan.definitions}):
            prune(self.ecs, family, keep, protected, self.reporter)

    # -- continue / rollback / stop ----------------------------------------------------------------------
    def _in_progress(self, opts: Options, *, required: bool = True) -> tuple[list[Rollout], list[str]]:
        """The services' deployments in progress, and the services that have none (an error if `required`)."""
        found, missing = ecs_api.describe_services(self.ecs, opts.cluster, opts.services)
        if missing:
            raise InputError.single("services", ", ".join(missing), f"no such service in cluster {opts.cluster}")
        rollouts, idle = [], []
        for name in opts.services:
            arns = ecs_api.list_service_deployments(self.ecs, opts.cluster, name,
                                                    statuses=("PENDING", "IN_PROGRESS"))
            if not arns:
                if required:
                    last = ecs_api.latest_service_deployment(self.ecs, opts.cluster, name)
                    ended = (f"; its last deployment, {str(last.get('serviceDeploymentArn', '')).rsplit('/', 1)[-1]},"
                             f" ended {_why(last)}" if last else "")
                    raise InputError.single("services", name, f"no deployment of it is in progress (mode: "
                                            f"{self.mode}){ended}")
                idle.append(name)
                continue
            service = found[name]
            target = Target(name, service, service["taskDefinition"], {}, arn=service["taskDefinition"])
            rollout = Rollout(target, datetime.now(UTC), arn=arns[0], service=service)
            rollout.seen_events(service)
            rollouts.append(rollout)
        return rollouts, idle

    def continue_paused(self, opts: Options) -> Result:
        self.mode = "continue"
        rollouts, _ = self._in_progress(opts)
        described = ecs_api.describe_service_deployments(self.ecs, [r.arn for r in rollouts])
        for rollout in rollouts:
            hooks = [h for h in described.get(rollout.arn, {}).get("lifecycleHookDetails") or []
                     if h.get("status") == "AWAITING_ACTION"]
            if not hooks:
                raise InputError.single("services", rollout.name, "its deployment waits at no PAUSE hook")
            for hook in hooks:
                ecs_api.continue_service_deployment(self.ecs, rollout.arn, str(hook["hookId"]))
                self.reporter.info(f"{rollout.name}: continued past hook {hook['hookId']}")
        result = self._follow_existing(opts, rollouts)
        # the outputs a deploy step gives: what each deployment brings and what it replaces
        result.arns, result.previous = self._revisions(rollouts, described)
        return result

    def _revisions(self, rollouts: list[Rollout], described: dict[str, dict[str, Any]]
                   ) -> tuple[dict[str, str], dict[str, str]]:
        """Each service deployment's target task definition and the one of its first source revision."""
        pairs = {r.name: ((described.get(r.arn, {}).get("targetServiceRevision") or {}).get("arn", ""),
                          next(iter(s.get("arn", "") for s in described.get(r.arn, {}).get("sourceServiceRevisions")
                                    or []), "")) for r in rollouts}
        wanted = sorted({arn for pair in pairs.values() for arn in pair if arn})
        revisions = ecs_api.describe_service_revisions(self.ecs, wanted) if wanted else {}

        def definition(arn: str) -> str:
            return str(revisions.get(arn, {}).get("taskDefinition") or "")
        arns = {name: definition(target) for name, (target, _) in pairs.items() if definition(target)}
        previous = {name: definition(source) for name, (_, source) in pairs.items() if definition(source)}
        return arns, previous

    def rollback(self, opts: Options) -> Result:
        """Stop what is in progress with ROLLBACK; a service with nothing in progress gets the task definition
        its last successful deployment replaced, deployed and followed like any deployment."""
        self.mode = "rollback"
        rollouts, idle = self._in_progress(opts, required=False)
        for rollout in rollouts:
            ecs_api.stop_service_deployment(self.ecs, rollout.arn, True)
            self.reporter.info(f"{rollout.name}: rolling back {rollout.arn}")
        redeploys = [self._redeploy_previous(opts.cluster, name) for name in idle]
        if redeploys:
            identify(self.ecs, opts.cluster, redeploys)
        result = self._follow_existing(opts, rollouts + redeploys)
        previous = {r.name for r in redeploys}
        back = [r.rolled_back or (r.name in previous and r.ok) for r in rollouts + redeploys]
        if result.interrupted is None and all(back):
            result.ok, result.status, result.message, result.rolled_back = True, "ROLLED_BACK", "", True
        # what each service goes back to, and what it leaves (a deploy step's outputs, the other way round)
        left, back_to = self._revisions(rollouts, ecs_api.describe_service_deployments(
            self.ecs, [r.arn for r in rollouts])) if rollouts else ({}, {})
        result.arns = {**back_to, **{r.name: r.target.arn for r in redeploys}}
        result.previous = {**left, **{r.name: r.target.live_arn for r in redeploys}}
        return result

    def _redeploy_previous(self, cluster: str, name: str) -> Rollout:
        done = ecs_api.list_service_deployments(self.ecs, cluster, name, statuses=("SUCCESSFUL",))
        deployments = ecs_api.describe_service_deployments(self.ecs, done) if done else {}
        newest = max(deployments.values(), key=lambda d: str(d.get("createdAt", "")), default=None)
        sources = [s["arn"] for s in (newest or {}).get("sourceServiceRevisions") or []]
        revisions = ecs_api.describe_service_revisions(self.ecs, sources[:1]) if sources else {}
        previous = next((str(r["taskDefinition"]) for r in revisions.values()), "")
        if not previous:
            raise InputError.single("services", name, "nothing to roll back to: no deployment is in progress and "
                                    "its last successful deployment replaced nothing")
        found, _ = ecs_api.describe_services(self.ecs, cluster, [name])
        service = found[name]
        target = Target(name, service, service["taskDefinition"], {}, arn=previous)
        self.reporter.info(f"{name}: nothing in progress; redeploying {previous} (what its last successful "
                           "deployment replaced)")
        return self._start(cluster, target)

    def stop(self, opts: Options) -> Result:
        self.mode = "stop"
        rollouts, _ = self._in_progress(opts)
        for rollout in rollouts:
            ecs_api.stop_service_deployment(self.ecs, rollout.arn, False)
            self.reporter.info(f"{rollout.name}: stopping {rollout.arn}")
        return Result("STOP_REQUESTED", deployment_arns={r.name: r.arn for r in rollouts})

    def _follow_existing(self, opts: Options, rollouts: list[Rollout]) -> Result:
        result = Result("STARTED", deployment_arns={r.name: r.arn for r in rollouts})
        if opts.wait:
            self._follow(replace(opts, rollback_on_failure=False), rollouts, result)
        return result


def one_or_map(arns: dict[str, str]) -> str:
    """One ARN when every service got the same one, else a JSON map service -> ARN (the outputs' shape)."""
    distinct = set(arns.values())
    return next(iter(distinct), "") if len(distinct) <= 1 else json.dumps(arns, separators=(",", ":"))


def _explain(rollout: Rollout) -> str:
    lines = [f"{rollout.name}: {rollout.reason or rollout.status}"]
    running = str(rollout.service.get("taskDefinition") or "")
    if rollout.rolled_back and running and running != rollout.target.arn and "rolled back to" not in rollout.reason:
        lines.append(f"  the service runs {running.rsplit('/', 1)[-1]} again")
    if rollout.events:
        lines.append("  service events (the telling ones, then the last):")
        lines.extend(f"    {events.brief(e, rollout.name)}" for e in events.telling(rollout.events, 5))
    if rollout.stopped:
        lines.append("  stopped tasks:")
        lines.extend(f"    {s}" for s in rollout.stopped[-5:])
    return "\n".join(lines)
