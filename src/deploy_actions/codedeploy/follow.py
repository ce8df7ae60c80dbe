"""Follow a deployment live: report each lifecycle event as it starts and ends, per target."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from deploy_actions.codedeploy import api
from deploy_actions.codedeploy.state import DeploymentState
from deploy_actions.core.durations import format_duration
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken, Poll, WaitPolicy, wait_for

_MARK = {"Succeeded": "✔", "Failed": "✖", "Skipped": "↷", "InProgress": "…"}
_LAST_EVENTS = ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")


class DeploymentFollower:
    """Polls one deployment and prints only what changed since the last poll."""

    def __init__(self, cd: Any, reporter: Reporter, deployment_id: str) -> None:
        self.cd = cd
        self.reporter = reporter
        self.deployment_id = deployment_id
        self.state: DeploymentState | None = None
        self._events: dict[tuple[str, str], str] = {}
        self._status = ""
        self._overview: dict[str, int] = {}
        self._rerouted = False
        self._last_progress = 0.0
        self.changed = False

    def poll(self) -> DeploymentState:
        # Target ids only change when targets are added (blue/green's replacement fleet), which the
        # overview's total shows: list them again only then.
        known = [t.id for t in self.state.targets] if self.state else None
        state = api.fetch_state(self.cd, self.deployment_id, known_target_ids=known)
        changed = self._report(state)
        self.state = state
        self.changed = changed
        return state

    def _report(self, state: DeploymentState) -> bool:
        changed = False
        if state.status != self._status:
            self._status = state.status
            self.reporter.info(f"{state.id}: {state.status}")
            changed = True
        for target in state.targets:
            fleet = f" [{target.fleet}]" if target.fleet else ""
            for event in target.events:
                key = (target.id, event.name)
                if self._events.get(key, "Pending") == event.status:
                    continue
                self._events[key] = event.status
                changed = True
                if event.status == "InProgress":
                    self.reporter.info(f"  {target.id}{fleet} {event.name} started")
                elif event.status in ("Succeeded", "Failed", "Skipped"):
                    took = f" in {event.seconds:.1f}s" if event.seconds is not None else ""
                    self.reporter.info(f"  {target.id}{fleet} {event.name} {_MARK[event.status]} "
                                       f"{event.status}{took}")
        overview = {k: v for k, v in state.overview.items() if v}
        if overview and overview != self._overview:
            self._overview = overview
            counts = ", ".join(f"{v} {k.lower()}" for k, v in overview.items())
            self.reporter.info(f"  overview: {counts}")
        if state.traffic_rerouted and not self._rerouted:
            self._rerouted = True
            self.reporter.info("  traffic rerouted to the replacement fleet; the original fleet is kept or "
                               "terminated after the group's wait")
        return changed

    @property
    def near_the_end(self) -> bool:
        """The last instance is taking traffic again: the deployment ends when its health checks pass.

        AllowTraffic can last minutes (health checks 30 s × 5), and the end would otherwise land inside
        a backed-off sleep of up to 15 s; polling stays fast for this last stretch only.
        """
        state = self.state
        if state is None or state.done or state.overview.get("Pending", 0) or state.overview.get("InProgress", 0) > 1:
            return False
        return any(e.status == "InProgress" and e.name in _LAST_EVENTS for t in state.targets for e in t.events)

    def progress(self, elapsed: float) -> None:
        """A heartbeat line at most every 30 s while nothing visible changes."""
        if elapsed - self._last_progress >= 30:
            self._last_progress = elapsed
            self.reporter.info(f"  still {self._status or 'waiting'} after {format_duration(elapsed)}")


def follow(
    cd: Any,
    reporter: Reporter,
    deployment_id: str,
    policy: WaitPolicy,
    cancel: CancellationToken,
    stop_when: Callable[[DeploymentState], bool] | None = None,
    follower: DeploymentFollower | None = None,
) -> DeploymentState:
    """Follow until the deployment ends (or ``stop_when`` says so); WaitTimeout / Cancelled propagate.

    Pass the same ``follower`` to follow one deployment in several stretches without repeating lines.
    """
    follower = follower or DeploymentFollower(cd, reporter, deployment_id)

    def check() -> Poll[DeploymentState]:
        state = follower.poll()
        if state.done or (stop_when is not None and stop_when(state)):
            return Poll.finished(state)
        return Poll.pending(changed=follower.changed or follower.near_the_end)

    started = time.monotonic()
    result = wait_for(check, policy, cancel=cancel, on_progress=follower.progress,
                      what=f"deployment {deployment_id}")
    reporter.debug(f"followed {deployment_id} for {time.monotonic() - started:.1f}s")
    return result
