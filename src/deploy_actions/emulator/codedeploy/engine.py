"""The lifecycle engine: drives each deployment from Created to Succeeded, Failed or Stopped.

One thread per deployment. Statuses, times, overview, errorInformation and rollbackInfo are
written where GetDeployment reads them (moto's `DeploymentInfo` and our `DeploymentRun`), under
`state.LOCK`, and a reader never sees a half-made record: a deployment id becomes visible only with
its deployment, and a deployment's final status together with its targets' final statuses and the
rollbackInfo naming its (already created) rollback deployment.
"""

from __future__ import annotations

import secrets
import string
import threading
from typing import Any

from moto.codedeploy.models import CodeDeployBackend, DeploymentInfo
from moto.core.utils import utcnow

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.codedeploy.bluegreen import asg_instances, deploy_blue_green, roll_back_blue_green
from deploy_actions.emulator.codedeploy.configs import ONE_AT_A_TIME
from deploy_actions.emulator.codedeploy.context import (
    SHUTDOWN,
    DeploymentContext,
    RunFailed,
    RunInterrupted,
    Services,
)
from deploy_actions.emulator.codedeploy.ecs import deploy_ecs, is_ecs, roll_back_ecs
from deploy_actions.emulator.codedeploy.inplace import deploy_in_place

ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
ROLLBACK_CREATOR = "codeDeployRollback"


def new_deployment_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "d-" + "".join(secrets.choice(alphabet) for _ in range(9))


