"""Logs operations moto answers differently: FilterLogEvents and TestMetricFilter with AWS's patterns.

moto's FilterLogEvents understands plain terms and one quoted phrase and returns every event for
any other pattern. Here the pattern is compiled by `patterns` (InvalidParameterException "Invalid
filter pattern" where AWS refuses it) and the rest of the operation is AWS's: the log group by name
or identifier (ARN), `logStreamNames` or `logStreamNamePrefix` (not both), `startTime`/`endTime`
inclusive, events in timestamp order across streams (AWS ignores `interleaved` since 2019), `limit`
up to 10,000 and a `nextToken` that continues after the last event returned (InvalidParameterException
"The specified nextToken is invalid." for one it did not hand out). TestMetricFilter,
which moto lacks, tests a pattern against sample messages; it and PutMetricFilter refuse an invalid
pattern with "Invalid metric filter pattern", as AWS does.

Each function becomes a method of moto's `LogsResponse` (see `extensions.py`).
"""

from __future__ import annotations

import json
from typing import Any

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.responses import LogsResponse

from deploy_actions.emulator.logs.patterns import MESSAGE, InvalidFilterPattern, Pattern, compile_pattern
from deploy_actions.emulator.logs.patterns import extracted_values as extracted

MAX_LIMIT = 10000


METRIC_MESSAGE = "Invalid metric filter pattern"  # TestMetricFilter's and PutMetricFilter's answer on AWS
_moto_put_metric_filter = LogsResponse.put_metric_filter  # captured before extensions.install() replaces it


def _pattern(text: str | None, message: str = MESSAGE) -> Pattern:
    try:
        return compile_pattern(text)
    except InvalidFilterPattern:
        raise InvalidParameterException(message) from None


def _group_name(self: Any) -> str:
    name = self._get_param("logGroupName")
    identifier = self._get_param("logGroupIdentifier")
    if name and identifier:
        raise InvalidParameterException("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier:  # a name, or arn:aws:logs:region:account:log-group:NAME[:*]
        name = identifier.split(":log-group:", 1)[1].removesuffix(":*") if ":log-group:" in identifier else identifier
    if not name:
        raise InvalidParameterException("Should provide either name or ARN of the log group")
    return str(name)


def filter_log_events(self: Any) -> str:
    group_name = _group_name(self)
    stream_names = self._get_param("logStreamNames") or []
    prefix = self._get_param("logStreamNamePrefix")
    if stream_names and prefix:
        raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive")
    start, end = self._get_param("startTime"), self._get_param("endTime")
    limit = self._get_param("limit") or MAX_LIMIT
    if limit > MAX_LIMIT:
        raise InvalidParameterException(constraint=f"Member must have value less than or equal to {MAX_LIMIT}",
                                        parameter="limit", value=limit)
    pattern = _pattern(self._get_param("filterPattern"))
    group = self.logs_backend.groups.get(group_name)
    if group is None:
        raise ResourceNotFoundException()
    streams = [stream for name, stream in group.streams.items()
               if (not stream_names or name in stream_names) and (not prefix or name.startswith(prefix))]
    found = [(event, stream.log_stream_name) for stream in streams for event in stream.events
             if (start is None or event.timestamp >= start) and (end is None or event.timestamp <= end)
             and pattern.matches(event.message)]
    found.sort(key=lambda pair: (pair[0].timestamp, pair[0].event_id))
    first = _after(found, self._get_param("nextToken"), group_name)
    page = found[first:first + limit]
    events = [{**event.to_filter_dict(), "logStreamName": stream} for event, stream in page]
    answer: dict[str, Any] = {
        "events": events,
        "searchedLogStreams": [{"logStreamName": s.log_stream_name, "searchedCompletely": True} for s in streams],
    }
    if page and first + limit < len(found):
        last = events[-1]
        answer["nextToken"] = f"{group_name}@{last['logStreamName']}@{last['eventId']}"
    return json.dumps(answer)


def _after(found: list[tuple[Any, str]], token: str | None, group_name: str) -> int:
    """Where the page starts: after the event the token names."""
    if not token:
        return 0
    parts = token.split("@")
    if len(parts) == 3 and parts[0] == group_name:
        for index, (event, stream) in enumerate(found):
            if stream == parts[1] and str(event.event_id) == parts[2]:
                return index + 1
    raise InvalidParameterException("The specified nextToken is invalid.")  # AWS's answer, recorded by LocalStack


def put_metric_filter(self: Any) -> str:
    _pattern(self._get_param("filterPattern"), METRIC_MESSAGE)
    return str(_moto_put_metric_filter(self))


def test_metric_filter(self: Any) -> str:
    pattern = _pattern(self._get_param("filterPattern"), METRIC_MESSAGE)
    messages = self._get_param("logEventMessages") or []
    matches = [{"eventNumber": number, "eventMessage": message, "extractedValues": extracted(pattern, message)}
               for number, message in enumerate(messages, start=1) if pattern.matches(message)]
    return json.dumps({"matches": matches})


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # a handler, not a pytest test

HANDLERS = {"filter_log_events": filter_log_events, "test_metric_filter": test_metric_filter,
            "put_metric_filter": put_metric_filter}
