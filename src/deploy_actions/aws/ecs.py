"""ECS: task definitions, services, service deployments and tasks. Thin calls, errors translated once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError

SERVICES_PER_CALL = 10  # DescribeServices takes at most 10 services
DEPLOYMENTS_PER_CALL = 20  # DescribeServiceDeployments / DescribeServiceRevisions take at most 20 ARNs
TASKS_PER_CALL = 100  # DescribeTasks

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _failure(action: str, exc: Exception) -> Exception:
    return aws_failure(action, exc)


@cache
def register_shape() -> Any:
    """RegisterTaskDefinition's input shape, from botocore's model: what a definition may hold."""
    import botocore.session

    return botocore.session.get_session().get_service_model("ecs").operation_model(
        "RegisterTaskDefinition").input_shape


def validation_report(definition: dict[str, Any]) -> str:
    """botocore's own check of a RegisterTaskDefinition request ('' when it would be sent)."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(definition, register_shape())
    return str(report.generate_report()) if report.has_errors() else ""


# -- task definitions ----------------------------------------------------------------------------------

def describe_task_definition(ecs: Any, ref: str, *, input_name: str = "task-definition") -> dict[str, Any]:
    """The definition (family, family:revision or ARN) with its tags under 'tags'."""
    try:
        answer = ecs.describe_task_definition(taskDefinition=ref, include=["TAGS"])
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("ClientException", "InvalidParameterException"):
            raise InputError.single(input_name, ref, "no such task definition in this region (a family, "
                                    "family:revision or ARN); check the name and region") from None
        raise _failure(f"reading task definition {ref}", exc) from None
    definition: dict[str, Any] = dict(answer["taskDefinition"])
    if answer.get("tags"):
        definition["tags"] = answer["tags"]
    return definition


def register_task_definition(ecs: Any, definition: dict[str, Any]) -> dict[str, Any]:
    try:
        registered: dict[str, Any] = ecs.register_task_definition(**definition)["taskDefinition"]
        return registered
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("ClientException", "InvalidParameterException"):
            message = exc.response["Error"].get("Message", "") if isinstance(exc, ClientError) else str(exc)
            raise InputError.single("task-definition", definition.get("family"), "ECS refused to register the "
                                    f"rendered definition: {message}") from None
        raise _failure("registering the task definition", exc) from None


def active_revisions(ecs: Any, family: str) -> list[str]:
    """ARNs of the family's ACTIVE revisions, newest first."""
    arns: list[str] = []
    try:
        for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE",
                                                                        sort="DESC"):
            arns.extend(page.get("taskDefinitionArns", []))
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"listing the revisions of {family}", exc) from None
    # familyPrefix matches other families that start the same way ("web" finds "web-worker").
    mine = [arn for arn in arns if family_of(arn) == family]
    return sorted(mine, key=revision_of, reverse=True)


def deregister(ecs: Any, arn: str) -> None:
    try:
        ecs.deregister_task_definition(taskDefinition=arn)
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"deregistering {arn}", exc) from None


def family_of(ref: str) -> str:
    """'web' of arn:...:task-definition/web:3, web:3 or web."""
    return ref.rsplit("/", 1)[-1].split(":", 1)[0]


def revision_of(ref: str) -> int:
    tail = ref.rsplit("/", 1)[-1]
    _, sep, number = tail.rpartition(":")
    return int(number) if sep and number.isdigit() else 0


# -- services ------------------------------------------------------------------------------------------

def describe_services(ecs: Any, cluster: str, names: Sequence[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Services by the name asked for (10 per call), and the names ECS does not know (or knows INACTIVE)."""
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for batch in chunks(names, SERVICES_PER_CALL):
        try:
            answer = ecs.describe_services(cluster=cluster, services=batch)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "ClusterNotFoundException":
                raise InputError.single("cluster", cluster, "no such ECS cluster in this region; check the name "
                                        "and region") from None
            raise _failure(f"describing services of {cluster}", exc) from None
        by_key: dict[str, dict[str, Any]] = {}
        for service in answer.get("services", []):
            by_key[service["serviceName"]] = service
            by_key[service["serviceArn"]] = service
        for name in batch:
            service = by_key.get(name)
            if service is None or service.get("status") == "INACTIVE":
                missing.append(name)
            else:
                found[name] = service
    return found, missing


def service_names(ecs: Any, cluster: str) -> list[str]:
    """The cluster's service names, for a suggestion ([] when they cannot be read)."""
    names: list[str] = []
    try:
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
            names.extend(arn.rsplit("/", 1)[-1] for arn in page.get("serviceArns", []))
    except (ClientError, BotoCoreError):
        return []
    return names


def update_service(ecs: Any, cluster: str, service: str, **changes: Any) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = ecs.update_service(cluster=cluster, service=service, **changes)["service"]
        return answer
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"updating service {service}", exc) from None


def list_service_deployments(ecs: Any, cluster: str, service: str, *, created_after: Any = None,
                             statuses: Sequence[str] = ()) -> list[str]:
    query: dict[str, Any] = {"cluster": cluster, "service": service}
    if created_after is not None:
        query["createdAt"] = {"after": created_after}
    if statuses:
        query["status"] = list(statuses)
    arns: list[str] = []
    try:
        while True:
            answer = ecs.list_service_deployments(**query)
            arns.extend(d["serviceDeploymentArn"] for d in answer.get("serviceDeployments", []))
            if not answer.get("nextToken"):
                return arns
            query["nextToken"] = answer["nextToken"]
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"listing the deployments of service {service}", exc) from None


