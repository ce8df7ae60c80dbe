"""Deploy with CodeDeploy and follow it live."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field

from deploy_actions.actions import ActionSpec
from deploy_actions.codedeploy.deploy import Deployer, DeployOptions, Interrupted, Outcome
from deploy_actions.codedeploy.report import deployment_summary
from deploy_actions.codedeploy.revision import appspec_revision, parse_revision
from deploy_actions.core.aws import AwsUnreachable
from deploy_actions.core.context import RunContext
from deploy_actions.core.errors import DeploymentFailed, InputError, InputProblem
from deploy_actions.core.inputs import AwsInputs, Flag
from deploy_actions.core.operation import WaitingInputs
from deploy_actions.core.outputs import ActionOutputs


class Inputs(WaitingInputs, AwsInputs):
    application: str = Field(description="CodeDeploy application name.")
    deployment_group: str | None = Field(None, description="Deployment group name (required for deploy and "
                                         "rollback).")
    revision: str | None = Field(None, description="What to deploy: the revision output of package-revision "
                                 "(JSON), or s3://bucket/key.")
    bundle_type: Literal["zip", "tgz", "tar"] | None = Field(None, description="Bundle type for an s3:// "
                                                             "revision. Default: from the key's extension.")
    s3_etag: str | None = Field(None, description="ETag of an s3:// revision (package-revision's s3-etag); "
                                "checked before deploying.")
    s3_version: str | None = Field(None, description="Object version of an s3:// revision (versioned buckets).")
    appspec: str | None = Field(None, description="ECS or Lambda deployments: the appspec content (YAML/JSON) "
                                "or a path to it, instead of revision.")
    deployment_config: str | None = Field(None, description="Deployment configuration, e.g. "
                                          "CodeDeployDefault.OneAtATime. Default: the group's.")
    description: str | None = Field(None, description="Description of the deployment.")
    file_exists_behavior: Literal["DISALLOW", "OVERWRITE", "RETAIN"] | None = Field(
        None, description="What the agent does with files already at a destination. Default: the appspec's, "
        "else DISALLOW.")
    ignore_application_stop_failures: Flag = Field(False, description="Continue when ApplicationStop fails "
                                                   "(e.g. the previous revision's script is broken).")
    auto_rollback: Literal["group", "on-failure", "on-alarm", "on-failure-and-alarm", "off"] = Field(
        "group", description="Automatic rollback, sent as the deployment's override. group: use the "
        "deployment group's setting.")
    traffic_reroute: Literal["auto", "manual"] = Field(
        "auto", description="Blue/green deployments waiting in Ready: auto continues them; manual leaves them "
        "waiting and returns the deployment id.")
    original_fleet: Literal["leave", "wait", "terminate-now"] = Field(
        "leave", description="Blue/green, once traffic is on the replacement fleet: leave ends the step while "
        "CodeDeploy waits to terminate the original fleet (status TrafficRerouted); wait follows that wait to "
        "the end; terminate-now ends the wait.")
    mode: Literal["deploy", "rollback", "stop", "continue"] = Field(
        "deploy", description="deploy a revision; rollback: redeploy the group's previous successful revision; "
        "stop: stop deployment-id; continue: reroute traffic of deployment-id waiting in Ready.")
    deployment_id: str | None = Field(None, description="The deployment to stop or continue (mode: stop, "
                                      "continue).")
    if_active: Literal["wait", "fail", "stop-previous"] = Field(
        "wait", description="When the group already has an active deployment: wait for it, fail, or stop it.")
    sequence_check: Literal["auto", "true", "false"] = Field(
        "auto", description="Never deploy an older run over a newer one: the run number goes into the "
        "deployment's description, and a run older than an active or recently successful deployment's run "
        "deploys nothing and ends successfully as superseded (status Skipped). auto: whenever the run number is "
        "known (GitHub run number, GitLab pipeline IID, or run-number); true: require one.")
    run_number: int | None = Field(None, ge=0, description="Run number for sequence-check. Default: "
                                   "GITHUB_RUN_NUMBER or CI_PIPELINE_IID.")
    allow_failed_instances: Flag = Field(False, description="Accept a deployment that CodeDeploy calls Succeeded "
                                         "although some instances failed (the minimum healthy hosts held). false: "
                                         "the step fails naming them, as they run the old revision or nothing.")

    def problems(self) -> list[InputProblem]:
        found: list[InputProblem] = []
        if self.mode in ("stop", "continue"):
            if not self.deployment_id:
                found.append(InputProblem("deployment-id", None, f"mode: {self.mode} needs the deployment to "
                                          f"{self.mode}"))
            if self.revision or self.appspec:
                found.append(InputProblem("revision", self.revision or self.appspec, f"mode: {self.mode} deploys "
                                          "nothing; remove revision/appspec"))
            return found
        if not self.deployment_group:
            found.append(InputProblem("deployment-group", None, f"mode: {self.mode} needs the deployment group"))
        if self.deployment_id:
            found.append(InputProblem("deployment-id", self.deployment_id, "only used with mode: stop or continue"))
        if self.mode == "rollback" and (self.revision or self.appspec):
            found.append(InputProblem("revision", self.revision or self.appspec, "mode: rollback redeploys the "
                                      "previous successful revision; remove revision/appspec"))
        if self.mode == "deploy":
            if self.revision and self.appspec:
                found.append(InputProblem("appspec", self.appspec, "give either revision or appspec, not both"))
            elif not self.revision and not self.appspec:
                found.append(InputProblem("revision", None, "required: the revision output of package-revision or "
                                          "s3://bucket/key (or appspec for ECS/Lambda)"))
            elif self.revision:
                try:
                    parse_revision(self.revision, self.bundle_type, self.s3_etag, self.s3_version)
                except ValueError as exc:
                    found.append(InputProblem("revision", self.revision, str(exc)))
        return found


class Outputs(ActionOutputs):
    deployment_id: str = Field("", description="The deployment created (or stopped).")
    status: str = Field("", description="Final status: Succeeded, Failed, Stopped, Ready (manual reroute), "
                        "TrafficRerouted (blue/green, original-fleet: leave), Created (wait: false) or Skipped "
                        "(sequence check).")
    rollback_deployment_id: str = Field("", description="The automatic rollback deployment, when one ran.")
    instances: list[dict[str, str]] = Field([], description="JSON list of targets: id, fleet, status, failed-hook.")
    console_url: str = Field("", description="Link to the deployment in the AWS console.")
    duration_seconds: int = Field(0, description="Seconds from the start of this step to its end.")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    clients = ctx.aws(inputs)
    region = clients.region

    def known(deployment_id: str) -> None:
        ctx.outputs.set(deployment_id=deployment_id, console_url=console_url(region, deployment_id))

    deployer = Deployer(clients.client("codedeploy"), clients.client("s3"), ctx.reporter, ctx.operation(inputs),
                        on_deployment=known, cd_polling=clients.client("codedeploy", polling=True))
    opts = _options(inputs, ctx)
    failure: Interrupted | None = None
    try:
        if inputs.mode == "stop":
            assert inputs.deployment_id is not None
            outcome = deployer.stop(inputs.deployment_id, inputs.auto_rollback != "off", opts)
        elif inputs.mode == "continue":
            assert inputs.deployment_id is not None
            outcome = deployer.continue_ready(inputs.deployment_id, opts)
        elif inputs.mode == "rollback":
            revision, source = deployer.previous_good_revision(opts)
            ctx.reporter.info(f"Rolling back to the revision deployed by {source}")
            description = opts.description or f"Rollback to the revision of {source}"
            outcome = deployer.deploy(_replace(opts, revision=revision, description=description))
        else:
            outcome = deployer.deploy(opts)
    except Interrupted as exc:
        failure, outcome = exc, exc.outcome
    except AwsUnreachable as exc:
        if not deployer.deployment_id:
            raise
        raise DeploymentFailed(lost_contact(str(exc), deployer.deployment_id, inputs, region)) from None
    ctx.reporter.debug(f"AWS API calls: {clients.total_calls} {clients.calls}")
    outputs = _outputs(outcome, region, time.monotonic() - ctx.started)
    ctx.outputs.merge(outputs)
    if outcome.deployment is not None and outcome.deployment.info:
        title = f"{inputs.application}/{inputs.deployment_group or ''}"
        ctx.reporter.summary(deployment_summary(outcome.deployment, title=title, console_url=outputs.console_url,
                                                failures=outcome.failures, rollback=outcome.rollback))
    if failure is not None:
        raise failure
    if not outcome.ok:
        raise DeploymentFailed(outcome.message or f"deployment ended {outcome.status}")
    return outputs


def _options(inputs: Inputs, ctx: RunContext) -> DeployOptions:
    revision: dict[str, Any] | None = None
    if inputs.revision:
        revision = parse_revision(inputs.revision, inputs.bundle_type, inputs.s3_etag, inputs.s3_version)
    elif inputs.appspec:
        try:
            revision = appspec_revision(inputs.appspec)
        except OSError as exc:
            raise InputError.single("appspec", inputs.appspec, f"cannot read it: {exc}") from None
        except ValueError as exc:
            raise InputError.single("appspec", inputs.appspec, str(exc)) from None
    run_number = None
    if inputs.sequence_check != "false":
        run_number = inputs.run_number if inputs.run_number is not None else ctx.facts.run_number
        if run_number is None and inputs.sequence_check == "true":
            raise InputError.single("run-number", None, "sequence-check: true needs a run number: set run-number "
                                    "or run on GitHub/GitLab")
    return DeployOptions(
        application=inputs.application, group=inputs.deployment_group or "", revision=revision,
        deployment_config=inputs.deployment_config, description=inputs.description,
        file_exists_behavior=inputs.file_exists_behavior,
        ignore_application_stop_failures=inputs.ignore_application_stop_failures,
        auto_rollback=inputs.auto_rollback, wait=inputs.wait, traffic_reroute=inputs.traffic_reroute,
        original_fleet=inputs.original_fleet,
        if_active=inputs.if_active, run_number=run_number, run_series=ctx.facts.run_series,
        allow_failed_instances=inputs.allow_failed_instances,
    )


def _replace(opts: DeployOptions, **changes: Any) -> DeployOptions:
    from dataclasses import replace

    return replace(opts, **changes)


def _outputs(outcome: Outcome, region: str, seconds: float) -> Outputs:
    deployment = outcome.deployment
    deployment_id = deployment.id if deployment else ""
    instances = [
        {"id": t.id, "fleet": t.fleet, "status": t.status,
         "failed-hook": t.failed_event.name if t.failed_event else ""}
        for t in (deployment.targets if deployment else [])
    ]
    return Outputs(deployment_id=deployment_id, status=outcome.status,
                   rollback_deployment_id=outcome.rollback.id if outcome.rollback else "",
                   instances=instances, console_url=console_url(region, deployment_id),
                   duration_seconds=round(seconds))


def lost_contact(reason: str, deployment_id: str, inputs: Inputs, region: str) -> str:
    """What to do by hand when AWS stopped answering while the deployment went on."""
    return (f"{reason}. Deployment {deployment_id} may still be running and nothing was stopped. Follow it in the "
            f"console ({console_url(region, deployment_id)}) or with `aws deploy get-deployment --deployment-id "
            f"{deployment_id} --region {region}`; stop it with `deploy-actions codedeploy-deploy --mode stop "
            f"--application {inputs.application} --deployment-id {deployment_id} --region {region}`")


def console_url(region: str, deployment_id: str) -> str:
    if not deployment_id:
        return ""
    return (f"https://{region}.console.aws.amazon.com/codesuite/codedeploy/deployments/{deployment_id}"
            f"?region={region}")


SPEC = ActionSpec(
    name="codedeploy-deploy",
    title=ActionSpec.title_from(__doc__),
    description="Create a CodeDeploy deployment (EC2/on-prem in-place or blue/green, ECS, Lambda), follow every "
    "instance and lifecycle hook live, continue blue/green deployments waiting in Ready, stop and roll back on "
    "timeout or cancel, and explain failures with the failing hook's log tail.",
    icon="refresh-cw",
    color="orange",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
