"""CloudWatch alarms that evaluate what is put to them, over HTTP: states, M of N, history, scripts, ALB 5xx,
composite rules.

Periods are emulated time (a 60 s period lasts 0.1 s at the tests' clock factor), so each test waits
on the alarm's state or history, never on a duration.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import CLOCK_FACTOR, wait_for
from tests.integration.emulator.test_target_health import ip_target_group


@pytest.fixture
def cloudwatch(emulator: Any) -> Any:
    return emulator.client("cloudwatch")


def _alarm(cloudwatch: Any, name: str, **settings: Any) -> None:
    cloudwatch.put_metric_alarm(**{
        "AlarmName": name, "Namespace": "Test/App", "MetricName": "Errors", "Statistic": "Sum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 5.0, "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions": [{"Name": "Service", "Value": name}], **settings})


def _state(cloudwatch: Any, name: str) -> str:
    found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return str([*found["MetricAlarms"], *found["CompositeAlarms"]][0]["StateValue"])


def _transitions(cloudwatch: Any, name: str) -> list[str]:
    items = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate",
                                              ScanBy="TimestampAscending")["AlarmHistoryItems"]
    return [item["HistorySummary"].removeprefix("Alarm updated from ") for item in items]


def _put(cloudwatch: Any, name: str, *values: float, at: datetime | None = None) -> None:
    """One datum (several values: one datum, so one period, whatever the clock does meanwhile)."""
    datum: dict[str, Any] = {"MetricName": "Errors", "Values": list(values),
                             "Dimensions": [{"Name": "Service", "Value": name}]}
    if at is not None:
        datum["Timestamp"] = at
    cloudwatch.put_metric_data(Namespace="Test/App", MetricData=[datum])


def test_an_alarm_starts_insufficient_data_and_goes_to_alarm_from_put_metric_data(
        cloudwatch: Any, unique: str) -> None:
    name = f"errors-{unique}"
    _alarm(cloudwatch, name)
    assert _state(cloudwatch, name) == "INSUFFICIENT_DATA"
    _put(cloudwatch, name, 3.0, 4.0)  # Sum 7 in one period: above 5
    # Then no more data: the next period without any is INSUFFICIENT_DATA again (TreatMissingData missing).
    wait_for(lambda: len(_transitions(cloudwatch, name)) >= 2)
    assert _state(cloudwatch, name) == "INSUFFICIENT_DATA"
    assert _transitions(cloudwatch, name) == ["INSUFFICIENT_DATA to ALARM", "ALARM to INSUFFICIENT_DATA"]
    [alarmed] = [i for i in cloudwatch.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
                 if i["HistorySummary"].endswith("to ALARM")]
    reason = json.loads(alarmed["HistoryData"])["newState"]["stateReason"]
    assert reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [7.0 ")
    assert "greater than the threshold (5.0)" in reason
    created = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="ConfigurationUpdate")
    assert [i["HistorySummary"] for i in created["AlarmHistoryItems"]] == [f'Alarm "{name}" created']


@pytest.mark.parametrize(("treat", "expected"), [("notBreaching", "OK"), ("breaching", "ALARM")])
def test_without_any_data_missing_datapoints_count_as_treat_missing_data_says(
        cloudwatch: Any, unique: str, treat: str, expected: str) -> None:
    name = f"no-data-{treat}-{unique}"
    _alarm(cloudwatch, name, TreatMissingData=treat)
    wait_for(lambda: _transitions(cloudwatch, name))
    assert _transitions(cloudwatch, name) == [f"INSUFFICIENT_DATA to {expected}"]
    reason = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateReason"]
    assert reason == ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                      f"treated as [{'NonBreaching' if expected == 'OK' else 'Breaching'}].")


def _periods_ago(period: float, *ago: int) -> list[datetime]:
    """Moments inside the periods that ended `ago` periods before the current one (emulated period)."""
    real = period / CLOCK_FACTOR
    current = math.floor(time.time() / real)
    return [datetime.fromtimestamp((current - n) * real + real / 2, UTC) for n in ago]


@pytest.mark.parametrize(("datapoints_to_alarm", "expected"), [(2, "ALARM"), (3, "OK")])
def test_datapoints_to_alarm_of_evaluation_periods(
        cloudwatch: Any, unique: str, datapoints_to_alarm: int, expected: str) -> None:
    # Half an hour's period lasts 3 s here. Periods are evaluated from the one the alarm was created in,
    # so the first evaluation's three periods hold the data put in the two before the current one.
    name = f"m-of-n-{unique}"
    _alarm(cloudwatch, name, Period=1800, EvaluationPeriods=3, DatapointsToAlarm=datapoints_to_alarm,
           TreatMissingData="notBreaching")
    two, one = _periods_ago(1800, 2, 1)
    _put(cloudwatch, name, 9.0, at=two)
    _put(cloudwatch, name, 8.0, at=one)  # two breaching datapoints; the third period has none (not breaching)
    wait_for(lambda: _transitions(cloudwatch, name))
    assert _transitions(cloudwatch, name)[0] == f"INSUFFICIENT_DATA to {expected}"


def test_set_alarm_state_holds_until_new_data_and_describe_alarms_combines_filters(
        cloudwatch: Any, unique: str) -> None:
    quiet, noisy = f"quiet-{unique}", f"noisy-{unique}"
    _alarm(cloudwatch, quiet)
    _alarm(cloudwatch, noisy)
    cloudwatch.set_alarm_state(AlarmName=quiet, StateValue="OK", StateReason="by hand")
    cloudwatch.set_alarm_state(AlarmName=noisy, StateValue="ALARM", StateReason="by hand")
    found = cloudwatch.describe_alarms(AlarmNamePrefix="quiet-", StateValue="OK")["MetricAlarms"]
    assert quiet in [a["AlarmName"] for a in found] and noisy not in [a["AlarmName"] for a in found]
    assert cloudwatch.describe_alarms(AlarmNames=[quiet, noisy], StateValue="ALARM")["MetricAlarms"][0][
        "AlarmName"] == noisy
    _put(cloudwatch, noisy, 1.0)  # new data: the evaluator takes over
    wait_for(lambda: len(_transitions(cloudwatch, noisy)) >= 2)
    assert _state(cloudwatch, quiet) == "OK"
    # (then, no more data, INSUFFICIENT_DATA)
    assert _transitions(cloudwatch, noisy)[:2] == ["INSUFFICIENT_DATA to ALARM", "ALARM to OK"]


def test_a_scripted_alarm_fires_at_its_time_for_its_duration(emulator: Any, cloudwatch: Any, unique: str) -> None:
    name = f"scripted-{unique}"
    _alarm(cloudwatch, name)
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="healthy")
    # As `deploy-actions emulator fault alarm --alarm NAME --at 30 --for-seconds 20` sends it.
    request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/faults", method="POST", data=json.dumps(
        {"kind": "alarm", "alarm": name, "at": 30, "for_seconds": 20}).encode())
    urllib.request.urlopen(request, timeout=10).close()
    wait_for(lambda: len(_transitions(cloudwatch, name)) >= 3)
    assert _transitions(cloudwatch, name) == ["INSUFFICIENT_DATA to OK", "OK to ALARM", "ALARM to OK"]


class FailingApp:
    """Healthy to the load balancer's checks, 500 to every request."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status = 200 if self.path == "/health" else 500
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def failing_app() -> Iterator[FailingApp]:
    app = FailingApp()
    yield app
    app.stop()


