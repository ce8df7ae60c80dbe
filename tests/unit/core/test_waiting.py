from __future__ import annotations

import os
import signal
import threading

import pytest

from deploy_actions.core.waiting import CancellationToken, Cancelled, Poll, WaitPolicy, WaitTimeout, wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class RecordingToken(CancellationToken):
    """Sleeps advance a fake clock, so intervals are observable without waiting."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(round(seconds, 3))
        self.clock.now += seconds
        return self.cancelled


def test_backs_off_while_nothing_changes_and_resets_on_change() -> None:
    clock = FakeClock()
    token = RecordingToken(clock)
    answers = iter([Poll.pending(), Poll.pending(), Poll.pending(changed=True), Poll.pending(),
                    Poll.finished("done")])
    result = wait_for(lambda: next(answers), WaitPolicy(timeout=100, initial_interval=1, max_interval=2, backoff=2),
                      cancel=token, clock=clock)
    assert result == "done"
    assert token.sleeps == [2, 2, 1, 2]


def test_a_check_that_sees_the_end_coming_caps_the_backoff() -> None:
    clock = FakeClock()
    token = RecordingToken(clock)
    answers = iter([Poll.pending(), Poll.pending(), Poll.pending(max_interval=3), Poll.pending(max_interval=3),
                    Poll.finished("done")])
    result = wait_for(lambda: next(answers), WaitPolicy(timeout=100, initial_interval=2, max_interval=15, backoff=3),
                      cancel=token, clock=clock)
    assert result == "done"
    assert token.sleeps == [6, 15, 3, 3]


def test_never_sleeps_past_the_deadline_and_times_out() -> None:
    clock = FakeClock()
    token = RecordingToken(clock)
    progress: list[float] = []
    with pytest.raises(WaitTimeout, match="timed out after 5s waiting for the deployment"):
        wait_for(lambda: Poll.pending(), WaitPolicy(timeout=5, initial_interval=2, backoff=1.5),
                 cancel=token, clock=clock, on_progress=progress.append, what="the deployment")
    assert sum(token.sleeps) == pytest.approx(5)
    assert progress[-1] == pytest.approx(5)


def test_sigterm_becomes_a_cancellation_that_ends_the_wait() -> None:
    token = CancellationToken()
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGTERM))
    with token.on_signals():
        timer.start()
        with pytest.raises(Cancelled, match="SIGTERM"):
            wait_for(lambda: Poll.pending(), WaitPolicy(timeout=30, initial_interval=0.05, max_interval=0.1),
                     cancel=token)
    assert token.signal_name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
