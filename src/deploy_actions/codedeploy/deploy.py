"""The verbs: deploy, rollback (redeploy the last good revision), stop — sharing one wait path."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deploy_actions.aws import codedeploy as cd_api
from deploy_actions.aws import s3 as s3_api
from deploy_actions.codedeploy.diagnostics import HookFailure, deployment_error, failure_message, hook_failures
from deploy_actions.codedeploy.fetch import fetch_state
from deploy_actions.codedeploy.follow import DeploymentFollower, follow
from deploy_actions.codedeploy.revision import describe
from deploy_actions.codedeploy.state import DeploymentState
from deploy_actions.core import operation
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.errors import DeployActionsError, InputError
from deploy_actions.core.operation import Operation
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Cancelled, Poll, WaitPolicy, WaitTimeout

ROLLBACK_EVENTS = {
    "on-failure": ["DEPLOYMENT_FAILURE"],
    "on-alarm": ["DEPLOYMENT_STOP_ON_ALARM"],
    "on-failure-and-alarm": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
}
# "(run #57 of o/r/.github/workflows/deploy.yml)", appended last by this action, so anchored at the end.
# Run numbers count per workflow (GitHub) or project (GitLab): only marks of the same series compare.
_RUN_MARK = re.compile(r"\(run #(\d+)(?: of ([^()]*))?\)$")
DESCRIPTION_LIMIT = 1024
RECENT_SUCCESSES = 10  # successful deployments the sequence check reads for run marks
SEARCHED_DEPLOYMENTS = 200  # at most this many ids are read to find the newest (ListDeployments has no order)
SEARCH_DAYS = 90
RACE_PAUSE = 2.0  # seconds before looking again after losing the CreateDeployment race
ROLLBACK_ID_GRACE = 30.0  # how long AWS may take to name the automatic rollback of a failed deployment
# After a timeout, how long to wait for the stop to take effect, and for CodeDeploy's rollback: the
# user's deadline has passed, but leaving without knowing where the fleet stands helps nobody.
STOP_GRACE = 120.0
ROLLBACK_GRACE = 600.0


@dataclass(frozen=True)
class DeployOptions:
    application: str
    group: str
    revision: dict[str, Any] | None = None
    deployment_config: str | None = None
    description: str | None = None
    file_exists_behavior: str | None = None
    ignore_application_stop_failures: bool = False
    auto_rollback: str = "group"
    wait: bool = True
    traffic_reroute: str = "auto"
    original_fleet: str = "leave"
    if_active: str = "wait"
    run_number: int | None = None  # set when the sequence check is on
    run_series: str = ""  # what the run number counts: the workflow (GitHub) or project (GitLab)
    allow_failed_instances: bool = False


@dataclass
class Outcome:
    status: str
    deployment: DeploymentState | None = None
    rollback: DeploymentState | None = None
    failures: list[HookFailure] = field(default_factory=list)
    message: str = ""
    stop_requested: bool = False  # mode: stop — Stopped is what was asked for
    partial: bool = False  # Succeeded with failed instances, not accepted (allow-failed-instances: false)

    @property
    def ok(self) -> bool:
        if self.partial:
            return False
        return self.status in ("Succeeded", "TrafficRerouted", "Ready", "Created", "Skipped") or (
            self.stop_requested and self.status == "Stopped")


class Interrupted(operation.Interrupted):
    """Timeout or cancellation, after the chosen on-timeout / on-cancel was carried out; with where it left
    the deployment."""

    def __init__(self, message: str, outcome: Outcome, exit_code: int = 1) -> None:
        super().__init__(message, exit_code)
        self.outcome = outcome


class Deployer:
    """The verbs, on one run's Operation (its deadline, cancellation and on-timeout / on-cancel)."""

    def __init__(self, cd: Any, s3: Any, reporter: Reporter, op: Operation,
                 on_deployment: Callable[[str], None] | None = None, cd_polling: Any = None) -> None:
        self.cd = cd
        self.cd_polling = cd_polling if cd_polling is not None else cd  # the client polls go through
        self.s3 = s3
        self.reporter = reporter
        self.op = op
        self.cancel = op.cancel
        self.on_deployment = on_deployment  # the outputs name the deployment the moment it is known
        self.deployment_id: str | None = None

    def _follow(self, deployment_id: str, stop_when: Callable[[DeploymentState], bool] | None = None,
                follower: DeploymentFollower | None = None, policy: WaitPolicy | None = None) -> DeploymentState:
        follower = follower or DeploymentFollower(self.cd_polling, self.reporter, deployment_id)
        return follow(self.op, follower, stop_when=stop_when, policy=policy)

    def _track(self, deployment_id: str) -> None:
        self.deployment_id = deployment_id
        if self.on_deployment is not None:
            self.on_deployment(deployment_id)

    # -- preflight: everything checkable before CreateDeployment -----------------------------------
    def preflight(self, opts: DeployOptions) -> dict[str, Any]:
        cd_api.check_application(self.cd, opts.application)
        group = cd_api.deployment_group(self.cd, opts.application, opts.group)
        if opts.deployment_config:
            cd_api.check_deployment_config(self.cd, opts.deployment_config)
        if opts.revision and opts.revision.get("revisionType") == "S3":
            self._check_bundle(opts.revision["s3Location"])
        return group

    def _check_bundle(self, location: dict[str, Any]) -> None:
        url, version = f"s3://{location['bucket']}/{location['key']}", location.get("version")
        try:
            head = s3_api.head_object(self.s3, location["bucket"], location["key"], version)
        except AwsCallFailed as exc:
            if version and exc.code in s3_api.BAD_REQUEST:
                # S3 answers a malformed version id with 400, not 404: either way it is not there.
                raise InputError.single("s3-version", version, f"S3 has no such version of {url} "
                                        f"({exc.code}); give a version id that S3 listed for it") from None
            self.reporter.warning(f"could not check the revision in S3 ({exc.code or exc}); CodeDeploy will")
            return
        if head is None:
            if version:
                raise InputError.single("s3-version", version, f"S3 has no such version of {url} (or no such "
                                        "object); give a version id that S3 listed for it")
            raise InputError.single("revision", url, "no such object in S3; run package-revision first or fix the key")
        etag = s3_api.etag(head)
        if location.get("eTag") and location["eTag"] != etag:
            raise InputError.single("s3-etag", location["eTag"], f"the object's ETag is {etag}: the revision "
                                    "was replaced after it was packaged")

    # -- deploy ------------------------------------------------------------------------------------
    def deploy(self, opts: DeployOptions) -> Outcome:
        assert opts.revision is not None
        self.preflight(opts)
        request = self._request(opts)
        while True:
            # Each pass checks the sequence again: the run we waited for, or one that beat us to
            # CreateDeployment, may be newer than this one.
            skipped = self._sequence_guard(opts)
            if skipped is not None:
                return skipped
            if self._clear_the_way(opts):
                continue
            self.cancel.raise_if_cancelled("before creating the deployment")
            try:
                deployment_id = cd_api.create_deployment(self.cd, request)
                break
            except cd_api.ActiveDeploymentExists:
                # Another run slipped in between our check and our create: look again.
                if opts.if_active == "fail":
                    raise DeployActionsError(f"deployment group {opts.group} already has an active deployment "
                                             "(another run created it a moment ago); set if-active: wait or "
                                             "stop-previous to handle it") from None
                if self.op.deadline.expired:
                    raise DeployActionsError(f"timed out: deployment group {opts.group} stayed busy with other "
                                             "runs' deployments; nothing was deployed") from None
                self.reporter.info("another run created a deployment first; checking again")
                self.cancel.sleep(RACE_PAUSE)
        self._track(deployment_id)
        self.reporter.info(f"Created deployment {deployment_id} of {describe(opts.revision)} to "
                           f"{opts.application}/{opts.group}")
        if not opts.wait:
            return Outcome("Created", DeploymentState(deployment_id, "Created", {}))
        return self.follow_to_end(deployment_id, opts)

    def _request(self, opts: DeployOptions) -> dict[str, Any]:
        request: dict[str, Any] = {"applicationName": opts.application, "deploymentGroupName": opts.group,
                                   "revision": opts.revision,
                                   "ignoreApplicationStopFailures": opts.ignore_application_stop_failures}
        description = opts.description or ""
        if opts.run_number is not None:
            series = f" of {opts.run_series}" if opts.run_series else ""
            mark = f"(run #{opts.run_number}{series})"
            description = f"{description[:DESCRIPTION_LIMIT - len(mark) - 1]} {mark}".strip()
        if description:
            request["description"] = description[:DESCRIPTION_LIMIT]
        if opts.deployment_config:
            request["deploymentConfigName"] = opts.deployment_config
        if opts.file_exists_behavior:
            request["fileExistsBehavior"] = opts.file_exists_behavior
        if opts.auto_rollback == "off":
            request["autoRollbackConfiguration"] = {"enabled": False}
        elif opts.auto_rollback in ROLLBACK_EVENTS:
            request["autoRollbackConfiguration"] = {"enabled": True, "events": ROLLBACK_EVENTS[opts.auto_rollback]}
        return request

    def _sequence_guard(self, opts: DeployOptions) -> Outcome | None:
        """Skip this run when a recent successful or an active deployment comes from a newer run.

        Recent successes, not only the last: an automatic rollback carries no run mark, yet the code
        it restored came from a marked run before it. ListDeployments promises no order: the newest
        are found by their createTime.
        """
        if opts.run_number is None:
            return None
        active = cd_api.list_deployments(self.cd, opts.application, opts.group, cd_api.ACTIVE_STATUSES)
        candidates = cd_api.batch_get_deployments(self.cd, active) + self._newest(opts, ["Succeeded"],
                                                                                 RECENT_SUCCESSES)
        for info in candidates:
            found = _RUN_MARK.search(str(info.get("description") or ""))
            if found and (found.group(2) or "") == opts.run_series and int(found.group(1)) > opts.run_number:
                message = (f"superseded: {info.get('deploymentId')} ({info.get('status')}) comes from run "
                           f"#{found.group(1)}, and this is run #{opts.run_number}; an older run never "
                           "overwrites a newer one, so this run deploys nothing")
                self.reporter.warning(message, title="codedeploy-deploy: sequence check")
                return Outcome("Skipped", message=message)
        return None

    def _newest(self, opts: DeployOptions, statuses: list[str], count: int) -> list[dict[str, Any]]:
        """The group's `count` newest deployments in `statuses` (created in the last 90 days).

        ListDeployments promises no order, so a listing cut at SEARCHED_DEPLOYMENTS may leave the newest
        out: while it is cut, the window (createTimeRange, ending now) is halved, until a listing is whole;
        that one holds the newest deployments (one call for a group of ordinary size)."""
        now = time.time()
        span = SEARCH_DAYS * 86400.0
        while True:
            ids = cd_api.list_deployments(self.cd, opts.application, opts.group, statuses,
                                          limit=SEARCHED_DEPLOYMENTS + 1, created_after=now - span)
            if len(ids) <= SEARCHED_DEPLOYMENTS or span < 1:
                break
            span /= 2
        infos = cd_api.batch_get_deployments(self.cd, ids[:SEARCHED_DEPLOYMENTS])
        return sorted(infos, key=_created, reverse=True)[:count]

    def _clear_the_way(self, opts: DeployOptions) -> bool:
        """Apply if-active to a deployment already running in the group; True when there was one."""
        active = cd_api.list_deployments(self.cd, opts.application, opts.group, cd_api.ACTIVE_STATUSES)
        if not active:
            return False
        current = _newest_id(cd_api.batch_get_deployments(self.cd, active)) or active[0]
        state = fetch_state(self.cd, current, with_targets=False)
        if opts.if_active == "fail":
            raise DeployActionsError(f"deployment group {opts.group} already has an active deployment {current} "
                                     f"({state.status}); set if-active: wait or stop-previous to handle it")
        if opts.if_active == "stop-previous":
            self.reporter.warning(f"stopping the active deployment {current} (if-active: stop-previous)")
            cd_api.stop_deployment(self.cd, current, rollback=False)
        elif state.status == "Ready":
            raise self._blocked_by_ready(current, opts)
        elif state.traffic_rerouted:
            # Traffic is already on its replacement fleet; only the original fleet's termination is
            # pending, and this deployment replaces that fleet anyway.
            self.reporter.info(f"the active deployment {current} is waiting to terminate its original fleet; "
                               "ending that wait (if-active: wait)")
            cd_api.continue_deployment(self.cd, current, wait_type="TERMINATION_WAIT")
        else:
            self.reporter.info(f"waiting for the active deployment {current} to finish (if-active: wait)")
        # While waiting, a deployment that turns Ready would block us until the deadline; a stopped
        # one may still say Ready for a poll or two.
        waiting = opts.if_active == "wait"
        with self.reporter.group(f"Active deployment {current}", live=True):
            state = self._follow(current, stop_when=lambda s: waiting and s.status == "Ready")
        if state.status == "Ready":
            raise self._blocked_by_ready(current, opts)
        return True

    def _blocked_by_ready(self, current: str, opts: DeployOptions) -> DeployActionsError:
        return DeployActionsError(
            f"the active deployment {current} in {opts.group} is Ready: its replacement fleet waits for traffic to be "
            f"rerouted. Continue it (mode: continue, deployment-id: {current}), stop it (mode: stop), or set "
            "if-active: stop-previous")

    # -- following, Ready, the reroute, timeouts, cancellation, failure ---------------------------
    def follow_to_end(self, deployment_id: str, opts: DeployOptions) -> Outcome:
        follower = DeploymentFollower(self.cd_polling, self.reporter, deployment_id)
        # Blue/green: the step may end once traffic is on the replacement fleet (original-fleet: leave);
        # CodeDeploy then waits up to days to terminate the original fleet, still InProgress.
        leave_after_reroute = opts.original_fleet == "leave"
        try:
            with self.reporter.group(f"Deployment {deployment_id}", live=True):
                state = self._follow(deployment_id, lambda s: s.status == "Ready" or s.traffic_rerouted, follower)
                if state.status == "Ready":
                    if opts.traffic_reroute == "manual":
                        self.reporter.info(f"{deployment_id} is Ready: the replacement fleet is installed; "
                                           "traffic stays on the original fleet until the deployment is continued")
                        return Outcome("Ready", state)
                    self.reporter.info("Ready: rerouting traffic to the replacement fleet (traffic-reroute: auto)")
                    cd_api.continue_deployment(self.cd, deployment_id)
                    state = self._follow(deployment_id, lambda s: s.traffic_rerouted, follower)
                if state.traffic_rerouted and not state.done:
                    if leave_after_reroute and not hook_failures(state):
                        self.reporter.info(f"{deployment_id}: traffic is on the replacement fleet; CodeDeploy ends "
                                           "the original fleet after the group's wait (original-fleet: leave)")
                        return Outcome("TrafficRerouted", state)
                    if opts.original_fleet == "terminate-now":
                        self.reporter.info("ending the wait before the original fleet is terminated "
                                           "(original-fleet: terminate-now)")
                        cd_api.continue_deployment(self.cd, deployment_id, wait_type="TERMINATION_WAIT")
                    state = self._follow(deployment_id, follower=follower)
        except (WaitTimeout, Cancelled) as exc:
            return self._interrupted(deployment_id, opts, self.op.interruption(exc))
        return self.conclude(state, opts)

    def conclude(self, state: DeploymentState, opts: DeployOptions) -> Outcome:
        failures = hook_failures(state)
        if state.status == "Succeeded":
            # CodeDeploy calls a deployment Succeeded while the minimum healthy hosts hold: the instances
            # that failed anyway run the old revision or nothing, out of the load balancer.
            if not failures:
                return Outcome("Succeeded", state)
            level = "warning" if opts.allow_failed_instances else "error"
            for failure in failures:
                self._report_failure(failure, level, " (the deployment succeeded without it)")
            return Outcome("Succeeded", state, failures=failures, partial=not opts.allow_failed_instances,
                           message=_partial_message(state, failures))
        for failure in failures:
            self._report_failure(failure, "error")
            if failure.log_tail:
                self.reporter.info(f"last lines of the {failure.event} log on {failure.target}:")
                self.reporter.untrusted(failure.log_tail)
        if not failures:
            self.reporter.error(deployment_error(state), title="codedeploy-deploy")
        outcome = Outcome(state.status, state, failures=failures, message=failure_message(state, failures))
        try:
            rollback_id = self._rollback_id(state)
            if rollback_id:
                outcome.rollback = self._follow_rollback(rollback_id)
        except Cancelled as exc:
            raise Interrupted(str(exc), outcome, exc.exit_code) from None
        return outcome

    def _rollback_id(self, state: DeploymentState) -> str | None:
        """The automatic rollback's id. AWS sets it a moment after the failure: when a rollback on failure
        is configured and none is named yet, ask again for a few seconds rather than report no rollback."""
        if state.rollback_deployment_id or not _rollback_expected(state):
            return state.rollback_deployment_id
        self.reporter.info(f"waiting for CodeDeploy to start the automatic rollback of {state.id}")
        try:
            # The deployment is already done: a DeploymentFollower would stop at once, so watch rollbackInfo.
            return self.op.follow(_RollbackNamed(self.cd_polling, state.id), self.op.shape.policy(ROLLBACK_ID_GRACE))
        except WaitTimeout:
            self.reporter.warning(f"CodeDeploy started no rollback of {state.id} within {ROLLBACK_ID_GRACE:.0f}s "
                                  "(there may be no earlier successful revision to roll back to)")
            return None

    def _report_failure(self, failure: HookFailure, level: str, note: str = "") -> None:
        # An annotation stands apart from the log: it carries its own title and the log's last lines.
        # In a plain log the headline says it all, and the tail follows as untrusted text.
        if self.reporter.annotations:
            message, title = failure.annotation(), f"{failure.event} failed on {failure.target}{note}"
        else:
            message, title = failure.headline() + note, None
        (self.reporter.error if level == "error" else self.reporter.warning)(message, title=title)
        if level == "warning" and failure.log_tail and not self.reporter.annotations:
            self.reporter.untrusted(failure.log_tail)

    def _follow_rollback(self, rollback_id: str) -> DeploymentState | None:
        self.reporter.info(f"CodeDeploy is rolling back with deployment {rollback_id}")
        follower = DeploymentFollower(self.cd_polling, self.reporter, rollback_id)
        follower.may_be_new = True
        try:
            with self.reporter.group(f"Rollback {rollback_id}", live=True):
                state = self._follow(rollback_id, follower=follower, policy=self.op.grace(ROLLBACK_GRACE))
        except WaitTimeout as exc:
            self.reporter.warning(f"stopped following rollback {rollback_id}: {exc}")
            try:
                return fetch_state(self.cd, rollback_id)
            except cd_api.NoSuchDeployment:
                return None
        if state.status == "Succeeded":
            restored = state.info.get("revision")
            what = f" ({describe(restored)})" if isinstance(restored, dict) and restored else ""
            self.reporter.info(f"Rollback {rollback_id} restored the last good revision{what}")
        else:
            self.reporter.error(f"Rollback {rollback_id} ended {state.status}: {deployment_error(state)}",
                                title="codedeploy-deploy: the automatic rollback failed too")
        return state

    def _interrupted(self, deployment_id: str, opts: DeployOptions, interruption: operation.Interruption) -> Outcome:
        """Carry out on-timeout / on-cancel. A deployment that finished meanwhile concludes as usual. Through
        the polling client (few retries): past the deadline, or with a runner about to kill the step, an AWS
        that does not answer must not hold the step for the main client's long backoff."""
        self.op.carry_out(interruption, deployment_id,
                          lambda rollback: cd_api.stop_deployment(self.cd_polling, deployment_id, rollback=rollback))
        state = fetch_state(self.cd_polling, deployment_id)
        if state.status == "Succeeded":
            return self.conclude(state, opts)
        reason = interruption.reason
        outcome = Outcome(state.status, state, message=reason)
        if interruption.stops and not interruption.cancelled:
            # A runner that cancels gives seconds before it kills the step; after a timeout there is
            # time to see the stop take effect and follow CodeDeploy's rollback.
            try:
                state = self._follow(deployment_id, policy=self.op.shape.policy(STOP_GRACE))
                outcome = Outcome(state.status, state, message=reason)
                if state.rollback_deployment_id:
                    outcome.rollback = self._follow_rollback(state.rollback_deployment_id)
            except (WaitTimeout, Cancelled) as exc:
                self.reporter.warning(f"stopped waiting for {deployment_id} to stop: {exc}")
        elif state.rollback_deployment_id:
            outcome.rollback = fetch_state(self.cd, state.rollback_deployment_id)
        raise Interrupted(f"{reason} ({interruption.choice})", outcome, interruption.exit_code)

    # -- rollback, stop and continue modes ----------------------------------------------------
    def previous_good_revision(self, opts: DeployOptions) -> tuple[dict[str, Any], str]:
        """The newest successful deployment's revision that differs from what the group runs now."""
        group = self.preflight(opts)
        infos = self._newest(opts, ["Succeeded"], SEARCHED_DEPLOYMENTS)
        if not infos:
            raise DeployActionsError(f"{opts.application}/{opts.group} has no successful deployment to roll back to")
        current = group.get("targetRevision") or infos[0].get("revision")
        for info in infos:
            if info.get("revision") != current:
                return info["revision"], str(info["deploymentId"])
        raise DeployActionsError(f"{opts.application}/{opts.group} has no earlier successful revision than the "
                                 f"one it runs now ({describe(current) if current else 'unknown'})")

    def _existing(self, deployment_id: str, opts: DeployOptions) -> DeploymentState:
        """The deployment a mode acts on, checked before anything changes: it exists, in this application."""
        state = fetch_state(self.cd, deployment_id, with_targets=False)
        owner = state.info.get("applicationName")
        if owner and owner != opts.application:
            raise InputError.single("deployment-id", deployment_id, f"it belongs to application {owner}, not "
                                    f"{opts.application}; check both")
        return state

    def stop(self, deployment_id: str, rollback: bool, opts: DeployOptions) -> Outcome:
        self._existing(deployment_id, opts)
        self._track(deployment_id)
        message = cd_api.stop_deployment(self.cd, deployment_id, rollback=rollback)
        self.reporter.info(f"Stop requested for {deployment_id}: {message}")
        try:
            with self.reporter.group(f"Deployment {deployment_id}", live=True):
                state = self._follow(deployment_id)
        except (WaitTimeout, Cancelled) as exc:
            raise DeployActionsError(f"{deployment_id} did not stop: {exc}") from None
        # Asked to stop and stopped: this mode's success. One that finished first reports how it ended.
        outcome = Outcome(state.status, state, message=deployment_error(state), stop_requested=True)
        if state.rollback_deployment_id:
            outcome.rollback = self._follow_rollback(state.rollback_deployment_id)
        return outcome

    def continue_ready(self, deployment_id: str, opts: DeployOptions) -> Outcome:
        """mode: continue — reroute traffic of a blue/green deployment left in Ready, then follow it."""
        state = self._existing(deployment_id, opts)
        if state.status != "Ready":
            raise InputError.single("deployment-id", deployment_id, f"it is {state.status}, not Ready: only a "
                                    "blue/green deployment waiting in Ready can be continued")
        self._track(deployment_id)
        self.reporter.info(f"Continuing {deployment_id}: rerouting traffic to the replacement fleet")
        cd_api.continue_deployment(self.cd, deployment_id)
        return self.follow_to_end(deployment_id, opts)


