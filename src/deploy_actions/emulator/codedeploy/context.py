"""What one running deployment needs: its records, the emulator's services, and interruption.

The lifecycle engine's threads (one per deployment, one per instance in a batch) share a
`DeploymentContext`. Waits between lifecycle events go through `sleep`, which wakes up at once on
StopDeployment or ContinueDeployment and raises `RunInterrupted` when the deployment must stop.
A lifecycle event already running is never cut short by a stop, as on AWS ("No more commands will
be scheduled"; an event in flight runs to its end and StopDeployment answers Pending meanwhile):
inside an event only the emulator shutting down interrupts (`check_shutdown`).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from moto.cloudwatch.models import cloudwatch_backends
from moto.codedeploy.models import DeploymentGroup, DeploymentInfo
from moto.core.utils import utcnow

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.core.sandbox import Fleet


class RunInterrupted(Exception):
    """The deployment run stops (status Stopped): by request (StopDeployment), because an alarm is in
    ALARM, or because a blue/green deployment's Ready wait expired (no rollback event then)."""

    def __init__(self, code: str, message: str, rollback_event: str | None) -> None:
        super().__init__(message)
        self.code, self.message, self.rollback_event = code, message, rollback_event


SHUTDOWN = "shutdown"  # DeploymentRun.stop_requested when the emulator itself stops
HOLD_POLL = 0.05  # real seconds between looks at a held event's stop request
MINUTE = 60.0


def _shutdown() -> RunInterrupted:
    return RunInterrupted("MANUAL_STOP", "The deployment was stopped: the emulator is shutting down.",
                          "DEPLOYMENT_STOP_ON_REQUEST")


class RunFailed(Exception):
    """The deployment run fails with this errorInformation code (HEALTH_CONSTRAINTS, NO_INSTANCES, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class RevisionError(Exception):
    pass


class TargetStates(Protocol):
    """What traffic control reads of target health (the ELBv2 health tracker): a target's state now."""

    def state_of(self, arn: str, target_id: str) -> str | None: ...


@dataclass
class Services:
    account: str
    region: str
    clock: Clock
    fleet: Fleet
    health: TargetStates
    faults: Faults
    clients: Any  # Callable[[str], boto3 client] - internal clients, never throttled
    workdir: Path


