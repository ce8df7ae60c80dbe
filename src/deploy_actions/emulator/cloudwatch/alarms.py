"""Metric alarms that evaluate: datapoints per period, M out of N, the threshold, missing data.

moto keeps alarms (their settings and state) and metric data; it never evaluates an alarm. Here
every metric datum (PutMetricData, the load balancers' own metrics) is also indexed by metric,
and the control loop evaluates each metric alarm at the end of each of its periods, in emulated
time (a 60 s period lasts 0.1 s at clock factor 600): the alarm's statistic over each of the last
EvaluationPeriods periods, compared with the threshold; DatapointsToAlarm (default: all) breaching
ones put it in ALARM, else OK; TreatMissingData decides what a period without data counts as
(`missing`: nothing at all is INSUFFICIENT_DATA). A state change is recorded in the alarm's history
as AWS words it.

After SetAlarmState (or a scripted state) an alarm is evaluated again once its metric has a newer
datum: until then it keeps the state it was given, so a test or scenario can drive an alarm with
SetAlarmState alone. A scripted state (`emulator fault alarm --at T [--for-seconds D]`) holds the
alarm for D emulated seconds, then gives it back its previous state (and the evaluator its say).
"""

from __future__ import annotations

import json
import math
import operator
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import Alarm, MetricAggregatedDatum, MetricDatum, cloudwatch_backends

from deploy_actions.emulator.cloudwatch import composite
from deploy_actions.emulator.core.clock import Clock

MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]
MAX_POINTS = 200_000  # per metric: older points are dropped first
# Real seconds a period's end waits before it is evaluated, so data on its way (the load balancers publish
# host counts from the control loop every 0.2 s) is in: AWS too evaluates a little after a period ends.
EVALUATION_DELAY = 0.3
MAX_CATCH_UP = 1000  # periods evaluated at once after a slow tick (a loaded machine)
# The state a period without any datum leads to, per TreatMissingData (`ignore`: the state stays).
_WITHOUT_DATA = {"missing": "INSUFFICIENT_DATA", "notBreaching": "OK", "breaching": "ALARM"}
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}


def metric_key(namespace: str, name: str, dimensions: Iterable[tuple[str, str]]) -> MetricKey:
    return namespace, name, tuple(sorted((str(k), str(v)) for k, v in dimensions))


@dataclass
class Point:
    """One datum: a value, or statistic values (`count` samples)."""

    at: float  # wall-clock seconds
    total: float
    count: float
    low: float
    high: float
    values: tuple[float, ...] = ()


def _epoch(timestamp: Any) -> float:
    if isinstance(timestamp, datetime):
        return (timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)).timestamp()
    return time.time()


def statistic(points: list[Point], name: str) -> float | None:
    if not points:
        return None
    count = sum(p.count for p in points)
    if name == "SampleCount":
        return count
    if name == "Sum":
        return sum(p.total for p in points)
    if name == "Minimum":
        return min(p.low for p in points)
    if name == "Maximum":
        return max(p.high for p in points)
    if name.startswith("p"):  # an extended statistic: a percentile of the single values
        values = sorted(v for p in points for v in p.values)
        if not values:
            return None
        rank = max(0, math.ceil(float(name[1:]) / 100 * len(values)) - 1)
        return values[min(rank, len(values) - 1)]
    return sum(p.total for p in points) / count if count else None  # Average


@dataclass
class AlarmRecord:
    created_at: float = field(default_factory=time.time)  # wall clock: periods are evaluated from then on
    evaluated_through: int | None = None  # the last period boundary evaluated
    period: float = 0.0  # the real seconds of a period when evaluated_through was set
    given_at: float = 0.0  # wall-clock time of the last SetAlarmState or scripted state
    held_until: float | None = None  # monotonic; a scripted state holds until then
    restore: tuple[str, str] | None = None  # (state, reason) to give back when the hold ends
    history: list[dict[str, Any]] = field(default_factory=list)