def latest_service_deployment(ecs: Any, cluster: str, service: str) -> dict[str, Any] | None:
    """The service's newest service deployment (one page read, the newest by createdAt), or None."""
    try:
        answer = ecs.list_service_deployments(cluster=cluster, service=service, maxResults=20)
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"listing the deployments of service {service}", exc) from None
    arns = [d["serviceDeploymentArn"] for d in answer.get("serviceDeployments", [])]
    found = describe_service_deployments(ecs, arns) if arns else {}
    return max(found.values(), key=lambda d: str(d.get("createdAt", "")), default=None)


def describe_service_deployments(ecs: Any, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    return _describe_in_batches(ecs.describe_service_deployments, "serviceDeployment", arns,
                                "describing service deployments")


def describe_service_revisions(ecs: Any, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    return _describe_in_batches(ecs.describe_service_revisions, "serviceRevision", arns,
                                "describing service revisions")


def _describe_in_batches(describe: Any, kind: str, arns: Sequence[str], doing: str) -> dict[str, dict[str, Any]]:
    """Describe `arns` in batches of DEPLOYMENTS_PER_CALL; `kind` names the request and answer keys
    (`<kind>Arns` asked, `<kind>s` answered, each keyed by its `<kind>Arn`)."""
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(arns, DEPLOYMENTS_PER_CALL):
        try:
            answer = describe(**{f"{kind}Arns": batch})
        except (ClientError, BotoCoreError) as exc:
            raise _failure(doing, exc) from None
        for item in answer.get(f"{kind}s", []):
            found[item[f"{kind}Arn"]] = item
    return found


def stop_service_deployment(ecs: Any, arn: str, rollback: bool) -> None:
    try:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK" if rollback else "ABORT")
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"stopping {arn}", exc) from None


def continue_service_deployment(ecs: Any, arn: str, hook_id: str, action: str = "CONTINUE") -> None:
    try:
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook_id, action=action)
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"continuing {arn}", exc) from None


# -- tasks ---------------------------------------------------------------------------------------------

def run_task(ecs: Any, **request: Any) -> dict[str, Any]:
    try:
        answer = ecs.run_task(**request)
    except (ClientError, BotoCoreError) as exc:
        raise _failure("starting the run-task task", exc) from None
    if not answer.get("tasks"):
        reasons = "; ".join(f"{f.get('arn', '')}: {f.get('reason', '')}" for f in answer.get("failures", []))
        raise _failure("starting the run-task task", RuntimeError(reasons or "ECS started no task"))
    task: dict[str, Any] = answer["tasks"][0]
    return task


def stop_task(ecs: Any, cluster: str, arn: str, reason: str) -> None:
    try:
        ecs.stop_task(cluster=cluster, task=arn, reason=reason[:255])
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"stopping task {arn}", exc) from None


def describe_tasks(ecs: Any, cluster: str, arns: Sequence[str]) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for batch in chunks(arns, TASKS_PER_CALL):
        try:
            tasks.extend(ecs.describe_tasks(cluster=cluster, tasks=batch).get("tasks", []))
        except (ClientError, BotoCoreError) as exc:
            raise _failure("describing tasks", exc) from None
    return tasks


def stopped_tasks(ecs: Any, cluster: str, service: str, limit: int = 10) -> list[dict[str, Any]]:
    """The service's most recently stopped tasks, with their stop reasons and container exit codes."""
    try:
        arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED",
                              maxResults=limit).get("taskArns", [])
    except (ClientError, BotoCoreError) as exc:
        raise _failure(f"listing the stopped tasks of {service}", exc) from None
    return describe_tasks(ecs, cluster, arns) if arns else []


def log_events(logs: Any, group: str, stream: str, limit: int = 50) -> list[str]:
    """The last lines of a log stream ([] when it does not exist)."""
    try:
        answer = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=limit, startFromHead=False)
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return []
        raise _failure(f"reading log stream {stream}", exc) from None
    return [str(event.get("message", "")) for event in answer.get("events", [])]
