"""A native blue/green, linear or canary rollout driven through its stages (`bluegreen.STAGES`): green
scaled up, test then production traffic moved by listener-rule rewrites, the bake time, blue's tasks
stopped; each stage waits for its lifecycle hooks. Shifting back sends all traffic to blue at once
and stops green's tasks. (The records and the listener rewrite are `bluegreen`'s.)"""

from __future__ import annotations

from moto.core.utils import utcnow

from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs import bluegreen, events, model
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, Task
from deploy_actions.emulator.ecs.rollouts import complete
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle


class BlueGreenRollout:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle) -> None:
        self.state, self.lifecycle = state, lifecycle

    def _weights(self, run: ServiceRun, green: Deployment, test: float | None, production: float | None,
                 actions: list[Action]) -> None:
        shift = green.shift
        assert shift is not None
        sd = green.service_deployment
        elbv2 = self.state.client("elbv2")

        def rewrite(rule: str, percent: float) -> Action:
            shift.rewrites += 1  # the stage waits for the listener to follow

            def run() -> None:
                try:
                    bluegreen.set_weights(elbv2, rule, shift.blue_group, shift.green_group, percent)
                finally:
                    with self.state.lock:
                        shift.rewrites -= 1
            return run

        if test is not None and shift.test_rule:
            shift.test_weight = test
            actions.append(rewrite(shift.test_rule, test))
        if production is not None:
            shift.production_weight = production
            actions.append(rewrite(shift.production_rule, production))
        for arn in sd.weights:
            mine = arn == green.revision
            sd.weights[arn] = ((shift.test_weight if mine else 100 - shift.test_weight),
                               (shift.production_weight if mine else 100 - shift.production_weight))

    def step(self, run: ServiceRun, green: Deployment, now: float, actions: list[Action],
             health: dict[Task, str]) -> bluegreen.HookRun | None:
        """As many stages as are ready now; the hook run that failed (or timed out to a rollback), if one did."""
        shift = green.shift
        assert shift is not None
        sd = green.service_deployment
        for _ in range(len(bluegreen.STAGES) + len(shift.steps) * 2):  # as many stages as are ready now
            if (shift.wait_until is not None and now < shift.wait_until) or shift.rewrites:
                return None
            stage = shift.stage
            if not shift.entered:
                shift.entered, shift.wait_until = True, None
                sd.lifecycle_stage, sd.updated_at = stage, utcnow()
                shift.start_hooks(now, self.state.clock.real)
                if stage == "TEST_TRAFFIC_SHIFT":
                    self._weights(run, green, 100.0, None, actions)
                elif stage == "PRODUCTION_TRAFFIC_SHIFT":
                    self._weights(run, green, None, shift.steps[shift.step], actions)
                    if shift.step + 1 < len(shift.steps):
                        shift.wait_until = now + shift.step_bake
                elif stage == "BAKE_TIME":
                    shift.wait_until = now + shift.bake
                elif stage == "CLEAN_UP":
                    for blue in run.deployments[1:]:
                        for task in blue.alive():
                            self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {green.id})",
                                                "ServiceSchedulerInitiated", now, actions, run)
                continue
            settled = shift.settle_hooks(now)
            if settled == "rollback":
                return next(r for r in shift.runs if r.stage == stage and r.status in ("FAILED", "TIMED_OUT"))
            if settled is None:
                return None
            if stage == "SCALE_UP":
                need = green.desired - len(green.alive())
                if need > 0 and now >= run.backoff_until:
                    self.lifecycle.start_for(run, green, need, now)
                if sum(1 for t in green.alive() if health.get(t) == "healthy") < green.desired:
                    return None
            if stage == "CLEAN_UP":
                if any(t.last_status != "STOPPED" for d in run.deployments[1:] for t in d.tasks):
                    return None
                complete(run, green)
                return None
            shift.next_stage()
        return None

    def shift_back(self, run: ServiceRun, reason: str) -> None:
        """A blue/green rollback: traffic back to blue at once, the green tasks stopped; blue is PRIMARY again."""
        green = run.deployments[0]
        shift, sd = green.shift, green.service_deployment
        assert shift is not None
        blue = next((d for d in run.deployments[1:] if d.alive()), next(iter(run.deployments[1:]), None))
        sd.set_status(model.ROLLBACK_IN_PROGRESS)
        sd.rollback = {"reason": reason, "startedAt": utcnow(),
                       "serviceRevisionArn": blue.revision if blue is not None else green.revision}
        green.status = "ACTIVE"
        if blue is not None:
            run.deployments.remove(blue)
            run.deployments.insert(0, blue)
            blue.status = "PRIMARY"
            # blue now carries this service deployment's rollback (a blue whose own rollout never completed
            # completes as the rollback, not as the service deployment a newer one stopped)
            blue.service_deployment, blue.rollback = sd, True
            run.service.task_definition = blue.task_definition
            run.event(events.rolling_back(run.name, green.id, blue.id))
        actions: list[Action] = []
        self._weights(run, green, 0.0, 0.0, actions)
        run.pending_actions.extend(actions)
        now = self.state.clock.monotonic()
        for task in green.alive():
            self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {green.id})",
                                "ServiceSchedulerInitiated", now, run.pending_actions, run)

    def step_shift_back(self, run: ServiceRun, sd: ServiceDeployment, actions: list[Action]) -> None:
        """The listener rewrites and deregistrations queued by `shift_back`; done once green's tasks stopped."""
        actions.extend(run.pending_actions)
        run.pending_actions.clear()
        green = next((d for d in run.deployments if d.shift is not None and d.shift is sd.shift), None)
        if green is None or all(t.last_status == "STOPPED" for t in green.tasks):
            sd.set_status(model.ROLLBACK_SUCCESSFUL)
            if green is not None:
                run.deployments.remove(green)
            run.event(events.steady_state(run.name))

    def continue_deployment(self, arn: str, hook_id: str | None, action: str) -> None:
        """ContinueServiceDeployment: the PAUSE hooks awaiting action succeed (CONTINUE) or fail (ROLLBACK)."""
        with self.state.lock:
            sd = self.state.service_deployments.get(arn)
            if sd is None:
                raise AwsError("ServiceDeploymentNotFoundException", f"Service deployment {arn} was not found.")
            waiting = [r for r in (sd.shift.runs if sd.shift else []) if r.status == "AWAITING_ACTION"
                       and (not hook_id or r.id == hook_id)]
            if not waiting or sd.status != model.IN_PROGRESS:
                raise AwsError("InvalidParameterException",
                               "The service deployment is not waiting at a lifecycle hook with this hookId.")
            for hook_run in waiting:
                hook_run.status = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
