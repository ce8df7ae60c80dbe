"""Run lifecycle events on one instance: hook scripts, download, install, traffic.

Scripts run in the instance's sandbox with CodeDeploy's environment variables (LIFECYCLE_EVENT,
DEPLOYMENT_ID, APPLICATION_NAME, DEPLOYMENT_GROUP_NAME, DEPLOYMENT_GROUP_ID) plus the emulator's
(EMULATOR_INSTANCE_ROOT, _IP, _PORT, _ID) and the emulator's AWS endpoint; the host's own AWS_*
variables never reach a hook.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from moto.codedeploy.models import codedeploy_backends
from moto.core.utils import utcnow

from deploy_actions.emulator.codedeploy import state, traffic
from deploy_actions.emulator.codedeploy.appspec import AppSpecError, apply_permissions, install_files, read_appspec
from deploy_actions.emulator.codedeploy.context import DeploymentContext, RevisionError, RunInterrupted
from deploy_actions.emulator.codedeploy.events import FROM_PREVIOUS_REVISION
from deploy_actions.emulator.codedeploy.hooks import HookLog, run_script
from deploy_actions.emulator.core.sandbox import Sandbox
from deploy_actions.emulator.logs.shipping import ship_events

HOOK_LOG_GROUP_TAG = "emulator:hook-log-group"  # a deployment group tag: ship hook output to this log group


class InstanceRunner:
    def __init__(self, ctx: DeploymentContext, target: state.TargetRecord, position: int,
                 aws_env: dict[str, str]) -> None:
        self.ctx, self.target, self.position = ctx, target, position
        self.sandbox: Sandbox = ctx.services.fleet.sandbox(target.instance_id)
        self._aws_env = aws_env

    @property
    def archive_dir(self) -> Path:
        group_id = self.ctx.group.deployment_group_id
        return (self.sandbox.root / "opt/codedeploy-agent/deployment-root" / group_id / self.ctx.deployment_id
                / "deployment-archive")

    def run(self, events: list[str], finish: bool = True) -> bool:
        """Run `events` in order; False when one failed (the rest are then Skipped).

        A stop (StopDeployment, an alarm) takes effect between events: the event in flight runs to its
        end, the rest are Skipped and the instance is Failed. `finish` sets the instance's final status;
        a blue/green green instance runs in two parts.
        """
        self.ctx.set_status(self.target, "InProgress")
        for index, name in enumerate(events):
            try:
                self.ctx.check()
            except RunInterrupted:
                self._cut_short(events[index:])
                raise
            try:
                ok = self._event(name)
            except RunInterrupted:  # the emulator shutting down
                self._cut_short(events[index + 1:])
                raise
            if not ok:
                self._cut_short(events[index + 1:])
                return False
        if finish:
            self.sandbox.last_archive = self.archive_dir if self.archive_dir.exists() else self.sandbox.last_archive
            self.ctx.set_status(self.target, "Succeeded")
        return True

    def _cut_short(self, events: list[str]) -> None:
        self._skip(events)
        self.ctx.set_status(self.target, "Failed")

    def skip_all(self, events: list[str]) -> None:
        self._skip(events)
        self.ctx.set_status(self.target, "Skipped")

    def _skip(self, names: list[str]) -> None:
        with state.LOCK:
            for name in names:
                event = self.target.event(name)
                if event.status in ("Pending", "InProgress"):
                    event.status = "Skipped"

    def _event(self, name: str) -> bool:
        event = self.target.event(name)
        with state.LOCK:
            event.status, event.start_time = "InProgress", utcnow()
        self.ctx.set_status(self.target, "InProgress")
        log = HookLog(name)
        log.add(f"LifecycleEvent - {name}")
        try:
            delay = self.ctx.services.faults.delay_for(name)
            if delay:
                self.ctx.hold(delay)
            diagnostics = self._execute(name, log)
        except RunInterrupted:  # the emulator shutting down: the event never ends on its own
            with state.LOCK:
                event.status, event.end_time = "Failed", utcnow()
                event.diagnostics = {"errorCode": "UnknownError", "scriptName": "", "logTail": log.tail(),
                                     "message": "The emulator stopped while this lifecycle event ran."}
            raise
        finally:
            self._ship(log)
        failed = diagnostics is not None and diagnostics["errorCode"] != "Success"
        # ignoreApplicationStopFailures: a failing script of the previous revision does not fail the instance
        if failed and name in FROM_PREVIOUS_REVISION and self.ctx.info.ignore_application_stop_failures:
            failed = False
        with state.LOCK:
            event.end_time = utcnow()
            event.diagnostics = diagnostics
            event.status = "Failed" if failed else "Succeeded"
            return not failed

    def _ship(self, log: HookLog) -> None:
        """With the deployment group tagged `emulator:hook-log-group`, the event's lines go to that log
        group, stream the instance id, as the agent's deployment log does through the CloudWatch agent."""
        backend = codedeploy_backends[self.ctx.services.account][self.ctx.services.region]
        arn = backend._deployment_group_arn(str(self.ctx.info.application_name),
                                            str(self.ctx.info.deployment_group_name))
        group = backend.tagger.get_tag_dict_for_resource(arn).get(HOOK_LOG_GROUP_TAG)
        if not group:
            return
        # The agent's deployment log: [2026-12-02 18:00:00.123] [d-ABCDEF123][stdout]what the script printed
        lines = [(stamp, f"[{datetime.fromtimestamp(stamp / 1000, UTC).isoformat(' ', 'milliseconds')[:23]}] "
                         f"[{self.ctx.deployment_id}]{line}") for stamp, line in zip(log.times, log.lines, strict=True)]
        ship_events(group, self.target.instance_id, lines, account=self.ctx.services.account,
                    region=self.ctx.services.region)

    def _execute(self, name: str, log: HookLog) -> dict[str, str] | None:
        forced = self.ctx.services.faults.hook_exit_code(name, self.position, self.target.instance_id)
        try:
            if name == "DownloadBundle":
                self._download()
            elif name == "Install":
                spec = read_appspec(self.archive_dir)
                for line in install_files(spec, self.archive_dir, self.sandbox.root):
                    log.add(f"[stdout]{line}")
                apply_permissions(spec, self.sandbox.root)
            elif name in ("BlockTraffic", "AllowTraffic"):
                lines: list[str] = []
                (traffic.block if name == "BlockTraffic" else traffic.allow)(self.ctx, self.target.instance_id, lines)
            else:
                return self._scripts(name, log, forced)
        except (RevisionError, AppSpecError, traffic.TrafficError) as error:
            return {"errorCode": "UnknownError", "scriptName": "", "message": str(error), "logTail": log.tail()}
        if forced is not None:
            log.add(f"[stderr]emulator: injected failure of {name}, exit code {forced}")
            return {"errorCode": "ScriptFailed", "scriptName": "", "logTail": log.tail(),
                    "message": f"emulator: injected failure of {name} with exit code {forced}"}
        return None

    def _download(self) -> None:
        bundle = self.ctx.archive()
        if self.archive_dir.exists():
            shutil.rmtree(self.archive_dir)
        shutil.copytree(bundle, self.archive_dir, symlinks=True)

    def _scripts(self, name: str, log: HookLog, forced: int | None) -> dict[str, str] | None:
        archive = self.sandbox.last_archive if name in FROM_PREVIOUS_REVISION else self.archive_dir
        if archive is None or not archive.exists():
            return self._no_script(name, log, forced)
        try:
            scripts = read_appspec(archive).hooks.get(name, [])
        except AppSpecError as error:
            return {"errorCode": "UnknownError", "scriptName": "", "message": str(error), "logTail": log.tail()}
        if not scripts:
            return self._no_script(name, log, forced)
        env = self._environment(name)
        outcome = None
        for number, script in enumerate(scripts):
            self.ctx.check_shutdown()  # the agent runs every script of the event, stop or not
            last = number == len(scripts) - 1
            outcome = run_script(script, archive, self.sandbox.root, env, log, forced if last else None)
            if not outcome.succeeded:
                break
        assert outcome is not None
        return outcome.diagnostics

    def _no_script(self, name: str, log: HookLog, forced: int | None) -> dict[str, str] | None:
        if forced is None:
            return None
        log.add(f"[stderr]emulator: injected failure of {name}, exit code {forced}")
        return {"errorCode": "ScriptFailed", "scriptName": "", "logTail": log.tail(),
                "message": f"emulator: injected failure of {name} with exit code {forced}"}

    def _environment(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self._aws_env)
        env.update(self.sandbox.environment())
        env.update({
            "LIFECYCLE_EVENT": name,
            "DEPLOYMENT_ID": self.ctx.deployment_id,
            "APPLICATION_NAME": str(self.ctx.info.application_name),
            "DEPLOYMENT_GROUP_NAME": str(self.ctx.info.deployment_group_name),
            "DEPLOYMENT_GROUP_ID": str(self.ctx.group.deployment_group_id),
            "EMULATOR_ARCHIVE_DIR": str(self.archive_dir),
        })
        return env
