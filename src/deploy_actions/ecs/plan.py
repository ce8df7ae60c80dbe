"""Before anything changes: read the services and their live definitions, render what each service gets,
and decide what must be registered. Every bad input is found here (exit 2, nothing registered)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core.errors import InputError, InputProblem
from deploy_actions.ecs import render as rd
from deploy_actions.ecs.changes import Changes

ECS_STRATEGIES = ("ROLLING", "BLUE_GREEN", "LINEAR", "CANARY")
# Lifecycle stages a deployment can be stopped at (wait-until), by strategy. A rolling deployment moves
# no traffic between target groups: it has none of the traffic stages.
TRAFFIC_STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
                  "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
                  "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")
WAIT_UNTIL = ("completed", "stable")


@dataclass
class Target:
    """One service and what it gets."""

    name: str
    service: dict[str, Any]
    live_arn: str
    live: dict[str, Any]
    rendered: dict[str, Any] = field(default_factory=dict)
    key: int = 0  # which distinct rendered definition (several services may share one)
    arn: str = ""  # what it will run: registered, or reused when nothing changed

    @property
    def strategy(self) -> str:
        config = self.service.get("deploymentConfiguration") or {}
        return str(config.get("strategy") or "ROLLING")

    @property
    def controller(self) -> str:
        return str((self.service.get("deploymentController") or {}).get("type") or "ECS")

    @property
    def unchanged(self) -> bool:
        return self.arn == self.live_arn


@dataclass
class Plan:
    targets: list[Target]
    definitions: list[dict[str, Any]]  # distinct rendered definitions, by Target.key
    reuse: dict[int, str]  # key -> an ARN that already holds exactly that definition
    notices: list[str]
    source: rd.Source


def check_wait_until(wait_until: str) -> None:
    if wait_until in WAIT_UNTIL:
        return
    if wait_until.upper() not in TRAFFIC_STAGES:
        hint = _did_you_mean(wait_until.upper(), list(TRAFFIC_STAGES))
        raise InputError.single("wait-until", wait_until, "expected completed, stable or a lifecycle stage "
                                f"({', '.join(TRAFFIC_STAGES)}){hint}")


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def make_plan(ecs: Any, *, cluster: str, services: list[str], source: rd.Source, changes: Changes, region: str,
              wait_until: str = "completed", code_deploy: bool = False) -> Plan:
    """Read, render and decide; raises InputError (exit 2) for anything the user has to fix."""
    notices: list[str] = []
    if source.stripped:
        notices.append(f"ignored read-only keys of {source.text}: {', '.join(source.stripped)} (AWS sets them)")
    registered: dict[str, Any] | None = None
    if source.kind == "registered":
        registered = ecs_api.describe_task_definition(ecs, source.text)
    targets = _targets(ecs, cluster, services, wait_until, code_deploy) if services else []
    for name in unheld(targets, wait_until):
        notices.append(f"{name}: no PAUSE hook holds its deployment after {wait_until.upper()}, so it goes on to "
                       "production while later steps run")
    if source.kind == "current" and not targets:
        raise InputError.single("task-definition", None, "give a task definition (a file, family or ARN), or "
                                "services whose current definition is rendered")

    bases: dict[str, tuple[dict[str, Any], str]] = {}  # what each distinct base is, by an identity
    for target in targets:
        base, where = _base(source, registered, target)
        if base.get("family") != target.live.get("family"):
            raise InputError.single("task-definition", source.text or None, f"family {base.get('family')} is not "
                                    f"the family service {target.name} runs ({target.live.get('family')}); deploy "
                                    f"a {target.live.get('family')} definition to it, or check the services input")
        bases.setdefault(where, (base, where))
    if not targets:
        assert source.kind != "current"
        base = registered if registered is not None else source.body
        where = source.text
        bases[where] = (base, where)

    definitions: list[dict[str, Any]] = []
    keys: dict[str, int] = {}
    for where, (base, _) in bases.items():
        stripped, _removed = rd.strip_read_only(base)
        rd.validate(stripped, where, images=False)  # the shape first: rendering needs containers with names
        rendered, more = rd.render(stripped, changes, region=region)
        notices.extend(more)
        rd.validate(rendered, where)
        keys[where] = len(definitions)
        definitions.append(rendered)

    reuse: dict[int, str] = {}
    if registered is not None:
        for key, rendered in enumerate(definitions):
            if changes.empty or rd.same(rendered, registered):
                reuse[key] = registered["taskDefinitionArn"]
    for target in targets:
        _, where = _base(source, registered, target)
        target.key = keys[where]
        target.rendered = definitions[target.key]
        if target.key not in reuse and rd.same(target.rendered, target.live):
            reuse[target.key] = target.live_arn
    return Plan(targets, definitions, reuse, notices, source)


def _base(source: rd.Source, registered: dict[str, Any] | None, target: Target) -> tuple[dict[str, Any], str]:
    if source.kind == "file":
        return source.body, source.text
    if registered is not None:
        return registered, registered["taskDefinitionArn"]
    return target.live, target.live_arn


def _targets(ecs: Any, cluster: str, names: list[str], wait_until: str, code_deploy: bool) -> list[Target]:
    found, missing = ecs_api.describe_services(ecs, cluster, names)
    if missing:
        known = ecs_api.service_names(ecs, cluster)
        raise InputError([InputProblem("services", name, f"no such service in cluster {cluster}"
                                       f"{_did_you_mean(name, known)}") for name in missing])
    problems: list[InputProblem] = []
    targets: list[Target] = []
    live: dict[str, dict[str, Any]] = {}
    for name in names:
        service = found[name]
        arn = service["taskDefinition"]
        if arn not in live:
            live[arn] = ecs_api.describe_task_definition(ecs, arn, input_name="services")
        target = Target(name, service, live[arn]["taskDefinitionArn"], live[arn])
        if target.controller != ("CODE_DEPLOY" if code_deploy else "ECS"):
            why = {"EXTERNAL": "ECS does not deploy it: an EXTERNAL controller's task sets are managed by another tool",
                   "CODE_DEPLOY": "CodeDeploy deploys it: give codedeploy-application and codedeploy-deployment-group",
                   "ECS": "ECS deploys it: codedeploy-application and codedeploy-deployment-group are for CODE_DEPLOY "
                   "services; remove them"}.get(target.controller, "not one ecs-deploy knows")
            problems.append(InputProblem("services", name, f"its deployment controller is {target.controller}: {why}"))
        elif wait_until not in WAIT_UNTIL and target.strategy == "ROLLING":
            problems.append(InputProblem("wait-until", wait_until, f"service {name} deploys ROLLING, which has no "
                                         f"{wait_until.upper()} stage; stages need a BLUE_GREEN, LINEAR or CANARY "
                                         "service (or use completed / stable)"))
        targets.append(target)
    if problems:
        raise InputError(problems)
    return targets


def unheld(targets: list[Target], wait_until: str) -> list[str]:
    """Services whose deployment no PAUSE hook holds after `wait_until`: it goes on once the step ends."""
    if wait_until in WAIT_UNTIL:
        return []
    later = TRAFFIC_STAGES[TRAFFIC_STAGES.index(wait_until.upper()) + 1:]
    found = []
    for target in targets:
        hooks = (target.service.get("deploymentConfiguration") or {}).get("lifecycleHooks") or []
        if not any(h.get("targetType") == "PAUSE" and set(h.get("lifecycleStages") or []) & set(later)
                   for h in hooks):
            found.append(target.name)
    return found