def _created(info: dict[str, Any]) -> float:
    value = info.get("createTime")
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value) if isinstance(value, (int, float)) else 0.0


def _newest_id(infos: list[dict[str, Any]]) -> str | None:
    newest = max(infos, key=_created, default=None)
    return str(newest["deploymentId"]) if newest else None


def _partial_message(state: DeploymentState, failures: list[HookFailure]) -> str:
    healthy = sum(1 for t in state.targets if t.status == "Succeeded")
    names = ", ".join(f"{f.target} ({f.event})" for f in failures)
    return (f"deployment {state.id} ended Succeeded, but {len(failures)} of {len(state.targets)} instances failed: "
            f"{names}. They run the previous revision or nothing and take no traffic: capacity is "
            f"{healthy}/{len(state.targets)}. Fix the hook and deploy again (or run mode: rollback); to accept "
            "this, set allow-failed-instances: true")


class _RollbackNamed:
    """A Follower of a finished deployment's rollbackInfo: done once AWS names the rollback (its id), or
    says it started none (None)."""

    def __init__(self, cd: Any, deployment_id: str) -> None:
        self.cd = cd
        self.deployment_id = deployment_id
        self.what = f"the automatic rollback of {deployment_id}"

    def check(self) -> Poll[str | None]:
        rollback = cd_api.get_deployment(self.cd, self.deployment_id).get("rollbackInfo") or {}
        if rollback:
            return Poll.finished(str(rollback.get("rollbackDeploymentId") or "") or None)
        return Poll.pending()

    def progress(self, elapsed: float) -> None:
        """Nothing to say while AWS has not named it: the caller said what it waits for."""


def _rollback_expected(state: DeploymentState) -> bool:
    """Whether the deployment's own rollback settings call for an automatic rollback of how it ended."""
    config = state.info.get("autoRollbackConfiguration") or {}
    events = set(config.get("events") or [])
    if not config.get("enabled") or state.info.get("rollbackInfo"):
        return False  # off, or AWS already said what it did (a rollbackMessage such as "not performed")
    if state.status == "Failed":
        return "DEPLOYMENT_FAILURE" in events
    return False
