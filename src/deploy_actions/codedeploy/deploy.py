"""The verbs: deploy, rollback (redeploy the last good revision), stop — sharing one wait path."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deploy_actions.codedeploy import api
from deploy_actions.codedeploy.diagnostics import HookFailure, deployment_error, hook_failures
from deploy_actions.codedeploy.follow import follow
from deploy_actions.codedeploy.revision import describe
from deploy_actions.codedeploy.state import DeploymentState
from deploy_actions.core.errors import DeployActionsError, InputError
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken, Cancelled, WaitPolicy, WaitTimeout

ROLLBACK_EVENTS = {
    "on-failure": ["DEPLOYMENT_FAILURE"],
    "on-alarm": ["DEPLOYMENT_STOP_ON_ALARM"],
    "on-failure-and-alarm": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
}
_RUN_MARK = re.compile(r"\(run #(\d+)\)")


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
    timeout: float = 1800
    on_timeout: str = "stop-and-rollback"
    on_cancel: str = "stop-and-rollback"
    traffic_reroute: str = "auto"
    if_active: str = "wait"
    run_number: int | None = None  # set when the sequence check is on


@dataclass
class Outcome:
    status: str
    deployment: DeploymentState | None = None
    rollback: DeploymentState | None = None
    failures: list[HookFailure] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("Succeeded", "Ready", "Created", "InProgress", "Skipped")


class Interrupted(DeployActionsError):
    """Timeout or cancellation, after the chosen on-timeout / on-cancel action was carried out."""

    def __init__(self, message: str, outcome: Outcome, exit_code: int = 1) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.exit_code = exit_code  # 130 when cancelled, as a shell reports an interrupted command


class Deployer:
    def __init__(self, cd: Any, s3: Any, reporter: Reporter, cancel: CancellationToken,
                 policy: Callable[[float], WaitPolicy] | None = None) -> None:
        self.cd = cd
        self.s3 = s3
        self.reporter = reporter
        self.cancel = cancel
        self.policy = policy or (lambda timeout: WaitPolicy(timeout=timeout, initial_interval=2, max_interval=15))

    # -- preflight: everything checkable before CreateDeployment -----------------------------------
    def preflight(self, opts: DeployOptions) -> dict[str, Any]:
        api.check_application(self.cd, opts.application)
        group = api.deployment_group(self.cd, opts.application, opts.group)
        if opts.deployment_config:
            api.check_deployment_config(self.cd, opts.deployment_config)
        if opts.revision and opts.revision.get("revisionType") == "S3":
            self._check_bundle(opts.revision["s3Location"])
        return group

    def _check_bundle(self, location: dict[str, Any]) -> None:
        args = {"Bucket": location["bucket"], "Key": location["key"]}
        if location.get("version"):
            args["VersionId"] = location["version"]
        try:
            head = self.s3.head_object(**args)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchVersion"):
                raise InputError.single("revision", f"s3://{location['bucket']}/{location['key']}",
                                        "no such object in S3; run package-revision first or fix the key") from None
            self.reporter.warning(f"could not check the revision in S3 ({code}); CodeDeploy will")
            return
        etag = str(head.get("ETag", "")).strip('"')
        if location.get("eTag") and location["eTag"] != etag:
            raise InputError.single("s3-etag", location["eTag"], f"the object's ETag is {etag}: the revision "
                                    "was replaced after it was packaged")

    # -- deploy ------------------------------------------------------------------------------------
    def deploy(self, opts: DeployOptions) -> Outcome:
        assert opts.revision is not None
        group = self.preflight(opts)
        skipped = self._sequence_guard(opts, group)
        if skipped is not None:
            return skipped
        self._clear_the_way(opts)
        request = self._request(opts)
        try:
            deployment_id = api.create_deployment(self.cd, request)
        except api.ActiveDeploymentExists:
            # Another run slipped in between our check and our create: apply if-active once more.
            self._clear_the_way(opts)
            deployment_id = api.create_deployment(self.cd, request)
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
            description = f"{description} (run #{opts.run_number})".strip()
        if description:
            request["description"] = description[:1024]
        if opts.deployment_config:
            request["deploymentConfigName"] = opts.deployment_config
        if opts.file_exists_behavior:
            request["fileExistsBehavior"] = opts.file_exists_behavior
        if opts.auto_rollback == "off":
            request["autoRollbackConfiguration"] = {"enabled": False}
        elif opts.auto_rollback in ROLLBACK_EVENTS:
            request["autoRollbackConfiguration"] = {"enabled": True, "events": ROLLBACK_EVENTS[opts.auto_rollback]}
        return request

    def _sequence_guard(self, opts: DeployOptions, group: dict[str, Any]) -> Outcome | None:
        last = (group.get("lastSuccessfulDeployment") or {}).get("deploymentId")
        if opts.run_number is None or not last:
            return None
        info = api.get_deployment(self.cd, last)
        found = _RUN_MARK.search(str(info.get("description") or ""))
        if found and int(found.group(1)) > opts.run_number:
            message = (f"skipped: {last} from run #{found.group(1)} already succeeded, and this is run "
                       f"#{opts.run_number}; an older run never overwrites a newer one")
            self.reporter.warning(message, title="codedeploy-deploy: sequence check")
            return Outcome("Skipped", message=message)
        return None

    def _clear_the_way(self, opts: DeployOptions) -> None:
        active = api.active_deployments(self.cd, opts.application, opts.group)
        if not active:
            return
        current = active[0]
        if opts.if_active == "fail":
            raise DeployActionsError(f"deployment group {opts.group} already has an active deployment {current}; "
                                     "set if-active: wait or stop-previous to handle it")
        if opts.if_active == "stop-previous":
            self.reporter.warning(f"stopping the active deployment {current} (if-active: stop-previous)")
            api.stop_deployment(self.cd, current, rollback=False)
        else:
            self.reporter.info(f"waiting for the active deployment {current} to finish (if-active: wait)")
        with self.reporter.group(f"Active deployment {current}"):
            follow(self.cd, self.reporter, current, self.policy(opts.timeout), self.cancel)

    # -- following, Ready, timeouts, cancellation, failure --------------------------------------
    def follow_to_end(self, deployment_id: str, opts: DeployOptions) -> Outcome:
        policy = self.policy(opts.timeout)
        try:
            with self.reporter.group(f"Deployment {deployment_id}"):
                state = follow(self.cd, self.reporter, deployment_id, policy, self.cancel,
                               stop_when=lambda s: s.status == "Ready")
                if state.status == "Ready":
                    if opts.traffic_reroute == "manual":
                        self.reporter.info(f"{deployment_id} is Ready: the replacement fleet is installed; "
                                           "traffic stays on the original fleet until the deployment is continued")
                        return Outcome("Ready", state)
                    self.reporter.info("Ready: rerouting traffic to the replacement fleet (traffic-reroute: auto)")
                    api.continue_deployment(self.cd, deployment_id)
                    state = follow(self.cd, self.reporter, deployment_id, policy, self.cancel)
        except WaitTimeout as exc:
            raise self._interrupt(deployment_id, opts.on_timeout, str(exc)) from None
        except Cancelled as exc:
            raise self._interrupt(deployment_id, opts.on_cancel, str(exc), exc.exit_code) from None
        return self.conclude(state, opts)

    def conclude(self, state: DeploymentState, opts: DeployOptions) -> Outcome:
        if state.status == "Succeeded":
            return Outcome("Succeeded", state)
        failures = hook_failures(state)
        for failure in failures:
            self.reporter.error(failure.annotation(), title=f"{failure.event} failed on {failure.target}")
            if failure.log_tail:
                self.reporter.info(f"last lines of the {failure.event} log on {failure.target}:")
                self.reporter.untrusted(failure.log_tail)
        if not failures:
            self.reporter.error(deployment_error(state), title="codedeploy-deploy")
        outcome = Outcome(state.status, state, failures=failures, message=deployment_error(state))
        if state.rollback_deployment_id:
            outcome.rollback = self._follow_rollback(state.rollback_deployment_id, opts)
        return outcome

    def _follow_rollback(self, rollback_id: str, opts: DeployOptions) -> DeploymentState | None:
        self.reporter.info(f"CodeDeploy is rolling back with deployment {rollback_id}")
        try:
            with self.reporter.group(f"Rollback {rollback_id}"):
                state = follow(self.cd, self.reporter, rollback_id, self.policy(opts.timeout), self.cancel)
        except (WaitTimeout, Cancelled) as exc:
            self.reporter.warning(f"stopped following rollback {rollback_id}: {exc}")
            return api.fetch_state(self.cd, rollback_id)
        verdict = "restored the last good revision" if state.status == "Succeeded" else f"ended {state.status}"
        self.reporter.info(f"Rollback {rollback_id} {verdict}")
        return state

    def _interrupt(self, deployment_id: str, choice: str, reason: str, exit_code: int = 1) -> Interrupted:
        if choice == "leave":
            self.reporter.warning(f"{reason}; leaving {deployment_id} running (as chosen)")
        else:
            rollback = choice == "stop-and-rollback"
            self.reporter.warning(f"{reason}; stopping {deployment_id}" + (" and rolling back" if rollback else ""))
            api.stop_deployment(self.cd, deployment_id, rollback=rollback)
        state = api.fetch_state(self.cd, deployment_id)
        outcome = Outcome(state.status, state, message=reason)
        outcome.rollback = api.fetch_state(self.cd, state.rollback_deployment_id) if state.rollback_deployment_id \
            else None
        return Interrupted(f"{reason} ({choice})", outcome, exit_code)

    # -- rollback mode and stop mode ----------------------------------------------------------
    def previous_good_revision(self, opts: DeployOptions) -> tuple[dict[str, Any], str]:
        ids = api.recent_deployments(self.cd, opts.application, opts.group, ["Succeeded"])
        infos: list[dict[str, Any]] = []
        for start in range(0, len(ids), 25):
            infos += self.cd.batch_get_deployments(deploymentIds=ids[start:start + 25]).get("deploymentsInfo", [])
        infos.sort(key=lambda i: i.get("createTime") or 0, reverse=True)
        if not infos:
            raise DeployActionsError(f"{opts.application}/{opts.group} has no successful deployment to roll back to")
        current = infos[0].get("revision")
        for info in infos[1:]:
            if info.get("revision") != current:
                return info["revision"], str(info["deploymentId"])
        raise DeployActionsError(f"{opts.application}/{opts.group} has no earlier successful revision than the "
                                 f"one deployed by {infos[0]['deploymentId']}")

    def stop(self, deployment_id: str, rollback: bool, opts: DeployOptions) -> Outcome:
        message = api.stop_deployment(self.cd, deployment_id, rollback=rollback)
        self.reporter.info(f"Stop requested for {deployment_id}: {message}")
        try:
            with self.reporter.group(f"Deployment {deployment_id}"):
                state = follow(self.cd, self.reporter, deployment_id, self.policy(opts.timeout), self.cancel)
        except (WaitTimeout, Cancelled) as exc:
            raise DeployActionsError(f"{deployment_id} did not stop: {exc}") from None
        outcome = Outcome(state.status, state, message=deployment_error(state))
        if state.rollback_deployment_id:
            outcome.rollback = self._follow_rollback(state.rollback_deployment_id, opts)
        return outcome
