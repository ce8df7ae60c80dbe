"""The deployment alarms of a rolling rollout under monitoring: CloudWatch asked every ALARM_POLL real
seconds (outside the engine's lock); an alarm in ALARM fails the rollout at the service's next step,
and the alarms' period sets the bake time before completion."""

from __future__ import annotations

import logging
import time
from typing import Any

from deploy_actions.emulator.ecs.model import ServiceDeployment
from deploy_actions.emulator.ecs.service_run import DEFAULT_ALARM_BAKE, ServiceRun
from deploy_actions.emulator.ecs.state import EcsState

ALARM_POLL = 0.3  # real seconds between DescribeAlarms of a monitored deployment

log = logging.getLogger(__name__)


class AlarmWatch:
    def __init__(self, state: EcsState) -> None:
        self.state = state

    def check(self) -> None:
        real = time.monotonic()
        with self.state.lock:
            due: list[tuple[ServiceRun, ServiceDeployment, list[Any]]] = []
            for run in self.state.runs.values():
                if not run.deployments or run.alarm_next > real:
                    continue
                sd = run.deployments[0].service_deployment
                names = list((sd.configuration.get("alarms") or {}).get("alarmNames") or [])
                if sd.alarms_status == "MONITORING" and names and not run.deployments[0].rollback \
                        and run.deployments[0].rollout_state == "IN_PROGRESS":
                    run.alarm_next = real + ALARM_POLL
                    due.append((run, sd, names))
        for run, sd, names in due:
            try:
                alarms = self.state.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
            except Exception:
                log.exception("DescribeAlarms for %s failed", run.name)
                continue
            with self.state.lock:
                bake = max([float(a.get("Period") or 60) * int(a.get("EvaluationPeriods") or 1) for a in alarms]
                           or [DEFAULT_ALARM_BAKE])
                run.alarm_bake = bake
                triggered = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
                if triggered and sd.alarms_status == "MONITORING":
                    sd.triggered_alarms = triggered