class Engine:
    def __init__(self, services: Services, aws_env: dict[str, str]) -> None:
        self.services = services
        self.aws_env = aws_env
        self._threads: dict[str, threading.Thread] = {}
        self._closing = False

    @property
    def backend(self) -> CodeDeployBackend:
        return state.backend(self.services.account, self.services.region)

    # -- creating ------------------------------------------------------------------------------

    def adopt(self, moto_id: str, creator: str = "user", rollback_of: str | None = None) -> str:
        """Take over a deployment moto just created: AWS-style id, emulator records, a driving thread.

        Call it under `state.LOCK` together with moto's create: moto's own id is never seen outside."""
        info, run = self._register(moto_id, creator, rollback_of)
        self._start(info, run)
        return str(info.deployment_id)

    def _register(self, moto_id: str, creator: str, rollback_of: str | None) -> tuple[DeploymentInfo,
                                                                                         state.DeploymentRun]:
        backend, extras = self.backend, state.extras(self.backend)
        with state.LOCK:
            info = backend.deployments.pop(moto_id)
            info.deployment_id = new_deployment_id()
            info.creator = creator
            backend.deployments[info.deployment_id] = info
            run = state.DeploymentRun(info.deployment_id, rollback_of=rollback_of)
            if rollback_of is not None:
                run.rollback_info = {"rollbackTriggeringDeploymentId": rollback_of,
                                     "rollbackMessage": f"Rollback of deployment {rollback_of}"}
            last = extras.last_successful.get((info.application_name, info.deployment_group_name))
            run.previous_revision = last[1] if last else None
            extras.runs[info.deployment_id] = run
            state.record_revision(extras, info.application_name, info.revision,
                                  deployment_group=info.deployment_group_name)
        return info, run

    def _start(self, info: DeploymentInfo, run: state.DeploymentRun) -> None:
        thread = threading.Thread(target=self._drive, args=(info, run), name=f"deployment-{info.deployment_id}",
                                  daemon=True)
        self._threads[info.deployment_id] = thread
        thread.start()

    def active_deployment(self, application: str, group: str) -> str | None:
        with state.LOCK:
            for info in self.backend.deployments.values():
                if info.application_name == application and info.deployment_group_name == group \
                        and info.status in ACTIVE:
                    return str(info.deployment_id)
        return None

    # -- requests from the API -----------------------------------------------------------------

    def request_stop(self, run: state.DeploymentRun, auto_rollback: bool | None) -> None:
        with state.LOCK:
            if run.stop_requested != SHUTDOWN:
                run.stop_requested = "stop"
            run.stop_rollback = auto_rollback
        run.wakeup.set()

    def request_continue(self, run: state.DeploymentRun, wait_type: str) -> None:
        with state.LOCK:
            if wait_type == "TERMINATION_WAIT":
                run.skip_termination_wait = True
            else:
                run.continue_requested = True
        run.wakeup.set()

    def stop_all(self) -> None:
        """Ask every running deployment to stop (no rollback); `join` then waits for them."""
        self._closing = True
        extras = state.extras(self.backend)
        with state.LOCK:
            runs = [extras.runs[i] for i in list(self._threads) if i in extras.runs]
        for run in runs:
            run.stop_requested = SHUTDOWN
            run.wakeup.set()

    def join(self, timeout: float = 15) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout=timeout)

    # -- driving -------------------------------------------------------------------------------

    def _drive(self, info: DeploymentInfo, run: state.DeploymentRun) -> None:
        ctx = DeploymentContext(self.services, info, run)
        try:
            delay = self.services.faults.delay_for("Created")
            if delay:
                ctx.sleep(delay)
            with state.LOCK:
                info.status, info.start_time = "InProgress", utcnow()
            self._deploy(ctx)
        except RunFailed as failure:
            self._finish(ctx, "Failed", {"code": failure.code, "message": failure.message}, "DEPLOYMENT_FAILURE")
        except RunInterrupted as stop:
            self._finish(ctx, "Stopped", {"code": stop.code, "message": stop.message}, stop.rollback_event)
        except Exception as error:  # an emulator bug must still end the deployment, visibly
            self._finish(ctx, "Failed", {"code": "INTERNAL_ERROR", "message": f"emulator error: {error!r}"},
                         "DEPLOYMENT_FAILURE")
        else:
            self._finish(ctx, "Succeeded", None, None)

    def _deploy(self, ctx: DeploymentContext) -> None:
        extras = state.extras(self.backend)
        config_name = str(ctx.info.deployment_config_name or ONE_AT_A_TIME)
        config = extras.configs.get(config_name) or extras.configs[ONE_AT_A_TIME]
        if ctx.run.rollback_of:
            failed = extras.runs.get(ctx.run.rollback_of)
            if failed is not None and failed.blue_green.get("ecs"):
                roll_back_ecs(ctx, failed)
                return
            if failed is not None and failed.blue_green:
                roll_back_blue_green(ctx, failed, self.aws_env)
                return
        if is_ecs(ctx):
            deploy_ecs(ctx, config)
            return
        style = ctx.group.deployment_style or {}
        if style.get("deploymentType") == "BLUE_GREEN":
            deploy_blue_green(ctx, config, self.aws_env)
            return
        instances = self._instances(ctx)
        if not instances:
            raise RunFailed("NO_INSTANCES", "The deployment failed because no instances were found for "
                                   "your deployment group. Check your deployment group settings to make sure "
                                   "the tags for your Amazon EC2 instances or Auto Scaling groups correctly "
                                   "identify the instances you want to deploy to, and then try again.")
        deploy_in_place(ctx, config, instances, self.aws_env)

    def _instances(self, ctx: DeploymentContext) -> list[str]:
        found: list[str] = []
        for name in ctx.group.auto_scaling_groups:
            found.extend(i for i in asg_instances(ctx, str(name)) if i not in found)
        filters = [f for f in ctx.group.ec2_tag_filters or [] if f.get("Type", "KEY_AND_VALUE") == "KEY_AND_VALUE"]
        if filters:
            ec2 = self.services.clients("ec2")
            request = [{"Name": f"tag:{f['Key']}", "Values": [f["Value"]]} for f in filters]
            request.append({"Name": "instance-state-name", "Values": ["running"]})
            for reservation in ec2.describe_instances(Filters=request)["Reservations"]:
                found.extend(i["InstanceId"] for i in reservation["Instances"] if i["InstanceId"] not in found)
        return found

    def _finish(self, ctx: DeploymentContext, status: str, error: dict[str, str] | None,
                rollback_event: str | None) -> None:
        """End the deployment in one step a reader sees whole: targets concluded, the rollback deployment
        created, then status, errorInformation and rollbackInfo together."""
        info, run = ctx.info, ctx.run
        extras = state.extras(self.backend)
        rollback: tuple[DeploymentInfo, state.DeploymentRun] | None = None
        with state.LOCK:
            ctx.conclude_targets()
            if rollback_event and not self._closing and info.creator != ROLLBACK_CREATOR \
                    and self._rollback_wanted(info, run, rollback_event):
                rollback = self._roll_back(info, run, status)
            info.status, info.complete_time = status, utcnow()
            run.error_information = error
            if status == "Succeeded":
                key = (str(info.application_name), str(info.deployment_group_name))
                extras.last_successful[key] = (str(info.deployment_id), info.revision)
        if rollback is not None:
            self._start(*rollback)

    def _rollback_wanted(self, info: DeploymentInfo, run: state.DeploymentRun, event: str) -> bool:
        if event == "DEPLOYMENT_STOP_ON_REQUEST" and run.stop_rollback is not None:
            return run.stop_rollback
        config: Any = info.auto_rollback_configuration or info.deployment_group.auto_rollback_configuration or {}
        return bool(config.get("enabled")) and event in (config.get("events") or [])

    def _roll_back(self, info: DeploymentInfo, run: state.DeploymentRun,
                   status: str) -> tuple[DeploymentInfo, state.DeploymentRun] | None:
        """Create (not start) the rollback deployment and link both ways; under `state.LOCK`."""
        extras = state.extras(self.backend)
        last = extras.last_successful.get((str(info.application_name), str(info.deployment_group_name)))
        if last is None and not run.blue_green:
            run.rollback_info = {"rollbackMessage": "Automatic rollback was not performed: no previous "
                                 "successful deployment of this deployment group was found."}
            return None
        revision = last[1] if last else info.revision
        moto_id = self.backend.create_deployment(
            application_name=info.application_name, deployment_group_name=info.deployment_group_name,
            revision=revision, deployment_config_name=info.deployment_config_name,
            description=f"Rollback of {info.deployment_id}")
        created = self._register(moto_id, ROLLBACK_CREATOR, str(info.deployment_id))
        new_id = str(created[0].deployment_id)
        run.rollback_info = {
            "rollbackDeploymentId": new_id,
            "rollbackMessage": f"Deployment {info.deployment_id} {'was stopped' if status == 'Stopped' else 'failed'}; "
                               f"automatic rollback deployment "
                               f"{new_id} redeploys the last successful revision."}
        return created
