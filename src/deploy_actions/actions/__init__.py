"""The registry of actions: each module exposes a SPEC.

Running one action imports only that action's module (`load_action`); the `deploy-actions --help`
listing reads names and titles from `REGISTRY` and imports none (no boto3, no pydantic). A unit test
keeps each entry's title equal to its module's SPEC.title and every module registered.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


@dataclass(frozen=True)
class ActionEntry:
    """What the CLI's command listing needs, without importing the action."""

    name: str
    module: str
    title: str

    def load(self) -> ActionSpec:
        spec: ActionSpec = importlib.import_module(self.module).SPEC
        return spec


REGISTRY: dict[str, ActionEntry] = {
    entry.name: entry
    for entry in (
        ActionEntry("package-revision", "deploy_actions.actions.package_revision", "Package a CodeDeploy revision"),
        ActionEntry("codedeploy-deploy", "deploy_actions.actions.codedeploy_deploy",
                    "Deploy with CodeDeploy and follow it live"),
    )
}


def load_action(name: str) -> ActionSpec:
    """The one action's SPEC, importing only its module. KeyError for an unknown name."""
    return REGISTRY[name].load()


def all_actions() -> dict[str, ActionSpec]:
    """Every action's SPEC (imports every action module): for the front-door generator and tests."""
    return {name: entry.load() for name, entry in REGISTRY.items()}
