"""Render, register and roll out ECS services."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from deploy_actions.actions import ActionSpec
from deploy_actions.codedeploy.deploy import Deployer, DeployOptions
from deploy_actions.codedeploy.deploy import Interrupted as CodeDeployInterrupted
from deploy_actions.codedeploy.revision import appspec_revision
from deploy_actions.core.context import RunContext
from deploy_actions.core.errors import DeploymentFailed, InputError, InputProblem
from deploy_actions.core.inputs import AwsInputs, Flag, MultiLine
from deploy_actions.core.operation import WaitingInputs
from deploy_actions.core.outputs import ActionOutputs
from deploy_actions.ecs.changes import parse_changes
from deploy_actions.ecs.deploy import EcsDeployer, Options, Result, one_or_map
from deploy_actions.ecs.plan import check_wait_until
from deploy_actions.ecs.render import classify


class Inputs(WaitingInputs, AwsInputs):
    cluster: str = Field("default", description="ECS cluster name or ARN.")
    services: MultiLine = Field([], description="Services to deploy, one per line; they roll out together and one "
                                "loop follows them all. Empty: only render and register the task definition.")
    task_definition: str | None = Field(None, description="A file (JSON or YAML; describe-task-definition output "
                                        "and console JSON welcome, read-only keys are stripped), a family, "
                                        "family:revision or ARN. Empty: each service's current definition.")
    containers: MultiLine = Field([], description="Images, one line per container: NAME=IMAGE, or *=IMAGE for "
                                  "every container (an image by digest welcome, e.g. build-push-ecr's "
                                  "image-digest-uri).")
    environment_variables: MultiLine = Field([], description="Environment variables, one per line: NAME=value for "
                                             "every container, CONTAINER:NAME=value for one (named as in "
                                             "aws-actions' render action; GitLab's job keeps environment).")
    secrets: MultiLine = Field([], description="Secrets, one per line: NAME=ARN of a Secrets Manager secret or SSM "
                               "parameter (CONTAINER:NAME=ARN for one container). Needs an execution role.")
    log_group: str | None = Field(None, description="Send every awslogs container's logs to this CloudWatch Logs "
                                  "group (stream prefix: the family, unless the definition sets one).")
    cpu: str | None = Field(None, description="Task CPU units (e.g. 256, 1024).")
    memory: str | None = Field(None, description="Task memory in MiB (e.g. 512, 2048).")
    task_role: str | None = Field(None, description="Task role ARN (what the containers may call in AWS).")
    execution_role: str | None = Field(None, description="Task execution role ARN (pulls images, reads secrets).")
    desired_count: int | None = Field(None, ge=0, description="Set the services' desired count. Default: keep it.")
    force_new_deployment: Flag = Field(False, description="Start a new deployment even when the task definition "
                                       "is unchanged (e.g. to pull a moved tag).")
    wait_until: str = Field("completed", description="completed: the new service deployment is SUCCESSFUL (bake "
                            "time included); stable: the new tasks run at the desired count and the old ones are "
                            "gone (ECS may still bake and watch alarms); or a lifecycle stage (e.g. "
                            "TEST_TRAFFIC_SHIFT) of a BLUE_GREEN, LINEAR or CANARY service: the step ends once the "
                            "deployment is past it (held by a PAUSE hook of the next stage, for tests), then mode: "
                            "continue lets it go on.")
    rollback_on_failure: Flag = Field(False, description="When a rollout fails and ECS did not roll it back itself, "
                                      "redeploy the previous task definition (the step still fails).")
    mode: Literal["deploy", "continue", "rollback", "stop"] = Field(
        "deploy", description="deploy; continue: let the services' deployments waiting at a PAUSE hook go on and "
        "follow them; rollback: stop the services' deployments with ROLLBACK (or redeploy the previous task "
        "definition when none runs); stop: stop them where they are.")
    keep_revisions: int | None = Field(None, ge=1, description="After a successful deploy, deregister all but the "
                                       "newest N revisions of the family, never one a service runs or ran before "
                                       "this step.")
    run_task: str | None = Field(None, description="A command (e.g. migrations) run once from the new task "
                                 "definition before the services update, with the first service's network "
                                 "configuration; its exit code and log tail are checked and a failure leaves the "
                                 "services untouched.")
    run_task_container: str | None = Field(None, description="The container run-task's command runs in. Default: "
                                           "the first essential container.")
    dry_run: Flag = Field(False, description="Print the rendered definition and its diff against the live one; "
                          "register and change nothing.")
    codedeploy_application: str | None = Field(None, description="A CODE_DEPLOY service (one): its CodeDeploy "
                                               "application. The appspec is generated from the service's load "
                                               "balancer and the new task definition, and the deployment followed "
                                               "as codedeploy-deploy follows it.")
    codedeploy_deployment_group: str | None = Field(None, description="A CODE_DEPLOY service: its CodeDeploy "
                                                    "deployment group.")

    def problems(self) -> list[InputProblem]:
        found: list[InputProblem] = []
        try:
            check_wait_until(self.wait_until)
        except InputError as exc:  # reported with the others
            found.extend(exc.problems)
        if self.mode != "deploy":
            if not self.services:
                found.append(InputProblem("services", None, f"mode: {self.mode} acts on services: name them"))
            for name, value in (("task-definition", self.task_definition), ("run-task", self.run_task)):
                if value:
                    found.append(InputProblem(name, value, f"mode: {self.mode} deploys nothing new; remove it"))
            if self.containers or self.environment_variables or self.secrets:
                found.append(InputProblem("containers", None, f"mode: {self.mode} deploys nothing new; remove "
                                          "containers/environment-variables/secrets"))
        if self.run_task and not self.services:
            found.append(InputProblem("run-task", self.run_task, "run-task takes its network configuration from the "
                                      "first service: name the services"))
        if bool(self.codedeploy_application) != bool(self.codedeploy_deployment_group):
            found.append(InputProblem("codedeploy-deployment-group", self.codedeploy_deployment_group, "give both "
                                      "codedeploy-application and codedeploy-deployment-group, or neither"))
        elif self.codedeploy_application:
            if len(self.services) != 1:
                found.append(InputProblem("services", "\n".join(self.services) or None, "a CodeDeploy deployment "
                                          "group deploys one CODE_DEPLOY service: name exactly one"))
            if self.mode != "deploy" or self.wait_until != "completed":
                found.append(InputProblem("mode", self.mode, "with codedeploy-application, CodeDeploy drives the "
                                          "deployment: mode deploy and wait-until completed only (use "
                                          "codedeploy-deploy to stop or continue it)"))
        if self.desired_count is not None and not self.services:
            found.append(InputProblem("desired-count", str(self.desired_count), "only used with services"))
        return found


class Outputs(ActionOutputs):
    task_definition_arn: str = Field("", description="The task definition deployed (registered, or reused when "
                                     "nothing changed); a JSON map service -> ARN when services got different ones.")
    previous_task_definition_arn: str = Field("", description="What the services ran before (a JSON map when they "
                                              "differ).")
    service_deployment_arns: dict[str, str] = Field({}, description="JSON map service -> its new service "
                                                    "deployment ARN.")
    status: str = Field("", description="SUCCESSFUL, STABLE (wait-until: stable), FAILED, ROLLED_BACK, "
                        "UNCHANGED, PAST_<STAGE> (wait-until a stage), STARTED (wait: false), DRY_RUN or "
                        "REGISTERED (no services).")
    rolled_back: bool = Field(False, description="true when a service was rolled back (by ECS or "
                              "rollback-on-failure).")
    events: str = Field("", description="The last service events of the deployment, one per line (for a failure "
                        "message in a later step).")
    codedeploy_deployment_id: str = Field("", description="CODE_DEPLOY services: the CodeDeploy deployment.")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    changes = parse_changes(containers=inputs.containers, environment=inputs.environment_variables,
                            secrets=inputs.secrets, log_group=inputs.log_group, cpu=inputs.cpu, memory=inputs.memory,
                            task_role=inputs.task_role, execution_role=inputs.execution_role)
    source = classify(inputs.task_definition)
    clients = ctx.aws(inputs)
    deployer = EcsDeployer(clients.client("ecs"), ctx.reporter, ctx.operation(inputs), clients.region,
                           polling=clients.client("ecs", polling=True), logs=clients.client("logs"),
                           on_known=lambda **values: ctx.outputs.set(**values))
    opts = Options(cluster=inputs.cluster, services=list(dict.fromkeys(inputs.services)), source=source,
                   changes=changes, desired_count=inputs.desired_count, force=inputs.force_new_deployment,
                   wait=inputs.wait, wait_until=inputs.wait_until, rollback_on_failure=inputs.rollback_on_failure,
                   keep_revisions=inputs.keep_revisions, run_task=inputs.run_task,
                   run_task_container=inputs.run_task_container, dry_run=inputs.dry_run,
                   code_deploy=bool(inputs.codedeploy_application))
    result: Result = {"continue": deployer.continue_paused, "rollback": deployer.rollback,
                      "stop": deployer.stop}.get(inputs.mode, deployer.deploy)(opts)
    if result.appspec:
        _code_deploy(inputs, ctx, result)
    ctx.reporter.debug(f"AWS API calls: {clients.total_calls} {clients.calls}")
    outputs = Outputs(task_definition_arn=one_or_map(result.arns), previous_task_definition_arn=one_or_map(
        result.previous), service_deployment_arns=result.deployment_arns, status=result.status,
        rolled_back=result.rolled_back, events="\n".join(result.events[-20:]),
        codedeploy_deployment_id=result.codedeploy_deployment_id)
    ctx.outputs.merge(outputs)
    if result.summary:
        ctx.reporter.summary(result.summary)
    if result.interrupted is not None:
        raise result.interrupted
    if not result.ok:
        raise DeploymentFailed(result.message)
    ctx.reporter.debug(f"took {time.monotonic() - ctx.started:.1f}s")
    return outputs


_CODEDEPLOY_STATUS = {"Succeeded": "SUCCESSFUL", "Failed": "FAILED", "Stopped": "STOPPED", "Created": "STARTED",
                      "TrafficRerouted": "TRAFFIC_REROUTED", "Ready": "READY"}


def _code_deploy(inputs: Inputs, ctx: RunContext, result: Result) -> None:
    """A CODE_DEPLOY service: CodeDeploy deploys the appspec, followed as codedeploy-deploy follows it."""
    assert inputs.codedeploy_application and inputs.codedeploy_deployment_group
    clients = ctx.aws(inputs)
    ctx.reporter.info(f"AppSpec for {inputs.codedeploy_application}/{inputs.codedeploy_deployment_group}:\n"
                      f"{result.appspec}")
    def known(deployment_id: str) -> None:
        result.codedeploy_deployment_id = deployment_id
        ctx.outputs.set(codedeploy_deployment_id=deployment_id)

    deployer = Deployer(clients.client("codedeploy"), clients.client("s3"), ctx.reporter, ctx.operation(inputs),
                        on_deployment=known, cd_polling=clients.client("codedeploy", polling=True))
    arn = next(iter(result.arns.values()))
    try:
        outcome = deployer.deploy(DeployOptions(
            application=inputs.codedeploy_application, group=inputs.codedeploy_deployment_group,
            revision=appspec_revision(result.appspec), description=f"ecs-deploy: {arn}", wait=inputs.wait))
    except CodeDeployInterrupted as exc:
        outcome = exc.outcome
        result.interrupted = exc
    result.status = _CODEDEPLOY_STATUS.get(outcome.status, outcome.status.upper())
    result.rolled_back = outcome.rollback is not None
    if outcome.rollback is not None and outcome.status == "Failed":
        result.status = "ROLLED_BACK"
    result.ok, result.message = outcome.ok, outcome.message or f"the CodeDeploy deployment ended {outcome.status}"


SPEC = ActionSpec(
    name="ecs-deploy",
    title=ActionSpec.title_from(__doc__),
    description="Render a task definition (images, environment, secrets, logs, sizes, roles), register it only when "
    "something changed, optionally run a one-off task first (migrations), roll out one or many ECS services "
    "together and follow each new service deployment to its real end: a circuit-breaker or alarm rollback is a "
    "failure, explained with the service events and stopped tasks' reasons.",
    icon="box",
    color="orange",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
