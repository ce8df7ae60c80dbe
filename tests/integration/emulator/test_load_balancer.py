"""The emulated ALB's data plane: real HTTP through the listener, following forward weights and rules."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.emulator.apps import App
from tests.integration.emulator.conftest import wait_for
from tests.integration.emulator.test_target_health import ip_target_group


@pytest.fixture
def elbv2(emulator: Any) -> Any:
    return emulator.client("elbv2")


@pytest.fixture
def blue_green(elbv2: Any, emulator: Any, unique: str) -> Iterator[dict[str, Any]]:
    """Two healthy target groups (one app each) behind a listener forwarding to blue."""
    blue_app, green_app = App("blue"), App("green")
    blue = ip_target_group(elbv2, emulator, f"b-{unique}", healthy=2)
    green = ip_target_group(elbv2, emulator, f"g-{unique}", healthy=2)
    elbv2.register_targets(TargetGroupArn=blue, Targets=[{"Id": "127.0.0.1", "Port": blue_app.port}])
    elbv2.register_targets(TargetGroupArn=green, Targets=[{"Id": "127.0.0.1", "Port": green_app.port}])
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = elbv2.create_load_balancer(Name=f"lb-{unique}", Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])["Listeners"][0]
    for arn in (blue, green):
        wait_for(lambda arn=arn: [d for d in elbv2.describe_target_health(TargetGroupArn=arn)[
            "TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy"], timeout=10)
    yield {"blue": blue, "green": green, "listener": listener["ListenerArn"],
           "balancer": balancer["LoadBalancerArn"], "url": emulator.listener_url(listener["ListenerArn"])}
    blue_app.stop()
    green_app.stop()


def get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"


def test_dns_name_is_the_listener_address(elbv2: Any, blue_green: dict[str, Any]) -> None:
    dns = wait_for(lambda: elbv2.describe_load_balancers(LoadBalancerArns=[blue_green["balancer"]])[
        "LoadBalancers"][0]["DNSName"].startswith("127.0.0.1:") and elbv2.describe_load_balancers(
        LoadBalancerArns=[blue_green["balancer"]])["LoadBalancers"][0]["DNSName"])
    assert f"http://{dns}" == blue_green["url"]
    assert get(f"http://{dns}/") == "blue"


def test_switching_the_listener_is_visible_in_the_responses(elbv2: Any, blue_green: dict[str, Any]) -> None:
    assert {get(blue_green["url"] + "/") for _ in range(4)} == {"blue"}
    elbv2.modify_listener(ListenerArn=blue_green["listener"],
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": blue_green["green"]}])
    assert {get(blue_green["url"] + "/") for _ in range(4)} == {"green"}


def test_weighted_forward_splits_requests_by_weight(elbv2: Any, blue_green: dict[str, Any]) -> None:
    elbv2.modify_listener(ListenerArn=blue_green["listener"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": blue_green["blue"], "Weight": 90},
                         {"TargetGroupArn": blue_green["green"], "Weight": 10}]}}])
    answers = Counter(get(blue_green["url"] + "/") for _ in range(20))
    assert answers == {"blue": 18, "green": 2}


def test_rules_route_by_path_before_the_default_action(elbv2: Any, blue_green: dict[str, Any]) -> None:
    elbv2.create_rule(ListenerArn=blue_green["listener"], Priority=10,
                      Conditions=[{"Field": "path-pattern", "Values": ["/canary/*"]}],
                      Actions=[{"Type": "forward", "TargetGroupArn": blue_green["green"]}])
    elbv2.create_rule(ListenerArn=blue_green["listener"], Priority=20,
                      Conditions=[{"Field": "path-pattern", "Values": ["/maintenance"]}],
                      Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                          "StatusCode": "200", "ContentType": "text/plain", "MessageBody": "down for maintenance"}}])
    elbv2.create_rule(ListenerArn=blue_green["listener"], Priority=30,
                      Conditions=[{"Field": "host-header", "Values": ["green.example.com"]}],
                      Actions=[{"Type": "forward", "TargetGroupArn": blue_green["green"]}])
    assert get(blue_green["url"] + "/canary/x") == "green"
    request = urllib.request.Request(blue_green["url"] + "/", headers={"Host": "green.example.com"})
    with urllib.request.urlopen(request, timeout=2) as response:
        assert response.read().decode() == "green"
    assert get(blue_green["url"] + "/other") == "blue"
    assert get(blue_green["url"] + "/maintenance") == "down for maintenance"


def test_no_registered_target_answers_503(elbv2: Any, emulator: Any, unique: str) -> None:
    empty = ip_target_group(elbv2, emulator, f"e-{unique}")
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = elbv2.create_load_balancer(Name=f"lbe-{unique}", Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": empty}])["Listeners"][0]
    assert get(emulator.listener_url(listener["ListenerArn"]) + "/") == "HTTP 503"
