"""CloudWatch operations answered with the alarm evaluator: alarm states, history, combined filters.

Each function becomes a method of moto's `CloudWatchResponse` (see `extensions.py`). Without a
running emulator (moto used directly) each answers as moto does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from moto.cloudwatch.models import Statistics, daterange
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from deploy_actions.emulator.cloudwatch import composite
from deploy_actions.emulator.cloudwatch.alarms import Alarms
from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.core.errors import AwsError

_MOTO: dict[str, Callable[..., Any]] = {}


def _moto(name: str) -> Callable[..., Any]:
    if name not in _MOTO:
        _MOTO[name] = getattr(CloudWatchResponse, name)
    return _MOTO[name]


def put_metric_alarm(self: Any) -> ActionResult:
    alarms = runtime.current(Alarms)
    name = str(self._get_param("AlarmName"))
    previous = self.cloudwatch_backend.alarms.get(name)
    result: ActionResult = _moto("put_metric_alarm")(self)
    if alarms is not None:
        alarms.created(name, previous)
    return result


def put_composite_alarm(self: Any) -> ActionResult:
    """moto has no PutCompositeAlarm: stored as moto stores alarms, with its rule, and evaluated."""
    name, rule = str(self._get_param("AlarmName")), str(self._get_param("AlarmRule") or "")
    try:
        _, names = composite.parse(rule)
    except composite.RuleError as error:
        raise AwsError("ValidationError", f"The AlarmRule is not valid: {error}") from error
    backend = self.cloudwatch_backend
    unknown = [n for n in names if n not in backend.alarms]
    if unknown:
        raise AwsError("ValidationError", f"Could not save the composite alarm as alarms {unknown} in the alarm "
                                          "rule do not exist")
    previous = backend.alarms.get(name)
    backend.put_metric_alarm(
        name=name, namespace=None, metric_name=None, comparison_operator=None, evaluation_periods=None,
        period=None, threshold=None, statistic=None, description=self._get_param("AlarmDescription"),
        dimensions=[], alarm_actions=self._get_param("AlarmActions", []) or [],
        ok_actions=self._get_param("OKActions", []), insufficient_data_actions=self._get_param(
            "InsufficientDataActions", []), actions_enabled=self._get_param("ActionsEnabled"),
        rule=rule, tags=self._get_param("Tags", []))
    backend.alarms[name].alarm_rule = rule  # the attribute DescribeAlarms' AlarmRule is read from
    alarms = runtime.current(Alarms)
    if alarms is not None:
        alarms.created(name, previous)
    return ActionResult({})


def put_metric_data(self: Any) -> ActionResult:
    alarms = runtime.current(Alarms)
    if alarms is None:
        return _moto("put_metric_data")(self)  # type: ignore[no-any-return]
    with alarms.lock:
        stored = self.cloudwatch_backend.metric_data
        before = len(stored)
        result: ActionResult = _moto("put_metric_data")(self)
        alarms.record(stored[before:])
    return result


def set_alarm_state(self: Any) -> ActionResult:
    alarms = runtime.current(Alarms)
    alarm = self.cloudwatch_backend.alarms.get(str(self._get_param("AlarmName")))
    old = (alarm.state_value, alarm.state_reason) if alarm is not None else ("", "")
    result: ActionResult = _moto("set_alarm_state")(self)
    if alarms is not None:
        alarms.given(str(self._get_param("AlarmName")), *old)
    return result


def delete_alarms(self: Any) -> ActionResult:
    alarms = runtime.current(Alarms)
    result: ActionResult = _moto("delete_alarms")(self)
    if alarms is not None:
        alarms.deleted(self._get_param("AlarmNames", []))
    return result


def describe_alarms(self: Any) -> ActionResult:
    """Every filter given applies (moto uses only the first one it finds)."""
    names = self._get_param("AlarmNames", []) or []
    prefix = self._get_param("AlarmNamePrefix")
    if names and prefix:
        raise AwsError("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be used together.")
    state = self._get_param("StateValue")
    action_prefix = self._get_param("ActionPrefix")
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    found = []
    for alarm in list(self.cloudwatch_backend.alarms.values()):
        if (names and alarm.name not in names) or (prefix and not alarm.name.startswith(prefix)) \
                or (state and alarm.state_value != state) \
                or (action_prefix and not any(a.startswith(action_prefix) for a in alarm.alarm_actions or [])):
            continue
        found.append(alarm)
    found.sort(key=lambda alarm: alarm.name)
    metric = [a for a in found if a.rule is None] if "MetricAlarm" in types else []
    composite = [a for a in found if a.rule is not None] if "CompositeAlarm" in types else []
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxRecords") or 50)
    page = (metric + composite)[start:start + size]
    answer: dict[str, Any] = {"MetricAlarms": [a for a in page if a.rule is None],
                              "CompositeAlarms": [a for a in page if a.rule is not None]}
    if start + size < len(metric) + len(composite):
        answer["NextToken"] = str(start + size)
    return ActionResult(answer)


def get_metric_statistics(self: Any) -> ActionResult:
    """moto's answer, but over the datums whose dimensions are exactly the ones asked for, as CloudWatch
    matches them (moto takes every datum that has them among others: the load balancers publish each
    metric per load balancer and per load balancer and target group, which moto would add up)."""
    alarms = runtime.current(Alarms)
    if alarms is None:
        return _moto("get_metric_statistics")(self)  # type: ignore[no-any-return]
    statistics = self._get_param("Statistics", []) or []
    if not statistics:
        raise AwsError("InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics")
    start, end = self._get_param("StartTime"), self._get_param("EndTime")
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    if start >= end:
        raise AwsError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    wanted = sorted((str(d["Name"]), str(d.get("Value"))) for d in self._get_param("Dimensions", []) or [])
    unit = self._get_param("Unit")
    period = timedelta(seconds=int(self._get_param("Period")))
    data = sorted((md for md in list(self.cloudwatch_backend.metric_data)
                   if md.namespace == self._get_param("Namespace") and md.name == self._get_param("MetricName")
                   and start <= md.timestamp < end and (not unit or md.unit == unit)
                   and sorted((str(d.name), str(d.value)) for d in md.dimensions) == wanted),
                  key=lambda md: md.timestamp)
    points: list[Statistics] = []
    index = 0
    for moment in (daterange(data[0].timestamp, data[-1].timestamp + period, period) if data else []):
        point = Statistics(statistics, moment)
        while index < len(data) and data[index].timestamp < moment + period:
            point.metric_data.append(data[index])
            point.unit = data[index].unit
            index += 1
        if point.metric_data:
            points.append(point)
    return ActionResult({"Label": self._get_param("MetricName"), "Datapoints": points})


def describe_alarm_history(self: Any) -> ActionResult:
    alarms = runtime.current(Alarms)
    if alarms is None:
        return ActionResult({"AlarmHistoryItems": []})  # moto has no history
    items = alarms.history(self._get_param("AlarmName"), self._get_param("AlarmTypes", []) or [],
                           self._get_param("HistoryItemType"), self._get_param("StartDate"),
                           self._get_param("EndDate"), self._get_param("ScanBy") != "TimestampAscending")
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxRecords") or 100)
    answer: dict[str, Any] = {"AlarmHistoryItems": items[start:start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return ActionResult(answer)


HANDLERS: dict[str, Callable[..., Any]] = {
    "put_metric_alarm": put_metric_alarm,
    "put_composite_alarm": put_composite_alarm,
    "put_metric_data": put_metric_data,
    "set_alarm_state": set_alarm_state,
    "delete_alarms": delete_alarms,
    "describe_alarms": describe_alarms,
    "describe_alarm_history": describe_alarm_history,
    "get_metric_statistics": get_metric_statistics,
}
for _name in HANDLERS:
    if hasattr(CloudWatchResponse, _name):
        _moto(_name)
