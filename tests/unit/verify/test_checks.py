"""The check runner: retried at the interval until passing or out of attempts, the log scan after the others,
every attempt on one line, a cancel ending the waits."""

from __future__ import annotations

import io
import threading

from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.verify.checks import Attempt, Check, Retry, Runner


def flaky(passes_on: int, order: list[str], name: str) -> Check:
    calls = {"n": 0}

    def attempt() -> Attempt:
        calls["n"] += 1
        order.append(name)
        ok = calls["n"] >= passes_on
        return Attempt(ok, "fine" if ok else f"not yet ({calls['n']})", 2.0)

    return Check(name, "url", attempt)


def test_retried_until_passing_or_out_of_attempts_and_logged_per_attempt() -> None:
    out, order = io.StringIO(), []
    runner = Runner(Reporter(out, {}), CancellationToken(), Retry(attempts=3, interval=0.001))
    late = Check("scan", "logs", lambda: (order.append("scan"), Attempt(True, "0 matching"))[1], last=True)
    results = runner.run([flaky(2, order, "a"), flaky(9, order, "b"), late])
    assert [(r.name, r.ok, r.attempts, r.detail) for r in results] == [
        ("a", True, 2, "fine"), ("b", False, 3, "not yet (3)"), ("scan", True, 1, "0 matching")]
    assert order[-1] == "scan" and order.count("b") == 3
    assert "  b #3/3: failed, not yet (3) in 2 ms" in out.getvalue().splitlines()
    assert results[1].timings_ms == [2.0, 2.0, 2.0]


def test_a_final_failure_is_not_retried_and_an_exception_fails_only_its_check() -> None:
    runner = Runner(Reporter(io.StringIO(), {}), CancellationToken(), Retry(attempts=5, interval=0.001))

    def boom() -> Attempt:
        raise RuntimeError("AWS did not answer")

    final, broken = runner.run([Check("f", "logs", lambda: Attempt(False, "3 matches", final=True)),
                                Check("x", "alarm", boom)])
    assert (final.ok, final.attempts) == (False, 1)
    assert (broken.ok, broken.attempts, broken.detail) == (False, 5, "RuntimeError: AWS did not answer")


def test_a_cancel_ends_the_wait_between_attempts() -> None:
    token = CancellationToken()
    runner = Runner(Reporter(io.StringIO(), {}), token, Retry(attempts=5, interval=3600))
    threading.Timer(0.2, token.cancel).start()
    (result,) = runner.run([Check("slow", "url", lambda: Attempt(False, "503"))])
    assert (result.attempts, result.detail) == (1, "503 (cancelled)")