def _balanced(emulator: Any, unique: str, app: FailingApp) -> tuple[str, str, str]:
    """(target group ARN, LoadBalancer dimension, listener URL) of a load balancer in front of `app`, healthy."""
    elbv2 = emulator.client("elbv2")
    group = ip_target_group(elbv2, emulator, f"f-{unique}", healthy=2)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = elbv2.create_load_balancer(Name=f"lb5-{unique}", Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]
    wait_for(lambda: [d for d in elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
                      if d["TargetHealth"]["State"] == "healthy"], timeout=10)
    dimension = balancer["LoadBalancerArn"].split(":loadbalancer/")[1]  # app/<name>/<id>, as AWS names it
    return group, dimension, emulator.listener_url(listener["ListenerArn"])


def test_a_5xx_alarm_fires_from_real_traffic_through_the_load_balancer(
        emulator: Any, cloudwatch: Any, unique: str, failing_app: FailingApp) -> None:
    group, dimension, url = _balanced(emulator, unique, failing_app)
    name = f"alb-5xx-{unique}"
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                                Dimensions=[{"Name": "LoadBalancer", "Value": dimension}], Statistic="Sum",
                                Period=600, EvaluationPeriods=1, Threshold=2, TreatMissingData="notBreaching",
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    statuses = []
    for _ in range(15):  # ten minutes last a second here: 15 requests give at least 2 in one period
        try:
            urllib.request.urlopen(url + "/", timeout=5).close()
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses == [500] * 15
    # Not breaching before the traffic: INSUFFICIENT_DATA, maybe OK first, then ALARM.
    wait_for(lambda: [t for t in _transitions(cloudwatch, name) if t.endswith(" to ALARM")])
    # Each series counts every request once: dimensions match exactly, as CloudWatch matches them.
    per_balancer = [{"Name": "LoadBalancer", "Value": dimension}]
    per_group = [*per_balancer, {"Name": "TargetGroup", "Value": group.rsplit(":", 1)[1]}]
    for dimensions in (per_balancer, per_group):
        requests = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistics=["Sum"], Period=60,
            Dimensions=dimensions, StartTime=datetime.fromtimestamp(time.time() - 3600, UTC),
            EndTime=datetime.fromtimestamp(time.time() + 60, UTC))
        assert sum(p["Sum"] for p in requests["Datapoints"]) == len(statuses)


