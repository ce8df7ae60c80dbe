"""CodeDeploy deployments to ECS (compute platform ECS, blue/green through task sets), and their rollback.

As CodeDeploy does it, over the ECS and ELBv2 APIs (the emulator's own, reached over HTTP): the
appspec's TaskDefinition becomes a replacement task set registered in the target group the
original task set does not use (Install, waiting for its steady state); the test listener moves
to it (AllowTestTraffic); the deployment may wait in `Ready` for ContinueDeployment; the production
listener's weights move per the deployment config (AllAtOnce, TimeBasedCanary, TimeBasedLinear,
on the emulator's clock), the old target group left at weight 0 as CodeDeploy leaves it; the
replacement becomes PRIMARY; after the termination wait the original task set is deleted.

Hooks (BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic)
name Lambda functions; the emulator does not invoke them: a hook succeeds unless a hook fault
(`emulator fault hook --event AfterAllowTestTraffic`) fails it, HOOK_EXECUTION_FAILURE.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from moto.core.utils import utcnow
from ruamel.yaml import YAML

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.codedeploy.configs import DeploymentConfig
from deploy_actions.emulator.codedeploy.context import MINUTE, DeploymentContext, RunFailed

EVENTS = ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
          "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
ROLLBACK_EVENTS = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
STEADY_WAIT = 60 * MINUTE  # emulated: how long Install waits for the replacement task set


def is_ecs(ctx: DeploymentContext) -> bool:
    application = state.backend(ctx.services.account, ctx.services.region).applications.get(
        ctx.info.application_name)
    return application is not None and application.compute_platform == "ECS"


def appspec(ctx: DeploymentContext) -> dict[str, Any]:
    revision = ctx.info.revision or {}
    kind = revision.get("revisionType")
    if kind == "AppSpecContent":
        content = (revision.get("appSpecContent") or {}).get("content", "")
    elif kind == "String":
        content = (revision.get("string") or {}).get("content", "")
    else:
        raise RunFailed("INVALID_REVISION", f"The emulator deploys ECS revisions given as AppSpecContent or String, "
                                            f"not {kind}.")
    try:
        parsed = json.loads(content) if content.lstrip().startswith("{") else YAML(typ="safe").load(content)
    except Exception as error:
        raise RunFailed("INVALID_REVISION", f"The AppSpec file cannot be parsed: {error}") from error
    if not isinstance(parsed, dict):
        raise RunFailed("INVALID_REVISION", "The AppSpec file is not a mapping.")
    return parsed


def _target_service(spec: dict[str, Any]) -> dict[str, Any]:
    for resource in spec.get("Resources") or []:
        for value in (resource or {}).values():
            if (value or {}).get("Type") == "AWS::ECS::Service":
                return dict(value.get("Properties") or {})
    raise RunFailed("INVALID_REVISION", "The AppSpec file names no AWS::ECS::Service resource.")


def _hooks(spec: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for hook in spec.get("Hooks") or []:
        found.update({str(k): str(v) for k, v in (hook or {}).items()})
    return found


def _network(properties: dict[str, Any]) -> dict[str, Any] | None:
    config = (properties.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration")
    if not config:
        return None
    network: dict[str, Any] = {"subnets": list(config.get("Subnets") or [])}
    if config.get("SecurityGroups"):
        network["securityGroups"] = list(config["SecurityGroups"])
    if config.get("AssignPublicIp"):
        network["assignPublicIp"] = config["AssignPublicIp"]
    return {"awsvpcConfiguration": network}


class EcsRun:
    """One ECS deployment's target record and the lifecycle events it runs."""

    def __init__(self, ctx: DeploymentContext, cluster: str, service: str, events: list[str],
                 hooks: dict[str, str]) -> None:
        self.ctx, self.hooks = ctx, hooks
        self.target = ctx.add_target(f"{cluster}:{service}", events)
        with state.LOCK:
            self.target.arn = (f"arn:aws:ecs:{ctx.services.region}:{ctx.services.account}:service/"
                               f"{cluster}/{service}")
            self.target.target_type = "ECSTarget"
            ctx.set_status(self.target, "InProgress")

    def event(self, name: str, action: Any = None) -> None:
        """Run one lifecycle event: its hook (by the emulator's rule) or CodeDeploy's own action."""
        self.ctx.check()
        record = self.target.event(name)
        with state.LOCK:
            record.status, record.start_time = "InProgress", utcnow()
        try:
            if action is not None:
                action()
            function = self.hooks.get(name)
            if function is not None and self.ctx.services.faults.hook_exit_code(name, 1, self.target.instance_id):
                raise RunFailed("HOOK_EXECUTION_FAILURE",
                                f"The deployment failed because lifecycle event {name} of hook {function} "
                                "returned Failed (emulator fault injection).")
        except RunFailed as failure:
            with state.LOCK:
                record.status, record.end_time = "Failed", utcnow()
                record.diagnostics = {"errorCode": "UnknownError", "scriptName": "", "message": failure.message,
                                      "logTail": ""}
            self.ctx.set_status(self.target, "Failed")
            raise
        with state.LOCK:
            record.status, record.end_time = ("Succeeded" if action is not None or name in self.hooks
                                              else "Skipped"), utcnow()

    def task_sets(self, info: list[dict[str, Any]]) -> None:
        with state.LOCK:
            self.target.task_sets = info


