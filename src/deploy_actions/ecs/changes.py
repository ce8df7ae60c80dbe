"""What the user asked to change in a task definition: the containers, environment, secrets, log-group,
size and role inputs, parsed and checked before any AWS call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deploy_actions.core.errors import InputError, InputProblem

_CONTAINER = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_IMAGE = re.compile(r"^\S+$")
_SECRET_SOURCE = re.compile(r"^(arn:aws[a-z-]*:(ssm|secretsmanager):\S+|/?[A-Za-z0-9_.\-/]+)$")
_ROLE = re.compile(r"^(arn:aws[a-z-]*:iam::\d{12}:role/\S+|[\w+=,.@/-]{1,64})$")
_SIZE = re.compile(r"^(\d+|\d+(\.\d+)? ?(vCPU|vcpu|GB|gb))$")


@dataclass(frozen=True)
class Setting:
    """One environment variable or secret: for one container, or for all (container None)."""

    container: str | None
    name: str
    value: str
    line: int


@dataclass(frozen=True)
class Changes:
    images: dict[str, str] = field(default_factory=dict)  # container name, or "*" for all -> image
    environment: tuple[Setting, ...] = ()
    secrets: tuple[Setting, ...] = ()
    log_group: str | None = None
    cpu: str | None = None
    memory: str | None = None
    task_role: str | None = None
    execution_role: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.images or self.environment or self.secrets or self.log_group or self.cpu
                    or self.memory or self.task_role or self.execution_role)

    def named_containers(self) -> list[tuple[str, str]]:
        """(input, container) for every container the inputs name, to check against the definition."""
        named = [("containers", name) for name in self.images if name != "*"]
        named += [("environment-variables", s.container) for s in self.environment if s.container]
        named += [("secrets", s.container) for s in self.secrets if s.container]
        return named


def parse_changes(*, containers: list[str], environment: list[str], secrets: list[str], log_group: str | None,
                  cpu: str | None, memory: str | None, task_role: str | None,
                  execution_role: str | None) -> Changes:
    """Every problem at once, each naming its input; environment and secret values are never quoted."""
    problems: list[InputProblem] = []
    images: dict[str, str] = {}
    for line in containers:
        name, sep, image = (part.strip() for part in line.partition("="))
        if not sep or not name or not image:
            problems.append(InputProblem("containers", line, "write each line as CONTAINER=IMAGE, or *=IMAGE for "
                                         "every container"))
        elif name != "*" and not _CONTAINER.match(name):
            problems.append(InputProblem("containers", line, "a container name is letters, digits, '-' and '_'"))
        elif not _IMAGE.match(image):
            problems.append(InputProblem("containers", line, "an image has no spaces (repository:tag or "
                                         "repository@sha256:digest)"))
        elif name in images:
            problems.append(InputProblem("containers", line, f"container {name} is named twice"))
        else:
            images[name] = image
    if "*" in images and len(images) > 1:
        problems.append(InputProblem("containers", "*=" + images["*"], "*=IMAGE sets every container: give it "
                                     "alone, or name each container"))
    env = _settings("environment-variables", environment, problems, _check_env_value)
    secret_settings = _settings("secrets", secrets, problems, _check_secret_source)
    for input_name, value, pattern, help_text in (
            ("cpu", cpu, _SIZE, "CPU units such as 256 or 1024, or 1 vCPU"),
            ("memory", memory, _SIZE, "MiB such as 512 or 2048, or 2 GB"),
            ("task-role", task_role, _ROLE, "an IAM role ARN (arn:aws:iam::123456789012:role/name) or name"),
            ("execution-role", execution_role, _ROLE, "an IAM role ARN or name")):
        if value is not None and not pattern.match(value.strip()):
            problems.append(InputProblem(input_name, value, f"expected {help_text}"))
    if log_group is not None and not re.match(r"^[\w#./-]{1,512}$", log_group.strip()):
        problems.append(InputProblem("log-group", log_group, "a log group name is letters, digits and _-./#"))
    if problems:
        raise InputError(problems)
    return Changes(images=images, environment=tuple(env), secrets=tuple(secret_settings),
                   log_group=_blank(log_group), cpu=_blank(cpu), memory=_blank(memory), task_role=_blank(task_role),
                   execution_role=_blank(execution_role))


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _check_env_value(_: str) -> str:
    return ""


def _check_secret_source(value: str) -> str:
    if not _SECRET_SOURCE.match(value):
        return "the value must be a Secrets Manager or SSM parameter ARN (or a parameter name in this region)"
    return ""


def _settings(input_name: str, lines: list[str], problems: list[InputProblem],
              check_value: object) -> list[Setting]:
    found: list[Setting] = []
    seen: set[tuple[str | None, str]] = set()
    for number, line in enumerate(lines, start=1):
        key, sep, value = line.partition("=")
        key = key.strip()
        container, colon, name = key.rpartition(":")
        target = container.strip() if colon else None
        name = name.strip()
        where = f"line {number}"
        if not sep or not name:
            problems.append(InputProblem(input_name, None, f"{where}: write NAME=VALUE, or CONTAINER:NAME=VALUE for "
                                         "one container", hidden=True))
            continue
        if colon and not (target and _CONTAINER.match(target)):
            problems.append(InputProblem(input_name, None, f"{where}: the container before ':' is letters, digits, "
                                         "'-' and '_'", hidden=True))
            continue
        if not _ENV_NAME.match(name):
            problems.append(InputProblem(input_name, None, f"{where}: the name {name!r} must be letters, digits, "
                                         "'_', '.' and '-', not starting with a digit", hidden=True))
            continue
        assert callable(check_value)
        complaint = check_value(value.strip())
        if complaint:
            problems.append(InputProblem(input_name, None, f"{where} ({name}): {complaint}", hidden=True))
            continue
        if (target, name) in seen:
            problems.append(InputProblem(input_name, None, f"{where}: {name} is set twice", hidden=True))
            continue
        seen.add((target, name))
        found.append(Setting(target, name, value.strip() if input_name == "secrets" else value, number))
    return found
