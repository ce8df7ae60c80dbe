"""Target health from real HTTP probes, served by DescribeTargetHealth (`api_target_health`).

moto calls every registered target `healthy`. Here each registered target starts `initial`, and a
probe loop requests the target group's health-check path on the target's real address (an
instance's sandbox IP and port) every interval (clock-scaled): `healthy` after HealthyThreshold
consecutive matches, `unhealthy` after UnhealthyThreshold misses. A deregistered target is
`draining` for the group's deregistration delay (clock-scaled), then gone.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from moto.elbv2.models import FakeTargetGroup, elbv2_backends

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.errors import AwsError

MIN_PROBE_INTERVAL = 0.1  # real seconds: enough probes to notice a change, few enough for 2 cores
MIN_PROBE_TIMEOUT = 0.5

# Resolves a target id (an instance id, or an IP) and its port to the loopback address that serves it.
Resolver = Callable[[str, int], tuple[str, int] | None]


@dataclass
class TargetState:
    port: int
    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = "Target registration is in progress"
    successes: int = 0
    failures: int = 0
    next_probe: float = 0.0
    probing: bool = False
    draining_until: float | None = None

    def as_api(self, target_id: str, health_port: str | None) -> dict[str, Any]:
        health: dict[str, Any] = {"State": self.state}
        if self.reason:
            health["Reason"] = self.reason
        if self.description:
            health["Description"] = self.description
        port = str(self.port) if health_port in (None, "traffic-port") else health_port
        return {"Target": {"Id": target_id, "Port": self.port}, "HealthCheckPort": port, "TargetHealth": health}


def matches(code: int, matcher: dict[str, Any] | None) -> bool:
    spec = str((matcher or {}).get("HttpCode", "200"))
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


class HealthTracker:
    def __init__(self, account: str, region: str, clock: Clock, resolve: Resolver,
                 forced_unhealthy: Callable[[str, str], bool]) -> None:
        self.account, self.region, self.clock = account, region, clock
        self._resolve = resolve
        self._forced_unhealthy = forced_unhealthy
        self._states: dict[tuple[str, str], TargetState] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-probe")

    def _groups(self) -> dict[str, FakeTargetGroup]:
        return dict(elbv2_backends[self.account][self.region].target_groups)

    def tick(self) -> None:
        """Called by the emulator's control loop: follow registrations, start the probes that are due."""
        for arn, group in self._groups().items():
            due = self._sync(arn, group)
            for target_id, state in due:
                self._pool.submit(self._probe, arn, group, target_id, state)

    def _sync(self, arn: str, group: FakeTargetGroup) -> list[tuple[str, TargetState]]:
        """Follow moto's registrations for one group; returns the probes now due (marked as running)."""
        now = time.monotonic()
        registered = {target_id: int(t.get("Port") or group.port or 80) for target_id, t in list(group.targets.items())}
        with self._lock:
            for target_id, port in registered.items():
                state = self._states.get((arn, target_id))
                if state is None or state.draining_until is not None:
                    self._states[(arn, target_id)] = TargetState(port)
            for (group_arn, target_id), state in list(self._states.items()):
                if group_arn != arn or target_id in registered:
                    continue
                if state.draining_until is None:
                    delay = float(str(group.attributes.get("deregistration_delay.timeout_seconds", 300)))
                    state.draining_until = now + self.clock.real(delay)
                    state.state, state.reason = "draining", "Target.DeregistrationInProgress"
                    state.description = "Target deregistration is in progress"
                elif now >= state.draining_until:
                    del self._states[(group_arn, target_id)]
            due = [(target_id, s) for (group_arn, target_id), s in self._states.items()
                   if group_arn == arn and s.draining_until is None and not s.probing and now >= s.next_probe]
            for _, state in due:
                state.probing = True
        return due

    def _probe(self, arn: str, group: FakeTargetGroup, target_id: str, state: TargetState) -> None:
        try:
            ok, reason, description = self._check(arn, group, target_id, state.port)
        except Exception as error:  # a probe must never kill the loop; it counts as a failed check
            ok, reason, description = False, "Target.FailedHealthChecks", str(error)
        interval = max(self.clock.real(float(group.health_check_interval_seconds)), MIN_PROBE_INTERVAL)
        with self._lock:
            state.probing = False
            state.next_probe = time.monotonic() + interval
            if state.draining_until is not None:
                return
            if ok:
                state.successes, state.failures = state.successes + 1, 0
                if state.state != "healthy" and state.successes >= int(group.healthy_threshold_count):
                    state.state, state.reason, state.description = "healthy", None, None
            else:
                state.failures, state.successes = state.failures + 1, 0
                if state.state != "unhealthy" and state.failures >= int(group.unhealthy_threshold_count):
                    state.state, state.reason, state.description = "unhealthy", reason, description
                elif state.state == "unhealthy":
                    state.reason, state.description = reason, description

    def _check(self, arn: str, group: FakeTargetGroup, target_id: str, port: int) -> tuple[bool, str, str]:
        if self._forced_unhealthy(arn, target_id):
            return False, "Target.FailedHealthChecks", "Health checks failed (emulator fault injection)"
        health_port = group.health_check_port
        check_port = port if health_port in (None, "traffic-port") else int(health_port)
        address = self._resolve(target_id, check_port)
        if address is None:
            return False, "Target.FailedHealthChecks", "Health checks failed"
        timeout = max(self.clock.real(float(group.health_check_timeout_seconds)), MIN_PROBE_TIMEOUT)
        connection = http.client.HTTPConnection(address[0], address[1], timeout=timeout)
        try:
            connection.request("GET", group.health_check_path or "/", headers={"User-Agent": "ELB-HealthChecker/2.0"})
            code = connection.getresponse().status
        except TimeoutError:
            return False, "Target.Timeout", "Request timed out"
        except OSError:
            return False, "Target.FailedHealthChecks", "Health checks failed"
        finally:
            connection.close()
        if matches(code, getattr(group, "matcher", None)):
            return True, "", ""
        return False, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{code}]"

    def describe(self, arn: str, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        group = self._groups().get(arn)
        if group is None:
            raise AwsError("TargetGroupNotFound", "One or more target groups not found")
        # Catch up with a registration made since the last tick: RegisterTargets then
        # DescribeTargetHealth must already say `initial`, as on AWS.
        for target_id, due in self._sync(arn, group):
            self._pool.submit(self._probe, arn, group, target_id, due)
        with self._lock:
            mine = {target_id: state for (group_arn, target_id), state in self._states.items() if group_arn == arn}
            if not targets:
                return [state.as_api(target_id, group.health_check_port) for target_id, state in mine.items()]
            described = []
            for target in targets:
                known = mine.get(target["Id"]) or TargetState(
                    int(target.get("Port") or group.port or 80), "unused", "Target.NotRegistered",
                    "Target is not registered to the target group")
                described.append(known.as_api(target["Id"], group.health_check_port))
            return described

    def healthy_targets(self, arn: str) -> list[tuple[str, int]]:
        with self._lock:
            return [(target_id, s.port) for (group_arn, target_id), s in self._states.items()
                    if group_arn == arn and s.state == "healthy"]

    def routable_targets(self, arn: str) -> list[tuple[str, int]]:
        """Where the load balancer sends requests: healthy targets; if none, every registered one (fail open)."""
        with self._lock:
            registered = [(target_id, s) for (group_arn, target_id), s in self._states.items()
                          if group_arn == arn and s.draining_until is None]
        healthy = [(target_id, s.port) for target_id, s in registered if s.state == "healthy"]
        return healthy or [(target_id, s.port) for target_id, s in registered]

    def state_of(self, arn: str, target_id: str) -> str | None:
        with self._lock:
            state = self._states.get((arn, target_id))
            return state.state if state else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

