"""Registering what changed, and pruning old revisions (keep-revisions) without ever touching one in use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core.platform import Reporter
from deploy_actions.ecs.plan import Plan


def register(ecs: Any, plan: Plan, reporter: Reporter) -> dict[int, str]:
    """Give every target its ARN: registered, or reused when that exact definition is already registered.
    Returns the ARN of each distinct definition."""
    arns: dict[int, str] = dict(plan.reuse)
    for key, definition in enumerate(plan.definitions):
        if key in arns:
            reporter.info(f"Task definition unchanged: {arns[key]} (no new revision registered)")
            continue
        registered = ecs_api.register_task_definition(ecs, definition)
        arns[key] = registered["taskDefinitionArn"]
        reporter.info(f"Registered {arns[key]}")
    for target in plan.targets:
        target.arn = arns[target.key]
    return arns


def prune(ecs: Any, family: str, keep: int, protected: Iterable[str], reporter: Reporter) -> list[str]:
    """Deregister the family's ACTIVE revisions beyond the newest `keep`, never one in `protected` (what the
    services run now and ran before this step). Returns what was deregistered."""
    spared = set(protected)
    active = ecs_api.active_revisions(ecs, family)
    gone: list[str] = []
    for arn in active[keep:]:
        if arn in spared:
            continue
        ecs_api.deregister(ecs, arn)
        gone.append(arn)
    kept = [arn for arn in active[keep:] if arn in spared]  # beyond the count, spared: a service's, now or before
    why = (f"; kept beyond {keep}: " + ", ".join(f":{ecs_api.revision_of(a)}" for a in kept)
           + " (a service runs it or ran it before this step)") if kept else ""
    if gone:
        reporter.info(f"keep-revisions: deregistered {len(gone)} old revision(s) of {family}: "
                      + ", ".join(f":{ecs_api.revision_of(a)}" for a in gone) + why)
    elif kept:
        reporter.info(f"keep-revisions: nothing to deregister in {family}{why}")
    return gone
