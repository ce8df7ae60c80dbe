"""The rolling scheduler (deploymentController ECS, strategy ROLLING): new tasks start while the total
stays within maximumPercent, older tasks stop while the tasks serving stay at minimumHealthyPercent;
the rollout completes when the PRIMARY's tasks are healthy and every older task is stopped (after the
alarms' bake time). A failed rollout rolls back to the last COMPLETED service revision."""

from __future__ import annotations

import math

from moto.core.utils import utcnow

from deploy_actions.emulator.ecs import events, model
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, Task
from deploy_actions.emulator.ecs.rollouts import complete
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle


class Rolling:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle) -> None:
        self.state, self.lifecycle = state, lifecycle

    def step(self, run: ServiceRun, primary: Deployment, sd: ServiceDeployment, now: float, actions: list[Action],
             health: dict[Task, str]) -> None:
        """`sd`: the service deployment the step began with; `health`: the scheduler's view of each task."""
        desired = int(run.service.desired_count)
        # scale
        maximum = math.floor(desired * int(run.configuration.get("maximumPercent", 200)) / 100)
        minimum = math.ceil(desired * int(run.configuration.get("minimumHealthyPercent", 100)) / 100)
        alive = sum(len(d.alive()) for d in run.deployments)
        launching = primary.rollout_state != "FAILED"
        need = desired - len(primary.alive())
        if launching and need > 0 and now >= run.backoff_until:
            count = min(need, max(maximum - alive, 0))
            if count == 0 and alive == 0:
                count = min(need, max(desired, 1))
            self.lifecycle.start_for(run, primary, count, now)
        elif need < 0:
            extra = sorted(primary.alive(), key=lambda t: health.get(t) == "healthy")[:-need]
            for task in extra:
                self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {primary.id})",
                                    "ServiceSchedulerInitiated", now, actions, run)
            if extra:
                run.event(events.tasks_stopped(run.name, extra))
        # Older tasks serving (healthy, or running and still in their health checks) count toward the
        # minimum; new tasks count once healthy. Older tasks that serve nothing go at once.
        def serving(task: Task, older: bool) -> bool:
            return health.get(task) == "healthy" or (older and task.last_status == "RUNNING"
                                                      and health.get(task) == "pending")

        healthy = sum(1 for i, d in enumerate(run.deployments) for t in d.alive() if serving(t, i > 0))
        stopped: list[Task] = []
        for deployment in run.deployments[1:]:
            for task in deployment.alive():
                if serving(task, True):
                    if healthy - 1 < minimum:
                        continue
                    healthy -= 1
                self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {primary.id})",
                                    "ServiceSchedulerInitiated", now, actions, run)
                stopped.append(task)
        if stopped:
            run.event(events.tasks_stopped(run.name, stopped))
        run.target_events()
        # completion: the primary's tasks healthy, every older task stopped
        primary_healthy = sum(1 for t in primary.alive() if health.get(t) == "healthy")
        steady = (primary.rollout_state == "IN_PROGRESS" and primary_healthy == desired
                  and len(primary.alive()) == desired
                  and not any(t.last_status != "STOPPED" for d in run.deployments[1:] for t in d.tasks))
        if steady and sd.alarms_status == "MONITORING" and not primary.rollback:
            if run.bake_until is None:
                run.bake_until = now + run.alarm_bake
            steady = now >= run.bake_until
        if steady:
            complete(run, primary)

    def roll_back(self, run: ServiceRun, reason: str) -> None:
        """A rollback deployment of the last COMPLETED revision; its tasks still running are its own."""
        failed = run.deployments[0]
        sd = failed.service_deployment
        target = run.last_completed
        assert target is not None
        sd.set_status(model.ROLLBACK_IN_PROGRESS)
        sd.rollback = {"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": target}
        task_definition = self.state.revisions[target]["taskDefinition"]
        for deployment in run.deployments:
            deployment.status = "ACTIVE"
        rollback = Deployment(model.deployment_id(), task_definition, target, int(run.service.desired_count),
                              run.service.launch_type,
                              getattr(run.service, "network_configuration", None) or None, sd, rollback=True)
        # The tasks still running the revision rolled back to are the rollback deployment's own.
        for deployment in [d for d in run.deployments if d.revision == target]:
            rollback.tasks.extend(deployment.tasks)
            run.deployments.remove(deployment)
        for task in rollback.tasks:
            task.deployment = rollback.id
        run.deployments.insert(0, rollback)
        run.service.task_definition = task_definition
        run.bake_until, run.launch_failures, run.backoff_until = None, 0, 0.0
        run.event(events.rolling_back(run.name, failed.id, rollback.id))
