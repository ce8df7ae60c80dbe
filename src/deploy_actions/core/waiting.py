"""One waiting engine: deadline, adaptive poll interval, progress callback, cancellation."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Generic, TypeVar

from deploy_actions.core.errors import DeployActionsError

T = TypeVar("T")


class WaitTimeout(DeployActionsError):
    """The deadline passed before the awaited state was reached."""


class Cancelled(DeployActionsError):
    """The run was cancelled (SIGTERM/SIGINT) while waiting."""

    exit_code = 130

    def __init__(self, message: str, signal_number: int | None = None) -> None:
        super().__init__(message)
        if signal_number is not None:
            self.exit_code = 128 + signal_number  # as a shell reports a command ended by that signal


class CancellationToken:
    """Set when the CI cancels the job; waits end early so the action can stop or roll back."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None
        self.signal_number: int | None = None

    def cancel(self, reason: str = "cancelled", signal_number: int | None = None) -> None:
        self.signal_name = reason
        self.signal_number = signal_number
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, when: str) -> None:
        """Cancelled (exit 128 + the signal) when the run was cancelled; `when` completes the message."""
        if self.cancelled:
            raise Cancelled(f"cancelled ({self.signal_name}) {when}", self.signal_number)

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when woken by cancellation."""
        return self._event.wait(max(0.0, seconds))

    @contextmanager
    def on_signals(self) -> Iterator[CancellationToken]:
        """Turn SIGTERM/SIGINT into a cancellation for the duration of the block."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, _frame: FrameType | None) -> None:
            self.cancel(signal.Signals(signum).name, signum)

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


@dataclass(frozen=True)
class Poll(Generic[T]):
    """What a check reports: finished (with a value) or not, and whether anything moved."""

    done: bool
    value: T | None = None
    changed: bool = False
    max_interval: float | None = None  # the check knows the end is near: never back off past this

    @classmethod
    def finished(cls, value: T) -> Poll[T]:
        return cls(True, value, True)

    @classmethod
    def pending(cls, changed: bool = False, max_interval: float | None = None) -> Poll[T]:
        return cls(False, None, changed, max_interval)


@dataclass
class WaitPolicy:
    timeout: float
    initial_interval: float = 1.0
    max_interval: float = 15.0
    backoff: float = 1.5


def wait_for(
    check: Callable[[], Poll[T]],
    policy: WaitPolicy,
    *,
    cancel: CancellationToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    what: str = "the operation",
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Poll ``check`` until done. Fast at first, backing off while nothing changes, reset on change,
    never sleeping past the deadline. Raises WaitTimeout or Cancelled."""
    token = cancel or CancellationToken()
    started = clock()
    deadline = started + policy.timeout
    interval = policy.initial_interval
    while True:
        token.raise_if_cancelled(f"while waiting for {what}")
        result = check()
        if result.done:
            return result.value  # type: ignore[return-value]
        now = clock()
        if on_progress is not None:
            on_progress(now - started)
        if now >= deadline:
            raise WaitTimeout(f"timed out after {policy.timeout:.0f}s waiting for {what}")
        interval = policy.initial_interval if result.changed else min(interval * policy.backoff,
                                                                     policy.max_interval)
        if result.max_interval is not None:
            interval = min(interval, max(result.max_interval, policy.initial_interval))
        token.sleep(min(interval, deadline - now))
        token.raise_if_cancelled(f"while waiting for {what}")
