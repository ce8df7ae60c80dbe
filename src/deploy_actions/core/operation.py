"""The operation kit every waiting action shares: act, then follow, then conclude.

- **Inputs**: `WaitingInputs` gives every waiting action the same `wait`, `timeout`, `on-timeout` and
  `on-cancel` inputs, with one `Duration` type and one set of messages.
- **Deadline**: owned by the run (it starts with the run), so no action has to remember to start a
  clock; every wait of the run draws on it, and only a stop after a timeout gets bounded grace.
- **Following**: a `Follower` reports `Poll`s; `Operation.follow` polls it with backoff, progress and
  cancellation (SIGTERM/SIGINT) until it is done, the deadline passes or the run is cancelled.
- **Concluding**: a timeout or a cancel becomes an `Interruption` that says what the user chose
  (`stop-and-rollback`, `stop`, `leave`); `Operation.carry_out` does it the same way for every action.
  Outputs are not carried by exceptions: the action sets them on `RunContext.outputs` as they become
  known, and the CLI publishes them however the run ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, TypeVar

from pydantic import Field

from deploy_actions.core.aws import AwsCallFailed, AwsUnreachable
from deploy_actions.core.errors import DeployActionsError
from deploy_actions.core.inputs import ActionInputs, Duration, Flag
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken, Cancelled, Poll, WaitPolicy, WaitTimeout, wait_for

T = TypeVar("T")

OnInterrupt = Literal["stop-and-rollback", "stop", "leave"]


class WaitingInputs(ActionInputs):
    """Inputs of every action that waits for something it started (a deployment, a rollout, a bake)."""

    input_rank: ClassVar[int] = 1  # listed after the action's own inputs, before the AWS ones

    wait: Flag = Field(True, description="Follow what the action started to its end. false: start it, report "
                       "its id and return.")
    timeout: Duration = Field("30m", description="How long the whole step may take, waits for other runs "
                              "included (e.g. 90s, 30m, 1h30m; a unit is required).")
    on_timeout: OnInterrupt = Field("stop-and-rollback", description="What to do when timeout passes: "
                                    "stop-and-rollback, stop (no rollback), or leave it running.")
    on_cancel: OnInterrupt = Field("stop-and-rollback", description="What to do when the job is cancelled "
                                   "(SIGTERM/SIGINT) while following: stop-and-rollback, stop, or leave it running.")


class Deadline:
    """One deadline for a run: every wait draws on what is left of it."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 started: float | None = None) -> None:
        self.seconds = seconds
        self.clock = clock
        self.started = clock() if started is None else started

    def remaining(self) -> float:
        return max(0.0, self.started + self.seconds - self.clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass(frozen=True)
class PollShape:
    """How often a follower is polled: fast at first, backing off while nothing changes."""

    initial: float = 2.0
    maximum: float = 15.0

    def policy(self, seconds: float) -> WaitPolicy:
        return WaitPolicy(timeout=seconds, initial_interval=self.initial, max_interval=self.maximum)


class Follower(Protocol[T]):
    """Something being followed: one poll at a time, and a word of progress while nothing changes."""

    @property
    def what(self) -> str: ...

    def check(self) -> Poll[T]: ...

    def progress(self, elapsed: float) -> None: ...


class TransientFailures:
    """A follower's view of AWS failing while it polls: the operation goes on without us, so a transient
    failure (throttling, a 5xx, AWS unreachable) means "keep polling until the deadline". When AWS cannot be
    reached the user is warned once, until it answers again."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.unreachable = False

    def failed(self, exc: AwsCallFailed) -> bool:
        """True when `exc` is transient (poll again); False when the caller must raise it."""
        if not exc.transient:
            return False
        if isinstance(exc, AwsUnreachable) and not self.unreachable:
            self.reporter.warning(f"{exc}; still trying until the step's timeout")
            self.unreachable = True
        return True

    def answered(self) -> bool:
        """AWS answered a poll: True when it had been unreachable until now."""
        was, self.unreachable = self.unreachable, False
        return was


@dataclass(frozen=True)
class Interruption:
    """A timeout or a cancel, and what the user chose to do about it."""

    kind: Literal["timeout", "cancel"]
    choice: OnInterrupt
    reason: str
    exit_code: int  # 1 after a timeout; 128 + the signal after a cancel, as a shell reports it

    @property
    def stops(self) -> bool:
        return self.choice != "leave"

    @property
    def rolls_back(self) -> bool:
        return self.choice == "stop-and-rollback"

    @property
    def cancelled(self) -> bool:
        return self.kind == "cancel"


class Interrupted(DeployActionsError):
    """The run timed out or was cancelled, after the chosen on-timeout / on-cancel was carried out."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Operation:
    """The run's waiting: deadline, cancellation and the on-timeout / on-cancel choices."""

    def __init__(self, reporter: Reporter, cancel: CancellationToken, deadline: Deadline, *,
                 on_timeout: OnInterrupt = "stop-and-rollback", on_cancel: OnInterrupt = "stop-and-rollback",
                 shape: PollShape | None = None) -> None:
        self.reporter = reporter
        self.cancel = cancel
        self.deadline = deadline
        self.on_timeout = on_timeout
        self.on_cancel = on_cancel
        self.shape = shape or PollShape()

    def until_deadline(self) -> WaitPolicy:
        return self.shape.policy(self.deadline.remaining())

    def grace(self, seconds: float) -> WaitPolicy:
        """At least `seconds`, even past the deadline: to see a stop take effect after a timeout."""
        return self.shape.policy(max(seconds, self.deadline.remaining()))

    def follow(self, follower: Follower[T], policy: WaitPolicy | None = None) -> T:
        """Poll until done. WaitTimeout at the deadline (or the policy's timeout), Cancelled on a signal."""
        return wait_for(follower.check, policy or self.until_deadline(), cancel=self.cancel,
                        on_progress=follower.progress, what=follower.what, clock=self.deadline.clock)

    def interruption(self, exc: WaitTimeout | Cancelled) -> Interruption:
        if isinstance(exc, Cancelled):
            return Interruption("cancel", self.on_cancel, str(exc), exc.exit_code)
        return Interruption("timeout", self.on_timeout, str(exc), 1)

    def carry_out(self, interruption: Interruption, target: str, stop: Callable[[bool], object]) -> None:
        """Do what the user chose: `stop(rollback)` unless they chose to leave `target` running."""
        if not interruption.stops:
            self.reporter.warning(f"{interruption.reason}; leaving {target} running (as chosen)")
            return
        self.reporter.warning(f"{interruption.reason}; stopping {target}"
                              + (" and rolling back" if interruption.rolls_back else ""))
        stop(interruption.rolls_back)
