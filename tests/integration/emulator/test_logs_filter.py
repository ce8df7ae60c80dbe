"""CloudWatch Logs over HTTP: FilterLogEvents returns exactly what AWS's filter patterns match.

moto returns every event for `?A ?B`, `-term`, JSON, space-delimited and regex patterns; the emulator
reads them as AWS does, refuses an invalid one as AWS does, and pages and windows results as AWS does.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy_actions.emulator.logs.shipping import LogGroupMissing, awslogs_destination, ship

# (stream, offset ms, message): two web instances and a worker, interleaved in time.
EVENTS = [
    ("web-1", 0, "[stdout]ERROR boom"),
    ("web-2", 1, "[stdout]FATAL out of memory"),
    ("web-1", 2, '{"level": "ERROR", "latency": 700, "path": "/orders"}'),
    ("web-2", 3, '{"level": "INFO", "latency": 20, "path": "/healthcheck"}'),
    ("web-1", 4, '10.0.0.7 - - [02/Dec/2026:18:00:00 +0000] "GET /orders HTTP/1.1" 503 12'),
    ("web-2", 5, "GET /healthcheck ERROR 503"),
    ("worker-1", 6, "all good"),
]
MESSAGES = [message for _, _, message in EVENTS]


@pytest.fixture
def logs(emulator: Any) -> Any:
    return emulator.client("logs")


@pytest.fixture
def group(logs: Any, unique: str) -> tuple[str, int]:
    """A log group holding EVENTS, and the time of the first one."""
    name = f"/t{unique}/app"
    logs.create_log_group(logGroupName=name)
    start = int(time.time() * 1000) - 60_000
    for stream in ("web-1", "web-2", "worker-1"):
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(logGroupName=name, logStreamName=stream, logEvents=[
            {"timestamp": start + offset, "message": message} for s, offset, message in EVENTS if s == stream])
    return name, start


def messages(logs: Any, group: str, pattern: str | None = None, **extra: Any) -> list[str]:
    request = {"logGroupName": group, **extra} | ({"filterPattern": pattern} if pattern is not None else {})
    return [event["message"] for event in logs.filter_log_events(**request)["events"]]


CASES = [
    (None, MESSAGES),
    ("ERROR", [MESSAGES[0], MESSAGES[2], MESSAGES[5]]),
    ("?ERROR ?FATAL", [*MESSAGES[:3], MESSAGES[5]]),
    ("?ERROR -healthcheck ?FATAL -healthcheck", MESSAGES[:3]),
    ('?"ERROR" "orders" ?"FATAL" "memory"', [MESSAGES[1], MESSAGES[2]]),
    ('"out of memory"', [MESSAGES[1]]),
    ('{ $.level = "ERROR" }', [MESSAGES[2]]),
    ("{ $.latency > 500 || $.path = *health* }", MESSAGES[2:4]),
    ("{ $.trace NOT EXISTS && $.latency < 100 }", [MESSAGES[3]]),
    ("[ip, user, username, timestamp, request, status_code = 5*, bytes]", [MESSAGES[4]]),
    ("[..., status_code = 503, bytes < 100]", [MESSAGES[4]]),
    (r"%^GET\s.*\s5[0-9]{2}$%", [MESSAGES[5]]),
    ("%boom|memory%", MESSAGES[:2]),
]


@pytest.mark.parametrize(("pattern", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_filter_log_events_returns_exactly_the_matching_events_in_time_order(
        logs: Any, group: tuple[str, int], pattern: str | None, expected: list[str]) -> None:
    assert messages(logs, group[0], pattern) == expected


def test_each_event_names_its_stream(logs: Any, group: tuple[str, int]) -> None:
    events = logs.filter_log_events(logGroupName=group[0], filterPattern="?FATAL ?good")["events"]
    assert [(e["logStreamName"], e["message"]) for e in events] == [("web-2", MESSAGES[1]), ("worker-1", MESSAGES[6])]
    assert all(e["timestamp"] and e["eventId"] and e["ingestionTime"] for e in events)


@pytest.mark.parametrize("pattern", ["{ $.level = ", "%ERROR(S)?%", "[a, b", "{ $.latency > \"high\" }", "ERROR:"])
def test_an_invalid_pattern_is_refused_as_aws_refuses_it(logs: Any, group: tuple[str, int], pattern: str) -> None:
    with pytest.raises(ClientError) as refused:
        logs.filter_log_events(logGroupName=group[0], filterPattern=pattern)
    assert refused.value.response["Error"] == {"Code": "InvalidParameterException", "Message": "Invalid filter pattern"}
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_pages_follow_each_other_and_the_last_has_no_token(logs: Any, group: tuple[str, int]) -> None:
    pages: list[list[str]] = []
    request: dict[str, Any] = {"logGroupName": group[0], "filterPattern": "-good", "limit": 2}
    while True:
        answer = logs.filter_log_events(**request)
        pages.append([e["message"] for e in answer["events"]])
        if "nextToken" not in answer:
            break
        request["nextToken"] = answer["nextToken"]
    assert pages == [MESSAGES[0:2], MESSAGES[2:4], MESSAGES[4:6]]
    paginated = logs.get_paginator("filter_log_events").paginate(logGroupName=group[0], filterPattern="ERROR",
                                                                 PaginationConfig={"PageSize": 1})
    assert [e["message"] for page in paginated for e in page["events"]] == [MESSAGES[0], MESSAGES[2], MESSAGES[5]]


def test_an_unknown_next_token_is_refused(logs: Any, group: tuple[str, int]) -> None:
    with pytest.raises(ClientError) as refused:
        logs.filter_log_events(logGroupName=group[0], nextToken="invalid-token")
    assert refused.value.response["Error"] == {"Code": "InvalidParameterException",
                                               "Message": "The specified nextToken is invalid."}


def test_streams_and_time_window_narrow_the_search(logs: Any, group: tuple[str, int]) -> None:
    name, start = group
    assert messages(logs, name, "ERROR", logStreamNames=["web-2"]) == [MESSAGES[5]]
    assert messages(logs, name, logStreamNamePrefix="web-", startTime=start + 2, endTime=start + 4) == MESSAGES[2:5]
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
    assert [e["message"] for e in logs.filter_log_events(logGroupIdentifier=arn, filterPattern="FATAL")["events"]] \
        == [MESSAGES[1]]
    with pytest.raises(ClientError) as refused:
        logs.filter_log_events(logGroupName=name, logStreamNames=["web-1"], logStreamNamePrefix="web")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as missing:
        logs.filter_log_events(logGroupName=name + "-missing")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_test_metric_filter_matches_and_extracts_fields(logs: Any) -> None:
    answer = logs.test_metric_filter(
        filterPattern="[ip, user, username, timestamp, request, status_code = 5*, bytes]",
        logEventMessages=[MESSAGES[4], MESSAGES[5], '1.2.3.4 - - [x] "GET / HTTP/1.1" 200 5'])
    assert answer["matches"] == [{
        "eventNumber": 1, "eventMessage": MESSAGES[4],
        "extractedValues": {"$ip": "10.0.0.7", "$user": "-", "$username": "-",
                            "$timestamp": "02/Dec/2026:18:00:00 +0000", "$request": "GET /orders HTTP/1.1",
                            "$status_code": "503", "$bytes": "12"}}]
    with pytest.raises(ClientError) as refused:
        logs.test_metric_filter(filterPattern=" {$.ThisFlag IS TRUE} ", logEventMessages=["x"])
    assert refused.value.response["Error"] == {"Code": "InvalidParameterException",
                                               "Message": "Invalid metric filter pattern"}


def test_put_metric_filter_refuses_an_invalid_pattern(logs: Any, group: tuple[str, int]) -> None:
    transformation = [{"metricName": "errors", "metricNamespace": "app", "metricValue": "1"}]
    with pytest.raises(ClientError) as refused:
        logs.put_metric_filter(logGroupName=group[0], filterName="errors", filterPattern='"event": "x"',
                               metricTransformations=transformation)
    assert refused.value.response["Error"] == {"Code": "InvalidParameterException",
                                               "Message": "Invalid metric filter pattern"}
    logs.put_metric_filter(logGroupName=group[0], filterName="errors", filterPattern='{ $.level = "ERROR" }',
                           metricTransformations=transformation)
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName=group[0])["metricFilters"]] == ["errors"]


def test_insights_queries_moto_would_answer_wrongly_are_refused(logs: Any, group: tuple[str, int]) -> None:
    name, start = group
    window = {"logGroupName": name, "startTime": start // 1000 - 60, "endTime": start // 1000 + 60}
    with pytest.raises(ClientError) as refused:
        logs.start_query(queryString="fields @message | filter @message like /ERROR/ | limit 5", **window)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "filter not emulated" in refused.value.response["Error"]["Message"]
    query = logs.start_query(queryString="fields @message | sort @timestamp asc | limit 2", **window)["queryId"]
    results = logs.get_query_results(queryId=query)["results"]
    assert [[f["value"] for f in row if f["field"] == "@message"] for row in results] == [[MESSAGES[0]], [MESSAGES[1]]]


def test_shipped_lines_are_found_by_filter_log_events(logs: Any, unique: str) -> None:
    group = f"/ecs/t{unique}"
    assert ship(group, "web/app/task-1", ["starting", "", "ERROR boom\n", "ready"]) == 3
    assert messages(logs, group, "?ERROR ?FATAL") == ["ERROR boom"]
    assert logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"] == "web/app/task-1"
    with pytest.raises(LogGroupMissing, match="The specified log group does not exist"):
        ship(f"/ecs/t{unique}-absent", "s", ["x"], create_group=False)


def test_an_awslogs_container_ships_to_prefix_container_task(logs: Any, unique: str) -> None:
    container = {"name": "web", "image": "app:1", "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": f"/ecs/t{unique}-web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app",
        "awslogs-create-group": "true"}}}
    destination = awslogs_destination(container, "0123456789abcdef", "eu-west-1")
    assert destination is not None
    assert (destination.stream, destination.region, destination.create_group) == ("app/web/0123456789abcdef",
                                                                                  "us-east-1", True)
    destination.ship_events([(int(time.time() * 1000) - 5, "GET /health 200"), (int(time.time() * 1000), "FATAL x")])
    events = logs.filter_log_events(logGroupName=f"/ecs/t{unique}-web", filterPattern="?FATAL ?ERROR")["events"]
    assert [(e["logStreamName"], e["message"]) for e in events] == [("app/web/0123456789abcdef", "FATAL x")]

    without_create = {**container, "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": f"/ecs/t{unique}-none", "awslogs-stream-prefix": "app"}}}
    missing = awslogs_destination(without_create, "t1", "us-east-1")
    assert missing is not None and not missing.create_group
    with pytest.raises(LogGroupMissing):
        missing.ship(["hello"])
    assert awslogs_destination({"name": "web", "logConfiguration": {"logDriver": "json-file"}}, "t1", "x") is None
