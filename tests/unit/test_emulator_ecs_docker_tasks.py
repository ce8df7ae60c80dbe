"""The ECS engine's Docker tasks, with `docker` stood in for: what a container poll or a finished
`docker run` does to a task's record and its target groups. (Over HTTP with a real Docker engine
these races cannot be staged reliably; tests/integration/emulator/test_ecs_docker.py runs the real thing.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.ecs import docker_tasks
from deploy_actions.emulator.ecs.engine import EcsEngine
from deploy_actions.emulator.ecs.model import Task
from deploy_actions.emulator.ecs.service_run import ServiceRun

GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"


class Elbv2:
    """The emulator's ELB as the engine calls it: each call recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def deregister_targets(self, **params: Any) -> None:
        self.calls.append(("deregister_targets", params))

    def register_targets(self, **params: Any) -> None:
        self.calls.append(("register_targets", params))


class Container:
    """A `DockerContainer` whose `docker inspect` answers `state`."""

    def __init__(self, *_: Any, **__: Any) -> None:
        self.state: tuple[str, int | None, str | None] = ("running", None, None)
        self.error: str | None = None
        self.stopped = self.removed = 0

    def start(self) -> None:
        pass

    def status(self) -> tuple[str, int | None, str | None]:
        return self.state

    def stop(self, grace: int = 10) -> int | None:
        self.stopped += 1
        return 143

    def logs(self) -> list[tuple[int, str]]:
        return []

    def remove(self) -> None:
        self.removed += 1


@pytest.fixture
def engine() -> Iterator[EcsEngine]:
    elbv2 = Elbv2()
    found = EcsEngine("123456789012", "us-east-1", Clock(600), SimpleNamespace(), lambda service: elbv2)
    found.docker_host.network = lambda: None  # type: ignore[method-assign]
    found.docker_host.pull_config = lambda: None  # type: ignore[method-assign]
    yield found
    found.docker_host.close()


def _queue(engine: EcsEngine) -> list[Callable[[], None]]:
    """Docker's work runs when the test says (`docker` takes seconds on the engine's pool)."""
    work: list[Callable[[], None]] = []
    engine.docker_host.submit = work.append  # type: ignore[method-assign,assignment]
    return work


def _service_task(engine: EcsEngine) -> Task:
    service = SimpleNamespace(name="web", arn="arn:aws:ecs:us-east-1:123456789012:service/main/web",
                              deployment_controller=None, load_balancers=[])
    engine.runs[service.arn] = ServiceRun(service, {})
    definition = SimpleNamespace(arn="arn:aws:ecs:us-east-1:123456789012:task-definition/web:1", family="web",
                                 revision=1, cpu="256", memory="512", container_definitions=[
                                     {"name": "web", "image": "127.0.0.1:5000/web:1", "essential": True,
                                      "portMappings": [{"containerPort": 8000}]}])
    return engine.lifecycle.new_task("arn:aws:ecs:us-east-1:123456789012:cluster/main", "main", definition,
                                     "service:web", "ecs-svc/1", "FARGATE", {}, engine.clock.monotonic(),
                                     service_arn=service.arn, deployment="ecs-svc/1")


def _elbv2(engine: EcsEngine) -> Elbv2:
    found: Elbv2 = engine.client("elbv2")
    return found


@pytest.mark.parametrize("state", [("exited", 1, None), ("running", None, "unhealthy")], ids=["exited", "unhealthy"])
def test_a_poll_that_stops_a_task_leaves_its_deregistration_to_the_next_tick(
        engine: EcsEngine, state: tuple[str, int | None, str | None]) -> None:
    """The poll runs on a pool thread under the engine's lock: calling the ELB there would hold every
    other service's step while the call runs."""
    task = _service_task(engine)
    container = Container()
    container.state = state
    task.docker, task.last_status, task.registered = container, "RUNNING", [GROUP]  # type: ignore[assignment]
    work = _queue(engine)

    engine.docker_tasks.poll(task)
    while work:
        work.pop(0)()

    assert task.desired_status == "STOPPED" and task.stop_code in ("EssentialContainerExited", "TaskFailedToStart")
    assert _elbv2(engine).calls == []
    engine.tick()
    assert [name for name, _ in _elbv2(engine).calls] == ["deregister_targets"]


@pytest.mark.parametrize("error", [None, "CannotPullContainerError: not found"], ids=["started", "failed"])
def test_a_task_stopped_while_its_docker_run_is_under_way_is_finished_once(
        engine: EcsEngine, monkeypatch: pytest.MonkeyPatch, error: str | None) -> None:
    containers: list[Container] = []

    def container(*_: Any, **__: Any) -> Container:
        containers.append(Container())
        containers[-1].error = error
        return containers[-1]
    monkeypatch.setattr(docker_tasks, "DockerContainer", container)
    task = _service_task(engine)
    task.last_status = "PENDING"
    work = _queue(engine)
    engine.docker_tasks.start(task)  # `docker run` submitted, not yet answered
    finished: list[tuple[Any, int]] = []
    finish = engine.lifecycle.finish

    def recorded(found: Task) -> None:
        finish(found)
        finished.append((found.stopped_at, found.version))
    monkeypatch.setattr(engine.lifecycle, "finish", recorded)

    engine.lifecycle.stop_task(task, "Task stopped by user")
    engine.task_steps.step_all(engine.clock.monotonic() + 3600, [])  # ticks while docker run still runs
    work.pop(0)()  # docker run answers: the container is up
    while work:
        work.pop(0)()

    assert task.last_status == "STOPPED" and task.stopped_reason == "Task stopped by user"
    assert finished == [(task.stopped_at, task.version)]  # STOPPED once: stoppedAt and version not rewritten
    assert task.stop_code == "UserInitiated"
    assert (containers[0].stopped, containers[0].removed) == (0 if error else 1, 1)  # whatever it started is gone