def _forward(groups: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups]}}]


def deploy_ecs(ctx: DeploymentContext, config: DeploymentConfig) -> None:
    group = ctx.group
    services = list(group.ecs_services or [])
    pairs = list((group.load_balancer_info or {}).get("targetGroupPairInfoList") or [])
    if len(services) != 1 or not pairs:
        raise RunFailed("INVALID_ECS_SERVICE", "An ECS deployment group needs one ECS service and a target group "
                                               "pair.")
    cluster, service_name = str(services[0]["clusterName"]), str(services[0]["serviceName"])
    pair = pairs[0]
    ecs, elbv2 = ctx.services.clients("ecs"), ctx.services.clients("elbv2")
    names = [str(t["name"]) for t in pair.get("targetGroups") or []]
    groups = {g["TargetGroupName"]: g["TargetGroupArn"]
              for g in elbv2.describe_target_groups(Names=names)["TargetGroups"]}
    production = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])
    test = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
    spec = appspec(ctx)
    properties = _target_service(spec)
    found = ecs.describe_services(cluster=cluster, services=[service_name])["services"]
    if not found:
        raise RunFailed("INVALID_ECS_SERVICE", f"The ECS service {service_name} was not found in {cluster}.")
    service = found[0]
    original = next((ts for ts in service.get("taskSets") or [] if ts["status"] == "PRIMARY"), None)
    if original is None:
        raise RunFailed("INVALID_ECS_SERVICE", f"The ECS service {service_name} has no PRIMARY task set: is its "
                                               "deployment controller CODE_DEPLOY?")
    blue_group = original["loadBalancers"][0]["targetGroupArn"]
    green_group = next(arn for arn in groups.values() if arn != blue_group)
    balancer = properties.get("LoadBalancerInfo") or {}
    runner = EcsRun(ctx, cluster, service_name, EVENTS, _hooks(spec))
    plan: dict[str, Any] = {"ecs": True, "cluster": cluster, "service": service_name, "original": original["id"],
                            "blue": blue_group, "green": green_group, "production": production, "test": test}
    with state.LOCK:
        ctx.run.blue_green = plan

    runner.event("BeforeInstall")

    def install() -> None:
        request: dict[str, Any] = {
            "cluster": cluster, "service": service_name, "externalId": ctx.deployment_id,
            "taskDefinition": str(properties.get("TaskDefinition") or service["taskDefinition"]),
            "loadBalancers": [{"targetGroupArn": green_group,
                               "containerName": str(balancer.get("ContainerName", "")),
                               "containerPort": int(balancer.get("ContainerPort") or 80)}],
            "scale": {"value": 100.0, "unit": "PERCENT"}}
        network = _network(properties) or service.get("networkConfiguration")
        if network:
            request["networkConfiguration"] = network
        if service.get("launchType"):
            request["launchType"] = service["launchType"]
        created = ecs.create_task_set(**request)["taskSet"]
        with state.LOCK:
            plan["replacement"] = created["id"]
        deadline = time.monotonic() + ctx.clock.real(STEADY_WAIT)
        while True:
            sets = ecs.describe_task_sets(cluster=cluster, service=service_name,
                                          taskSets=[created["id"], original["id"]])["taskSets"]
            runner.task_sets(_task_sets_info(sets, original["id"], blue_group, green_group, 0.0))
            mine = next((ts for ts in sets if ts["id"] == created["id"]), None)
            if mine is not None and mine["stabilityStatus"] == "STEADY_STATE":
                return
            if time.monotonic() > deadline:
                raise RunFailed("ECS_UPDATE_ERROR", "The replacement task set did not reach a steady state.")
            ctx.sleep(5.0)

    runner.event("Install", install)
    runner.event("AfterInstall")
    runner.event("AllowTestTraffic", lambda: [elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward(
        [(green_group, 1)])) for arn in test])
    runner.event("AfterAllowTestTraffic")
    _wait_until_ready(ctx, runner)
    runner.event("BeforeAllowTraffic")

    def allow_traffic() -> None:
        with state.LOCK:
            plan["shifted"] = True
        for percent, wait in _steps(config):
            for arn in production:
                elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward(
                    [(blue_group, 100 - percent), (green_group, percent)]))
            sets = ecs.describe_task_sets(cluster=cluster, service=service_name,
                                          taskSets=[plan["replacement"], original["id"]])["taskSets"]
            runner.task_sets(_task_sets_info(sets, original["id"], blue_group, green_group, float(percent)))
            if wait:
                ctx.sleep(wait)
        ecs.update_service_primary_task_set(cluster=cluster, service=service_name,
                                            primaryTaskSet=plan["replacement"])

    runner.event("AllowTraffic", allow_traffic)
    runner.event("AfterAllowTraffic")
    ctx.set_status(runner.target, "Succeeded")
    _terminate_original(ctx, cluster, service_name, original["id"])