@dataclass
class DeploymentContext:
    services: Services
    info: DeploymentInfo
    run: state.DeploymentRun
    _bundle_lock: threading.Lock = field(default_factory=threading.Lock)
    _archive: Path | None = None

    @property
    def deployment_id(self) -> str:
        return str(self.info.deployment_id)

    @property
    def group(self) -> DeploymentGroup:
        return self.info.deployment_group

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def target_group_names(self) -> list[str]:
        info = self.group.load_balancer_info or {}
        names = [str(t["name"]) for t in info.get("targetGroupInfoList") or []]
        for pair in info.get("targetGroupPairInfoList") or []:
            names.extend(str(t["name"]) for t in pair.get("targetGroups") or [])
        return names

    def with_traffic_control(self) -> bool:
        style = self.group.deployment_style or {}
        return style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL" and bool(self.target_group_names())

    # -- interruption ---------------------------------------------------------------------------

    def check(self) -> None:
        """Between lifecycle events: raise `RunInterrupted` when the deployment must stop."""
        request = self.run.stop_requested
        if request == SHUTDOWN:
            raise _shutdown()
        if request is not None:
            raise RunInterrupted("MANUAL_STOP", "The deployment was stopped by the user.",
                                 "DEPLOYMENT_STOP_ON_REQUEST")
        alarm = self.alarm_in_alarm()
        if alarm is not None:
            raise RunInterrupted("ALARM_ACTIVE", f"One or more alarms have been activated according to the "
                              f"Amazon CloudWatch metrics you selected: {alarm}", "DEPLOYMENT_STOP_ON_ALARM")

    def check_shutdown(self) -> None:
        """Inside a lifecycle event: only the emulator shutting down interrupts it."""
        if self.run.stop_requested == SHUTDOWN:
            raise _shutdown()

    def stopping(self) -> bool:
        """A stop is on its way (StopDeployment, an alarm in ALARM): the event in flight is its last."""
        return self.run.stop_requested is not None or self.alarm_in_alarm() is not None

    def hold(self, emulated_seconds: float) -> None:
        """Hold a lifecycle event in flight longer (fault injection); a stop ends the hold, the event then
        runs on to its end at once, as an agent's command would."""
        deadline = time.monotonic() + self.clock.real(emulated_seconds)
        while True:
            self.check_shutdown()
            left = deadline - time.monotonic()
            if left <= 0 or self.stopping():
                return
            time.sleep(min(left, HOLD_POLL))

    def alarm_in_alarm(self) -> str | None:
        if self.info.creator == "codeDeployRollback":
            return None  # a rollback must be able to run while the alarm that caused it still fires
        config: Any = self.info.override_alarm_configuration or self.group.alarm_configuration or {}
        if not isinstance(config, dict) or not config.get("enabled"):
            return None
        names = [str(a["name"]) for a in config.get("alarms") or []]
        alarms = cloudwatch_backends[self.services.account][self.services.region].alarms
        for name in names:
            alarm = alarms.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                return name
        return None

    def sleep(self, emulated_seconds: float) -> None:
        """Wait in AWS time; wakes early (and re-checks) when the deployment is stopped or continued."""
        if self.clock.sleep(emulated_seconds, self.run.wakeup):
            self.run.wakeup.clear()
        self.check()

    # -- blue/green waits (EC2/On-Premises and ECS) -----------------------------------------------

    def wait_until_ready(self, mark: Callable[[str], None], original: str) -> None:
        """DeploymentReadyOption STOP_DEPLOYMENT: the deployment and its replacement (`mark`, called under the
        lock with the status) wait Ready for ContinueDeployment(READY_WAIT); past waitTimeInMinutes the
        deployment stops and traffic stays on the `original` (task set, instances)."""
        settings = self.group.blue_green_deployment_configuration or {}
        ready = settings.get("deploymentReadyOption") or {}
        if ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT") != "STOP_DEPLOYMENT":
            return
        with state.LOCK:  # the deployment and its replacement turn Ready together
            mark("Ready")
            self.info.status = "Ready"
        deadline = time.monotonic() + self.clock.real(float(ready.get("waitTimeInMinutes", 0)) * MINUTE)
        while not self.run.continue_requested:
            left = deadline - time.monotonic()
            if left <= 0:
                # AWS: "If traffic rerouting is not started before the end of the specified wait period, the
                # deployment status is changed to Stopped" (DeploymentReadyOption.actionOnTimeout).
                raise RunInterrupted("TIMEOUT", f"Traffic rerouting was not started within the ready wait "
                                     f"({ready.get('waitTimeInMinutes', 0)} minutes): the deployment was stopped "
                                     f"and traffic stays on the {original}.", None)
            self.sleep(min(left, self.clock.real(1.0)) * self.clock.factor)
        with state.LOCK:
            self.info.status = "InProgress"
            self.run.continue_requested = False
            mark("InProgress")

    def termination_wait(self, minutes: float) -> None:
        """The wait before the original is terminated; ContinueDeployment(TERMINATION_WAIT) ends it early,
        StopDeployment interrupts it."""
        with state.LOCK:
            self.info.instance_termination_wait_time_started = True
            self.run.termination_wait_started = True
        deadline = time.monotonic() + self.clock.real(minutes * MINUTE)
        while time.monotonic() < deadline and not self.run.skip_termination_wait:
            self.sleep(min(deadline - time.monotonic(), self.clock.real(1.0)) * self.clock.factor)

    # -- records --------------------------------------------------------------------------------

    def add_target(self, instance_id: str, events: list[str], label: str | None = None) -> state.TargetRecord:
        arn = f"arn:aws:ec2:{self.services.region}:{self.services.account}:instance/{instance_id}"
        record = state.TargetRecord(self.deployment_id, instance_id, arn,
                                    [state.LifecycleEventRecord(name) for name in events],
                                    last_updated=utcnow(), instance_label=label)
        with state.LOCK:
            self.run.targets[instance_id] = record
        self.refresh_overview()
        return record

    def set_status(self, target: state.TargetRecord, status: str) -> None:
        with state.LOCK:
            target.status, target.last_updated = status, utcnow()
        self.refresh_overview()

    def conclude_targets(self) -> None:
        """The deployment ends: work never reached is Skipped (events and instances); an instance the end
        cut short (InProgress, or Ready for traffic) is Failed, as AWS counts it after a stop."""
        with state.LOCK:
            now = utcnow()
            for target in self.run.targets.values():
                for event in target.events:
                    if event.status == "Pending":
                        event.status = "Skipped"
                    elif event.status == "InProgress":  # only when the emulator itself shuts down
                        event.status, event.end_time = "Failed", now
                if target.status == "Pending":
                    target.status, target.last_updated = "Skipped", now
                elif target.status in ("InProgress", "Ready"):
                    target.status, target.last_updated = "Failed", now
        self.refresh_overview()

    def refresh_overview(self) -> None:
        with state.LOCK:
            overview = dict.fromkeys(("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready"), 0)
            for target in self.run.targets.values():
                if target.status in overview:
                    overview[target.status] += 1
            self.info.deployment_overview = overview

    # -- the revision ---------------------------------------------------------------------------

    def archive(self) -> Path:
        """Download the revision from the emulator's S3 (over HTTP) once, and unpack it."""
        with self._bundle_lock:
            if self._archive is None:
                self._archive = self._download()
            return self._archive

    def _download(self) -> Path:
        revision = self.info.revision or {}
        if revision.get("revisionType") != "S3":
            raise RevisionError(f"The emulator deploys S3 revisions, not {revision.get('revisionType')}.")
        location = revision["s3Location"]
        request: dict[str, Any] = {"Bucket": location["bucket"], "Key": location["key"]}
        if location.get("version"):
            request["VersionId"] = location["version"]
        if location.get("eTag"):
            request["IfMatch"] = location["eTag"]
        try:
            body = self.services.clients("s3").get_object(**request)["Body"].read()
        except Exception as error:  # botocore's ClientError: say what S3 said
            raise RevisionError(f"The revision could not be downloaded from s3://{location['bucket']}/"
                                f"{location['key']}: {error}") from error
        target = self.services.workdir / "deployments" / self.deployment_id / "bundle"
        target.mkdir(parents=True, exist_ok=True)
        bundle_type = location.get("bundleType") or "zip"
        try:
            if bundle_type == "zip":
                with zipfile.ZipFile(io.BytesIO(body)) as bundle:
                    _extract_zip(bundle, target)
            else:
                with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz" if bundle_type == "tgz" else "r:") as tar:
                    tar.extractall(target, filter=_bundle_filter)  # noqa: S202 - the data filter, links aside
        except (zipfile.BadZipFile, tarfile.TarError, OSError) as error:
            raise RevisionError(f"The revision is not a valid {bundle_type} bundle: {error}") from error
        return target


def _bundle_filter(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo | None:
    """tarfile's `data` filter, but a symbolic link may point anywhere, as in the agent's unpacking: it is
    kept as it is (Install refuses to install one that leaves the revision). Nothing is ever written
    through a link, and a hard link to a file outside stays refused."""
    try:
        return tarfile.data_filter(member, destination)
    except (tarfile.AbsoluteLinkError, tarfile.LinkOutsideDestinationError):
        if not member.issym():
            raise
        return tarfile.tar_filter(member, destination)


def _extract_zip(bundle: zipfile.ZipFile, target: Path) -> None:
    """Unzip keeping Unix modes (zipfile drops them), so executable hook scripts stay executable, and
    symbolic links as links (zipfile writes their target as a file)."""
    root = target.resolve()
    for member in bundle.infolist():
        path = (target / member.filename).resolve()  # follows links made so far: never written through
        if not path.is_relative_to(root):
            raise OSError(f"{member.filename} leaves the bundle")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(bundle.read(member).decode(), target / member.filename.rstrip("/"))
            continue
        bundle.extract(member, target)
        if mode & 0o777 and not member.is_dir():
            path.chmod(mode & 0o777)
