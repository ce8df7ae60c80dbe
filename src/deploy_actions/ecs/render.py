"""Render a task definition: read it (a file, describe-task-definition output or console JSON), strip
what AWS fills in, apply the changes, validate, and compare with what is live."""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core.errors import InputError, InputProblem
from deploy_actions.ecs.changes import Changes, Setting

# What DescribeTaskDefinition and the console add that RegisterTaskDefinition refuses (aws-actions render
# #2/#38/#84, deploy #22/#464): stripped with a notice, never an error.
READ_ONLY_KEYS = ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
                  "registeredAt", "registeredBy", "deregisteredAt")
_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]+:\d+$")
_FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}(:\d+)?$")
# Values ECS fills in when they are left out: a definition that leaves them out is the same definition.
_CONTAINER_DEFAULTS: dict[str, Any] = {"essential": True, "cpu": 0}

SourceKind = Literal["file", "registered", "current"]


@dataclass(frozen=True)
class Source:
    """Where the definition comes from: a file (its body), a registered family/ARN, or each service's own."""

    kind: SourceKind
    text: str = ""  # the input as given
    body: dict[str, Any] = field(default_factory=dict)  # a file's definition, read-only keys stripped
    stripped: tuple[str, ...] = ()


def classify(value: str | None, *, base: Path | None = None) -> Source:
    """What the task-definition input names. A file is read here; a family or ARN is resolved later."""
    if value is None or not value.strip():
        return Source("current")
    text = value.strip()
    if _ARN.match(text):
        return Source("registered", text)
    path = Path(text) if base is None or Path(text).is_absolute() else base / text
    looks_like_file = text.endswith((".json", ".yaml", ".yml")) or "/" in text or text.startswith(".")
    if looks_like_file or path.is_file():
        if not path.is_file():
            raise InputError.single("task-definition", text, "no such file (a path is read from the working "
                                    "directory; a family, family:revision or ARN is looked up in ECS)")
        body, stripped = read_definition(path.read_text(encoding="utf-8"), text)
        return Source("file", text, body, stripped)
    if text.startswith("{"):
        body, stripped = read_definition(text, "task-definition")
        return Source("file", "(inline JSON)", body, stripped)
    if _FAMILY.match(text):
        return Source("registered", text)
    raise InputError.single("task-definition", text, "expected a file (.json, .yaml), a family, family:revision "
                            "or a task-definition ARN")


