"""Follow a deployment live: report each lifecycle event as it starts and ends, per target."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from deploy_actions.aws import codedeploy as cd_api
from deploy_actions.codedeploy.fetch import fetch_state, fetch_targets
from deploy_actions.codedeploy.state import DeploymentState
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.durations import format_duration
from deploy_actions.core.operation import Operation, TransientFailures
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Poll, WaitPolicy

_MARK = {"Succeeded": "✔", "Failed": "✖", "Skipped": "↷", "InProgress": "…"}
# The cadence, in seconds. GetDeployment (status and per-instance counts) is the heartbeat; the targets'
# lifecycle events (the live per-instance lines) are read when those counts move and at least every
# TARGETS_EVERY. In the last instance's stretch the counts cannot move until it ends, so the heartbeat
# is its target alone (one BatchGetDeploymentTargets every LAST_STRETCH_INTERVAL: its events show how
# close the end is), with GetDeployment only when a target's status changes or DEPLOYMENT_EVERY passed;
# once that instance is in its final events the step polls GetDeployment alone every FINAL_INTERVAL, so
# it sees the end within ~2 s. Steady state: 6 GetDeployment + 2 target reads a minute.
STEADY_INTERVAL = 10.0
TARGETS_EVERY = 30.0
LAST_STRETCH_INTERVAL = 7.5
DEPLOYMENT_EVERY = 30.0
FINAL_INTERVAL = 2.0
FINAL_EVENTS = 2  # events left on the last instance when the deployment's end is seconds away


class DeploymentFollower:
    """Polls one deployment and prints only what changed since the last poll (a core Follower).

    `stop_when` ends the follow early (Ready, the reroute); the same follower can follow one
    deployment in several stretches without repeating lines.
    """

    def __init__(self, cd: Any, reporter: Reporter, deployment_id: str) -> None:
        self.cd = cd
        self.reporter = reporter
        self.deployment_id = deployment_id
        self.what = f"deployment {deployment_id}"
        self.stop_when: Callable[[DeploymentState], bool] | None = None
        self.may_be_new = False  # True for a deployment AWS has only just created (a rollback)
        self.state: DeploymentState | None = None
        self._events: dict[tuple[str, str], str] = {}
        self._status = ""
        self._overview: dict[str, int] = {}
        self._rerouted = False
        self._last_progress = 0.0
        self._failures = TransientFailures(reporter)
        self._targets_read = 0.0
        self._deployment_read = 0.0

    def poll(self) -> DeploymentState:
        previous, now = self.state, time.monotonic()
        if (previous is not None and _last_stretch(previous) and not _final_events(previous, previous)
                and now - self._deployment_read < DEPLOYMENT_EVERY):
            state = self._poll_last_target(previous, now)
        else:
            state = self._poll_deployment(previous, now)
        self._report(state)
        self.state = state
        return state

    def _poll_deployment(self, previous: DeploymentState | None, now: float) -> DeploymentState:
        state = fetch_state(self.cd, self.deployment_id, with_targets=False)
        self._deployment_read = now
        started = state.done or any(v for k, v in state.overview.items() if k != "Pending")
        if not started and (previous is None or not previous.targets):
            return state  # nothing to show before the first instance starts: the targets are listed then
        if (previous is None or not previous.targets or state.done or state.overview != previous.overview
                or (now - self._targets_read >= TARGETS_EVERY and not _final_events(state, previous))
                # In the last stretch the deployment is read now and then; its target is the heartbeat.
                or (_last_stretch(state) and not _final_events(state, previous))):
            # Target ids only change when targets are added (blue/green's replacement fleet), which the
            # overview's total shows: they are listed again only then.
            state.targets = fetch_targets(self.cd, state, [t.id for t in previous.targets] if previous else None)
            self._targets_read = now
        else:
            state.targets = previous.targets
        return state

    def _poll_last_target(self, previous: DeploymentState, now: float) -> DeploymentState:
        """One read of the targets (the ids are known: nothing is added in the last stretch). The
        deployment itself is read again only when a target's status moved: its end, or a stop."""
        targets = fetch_targets(self.cd, previous, [t.id for t in previous.targets])
        self._targets_read = now
        if [t.status for t in targets] == [t.status for t in previous.targets]:
            return DeploymentState(previous.id, previous.status, previous.info, targets)
        state = fetch_state(self.cd, self.deployment_id, with_targets=False)
        self._deployment_read = now
        state.targets = (targets if sum(state.overview.values()) == len(targets)
                         else fetch_targets(self.cd, state, None))
        return state

    def check(self) -> Poll[DeploymentState]:
        try:
            state = self.poll()
        except cd_api.NoSuchDeployment:
            if not self.may_be_new:
                raise
            return Poll.pending()  # a rollback AWS has just created is not readable everywhere yet
        except AwsCallFailed as exc:
            if not self._failures.failed(exc):
                raise
            return Poll.pending()  # the deployment goes on without us: keep asking until the run's deadline
        if self._failures.answered():
            self.reporter.info("  AWS answers again")
        if state.done or (self.stop_when is not None and self.stop_when(state)):
            return Poll.finished(state)
        # Progress does not speed polling up (that cost ~35 calls a minute); the last stretch does.
        if _final_events(state, state) or _targets_ended(state):
            return Poll.pending(max_interval=FINAL_INTERVAL)
        return Poll.pending(max_interval=LAST_STRETCH_INTERVAL if self.near_the_end else STEADY_INTERVAL)

    def _report(self, state: DeploymentState) -> None:
        for target in state.targets:
            fleet = f" [{target.fleet}]" if target.fleet else ""
            for event in target.events:
                key = (target.id, event.name)
                if self._events.get(key, "Pending") == event.status:
                    continue
                self._events[key] = event.status
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
        # The status after the events that led to it: "Succeeded" reads as the end, so nothing follows it.
        if state.status != self._status:
            self._status = state.status
            self.reporter.info(f"{state.id}: {state.status}")

    @property
    def near_the_end(self) -> bool:
        """Only the last instance is still in progress: the deployment ends with it.

        Its stretch can pass unseen between two backed-off polls (BlockTraffic waits out the
        deregistration delay, then the rest takes seconds), so the end would land inside a sleep of
        up to 15 s; the follower polls at most every LAST_STRETCH_INTERVAL seconds until it ends.
        """
        return self.state is not None and _last_stretch(self.state)

    def progress(self, elapsed: float) -> None:
        """A heartbeat line at most every 30 s while nothing visible changes."""
        if elapsed - self._last_progress >= 30:
            self._last_progress = elapsed
            self.reporter.info(f"  still {self._status or 'waiting'} after {format_duration(elapsed)}")