def _steps(config: DeploymentConfig) -> list[tuple[int, float]]:
    """(green weight in percent, emulated seconds to wait after it) per traffic shift."""
    routing = config.traffic_routing or {"type": "AllAtOnce"}
    if routing.get("type") == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        return [(int(canary.get("canaryPercentage", 10)), float(canary.get("canaryInterval", 5)) * MINUTE),
                (100, 0.0)]
    if routing.get("type") == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        step = int(linear.get("linearPercentage", 10))
        interval = float(linear.get("linearInterval", 1)) * MINUTE
        count = math.ceil(100 / step)
        return [(min(step * (i + 1), 100), interval if step * (i + 1) < 100 else 0.0) for i in range(count)]
    return [(100, 0.0)]


def _task_sets_info(sets: list[dict[str, Any]], original: str, blue: str, green: str,
                    green_weight: float) -> list[dict[str, Any]]:
    info = []
    for task_set in sets:
        is_original = task_set["id"] == original
        info.append({"identifer": task_set["id"], "desiredCount": task_set["computedDesiredCount"],
                     "pendingCount": task_set["pendingCount"], "runningCount": task_set["runningCount"],
                     "status": task_set["status"], "trafficWeight": 100.0 - green_weight if is_original
                     else green_weight,
                     "targetGroup": {"name": (blue if is_original else green).split(":targetgroup/")[-1].split("/")[0]},
                     "taskSetLabel": "Blue" if is_original else "Green"})
    return info


def _wait_until_ready(ctx: DeploymentContext, runner: EcsRun) -> None:
    def mark(status: str) -> None:
        runner.target.status = status
    ctx.wait_until_ready(mark, "original task set")


def _terminate_original(ctx: DeploymentContext, cluster: str, service: str, original: str) -> None:
    settings = ctx.group.blue_green_deployment_configuration or {}
    termination = settings.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    ctx.termination_wait(float(termination.get("terminationWaitTimeInMinutes", 0)))
    ctx.services.clients("ecs").delete_task_set(cluster=cluster, service=service, taskSet=original, force=True)


def roll_back_ecs(ctx: DeploymentContext, failed: state.DeploymentRun) -> None:
    """The rollback of an ECS deployment: both listeners back on the original task set, the replacement gone."""
    plan = dict(failed.blue_green)
    ecs, elbv2 = ctx.services.clients("ecs"), ctx.services.clients("elbv2")
    runner = EcsRun(ctx, plan["cluster"], plan["service"], ROLLBACK_EVENTS, {})

    def allow_traffic() -> None:
        for arn in plan["production"]:
            elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward([(plan["blue"], 100), (plan["green"], 0)]))
        for arn in plan["test"]:
            elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward([(plan["blue"], 1)]))
        ecs.update_service_primary_task_set(cluster=plan["cluster"], service=plan["service"],
                                            primaryTaskSet=plan["original"])
        if plan.get("replacement"):
            ecs.delete_task_set(cluster=plan["cluster"], service=plan["service"], taskSet=plan["replacement"],
                                force=True)

    runner.event("BeforeAllowTraffic")
    runner.event("AllowTraffic", allow_traffic)
    runner.event("AfterAllowTraffic")
    ctx.set_status(runner.target, "Succeeded")
