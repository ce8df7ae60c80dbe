"""DescribeTargetHealth from real HTTP probes: initial, healthy, unhealthy, draining."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.emulator.apps import App
from tests.integration.emulator.conftest import wait_for


@pytest.fixture
def apps() -> Iterator[list[App]]:
    started: list[App] = []
    yield started
    for app in started:
        app.stop()


@pytest.fixture
def elbv2(emulator: Any) -> Any:
    return emulator.client("elbv2")


def ip_target_group(elbv2: Any, emulator: Any, name: str, delay: int = 30, **health: Any) -> str:
    vpc = emulator.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    arn = str(elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
        HealthCheckIntervalSeconds=health.get("interval", 10), HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=health.get("healthy", 3), UnhealthyThresholdCount=health.get("unhealthy", 2),
        Matcher={"HttpCode": health.get("matcher", "200")})["TargetGroups"][0]["TargetGroupArn"])
    elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}])
    return arn


def health_of(elbv2: Any, arn: str, app: App) -> dict[str, Any]:
    found = elbv2.describe_target_health(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    return dict(found["TargetHealthDescriptions"][0]["TargetHealth"])


def test_initial_then_healthy_then_unhealthy_when_the_app_stops_answering(elbv2: Any, emulator: Any,
                                                                          apps: list[App], unique: str) -> None:
    app = App("a")
    apps.append(app)
    arn = ip_target_group(elbv2, emulator, f"h-{unique}")
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    assert health_of(elbv2, arn, app) == {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                                          "Description": "Target registration is in progress"}
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "healthy", timeout=10)
    assert "Reason" not in health_of(elbv2, arn, app)

    app.stop()
    unhealthy = wait_for(lambda: (h := health_of(elbv2, arn, app))["State"] == "unhealthy" and h, timeout=10)
    assert unhealthy["Reason"] == "Target.FailedHealthChecks"


def test_wrong_status_code_is_a_response_code_mismatch(elbv2: Any, emulator: Any, apps: list[App],
                                                       unique: str) -> None:
    app = App("a")
    app.health_status = 503
    apps.append(app)
    arn = ip_target_group(elbv2, emulator, f"m-{unique}", matcher="200-299")
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    unhealthy = wait_for(lambda: (h := health_of(elbv2, arn, app))["State"] == "unhealthy" and h, timeout=10)
    assert unhealthy == {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                         "Description": "Health checks failed with these codes: [503]"}
    app.health_status = 204  # within the matcher's range
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "healthy", timeout=10)


def test_deregistered_target_drains_for_the_delay_then_is_gone(elbv2: Any, emulator: Any, apps: list[App],
                                                               unique: str) -> None:
    app = App("a")
    apps.append(app)
    arn = ip_target_group(elbv2, emulator, f"d-{unique}", delay=600)  # 1 s at the test clock
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "healthy", timeout=10)
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    draining = wait_for(lambda: (h := health_of(elbv2, arn, app))["State"] == "draining" and h, timeout=5)
    assert draining["Reason"] == "Target.DeregistrationInProgress"
    gone = wait_for(lambda: (h := health_of(elbv2, arn, app))["State"] == "unused" and h, timeout=5)
    assert gone["Reason"] == "Target.NotRegistered"
    assert elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] == []


def test_injected_fault_makes_healthy_targets_unhealthy(elbv2: Any, emulator: Any, apps: list[App],
                                                        unique: str) -> None:
    app = App("a")
    apps.append(app)
    name = f"f-{unique}"
    arn = ip_target_group(elbv2, emulator, name)
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app.port}])
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "healthy", timeout=10)
    emulator.faults.make_unhealthy(target_group=name)
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "unhealthy", timeout=10)
    emulator.faults.clear()
    wait_for(lambda: health_of(elbv2, arn, app)["State"] == "healthy", timeout=10)
