"""ECS task operations answered by the emulator's ECS engine: RunTask, DescribeTasks, ListTasks,
StopTask. Tasks move PROVISIONING → PENDING → RUNNING → (DEACTIVATING →) STOPPING → STOPPED with
exit codes, stopCode and stoppedReason (see `tasks.py` for what decides their fate).
Each function becomes a method of moto's `EC2ContainerServiceResponse` (see `extensions.py`).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import responses as moto_responses

from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs.engine import EcsEngine
from deploy_actions.emulator.ecs.model import Task

Handler = Any
_moto = moto_responses.EC2ContainerServiceResponse
_moto_run_task = _moto.run_task
_moto_describe_tasks = _moto.describe_tasks
_moto_list_tasks = _moto.list_tasks
_moto_stop_task = _moto.stop_task


def run_task(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_run_task(self)
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    definition = backend.describe_task_definition(self._get_param("taskDefinition"))
    launch_type = self._get_param("launchType") or ""
    strategy = self._get_param("capacityProviderStrategy") or cluster.default_capacity_provider_strategy or []
    if not launch_type:
        launch_type = "FARGATE" if strategy and strategy[0].get("capacityProvider", "").startswith("FARGATE") \
            else "EC2"
    if definition.network_mode == "awsvpc" and not self._get_param("networkConfiguration"):
        raise AwsError("InvalidParameterException",
                       "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    count = int(self._get_param("count") or 1)
    if not 1 <= count <= 10:
        raise AwsError("InvalidParameterException", "count must be between 1 and 10.")
    with engine.lock:  # answered as created (PROVISIONING), before the engine moves them on
        tasks = engine.lifecycle.run_task(cluster, definition, count, group=self._get_param("group"),
                                started_by=self._get_param("startedBy") or "", launch_type=launch_type,
                                overrides=self._get_param("overrides") or {}, tags=self._get_param("tags") or [])
        return ActionResult({"tasks": [t.as_api() for t in tasks], "failures": []})


def _find(engine: EcsEngine, cluster_arn: str, reference: str) -> Task | None:
    task = engine.tasks.get(reference)
    if task is None:
        task_id = reference.rsplit("/", 1)[-1]
        task = next((t for t in engine.tasks.values() if t.id == task_id), None)
    if task is None or task.cluster_arn != cluster_arn:
        return None
    return task


def describe_tasks(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_describe_tasks(self)
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
    references = self._get_param("tasks") or []
    if not references:
        raise AwsError("InvalidParameterException", "Tasks cannot be empty.")
    if len(references) > 100:
        raise AwsError("InvalidParameterException", "Too many tasks: at most 100.")
    include = self._get_param("include") or []
    found, failures = [], []
    with engine.lock:
        for reference in references:
            task = _find(engine, cluster.arn, reference)
            if task is None:
                failures.append({"arn": reference, "reason": "MISSING"})
                continue
            described = task.as_api()
            if "TAGS" not in include:
                described.pop("tags", None)
            found.append(described)
    return ActionResult({"tasks": found, "failures": failures})


def list_tasks(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_list_tasks(self)
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
    family = self._get_param("family")
    service_name = self._get_param("serviceName")
    started_by = self._get_param("startedBy")
    desired = self._get_param("desiredStatus") or "RUNNING"
    launch_type = self._get_param("launchType")
    with engine.lock:
        arns = [t.arn for t in engine.tasks.values() if t.cluster_arn == cluster.arn
                and t.desired_status == desired
                and (not family or t.definition.family == family)
                and (not service_name or t.group == f"service:{service_name.split('/')[-1]}")
                and (not started_by or t.started_by == started_by)
                and (not launch_type or t.launch_type == launch_type)]
    return ActionResult({"taskArns": arns})


def stop_task(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_stop_task(self)
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
    reference = self._get_param("task")
    with engine.lock:
        task = _find(engine, cluster.arn, str(reference or ""))
    if task is None:
        raise AwsError("InvalidParameterException", "The referenced task was not found.")
    engine.lifecycle.stop_task(task, self._get_param("reason") or "Task stopped by user")
    with engine.lock:
        return ActionResult({"task": task.as_api()})


HANDLERS = {
    "run_task": run_task,
    "describe_tasks": describe_tasks,
    "list_tasks": list_tasks,
    "stop_task": stop_task,
}
