"""Fault injection: make the emulator fail in the ways pipelines must survive.

From tests (`emulator.faults.fail_hook(...)`) or the CLI (`deploy-actions emulator fault ...`, which
posts to the running emulator's `/_emulator/faults`). Faults are plain data so they travel as JSON.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class HookFault:
    """Fail `event` on the k-th instance (1-based, deployment order) after its script ran."""

    event: str
    instance: int | str = 1  # position in the deployment, or an instance id
    exit_code: int = 1
    times: int = 1  # consumed by each failure; a rollback deployment then runs clean


@dataclass
class UnhealthyFault:
    """Health checks of matching targets fail (all targets when both are empty)."""

    target_group: str = ""  # name or ARN
    target: str = ""  # instance id
    until: float | None = None  # real monotonic time; None: until cleared


@dataclass
class AlarmFault:
    alarm: str
    at: float  # emulated seconds from when the fault was added
    state: str = "ALARM"
    reason: str = "Threshold crossed (emulator fault injection)"
    due: float = 0.0  # real monotonic time
    seconds: float | None = None  # emulated seconds the state is held; None: until new data or SetAlarmState


@dataclass
class ThrottleFault:
    """Answer this fraction of matching API calls with the service's throttling error."""

    fraction: float
    service: str = ""  # e.g. codedeploy, elasticloadbalancing; empty: every service
    operation: str = ""  # e.g. GetDeployment; empty: every operation


@dataclass
class DelayFault:
    """Hold a lifecycle event (or `Created`, before a deployment starts) for extra emulated seconds."""

    state: str
    seconds: float
    times: int | None = None  # None: every time; else consumed by each use


@dataclass
class Faults:
    hooks: list[HookFault] = field(default_factory=list)
    unhealthy: list[UnhealthyFault] = field(default_factory=list)
    alarms: list[AlarmFault] = field(default_factory=list)
    throttles: list[ThrottleFault] = field(default_factory=list)
    delays: list[DelayFault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _calls: dict[int, int] = field(default_factory=dict, repr=False)

    def fail_hook(self, event: str, instance: int | str = 1, exit_code: int = 1, times: int = 1) -> None:
        with self._lock:
            self.hooks.append(HookFault(event, instance, exit_code, times))

    def make_unhealthy(self, target_group: str = "", target: str = "", seconds: float | None = None) -> None:
        with self._lock:
            until = time.monotonic() + seconds if seconds is not None else None
            self.unhealthy.append(UnhealthyFault(target_group, target, until))

    def alarm_at(self, alarm: str, at: float, real_delay: float, state: str = "ALARM",
                 seconds: float | None = None) -> None:
        with self._lock:
            self.alarms.append(AlarmFault(alarm, at, state, due=time.monotonic() + real_delay, seconds=seconds))

    def throttle(self, fraction: float, service: str = "", operation: str = "") -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("the throttled fraction is between 0 and 1")
        with self._lock:
            self.throttles.append(ThrottleFault(fraction, service, operation))

    def delay(self, state: str, seconds: float, times: int | None = None) -> None:
        with self._lock:
            self.delays.append(DelayFault(state, seconds, times))

    def clear(self) -> None:
        with self._lock:
            for kind in (self.hooks, self.unhealthy, self.alarms, self.throttles, self.delays):
                kind.clear()
            self._calls.clear()

    # -- asked by the engine, the health tracker and the HTTP wrapper ----------------------------

    def hook_exit_code(self, event: str, position: int, instance_id: str) -> int | None:
        with self._lock:
            for fault in self.hooks:
                if fault.event == event and fault.times > 0 and fault.instance in (position, instance_id):
                    fault.times -= 1
                    return fault.exit_code
        return None

    def is_unhealthy(self, group_arn: str, target_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            self.unhealthy[:] = [f for f in self.unhealthy if f.until is None or f.until > now]
            for fault in self.unhealthy:
                group_ok = not fault.target_group or fault.target_group == group_arn \
                    or f":targetgroup/{fault.target_group}/" in group_arn
                if group_ok and fault.target in ("", target_id):
                    return True
        return False

    def due_alarms(self) -> list[AlarmFault]:
        now = time.monotonic()
        with self._lock:
            due = [f for f in self.alarms if f.due <= now]
            self.alarms[:] = [f for f in self.alarms if f.due > now]
        return due

    def throttled(self, service: str, operation: str) -> bool:
        """Deterministic: of n matching calls, floor(n * fraction) are throttled, spread evenly."""
        with self._lock:
            for index, fault in enumerate(self.throttles):
                if fault.service not in ("", service) or fault.operation not in ("", operation):
                    continue
                count = self._calls.get(index, 0) + 1
                self._calls[index] = count
                if int(count * fault.fraction) > int((count - 1) * fault.fraction):
                    return True
        return False

    def delay_for(self, state: str) -> float:
        with self._lock:
            due = [f for f in self.delays if f.state == state and f.times != 0]
            for fault in due:
                if fault.times is not None:
                    fault.times -= 1
            return sum(f.seconds for f in due)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {name: [asdict(f) for f in getattr(self, name)]
                    for name in ("hooks", "unhealthy", "alarms", "throttles", "delays")}