def read_definition(text: str, where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A definition from JSON or YAML; describe-task-definition's {"taskDefinition": ..., "tags": ...}
    unwrapped. Returns it without read-only keys and nulls, and the keys stripped."""
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            data = YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise InputError.single("task-definition", where, f"neither JSON nor YAML: {_first_line(exc)}") from None
    if not isinstance(data, dict):
        raise InputError.single("task-definition", where, "the file must hold one task definition (an object with "
                                "family and containerDefinitions)")
    if isinstance(data.get("taskDefinition"), dict):  # aws ecs describe-task-definition output
        tags = data.get("tags")
        data = dict(data["taskDefinition"])
        if tags:
            data["tags"] = tags
    return strip_read_only(data)


def strip_read_only(definition: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    cleaned = _without_nulls(definition)
    stripped = tuple(key for key in READ_ONLY_KEYS if key in cleaned)
    for key in stripped:
        del cleaned[key]
    if not cleaned.get("tags"):
        cleaned.pop("tags", None)
    for key in ("cpu", "memory"):  # strings in the API; files often hold numbers
        if isinstance(cleaned.get(key), int | float):
            cleaned[key] = str(cleaned[key])
    return cleaned, stripped


def _without_nulls(value: Any) -> Any:
    """Nulls dropped at every depth (render #780): RegisterTaskDefinition refuses a null where it wants a value."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -- validation ----------------------------------------------------------------------------------------

def validate(definition: dict[str, Any], where: str, *, images: bool = True) -> None:
    """Exit 2 before anything is registered: unknown keys (with the closest known one), missing family,
    containers without name or image, and whatever botocore's own request check finds."""
    problems: list[InputProblem] = []
    known = list(ecs_api.register_shape().members)
    for key in definition:
        if key not in known:
            problems.append(InputProblem("task-definition", where, f"unknown key {key!r}{_did_you_mean(key, known)}"))
    if not definition.get("family"):
        problems.append(InputProblem("task-definition", where, "no family: a task definition needs one"))
    containers = definition.get("containerDefinitions")
    if not isinstance(containers, list) or not containers:
        problems.append(InputProblem("task-definition", where, "no containerDefinitions: a task definition needs "
                                     "at least one container"))
    else:
        names: list[str] = []
        for number, container in enumerate(containers, start=1):
            if not isinstance(container, dict) or not container.get("name"):
                problems.append(InputProblem("task-definition", where, f"container #{number} has no name"))
                continue
            if container["name"] in names:
                problems.append(InputProblem("task-definition", where, f"container {container['name']} is defined "
                                             "twice"))
            names.append(container["name"])
            if images and not container.get("image"):
                problems.append(InputProblem("task-definition", where, f"container {container['name']} has no "
                                             f"image; set one with containers: {container['name']}=IMAGE"))
    if not problems and images:
        report = ecs_api.validation_report(definition)
        if report:
            problems.append(InputProblem("task-definition", where, f"not a valid task definition: {report}"))
    if problems:
        raise InputError(problems)


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_container_names(definition: dict[str, Any], changes: Changes) -> None:
    names = [c["name"] for c in definition.get("containerDefinitions", [])]
    problems = []
    for input_name, name in changes.named_containers():
        if name not in names:
            problems.append(InputProblem(input_name, name, f"no container {name!r} in task definition family "
                                         f"{definition.get('family')}{_did_you_mean(name, names)} (its containers: "
                                         f"{', '.join(names)})"))
    if problems:
        raise InputError(problems)


# -- rendering -----------------------------------------------------------------------------------------

def render(base: dict[str, Any], changes: Changes, *, region: str) -> tuple[dict[str, Any], list[str]]:
    """The base definition with the changes applied, and notices of what was done beyond the obvious."""
    check_container_names(base, changes)
    definition = copy.deepcopy(base)
    notices: list[str] = []
    for container in definition["containerDefinitions"]:
        name = container["name"]
        image = changes.images.get(name) or changes.images.get("*")
        if image:
            container["image"] = image
        for setting in _for(changes.environment, name):
            if _remove(container, "secrets", setting.name):
                notices.append(f"{name}: {setting.name} was a secret and is now a plain environment variable")
            _put(container, "environment", {"name": setting.name, "value": setting.value})
        for setting in _for(changes.secrets, name):
            if _remove(container, "environment", setting.name):
                notices.append(f"{name}: {setting.name} was a plain environment variable and is now a secret")
            _put(container, "secrets", {"name": setting.name, "valueFrom": setting.value})
        if changes.log_group:
            notice = _log_to(container, changes.log_group, region, definition["family"])
            if notice:
                notices.append(notice)
    for key, value in (("cpu", changes.cpu), ("memory", changes.memory), ("taskRoleArn", changes.task_role),
                       ("executionRoleArn", changes.execution_role)):
        if value:
            definition[key] = value
    if any(c.get("secrets") for c in definition["containerDefinitions"]) and not definition.get("executionRoleArn"):
        raise InputError.single("execution-role", None, "the containers have secrets, which ECS fetches with the "
                                "task execution role: set execution-role (or executionRoleArn in the definition)")
    return definition, notices


def _for(settings: tuple[Setting, ...], container: str) -> list[Setting]:
    return [s for s in settings if s.container in (None, container)]


def _put(container: dict[str, Any], key: str, entry: dict[str, str]) -> None:
    entries = container.setdefault(key, [])
    for index, existing in enumerate(entries):
        if existing.get("name") == entry["name"]:
            entries[index] = entry
            return
    entries.append(entry)


def _remove(container: dict[str, Any], key: str, name: str) -> bool:
    entries = container.get(key) or []
    kept = [e for e in entries if e.get("name") != name]
    if len(kept) != len(entries):
        container[key] = kept
        return True
    return False


def _log_to(container: dict[str, Any], group: str, region: str, family: str) -> str:
    current = container.get("logConfiguration")
    if current and current.get("logDriver") != "awslogs":
        return (f"{container['name']}: logs go to {current.get('logDriver')}; log-group left it so (only awslogs "
                "containers are pointed at the group)")
    options = dict((current or {}).get("options") or {})
    options["awslogs-group"] = group
    options["awslogs-region"] = region
    options.setdefault("awslogs-stream-prefix", family)
    container["logConfiguration"] = {**(current or {}), "logDriver": "awslogs", "options": options}
    return ""


# -- comparing -----------------------------------------------------------------------------------------

def comparable(definition: dict[str, Any]) -> Any:
    """The definition as ECS would hold it: read-only keys, nulls, empty lists and ECS's defaults dropped,
    tags and name/value lists in a stable order, sizes as strings."""
    cleaned, _ = strip_read_only(definition)

    def tidy(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: tidy(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if v not in ([], {}, None)}
        if isinstance(value, list):
            return [tidy(v) for v in value]
        return value

    result = tidy(cleaned)
    for key in ("cpu", "memory"):
        if key in result:
            result[key] = str(result[key])
    for container in result.get("containerDefinitions", []):
        for key, default in _CONTAINER_DEFAULTS.items():
            if container.get(key) == default:
                del container[key]
        for key in ("environment", "secrets"):
            if key in container:
                container[key] = sorted(container[key], key=lambda e: str(e.get("name")))
        for mapping in container.get("portMappings", []):
            if mapping.get("protocol") == "tcp":
                del mapping["protocol"]
    if "tags" in result:
        result["tags"] = sorted(result["tags"], key=lambda t: str(t.get("key")))
    return result


def same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return bool(comparable(one) == comparable(other))


def diff(live: dict[str, Any] | None, rendered: dict[str, Any], live_name: str) -> str:
    """A unified diff of the live definition against the rendered one, as people read JSON."""
    before = json.dumps(comparable(live), indent=2, sort_keys=True).splitlines() if live else []
    after = json.dumps(comparable(rendered), indent=2, sort_keys=True).splitlines()
    lines = difflib.unified_diff(before, after, fromfile=live_name, tofile="rendered", lineterm="")
    return "\n".join(lines)


def pretty(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2)