def test_a_healthy_host_count_alarm_fires_when_the_targets_fail_their_health_checks(
        emulator: Any, cloudwatch: Any, unique: str, failing_app: FailingApp) -> None:
    group, dimension, _ = _balanced(emulator, unique, failing_app)
    name = f"no-healthy-host-{unique}"
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HealthyHostCount",
                                Dimensions=[{"Name": "LoadBalancer", "Value": dimension},
                                            {"Name": "TargetGroup", "Value": group.rsplit(":", 1)[1]}],
                                Statistic="Minimum", Period=60, EvaluationPeriods=2, Threshold=1,
                                ComparisonOperator="LessThanThreshold")
    wait_for(lambda: _state(cloudwatch, name) == "OK")
    # Before the fault a loaded machine may time a probe out (0.5 s at least) and flap the alarm once; what
    # this test holds is the transition the fault causes, read once the history has it.
    before = len(_transitions(cloudwatch, name))
    emulator.faults.make_unhealthy(target_group=group)
    wait_for(lambda: _transitions(cloudwatch, name)[before:] == ["OK to ALARM"])
    assert _state(cloudwatch, name) == "ALARM"


def test_a_composite_alarm_follows_its_rule_over_its_children(cloudwatch: Any, unique: str) -> None:
    cpu, errors, both = f"cpu-{unique}", f"errors-{unique}", f"either-{unique}"
    for child in (cpu, errors):
        _alarm(cloudwatch, child)
        cloudwatch.set_alarm_state(AlarmName=child, StateValue="OK", StateReason="quiet")
    rule = f'ALARM("{cpu}") OR ALARM({errors})'
    cloudwatch.put_composite_alarm(AlarmName=both, AlarmRule=rule)
    wait_for(lambda: _state(cloudwatch, both) == "OK")
    cloudwatch.set_alarm_state(AlarmName=errors, StateValue="ALARM", StateReason="errors")
    wait_for(lambda: _transitions(cloudwatch, both)[-1:] == ["OK to ALARM"])
    [found] = cloudwatch.describe_alarms(AlarmNames=[both], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert found["AlarmRule"] == rule and found["StateValue"] == "ALARM"
    assert found["StateReason"].startswith(f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{errors} transitioned "
                                           "to ALARM at ")
    assert cloudwatch.describe_alarms(AlarmNames=[both])["CompositeAlarms"] == []  # metric alarms only by default
    with pytest.raises(ClientError) as unknown:
        cloudwatch.put_composite_alarm(AlarmName=f"bad-{unique}", AlarmRule="ALARM(no-such-alarm)")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"
