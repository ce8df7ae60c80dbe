"""Running checks: each retried at an interval until it passes or its attempts are spent, independent checks at
the same time, the log scan last (it covers the whole verification), every attempt logged on one line."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from deploy_actions.core.errors import ConfigurationError
from deploy_actions.core.platform import Reporter, printable
from deploy_actions.core.waiting import CancellationToken, Cancelled, Poll, WaitPolicy, wait_for
from deploy_actions.verify.urls import UrlCheck, fetch, judge


@dataclass(frozen=True)
class Attempt:
    """One try of a check: passed or not, in words, how long it took, lines worth showing (log matches)."""

    ok: bool
    detail: str
    millis: float = 0.0
    lines: tuple[str, ...] = ()
    final: bool = False  # no point trying again (a log scan's count is what it is)


@dataclass(frozen=True)
class Check:
    name: str
    kind: str  # url | target-group | alarm | logs
    attempt: Callable[[], Attempt]
    last: bool = False  # runs after the others (the log scan)


@dataclass
class CheckResult:
    name: str
    kind: str
    ok: bool = False
    attempts: int = 0
    seconds: float = 0.0
    detail: str = ""
    lines: tuple[str, ...] = ()
    timings_ms: list[float] = field(default_factory=list)

    def as_output(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "ok": self.ok, "attempts": self.attempts,
                "seconds": round(self.seconds, 3), "detail": self.detail,
                "timings-ms": [round(t, 1) for t in self.timings_ms], **({"lines": list(self.lines)} if self.lines
                                                                          else {})}


@dataclass(frozen=True)
class Retry:
    attempts: int
    interval: float


def url_check(check: UrlCheck, request_timeout: float) -> Check:
    def attempt() -> Attempt:
        answer = judge(check, fetch(check.url, request_timeout))
        status = f"{answer.status}" if answer.status is not None else "no answer"
        detail = status if answer.ok else f"{status}: {'; '.join(answer.problems)}"
        return Attempt(answer.ok, detail, answer.millis)

    return Check(check.name, "url", attempt)


def unique_names(checks: Sequence[Check]) -> list[Check]:
    """The same URL checked twice (other expectations) is told apart in the log and outputs: "GET url (2)"."""
    seen: dict[str, int] = {}
    named = []
    for check in checks:
        seen[check.name] = seen.get(check.name, 0) + 1
        named.append(check if seen[check.name] == 1 else replace(check, name=f"{check.name} ({seen[check.name]})"))
    return named


class Runner:
    def __init__(self, reporter: Reporter, cancel: CancellationToken, retry: Retry,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.reporter = reporter
        self.cancel = cancel
        self.retry = retry
        self.clock = clock
        self._lock = threading.Lock()

    def run(self, checks: Sequence[Check]) -> list[CheckResult]:
        """Every check's result, in the order given."""
        results = {id(c): CheckResult(c.name, c.kind) for c in checks}
        first = [c for c in checks if not c.last]
        if first:
            with ThreadPoolExecutor(max_workers=min(8, len(first)), thread_name_prefix="check") as pool:
                list(pool.map(lambda c: self._follow(c, results[id(c)]), first))
        for check in checks:
            if check.last:
                self._follow(check, results[id(check)])
        return [results[id(c)] for c in checks]

    def _follow(self, check: Check, result: CheckResult) -> None:
        """Try the check through the suite's waiting engine: a fixed interval (no backoff: the user chose it),
        ended by a pass, a final answer, the last attempt or a cancel."""
        started = self.clock()
        total = self.retry.attempts

        def attempt_once() -> Poll[None]:
            result.attempts += 1
            try:
                attempt = check.attempt()
            except ConfigurationError:
                raise  # a name AWS does not know: exit 2, whatever the other checks say
            except Exception as exc:  # an AWS outage or a bug in one check must not take the others down
                attempt = Attempt(False, f"{exc.__class__.__name__}: {exc}")
            result.ok, result.detail, result.lines = attempt.ok, attempt.detail, attempt.lines
            result.timings_ms.append(attempt.millis)
            took = f" in {attempt.millis:.0f} ms" if attempt.millis else ""
            self._log(f"  {check.name} #{result.attempts}/{total}: {'ok' if attempt.ok else 'failed'}, "
                      f"{attempt.detail}{took}")
            if attempt.ok or attempt.final or result.attempts >= total:
                return Poll.finished(None)
            return Poll.pending()

        every = self.retry.interval
        try:
            wait_for(attempt_once, WaitPolicy(timeout=math.inf, initial_interval=every, max_interval=every,
                                              backoff=1.0), cancel=self.cancel, what=check.name, clock=self.clock)
        except Cancelled:
            result.detail += " (cancelled)"
        result.seconds = self.clock() - started

    def _log(self, line: str) -> None:
        with self._lock:
            self.reporter.info(printable(line))