class Alarms:
    def __init__(self, account: str, region: str, clock: Clock) -> None:
        self.account, self.region, self.clock = account, region, clock
        self._points: dict[MetricKey, list[Point]] = {}
        self._times: dict[MetricKey, list[float]] = {}  # the points' times, for bisection
        self._arrived: dict[MetricKey, float] = {}  # when each metric last received a datum (wall clock)
        self._records: dict[str, AlarmRecord] = {}
        self._history: list[dict[str, Any]] = []  # every alarm's, newest last
        self._rules: dict[str, tuple[composite.Rule, list[str]]] = {}  # composite rules, parsed
        self.lock = threading.RLock()

    def _backend(self) -> Any:
        return cloudwatch_backends[self.account][self.region]

    # -- metric data -----------------------------------------------------------------------------

    def record(self, datums: Iterable[Any]) -> None:
        """moto's datums just stored by PutMetricData: index them for the evaluator."""
        with self.lock:
            for datum in datums:
                key = metric_key(datum.namespace, datum.name, ((str(d.name), str(d.value)) for d in datum.dimensions))
                if isinstance(datum, MetricAggregatedDatum):
                    point = Point(_epoch(datum.timestamp), float(datum.sum), float(datum.sample_count),
                                  float(datum.min), float(datum.max))
                else:
                    value = float(datum.value)
                    point = Point(_epoch(datum.timestamp), value, 1.0, value, value, (value,))
                self._add(key, point)

    def publish(self, namespace: str, name: str, dimensions: dict[str, str], value: float, unit: str,
                at: float) -> None:
        """A metric the emulator itself emits (the load balancers'), at wall-clock time `at`: stored in moto
        and indexed."""
        dims = [{"Name": k, "Value": v} for k, v in dimensions.items()]
        datum = MetricDatum(namespace, name, float(value), dims, datetime.fromtimestamp(at, UTC).replace(tzinfo=None),
                            unit)
        with self.lock:
            self._backend().metric_data.append(datum)
            self._add(metric_key(namespace, name, dimensions.items()),
                      Point(at, float(value), 1.0, float(value), float(value), (float(value),)))

    def _add(self, key: MetricKey, point: Point) -> None:
        points, times = self._points.setdefault(key, []), self._times.setdefault(key, [])
        self._arrived[key] = time.time()
        where = bisect_right(times, point.at)
        points.insert(where, point)
        times.insert(where, point.at)
        if len(points) > MAX_POINTS + MAX_POINTS // 10:  # trimmed in chunks, not one point per datum
            del points[: len(points) - MAX_POINTS]
            del times[: len(times) - MAX_POINTS]

    def _window(self, key: MetricKey, start: float, end: float) -> list[Point]:
        times = self._times.get(key) or []
        return (self._points.get(key) or [])[bisect_left(times, start):bisect_left(times, end)]

    def watched(self, namespace: str, name: str) -> bool:
        """Whether some alarm watches this metric (the data plane publishes periodic metrics only then)."""
        return any(a.namespace == namespace and a.metric_name == name
                   for a in list(self._backend().alarms.values()))

    # -- alarm lifecycle (from the handlers) -------------------------------------------------------

    def created(self, name: str, previous: Alarm | None) -> None:
        """After moto's PutMetricAlarm: a new alarm starts INSUFFICIENT_DATA; an updated one keeps its state."""
        alarm: Alarm = self._backend().alarms[name]
        with self.lock:
            if previous is not None:
                alarm.state_value, alarm.state_reason = previous.state_value, previous.state_reason
                alarm.state_reason_data = previous.state_reason_data
                alarm.state_updated_timestamp = previous.state_updated_timestamp
                summary = f'Alarm "{name}" updated'
            else:
                alarm.state_value, alarm.state_reason = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
                alarm.state_reason_data = "{}"
                summary = f'Alarm "{name}" created'
            self._records[name] = AlarmRecord(given_at=self._records[name].given_at if name in self._records else 0.0)
            self._note(alarm, "ConfigurationUpdate", summary, {"version": "1.0", "type": "Update"})

    def deleted(self, names: Iterable[str]) -> None:
        with self.lock:
            for name in names:
                self._records.pop(name, None)

    def given(self, name: str, old_state: str, old_reason: str) -> None:
        """After SetAlarmState: recorded; kept until a newer datum (AWS re-evaluates at once)."""
        alarm = self._backend().alarms.get(name)
        if alarm is None:
            return
        with self.lock:
            record = self._records.setdefault(name, AlarmRecord())
            record.given_at, record.held_until, record.restore = time.time(), None, None
            record.evaluated_through = None
            if old_state != alarm.state_value:
                self._transition_note(alarm, old_state, old_reason)

    def script(self, name: str, state: str, reason: str, hold_seconds: float | None) -> None:
        """A scripted state (fault injection); held for `hold_seconds` real seconds, then given back."""
        alarm = self._backend().alarms.get(name)
        if alarm is None:
            return
        with self.lock:
            record = self._records.setdefault(name, AlarmRecord())
            previous = (alarm.state_value, alarm.state_reason)
            record.given_at, record.evaluated_through = time.time(), None
            record.held_until = time.monotonic() + hold_seconds if hold_seconds is not None else None
            record.restore = previous if hold_seconds is not None else None
            self._set(alarm, state, reason, None)

    # -- evaluation (from the control loop) --------------------------------------------------------

    def tick(self) -> None:
        now, mono = time.time(), time.monotonic()
        for name, alarm in list(self._backend().alarms.items()):
            if alarm.rule is None and (alarm.metric_data_queries or not alarm.metric_name):
                continue  # metric-math alarms are not evaluated
            with self.lock:
                record = self._records.setdefault(name, AlarmRecord())
                if record.held_until is not None:
                    if mono < record.held_until:
                        continue
                    state, reason = record.restore or (alarm.state_value, alarm.state_reason)
                    record.held_until, record.restore = None, None
                    self._set(alarm, state, f"{reason} (the scripted state ended)", None)
                    record.given_at, record.evaluated_through = time.time(), None
                if alarm.rule is not None:
                    self._evaluate_composite(alarm, record)
                else:
                    self._evaluate(alarm, record, now)

    def _evaluate_composite(self, alarm: Alarm, record: AlarmRecord) -> None:
        """ALARM while the rule holds, else OK; after a given state, once a child's state changes."""
        text = str(alarm.rule)
        try:
            rule, names = self._rules.get(text) or self._rules.setdefault(text, composite.parse(text))
        except composite.RuleError:
            return
        alarms = self._backend().alarms
        children = [alarms[n] for n in names if n in alarms]
        changed = max(children, key=lambda child: _epoch(child.state_updated_timestamp), default=None)
        if record.given_at and (changed is None or _epoch(changed.state_updated_timestamp) <= record.given_at):
            return
        state = "ALARM" if rule(lambda n: alarms[n].state_value if n in alarms else None) else "OK"
        if state != alarm.state_value:
            when = changed.state_updated_timestamp if changed is not None else datetime.now(UTC)
            reason = (f"{changed.alarm_arn} transitioned to {changed.state_value} at "
                      f"{when:%A %d %B, %Y %H:%M:%S} UTC" if changed is not None
                      else f"The alarm rule evaluated to {'TRUE' if state == 'ALARM' else 'FALSE'}")
            self._set(alarm, state, reason, None)

    def _evaluate(self, alarm: Alarm, record: AlarmRecord, now: float) -> None:
        key = metric_key(alarm.namespace, alarm.metric_name, ((str(d.name), str(d.value)) for d in alarm.dimensions))
        arrived = self._arrived.get(key)
        if record.given_at and (arrived is None or arrived <= record.given_at):
            return  # no datum since the state was given: it stands
        period = self.clock.real(float(alarm.period or 60))
        boundary = math.floor((now - EVALUATION_DELAY) / period)
        if record.evaluated_through is None or record.period != period:
            # From the period the alarm was created in, or (after a state was given) the one new data came in.
            start = arrived if record.given_at and arrived is not None else record.created_at
            record.evaluated_through, record.period = math.floor(start / period), period
        if arrived is None and alarm.state_value == _WITHOUT_DATA.get(str(alarm.treat_missing_data or "missing")):
            record.evaluated_through = max(record.evaluated_through, boundary)  # never any data: nothing to change
            return
        for end in range(max(record.evaluated_through + 1, boundary - MAX_CATCH_UP), boundary + 1):
            self._evaluate_at(alarm, key, end, period)
        record.evaluated_through = max(record.evaluated_through, boundary)

    def _evaluate_at(self, alarm: Alarm, key: MetricKey, end: int, period: float) -> None:
        periods = int(alarm.evaluation_periods or 1)
        needed = int(alarm.datapoints_to_alarm or periods)
        stat = str(alarm.extended_statistic or alarm.statistic or "Average")
        compare, words = COMPARISONS.get(str(alarm.comparison_operator), COMPARISONS["GreaterThanThreshold"])
        threshold = float(alarm.threshold)
        datapoints: list[tuple[float, float | None]] = []
        for index in range(end - periods, end):
            start = index * period
            datapoints.append((start, statistic(self._window(key, start, start + period), stat)))
        treat = str(alarm.treat_missing_data or "missing")
        present = [(at, v) for at, v in datapoints if v is not None]
        missing = len(datapoints) - len(present)
        breaching = sum(1 for _, v in present if compare(v, threshold))
        if treat == "breaching":
            breaching += missing
        counted = len(present) + (missing if treat in ("breaching", "notBreaching") else 0)
        if counted == 0:
            if treat == "ignore":
                return
            state = "INSUFFICIENT_DATA"
            reason = f"Insufficient Data: {missing} datapoint{'s were' if missing != 1 else ' was'} unknown."
        else:
            state = "ALARM" if breaching >= needed else "OK"
        if counted and not present:
            plural = "s were" if missing != 1 else " was"
            unit = "period" if missing == 1 else "periods"
            reason = (f"Threshold Crossed: no datapoints were received for {missing} {unit} "
                      f"and {missing} missing datapoint{plural} treated as "
                      f"[{'Breaching' if treat == 'breaching' else 'NonBreaching'}].")
        elif counted:
            shown = ", ".join(f"{v} ({self._emulated(at)})" for at, v in reversed(present))
            shown_count = breaching if state == "ALARM" else counted - breaching
            verb = ("was" if shown_count == 1 else "were") + ("" if state == "ALARM" else " not")
            reason = (f"Threshold Crossed: {shown_count} out of the last "
                      f"{len(datapoints)} datapoints [{shown}] {verb} {words} the threshold ({threshold}) "
                      f"(minimum {needed} datapoint{'s' if needed != 1 else ''} for "
                      f"{'OK -> ALARM' if state == 'ALARM' else 'ALARM -> OK'} transition).")
        if state != alarm.state_value:
            data = {"version": "1.0", "queryDate": self._emulated(time.time()),
                    "startDate": self._emulated(datapoints[0][0]), "statistic": stat,
                    "period": int(alarm.period or 60), "recentDatapoints": [v for _, v in present],
                    "threshold": threshold, "evaluatedDatapoints": [
                        {"timestamp": self._emulated(at), "value": v} for at, v in reversed(present)]}
            self._set(alarm, state, reason, json.dumps(data))

    def _emulated(self, at: float) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%d/%m/%y %H:%M:%S")

    # -- state changes and history -----------------------------------------------------------------

    def _set(self, alarm: Alarm, state: str, reason: str, reason_data: str | None) -> None:
        old_state, old_reason = alarm.state_value, alarm.state_reason
        if old_state == state:
            alarm.state_reason, alarm.state_reason_data = reason, reason_data or alarm.state_reason_data
            return
        alarm.update_state(reason, reason_data or "{}", state)
        self._transition_note(alarm, old_state, old_reason)

    def _transition_note(self, alarm: Alarm, old_state: str, old_reason: str) -> None:
        new_state: dict[str, Any] = {"stateValue": alarm.state_value, "stateReason": alarm.state_reason}
        if alarm.state_reason_data and alarm.state_reason_data != "{}":
            new_state["stateReasonData"] = json.loads(alarm.state_reason_data)
        data = {"version": "1.0", "oldState": {"stateValue": old_state, "stateReason": old_reason},
                "newState": new_state}
        self._note(alarm, "StateUpdate", f"Alarm updated from {old_state} to {alarm.state_value}", data)

    def _note(self, alarm: Alarm, kind: str, summary: str, data: dict[str, Any]) -> None:
        self._history.append({"AlarmName": alarm.name, "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
                              "Timestamp": datetime.now(UTC), "HistoryItemType": kind, "HistorySummary": summary,
                              "HistoryData": json.dumps(data)})

    def history(self, name: str | None, kinds: list[str], item_type: str | None, start: datetime | None,
                end: datetime | None, newest_first: bool) -> list[dict[str, Any]]:
        with self.lock:
            items = [dict(item) for item in self._history
                     if (not name or item["AlarmName"] == name) and (not kinds or item["AlarmType"] in kinds)
                     and (not item_type or item["HistoryItemType"] == item_type)
                     and (start is None or item["Timestamp"] >= _aware(start))
                     and (end is None or item["Timestamp"] <= _aware(end))]
        return list(reversed(items)) if newest_first else items


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
