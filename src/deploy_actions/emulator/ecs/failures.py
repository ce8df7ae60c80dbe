"""How a rollout ends before it completes: tasks that failed on their own counted (the circuit
breaker's failureCount, the launch throttle), the circuit breaker or an alarm tripped, a lifecycle
hook failed, or StopServiceDeployment asked — then rolled back (to the last COMPLETED revision, or
traffic shifted back to blue) or stopped."""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.ecs import bluegreen, events, model
from deploy_actions.emulator.ecs.bluegreen_rollout import BlueGreenRollout
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment
from deploy_actions.emulator.ecs.rolling import Rolling
from deploy_actions.emulator.ecs.service_run import ServiceRun


class Failures:
    def __init__(self, rolling: Rolling, blue_green: BlueGreenRollout) -> None:
        self.rolling, self.blue_green = rolling, blue_green

    def count_failed_tasks(self, run: ServiceRun, primary: Deployment, sd: ServiceDeployment, now: float) -> None:
        """Tasks that failed on their own since the last step."""
        for deployment in run.deployments:
            for task in deployment.tasks:
                if task.failed and not task.counted:
                    task.counted = True
                    deployment.failed_tasks += 1
                    deployment.updated_at = utcnow()
                    if deployment is primary:
                        run.launch_failed(now)
                        if primary.rollout_state == "IN_PROGRESS" and not primary.rollback:
                            sd.failure_count += 1

    def detect(self, run: ServiceRun, primary: Deployment, sd: ServiceDeployment, breaker: dict[str, Any]) -> None:
        """The circuit breaker's threshold reached, or a deployment alarm in ALARM."""
        if primary.rollout_state == "IN_PROGRESS" and breaker.get("enable") and sd.threshold \
                and sd.failure_count >= sd.threshold and not primary.rollback:
            sd.breaker_status = "TRIGGERED"
            self.fail(run, "tasks failed to start", "ECS deployment circuit breaker: tasks failed to start.",
                      bool(breaker.get("rollback")))
            primary = run.deployments[0]
        if sd.triggered_alarms and primary.rollout_state == "IN_PROGRESS" and not primary.rollback \
                and sd.alarms_status == "MONITORING":
            sd.alarms_status = "TRIGGERED"
            names = ", ".join(sd.triggered_alarms)
            self.fail(run, "alarm detected", f"ECS deployment {primary.id} failed: alarm(s) [{names}] in ALARM state.",
                      bool((run.configuration.get("alarms") or {}).get("rollback")))

    def hook_failed(self, run: ServiceRun, green: Deployment, failed: bluegreen.HookRun) -> None:
        self.fail(run, f"lifecycle hook {failed.id} at {failed.stage} {failed.status.lower()}",
                  f"ECS deployment {green.id} failed: lifecycle hook {failed.status.lower()}.", True)

    def fail(self, run: ServiceRun, why: str, rollout_reason: str, rollback: bool) -> None:
        primary = run.deployments[0]
        sd = primary.service_deployment
        primary.rollout_state, primary.rollout_reason, primary.updated_at = "FAILED", rollout_reason, utcnow()
        run.event(events.deployment_failed(run.name, primary.id, why))
        if primary.rollback:
            sd.set_status(model.ROLLBACK_FAILED, f"Rollback failed: {why}.")
        elif primary.shift is not None:
            self.blue_green.shift_back(run, f"Service deployment rolled back because {why}.")
        elif rollback and run.last_completed is not None:
            self.rolling.roll_back(run, f"Service deployment rolled back because {why}.")
        else:
            sd.set_status(model.STOPPED, f"Service deployment failed: {why}.")

    def carry_out_request(self, run: ServiceRun) -> None:
        """StopServiceDeployment's ROLLBACK (rolled back, or shifted back to blue) or ABORT (stopped, the
        service's tasks left as they are)."""
        primary = run.deployments[0]
        sd = primary.service_deployment
        requested, run.requested = run.requested, None
        if sd is not run.current or sd.status not in (model.ROLLBACK_REQUESTED, model.STOP_REQUESTED):
            return
        primary.updated_at = utcnow()
        if requested == "ROLLBACK" and (run.last_completed is not None or primary.shift is not None):
            primary.rollout_state = "FAILED"
            primary.rollout_reason = f"ECS deployment {primary.id} stopped: rollback requested."
            if sd.breaker_status == "MONITORING":
                sd.breaker_status = "MONITORING_COMPLETE"
            if sd.alarms_status == "MONITORING":
                sd.alarms_status = "MONITORING_COMPLETE"
            if primary.shift is not None:
                self.blue_green.shift_back(run, "Service deployment rolled back by StopServiceDeployment.")
            else:
                self.rolling.roll_back(run, "Service deployment rolled back by StopServiceDeployment.")
        else:
            primary.rollout_state = "FAILED"
            primary.rollout_reason = f"ECS deployment {primary.id} stopped."
            sd.set_status(model.STOPPED, "Service deployment stopped by StopServiceDeployment (ABORT).")
            run.frozen = True
