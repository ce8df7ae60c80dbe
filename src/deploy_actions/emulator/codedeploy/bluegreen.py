"""Blue/green deployments with COPY_AUTO_SCALING_GROUP, and their rollback.

Provision a copy of the group's Auto Scaling group (the green fleet), install the revision on it,
optionally wait in `Ready` for ContinueDeployment (the deployment is Stopped when that wait
expires), reroute traffic (AllowTraffic on green, then
BlockTraffic on blue, in the deployment group's target groups), point the deployment group at the
new ASG, then terminate the original fleet after the termination wait - or keep it alive.
"""

from __future__ import annotations

from typing import Any

from deploy_actions.emulator.codedeploy import events, state
from deploy_actions.emulator.codedeploy.configs import DeploymentConfig
from deploy_actions.emulator.codedeploy.context import DeploymentContext, RunFailed
from deploy_actions.emulator.codedeploy.inplace import run_batch, run_in_batches
from deploy_actions.emulator.codedeploy.instance import InstanceRunner


def asg_instances(ctx: DeploymentContext, name: str) -> list[str]:
    groups = ctx.services.clients("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    if not groups["AutoScalingGroups"]:
        return []
    return [i["InstanceId"] for i in groups["AutoScalingGroups"][0]["Instances"]
            if i["LifecycleState"] == "InService"]


def copy_auto_scaling_group(ctx: DeploymentContext, source: str) -> str:
    autoscaling = ctx.services.clients("autoscaling")
    found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[source])["AutoScalingGroups"]
    if not found:
        raise RunFailed("AUTO_SCALING_CONFIGURATION", f"The Auto Scaling group {source} was not found.")
    original = found[0]
    name = f"CodeDeploy_{ctx.info.deployment_group_name}_{ctx.deployment_id}"
    request: dict[str, Any] = {
        "AutoScalingGroupName": name, "MinSize": original["MinSize"], "MaxSize": original["MaxSize"],
        "DesiredCapacity": original["DesiredCapacity"], "AvailabilityZones": original["AvailabilityZones"],
        "Tags": [{k: v for k, v in t.items() if k != "ResourceId" and k != "ResourceType"}
                 for t in original.get("Tags", [])],
    }
    if original.get("VPCZoneIdentifier"):
        request["VPCZoneIdentifier"] = original["VPCZoneIdentifier"]
    if original.get("LaunchTemplate"):
        template = original["LaunchTemplate"]
        request["LaunchTemplate"] = {"LaunchTemplateId": template["LaunchTemplateId"],
                                     "Version": template.get("Version", "$Latest")}
    elif original.get("LaunchConfigurationName"):
        request["LaunchConfigurationName"] = original["LaunchConfigurationName"]
    autoscaling.create_auto_scaling_group(**request)
    return name


def deploy_blue_green(ctx: DeploymentContext, config: DeploymentConfig, aws_env: dict[str, str]) -> None:
    settings = ctx.group.blue_green_deployment_configuration or {}
    provisioning = (settings.get("greenFleetProvisioningOption") or {}).get("action", "DISCOVER_EXISTING")
    if provisioning != "COPY_AUTO_SCALING_GROUP":
        raise RunFailed("MISSING_BLUE_GREEN_DEPLOYMENT_CONFIGURATION",
                               "The emulator provisions green fleets with COPY_AUTO_SCALING_GROUP only.")
    originals = list(ctx.group.auto_scaling_groups)
    if len(originals) != 1:
        raise RunFailed("AUTO_SCALING_CONFIGURATION",
                               "A blue/green deployment that copies an Auto Scaling group needs exactly one group.")
    blue_ids = asg_instances(ctx, originals[0])
    green_asg = copy_auto_scaling_group(ctx, originals[0])
    with state.LOCK:
        ctx.run.blue_green = {"original_asg": originals[0], "green_asg": green_asg, "blue": blue_ids}
    green_ids = asg_instances(ctx, green_asg)
    if not green_ids:
        raise RunFailed("NO_INSTANCES", "The copied Auto Scaling group has no instances.")
    green_events, blue_events = events.replacement(), events.original()
    green = [InstanceRunner(ctx, ctx.add_target(i, green_events, "Green"), n, aws_env)
             for n, i in enumerate(green_ids, start=1)]
    blue = [InstanceRunner(ctx, ctx.add_target(i, blue_events, "Blue"), n, aws_env)
            for n, i in enumerate(blue_ids, start=len(green_ids) + 1)]

    run_in_batches(ctx, config, green, lambda r: r.run(events.INSTALL, finish=False), green_events)
    # Only green instances that installed take traffic (AllAtOnce tolerates failed ones).
    green = [runner for runner in green if runner.target.status != "Failed"]
    _wait_until_ready(ctx, green)

    with state.LOCK:  # from here on the green fleet may take traffic: a rollback must block it again
        ctx.run.blue_green["green_registered"] = True
    if not all(run_batch(green, lambda r: r.run(events.ALLOW_TRAFFIC))):
        raise RunFailed("HEALTH_CONSTRAINTS", "The green fleet did not pass the target group's health checks.")
    if not all(run_batch(blue, lambda r: r.run(events.BLOCK_TRAFFIC))):
        raise RunFailed("HEALTH_CONSTRAINTS", "Traffic could not be blocked on the original instances.")
    with state.LOCK:
        ctx.group.auto_scaling_groups = [green_asg]
        ctx.run.blue_green["rerouted"] = True
    _terminate_original(ctx, settings, originals[0], blue_ids)


def _wait_until_ready(ctx: DeploymentContext, green: list[InstanceRunner]) -> None:
    def mark(status: str) -> None:
        for runner in green:
            ctx.set_status(runner.target, status)
    ctx.wait_until_ready(mark, "original instances")


def _terminate_original(ctx: DeploymentContext, settings: dict[str, Any], original: str, blue: list[str]) -> None:
    termination = settings.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    if termination.get("action", "KEEP_ALIVE") != "TERMINATE":
        return
    ctx.termination_wait(float(termination.get("terminationWaitTimeInMinutes", 5)))
    ctx.services.clients("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=original, ForceDelete=True)
    for instance_id in blue:
        ctx.services.fleet.terminate(instance_id)


def roll_back_blue_green(ctx: DeploymentContext, failed: state.DeploymentRun, aws_env: dict[str, str]) -> None:
    """The rollback deployment of a blue/green deployment: traffic back to the original fleet, green gone."""
    plan = dict(failed.blue_green)
    if not plan:
        return
    green_ids = asg_instances(ctx, plan["green_asg"])
    if plan.get("rerouted") or plan.get("green_registered"):
        blue = [InstanceRunner(ctx, ctx.add_target(i, events.ALLOW_TRAFFIC, "Blue"), n, aws_env)
                for n, i in enumerate(plan["blue"], start=1)]
        green = [InstanceRunner(ctx, ctx.add_target(i, events.BLOCK_TRAFFIC, "Green"), n, aws_env)
                 for n, i in enumerate(green_ids, start=len(blue) + 1)]
        if not all(run_batch(blue, lambda r: r.run(events.ALLOW_TRAFFIC))):
            raise RunFailed("HEALTH_CONSTRAINTS", "The original fleet did not pass the health checks.")
        run_batch(green, lambda r: r.run(events.BLOCK_TRAFFIC))
    with state.LOCK:
        ctx.group.auto_scaling_groups = [plan["original_asg"]]
    ctx.services.clients("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=plan["green_asg"],
                                                                  ForceDelete=True)
    for instance_id in green_ids:
        ctx.services.fleet.terminate(instance_id)
