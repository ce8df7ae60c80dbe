"""Tasks that run their real image under Docker: the container started off the engine's thread, then
watched (`docker inspect` every DOCKER_POLL real seconds) for its health check and its exit."""

from __future__ import annotations

import time

from deploy_actions.emulator.ecs import task_logs
from deploy_actions.emulator.ecs.docker_host import DockerHost
from deploy_actions.emulator.ecs.model import Task
from deploy_actions.emulator.ecs.service_run import Action
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle
from deploy_actions.emulator.ecs.tasks import DockerContainer

DOCKER_POLL = 0.5  # real seconds between `docker inspect`s of a running container


class DockerTasks:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle, docker: DockerHost) -> None:
        self.state, self.lifecycle, self.docker = state, lifecycle, docker
        self._next_poll: dict[Task, float] = {}
        self.pending_stop_actions: list[Action] = []  # from Docker polls, run by the next tick

    def start(self, task: Task) -> None:
        overrides = task.container_overrides
        task.starting = True
        state = self.state

        def start() -> None:
            network = self.docker.network()
            if network is None:
                task.ip = "127.0.0.1"
            container = DockerContainer(f"ecs-{task.id}", str(task.container.get("image", "")), task.ip, task.port,
                                        task.container, overrides, network, self.docker.pull_config(),
                                        state.clock.real)
            container.start()
            if container.error:
                container.remove()  # (docker takes seconds: not under the engine's lock)
            with state.lock:
                task.starting = False
                now = state.clock.monotonic()
                if container.error:
                    if not task.alive:  # stopped while it started: STOPPED now
                        self.lifecycle.finish(task)
                        return
                    task.container_reason = container.error
                    self.lifecycle.stop(task, container.error, "TaskFailedToStart", now, self.pending_stop_actions,
                                        state.runs.get(task.service_arn or ""), failed=True)
                    return
                task.docker = container
                if not task.alive:  # stopped while it started: STOPPED once its container is stopped
                    self.lifecycle.finish(task)
                    return
                self.lifecycle.running(task, now)

        self.docker.submit(start)

    def poll(self, task: Task) -> None:
        real = time.monotonic()
        if self._next_poll.get(task, 0) > real:
            return
        self._next_poll[task] = real + DOCKER_POLL * 20  # until this poll answers
        container = task.docker
        assert container is not None
        state = self.state

        def poll() -> None:
            status, code, health = container.status()
            with state.lock:
                self._next_poll[task] = time.monotonic() + DOCKER_POLL
                # A stopped task's deregistrations wait for the next tick (run outside the lock, as every
                # other ELB call): this thread holds the lock that every service's step needs.
                if health is not None and task.alive and task.docker is container:
                    task.health_status = {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY"}.get(health, "UNKNOWN")
                    if health == "unhealthy":
                        self.lifecycle.stop(task, "Task failed container health checks", "TaskFailedToStart",
                                            state.clock.monotonic(), self.pending_stop_actions,
                                            state.runs.get(task.service_arn or ""), failed=True)
                if status in ("exited", "dead", "missing") and task.alive and task.docker is container:
                    self.lifecycle.exited(task, code if code is not None else 137, state.clock.monotonic(),
                                          self.pending_stop_actions, state.runs.get(task.service_arn or ""))
                    task.docker = None

                    def gone() -> None:
                        task_logs.ship_container_logs(task, container, state.region, state.account)
                        container.remove()
                    self.docker.submit(gone)
                    self.lifecycle.finish(task)

        self.docker.submit(poll)
