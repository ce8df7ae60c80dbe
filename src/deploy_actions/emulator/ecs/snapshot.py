"""A service's snapshot written onto moto's service object, so DescribeServices answers with it:
deployments, task sets, events, counts, the current service deployment and revisions."""

from __future__ import annotations

from deploy_actions.emulator.ecs import model
from deploy_actions.emulator.ecs.service_run import ServiceRun, controller


def _counts(run: ServiceRun) -> None:
    counts: dict[str, tuple[int, int, int]] = {}
    for deployment in run.deployments:
        requested = deployment.desired if deployment.status == "PRIMARY" else len(deployment.alive())
        before = counts.get(deployment.revision, (0, 0, 0))
        counts[deployment.revision] = (before[0] + requested, before[1] + deployment.running(),
                                       before[2] + deployment.pending())
    for sd in {d.service_deployment for d in run.deployments}:
        if sd.status not in model.FINISHED or sd is run.current:
            sd.counts = {arn: counts.get(arn, (0, 0, 0)) for arn in [sd.target_revision, *sd.source_revisions]}


def publish(run: ServiceRun) -> None:
    service = run.service
    run.target_events()
    _counts(run)
    service.deployments = [d.as_api() for d in run.deployments]
    service.events = list(run.events)
    service.running_count = sum(d.running() for d in run.deployments)
    service.pending_count = sum(d.pending() for d in run.deployments)
    if run.task_sets or controller(service) != "ECS":
        sets = [ts.as_api() for ts in run.task_sets]
        service.task_sets = sets
        service.running_count = sum(ts["runningCount"] for ts in sets)
        service.pending_count = sum(ts["pendingCount"] for ts in sets)
        primary = next((ts for ts in run.task_sets if ts.status == "PRIMARY"), None)
        if primary is not None:
            service.task_definition = primary.task_definition
    service.deployment_configuration = run.configuration
    if run.current is not None:
        service.current_service_deployment = run.current.arn
    revisions: dict[str, list[int]] = {}
    for deployment in run.deployments:
        if deployment.alive() or deployment.status == "PRIMARY":
            found = revisions.setdefault(deployment.revision, [0, 0, 0])
            found[0] += deployment.desired if deployment.status == "PRIMARY" else len(deployment.alive())
            found[1] += deployment.running()
            found[2] += deployment.pending()
    service.current_service_revisions = [
        {"arn": arn, "requestedTaskCount": r, "runningTaskCount": n, "pendingTaskCount": p}
        for arn, (r, n, p) in revisions.items()]
