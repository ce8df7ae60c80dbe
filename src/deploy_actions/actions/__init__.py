"""The registry of actions: each module exposes a SPEC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deploy_actions.core.context import RunContext
from deploy_actions.core.inputs import ActionInputs
from deploy_actions.core.outputs import ActionOutputs


@dataclass(frozen=True)
class ActionSpec:
    name: str
    title: str
    description: str
    icon: str  # GitHub Marketplace branding (feather icon name)
    color: str
    inputs: type[ActionInputs]
    outputs: type[ActionOutputs]
    run: Callable[[Any, RunContext], ActionOutputs]


def all_actions() -> dict[str, ActionSpec]:
    from deploy_actions.actions import codedeploy_deploy, package_revision

    specs = [package_revision.SPEC, codedeploy_deploy.SPEC]
    return {spec.name: spec for spec in specs}
