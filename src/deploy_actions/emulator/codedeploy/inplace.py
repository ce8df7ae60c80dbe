"""In-place deployments: batches sized by the deployment config, minimum healthy hosts enforced."""

from __future__ import annotations

import threading
from collections.abc import Callable

from deploy_actions.emulator.codedeploy import events
from deploy_actions.emulator.codedeploy.configs import DeploymentConfig
from deploy_actions.emulator.codedeploy.context import DeploymentContext, RunFailed, RunInterrupted
from deploy_actions.emulator.codedeploy.instance import InstanceRunner

HEALTH_CONSTRAINTS_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment, too few healthy "
    "instances are available for deployment, or some instances in your deployment group are experiencing problems.")


def run_batch(runners: list[InstanceRunner], work: Callable[[InstanceRunner], bool]) -> list[bool]:
    """Run instances of one batch side by side; an interruption in any is raised after all stopped."""
    results: list[bool] = [False] * len(runners)
    interrupted: list[RunInterrupted] = []

    def one(index: int, runner: InstanceRunner) -> None:
        try:
            results[index] = work(runner)
        except RunInterrupted as stop:
            interrupted.append(stop)

    if len(runners) == 1:
        one(0, runners[0])
    else:
        threads = [threading.Thread(target=one, args=(i, r), name=f"instance-{r.target.instance_id}")
                   for i, r in enumerate(runners)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if interrupted:
        raise interrupted[0]
    return results


def run_in_batches(ctx: DeploymentContext, config: DeploymentConfig, runners: list[InstanceRunner],
                   work: Callable[[InstanceRunner], bool], skipped_events: list[str]) -> None:
    """Deploy batch after batch; fail as soon as the minimum healthy hosts can no longer be met."""
    fleet = len(runners)
    size = config.batch_size(fleet)
    if size == 0:
        raise RunFailed("HEALTH_CONSTRAINTS_INVALID", (
            f"The deployment configuration {config.name} requires {config.minimum_healthy(fleet)} healthy "
            f"instances, but the deployment group has {fleet}."))
    failed = 0
    for start in range(0, fleet, size):
        batch = runners[start:start + size]
        try:
            ctx.check()
            failed += run_batch(batch, work).count(False)
        except RunInterrupted:
            for runner in runners[start + size:]:
                runner.skip_all(skipped_events)
            raise
        last_of_one_at_a_time = start + size >= fleet
        if not config.tolerates(fleet, failed, last_of_one_at_a_time):
            for runner in runners[start + size:]:
                runner.skip_all(skipped_events)
            raise RunFailed("HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)


def deploy_in_place(ctx: DeploymentContext, config: DeploymentConfig, instance_ids: list[str],
                    aws_env: dict[str, str]) -> None:
    names = events.in_place(ctx.with_traffic_control())
    runners = [InstanceRunner(ctx, ctx.add_target(instance_id, names), position, aws_env)
               for position, instance_id in enumerate(instance_ids, start=1)]
    run_in_batches(ctx, config, runners, lambda runner: runner.run(names), names)