def _last_stretch(state: DeploymentState) -> bool:
    overview = state.overview
    if state.done or not sum(overview.values()):
        return False
    return not overview.get("Pending", 0) and overview.get("InProgress", 0) == 1 and not overview.get("Ready", 0)


def _targets_ended(state: DeploymentState) -> bool:
    """Every target has ended but the deployment has not yet: it will within seconds."""
    return bool(state.targets) and all(t.status in ("Succeeded", "Failed", "Skipped") for t in state.targets)


def _final_events(state: DeploymentState, known: DeploymentState) -> bool:
    """The last instance has at most FINAL_EVENTS events left (as its last read targets show)."""
    if not _last_stretch(state):
        return False
    running = [t for t in known.targets if t.status == "InProgress"]
    if len(running) != 1:
        return False
    left = [e for e in running[0].events if e.status in ("Pending", "InProgress")]
    return bool(running[0].events) and len(left) <= FINAL_EVENTS


def follow(
    op: Operation,
    follower: DeploymentFollower,
    stop_when: Callable[[DeploymentState], bool] | None = None,
    policy: WaitPolicy | None = None,
) -> DeploymentState:
    """Follow until the deployment ends (or `stop_when` says so) within the run's deadline (or `policy`);
    WaitTimeout / Cancelled propagate."""
    follower.stop_when = stop_when
    started = time.monotonic()
    result = op.follow(follower, policy)
    follower.reporter.debug(f"followed {follower.deployment_id} for {time.monotonic() - started:.1f}s")
    return result
