"""Read a deployment and its targets into a DeploymentState."""

from __future__ import annotations

from typing import Any

from deploy_actions.aws import codedeploy as cd_api
from deploy_actions.codedeploy.state import DeploymentState, TargetState, parse_target


def fetch_state(cd: Any, deployment_id: str, with_targets: bool = True,
                known_target_ids: list[str] | None = None) -> DeploymentState:
    """The deployment and its targets; `known_target_ids` saves the listing when the count still matches."""
    info = cd_api.get_deployment(cd, deployment_id)
    state = DeploymentState(id=deployment_id, status=str(info.get("status", "Unknown")), info=info)
    if with_targets:
        state.targets = fetch_targets(cd, state, known_target_ids)
    return state


def fetch_targets(cd: Any, state: DeploymentState, known_target_ids: list[str] | None = None) -> list[TargetState]:
    """The deployment's targets in the order CodeDeploy reached them; the listing is skipped while the
    overview's total still matches `known_target_ids`."""
    total = sum(state.overview.values())
    ids = known_target_ids if known_target_ids and len(known_target_ids) == total else None
    targets = [parse_target(raw) for raw in cd_api.deployment_targets(cd, state.id, ids)]
    return sorted(targets, key=_deployment_order)


def _deployment_order(target: TargetState) -> tuple[str, bool, float, str]:
    """Fleet, then the order CodeDeploy reached the targets in (not yet started last), then id."""
    started = [e.start.timestamp() for e in target.events if e.start is not None]
    return (target.label or "", not started, min(started, default=0.0), target.id)
