"""The operation kit: one deadline from the start of the run, one way to carry out on-timeout / on-cancel,
the same waiting inputs and messages for every action."""

from __future__ import annotations

import io
import signal

import pytest

from deploy_actions.core.aws import AwsCallFailed, AwsUnreachable
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import AwsInputs, input_specs, parse_inputs
from deploy_actions.core.operation import Deadline, Interruption, Operation, PollShape, TransientFailures, WaitingInputs
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Cancelled, Poll, WaitTimeout
from tests.unit.core.test_waiting import FakeClock, RecordingToken


class Clock(FakeClock):
    """A clock that does not start at zero: the deadline must count from the run's start, not from 0."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 100.0


class Counter:
    """A follower that finishes after `polls` polls, costing `cost` seconds a poll."""

    what = "the thing"

    def __init__(self, clock: Clock, polls: int, cost: float = 0.0) -> None:
        self.clock, self.left, self.cost = clock, polls, cost
        self.progress_calls: list[float] = []

    def check(self) -> Poll[str]:
        self.clock.now += self.cost
        self.left -= 1
        return Poll.finished("done") if self.left <= 0 else Poll.pending()

    def progress(self, elapsed: float) -> None:
        self.progress_calls.append(elapsed)


class Inputs(WaitingInputs, AwsInputs):
    target: str


def make_operation(clock: Clock, seconds: float, **choices: str) -> tuple[Operation, io.StringIO]:
    log = io.StringIO()
    deadline = Deadline(seconds, clock=clock)
    return Operation(Reporter(log, {}), RecordingToken(clock), deadline, shape=PollShape(2, 15),
                     **choices), log  # type: ignore[arg-type]


def test_the_deadline_counts_from_the_start_of_the_run_not_from_the_first_wait() -> None:
    clock = Clock()
    op, _ = make_operation(clock, 60)
    clock.now += 50  # preflight, uploads, waiting for another run: all on the same clock
    with pytest.raises(WaitTimeout, match="the thing"):
        op.follow(Counter(clock, polls=1000))
    assert clock.now == pytest.approx(160, abs=0.01)  # never a second past the deadline


def test_follow_returns_the_followers_result_and_reports_progress() -> None:
    clock = Clock()
    op, _ = make_operation(clock, 600)
    follower = Counter(clock, polls=4)
    assert op.follow(follower) == "done"
    assert len(follower.progress_calls) == 3


def test_grace_reaches_past_the_deadline_only_as_far_as_asked() -> None:
    clock = Clock()
    op, _ = make_operation(clock, 10)
    clock.now += 30
    assert op.until_deadline().timeout == 0
    assert op.grace(120).timeout == 120
    assert op.follow(Counter(clock, polls=3), op.grace(120)) == "done"


def test_a_cancel_ends_the_follow_with_the_signals_exit_code() -> None:
    clock = Clock()
    op, _ = make_operation(clock, 600, on_cancel="stop")
    follower = Counter(clock, polls=1000)
    op.cancel.cancel("SIGINT", signal.SIGINT)
    with pytest.raises(Cancelled) as raised:
        op.follow(follower)
    interruption = op.interruption(raised.value)
    assert (interruption.kind, interruption.choice, interruption.exit_code) == ("cancel", "stop", 130)
    assert interruption.stops and not interruption.rolls_back


@pytest.mark.parametrize(("choice", "stopped_with", "said"), [
    ("stop-and-rollback", [True], "stopping d-1 and rolling back"),
    ("stop", [False], "stopping d-1"),
    ("leave", [], "leaving d-1 running (as chosen)"),
])
def test_carry_out_does_what_the_user_chose(choice: str, stopped_with: list[bool], said: str) -> None:
    clock = Clock()
    op, log = make_operation(clock, 1, on_timeout=choice)
    clock.now += 5
    interruption = op.interruption(WaitTimeout("timed out after 1s waiting for d-1"))
    assert interruption == Interruption("timeout", choice, "timed out after 1s waiting for d-1", 1)  # type: ignore[arg-type]
    calls: list[bool] = []
    op.carry_out(interruption, "d-1", calls.append)
    assert calls == stopped_with
    assert said in log.getvalue()


def test_every_waiting_action_gets_the_same_inputs_listed_after_its_own() -> None:
    names = [spec.name for spec in input_specs(Inputs)]
    assert names == ["target", "wait", "timeout", "on-timeout", "on-cancel", "region", "role-to-assume",
                     "id-token-variable"]
    parsed = parse_inputs(Inputs, {"target": "x"})
    assert (parsed.wait, parsed.timeout, parsed.on_timeout, parsed.on_cancel) == (True, "30m", "stop-and-rollback",
                                                                                   "stop-and-rollback")


@pytest.mark.parametrize(("value", "message"), [
    ("30", "give a unit: 30m or 30s"),
    ("0s", "must be at least 1m"),
    ("1ms", "must be at least 1m"),
    ("0.5s", "must be at least 1m"),
    ("59s", "must be at least 1m"),
    ("-5m", "must be a positive duration"),
    ("100000h", "must be at most 120h"),
    ("soon", "expected a duration"),
])
def test_a_timeout_without_a_unit_or_of_nothing_is_refused_with_its_fix(value: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_inputs(Inputs, {"target": "x", "timeout": value})
    (problem,) = raised.value.problems
    assert (problem.input, problem.value) == ("timeout", value) and message in problem.message


def test_an_action_may_change_a_default_and_keep_the_shared_place() -> None:
    class Quick(WaitingInputs, AwsInputs):
        name: str
        timeout: str = "5m"

    assert [spec.name for spec in input_specs(Quick)][:3] == ["name", "wait", "timeout"]
    assert parse_inputs(Quick, {"name": "n"}).timeout == "5m"


@pytest.mark.parametrize("value", ["1m", "60s", "90s", "1h30m", "120h"])
def test_timeouts_within_the_bounds_are_taken_as_written(value: str) -> None:
    assert parse_inputs(Inputs, {"target": "x", "timeout": f" {value} "}).timeout == value


def test_transient_aws_failures_keep_polling_and_an_outage_is_told_once() -> None:
    log = io.StringIO()
    failures = TransientFailures(Reporter(log, {}))
    lost = AwsUnreachable("describing x failed: AWS did not answer (reset)")
    assert failures.failed(AwsCallFailed("throttled", "ThrottlingException"))
    assert not failures.answered()  # throttling is no outage: nothing to tell
    assert failures.failed(lost) and failures.failed(lost)
    assert log.getvalue().count("AWS did not answer (reset); still trying until the step's timeout") == 1
    assert failures.answered() and not failures.answered()
    assert failures.failed(lost)  # a second outage is told again
    assert log.getvalue().count("still trying until the step's timeout") == 2
    assert not failures.failed(AwsCallFailed("access denied", "AccessDeniedException"))
