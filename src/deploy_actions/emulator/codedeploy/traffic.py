"""BlockTraffic and AllowTraffic: move an instance out of and into its target groups, over HTTP.

BlockTraffic deregisters the instance and waits out the deregistration delay (clock-scaled) while
the target drains; AllowTraffic registers it and waits until the health checks call it healthy.
"""

from __future__ import annotations

import time

from deploy_actions.emulator.codedeploy.context import DeploymentContext

# AWS waits up to an hour for a healthy target; the emulator gives up sooner: 5 emulated minutes,
# and never under 5 real seconds, since the app behind the target runs in real time.
ALLOW_TRAFFIC_WAIT = 300.0
ALLOW_TRAFFIC_MIN_REAL_WAIT = 5.0


class TrafficError(Exception):
    pass


def target_group_arns(ctx: DeploymentContext) -> dict[str, str]:
    names = ctx.target_group_names()
    if not names:
        return {}
    groups = ctx.services.clients("elbv2").describe_target_groups(Names=names)["TargetGroups"]
    return {g["TargetGroupName"]: g["TargetGroupArn"] for g in groups}


def block(ctx: DeploymentContext, instance_id: str, log: list[str]) -> None:
    elbv2 = ctx.services.clients("elbv2")
    draining = []
    for name, arn in target_group_arns(ctx).items():
        registered = {d["Target"]["Id"] for d in elbv2.describe_target_health(TargetGroupArn=arn)
                      ["TargetHealthDescriptions"] if d["TargetHealth"]["State"] != "draining"}
        if instance_id in registered:
            elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": instance_id}])
            log.append(f"Deregistered {instance_id} from target group {name}")
            draining.append(arn)
    # Wait for the health tracker to see the deregistration, then for the drain to end.
    for arn in draining:
        _wait(ctx, lambda arn=arn: ctx.services.health.state_of(arn, instance_id) in (None, "draining"), 30.0)
        _wait(ctx, lambda arn=arn: ctx.services.health.state_of(arn, instance_id) is None, None)


def allow(ctx: DeploymentContext, instance_id: str, log: list[str]) -> None:
    elbv2 = ctx.services.clients("elbv2")
    arns = target_group_arns(ctx)
    for name, arn in arns.items():
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": instance_id}])
        log.append(f"Registered {instance_id} in target group {name}")
    limit = max(ctx.clock.real(ALLOW_TRAFFIC_WAIT), ALLOW_TRAFFIC_MIN_REAL_WAIT)
    for name, arn in arns.items():
        healthy = _wait(ctx, lambda arn=arn: ctx.services.health.state_of(arn, instance_id) == "healthy", limit)
        if not healthy:
            state = ctx.services.health.state_of(arn, instance_id)
            raise TrafficError(f"Instance {instance_id} is {state} in target group {name}: it did not pass "
                               f"the target group's health checks in time.")
        log.append(f"{instance_id} is healthy in target group {name}")


def _wait(ctx: DeploymentContext, done: object, real_limit: float | None) -> bool:
    """Poll `done()` every 50 ms; a deregistration's drain is bounded by the tracker itself.

    A stop does not cut the wait short: BlockTraffic and AllowTraffic are lifecycle events, and an event
    in flight runs to its end."""
    assert callable(done)
    deadline = time.monotonic() + (real_limit if real_limit is not None else 3600.0)
    while time.monotonic() < deadline:
        if done():
            return True
        ctx.check_shutdown()
        time.sleep(0.05)
    return bool(done())
